"""`portal demo remove`: the demo goes, real data stays, including real data that landed on demo projects."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.checklist import service as checklist
from portal.demo.loader import load_demo
from portal.demo.remove import plan_demo_removal, remove_demo
from portal.discussion import service as discussion
from portal.models import Comment, Event, GerritChange, Project, Spec, SpecRevision, User
from tests.admin.conftest import flashes, submit
from tests.support.cli_instance import Portal
from tests.support.factories import login
from tests.support.html import text_of

KEPT_SPEC = "compute-graceful-shutdown"  # a nova demo spec that gets a real comment below


def names(db: Session, model, column) -> set[str]:  # type: ignore[no-untyped-def]
    return set(db.scalars(select(column)))


def test_removing_the_demo_leaves_exactly_the_real_data(db: Session, make_user, make_project, make_spec) -> None:
    load_demo(db, passwords.hasher(testing=True))
    db.flush()
    nova = db.scalar(select(Project).where(Project.name == "nova"))
    assert nova is not None
    demo_specs_in_nova = set(db.scalars(select(Spec.name).where(Spec.project_id == nova.id)))
    # Real data: a user and a project of their own, a real import into the demo's nova,
    # a real user's comment on a demo spec, a demo account's comment on a real spec,
    # and a demo account someone took over (its password changed).
    alice = make_user("alice", role="reviewer")
    swift = make_project("swift")
    real_spec = make_spec("object-expiry", project=swift)
    make_spec("real-nova-spec", project=nova)
    kept = db.scalar(select(Spec).where(Spec.project_id == nova.id, Spec.name == KEPT_SPEC))
    assert kept is not None
    discussion.add_comment(db, alice, kept, "We run this in production; it works.")
    rey = db.scalar(select(User).where(User.username == "rey"))
    assert rey is not None
    discussion.add_comment(db, rey, real_spec, "Demo-account noise on a real spec.")
    carlos = db.scalar(select(User).where(User.username == "carlos"))
    assert carlos is not None
    accounts.set_password(db, None, carlos, "carlos now has a real passphrase", hasher=passwords.hasher(True))
    checklist.refresh_prefill(db, real_spec)
    db.flush()

    plan = plan_demo_removal(db)
    lines = plan.lines()
    assert lines[0] == "4 demo accounts: admin, pat, rey, rita"
    assert lines[1] == "3 demo projects: cinder, keystone, neutron"
    assert "kept: project nova (it still holds 2 specs with real data)" in lines
    assert f"kept: spec nova/{KEPT_SPEC}, its demo parts removed (it has comments by real users or imports)" in lines
    assert any(line.startswith("kept: account carlos (its password was changed") for line in lines)

    remove_demo(db, None)

    db.expire_all()
    assert names(db, User, User.username) == {"alice", "carlos"}
    assert names(db, Project, Project.name) == {"nova", "swift"}
    assert set(db.scalars(select(Spec.name).where(Spec.project_id == nova.id))) == {KEPT_SPEC, "real-nova-spec"}
    assert len(demo_specs_in_nova) > 2
    # The kept demo spec lost its demo document, Gerrit changes and comments; the real comment stays.
    kept = db.get(Spec, kept.id)
    assert kept is not None
    assert db.scalars(select(SpecRevision.id).where(SpecRevision.spec_id == kept.id)).all() == []
    assert db.scalars(select(GerritChange.id).where(GerritChange.spec_id == kept.id)).all() == []
    assert db.scalars(select(Comment.body).where(Comment.spec_id == kept.id)).all() == [
        "We run this in production; it works."
    ]
    assert kept.lp_definition_status is None and kept.title == KEPT_SPEC
    # The real spec keeps everything but the demo account's comment.
    assert db.scalars(select(Comment.body).where(Comment.spec_id == real_spec.id)).all() == []
    assert db.get(Spec, real_spec.id) is not None
    assert not db.scalars(select(Comment.id).where(Comment.external_id.like("demo:%"))).all()
    # Consumers see the removals.
    deleted = db.scalars(select(Event.payload).where(Event.kind == "spec.deleted")).all()
    assert {p["project"] for p in deleted} == {"nova", "neutron", "cinder", "keystone"}
    assert plan_demo_removal(db).empty


def test_a_real_project_that_only_shares_a_demo_name_is_not_the_demos(db: Session, make_project) -> None:
    make_project("nova", title="Our nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
    db.flush()

    plan = plan_demo_removal(db)

    assert plan.projects == []
    assert plan.empty


def test_cli_demo_remove_asks_then_removes_and_says_when_nothing_is_left(portal: Portal, web: Flask) -> None:
    portal.ok("demo")

    kept = portal.run("demo", "remove", input="n\n")
    assert kept.exit_code == 0
    assert "Removing the demo deletes:\n  5 demo accounts: admin, carlos, pat, rey, rita\n" in kept.stdout
    assert "  4 demo projects: cinder, keystone, neutron, nova\n" in kept.stdout
    assert kept.stdout.endswith("Nothing was deleted.\n")
    assert login(web.test_client(), "rey", "operator-demo").status_code == 302

    done = portal.ok("demo", "remove", "--yes")
    assert "Demo content removed: 5 demo accounts: admin, carlos, pat, rey, rita; 4 demo projects:" in done.stdout
    assert done.stdout.endswith(
        "No active admin account is left: create yours with `portal users create NAME --role admin`.\n"
    )
    assert login(web.test_client(), "rey", "operator-demo").status_code == 401
    assert portal.ok("projects", "list").stdout.startswith("No projects yet.")
    assert portal.ok("demo", "remove").stdout == "No demo content found; nothing to remove.\n"
    assert "remove" in portal.ok("demo", "--help").stdout
    assert "Real data stays" in portal.ok("demo", "remove", "--help").stdout


def test_the_demo_page_shows_the_plan_refuses_the_demo_admin_and_removes_it(
    app: Flask, admin_client: FlaskClient, db: Session
) -> None:
    load_demo(db, passwords.hasher(testing=True))
    db.flush()
    demo_admin = app.test_client()
    assert login(demo_admin, "admin", "admin-demo-pass").status_code == 302

    refused = submit(demo_admin, "/admin/demo", "/admin/demo/remove")
    assert refused.status_code == 409
    assert "You are logged in as the demo account 'admin', which goes with the demo." in flashes(refused)[0]
    assert db.scalar(select(User.id).where(User.username == "rey")) is not None

    page = admin_client.get("/admin/demo")
    assert "5 demo accounts: admin, carlos, pat, rey, rita" in text_of(page.text)
    done = submit(admin_client, "/admin/demo", "/admin/demo/remove", follow_redirects=True)

    assert flashes(done)[0].startswith("Demo content removed: 5 demo accounts: admin, carlos, pat, rey, rita;")
    assert "No demo content is left in this portal" in text_of(done.text)
    assert db.scalar(select(User.id).where(User.username == "ada")) is not None  # the real admin stays
    assert db.scalar(select(User.id).where(User.username == "rey")) is None
