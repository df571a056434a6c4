"""``portal.net.request`` against real servers on 127.0.0.1 that misbehave the way remote services do.

Waits go through the injected policy (``waits`` records them), so the suite
never sleeps through a backoff; only the timeout test waits, for 0.2 s.
"""

from __future__ import annotations

import gzip
import time
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from portal import __version__
from portal.errors import RemoteRequestFailed, UpstreamError
from portal.net import RetryPolicy, build_client, get, parse_retry_after, request, user_agent
from tests.support.http_server import Close, Hang, Reply, ScriptedServer, free_port
from tests.support.waits import FIXED_NOW, Waits


def client_for(server: ScriptedServer, timeout: float = 5.0, **kwargs: object) -> httpx.Client:
    return build_client(server.url, timeout=timeout, user_agent=user_agent("https://ops.example.org/bob"), **kwargs)


def test_503_with_retry_after_seconds_waits_that_long_then_succeeds(
    server: ScriptedServer, policy: RetryPolicy, waits: Waits
) -> None:
    server.script(Reply(503, "busy", {"Retry-After": "2"}), Reply(200, '{"ok": true}'))
    with client_for(server) as client:
        response = get(client, "/changes/", policy=policy)
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert waits == [2.0]
    assert len(server.requests) == 2


def test_429_with_an_http_date_waits_until_that_date(server: ScriptedServer, policy: RetryPolicy, waits: Waits) -> None:
    when = format_datetime(FIXED_NOW + timedelta(seconds=30), usegmt=True)
    server.script(Reply(429, "slow down", {"Retry-After": when}), Reply(200, "ok"))
    with client_for(server) as client:
        assert get(client, "/projects/", policy=policy).text == "ok"
    assert waits == [30.0]


def test_500_twice_then_200_backs_off_exponentially(server: ScriptedServer, policy: RetryPolicy, waits: Waits) -> None:
    server.script(Reply(500), Reply(500), Reply(200, "ok"))
    with client_for(server) as client:
        assert get(client, "/", policy=policy).text == "ok"
    assert waits == [0.5, 1.0]  # backoff_initial, then doubled
    assert len(server.requests) == 3


def test_jitter_spreads_the_waits_within_bounds(server: ScriptedServer, waits: Waits) -> None:
    jittery = RetryPolicy(retries=4, backoff_initial=0.5, backoff_max=1.5, jitter=0.25, sleep=waits)
    server.script(Reply(502), Reply(502), Reply(504), Reply(500), Reply(200))
    with client_for(server) as client:
        get(client, "/", policy=jittery)
    floors = [0.5, 1.0, 1.5, 1.5]  # doubling, capped at backoff_max
    assert len(waits) == 4
    assert all(floor <= wait <= floor + 0.25 for floor, wait in zip(floors, waits, strict=True)), waits


def test_a_hostile_retry_after_is_capped(server: ScriptedServer, policy: RetryPolicy, waits: Waits) -> None:
    server.script(Reply(503, headers={"Retry-After": "86400"}), Reply(200, "ok"))
    with client_for(server) as client:
        assert get(client, "/", policy=policy).text == "ok"
    assert waits == [60.0]  # the policy's retry_after_max, not a day


def test_a_bad_retry_after_falls_back_to_backoff(server: ScriptedServer, policy: RetryPolicy, waits: Waits) -> None:
    server.script(Reply(503, headers={"Retry-After": "soon"}), Reply(200))
    with client_for(server) as client:
        get(client, "/", policy=policy)
    assert waits == [0.5]


def test_final_failure_names_the_url_the_status_and_what_to_do(
    server: ScriptedServer, policy: RetryPolicy, waits: Waits
) -> None:
    server.script(Reply(503, "down for maintenance", {"Retry-After": "5"}))
    with client_for(server) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/changes/?q=project:openstack/nova-specs", policy=policy)
    error = caught.value
    assert isinstance(error, UpstreamError) and error.upstream_status == 503 and error.attempts == 4
    assert error.status == 502  # what BOB's API would answer
    assert (error.reason, error.method) == ("status", "GET")
    assert error.message == (
        f"GET {server.url}/changes/?q=project:openstack/nova-specs failed (4 times): the server answered "
        "503 Service Unavailable and asked to wait 5 s. The service is down or overloaded; run the same command "
        "again later."
    )
    assert waits == [5.0, 5.0, 5.0] and len(server.requests) == 4


def test_the_final_message_says_when_retry_after_was_cut(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(429, headers={"Retry-After": "7200"}))
    with client_for(server) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/", policy=policy, advice="Check PORTAL_GERRIT_URL.")
    assert "answered 429 Too Many Requests and asked to wait 7200 s (BOB waits at most 60 s between tries)" in (
        caught.value.message
    )
    assert caught.value.message.endswith(". Check PORTAL_GERRIT_URL.")


def test_a_server_that_closes_the_connection_is_retried(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Close(), Close(), Reply(200, "ok"))
    with client_for(server) as client:
        assert get(client, "/", policy=policy).text == "ok"
    assert len(server.requests) == 3


def test_a_server_that_always_closes_fails_with_closed(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Close())
    with client_for(server) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/x", policy=policy)
    assert caught.value.reason == "closed"
    assert caught.value.message.startswith(f"GET {server.url}/x failed (4 times): the server closed the connection")


def test_a_server_that_never_answers_times_out_quickly(server: ScriptedServer, waits: Waits) -> None:
    server.script(Hang())
    once_more = RetryPolicy(retries=1, jitter=0.0, sleep=waits)
    started = time.monotonic()
    with client_for(server, timeout=0.2) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/slow", policy=once_more)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert caught.value.message == (
        f"GET {server.url}/slow failed (2 times): no answer within 0.2 s (read timeout). "
        "Check that the server is reachable from this host, or raise PORTAL_HTTP_TIMEOUT."
    )
    assert len(server.requests) == 2 and waits == [1.0]
    assert elapsed < 2.0


def test_connection_refused_says_nothing_listens(policy: RetryPolicy) -> None:
    port = free_port()
    with build_client(f"http://127.0.0.1:{port}", timeout=2, user_agent=user_agent()) as client, pytest.raises(
        RemoteRequestFailed
    ) as caught:
        get(client, "/", policy=policy)
    assert caught.value.reason == "refused"
    assert f"connection refused: nothing listens at 127.0.0.1:{port}" in caught.value.message
    assert caught.value.message.endswith("Check the URL (host and port) and that the service is running.")


def test_an_answer_that_will_not_change_is_not_retried(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(404, "Not found: openstack/nova-specs~1"))
    with client_for(server) as client:
        with pytest.raises(RemoteRequestFailed) as caught:
            get(client, "/changes/1", policy=policy)
        assert (caught.value.upstream_status, caught.value.attempts) == (404, 1)
        assert caught.value.message == (
            f"GET {server.url}/changes/1 failed: the server answered 404 Not Found. "
            "Check the URL and the names in it (repository, project)."
        )
        allowed = get(client, "/changes/1", policy=policy, allow_status={404})
    assert allowed.status_code == 404 and allowed.text == "Not found: openstack/nova-specs~1"
    assert len(server.requests) == 2


def test_401_names_the_credentials(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(401, "Unauthorized"))
    with client_for(server) as client, pytest.raises(RemoteRequestFailed, match="Check the credentials"):
        get(client, "/a/changes/", policy=policy)


def test_post_is_not_retried_unless_it_is_idempotent(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(503), Reply(200, "delivered"))
    with client_for(server) as client:
        with pytest.raises(RemoteRequestFailed) as caught:
            request(client, "POST", "/hook", policy=policy, json={"event": 1})
        assert caught.value.attempts == 1 and "failed (once)" in caught.value.message
        assert request(client, "POST", "/hook", policy=policy, json={"event": 1}).text == "delivered"
        server.script(Reply(503), Reply(200, "delivered"))
        assert request(client, "POST", "/hook", policy=policy, json={"event": 2}, idempotent=True).text == "delivered"
    assert [r.body for r in server.requests] == [b'{"event":1}', b'{"event":1}', b'{"event":2}', b'{"event":2}']


def test_the_user_agent_names_bob_its_version_and_the_contact(server: ScriptedServer, policy: RetryPolicy) -> None:
    with client_for(server) as client:
        get(client, "/", policy=policy)
    agent = server.requests[0].headers["user-agent"]
    assert agent.startswith(f"BOB/{__version__} (operator blueprint review portal; +https://ops.example.org/bob) ")
    assert "httpx/" in agent


def test_redirects_are_followed_but_credentials_stay_with_their_origin(
    server: ScriptedServer, other_server: ScriptedServer, policy: RetryPolicy
) -> None:
    server.script(Reply(302, headers={"Location": "/moved"}), Reply(302, headers={"Location": f"{other_server.url}/x"}))
    other_server.script(Reply(200, "there"))
    with client_for(server, auth=("bob", "s3cret")) as client:
        response = get(client, "/start", policy=policy)
    assert response.text == "there" and [r.status_code for r in response.history] == [302, 302]
    assert [r.path for r in server.requests] == ["/start", "/moved"]
    assert all(r.headers["authorization"].startswith("Basic ") for r in server.requests)
    assert "authorization" not in other_server.requests[0].headers


def test_a_redirect_loop_stops_with_a_clear_error(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(302, headers={"Location": "/again"}))
    with client_for(server) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/again", policy=policy)
    assert caught.value.reason == "redirect"
    assert "more than 5 redirects" in caught.value.message and "use the final address" in caught.value.message
    assert len(server.requests) == 6


def test_an_oversized_answer_is_refused_by_its_length(server: ScriptedServer, policy: RetryPolicy) -> None:
    server.script(Reply(200, b"x" * 2048))
    with client_for(server) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "/big", policy=policy, max_bytes=1024)
    assert caught.value.reason == "too_large" and "2048 bytes, more than the 1024" in caught.value.message
    assert len(server.requests) == 1


def test_a_compressed_answer_is_capped_once_decoded(server: ScriptedServer, policy: RetryPolicy) -> None:
    bomb = gzip.compress(b"\0" * 200_000)
    assert len(bomb) < 1024
    server.script(Reply(200, bomb, {"Content-Encoding": "gzip"}))
    with client_for(server) as client:
        with pytest.raises(RemoteRequestFailed, match="larger than the 10000 bytes"):
            get(client, "/bomb", policy=policy, max_bytes=10_000)
        small = gzip.compress(b'{"fine": 1}')
        server.script(Reply(200, small, {"Content-Encoding": "gzip", "Content-Type": "application/json"}))
        assert get(client, "/ok", policy=policy, max_bytes=10_000).json() == {"fine": 1}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (format_datetime(FIXED_NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(FIXED_NOW - timedelta(hours=1), usegmt=True), 0.0),  # already past: go now
        ("Tue, 01 Dec 2026 12:00:45 GMT", 45.0),
        ("1.5", None),
        ("-3", None),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, FIXED_NOW) == expected


def test_an_allowed_5xx_is_returned_as_it_is(server: ScriptedServer, policy: RetryPolicy, waits: Waits) -> None:
    server.script(Reply(503, "maintenance page"))
    with client_for(server) as client:
        response = get(client, "/", policy=policy, allow_status={503})
    assert (response.status_code, response.text, waits) == (503, "maintenance page", [])


def test_a_url_of_another_scheme_fails_with_a_clear_message(policy: RetryPolicy) -> None:
    with build_client(timeout=1, user_agent=user_agent()) as client, pytest.raises(RemoteRequestFailed) as caught:
        get(client, "ftp://127.0.0.1/specs", policy=policy)
    assert caught.value.reason == "url" and "BOB speaks http:// and https:// only" in caught.value.message
