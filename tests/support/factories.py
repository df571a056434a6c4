"""Builders for test data, going through the same services as the app."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.markup import render_markdown
from portal.models import Comment, Project, Spec, SpecState, User
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file

PASSWORD = "correct horse battery"
_seq = count(1)


def spec_rst(title: str, name: str, project: str = "nova", sections: dict[str, str] | None = None) -> str:
    """A small spec document in the OpenStack layout."""
    body = [
        "=" * len(title),
        title,
        "=" * len(title),
        "",
        f"https://blueprints.launchpad.net/{project}/+spec/{name}",
        "",
        f"{title} helps operators.",
        "",
    ]
    for heading, text in (
        sections or {"Problem description": "Operators need this.", "Proposed change": "Do it."}
    ).items():
        body += [heading, "=" * len(heading), "", text, ""]
    return "\n".join(body)


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    def make(username: str | None = None, role: str = "operator", password: str = PASSWORD, **kwargs: Any) -> User:
        username = username or f"user{next(_seq)}"
        user = accounts.create_user(
            db,
            None,
            username,
            email=f"{username}@example.org",
            role=role,
            password=password,
            hasher=passwords.hasher(testing=True),
            **kwargs,
        )
        db.flush()
        return user

    return make


@pytest.fixture
def make_project(db: Session) -> Callable[..., Project]:
    def make(name: str | None = None, **kwargs: Any) -> Project:
        project = add_project(db, None, name or f"proj{next(_seq)}", **kwargs)
        db.flush()
        return project

    return make


@pytest.fixture
def make_spec(db: Session, make_project: Callable[..., Project]) -> Callable[..., Spec]:
    def make(
        name: str | None = None,
        project: Project | None = None,
        release: str | None = "2025.1",
        state: SpecState = SpecState.APPROVED,
        text: str | None = None,
        title: str | None = None,
        **sections: str,
    ) -> Spec:
        project = project or make_project()
        name = name or f"spec-{next(_seq)}"
        text = text or spec_rst(title or name.replace("-", " ").title(), name, project.name, sections or None)
        folder = f"specs/{release}/{state.value}" if release else f"specs/{state.value}"
        item = SpecFile(
            path=f"{folder}/{name}.rst",
            release=release,
            state=state,
            text=text,
            parsed=parse_spec(text),
            file_name=name,
        )
        upsert_spec_file(db, None, project, item)
        db.flush()
        spec = db.query(Spec).filter_by(project_id=project.id, name=item.spec_name).one()
        return spec

    return make


@pytest.fixture
def make_comment(db: Session) -> Callable[..., Comment]:
    def make(
        spec: Spec, body: str = "A comment.", source: str = "portal", author: User | None = None, **kwargs: Any
    ) -> Comment:
        comment = Comment(
            spec_id=spec.id,
            source=source,
            body=body,
            body_html=render_markdown(body),
            author_id=author.id if author else None,
            author_name=kwargs.pop("author_name", ""),
            **kwargs,
        )
        db.add(comment)
        db.flush()
        return comment

    return make


def login(client: FlaskClient, username: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the real form (fetching its CSRF token first)."""
    from tests.support.html import csrf_token

    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token})
