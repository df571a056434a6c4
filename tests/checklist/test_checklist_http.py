"""The checklist on the spec page, in the project list, and through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.checklist import service as checklist
from portal.models import ChecklistAnswer
from tests.checklist import DRAIN_SECTIONS
from tests.support.factories import login
from tests.support.html import csrf_token, text_of

SECTIONS = DRAIN_SECTIONS


@pytest.fixture
def drain(db, make_project, make_spec):
    project = make_project("nova")
    spec = make_spec("compute-drain", project=project, title="Compute drain mode", **SECTIONS)
    tidy = make_spec(
        "tidy-spec",
        project=project,
        title="Tidy spec",
        **{
            "Upgrade impact": "Rolling upgrade: old computes ignore the new field.",
            "Testing": "Unit tests.",
        },
    )
    checklist.refresh_prefill(db, spec)
    checklist.refresh_prefill(db, tidy)
    db.flush()
    return spec


def token_for(db, user) -> dict[str, str]:
    _, secret = accounts.create_api_token(db, user, "tests")
    db.flush()
    return {"Authorization": f"Bearer {secret}"}


def test_spec_page_shows_the_checklist_with_evidence_and_concerns(client, drain) -> None:
    html = client.get("/projects/nova/specs/compute-drain").get_data(as_text=True)
    text = text_of(html)
    assert "Operability checklist" in text
    assert 'id="item-upgrade"' in html
    assert "Proposed change > Upgrade impact" in text or "Upgrade impact: “None”" in text
    assert "The data model changes (a schema migration) but the spec says nothing about upgrades" in text
    assert "prefill" in text  # not yet confirmed by a reviewer
    assert "Gaps first" in text
    # The section heading in the spec text carries its checklist state.
    assert 'class="heading-badges"' in html
    assert 'href="#item-upgrade"' in html


def test_operators_see_no_answer_form_and_cannot_post_one(client, db, drain, make_user) -> None:
    make_user("rey", role="operator")
    login(client, "rey")
    page = client.get("/projects/nova/specs/compute-drain")
    assert "Confirm or correct" not in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))  # the logout form's token is valid for the session
    before = db.scalar(select(ChecklistAnswer.id).order_by(ChecklistAnswer.id.desc()).limit(1))
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/upgrade",
        data={"csrf_token": token, "upgrade-state": "addressed", "upgrade-note": ""},
    )
    assert response.status_code == 403
    assert "reviewer" in text_of(response.get_data(as_text=True))
    assert db.scalar(select(ChecklistAnswer.id).order_by(ChecklistAnswer.id.desc()).limit(1)) == before


def test_a_reviewer_answers_an_item_and_sees_it_confirmed(client, db, drain, make_user) -> None:
    make_user("rita", role="reviewer", display_name="Rita R")
    login(client, "rita")
    page = client.get("/projects/nova/specs/compute-drain").get_data(as_text=True)
    assert "Confirm or correct" in page
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/upgrade",
        data={
            "csrf_token": csrf_token(page),
            "upgrade-state": "concern",
            "upgrade-note": "Ask for an online migration plan.",
        },
        follow_redirects=True,
    )
    text = text_of(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Saved: “Upgrade” is now concern." in text, text[text.find("Upgrade"):][:600]
    assert "Ask for an online migration plan." in text
    assert "by Rita R" in text
    rows = list(
        db.scalars(
            select(ChecklistAnswer).where(ChecklistAnswer.item_key == "upgrade", ChecklistAnswer.spec_id == drain.id)
        )
    )
    assert [r.source for r in rows] == ["prefill", "reviewer"]


def test_a_refused_answer_keeps_what_the_reviewer_typed(client, db, drain, make_user) -> None:
    make_user("rita", role="reviewer")
    login(client, "rita")
    page = client.get("/projects/nova/specs/compute-drain").get_data(as_text=True)
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/rollback",
        data={"csrf_token": csrf_token(page), "rollback-state": "bogus", "rollback-note": "My careful note"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not saved" in text_of(html)
    assert "My careful note" in html  # nothing the reviewer typed is lost
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/rollback",
        data={"csrf_token": csrf_token(page), "rollback-state": "concern", "rollback-note": ""},
    )
    assert response.status_code == 400
    assert "Say why in the note" in text_of(response.get_data(as_text=True))


def test_project_page_shows_scores_and_filters_by_gap(client, drain) -> None:
    html = client.get("/projects/nova").get_data(as_text=True)
    assert "Operability" in html and "score-badge" in html
    filtered = text_of(client.get("/projects/nova?gap=upgrade").get_data(as_text=True))
    assert "Compute drain mode" in filtered
    assert "Tidy spec" not in filtered
    assert "1 spec match the filter" in filtered
    bad = text_of(client.get("/projects/nova?gap=uptime").get_data(as_text=True))
    assert "Unknown gap 'uptime'. Allowed: monitoring" in bad


def test_api_reads_the_checklist_and_the_list_summarises_it(client, drain) -> None:
    body = client.get("/api/v1/projects/nova/specs/compute-drain/checklist").get_json()
    upgrade = next(i for i in body["items"] if i["key"] == "upgrade")
    assert upgrade["state"] == "none" and upgrade["source"] == "prefill"
    assert upgrade["concerns"][0]["rule"] == "schema_without_upgrade"
    assert "upgrade" in body["gaps"]
    detail = client.get("/api/v1/projects/nova/specs/compute-drain").get_json()
    assert detail["checklist"]["score"] == body["score"]
    assert detail["checklist"]["url"].endswith("/api/v1/projects/nova/specs/compute-drain/checklist")
    listed = client.get("/api/v1/projects/nova/specs?gap=upgrade").get_json()
    assert [s["name"] for s in listed["items"]] == ["compute-drain"]
    assert "upgrade" in listed["items"][0]["checklist"]["gaps"]


def test_api_put_needs_a_reviewer_token(client, db, drain, make_user) -> None:
    payload = {"answers": [{"key": "upgrade", "state": "addressed"}]}
    url = "/api/v1/projects/nova/specs/compute-drain/checklist"
    assert client.put(url, json=payload).status_code == 401
    operator = token_for(db, make_user("rey", role="operator"))
    refused = client.put(url, json=payload, headers=operator)
    assert refused.status_code == 403
    assert "reviewer" in refused.get_json()["error"]["message"]
    reviewer = token_for(db, make_user("rita", role="reviewer"))
    saved = client.put(
        url,
        json={
            "answers": [
                {"key": "upgrade", "state": "addressed", "note": "Expand/contract plan added."},
                {"key": "rollback", "state": "n/a", "area": "lifecycle"},
            ]
        },
        headers=reviewer,
    )
    assert saved.status_code == 200
    items = {i["key"]: i for i in saved.get_json()["items"]}
    assert items["upgrade"]["source"] == "reviewer" and items["upgrade"]["answered_by"] == "rita"
    assert [h["state"] for h in items["upgrade"]["history"]] == ["none", "addressed"]
    assert items["rollback"]["state"] == "n/a"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {"key": "upgrade", "state": "great"},
            "Unknown state 'great'. Allowed: addressed, none, missing, concern, n/a.",
        ),
        (
            {"key": "upgrade", "state": "addressed", "area": "design"},
            "is in area 'lifecycle', not 'design'. Areas: monitoring",
        ),
        ({"key": "uptime", "state": "addressed"}, "Unknown checklist item 'uptime'. Allowed: monitoring"),
        ({"state": "addressed"}, "answers[1] needs a string 'key' and a string 'state'."),
    ],
)
def test_api_bad_answers_get_400_naming_the_allowed_values(client, db, drain, make_user, answer, message) -> None:
    reviewer = token_for(db, make_user("rita", role="reviewer"))
    before = db.scalar(select(ChecklistAnswer.id).order_by(ChecklistAnswer.id.desc()).limit(1))
    response = client.put(
        "/api/v1/projects/nova/specs/compute-drain/checklist",
        json={"answers": [{"key": "testing", "state": "addressed"}, answer]},
        headers=reviewer,
    )
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    # All or nothing: the valid first answer was not saved either.
    assert db.scalar(select(ChecklistAnswer.id).order_by(ChecklistAnswer.id.desc()).limit(1)) == before


def test_api_malformed_body_says_what_to_send(client, db, drain, make_user) -> None:
    reviewer = token_for(db, make_user("rita", role="reviewer"))
    response = client.put(
        "/api/v1/projects/nova/specs/compute-drain/checklist",
        data="{nope",
        headers=reviewer | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert '{"answers": [{"key": "upgrade"' in response.get_json()["error"]["message"]
