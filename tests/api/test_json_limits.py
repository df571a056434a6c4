"""JSON bodies the portal cannot use answer 400 with a clear error, never a 500.

A lone surrogate is valid JSON but not text (the database cannot store it);
a deeply nested body makes Python's parser raise ``RecursionError``. Both
are handled in ``portal.http.json_body`` for every endpoint that reads JSON.
"""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.checklist import service as checklist
from portal.http.json_body import MAX_JSON_DEPTH, InvalidJSON, parse_json_body
from portal.models import ChecklistAnswer

URL = "/api/v1/projects/nova/specs/compute-drain/checklist"


@pytest.fixture
def reviewer(db: Session, make_user, make_project, make_spec) -> dict[str, str]:
    spec = make_spec("compute-drain", project=make_project("nova"), title="Compute drain mode")
    checklist.refresh_prefill(db, spec)
    _, secret = accounts.create_api_token(db, make_user("rita", role="reviewer"), "tests")
    db.flush()
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


def put(client: FlaskClient, headers: dict[str, str], body: str | bytes):
    return client.put(URL, data=body, headers=headers)


def answers_saved(db: Session) -> int:
    return len(db.scalars(select(ChecklistAnswer.id).where(ChecklistAnswer.source == "reviewer")).all())


def test_a_lone_surrogate_in_a_string_is_a_400(client: FlaskClient, db: Session, reviewer: dict[str, str]) -> None:
    body = '{"answers": [{"key": "upgrade", "state": "addressed", "note": "half an emoji \\ud800"}]}'

    response = put(client, reviewer, body)

    assert response.status_code == 400
    assert response.get_json() == {
        "error": {
            "code": "invalid_json",
            "message": "The JSON body holds a lone surrogate ('\\ud800'), which is not text. "
            "Send real characters (escape pairs like \\ud83d\\ude00 are fine).",
        }
    }
    assert answers_saved(db) == 0


def test_a_surrogate_pair_is_an_ordinary_character(client: FlaskClient, db: Session, reviewer: dict[str, str]) -> None:
    body = '{"answers": [{"key": "upgrade", "state": "addressed", "note": "works \\ud83d\\ude00"}]}'

    response = put(client, reviewer, body)

    assert response.status_code == 200
    items = {item["key"]: item for item in response.get_json()["items"]}
    assert items["upgrade"]["note"] == "works \U0001f600"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_a_deeply_nested_body_is_a_400(client: FlaskClient, db: Session, reviewer: dict[str, str], depth: int) -> None:
    body = '{"answers": ' + "[" * depth + "]" * depth + "}"

    response = put(client, reviewer, body)

    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "invalid_json",
        "message": f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects.",
    }


def test_a_body_that_is_not_utf8_is_a_400(client: FlaskClient, reviewer: dict[str, str]) -> None:
    body = b'{"answers": [{"key": "upgrade", "state": "addressed", "note": "\xff"}]}'

    offset = body.index(b"\xff")

    response = put(client, reviewer, body)

    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "invalid_json",
        "message": f"The request body is not UTF-8 (invalid byte at offset {offset}). "
        "Send JSON encoded as UTF-8.",
    }


def test_parse_json_body_limits() -> None:
    assert parse_json_body(b'{"a": [1, {"b": "\\u00e9"}]}') == {"a": [1, {"b": "\u00e9"}]}
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json_body(nested.encode()) == json.loads(nested)  # exactly the limit is fine
    with pytest.raises(InvalidJSON):
        parse_json_body(b'{"\\udc00": 1}')  # in a key as well
    with pytest.raises(ValueError):
        parse_json_body(b"{nope")  # plain syntax errors are left to the caller (silent=True gives None)
