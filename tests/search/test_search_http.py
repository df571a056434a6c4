"""/search, the search box, related specs and GET /api/v1/search, against both backends, fed the real way:
rows written by the services, their events indexed by the search consumer (portal.search.indexer)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from portal.app import create_app
from portal.discussion.service import add_comment, import_comment
from portal.models import CommentSource, Spec
from portal.search import backend_for
from portal.search.indexer import catch_up
from portal.settings import Settings
from tests.search.test_postgres_backend import NEEDS_PG, is_postgres
from tests.search.test_whoosh_backend import HOSTILE
from tests.support.html import text_of
from tests.support.openapi_check import ValidatingClient


@dataclasses.dataclass
class Site:
    app: Flask
    client: FlaskClient
    backend_name: str
    specs: dict[str, Spec]

    def index(self, factory: sessionmaker[Session]) -> None:
        settings = self.app.extensions["portal"].settings
        catch_up(factory, backend_for(settings, factory))


@pytest.fixture(params=["whoosh", "postgres"])
def site(request: pytest.FixtureRequest, settings: Settings, session_factory: sessionmaker[Session], db: Session,
         make_project, make_spec, make_user) -> Site:
    if request.param == "postgres" and not is_postgres():
        pytest.skip(NEEDS_PG)
    settings = dataclasses.replace(settings, search_backend=request.param)
    app = create_app(settings, session_factory=session_factory)
    app.test_client_class = ValidatingClient
    nova, neutron = make_project("nova"), make_project("neutron")
    reconnect = make_spec("rabbitmq-reconnect", project=nova, title="RabbitMQ reconnect handling", release="2024.1",
                          **{"Problem description": "Services lose their broker connection during failover.",
                             "Upgrade impact": "A rolling upgrade keeps the old reconnect code until restart."})
    heartbeat = make_spec("amqp-heartbeat", project=neutron, title="RabbitMQ heartbeat for agents",
                          release="2023.2",
                          **{"Problem description": "Agents miss the broker heartbeat and reconnect slowly."})
    billing = make_spec("billing-exports", project=nova, title="Billing exports", release="2024.1",
                        **{"Proposed change": "Export invoices monthly."})
    import_comment(db, reconnect, source=CommentSource.GERRIT, external_id="gerrit:r/1/abc",
                   author_name="Sean Dague", body="Why not reuse the oslo.messaging heartbeat for the reconnect?",
                   created_at=datetime(2025, 3, 1, tzinfo=UTC), url="https://review.example.org/c/1",
                   file_line="specs/2024.1/approved/rabbitmq-reconnect.rst:42")
    add_comment(db, make_user("rey"), reconnect, "Our cells reconnect storm took an hour <b>really</b>.")
    db.flush()
    found = Site(app=app, client=app.test_client(), backend_name=request.param,
                 specs={"reconnect": reconnect, "heartbeat": heartbeat, "billing": billing})
    found.index(session_factory)
    return found


def hits(page: str) -> list[str]:
    """The result links of a results page, in order."""
    return re.findall(r'<li class="search-hit[^"]*">\s*<div><a class="fw-semibold" href="([^"]+)"', page)


def test_the_search_box_is_on_every_page(site: Site) -> None:
    for path in ("/", "/projects/nova", "/projects/nova/specs/rabbitmq-reconnect", "/login"):
        page = site.client.get(path).text
        assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page, path


def test_results_link_to_the_exact_place_with_the_words_highlighted(site: Site) -> None:
    response = site.client.get("/search?q=rolling+upgrade")
    assert response.status_code == 200
    links = hits(response.text)
    assert links[0] == "/projects/nova/specs/rabbitmq-reconnect#s-upgrade-impact"
    assert "<mark>" in response.text and "Upgrade impact" in text_of(response.text)
    spec_page = site.client.get(urlsplit(links[0]).path).text
    assert 'id="s-upgrade-impact"' in spec_page  # the anchor exists on the spec page


def test_a_comment_hit_names_its_source_author_and_file_and_links_to_the_timeline_entry(site: Site) -> None:
    page = site.client.get("/search?q=heartbeat+reuse").text
    link = hits(page)[0]
    assert re.fullmatch(r"/comments/\d+", link)
    text = text_of(page)
    assert "Gerrit" in text and "Sean Dague" in text and "rabbitmq-reconnect.rst:42" in text
    target = site.client.get(link)
    assert target.status_code == 302
    location = urlsplit(target.headers["Location"])
    assert location.path == "/projects/nova/specs/rabbitmq-reconnect" and location.fragment == "comment-" + link[10:]
    assert f'id="{location.fragment}"' in site.client.get(location.path).text


def test_a_comment_on_an_older_timeline_page_links_to_that_page(site: Site, db: Session,
                                                                 session_factory: sessionmaker[Session],
                                                                 make_user) -> None:
    author = make_user("talker")
    spec = site.specs["billing"]
    oldest = add_comment(db, author, spec, "the very first remark about zloty invoices",
                         created_at=datetime(2020, 1, 1, tzinfo=UTC))
    for i in range(55):
        add_comment(db, author, spec, f"later remark {i}")
    db.flush()
    site.index(session_factory)
    link = hits(site.client.get("/search?q=zloty").text)[0]
    assert link == f"/comments/{oldest.id}"
    location = site.client.get(link).headers["Location"]
    assert location.endswith(f"?timeline_page=2#comment-{oldest.id}")
    assert f'id="comment-{oldest.id}"' in site.client.get(location.split("#")[0]).text
    assert site.client.get("/comments/999999").status_code == 404


def test_comment_markup_is_shown_as_text(site: Site) -> None:
    page = site.client.get("/search?q=storm").text
    assert "&lt;b&gt;really" in page and "<b>really" not in page


def test_facets_show_counts_and_a_facet_link_narrows_the_results(site: Site) -> None:
    page = site.client.get("/search?q=rabbitmq").text
    text = text_of(page)
    assert "Project nova" in text and "neutron" in text
    neutron_link = re.search(r'href="(/search\?q=rabbitmq&amp;project=neutron)"', page)
    assert neutron_link is not None
    narrowed = site.client.get(neutron_link.group(1).replace("&amp;", "&")).text
    assert hits(narrowed) and all("/projects/neutron/" in h for h in hits(narrowed))
    assert "Remove filter Project neutron" in narrowed


def test_release_state_source_kind_and_dates_filter(site: Site) -> None:
    assert all("amqp-heartbeat" in h for h in hits(site.client.get("/search?q=reconnect&release=2023.2").text))
    comments = hits(site.client.get("/search?q=reconnect&kind=comment").text)
    assert comments and all(h.startswith("/comments/") for h in comments)
    gerrit = hits(site.client.get("/search?q=reconnect&source=gerrit").text)
    assert len(gerrit) == 1
    assert hits(site.client.get("/search?q=heartbeat+reuse&from=2025-03-01&to=2025-03-01").text) == gerrit
    assert hits(site.client.get("/search?q=heartbeat+reuse&to=2025-02-28").text) == []


def test_did_you_mean_links_to_the_corrected_search(site: Site) -> None:
    page = site.client.get("/search?q=rabitmq").text
    assert "Did you mean" in page and 'href="/search?q=rabbitmq"' in page


def test_a_bad_date_is_named_and_the_rest_is_still_searched(site: Site) -> None:
    response = site.client.get("/search?q=rabbitmq&from=2024-13-45&page=zero")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "expected a date as YYYY-MM-DD" in text and "expected a page number" in text
    assert hits(response.text)


def test_pages_of_results(site: Site, db: Session, session_factory: sessionmaker[Session], make_user) -> None:
    author = make_user("talker")
    for i in range(45):
        add_comment(db, author, site.specs["billing"], f"invoice question number {i}")
    db.flush()
    site.index(session_factory)
    first = site.client.get("/search?q=invoice+question").text
    assert len(hits(first)) == 20 and "Page 1 of 3" in first
    assert 'href="/search?q=invoice+question&amp;page=2"' in first
    third = site.client.get("/search?q=invoice+question&page=3").text
    assert len(hits(third)) == 5 and not set(hits(third)) & set(hits(first))


def test_an_empty_search_explains_what_to_do(site: Site) -> None:
    page = site.client.get("/search").text
    assert "Type words into the box" in page


@pytest.mark.parametrize("typed", HOSTILE[::3], ids=lambda t: repr(t[:16]) + (f"…{len(t)}" if len(t) > 16 else ""))
def test_hostile_queries_never_give_an_error_page(site: Site, typed: str) -> None:
    response = site.client.get("/search", query_string={"q": typed})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    api = site.client.get("/api/v1/search", query_string={"q": typed})
    assert api.status_code == 200 and api.json is not None and api.json["meta"]["total"] >= 0


def test_spec_page_lists_related_specs_from_other_projects(site: Site) -> None:
    page = site.client.get("/projects/nova/specs/rabbitmq-reconnect").text
    rail = page[page.index('id="related-heading"'):]
    assert 'href="/projects/neutron/specs/amqp-heartbeat"' in rail
    assert 'href="/projects/nova/specs/rabbitmq-reconnect"' not in rail


def test_spec_page_costs_at_most_one_more_query_for_related_specs(site: Site, count_queries) -> None:
    site.client.get("/projects/nova/specs/rabbitmq-reconnect")  # warm caches (the template, the searcher)
    with count_queries() as q:
        site.client.get("/projects/nova/specs/rabbitmq-reconnect")
    related = [s for s in q.statements if "search_documents" in s]
    assert len(related) == (1 if site.backend_name == "postgres" else 0)


# --- API ----------------------------------------------------------------------------------------


def test_api_search_answers_the_list_envelope_with_facets(site: Site) -> None:
    response = site.client.get("/api/v1/search?q=rabbitmq&project=nova")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    item = body["items"][0]
    assert set(item) >= {"kind", "source", "project", "spec", "title", "snippet", "url", "score", "created_at"}
    assert all(i["project"] == "nova" for i in body["items"])
    assert all(i["url"].startswith(("http://localhost/projects/nova/specs/", "http://localhost/comments/"))
               for i in body["items"])
    assert body["meta"]["facets"]["project"] == [{"value": "nova", "count": body["meta"]["total"]}]
    assert {"value": "comment", "count": 2} in body["meta"]["facets"]["kind"]
    assert body["links"]["next"] is None


def test_api_pages_link_to_each_other(site: Site, db: Session, session_factory: sessionmaker[Session],
                                      make_user) -> None:
    author = make_user("talker")
    for i in range(25):
        add_comment(db, author, site.specs["billing"], f"invoice query {i}")
    db.flush()
    site.index(session_factory)
    body = site.client.get("/api/v1/search?q=invoice+query").json
    assert body is not None and body["meta"]["pages"] == 2 and len(body["items"]) == 20
    assert body["links"]["next"] == "http://localhost/api/v1/search?q=invoice+query&page=2"
    second = site.client.get("/api/v1/search?q=invoice+query&page=2").json
    assert second is not None and len(second["items"]) == 5 and second["links"]["prev"]


@pytest.mark.parametrize(("args", "named"), [
    ("from=2024-1-5", "from: expected a date as YYYY-MM-DD"),
    ("to=yesterday", "to: expected a date as YYYY-MM-DD"),
    ("page=0", "page: expected a page number from 1 to 1000"),
    ("kind=thread", "kind: expected one of spec, section, comment"),
    ("project=" + "x" * 201, "project: at most 200 characters"),
])
def test_api_refuses_bad_parameters_naming_the_expected_form(site: Site, args: str, named: str) -> None:
    response = site.client.get(f"/api/v1/search?q=nova&{args}")
    assert response.status_code == 400
    assert named in response.json["error"]["message"]  # type: ignore[index]
