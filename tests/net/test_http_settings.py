"""The ``http_*`` settings: defaults, validation with a clear message, and what the client makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.errors import RemoteRequestFailed, SettingsError
from portal.net import RetryPolicy, client_from_settings, get
from portal.settings import Settings, load_settings
from tests.support.http_server import Reply, ScriptedServer
from tests.support.waits import Waits


def load(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_TESTING": "true", **env})


def test_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert (settings.http_timeout, settings.http_retries) == (30.0, 3)
    assert (settings.http_contact, settings.http_allow_private) == ("", False)


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = load(tmp_path, PORTAL_HTTP_TIMEOUT="2.5", PORTAL_HTTP_RETRIES="0",
                    PORTAL_HTTP_CONTACT="mailto:ops@example.org", PORTAL_HTTP_ALLOW_PRIVATE="yes")
    assert (settings.http_timeout, settings.http_retries) == (2.5, 0)
    assert (settings.http_contact, settings.http_allow_private) == ("mailto:ops@example.org", True)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORTAL_HTTP_TIMEOUT", "0", "a number of seconds above 0 and at most 300"),
        ("PORTAL_HTTP_TIMEOUT", "3600", "a number of seconds above 0 and at most 300"),
        ("PORTAL_HTTP_TIMEOUT", "nan", "a number of seconds above 0 and at most 300"),
        ("PORTAL_HTTP_TIMEOUT", "soon", "a number of seconds above 0 and at most 300"),
        ("PORTAL_HTTP_RETRIES", "11", "a whole number from 0 to 10"),
        ("PORTAL_HTTP_RETRIES", "-1", "a whole number from 0 to 10"),
        ("PORTAL_HTTP_CONTACT", "ops team", "a URL or mailto: address without spaces"),
        ("PORTAL_HTTP_CONTACT", "https://x.org/a)b", "a URL or mailto: address without spaces"),
        ("PORTAL_HTTP_CONTACT", "https://x.org/\r\nX-Evil: 1", "a URL or mailto: address without spaces"),
    ],
)
def test_bad_values_name_the_setting_and_the_form(tmp_path: Path, name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, **{name: value})
    setting = name.removeprefix("PORTAL_").lower()
    assert caught.value.message.startswith(f"Invalid setting {setting} (environment variable {name}): expected")
    assert expected in caught.value.message


def test_the_client_uses_the_settings(tmp_path: Path, server: ScriptedServer, waits: Waits) -> None:
    settings = load(tmp_path, PORTAL_HTTP_TIMEOUT="4", PORTAL_HTTP_RETRIES="1",
                    PORTAL_HTTP_CONTACT="https://ops.example.org/bob")
    policy = RetryPolicy.from_settings(settings, sleep=waits, jitter=0.0)
    assert policy.attempts == 2
    server.script(Reply(500), Reply(500))
    with client_from_settings(settings, server.url) as client:
        assert (client.timeout.read, client.timeout.connect) == (4.0, 4.0)
        with pytest.raises(RemoteRequestFailed, match="failed \\(2 times\\)"):
            get(client, "/", policy=policy)
    agent = server.requests[0].headers["user-agent"]
    assert "(operator blueprint review portal; +https://ops.example.org/bob)" in agent
    assert len(server.requests) == 2 and waits == [1.0]


def test_connecting_waits_at_most_ten_seconds_of_a_long_timeout(tmp_path: Path) -> None:
    with client_from_settings(load(tmp_path, PORTAL_HTTP_TIMEOUT="120")) as client:
        assert (client.timeout.connect, client.timeout.read, client.timeout.pool) == (10.0, 120.0, 120.0)
