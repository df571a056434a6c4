"""Rows in, search documents out (pure: plain model objects, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.models import Comment, Spec, SpecRevision, SpecState
from portal.search.documents import (
    SpecContext,
    comment_document,
    section_documents,
    spec_documents,
    spec_id_of,
    spec_url,
    split_file_line,
)
from portal.search.query import Kind

WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def spec(**changes: object) -> Spec:
    values: dict[str, object] = dict(
        id=12, project_id=1, name="rolling-upgrades", title="Rolling upgrades", summary="Upgrade one node at a time.",
        state=SpecState.APPROVED, release="2024.1", created_at=WHEN, lp_title=None, lp_summary=None,
        lp_work_items=None, lp_assignee=None, lp_drafter=None, lp_approver=None, lp_owner=None, lp_created_at=None,
        lp_web_link=None, lp_definition_status=None,
    )
    values.update(changes)
    return Spec(**values)


def revision(sections: list[dict[str, object]], source: str = "file") -> SpecRevision:
    return SpecRevision(id=3, spec_id=12, source=source, sections=sections, created_at=WHEN)


def comment(**changes: object) -> Comment:
    values: dict[str, object] = dict(
        id=345, spec_id=12, source="portal", body="We restart rabbitmq first.", author_name="Rey",
        created_at=WHEN, deleted_at=None, file_line=None, patch_set=None,
    )
    values.update(changes)
    return Comment(**values)


def ctx() -> SpecContext:
    return SpecContext.of(spec(), "nova", revision([]))


def test_a_spec_gives_its_own_document_then_one_per_section() -> None:
    docs = spec_documents(spec(), "nova", revision([
        {"path": ["Problem description"], "anchor": "s-problem-description", "text": "Nodes go down."},
        {"path": ["Proposed change", "Upgrade impact"], "anchor": "s-upgrade-impact", "text": "Restart in order."},
    ]))
    assert [d.doc_id for d in docs] == ["spec:12", "section:12:s-problem-description", "section:12:s-upgrade-impact"]
    own, _, upgrade = docs
    assert (own.kind, own.title, own.body, own.url) == (
        Kind.SPEC, "Rolling upgrades", "Upgrade one node at a time.", "/projects/nova/specs/rolling-upgrades")
    assert (own.project, own.release, own.state, own.source, own.spec_id) == ("nova", "2024.1", "approved", "file", 12)
    assert upgrade.kind == Kind.SECTION
    assert upgrade.heading == "Proposed change > Upgrade impact"
    assert upgrade.url == "/projects/nova/specs/rolling-upgrades#s-upgrade-impact"
    assert upgrade.title == "Rolling upgrades"  # the spec's title, to show with the hit
    assert (upgrade.release, upgrade.state) == ("2024.1", "approved")


@pytest.mark.parametrize(("sections", "ids"), [
    ([{"path": ["A"], "anchor": "s-a", "text": ""}], []),  # empty section
    ([{"path": [], "anchor": "s-a", "text": "x"}], []),  # no heading
    ([{"path": ["A"], "anchor": "", "text": "x"}], ["section:12:n0"]),  # old import without anchors
    ([{"path": ["A"], "anchor": "s-a", "text": "x"}, {"path": ["A"], "anchor": "s-a", "text": "y"}],
     ["section:12:s-a"]),  # a repeated anchor
    (["not a dict", {"path": ["B"], "anchor": "s-b", "text": "x"}], ["section:12:s-b"]),
])
def test_sections_that_cannot_be_linked_or_are_empty(sections: list[object], ids: list[str]) -> None:
    assert [d.doc_id for d in section_documents(ctx(), sections)] == ids


def test_launchpad_fields_are_part_of_the_spec_document() -> None:
    doc = spec_documents(spec(
        title="", summary="", lp_title="Zero-downtime upgrades", lp_summary="Operators asked for it.",
        lp_work_items=[{"text": "write the upgrade docs", "state": "TODO"}, {"bogus": 1}],
        lp_assignee="Carlos", lp_web_link="https://launchpad.example/x", lp_created_at=datetime(2019, 1, 1),
    ), "nova", None)[0]
    assert doc.title == "Zero-downtime upgrades"  # no spec file: the blueprint's title
    assert doc.source == "launchpad"
    assert doc.body == "Operators asked for it.\n\nwrite the upgrade docs"
    assert doc.author == "Carlos"
    assert doc.created_at == datetime(2019, 1, 1)


def test_a_spec_without_title_is_shown_by_its_name() -> None:
    assert spec_documents(spec(title=""), "nova", None)[0].title == "rolling-upgrades"


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, {"source": "portal", "author": "Rey", "file": "", "line": None, "url": "#comment-345"}),
    ({"source": "gerrit", "file_line": "specs/2024.1/approved/x.rst:42", "patch_set": 3},
     {"source": "gerrit", "file": "specs/2024.1/approved/x.rst", "line": 42, "patch_set": 3}),
    ({"source": "gerrit", "file_line": "/PATCHSET_LEVEL"}, {"file": "/PATCHSET_LEVEL", "line": None}),
    ({"source": "gerrit", "file_line": "specs/x.rst"}, {"file": "specs/x.rst", "line": None}),
    ({"source": "launchpad", "author_name": "Launchpad whiteboard", "body": "Approved for Caracal."},
     {"source": "launchpad", "body": "Approved for Caracal."}),
    ({"source": "link", "body": "Operators agreed at the PTG."}, {"source": "link"}),
])
def test_comments_of_every_source(changes: dict[str, object], expected: dict[str, object]) -> None:
    doc = comment_document(comment(**changes), ctx())
    assert doc is not None
    assert doc.doc_id == "comment:345" and doc.kind == Kind.COMMENT
    assert (doc.project, doc.spec, doc.title, doc.release, doc.state) == (
        "nova", "rolling-upgrades", "Rolling upgrades", "2024.1", "approved")
    for name, value in expected.items():
        if name == "url":
            assert doc.url.endswith(str(value))
        else:
            assert getattr(doc, name) == value, name


@pytest.mark.parametrize("changes", [{"deleted_at": WHEN}, {"body": "   "}])
def test_comments_readers_do_not_see_give_no_document(changes: dict[str, object]) -> None:
    assert comment_document(comment(**changes), ctx()) is None


@pytest.mark.parametrize(("doc_id", "spec_id"), [
    ("spec:12", 12), ("section:12:s-upgrade-impact", 12), ("section:7:n0", 7), ("comment:5", None), ("spec:x", None),
])
def test_spec_id_of(doc_id: str, spec_id: int | None) -> None:
    assert spec_id_of(doc_id) == spec_id


def test_urls_quote_names_and_anchors() -> None:
    assert spec_url("nova", "a b/c", "s-x y") == "/projects/nova/specs/a%20b%2Fc#s-x%20y"


@pytest.mark.parametrize(("value", "expected"), [
    (None, ("", None)), ("a.rst:7", ("a.rst", 7)), ("a.rst", ("a.rst", None)), ("c:/x.rst:9", ("c:/x.rst", 9)),
])
def test_split_file_line(value: str | None, expected: tuple[str, int | None]) -> None:
    assert split_file_line(value) == expected
