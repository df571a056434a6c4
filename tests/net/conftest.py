"""Fixtures for outbound HTTP tests: scripted servers on 127.0.0.1 and a policy that records its waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.net import RetryPolicy
from tests.support.http_server import ScriptedServer, scripted_server
from tests.support.waits import FIXED_NOW, Waits


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    """A second origin (another port), for redirects that leave the first."""
    with scripted_server() as running:
        yield running


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def policy(waits: Waits) -> RetryPolicy:
    """Three retries, exact backoff (no jitter) of 0.5, 1, 2 s, Retry-After capped at 60 s; nothing really sleeps."""
    return RetryPolicy(retries=3, backoff_initial=0.5, backoff_max=10.0, jitter=0.0, retry_after_max=60.0,
                       sleep=waits, now=lambda: FIXED_NOW)
