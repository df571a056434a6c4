"""Which webhook URLs BOB accepts: the checks the subscription form, the API and every delivery share."""

from __future__ import annotations

import pytest

from portal.alerts.ssrf import pin, validate_webhook_url
from portal.errors import AddressNotAllowed
from portal.settings import Settings

# Each of these reaches this host, the cloud metadata service or a private network.
REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.1/hook", "loopback"),  # short form, read by the C resolver
    ("https://[::1]/hook", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://10.20.30.40/hook", "private"),
    ("https://192.168.1.1/hook", "private"),
    ("https://localhost/hook", "loopback"),  # a name resolving to 127.0.0.1
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("https://[::ffff:169.254.169.254]/hook", "link-local"),
    ("https://2130706433/hook", "loopback"),  # decimal 127.0.0.1
    ("https://0177.0.0.1/hook", "loopback"),  # octal
    ("https://0x7f.0.0.1/hook", "loopback"),  # hex
    ("https://0x7f000001/hook", "loopback"),
    ("https://017700000001/hook", "loopback"),  # octal, one number
    ("https://224.0.0.1/hook", "multicast"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://100.64.0.1/hook", "reserved"),  # carrier-grade NAT
]


@pytest.mark.parametrize(("url", "kind"), REFUSED, ids=[u for u, _ in REFUSED])
def test_non_public_addresses_are_refused_by_default(settings: Settings, url: str, kind: str) -> None:
    with pytest.raises(AddressNotAllowed) as refused:
        validate_webhook_url(url, settings)
    assert kind in refused.value.message
    assert "PORTAL_WEBHOOK_ALLOW_PRIVATE" in refused.value.message
    assert refused.value.fields["url"].endswith("address")


@pytest.mark.parametrize(("url", "kind"), REFUSED, ids=[u for u, _ in REFUSED])
def test_an_admin_can_allow_private_addresses(settings: Settings, url: str, kind: str) -> None:
    allowed = settings.with_overrides(webhook_allow_private=True)
    assert validate_webhook_url(url, allowed) == url


def test_forms_of_one_address_pin_the_same_ip(settings: Settings) -> None:
    allowed = settings.with_overrides(webhook_allow_private=True)
    for url in ("https://2130706433/", "https://0177.0.0.1/", "https://127.1/", "https://0x7f.0.0.1/"):
        assert str(pin(url, allowed).address) == "127.0.0.1", url


def test_http_is_refused_with_what_to_do(settings: Settings) -> None:
    with pytest.raises(AddressNotAllowed) as refused:
        validate_webhook_url("http://93.184.216.34/hook", settings)
    assert refused.value.message.startswith(
        "http:// is not allowed; use https:// or ask an admin to set PORTAL_WEBHOOK_ALLOW_HTTP")
    allowed = settings.with_overrides(webhook_allow_http=True)
    assert validate_webhook_url("http://93.184.216.34/hook", allowed) == "http://93.184.216.34/hook"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Enter the URL"),
        ("   ", "Enter the URL"),
        ("ftp://93.184.216.34/x", "starts with https://"),
        ("file:///etc/passwd", "starts with https://"),
        ("hooks.example.org/bob", "starts with https://"),
        ("https://user:pw@93.184.216.34/x", "no user name or password"),
        ("https:///path", "no host"),
        ("https://93.184.216.34:99999/x", "port"),
        ("https://" + "a" * 2000 + ".org/", "longer than 2000"),
        ("https://no-such-host.invalid/x", "cannot be resolved"),
    ],
)
def test_malformed_urls_get_a_message(settings: Settings, url: str, says: str) -> None:
    with pytest.raises(AddressNotAllowed) as refused:
        validate_webhook_url(url, settings)
    assert says in refused.value.message


def test_a_public_address_is_accepted_and_trimmed(settings: Settings) -> None:
    assert validate_webhook_url("  https://93.184.216.34/hook?x=1  ", settings) == "https://93.184.216.34/hook?x=1"


def test_pin_keeps_the_name_for_host_and_tls(settings: Settings) -> None:
    allowed = settings.with_overrides(webhook_allow_private=True)
    pinned = pin("https://localhost:8443/hook?a=b", allowed)
    assert pinned.host == "localhost"
    assert pinned.host_header == "localhost:8443"
    assert pinned.request_url().host in {"127.0.0.1", "::1"}
    assert pinned.request_url().path == "/hook" and pinned.request_url().query == b"a=b"
