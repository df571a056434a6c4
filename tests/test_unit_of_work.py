"""The unit of work: one commit per request or batch, hooks only after a commit, the separate transaction."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from portal.db.engine import make_session_factory
from portal.db.unit import on_commit, pending_hooks, separate_transaction, unit_of_work
from portal.models import AuditLog, LoginAttempt
from tests.support.html import csrf_token


def test_hooks_run_after_commit_only(db: Session) -> None:
    ran: list[str] = []
    on_commit(db, lambda: ran.append("a"))
    db.add(AuditLog(action="test.one"))
    db.flush()
    assert ran == []  # nothing before the commit
    db.commit()
    assert ran == ["a"]
    db.commit()
    assert ran == ["a"]  # once, not on every later commit


def test_a_rollback_drops_its_hooks(db: Session) -> None:
    ran: list[str] = []
    on_commit(db, lambda: ran.append("rolled back"))
    db.rollback()
    db.commit()
    assert ran == []
    assert pending_hooks(db) == 0


def test_a_rolled_back_savepoint_drops_only_its_own_hooks(db: Session) -> None:
    ran: list[str] = []
    on_commit(db, lambda: ran.append("outer"))
    with db.begin_nested() as nested:
        on_commit(db, lambda: ran.append("inner kept"))
    nested = db.begin_nested()
    on_commit(db, lambda: ran.append("inner dropped"))
    nested.rollback()
    db.commit()
    assert ran == ["outer", "inner kept"]


def test_a_failing_hook_does_not_undo_the_commit_or_stop_the_others(db: Session, caplog) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("index is down")

    on_commit(db, broken)
    on_commit(db, lambda: ran.append("second"))
    db.add(AuditLog(action="test.kept"))
    db.commit()
    assert ran == ["second"]
    assert db.scalar(select(AuditLog).where(AuditLog.action == "test.kept")) is not None
    assert "after-commit hook" in caplog.text


def test_unit_of_work_commits_once_or_rolls_back(engine: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(engine)
    ran: list[str] = []
    try:
        with unit_of_work(factory) as session:
            session.add(AuditLog(action="test.uow.kept"))
            on_commit(session, lambda: ran.append("committed"))
        try:
            with unit_of_work(factory) as session:
                session.add(AuditLog(action="test.uow.lost"))
                on_commit(session, lambda: ran.append("never"))
                raise ValueError("boom")
        except ValueError:
            pass
        with unit_of_work(factory) as session:
            actions = set(session.scalars(select(AuditLog.action).where(AuditLog.action.like("test.uow.%"))))
        assert actions == {"test.uow.kept"}
        assert ran == ["committed"]
    finally:
        with unit_of_work(factory) as session:
            for row in session.scalars(select(AuditLog).where(AuditLog.action.like("test.uow.%"))):
                session.delete(row)


def test_separate_transaction_outlives_the_callers_rollback(engine: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(engine)
    try:
        with factory() as caller:
            caller.add(AuditLog(action="test.sep.lost"))
            caller.flush()
            caller.rollback()  # SQLite has one writer: the caller's writes end before the separate one
            with separate_transaction(caller) as own:
                own.add(AuditLog(action="test.sep.kept"))
            caller.add(AuditLog(action="test.sep.lost"))
            caller.rollback()
        with factory() as check:
            actions = set(check.scalars(select(AuditLog.action).where(AuditLog.action.like("test.sep.%"))))
        assert actions == {"test.sep.kept"}
    finally:
        with unit_of_work(factory) as session:
            for row in session.scalars(select(AuditLog).where(AuditLog.action.like("test.sep.%"))):
                session.delete(row)


def test_a_request_commits_on_success_and_rolls_back_on_error(app: Flask, db: Session) -> None:
    from portal.http.session import get_db

    @app.get("/_test/write/<int:status>")  # GET: the test is about the commit, not CSRF
    def _write(status: int):
        get_db().add(AuditLog(action=f"test.request.{status}"))
        return "", status

    client = app.test_client()
    assert client.get("/_test/write/204").status_code == 204
    assert client.get("/_test/write/400").status_code == 400
    actions = set(db.scalars(select(AuditLog.action).where(AuditLog.action.like("test.request.%"))))
    assert actions == {"test.request.204"}


def test_failed_logins_count_although_the_request_rolls_back(client: FlaskClient, db: Session, make_user) -> None:
    make_user("alice")
    db.commit()
    for _ in range(2):
        page = client.get("/login")
        response = client.post("/login", data={"username": "alice", "password": "wrong one",
                                               "csrf_token": csrf_token(page.text)})
        assert response.status_code == 401
    failures = db.scalars(select(LoginAttempt).where(LoginAttempt.username == "alice",
                                                     LoginAttempt.succeeded.is_(False))).all()
    assert len(failures) == 2


def _count_commits() -> tuple[list[Session], object]:
    from sqlalchemy import event

    seen: list[Session] = []

    def listener(session: Session) -> None:
        seen.append(session)

    event.listen(Session, "after_commit", listener)
    return seen, listener


def test_an_api_write_with_a_token_commits_exactly_once(client: FlaskClient, db: Session, make_user,
                                                        make_project, make_spec) -> None:
    """Token auth records last use inside the request's own unit of work: one commit, not two."""
    from sqlalchemy import event

    from portal.accounts import service as accounts
    from portal.models import ApiToken

    make_spec("compute-drain", project=make_project("nova"), title="Compute drain mode")
    token, secret = accounts.create_api_token(db, make_user("rita", role="reviewer"), "tests")
    db.commit()
    seen, listener = _count_commits()
    try:
        response = client.put("/api/v1/projects/nova/specs/compute-drain/checklist",
                              json={"answers": [{"key": "upgrade", "state": "addressed", "note": "ok"}]},
                              headers={"Authorization": f"Bearer {secret}"})
    finally:
        event.remove(Session, "after_commit", listener)
    assert response.status_code == 200
    assert len(seen) == 1
    db.expire_all()
    assert db.get(ApiToken, token.id).last_used_at is not None  # recorded by that one commit


def test_a_refused_api_write_commits_nothing(client: FlaskClient, db: Session, make_user,
                                             make_project, make_spec) -> None:
    from sqlalchemy import event

    from portal.accounts import service as accounts

    make_spec("compute-drain", project=make_project("nova"), title="Compute drain mode")
    _, secret = accounts.create_api_token(db, make_user("rita", role="reviewer"), "tests")
    db.commit()
    seen, listener = _count_commits()
    try:
        response = client.put("/api/v1/projects/nova/specs/compute-drain/checklist",
                              json={"answers": [{"key": "no-such-item", "state": "addressed"}]},
                              headers={"Authorization": f"Bearer {secret}"})
    finally:
        event.remove(Session, "after_commit", listener)
    assert response.status_code == 400
    assert seen == []
