"""List pages and the API run a fixed number of SQL statements, whatever the number of rows.

Each test measures a request on a small data set, grows the data set tenfold
(every spec with comments by users and Gerrit reviews), measures again and
asserts the counts are equal and small. A count that grows with the rows is
an N+1 query.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from sqlalchemy.orm import Session

from portal.checklist import service as checklist
from portal.models import GerritChange, Project, Spec, SpecState, User

_numbers = count(700000)


@pytest.fixture
def grow(db: Session, make_spec, make_comment, make_user) -> Callable[..., list[Spec]]:
    """Add specs to a project, each with comments (some by users), a Gerrit review and a checklist prefill."""
    authors: list[User] = []

    def add(project: Project, specs: int, comments_each: int = 2) -> list[Spec]:
        if not authors:
            authors.extend(make_user() for _ in range(3))
        made = []
        for _ in range(specs):
            number = next(_numbers)
            spec = make_spec(name=f"spec-{number}", project=project,
                             state=(SpecState.APPROVED, SpecState.IMPLEMENTED)[number % 2])
            spec.lp_definition_status = "Approved" if number % 3 == 0 else None
            add_comments(spec, comments_each)
            checklist.refresh_prefill(db, spec)
            db.add(GerritChange(spec_id=spec.id, repo="openstack/nova-specs", change_number=number,
                              change_id=f"I{number:040d}", status="NEW", subject=spec.name, owner_name="Ada",
                              url=f"https://review.opendev.org/c/{number}",
                              labels=[{"label": "Code-Review", "value": 1, "by": "Ada"}]))
            made.append(spec)
        db.flush()
        return made

    def add_comments(spec: Spec, how_many: int) -> None:
        for i in range(how_many):
            source = ("portal", "gerrit", "launchpad", "link")[i % 4]
            author = authors[i % len(authors)] if source == "portal" else None
            make_comment(spec, f"Comment {i} on {spec.name}", source=source, author=author,
                         author_name="" if author else "someone",
                         url=None if source == "portal" else f"https://example.org/{spec.name}/{i}",
                         external_id=None if source == "portal" else f"{source}-{next(_numbers)}")

    add.comments = add_comments  # type: ignore[attr-defined]
    return add


def measure(count_queries, client, url: str) -> int:
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return q.count


def test_project_page_queries_do_not_grow_with_specs(client, db, make_project, grow, count_queries):
    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    grow(nova, 3)
    small = measure(count_queries, client, "/projects/nova")

    grow(nova, 57)
    large = measure(count_queries, client, "/projects/nova")

    assert large == small
    # the cache's freshness check, the project, its releases; the list: total, ids, then one loader per column
    # (spec fields, sources, comment counts, checklist)
    assert large == 9


def test_filtered_and_sorted_project_page_queries_do_not_grow(client, db, make_project, grow, count_queries):
    nova = make_project("nova")
    grow(nova, 3)
    url = "/projects/nova?source=gerrit&sort=comments&per_page=100&q=spec"
    small = measure(count_queries, client, url)

    grow(nova, 57)
    large = measure(count_queries, client, url)

    assert large == small
    assert large == 9  # as the unfiltered page: filters and sorts change the id query, not the loaders


def test_signed_in_project_page_queries_do_not_grow_with_specs(client, db, make_project, make_user, grow,
                                                              count_queries):
    """Signed-in readers never get the page cache: the render itself has a fixed cost."""
    from tests.support.factories import login

    make_user("rey")
    login(client, "rey")
    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    grow(nova, 3)
    small = measure(count_queries, client, "/projects/nova?sort=score")

    grow(nova, 57)
    large = measure(count_queries, client, "/projects/nova?sort=score")

    assert large == small
    assert large == 10  # the login session instead of the cache check, as for anonymous, + the follow button


def test_api_spec_list_queries_do_not_grow_with_specs(client, db, make_project, grow, count_queries):
    nova = make_project("nova")
    grow(nova, 3)
    small = measure(count_queries, client, "/api/v1/projects/nova/specs")

    grow(nova, 57)
    large = measure(count_queries, client, "/api/v1/projects/nova/specs?per_page=200")

    assert large == small
    assert large == 8  # the project; total, ids; spec fields, sources, comment counts, checklist, Launchpad


def test_home_page_queries_do_not_grow_with_projects_and_specs(client, db, make_project, grow, count_queries):
    grow(make_project("nova"), 3)
    small = measure(count_queries, client, "/")

    for name in ("cinder", "neutron", "keystone", "glance", "swift"):
        grow(make_project(name), 11)
    large = measure(count_queries, client, "/")

    assert large == small
    assert large <= 3


def test_api_projects_queries_do_not_grow(client, db, make_project, grow, count_queries):
    grow(make_project("nova"), 2)
    small = measure(count_queries, client, "/api/v1/projects")

    for name in ("cinder", "neutron", "keystone"):
        grow(make_project(name), 5)
    large = measure(count_queries, client, "/api/v1/projects")

    assert large == small
    assert large <= 3  # projects with spec counts, then one batch for their sources (Launchpad names, code repos)


def test_spec_page_queries_do_not_grow_with_comments(client, db, make_project, grow, count_queries):
    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    quiet, busy = grow(nova, 2, comments_each=2)
    grow.comments(busy, 28)  # type: ignore[attr-defined]
    db.flush()

    small = measure(count_queries, client, f"/projects/nova/specs/{quiet.name}")
    large = measure(count_queries, client, f"/projects/nova/specs/{busy.name}")

    assert large == small
    # the spec with its project, revisions and Gerrit changes (4), its checklist answers,
    # the timeline's count, its page of keys, the comments on that page, the review story's changes and
    # the implementation progress (portal.specs.reviews; the approval-message query runs only when approved),
    # the vote control (tally, own vote, PTL answer and aggregated context in one query: portal.votes.summary),
    # the outside discussions card (IRC meetings and mail threads linked to the spec, one query)
    assert large == 12


def test_spec_page_timeline_pages_cost_the_same(client, db, make_project, grow, count_queries):
    """Any page of a long timeline reads only its own entries, in the same number of queries."""
    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    (busy,) = grow(nova, 1, comments_each=2)
    grow.comments(busy, 130)  # type: ignore[attr-defined]
    db.flush()

    first = measure(count_queries, client, f"/projects/nova/specs/{busy.name}")
    middle = measure(count_queries, client, f"/projects/nova/specs/{busy.name}?timeline_page=2")
    last = measure(count_queries, client, f"/projects/nova/specs/{busy.name}?timeline_page=3")

    assert first == middle == last == 12  # as above, with the outside discussions card


def test_api_spec_detail_queries_do_not_grow_with_comments(client, db, make_project, grow, count_queries):
    nova = make_project("nova")
    quiet, busy = grow(nova, 2, comments_each=2)
    grow.comments(busy, 28)  # type: ignore[attr-defined]
    db.flush()

    small = measure(count_queries, client, f"/api/v1/projects/nova/specs/{quiet.name}")
    large = measure(count_queries, client, f"/api/v1/projects/nova/specs/{busy.name}")

    assert large == small
    assert large <= 7  # … and the vote tally


def test_logged_in_spec_page_queries_do_not_grow(client, db, make_project, make_user, grow, count_queries):
    from tests.support.factories import login

    make_user("rey")
    login(client, "rey")
    nova = make_project("nova")
    quiet, busy = grow(nova, 2, comments_each=2)
    grow.comments(busy, 28)  # type: ignore[attr-defined]
    db.flush()

    small = measure(count_queries, client, f"/projects/nova/specs/{quiet.name}")
    large = measure(count_queries, client, f"/projects/nova/specs/{busy.name}")

    assert large == small
    assert large == 14  # the login session, then as for anonymous readers, + the follow button
