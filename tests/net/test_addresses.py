"""Address checks for URLs users enter (webhooks): literal IPs and ``localhost`` only, no DNS of public names."""

from __future__ import annotations

import httpx
import pytest

from portal.errors import AddressNotAllowed, InvalidInput, RemoteRequestFailed
from portal.net import RetryPolicy, build_client, check_url, get, user_agent
from tests.support.http_server import ScriptedServer


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1:8080/hook", "loopback"),  # short form, resolved without DNS
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one number
        ("http://localhost:5000/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
        ("https://10.0.0.7/", "private"),
        ("https://172.16.5.4/", "private"),
        ("https://192.168.1.1/", "private"),
        ("https://[fd00::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata service
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "reserved (non-public)"),  # carrier-grade NAT
        ("http://192.0.2.10/", "private"),  # documentation range, never a real peer
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(url: str, kind: str) -> None:
    with pytest.raises(AddressNotAllowed) as caught:
        check_url(url)
    assert isinstance(caught.value, InvalidInput)  # a 400 for the user who typed it
    assert f"a {kind} address" in caught.value.message
    assert "PORTAL_HTTP_ALLOW_PRIVATE=true" in caught.value.message
    assert caught.value.fields == {"url": f"{kind} address"}


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "http://[2001:4860:4860::8888]:8443/x", "https://1.1.1.1"]
)
def test_public_literal_addresses_pass(url: str) -> None:
    check_url(url)  # no exception, and no connection is made


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "is not an http(s) URL (file)"),
        ("ftp://8.8.8.8/x", "is not an http(s) URL (ftp)"),
        ("gopher://127.0.0.1:25/", "is not an http(s) URL (gopher)"),
        ("javascript:alert(1)", "is not an http(s) URL (javascript)"),
        ("8.8.8.8/hook", "is not an http(s) URL (no scheme)"),
        ("https:///path-only", "has no host name"),
        ("https://8.8.8.8:99999/", "has an invalid port"),
    ],
)
def test_other_schemes_and_broken_urls_are_refused(url: str, expected: str) -> None:
    with pytest.raises(AddressNotAllowed, match=expected.replace("(", r"\(").replace(")", r"\)")):
        check_url(url)


def test_the_setting_lets_private_addresses_through_but_never_other_schemes() -> None:
    check_url("http://localhost:5000/", allow_private=True)
    check_url("http://10.0.0.7/", allow_private=True)
    with pytest.raises(AddressNotAllowed):
        check_url("file:///etc/passwd", allow_private=True)


def test_a_password_in_the_url_is_not_repeated_in_the_message() -> None:
    with pytest.raises(AddressNotAllowed) as caught:
        check_url("http://admin:hunter2@127.0.0.1/hook")
    assert "hunter2" not in caught.value.message and "http://127.0.0.1/hook" in caught.value.message


def test_a_guarded_client_refuses_before_connecting(server: ScriptedServer, policy: RetryPolicy) -> None:
    with build_client(server.url, timeout=2, user_agent=user_agent(), guard_addresses=True) as client:
        with pytest.raises(AddressNotAllowed, match="loopback"):
            get(client, "/hook", policy=policy)
    assert server.requests == []  # nothing reached the server


def test_a_guarded_client_checks_every_redirect_hop(policy: RetryPolicy) -> None:
    # The first hop is a public address no test may reach, so a transport answers in its place
    # (httpx's MockTransport: no code of ours is replaced); the redirect it sends points at this host.
    seen: list[str] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://127.0.0.1:9/internal"})

    with build_client("https://8.8.8.8", timeout=2, user_agent=user_agent(), guard_addresses=True,
                      transport=httpx.MockTransport(public_site)) as client:
        with pytest.raises(AddressNotAllowed, match=r"https://127\.0\.0\.1:9/internal points at 127\.0\.0\.1"):
            get(client, "/hook", policy=policy)
    assert seen == ["https://8.8.8.8/hook"]


def test_allow_private_lets_a_guarded_client_reach_this_host(server: ScriptedServer, policy: RetryPolicy) -> None:
    with build_client(server.url, timeout=2, user_agent=user_agent(), guard_addresses=True,
                      allow_private=True) as client:
        assert get(client, "/hook", policy=policy).text == "ok"
    assert [r.path for r in server.requests] == ["/hook"]


def test_a_redirect_from_https_to_http_is_refused(policy: RetryPolicy) -> None:
    # A TLS server on 127.0.0.1 would need a certificate; the transport plays the https side.
    def site(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://review.example.org/changes/"})

    with build_client("https://review.example.org", timeout=2, user_agent=user_agent(),
                      transport=httpx.MockTransport(site)) as client:
        with pytest.raises(RemoteRequestFailed) as caught:
            get(client, "/changes/", policy=policy)
    assert caught.value.reason == "redirect" and caught.value.attempts == 1
    assert caught.value.message == (
        "GET https://review.example.org/changes/ failed: redirected from https to http "
        "(http://review.example.org/changes/); BOB does not follow a redirect that drops TLS. "
        "Use the https address the server should be reached at."
    )
