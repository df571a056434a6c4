"""Saved searches: the service (one serialized query, events, limits), the pages and the API."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound, PermissionDenied
from portal.models import Event, EventKind, SavedSearch, User
from portal.search import SearchQuery
from portal.search import saved as saved_searches
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


def bearer(db: Session, user: User) -> dict[str, str]:
    _, secret = accounts.create_api_token(db, user, "search tests")
    db.flush()
    return {"Authorization": f"Bearer {secret}"}


# --- the service -------------------------------------------------------------------------------


def test_saving_keeps_the_one_serialized_query_without_its_page_and_records_an_event(db: Session,
                                                                                     make_user) -> None:
    user = make_user("rey")
    query = SearchQuery.from_params({"q": "rabbitmq reconnect", "project": "nova", "from": "2024-01-01", "page": "3"})
    saved = saved_searches.save(db, user, "  RabbitMQ   in nova ", query)
    assert saved.name == "RabbitMQ in nova"
    assert saved.query == {"q": "rabbitmq reconnect", "project": "nova", "from": "2024-01-01"}
    assert saved_searches.query_of(saved) == query.with_page(1)
    event = db.scalars(select(Event).where(Event.kind == EventKind.SAVED_SEARCH_CREATED)).one()
    assert event.actor_id == user.id and event.payload["saved_search_id"] == saved.id
    assert event.payload["query"] == saved.query


def test_names_are_unique_per_user_not_per_site(db: Session, make_user) -> None:
    rey, carlos = make_user("rey"), make_user("carlos")
    query = SearchQuery(words="quota")
    saved_searches.save(db, rey, "quota", query)
    saved_searches.save(db, carlos, "quota", query)  # someone else's name is no conflict
    with pytest.raises(Conflict, match="already have a saved search named “quota”"):
        saved_searches.save(db, rey, "quota", SearchQuery(words="other"))


@pytest.mark.parametrize(("name", "query", "message"), [
    ("", SearchQuery(words="x"), "Give the search a name"),
    ("x" * 101, SearchQuery(words="x"), "at most 100"),
    ("empty", SearchQuery(), "nothing to save"),
])
def test_bad_input_says_what_to_do(db: Session, make_user, name: str, query: SearchQuery, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        saved_searches.save(db, make_user(), name, query)


def test_only_the_owner_lists_or_deletes_a_saved_search(db: Session, make_user) -> None:
    rey, carlos = make_user("rey"), make_user("carlos")
    saved = saved_searches.save(db, rey, "mine", SearchQuery(words="cells"))
    assert saved_searches.list_saved(db, carlos) == []
    with pytest.raises(NotFound, match="no saved search"):
        saved_searches.delete(db, carlos, saved.id)
    saved_searches.delete(db, rey, saved.id)
    assert saved_searches.list_saved(db, rey) == []
    assert db.scalars(select(Event.kind).where(Event.kind == EventKind.SAVED_SEARCH_DELETED)).all()


def test_nobody_and_disabled_accounts_cannot_save(db: Session, make_user) -> None:
    with pytest.raises(AuthenticationRequired):
        saved_searches.save(db, None, "x", SearchQuery(words="x"))
    dora = make_user("dora")
    dora.is_active = False
    with pytest.raises(PermissionDenied, match="disabled"):
        saved_searches.save(db, dora, "x", SearchQuery(words="x"))


def test_saved_searches_stay_out_of_the_public_activity_feed(client: FlaskClient, db: Session, make_user) -> None:
    saved_searches.save(db, make_user("rey"), "secret plans", SearchQuery(words="x"))
    db.flush()
    assert "secret plans" not in client.get("/").text


def test_deleting_the_user_deletes_their_saved_searches(db: Session, make_user) -> None:
    user = make_user("rey")
    saved = saved_searches.save(db, user, "gone soon", SearchQuery(words="x"))
    saved_id = saved.id
    db.delete(user)
    db.flush()
    db.expunge_all()
    assert db.scalar(select(SavedSearch.id).where(SavedSearch.id == saved_id)) is None


# --- the pages ---------------------------------------------------------------------------------


def save_form(page: str) -> dict[str, str]:
    start = page.index('action="/search/saved"')
    form = page[start:page.index("</form>", start)]
    query = form.split('name="query"')[0].rsplit("<input", 1)[1] + form.split('name="query"')[1].split(">")[0]
    value = query.split('value="')[1].split('"')[0].replace("&amp;", "&")
    return {"csrf_token": csrf_token(form), "query": value}


def test_anonymous_readers_are_asked_to_log_in_to_save(client: FlaskClient) -> None:
    page = client.get("/search?q=cells").text
    assert "Log in to save this search" in text_of(page)
    assert 'action="/search/saved"' not in page


def test_saving_from_the_results_page_lists_it_on_the_account_page(client: FlaskClient, make_user) -> None:
    make_user("rey")
    login(client, "rey")
    page = client.get("/search?q=cells+reconnect&project=nova").text
    form = save_form(page)
    assert dict(parse_qsl(form["query"])) == {"q": "cells reconnect", "project": "nova"}
    response = client.post("/search/saved", data=form | {"name": "Cells in nova"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).query == "q=cells+reconnect&project=nova"
    results = client.get(response.headers["Location"]).text
    assert "Search saved as “Cells in nova”" in results
    account = client.get("/account").text
    assert "Saved searches" in account and "Cells in nova" in account
    assert 'href="/search?q=cells+reconnect&amp;project=nova"' in account
    assert "cells reconnect · project nova" in text_of(account)


def test_a_duplicate_name_is_refused_and_what_was_typed_is_kept(client: FlaskClient, db: Session,
                                                                 make_user) -> None:
    user = make_user("rey")
    saved_searches.save(db, user, "Cells", SearchQuery(words="cells"))
    db.flush()
    login(client, "rey")
    form = save_form(client.get("/search?q=cells+v2").text)
    response = client.post("/search/saved", data=form | {"name": "Cells"})
    assert response.status_code == 409
    assert "already have a saved search named “Cells”" in response.text
    assert 'value="Cells"' in response.text and 'value="cells v2"' in response.text  # nothing typed is lost


def test_a_name_is_required(client: FlaskClient, make_user) -> None:
    make_user("rey")
    login(client, "rey")
    form = save_form(client.get("/search?q=cells").text)
    response = client.post("/search/saved", data=form | {"name": ""})
    assert response.status_code == 400 and "give it a name" in response.text


def test_a_save_without_csrf_is_refused(client: FlaskClient, db: Session, make_user) -> None:
    make_user("rey")
    login(client, "rey")
    response = client.post("/search/saved", data={"name": "x", "query": "q=x"})
    assert response.status_code == 400
    assert db.scalars(select(SavedSearch)).all() == []


def test_deleting_from_the_account_page(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("rey")
    saved = saved_searches.save(db, user, "Old one", SearchQuery(words="cells"))
    db.flush()
    login(client, "rey")
    account = client.get("/account").text
    response = client.post(f"/search/saved/{saved.id}/delete", data={"csrf_token": csrf_token(account)})
    assert response.status_code == 302
    page = client.get("/account").text
    assert "Saved search “Old one” deleted." in page and "No saved searches yet" in page


def test_the_account_page_lists_saved_searches_in_one_query(client: FlaskClient, db: Session, make_user,
                                                            count_queries) -> None:
    user = make_user("rey")
    login(client, "rey")
    client.get("/account")
    with count_queries() as none_saved:
        client.get("/account")
    for i in range(10):
        saved_searches.save(db, user, f"search {i}", SearchQuery(words=f"w{i}", project="nova"))
    db.flush()
    with count_queries() as ten_saved:
        client.get("/account")
    assert ten_saved.count == none_saved.count


# --- the API -----------------------------------------------------------------------------------


def test_api_create_list_and_delete(client: FlaskClient, db: Session, make_user) -> None:
    headers = bearer(db, make_user("rey"))
    created = client.post("/api/v1/saved-searches", headers=headers,
                          json={"name": "Heartbeats", "query": {"q": "heartbeat", "project": "neutron"}})
    assert created.status_code == 201
    body = created.json
    assert body is not None and body["name"] == "Heartbeats" and body["query"] == {"q": "heartbeat",
                                                                                 "project": "neutron"}
    assert body["search_url"] == "http://localhost/api/v1/search?q=heartbeat&project=neutron"
    assert body["html_url"] == "http://localhost/search?q=heartbeat&project=neutron"
    listed = client.get("/api/v1/saved-searches", headers=headers).json
    assert listed is not None and [s["id"] for s in listed["items"]] == [body["id"]]
    assert client.delete(f"/api/v1/saved-searches/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/saved-searches", headers=headers).json["items"] == []  # type: ignore[index]
    gone = client.delete(f"/api/v1/saved-searches/{body['id']}", headers=headers)
    assert gone.status_code == 404 and "no saved search" in gone.json["error"]["message"]  # type: ignore[index]


def test_api_someone_elses_saved_search_is_not_found(client: FlaskClient, db: Session, make_user) -> None:
    saved = saved_searches.save(db, make_user("rey"), "mine", SearchQuery(words="x"))
    db.flush()
    response = client.delete(f"/api/v1/saved-searches/{saved.id}", headers=bearer(db, make_user("carlos")))
    assert response.status_code == 404
    assert db.get(SavedSearch, saved.id) is not None


@pytest.mark.parametrize(("body", "status", "named"), [
    ({"name": "x"}, 400, 'Send JSON like {"name"'),
    ({"name": "x", "query": {"q": "x"}, "alert": True}, 400, "Unknown field(s) 'alert'"),
    ({"name": "x", "query": {"q": "x", "sort": "new"}}, 400, "unknown parameter(s) 'sort'"),
    ({"name": "x", "query": {"q": "x", "page": "2"}}, 400, "unknown parameter(s) 'page'"),
    ({"name": "x", "query": {"q": 3}}, 400, "values must be strings: q"),
    ({"name": "x", "query": {"q": "x", "from": "01/02/2024"}}, 400, "from: expected a date as YYYY-MM-DD"),
    ({"name": "", "query": {"q": "x"}}, 400, "Give the search a name"),
    ({"name": "x", "query": {}}, 400, "nothing to save"),
])
def test_api_bad_saved_searches_are_refused_saying_why(client: FlaskClient, db: Session, make_user,
                                                        body: dict[str, object], status: int, named: str) -> None:
    response = client.post("/api/v1/saved-searches", headers=bearer(db, make_user()), json=body)
    assert response.status_code == status
    assert named in response.json["error"]["message"]  # type: ignore[index]
    assert db.scalars(select(SavedSearch)).all() == []


def test_api_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/saved-searches").status_code == 401
    assert client.post("/api/v1/saved-searches", json={"name": "x", "query": {"q": "x"}}).status_code == 401


def test_api_duplicate_name_is_a_409(client: FlaskClient, db: Session, make_user) -> None:
    headers = bearer(db, make_user())
    body = {"name": "same", "query": {"q": "x"}}
    assert client.post("/api/v1/saved-searches", headers=headers, json=body).status_code == 201
    again = client.post("/api/v1/saved-searches", headers=headers, json=body)
    assert again.status_code == 409 and "already have" in again.json["error"]["message"]  # type: ignore[index]
