"""A stand-in for ``time.sleep`` and a fixed clock, injected into ``portal.net.RetryPolicy``.

Retry tests then prove the waits (backoff, Retry-After, its cap) without
really sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime

FIXED_NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


class Waits(list[float]):
    """Records each wait and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
