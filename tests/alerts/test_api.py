"""``/api/v1/subscriptions``: list, follow, unfollow; clear 400s; others' ids are 404 (checked against openapi)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.models import Project, Spec, Subscription, User


@pytest.fixture
def auth(db: Session, make_user: Callable[..., User]) -> Callable[[User | None], dict[str, str]]:
    def make(user: User | None = None) -> dict[str, str]:
        _, secret = accounts.create_api_token(db, user or make_user(), "alerts")
        db.flush()
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_follow_list_and_unfollow(client: Any, db: Session, make_user: Callable[..., User],
                                  make_spec: Callable[..., Spec], auth: Callable[..., dict[str, str]]) -> None:
    spec = make_spec()
    project = db.get(Project, spec.project_id)
    assert project is not None
    me = make_user()
    headers = auth(me)
    made = client.post("/api/v1/subscriptions", json={"target": {"project": project.name, "spec": spec.name},
                                                      "channel": "digest"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["target"] == {"project": project.name, "spec": spec.name} and body["channel"] == "digest"
    again = client.post("/api/v1/subscriptions", json={"target": {"project": project.name, "spec": spec.name},
                                                       "channel": "digest"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    rule = client.post("/api/v1/subscriptions", headers=headers, json={
        "target": {"rule": {"projects": [project.name], "release": "2026.2", "items": ["upgrade"], "when": "gap"}}})
    assert rule.status_code == 201 and rule.get_json()["channel"] == "email"
    listed = client.get("/api/v1/subscriptions", headers=headers).get_json()["items"]
    assert [s["kind"] for s in listed] == ["spec", "rule"]
    assert client.delete(f"/api/v1/subscriptions/{body['id']}", headers=headers).status_code == 204
    assert db.get(Subscription, body["id"]) is None


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"target": {"project": "no-such"}}, "target.project", "No project named 'no-such'"),
    ({"target": {"project": "P", "spec": "nope"}}, "target.spec", "has no spec named 'nope'"),
    ({"target": {"project": "P"}, "channel": "pigeon"}, "channel", "channel must be one of"),
    ({"target": {"project": "P"}, "channel": "webhook"}, "url", "needs \"url\""),
    ({"target": {"project": "P"}, "channel": "webhook", "url": "http://127.0.0.1/hook"}, "address_not_allowed", ""),
    ({"target": {"rule": {"when": "often"}}}, "target.rule", "when must be one of"),
    ({"target": {"saved_search": 123456}}, "target.saved_search", "No saved search of yours"),
    ({}, "target", "needs a target"),
    ({"target": {"project": "P"}, "colour": 1}, "colour", "Unknown field 'colour'"),
])
def test_bad_fields_are_400_naming_the_field(client: Any, make_project: Callable[..., Project],
                                             auth: Callable[..., dict[str, str]], payload: dict[str, Any],
                                             field: str, words: str) -> None:
    project = make_project()
    text = str(payload).replace("'P'", repr(project.name))
    import ast
    payload = ast.literal_eval(text)
    response = client.post("/api/v1/subscriptions", json=payload, headers=auth())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert words in error["message"]
    assert error["code"] == (field if field == "address_not_allowed" else "invalid_input")


def test_others_ids_are_404_and_no_token_is_401(client: Any, db: Session, make_user: Callable[..., User],
                                                make_project: Callable[..., Project],
                                                auth: Callable[..., dict[str, str]]) -> None:
    owner = make_user()
    sub = Subscription(user_id=owner.id, kind="project", project_id=make_project().id, channel="email")
    db.add(sub)
    db.flush()
    assert client.delete(f"/api/v1/subscriptions/{sub.id}", headers=auth()).status_code == 404
    assert db.get(Subscription, sub.id) is not None
    assert client.get("/api/v1/subscriptions").status_code == 401
