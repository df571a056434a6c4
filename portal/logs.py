"""Logging set-up, done once per process; modules use ``logging.getLogger(__name__)``."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send the portal's logs to stderr at ``level`` (idempotent)."""
    root = logging.getLogger("portal")
    root.setLevel(level)
    if not any(getattr(h, "_portal", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._portal = True  # type: ignore[attr-defined]
        root.addHandler(handler)
