"""Fixtures for sign-in tests: a real OpenID Connect provider and a real slapd, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from portal.accounts import oidc
from portal.app import create_app
from portal.settings import Settings
from tests.support.oidc_provider import Provider, running_provider, sign_in_at_provider
from tests.support.openapi_check import ValidatingClient
from tests.support.slapd import Directory, slapd_directory  # noqa: F401 (a session fixture)


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(oidc_server: Provider) -> Iterator[Provider]:
    """The session's provider, behaving again, with BOB's caches of it dropped."""
    oidc_server.tamper = None
    oidc.forget_cached_provider()
    yield oidc_server
    oidc_server.tamper = None
    oidc.forget_cached_provider()


@pytest.fixture
def make_client(tmp_path, database_url: str, session_factory: sessionmaker[Session]) -> Callable[..., FlaskClient]:
    """A browser on an app with these setting overrides (the test's database, rolled back after)."""

    def make(**overrides: object) -> FlaskClient:
        settings = Settings.for_testing(tmp_path / "instance", database_url, **overrides)
        app: Flask = create_app(settings, session_factory=session_factory)
        app.test_client_class = ValidatingClient
        return app.test_client()

    return make


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def oidc_round_trip(client: FlaskClient, sub: str, start: str = "/login/oidc") -> tuple[str, str]:
    """Start at BOB, sign in at the provider as ``sub``; return (authorize URL, BOB callback path+query)."""
    started = client.get(start) if start.startswith("/login") else None
    assert started is not None and started.status_code == 302, started and started.text
    authorize = started.headers["Location"]
    return authorize, path_and_query(sign_in_at_provider(authorize, sub))
