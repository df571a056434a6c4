"""Voting as a user does it: the spec page form (no JavaScript), its JSON answer, the API, the profile, errors."""

from __future__ import annotations

import pytest

from portal.accounts import service as accounts
from portal.models import Vote
from portal.votes import profile, service
from portal.votes.service import Priority, VoteInput
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


@pytest.fixture
def nova(make_project, make_spec):
    nova = make_project("nova")
    make_spec(name="fast-evacuate", project=nova, title="Fast evacuate", release="2026.2")
    return nova


def spec_url(name="fast-evacuate"):
    return f"/projects/nova/specs/{name}"


def signed_in(client, make_user, name="rey"):
    make_user(name)
    login(client, name)
    return csrf_token(client.get(spec_url()).get_data(as_text=True))


def test_vote_without_javascript_then_change_and_withdraw(client, db, make_user, nova):
    token = signed_in(client, make_user)
    page = client.get(spec_url()).get_data(as_text=True)
    assert "How much does this matter to you?" in page and "No votes yet" in page
    response = client.post(spec_url() + "/vote", data={
        "csrf_token": token, "priority": "must", "affects_me": "true", "reason": "We drain weekly",
        "links": "https://bugs.launchpad.net/nova/+bug/1\nhttps://etherpad.opendev.org/p/ops"})
    assert response.status_code == 302 and response.location.endswith(spec_url() + "#vote")
    page = client.get(spec_url()).get_data(as_text=True)
    assert "Vote saved: “must have” and that it affects you." in text_of(page)
    assert "Change my vote" in page and "We drain weekly" in page  # the form shows the stored vote
    assert "1 vote:" in text_of(page) and "1 says it affects them" in text_of(page)
    client.post(spec_url() + "/vote", data={"csrf_token": token, "priority": "nice"})
    assert "0 say it affects them" in text_of(client.get(spec_url()).get_data(as_text=True))
    client.post(spec_url() + "/vote/withdraw", data={"csrf_token": token})
    page = client.get(spec_url()).get_data(as_text=True)
    assert "Vote withdrawn." in text_of(page) and "No votes yet" in page
    assert db.query(Vote).count() == 0


def test_the_javascript_path_gets_the_new_tally_as_json(client, make_user, nova):
    token = signed_in(client, make_user)
    response = client.post(spec_url() + "/vote", data={"csrf_token": token, "priority": "important"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["tally"] == {"total": 1, "affects_me": 0,
                             "by_priority": {"must": 0, "important": 1, "nice": 0, "not_needed": 0}}
    assert body["tally_text"] == "1 vote: 1 important. 0 say it affects them."
    assert body["mine"] == {"priority": "important", "affects_me": False}
    bad = client.post(spec_url() + "/vote", data={"csrf_token": token, "priority": "urgent"},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 400
    assert "use one of must, important, nice, not_needed" in bad.get_json()["error"]["message"]


def test_unknown_priority_names_the_values_and_keeps_what_was_typed(client, make_user, nova):
    token = signed_in(client, make_user)
    response = client.post(spec_url() + "/vote", data={"csrf_token": token, "priority": "urgent",
                                                       "reason": "Our reason, kept"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown priority 'urgent': use one of must, important, nice, not_needed." in text_of(page)
    assert "Our reason, kept" in page


def test_vote_on_a_missing_spec_names_the_specs_page(client, make_user, nova, db):
    token = signed_in(client, make_user)
    response = client.post(spec_url("no-such-spec") + "/vote", data={"csrf_token": token, "priority": "must"})
    assert response.status_code == 404
    assert "/projects/nova" in text_of(response.get_data(as_text=True))
    user = db.query(accounts.User).filter_by(username="rey").one()
    _, secret = accounts.create_api_token(db, user, "t")
    api = client.put("/api/v1/projects/nova/specs/no-such-spec/vote", json={"priority": "must"},
                     headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 404
    message = api.get_json()["error"]["message"]
    assert "No spec 'no-such-spec' in project 'nova'" in message and "/projects/nova" in message


def test_anonymous_readers_are_asked_to_log_in(client, nova):
    page = client.get(spec_url()).get_data(as_text=True)
    assert "Log in to vote" in page and 'name="priority"' not in page
    assert client.put("/api/v1/projects/nova/specs/fast-evacuate/vote", json={"priority": "must"}).status_code == 401


def test_api_put_delete_and_the_tally_in_the_spec(client, db, make_user, nova):
    user = make_user("carlos")
    profile.save_profile(db, user, profile.parse_profile({"release_in_production": "2025.2",
                                                          "hypervisors": "501-1000"}))
    _, secret = accounts.create_api_token(db, user, "t")
    auth = {"Authorization": f"Bearer {secret}"}
    url = "/api/v1/projects/nova/specs/fast-evacuate"
    response = client.put(url + "/vote", headers=auth, json={
        "priority": "must", "affects_me": True, "reason": "HA", "links": ["https://lists.openstack.org/x"]})
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("priority", "affects_me", "reason", "links")} == {
        "priority": "must", "affects_me": True, "reason": "HA", "links": ["https://lists.openstack.org/x"]}
    assert body["context"]["release_in_production"] == "2025.2" and body["context"]["hypervisors"] == "501-1000"
    assert client.get(url).get_json()["votes"] == {
        "total": 1, "affects_me": 1, "by_priority": {"must": 1, "important": 0, "nice": 0, "not_needed": 0}}
    bad = client.put(url + "/vote", headers=auth, json={"priority": "urgent"})
    assert bad.status_code == 400
    message = bad.get_json()["error"]["message"]
    assert message == "Unknown priority 'urgent': use one of must, important, nice, not_needed."
    unknown = client.put(url + "/vote", headers=auth, json={"priority": "must", "weight": 9})
    assert "a vote has only priority, affects_me, reason, links" in unknown.get_json()["error"]["message"]
    assert client.delete(url + "/vote", headers=auth).status_code == 204
    assert client.delete(url + "/vote", headers=auth).status_code == 204  # nothing left: still no vote
    assert client.get(url).get_json()["votes"]["total"] == 0


def test_api_demand_ranks_with_segments_and_names_bad_filters(client, db, make_user, make_spec, nova):
    other = make_spec(name="quota-report", project=nova, release="2026.2")
    spec = db.query(service.Spec).filter_by(name="fast-evacuate").one()
    for i, (priority, band) in enumerate([("must", "1001-5000"), ("must", "1-10"), ("nice", "1-10")]):
        user = make_user(f"op{i}")
        profile.save_profile(db, user, profile.parse_profile({"hypervisors": band}))
        service.cast(db, user, spec if i < 2 else other, VoteInput(Priority(priority)))
    body = client.get("/api/v1/projects/nova/demand?release=2026.2").get_json()
    assert [(i["name"], i["score"], i["votes"]["total"]) for i in body["items"]] == [
        ("fast-evacuate", 6, 2), ("quota-report", 1, 1)]
    assert body["items"][0]["review_state"] is None and body["meta"]["total"] == 2
    big = client.get("/api/v1/projects/nova/demand?min_hypervisors=501").get_json()
    assert [(i["name"], i["score"]) for i in big["items"]] == [("fast-evacuate", 3)]
    bad = client.get("/api/v1/projects/nova/demand?tool=ansible&affects_me=sometimes")
    assert bad.status_code == 400
    message = bad.get_json()["error"]["message"]
    assert "tool must be one of kolla-ansible" in message and "affects_me must be true or false" in message


def test_deployment_profile_is_saved_and_a_bad_one_keeps_the_form(client, db, make_user, nova):
    signed_in(client, make_user)
    page = client.get("/account").get_data(as_text=True)
    assert "Your deployment" in page
    token = csrf_token(page)
    bad = client.post("/account/deployment", data={"csrf_token": token, "organisation": "Example Cloud",
                                                   "hypervisors": "huge"})
    assert bad.status_code == 400
    assert "Unknown hypervisors 'huge': use one of 1-10" in text_of(bad.get_data(as_text=True))
    assert 'value="Example Cloud"' in bad.get_data(as_text=True)
    ok = client.post("/account/deployment", data={
        "csrf_token": token, "organisation": "Example Cloud", "show_organisation": "on",
        "release_in_production": "2025.2", "deployment_tool": "kolla-ansible", "backends": "ceph, ovn",
        "hypervisors": "501-1000", "projects": "101-1000"})
    assert ok.status_code == 302
    user = db.query(accounts.User).filter_by(username="rey").one()
    saved = profile.snapshot(profile.get_profile(db, user.id))
    assert saved == {"organisation": "Example Cloud", "show_organisation": True, "release_in_production": "2025.2",
                     "deployment_tool": "kolla-ansible", "backends": ["ceph", "ovn"], "hypervisors": "501-1000",
                     "projects": "101-1000"}
    assert "Deployment profile saved." in text_of(client.get("/account").get_data(as_text=True))


def test_blocked_user_sees_why_they_cannot_vote(client, db, make_user, nova):
    from portal.clock import now

    user = make_user("blocked")
    login(client, "blocked")
    user.blocked_at = now()
    db.flush()
    page = text_of(client.get(spec_url()).get_data(as_text=True))
    assert "Your account is blocked from posting, so it cannot vote" in page
