"""Release names sort in time order, not as strings (``2023.1`` comes after ``zed``)."""

from __future__ import annotations

import pytest

from portal.specs.releases import is_release, normalize_release, release_rank


def test_named_releases_then_numbered_releases_in_time_order() -> None:
    in_order = ["juno", "kilo", "liberty", "stein", "ussuri", "yoga", "zed", "2023.1", "2023.2", "2024.1",
                "2024.2", "2025.1", "2025.2", "2026.1", "2026.2", "2027.1"]
    assert sorted(in_order, key=release_rank) == in_order
    assert sorted(in_order) != in_order  # what plain string sorting would get wrong
    ranks = [release_rank(name) for name in in_order]
    assert len(set(ranks)) == len(ranks)
    assert release_rank("zed") + 1 == release_rank("2023.1")


@pytest.mark.parametrize(
    ("folder", "release"),
    [("Epoxy", "2025.1"), ("antelope", "2023.1"), ("Juno", "juno"), (" 2024.2 ", "2024.2"), ("dalmatian", "2024.2")],
)
def test_code_names_and_case_normalise(folder: str, release: str) -> None:
    assert normalize_release(folder) == release
    assert is_release(folder)
    assert release_rank(folder) == release_rank(release)


@pytest.mark.parametrize("name", [None, "", "backlog", "abandoned", "approved", "liberty-1", "2023.3", "2022.1",
                                  "1999.1", "templates"])
def test_unknown_names_rank_zero_and_are_not_releases(name: str | None) -> None:
    assert release_rank(name) == 0
    if name is not None:
        assert not is_release(name)


def test_numbered_releases_before_2023_do_not_collide_with_named_ones() -> None:
    """2022.1 never existed; it must not sort as yoga (or anything else)."""
    assert release_rank("2022.1") == 0
    assert release_rank("2022.2") != release_rank("zed")
