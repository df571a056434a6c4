"""A spec file BOB held under its file name is merged into the Launchpad-only spec its new link names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.discussion.service import import_comment
from portal.importers.specs_tree import import_tree
from portal.models import CommentSource, Spec, SpecAlias, SpecRevision
from portal.specs.service import BlueprintData, apply_blueprint
from tests.support.factories import spec_rst

PATH = "specs/2026.1/approved/bar.rst"


def write(root: Path, text: str) -> None:
    target = root / PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_a_file_that_gains_a_blueprint_link_is_merged_into_that_blueprints_spec(
    db: Session, make_project: Any, tmp_path: Path, client: Any,
) -> None:
    nova = make_project("linkmerge", launchpad="linkmerge")
    unlinked = "\n".join(line for line in spec_rst("Bar", "x").splitlines() if "launchpad.net" not in line)
    write(tmp_path, unlinked)
    import_tree(db, None, nova, tmp_path)
    apply_blueprint(db, None, nova, BlueprintData(name="foo", title="Foo", definition_status="Approved",
                                                  priority="High"))
    bar = db.scalar(select(Spec).where(Spec.project_id == nova.id, Spec.name == "bar"))
    assert bar is not None
    import_comment(db, bar, source=CommentSource.LINK, external_id="link:bar-etherpad", author_name="ops",
                   body="Etherpad notes on bar.", created_at=bar.created_at)

    write(tmp_path, spec_rst("Bar, now linked", "foo", "linkmerge"))  # the next version links +spec/foo
    import_tree(db, None, nova, tmp_path)
    db.flush()
    names = set(db.scalars(select(Spec.name).where(Spec.project_id == nova.id)))
    assert names == {"foo"}
    foo = db.scalar(select(Spec).where(Spec.project_id == nova.id, Spec.name == "foo"))
    assert foo is not None and foo.lp_priority == "High" and foo.title == "Bar, now linked"
    assert len(list(db.scalars(select(SpecRevision.id).where(SpecRevision.spec_id == foo.id)))) == 2
    assert db.scalar(select(SpecAlias.spec_id).where(SpecAlias.name == "bar")) == foo.id
    page = client.get("/projects/linkmerge/specs/bar")
    assert page.status_code == 301 and page.headers["Location"].endswith("/projects/linkmerge/specs/foo")
    assert "Etherpad notes on bar." in client.get("/projects/linkmerge/specs/foo").get_data(as_text=True)

    import_tree(db, None, nova, tmp_path)  # a re-run changes nothing and brings no `bar` back
    assert set(db.scalars(select(Spec.name).where(Spec.project_id == nova.id))) == {"foo"}
