"""The Gerrit client against the fake Gerrit on 127.0.0.1: paging, auth, prefix, base64, retries, bad pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.errors import RemoteRequestFailed
from portal.importers import gerrit as gerrit_module
from portal.importers.gerrit import GerritClient
from portal.net import RetryPolicy
from portal.settings import Settings
from tests.importers.gerrit.fake_gerrit import FakeChange, FakeGerrit
from tests.support.http_server import Reply
from tests.support.waits import Waits

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fill(gerrit: FakeGerrit, count: int) -> None:
    for number in range(1, count + 1):
        gerrit.add(FakeChange(number, {f"specs/2026.1/approved/s{number}.rst": f"S{number}\n"},
                              T0 + timedelta(minutes=number)))


def test_paging_follows_what_arrives_when_the_server_caps_n(gerrit: FakeGerrit,
                                                          gerrit_client: GerritClient) -> None:
    fill(gerrit, 7)
    gerrit.cap = 3
    pages = list(gerrit_client.query("openstack/nova-specs", page_size=5))
    numbers = [c.number for p in pages for c in p.changes]
    assert numbers == [7, 6, 5, 4, 3, 2, 1]  # newest first, none lost, none twice
    assert [(q["n"], q["S"]) for q in gerrit.queries] == [(["5"], ["0"]), (["5"], ["3"]), (["5"], ["6"])]
    assert gerrit.queries[0]["o"] == list(gerrit_module.QUERY_OPTIONS)
    assert gerrit.queries[0]["q"] == ["project:openstack/nova-specs"]
    seen = gerrit.server.requests[0]
    assert seen.path.startswith("/changes/?") and "authorization" not in seen.headers  # anonymous


def test_after_bounds_the_query(gerrit: FakeGerrit, gerrit_client: GerritClient) -> None:
    fill(gerrit, 5)
    pages = list(gerrit_client.query("openstack/nova-specs", after=T0 + timedelta(minutes=4)))
    assert [c.number for p in pages for c in p.changes] == [5, 4]  # inclusive, like Gerrit
    assert gerrit.queries[0]["q"] == ['project:openstack/nova-specs after:"2026-03-01 12:04:00"']


def test_authenticated_requests_use_a_and_basic_auth(gerrit: FakeGerrit, settings: Settings) -> None:
    fill(gerrit, 1)
    gerrit.user, gerrit.password = "bob-bot", "s3cret-tøken"
    configured = settings.with_overrides(gerrit_url=gerrit.url, gerrit_user="bob-bot", gerrit_password="s3cret-tøken")
    client = gerrit_module.client_from_settings(configured)
    with client.http:
        pages = list(client.query("openstack/nova-specs"))
        change = pages[0].changes[0]
        text = client.file_content(change, change.current_revision.sha, "specs/2026.1/approved/s1.rst")
    assert text == "S1\n"
    assert all(r.path.startswith("/a/") for r in gerrit.server.requests)
    assert gerrit.server.requests[0].headers["authorization"].startswith("Basic ")


def test_anonymous_client_is_refused_by_a_server_that_wants_auth(gerrit: FakeGerrit,
                                                                gerrit_client: GerritClient) -> None:
    gerrit.user, gerrit.password = "bob-bot", "pw"
    with pytest.raises(RemoteRequestFailed, match="401"):
        list(gerrit_client.query("openstack/nova-specs"))


def test_base64_unicode_content_and_a_missing_file(gerrit: FakeGerrit, gerrit_client: GerritClient) -> None:
    text = "Ünïcode spéc — 雪\n"
    change = gerrit.add(FakeChange(9, {"specs/2026.1/approved/ü.rst": text}, T0))
    mapped = next(iter(gerrit_client.query("openstack/nova-specs"))).changes[0]
    assert gerrit_client.file_content(mapped, change.sha, "specs/2026.1/approved/ü.rst") == text
    assert gerrit_client.file_content(mapped, change.sha, "specs/other.rst") is None
    content_request = gerrit.server.requests[1].path
    assert "/files/specs%2F2026.1%2Fapproved%2F%C3%BC.rst/content" in content_request


def test_a_429_with_retry_after_is_waited_out(gerrit: FakeGerrit, gerrit_client: GerritClient, waits: Waits) -> None:
    fill(gerrit, 2)
    gerrit.faults[1] = Reply(429, "Too many requests", {"Retry-After": "7", "Content-Type": "text/plain"})
    pages = list(gerrit_client.query("openstack/nova-specs"))
    assert [c.number for c in pages[0].changes] == [2, 1]
    assert waits == [7.0]  # the fake sleep: the suite does not wait


def test_a_malformed_page_names_the_url(gerrit: FakeGerrit, gerrit_client: GerritClient) -> None:
    fill(gerrit, 1)
    gerrit.faults[1] = Reply(200, ")]}'\n[{\"_number\": ", {"Content-Type": "application/json"})
    with pytest.raises(RemoteRequestFailed) as caught:
        list(gerrit_client.query("openstack/nova-specs"))
    assert caught.value.reason == "malformed"
    assert f"GET {gerrit.url}/changes/?q=project" in caught.value.message
    assert "PORTAL_GERRIT_URL" in caught.value.message


def test_a_page_that_is_json_but_not_changes_names_the_field(gerrit: FakeGerrit,
                                                            gerrit_client: GerritClient) -> None:
    gerrit.faults[1] = Reply(200, ")]}'\n[{\"_number\": 5, \"status\": \"NEW\"}]", {"Content-Type": "application/json"})
    with pytest.raises(RemoteRequestFailed, match=r"change \[0\]: created"):
        list(gerrit_client.query("openstack/nova-specs"))


def test_a_500_is_retried_then_fails_naming_the_url(gerrit: FakeGerrit, gerrit_client: GerritClient,
                                                    policy: RetryPolicy) -> None:
    for attempt in range(1, policy.attempts + 1):
        gerrit.faults[attempt] = Reply(500, "Internal error", {"Content-Type": "text/plain"})
    with pytest.raises(RemoteRequestFailed, match="/changes/") as caught:
        list(gerrit_client.query("openstack/nova-specs"))
    assert caught.value.attempts == policy.attempts


def test_the_prefix_is_a_line_not_a_character_set() -> None:
    assert gerrit_module.decode_json(")]}'\n[\")]}'\"]") == [")]}'"]
    assert gerrit_module.decode_json("[1]") == [1]
