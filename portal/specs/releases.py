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
    series = VERSION_SERIES.get(lowered)
    return release_rank(series) if series else 0


# Ironic numbers its specs folders by its own versions (``specs/15.1/``). The
# OpenStack series of each version, checked against the openstack/releases
# repository (``deliverables/<series>/ironic.yaml``, commit 02df7c9a3cc3,
# 2026-08-21): every X.Y with an X.Y.0 release in the series' file, stable
# point releases (6.3, 17.1, 18.3) included. A version not listed is shown
# as it is, with no series. Extend it from the next series' ironic.yaml.
VERSION_SERIES: dict[str, str] = {
    **dict.fromkeys(("4.0", "4.1", "4.2"), "liberty"),
    **dict.fromkeys(("4.3", "5.0", "5.1"), "mitaka"),
    **dict.fromkeys(("6.0", "6.1", "6.2", "6.3"), "newton"),
    **dict.fromkeys(("7.0",), "ocata"),
    **dict.fromkeys(("8.0", "9.0", "9.1"), "pike"),
    **dict.fromkeys(("9.2", "10.0", "10.1"), "queens"),
    **dict.fromkeys(("11.0", "11.1"), "rocky"),
    **dict.fromkeys(("12.0", "12.1"), "stein"),
    **dict.fromkeys(("12.2", "13.0"), "train"),
    **dict.fromkeys(("14.0", "15.0"), "ussuri"),
    **dict.fromkeys(("15.1", "15.2", "16.0"), "victoria"),
    **dict.fromkeys(("16.1", "16.2", "17.0", "17.1"), "wallaby"),
    **dict.fromkeys(("18.0", "18.1", "18.2", "18.3"), "xena"),
    **dict.fromkeys(("19.0", "20.0", "20.1"), "yoga"),
    **dict.fromkeys(("20.2", "21.0", "21.1"), "zed"),
    **dict.fromkeys(("21.2", "21.3", "21.4"), "2023.1"),
    **dict.fromkeys(("22.0", "22.1", "23.0"), "2023.2"),
    **dict.fromkeys(("23.1", "24.0", "24.1"), "2024.1"),
    **dict.fromkeys(("25.0", "26.0", "26.1"), "2024.2"),
    **dict.fromkeys(("27.0", "28.0", "29.0"), "2025.1"),
    **dict.fromkeys(("30.0", "31.0", "32.0"), "2025.2"),
    **dict.fromkeys(("33.0", "34.0", "35.0"), "2026.1"),
    **dict.fromkeys(("36.0", "37.0", "38.0"), "2026.2"),
}
_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})$")


def version_series(version: str) -> str | None:
    """The OpenStack series a deliverable version folder belongs to (``9.2`` → ``queens``), if known."""
    return VERSION_SERIES.get(version.strip())


def _version_tuple(name: str) -> tuple[int, int] | None:
    match = _VERSION.match(name.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def release_sort_key(name: str | None) -> tuple[int, tuple[int, int], str]:
    """Order of releases in menus: by OpenStack series, versions within it by number (9.2 before 36.0).

    Code names and year.N names share one sequence (``release_rank``); a
    deliverable version sorts with its series, an unknown version after
    every known release, by number, and other names last, alphabetically.
    """
    if not name:
        return (0, (0, 0), "")
    rank = release_rank(name)
    version = _version_tuple(name)
    if version is not None and rank == 0:
        rank = 10_000  # a version of no known series: newer than what the table knows
    return (rank, version or (0, 0), name)
