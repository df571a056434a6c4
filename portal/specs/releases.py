"""OpenStack release names and their order.

Specs live under release folders named ``juno`` … ``zed`` and then
``2023.1``, ``2023.2`` …; sorting them as strings puts ``2023.1`` before
``juno``. ``release_rank`` gives the chronological order (0 for no or an
unknown release, so backlog specs sort last when newest-first).
"""

from __future__ import annotations

import re

NAMED_RELEASES = (
    "austin bexar cactus diablo essex folsom grizzly havana icehouse juno kilo liberty mitaka "
    "newton ocata pike queens rocky stein train ussuri victoria wallaby xena yoga zed"
).split()
# Code names of the numbered releases, accepted as folder names too.
NUMBERED_CODENAMES = {
    "antelope": "2023.1",
    "bobcat": "2023.2",
    "caracal": "2024.1",
    "dalmatian": "2024.2",
    "epoxy": "2025.1",
    "flamingo": "2025.2",
    "gazpacho": "2026.1",
    "hibiscus": "2026.2",
    "indri": "2027.1",
}
_NUMBERED = re.compile(r"^(20\d\d)\.([12])$")
_FIRST_NUMBERED = 2023


def normalize_release(name: str) -> str:
    """Folder name → release name (``Epoxy`` → ``2025.1``, ``Juno`` → ``juno``)."""
    lowered = name.strip().lower()
    return NUMBERED_CODENAMES.get(lowered, lowered)


def _numbered(lowered: str) -> tuple[int, int] | None:
    """``2025.1`` → (2025, 1); numbered releases start with 2023.1 (antelope)."""
    match = _NUMBERED.match(lowered)
    if not match or int(match.group(1)) < _FIRST_NUMBERED:
        return None
    return int(match.group(1)), int(match.group(2))


def is_release(name: str) -> bool:
    lowered = normalize_release(name)
    return lowered in NAMED_RELEASES or _numbered(lowered) is not None


def release_rank(name: str | None) -> int:
    """Chronological sort key: austin=1 … zed=26, 2023.1=27, 2023.2=28 …; 0 when unknown."""
    if not name:
        return 0
    lowered = normalize_release(name)
    if lowered in NAMED_RELEASES:
        return NAMED_RELEASES.index(lowered) + 1
    numbered = _numbered(lowered)
    if numbered:
        year, half = numbered
        return len(NAMED_RELEASES) + 1 + (year - _FIRST_NUMBERED) * 2 + (half - 1)
    return 0
