"""The admin area's fixtures: a logged-in admin's browser-free client, the `portal` command on an instance."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal.cli import Context
from portal.models import User
from tests.support.cli_instance import Portal
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


def flashes(response: TestResponse) -> list[str]:
    """The flash messages at the top of a page, in order (not the page's own notices)."""
    block = re.search(r'<div class="flash-messages"[^>]*>(.*?)\n    </div>', response.text, flags=re.S)
    if block is None:
        return []
    return [text_of(m) for m in re.findall(r'<div class="alert[^"]*">(.*?)</div>', block.group(1), flags=re.S)]


def submit(client: FlaskClient, page: str, action: str, data: dict[str, Any] | None = None,
           **kwargs: Any) -> TestResponse:
    """Post a form the way a browser does: open the page (for its CSRF token), then send the form."""
    shown = client.get(page)
    assert shown.status_code == 200, f"{page} answered {shown.status_code}"
    return client.post(action, data={"csrf_token": csrf_token(shown.text), **(data or {})}, **kwargs)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("ada", role="admin", display_name="Ada Admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin: User, db: Session) -> FlaskClient:
    assert login(client, "ada").status_code == 302
    return client




@pytest.fixture
def seed(portal: Portal) -> Callable[[Callable[[Session], Any]], Any]:
    """Run ``build(session)`` in one committed unit of work on the command's instance."""

    def run(build: Callable[[Session], Any]) -> Any:
        context = Context(portal.settings)
        portal.contexts.append(context)
        with context.session() as session:
            return build(session)

    return run
