"""The one failure a delivery channel raises: it says whether trying again can help."""

from __future__ import annotations

from portal.errors import PortalError


class DeliveryError(PortalError):
    """Delivering one notification failed. ``permanent``: stop retrying, show it to the user and the admin."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
