"""``portal search reindex|update|status`` on a fresh instance, as an admin runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.errors import SettingsError
from portal.search import SearchQuery
from portal.search.whoosh_backend import WhooshBackend
from portal.settings import load_settings
from tests.support.cli_instance import Portal
from tests.support.factories import spec_rst


def specs_tree(root: Path) -> Path:
    folder = root / "specs" / "2025.1" / "approved"
    folder.mkdir(parents=True)
    (folder / "rolling-upgrades.rst").write_text(spec_rst(
        "Rolling upgrades", "rolling-upgrades", sections={"Upgrade impact": "Restart conductors before computes."}))
    (folder / "cells-partitioning.rst").write_text(spec_rst("Cells partitioning", "cells-partitioning"))
    return root


def test_update_then_status_then_reindex(portal: Portal, tmp_path: Path) -> None:
    portal.ok("projects", "add", "nova")
    portal.ok("import", "specs", "--project", "nova", str(specs_tree(tmp_path / "tree")))

    status = portal.ok("search", "status").stdout
    # project.created, two spec.created and the import run's import.finished
    assert "Backend whoosh: 0 documents" in status and "4 events pending" in status
    assert "Run `portal search update`" in status

    update = portal.ok("search", "update").stdout
    assert update.startswith("Indexed ") and "up to date to event" in update
    backend = WhooshBackend.in_instance(portal.settings.instance_path)
    hit = backend.search(SearchQuery(words="conductors")).hits[0]
    assert hit.url == "/projects/nova/specs/rolling-upgrades#s-upgrade-impact"

    status = portal.ok("search", "status").stdout
    assert "Backend whoosh: 5 documents" in status and "0 events pending" in status

    assert portal.ok("search", "update").stdout.startswith("Indexed 0 new events")

    reindex = portal.ok("search", "reindex")
    assert "Rebuilding the whoosh search index from 2 specs and 0 comments" in reindex.stderr
    assert "Indexed 5 documents" in reindex.stdout
    assert backend.search(SearchQuery(words="conductors")).total == 1
    assert list((portal.settings.instance_path / "search").glob("building-*")) == []


def test_postgres_backend_on_sqlite_is_refused_with_what_to_do(portal: Portal) -> None:
    portal.settings = portal.settings.with_overrides(search_backend="postgres")
    result = portal.fails("search", "update")
    assert "needs a PostgreSQL database" in result.stderr and "PORTAL_SEARCH_BACKEND=whoosh" in result.stderr


def test_the_backend_setting_is_checked_at_start_up(tmp_path: Path) -> None:
    env = {"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_TESTING": "true"}
    assert load_settings(env).search_backend == "whoosh"
    assert load_settings({**env, "PORTAL_SEARCH_BACKEND": " Postgres "}).search_backend == "postgres"
    with pytest.raises(SettingsError, match="search_backend .*expected whoosh or postgres, got 'elastic'"):
        load_settings({**env, "PORTAL_SEARCH_BACKEND": "elastic"})
