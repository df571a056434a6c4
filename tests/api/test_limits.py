"""Hostile input on the read side and the checklist PUT: bounded, linear, refused with a 400 that says why.

Each case was found by trying the portal as an attacker would: a page number
that overflows the database's integers, a search text cut silently, a
checklist PUT with thousands of answers, a field of the wrong type that was
ignored, and a contract that allowed any string where the server accepts
only the checklist's keys.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.api.views import openapi_document
from portal.checklist import service as checklist
from portal.checklist import template as checklist_template
from portal.checklist.service import MAX_ANSWERS_PER_REQUEST
from portal.models import ChecklistAnswer
from portal.specs.listing import MAX_PAGE, MAX_QUERY_CHARS
from tests.checklist import DRAIN_SECTIONS
from tests.checklist.test_checklist_http import token_for

HUGE_PAGE = "99999999999999999999"  # above 2**63: SQLite raised OverflowError on the OFFSET (a 500)
LIST = "/api/v1/projects/nova/specs"
CHECKLIST = "/api/v1/projects/nova/specs/compute-drain/checklist"


@pytest.fixture
def drain(db, make_project, make_spec):
    spec = make_spec("compute-drain", project=make_project("nova"), title="Compute drain mode", **DRAIN_SECTIONS)
    checklist.refresh_prefill(db, spec)
    db.flush()
    return spec


@pytest.fixture
def reviewer(db, make_user) -> dict[str, str]:
    return token_for(db, make_user("rita", role="reviewer"))


def error_of(response) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"]["code"] == "invalid_input"
    return body["error"]["message"]


def answers_saved(db) -> int:
    return db.scalar(select(func.count()).select_from(ChecklistAnswer).where(ChecklistAnswer.source == "reviewer"))


def keys() -> list[str]:
    return [item.key for item in checklist_template.latest().items]


# --- list arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [HUGE_PAGE, str(MAX_PAGE + 1), "9" * 5000])
def test_an_absurd_page_number_is_a_400_not_a_500(client, drain, page):
    assert error_of(client.get(f"{LIST}?page={page}")) == f"page can be at most {MAX_PAGE}."


def test_a_long_bad_value_is_not_echoed_in_full(client, drain):
    message = error_of(client.get(f"{LIST}?sort={'x' * 5000}"))

    assert message.startswith("Unknown sort 'xxxx") and len(message) < 200


def test_the_largest_page_number_is_an_empty_page(client, drain):
    body = client.get(f"{LIST}?page={MAX_PAGE}&per_page=200").get_json()

    assert body["items"] == [] and body["meta"]["page"] == MAX_PAGE


def test_a_search_text_over_the_limit_is_refused_not_cut(client, drain):
    message = error_of(client.get(f"{LIST}?q={'a' * (MAX_QUERY_CHARS + 50)}"))

    assert message == f"The search text (q) is {MAX_QUERY_CHARS + 50} characters long; it can be at most 200."
    assert client.get(f"{LIST}?q={'a' * MAX_QUERY_CHARS}").status_code == 200


def test_a_release_longer_than_any_release_is_refused(client, drain):
    assert "release can be at most 32 characters" in error_of(client.get(f"{LIST}?release={'9' * 33}"))


@pytest.mark.parametrize("value", ["%2B5", "5_0", "١٢", " 2x", "-1", "1.5"])
def test_page_takes_plain_ascii_digits_only(client, drain, value):
    assert error_of(client.get(f"{LIST}?page={value}")) == "page must be a whole number >= 1."


# --- the contract names exactly what the server accepts ------------------------------------------------


def _list_parameter(name: str) -> dict:
    parameters = openapi_document()["paths"]["/projects/{project_name}/specs"]["get"]["parameters"]
    return next(p for p in parameters if p.get("name") == name)


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return openapi_document()["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _answer_schema() -> dict:
    put = openapi_document()["paths"]["/projects/{project_name}/specs/{spec_name}/checklist"]["put"]
    return put["requestBody"]["content"]["application/json"]["schema"]["properties"]["answers"]


def test_the_gap_filter_accepts_exactly_the_keys_the_document_lists(client, drain):
    documented = _resolve(_list_parameter("gap")["schema"])["enum"]

    assert documented == keys()
    for key in documented:
        assert client.get(f"{LIST}?gap={key}").status_code == 200, key
    assert "Unknown gap 'uptime'" in error_of(client.get(f"{LIST}?gap=uptime"))


def test_a_put_accepts_every_documented_key_and_area_and_nothing_else(client, db, drain, reviewer):
    items = _answer_schema()["items"]
    documented_keys = _resolve(items["properties"]["key"])["enum"]
    documented_areas = _resolve(items["properties"]["area"])["enum"]
    template = checklist_template.latest()

    assert documented_keys == keys()
    assert documented_areas == [area.key for area in template.areas]
    # every documented key, with its documented area, in one PUT
    answers = [{"key": item.key, "state": "n/a", "area": item.area} for item in template.items]
    assert client.put(CHECKLIST, json={"answers": answers}, headers=reviewer).status_code == 200
    assert answers_saved(db) == len(answers)
    assert "Unknown checklist item 'uptime'" in error_of(
        client.put(CHECKLIST, json={"answers": [{"key": "uptime", "state": "n/a"}]}, headers=reviewer))
    assert "Areas: " in error_of(client.put(
        CHECKLIST, json={"answers": [{"key": "upgrade", "state": "n/a", "area": "kitchen"}]}, headers=reviewer))


def test_the_documented_answer_limit_is_the_servers(client):
    assert _answer_schema()["maxItems"] == MAX_ANSWERS_PER_REQUEST
    assert _answer_schema()["items"]["additionalProperties"] is False


# --- the checklist PUT --------------------------------------------------------------------------------


def test_a_put_with_thousands_of_answers_is_refused_before_any_work(client, db, drain, reviewer, count_queries):
    with count_queries() as malformed:  # refused while reading the body: the least a PUT costs
        error_of(client.put(CHECKLIST, json={"answers": [{"state": "addressed"}]}, headers=reviewer))
    answers = [{"key": "upgrade", "state": "addressed"}] * 5000

    with count_queries() as q:
        message = error_of(client.put(CHECKLIST, json={"answers": answers}, headers=reviewer))

    assert message.startswith(f"5000 answers in one request is too many; send at most {MAX_ANSWERS_PER_REQUEST}")
    assert answers_saved(db) == 0
    assert q.count == malformed.count  # no answer was looked at


def test_the_cost_of_a_put_does_not_grow_with_its_answers(client, db, drain, reviewer, count_queries):
    """800 answers took 15 s when each one re-read and re-summarized the whole checklist.

    Now the reads and the summary happen once per request; each answer adds only
    its own row and its event (one INSERT each on SQLite, batched on PostgreSQL).
    """

    def put(count: int) -> tuple[int, int]:
        answers = [{"key": keys()[i % len(keys())], "state": "addressed"} for i in range(count)]
        with count_queries() as q:
            assert client.put(CHECKLIST, json={"answers": answers}, headers=reviewer).status_code == 200
        kinds = [s.lstrip().split(None, 1)[0].upper() for s in q.statements]
        inserts = sum(1 for s in q.statements if s.lstrip().upper().startswith(("INSERT INTO CHECKLIST_ANSWERS",
                                                                                 "INSERT INTO EVENTS")))
        return kinds.count("SELECT"), inserts

    put(1)  # the token's first use is recorded once; the measured requests start equal
    (few_reads, _), (many_reads, many_inserts) = put(2), put(MAX_ANSWERS_PER_REQUEST)

    assert many_reads == few_reads  # the spec, its revisions, prefill and answers: read once per request
    assert many_inserts <= 2 * MAX_ANSWERS_PER_REQUEST  # at most an answer row and an event row per answer
    assert answers_saved(db) == 1 + 2 + MAX_ANSWERS_PER_REQUEST


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"key": "upgrade", "state": "addressed", "area": 5}, "answers[1].area must be a string"),
        ({"key": "upgrade", "state": "addressed", "area": None}, "answers[1].area must be a string"),
        ({"key": "upgrade", "state": "addressed", "note": ["x"]}, "answers[1].note must be a string"),
        ({"key": "upgrade", "state": "addressed", "nte": "typo"}, "answers[1] has unknown field 'nte'"),
        ({"key": "upgrade", "state": "great"}, "answers[1]: Unknown state 'great'."),
    ],
)
def test_a_wrong_field_is_a_400_naming_it_and_saves_nothing(client, db, drain, reviewer, answer, message):
    response = client.put(
        CHECKLIST, json={"answers": [{"key": "testing", "state": "addressed"}, answer]}, headers=reviewer
    )

    assert message in error_of(response)
    assert answers_saved(db) == 0
