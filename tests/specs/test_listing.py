"""The list read side's contract: a page of ids, then loaders that each answer {id: value} in one query."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import pytest
from sqlalchemy.orm import Session

from portal.checklist import service as checklist
from portal.checklist import views as checklist_views
from portal.errors import InvalidInput
from portal.models import GerritChange, SpecState
from portal.specs import listing
from portal.specs.listing import MAX_PAGE, MAX_PAGE_SIZE, SpecFilter, SpecSort, SpecSource

LOADERS: dict[str, Callable[[Session, Collection[int]], Mapping[int, object]]] = {
    "spec fields": listing.load_briefs,
    "Launchpad": listing.load_launchpad,
    "sources": listing.load_sources,
    "comment counts": listing.load_comment_counts,
    "checklist": checklist_views.load_briefs,
}


@pytest.fixture
def specs(db, make_project, make_spec, make_comment):
    nova = make_project("nova")
    made = [make_spec(name=f"spec-{i}", project=nova, state=(SpecState.APPROVED, SpecState.IMPLEMENTED)[i % 2])
            for i in range(6)]
    for i, spec in enumerate(made):
        for n in range(i):
            make_comment(spec, f"comment {n}")
        spec.lp_definition_status = "Approved" if i % 2 else None
        checklist.refresh_prefill(db, spec)
    db.add(GerritChange(spec_id=made[1].id, repo="openstack/nova-specs", change_number=7, change_id="I7",
                        status="MERGED", subject="s", owner_name="Ada"))
    db.add(GerritChange(spec_id=made[1].id, repo="openstack/nova-specs", change_number=3, change_id="I3",
                        status="ABANDONED", subject="s", owner_name="Ada"))
    db.flush()
    return nova, made


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_loader_answers_only_for_the_ids_it_is_given_in_one_query(db, specs, count_queries, name):
    _, made = specs
    asked = [made[1].id, made[3].id, made[4].id]

    with count_queries() as q:
        found = LOADERS[name](db, asked)

    assert q.count == 1
    assert set(found) <= set(asked)


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_loader_given_no_ids_runs_no_query(db, specs, count_queries, name):
    with count_queries() as q:
        assert LOADERS[name](db, []) == {}

    assert q.count == 0


def test_the_loaders_read_what_each_column_shows(db, specs):
    _, made = specs
    ids = [spec.id for spec in made]

    comments = listing.load_comment_counts(db, ids)
    sources = listing.load_sources(db, ids)
    launchpad = listing.load_launchpad(db, ids)

    assert [comments.get(spec.id, 0) for spec in made] == [0, 1, 2, 3, 4, 5]
    assert sources[made[1].id].gerrit_statuses == ("ABANDONED", "MERGED")  # by change number
    assert all(sources[spec.id].has_file for spec in made)  # every spec here came from a file
    assert set(launchpad) == {made[1].id, made[3].id, made[5].id}
    assert set(checklist_views.load_briefs(db, ids)) == set(ids)


def test_the_page_of_ids_is_in_display_order_with_the_total(db, specs):
    nova, made = specs

    page = listing.select_page(db, nova.id, SpecFilter(sort=SpecSort.COMMENTS, descending=True, per_page=4))
    second = listing.select_page(db, nova.id, SpecFilter(sort=SpecSort.COMMENTS, descending=True, per_page=4, page=2))

    assert page.ids == [spec.id for spec in reversed(made)][:4]
    assert second.ids == [made[1].id, made[0].id]
    assert (page.total, page.pages, page.has_next, second.has_prev) == (6, 2, True, True)
    gerrit = listing.select_page(db, nova.id, SpecFilter(source=SpecSource.GERRIT))
    assert gerrit.ids == [made[1].id]


@pytest.mark.parametrize(("field", "value"), [("page", 0), ("page", MAX_PAGE + 1), ("per_page", 0),
                                               ("per_page", MAX_PAGE_SIZE + 1)])
def test_a_filter_out_of_bounds_cannot_be_built(field, value):
    """Whatever builds it (a view, the CLI, a job), no filter reaches the database with an offset it cannot hold."""
    with pytest.raises(InvalidInput):
        SpecFilter(**{field: value})
