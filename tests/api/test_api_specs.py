"""API v1 reads: projects, a project's specs (filters, sort, pages), one spec, the description.

Every response here is also checked against ``openapi.yaml`` by the client
(tests/support/openapi_check.py); the last tests prove that check bites.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from portal.api.views import openapi_document
from portal.models import GerritChange, Spec, SpecState
from tests.support.factories import spec_rst
from tests.support.openapi_check import ValidatingClient

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ALL_STATES = "proposed, approved, implemented, backlog, abandoned, not_implemented, retired"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def names(body: dict) -> list[str]:
    return [item["name"] for item in body["items"]]


@pytest.fixture
def nova(db, make_project, make_spec, make_comment):
    nova = make_project("nova", title="Nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
    live = make_spec(name="live-migrate-fast", title="Faster live migration", project=nova, release="2025.1")
    cpu = make_spec(name="cpu-pinning-report", title="Report CPU pinning", project=nova, release="2025.1",
                    state=SpecState.IMPLEMENTED)
    old = make_spec(name="old-idea", title="An old idea", project=nova, release=None, state=SpecState.BACKLOG)
    logs = make_spec(name="migrate-logs", title="Keep logs", project=nova, release="2024.2")
    lp = Spec(project_id=nova.id, name="lp-only", title="Only on Launchpad", state="proposed",
              blueprint_url="https://blueprints.launchpad.net/nova/+spec/lp-only", lp_definition_status="New")
    db.add(lp)
    db.flush()
    db.add(GerritChange(spec_id=live.id, repo="openstack/nova-specs", change_number=900001, change_id="I" + "1" * 40,
                      status="NEW", subject="Propose live-migrate-fast", owner_name="Ada", current_patch_set=3,
                      url="https://review.opendev.org/c/900001",
                      labels=[{"label": "Code-Review", "value": 2, "by": "Ada"}]))
    cpu.lp_definition_status = "Approved"
    for _ in range(3):
        make_comment(live, "hi")
    make_comment(logs, "hi")
    for i, spec in enumerate((live, cpu, old, logs, lp)):
        spec.last_activity_at = T0 - timedelta(days=i)
    db.flush()
    return nova


# --- projects --------------------------------------------------------------------


def test_projects_lists_each_project_with_its_spec_counts(client, nova, make_project):
    make_project("cinder", title="Cinder")

    response = client.get("/api/v1/projects")

    assert response.status_code == 200
    body = response.get_json()
    assert [p["name"] for p in body["items"]] == ["cinder", "nova"]
    cinder, nova_ = body["items"]
    assert cinder["spec_count"] == 0 and cinder["specs_by_state"] == {}
    assert nova_ == {
        "name": "nova", "title": "Nova", "description": "", "gerrit_repo": "openstack/nova-specs",
        "launchpad": "nova", "launchpad_names": ["nova"], "code_repos": [], "spec_count": 5,
        "specs_by_state": {"approved": 2, "implemented": 1, "backlog": 1, "proposed": 1},
        "url": "http://localhost/api/v1/projects/nova/specs", "html_url": "http://localhost/projects/nova",
    }
    assert body["meta"] == {"page": 1, "per_page": 2, "total": 2, "pages": 1}
    assert body["links"] == {"self": "http://localhost/api/v1/projects", "next": None, "prev": None}


def test_projects_when_there_are_none(client):
    body = client.get("/api/v1/projects").get_json()

    assert body["items"] == []
    assert body["meta"]["total"] == 0


# --- a project's specs ---------------------------------------------------------------


def test_spec_list_envelope_and_item(client, nova):
    response = client.get("/api/v1/projects/nova/specs")

    assert response.status_code == 200
    body = response.get_json()
    assert names(body) == ["live-migrate-fast", "cpu-pinning-report", "old-idea", "migrate-logs", "lp-only"]
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 5, "pages": 1}
    assert body["links"] == {"self": "http://localhost/api/v1/projects/nova/specs?page=1", "next": None, "prev": None}
    live = body["items"][0]
    assert live == {
        "name": "live-migrate-fast", "title": "Faster live migration",
        "summary": "Faster live migration helps operators.", "state": "approved", "release": "2025.1",
        "blueprint_url": "https://blueprints.launchpad.net/nova/+spec/live-migrate-fast", "launchpad": None,
        "last_activity_at": "2025-03-01T12:00:00Z",
        "url": "http://localhost/api/v1/projects/nova/specs/live-migrate-fast",
        "html_url": "http://localhost/projects/nova/specs/live-migrate-fast",
        "comment_count": 3, "has_gerrit": True, "checklist": None,
    }
    cpu = body["items"][1]
    assert cpu["launchpad"]["definition_status"] == "Approved"
    assert cpu["has_gerrit"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=approved", {"live-migrate-fast", "migrate-logs"}),
        ("release=2025.1", {"live-migrate-fast", "cpu-pinning-report"}),
        ("release=none", {"old-idea", "lp-only"}),
        ("source=file", {"live-migrate-fast", "cpu-pinning-report", "old-idea", "migrate-logs"}),
        ("source=gerrit", {"live-migrate-fast"}),
        ("source=launchpad", {"cpu-pinning-report", "lp-only"}),
        ("q=MIGRAT", {"live-migrate-fast", "migrate-logs"}),
        ("q=_", set()),  # _ is a literal, not a LIKE wildcard
        ("state=approved&release=2025.1", {"live-migrate-fast"}),
        ("source=launchpad&release=none&q=only", {"lp-only"}),
    ],
)
def test_spec_list_filters(client, nova, query, expected):
    body = client.get(f"/api/v1/projects/nova/specs?{query}").get_json()

    assert set(names(body)) == expected
    assert body["meta"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=name", ["cpu-pinning-report", "live-migrate-fast", "lp-only", "migrate-logs", "old-idea"]),
        ("sort=name&order=desc", ["old-idea", "migrate-logs", "lp-only", "live-migrate-fast", "cpu-pinning-report"]),
        ("sort=title", ["old-idea", "live-migrate-fast", "migrate-logs", "lp-only", "cpu-pinning-report"]),
        ("sort=release&order=asc", ["lp-only", "old-idea", "migrate-logs", "cpu-pinning-report", "live-migrate-fast"]),
        ("sort=state", ["live-migrate-fast", "migrate-logs", "old-idea", "cpu-pinning-report", "lp-only"]),
        ("sort=comments", ["live-migrate-fast", "migrate-logs", "cpu-pinning-report", "lp-only", "old-idea"]),
        ("sort=activity&order=asc", ["lp-only", "migrate-logs", "old-idea", "cpu-pinning-report", "live-migrate-fast"]),
    ],
)
def test_spec_list_sorts(client, nova, query, expected):
    assert names(client.get(f"/api/v1/projects/nova/specs?{query}").get_json()) == expected


def test_spec_list_pages_follow_next_and_prev_links_keeping_the_query(client, nova):
    url: str | None = "/api/v1/projects/nova/specs?source=file&sort=name&order=desc&per_page=3"

    first = client.get(url).get_json()
    assert names(first) == ["old-idea", "migrate-logs", "live-migrate-fast"]
    assert first["meta"] == {"page": 1, "per_page": 3, "total": 4, "pages": 2}
    assert first["links"]["prev"] is None
    assert query_of(first["links"]["next"]) == {
        "source": "file", "sort": "name", "order": "desc", "per_page": "3", "page": "2"}

    second = client.get(first["links"]["next"]).get_json()
    assert names(second) == ["cpu-pinning-report"]
    assert second["meta"]["page"] == 2
    assert second["links"]["next"] is None
    assert query_of(second["links"]["self"])["page"] == "2"

    back = client.get(second["links"]["prev"]).get_json()
    assert back == first | {"links": back["links"]}
    assert names(back) == names(first)


def test_spec_list_past_the_last_page_is_empty(client, nova):
    body = client.get("/api/v1/projects/nova/specs?page=4&per_page=2").get_json()

    assert body["items"] == []
    assert body["meta"] == {"page": 4, "per_page": 2, "total": 5, "pages": 3}
    assert body["links"]["next"] is None
    assert query_of(body["links"]["prev"])["page"] == "3"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=bogus", f"Unknown state 'bogus'. Allowed: {ALL_STATES}."),
        ("source=svn", "Unknown source 'svn'. Allowed: file, gerrit, launchpad."),
        ("sort=size", "Unknown sort 'size'. Allowed: activity, name, title, release, state, comments, score."),
        ("order=sideways", "Unknown order 'sideways'. Allowed: asc, desc."),
        ("page=x", "page must be a whole number >= 1."),
        ("per_page=0", "per_page must be a whole number >= 1."),
        ("per_page=201", "per_page can be at most 200."),
        ("per_page=100000", "per_page can be at most 200."),
    ],
)
def test_spec_list_rejects_a_bad_parameter_naming_the_allowed_values(client, nova, query, message):
    response = client.get(f"/api/v1/projects/nova/specs?{query}")

    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "invalid_input", "message": message}}


def test_spec_list_per_page_200_is_allowed(client, nova):
    response = client.get("/api/v1/projects/nova/specs?per_page=200")

    assert response.status_code == 200
    assert response.get_json()["meta"]["per_page"] == 200


def test_spec_list_of_unknown_project_is_404(client, nova):
    response = client.get("/api/v1/projects/glance/specs")

    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert "No project named 'glance'. Known projects: nova." in error["message"]


# --- one spec ----------------------------------------------------------------------------


@pytest.fixture
def reproposed(db, nova, make_spec):
    text = spec_rst("Faster live migration", "live-migrate-fast", "nova", {
        "Problem description": "Slow in 2025.2.\n\nUse cases\n---------\n\nDrain hosts.",
        "Proposed change": "Do.",
    })
    make_spec(name="live-migrate-fast", project=nova, release="2025.2", text=text)
    spec = db.query(Spec).filter_by(project_id=nova.id, name="live-migrate-fast").one()
    spec.lp_title = "Faster live migration"
    spec.lp_definition_status = "Approved"
    spec.lp_implementation_status = "Started"
    spec.lp_priority = "High"
    spec.lp_approver = "sean"
    spec.lp_assignee = "ada"
    spec.lp_milestone = "2025.2-m1"
    spec.lp_whiteboard = "Needs ops input."
    spec.lp_created_at = T0
    db.add(GerritChange(spec_id=spec.id, repo="openstack/nova-specs", change_number=900002, change_id="I" + "2" * 40,
                      status="MERGED", subject="Re-propose for 2025.2", owner_name="Ada", current_patch_set=1,
                      approved_by="sean", submitted_at=T0, created_at=T0, updated_at=T0))
    db.flush()
    return spec


def test_spec_detail_has_launchpad_fields_reviews_history_and_document(client, reproposed):
    response = client.get("/api/v1/projects/nova/specs/live-migrate-fast")

    assert response.status_code == 200
    body = response.get_json()
    assert body["project"] == "nova"
    assert body["release"] == "2025.2" and body["state"] == "approved"
    assert body["comment_count"] == 3 and body["has_gerrit"] is True
    assert body["launchpad"] == {
        "url": "https://blueprints.launchpad.net/nova/+spec/live-migrate-fast", "title": "Faster live migration",
        "definition_status": "Approved", "implementation_status": "Started", "priority": "High",
        "approver": "sean", "assignee": "ada", "milestone": "2025.2-m1", "whiteboard": "Needs ops input.",
        "created_at": "2025-03-01T12:00:00Z",
    }
    assert [(r["change_number"], r["status"]) for r in body["reviews"]] == [(900001, "NEW"), (900002, "MERGED")]
    assert body["reviews"][0]["labels"] == [{"label": "Code-Review", "value": 2, "by": "Ada"}]
    assert body["reviews"][1] | {"created_at": None, "updated_at": None} == {
        "change_number": 900002, "change_id": "I" + "2" * 40, "repo": "openstack/nova-specs", "status": "MERGED",
        "subject": "Re-propose for 2025.2", "owner": "Ada", "current_patch_set": 1, "url": None, "labels": [],
        "approved_by": "sean", "created_at": None, "updated_at": None, "submitted_at": "2025-03-01T12:00:00Z",
    }
    assert [(r["release"], r["path"]) for r in body["release_history"]] == [
        ("2025.2", "specs/2025.2/approved/live-migrate-fast.rst"),
        ("2025.1", "specs/2025.1/approved/live-migrate-fast.rst"),
    ]
    assert all(r["source"] == "file" and r["parse_error"] is None for r in body["release_history"])
    assert body["document"] == {
        "title": "Faster live migration",
        "path": "specs/2025.2/approved/live-migrate-fast.rst",
        "parse_error": None,
        "sections": [
            {"path": ["Problem description"], "anchor": "s-problem-description"},
            {"path": ["Problem description", "Use cases"], "anchor": "s-use-cases"},
            {"path": ["Proposed change"], "anchor": "s-proposed-change"},
        ],
    }


def test_spec_detail_section_anchors_exist_on_the_spec_page(client, reproposed):
    body = client.get("/api/v1/projects/nova/specs/live-migrate-fast").get_json()
    page = client.get(body["html_url"]).get_data(as_text=True)

    for section in body["document"]["sections"]:
        assert f'id="{section["anchor"]}"' in page


def test_spec_detail_of_a_launchpad_only_blueprint(client, nova):
    body = client.get("/api/v1/projects/nova/specs/lp-only").get_json()

    assert body["document"] is None
    assert body["release_history"] == [] and body["reviews"] == []
    assert body["launchpad"]["definition_status"] == "New"
    assert body["release"] is None


def test_unknown_spec_is_a_json_404_naming_the_project_page(client, nova):
    response = client.get("/api/v1/projects/nova/specs/no-such-spec")

    assert response.status_code == 404
    assert response.get_json() == {"error": {
        "code": "not_found",
        "message": "No spec 'no-such-spec' in project 'nova'. It may have been renamed: "
        "look for it on the nova project page.",
    }}


def test_spec_in_unknown_project_is_a_json_404(client, nova):
    response = client.get("/api/v1/projects/glance/specs/live-migrate-fast")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


# --- the description ------------------------------------------------------------------------


def test_openapi_json_is_a_valid_openapi_3_1_document(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)
    assert {"/projects", "/projects/{project_name}/specs", "/projects/{project_name}/specs/{spec_name}",
            "/openapi.json"} <= set(document["paths"])


def test_openapi_documents_every_sort_key_the_api_accepts(client):
    from portal.specs.listing import SpecSort

    parameters = client.get("/api/v1/openapi.json").get_json()["paths"]["/projects/{project_name}/specs"]["get"][
        "parameters"]
    sort = next(p for p in parameters if p.get("name") == "sort")
    assert sort["schema"]["enum"] == [s.value for s in SpecSort]


# --- the automatic response check bites (keep these last) ---------------------------------------


def _openapi_from(document: dict) -> OpenAPI:
    document = copy.deepcopy(document)
    document["servers"] = [{"url": "http://localhost/api/v1"}]
    return OpenAPI.from_dict(document)


def test_the_client_validated_the_api_responses_of_this_module(client, nova):
    before = len(ValidatingClient.validated)

    client.get("/api/v1/projects/nova/specs?per_page=2")
    client.get("/api/v1/projects/nova/specs?state=bogus")

    assert ValidatingClient.validated[before:] == [
        "GET /api/v1/projects/nova/specs 200",
        "GET /api/v1/projects/nova/specs 400",
    ]


def test_a_response_that_drifts_from_the_document_fails_validation(client, nova):
    response = client.get("/api/v1/projects/nova/specs")  # passed the real document in the client
    request = WerkzeugOpenAPIRequest(response.request)
    real = _openapi_from(openapi_document())
    real.validate_response(request, WerkzeugOpenAPIResponse(response))

    wrong_type = copy.deepcopy(openapi_document())
    wrong_type["components"]["schemas"]["SpecFields"]["properties"]["comment_count"] = {"type": "string"}
    with pytest.raises(OpenAPIError):
        _openapi_from(wrong_type).validate_response(request, WerkzeugOpenAPIResponse(response))

    missing_field = copy.deepcopy(openapi_document())
    missing_field["components"]["schemas"]["SpecFields"]["required"].append("operator_priority")
    with pytest.raises(OpenAPIError):
        _openapi_from(missing_field).validate_response(request, WerkzeugOpenAPIResponse(response))

    undocumented_field = copy.deepcopy(openapi_document())
    del undocumented_field["components"]["schemas"]["SpecFields"]["properties"]["has_gerrit"]
    undocumented_field["components"]["schemas"]["SpecFields"]["required"].remove("has_gerrit")
    with pytest.raises(OpenAPIError):
        _openapi_from(undocumented_field).validate_response(request, WerkzeugOpenAPIResponse(response))


def test_an_error_body_that_drifts_from_the_document_fails_validation(client, nova):
    response = client.get("/api/v1/projects/nova/specs?state=bogus")
    request = WerkzeugOpenAPIRequest(response.request)

    renamed = copy.deepcopy(openapi_document())
    error = renamed["components"]["schemas"]["Error"]["properties"]["error"]
    error["required"] = ["code", "detail"]
    with pytest.raises(OpenAPIError):
        _openapi_from(renamed).validate_response(request, WerkzeugOpenAPIResponse(response))
