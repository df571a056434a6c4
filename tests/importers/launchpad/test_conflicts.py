"""Blueprint link conflicts: found from the stored revisions and listed on the admin page."""

from __future__ import annotations

from pathlib import Path

from portal.importers.specs_tree import import_tree
from portal.specs.blueprint_links import blueprint_conflicts
from tests.support.factories import login, spec_rst
from tests.support.html import text_of


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "specs" / "2026.1" / "approved" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_two_files_for_one_blueprint_and_a_foreign_link_are_listed(db, make_project, make_user, client, tmp_path,
                                                                  count_queries):  # noqa: ANN001
    nova = make_project("nova", launchpad="nova")
    root = tree(tmp_path, {
        "shared-a.rst": spec_rst("Shared A", "shared", "nova"),
        "shared-b.rst": spec_rst("Shared B", "shared", "nova"),
        "alone.rst": spec_rst("Alone", "alone", "nova"),
        "copied.rst": spec_rst("Copied", "copied", "neutron"),
    })
    import_tree(db, None, nova, root)
    db.flush()

    with count_queries() as q:
        found = blueprint_conflicts(db, nova.id)
    assert q.count == 3
    assert [(c.spec, c.kind) for c in found] == [("copied", "foreign_project"), ("shared", "two_files")]
    assert "shared-a.rst, shared-b.rst" in found[1].detail
    assert "Launchpad project neutron, which is not one of nova's Launchpad names (nova)" in found[0].detail

    admin = make_user(role="admin")
    login(client, admin.username)
    page = client.get("/admin/blueprint-links?project=nova")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "two spec files, one blueprint" in text and "another project's blueprint" in text
    assert client.get("/admin/runs").status_code == 200


def test_operators_cannot_open_the_conflicts_page(db, make_user, client):  # noqa: ANN001
    operator = make_user(role="operator")
    login(client, operator.username)
    assert client.get("/admin/blueprint-links").status_code == 403
