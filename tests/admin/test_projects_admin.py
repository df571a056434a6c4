"""Managing projects: several Launchpad names and code repositories, renames that redirect, removal."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.checklist import service as checklist
from portal.errors import Conflict, InvalidInput
from portal.models import AuditLog, ChecklistAnswer, Comment, Event, Project, Spec, SpecRevision
from portal.specs import projects
from tests.admin.conftest import flashes, submit
from tests.support.cli_instance import Portal
from tests.support.html import text_of


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- sources ------------------------------------------------------------------------------------------


def test_admin_sets_several_launchpad_names_and_code_repos_and_the_api_shows_them(
    admin_client: FlaskClient, make_project
) -> None:
    make_project("nova", gerrit_repo="openstack/nova-specs", launchpad="nova")

    response = submit(admin_client, "/admin/projects/nova", "/admin/projects/nova/sources", {
        "gerrit_repo": "openstack/nova-specs",
        "launchpad": "nova\npython-novaclient\n\nnova",  # blank lines and repeats are dropped
        "code_repos": "openstack/nova\nopenstack/python-novaclient",
    }, follow_redirects=True)

    assert flashes(response) == [
        "Sources of nova saved. Launchpad: nova → nova, python-novaclient; "
        "Code repositories: none → openstack/nova, openstack/python-novaclient."
    ]
    item = admin_client.get("/api/v1/projects").get_json()["items"][0]
    assert item["launchpad"] == "nova"  # unchanged field: the main one
    assert item["launchpad_names"] == ["nova", "python-novaclient"]
    assert item["code_repos"] == ["openstack/nova", "openstack/python-novaclient"]
    again = submit(admin_client, "/admin/projects/nova", "/admin/projects/nova/sources", {
        "gerrit_repo": "openstack/nova-specs", "launchpad": "nova\npython-novaclient",
        "code_repos": "openstack/nova\nopenstack/python-novaclient",
    }, follow_redirects=True)
    assert flashes(again) == ["The sources of nova were already those; nothing changed."]


def test_the_projects_page_lists_every_source_in_a_fixed_number_of_queries(
    admin_client: FlaskClient, db: Session, make_project, count_queries
) -> None:
    nova = make_project("nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
    projects.edit_sources(db, None, nova, launchpad=["nova", "python-novaclient"], code_repos=["openstack/nova"])
    db.flush()
    with count_queries() as few:
        page = admin_client.get("/admin/projects")
    assert "nova openstack/nova-specs nova, python-novaclient openstack/nova" in text_of(page.text)

    for i in range(15):
        extra = make_project(f"proj-{i}", launchpad=f"lp-{i}")
        projects.edit_sources(db, None, extra, code_repos=[f"openstack/proj-{i}"])
    db.flush()
    with count_queries() as many:
        admin_client.get("/admin/projects")
    assert many.count == few.count


def test_a_source_belongs_to_one_project(admin_client: FlaskClient, db: Session, make_project) -> None:
    make_project("nova", launchpad="nova")
    cinder = make_project("cinder", launchpad="cinder")
    projects.edit_sources(db, None, cinder, code_repos=["openstack/cinder"])
    db.flush()

    taken = submit(admin_client, "/admin/projects/nova", "/admin/projects/nova/sources",
                   {"launchpad": "nova\ncinder", "code_repos": "openstack/cinder"})

    assert taken.status_code == 409
    assert flashes(taken) == [
        "Nothing was changed: Already used by another project: Launchpad cinder (project cinder). "
        "A Launchpad project belongs to one portal project."
    ]
    assert 'cinder</textarea>' in taken.text  # what the admin typed is still there
    bad = submit(admin_client, "/admin/projects/nova", "/admin/projects/nova/sources",
                 {"gerrit_repo": "not a repo!"})
    assert bad.status_code == 400
    assert "Invalid gerrit_repo 'not a repo!': expected a form like openstack/nova-specs." in flashes(bad)[0]


def test_clearing_sources_and_the_event_it_records(db: Session, make_project) -> None:
    nova = make_project("nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
    projects.edit_sources(db, None, nova, launchpad=["nova", "nova-extra"], code_repos=["openstack/nova"])

    changes = projects.edit_sources(db, None, nova, gerrit_repo="", launchpad=[], code_repos=[])

    assert changes == [
        "Gerrit specs repository: openstack/nova-specs → none",
        "Launchpad: nova, nova-extra → none",
        "Code repositories: openstack/nova → none",
    ]
    assert projects.sources_of(db, [nova])[nova.id] == projects.Sources(None, (), ())
    event = db.scalars(select(Event).where(Event.kind == "project.changed").order_by(Event.id.desc())).first()
    assert event is not None
    assert event.payload["change"] == "sources"
    assert event.payload["fields"] == ["gerrit_repo", "launchpad", "code_repos"]


# --- renaming -----------------------------------------------------------------------------------------


def test_renaming_redirects_old_page_spec_api_and_admin_urls(
    admin_client: FlaskClient, app: Flask, db: Session, make_spec, make_project
) -> None:
    nova = make_project("nova")
    make_spec("drain-mode", project=nova)

    renamed = submit(admin_client, "/admin/projects/nova", "/admin/projects/nova/rename", {"new_name": "compute"},
                     follow_redirects=True)
    assert flashes(renamed) == [
        "Project nova is now called compute. Links to /projects/nova/… redirect to the new name."
    ]
    assert "former names: nova" in text_of(renamed.text)

    anonymous = app.test_client()
    page = anonymous.get("/projects/nova?state=approved&sort=name")
    assert page.status_code == 301 and path_of(page.location) == "/projects/compute?state=approved&sort=name"
    spec = anonymous.get("/projects/nova/specs/drain-mode")
    assert spec.status_code == 301 and path_of(spec.location) == "/projects/compute/specs/drain-mode"
    assert anonymous.get("/projects/nova/specs/drain-mode", follow_redirects=True).status_code == 200
    api = anonymous.get("/api/v1/projects/nova/specs")
    assert api.status_code == 301 and path_of(api.location) == "/api/v1/projects/compute/specs"
    assert api.get_json()["error"]["code"] == "moved_permanently"
    assert "Project 'nova' is now called 'compute'" in api.get_json()["error"]["message"]
    admin_page = admin_client.get("/admin/projects/nova")
    assert admin_page.status_code == 301 and path_of(admin_page.location) == "/admin/projects/compute"
    # A write keeps its method and body across the redirect.
    put = anonymous.put("/api/v1/projects/nova/specs/drain-mode/checklist", json={"answers": []})
    assert put.status_code == 308
    assert anonymous.get("/projects/never-existed").status_code == 404


def test_renames_chain_and_can_be_undone(db: Session, make_project) -> None:
    a = make_project("alpha")
    projects.rename_project(db, None, a, "beta")
    projects.rename_project(db, None, a, "gamma")
    assert {projects.resolve_alias(db, n).name for n in ("alpha", "beta")} == {"gamma"}  # type: ignore[union-attr]

    projects.rename_project(db, None, a, "alpha")  # back to its first name: that alias is its own name again

    assert projects.resolve_alias(db, "alpha") is None
    assert sorted(projects.aliases_of(db, a)) == ["beta", "gamma"]
    audit = db.scalars(select(AuditLog.details).where(AuditLog.action == "project.renamed")).all()
    assert [(d["old"], d["new"]) for d in audit] == [("alpha", "beta"), ("beta", "gamma"), ("gamma", "alpha")]


def test_a_rename_cannot_take_a_name_in_use(db: Session, make_project) -> None:
    nova = make_project("nova")
    cinder = make_project("cinder")
    projects.rename_project(db, None, cinder, "block-storage")

    with pytest.raises(Conflict, match="Project 'nova' already exists"):
        projects.rename_project(db, None, cinder, "nova")
    with pytest.raises(Conflict, match="'cinder' is a former name of project 'block-storage'"):
        projects.rename_project(db, None, nova, "cinder")
    with pytest.raises(InvalidInput, match="Invalid project name 'Nova X'"):
        projects.rename_project(db, None, nova, "Nova X")
    with pytest.raises(InvalidInput, match="already called 'nova'"):
        projects.rename_project(db, None, nova, "nova")


def test_a_project_later_registered_under_a_former_name_wins_over_the_alias(
    client: FlaskClient, db: Session, make_project
) -> None:
    old = make_project("nova")
    projects.rename_project(db, None, old, "compute")
    make_project("nova", title="The new nova")
    db.flush()

    assert client.get("/projects/nova").status_code == 200


# --- removal ------------------------------------------------------------------------------------------


@pytest.fixture
def full_project(db: Session, make_spec, make_project, make_comment, make_user):  # type: ignore[no-untyped-def]
    nova = make_project("nova")
    one = make_spec("drain-mode", project=nova)
    two = make_spec("heartbeat", project=nova)
    make_spec("heartbeat", project=nova, release="2025.2")  # a second revision of the same spec
    for spec in (one, two):
        checklist.refresh_prefill(db, spec)
    pat = make_user("pat", ptl_of=[nova])
    make_comment(one, "Looks fine.", author=pat)
    make_comment(one, "From Gerrit.", source="gerrit", external_id="g-1")
    make_comment(two, "Me too.")
    keep = make_spec("other-spec", project=make_project("cinder"))
    db.flush()
    return nova, keep


def _count(db: Session, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))  # type: ignore[no-any-return]


def test_the_removal_page_says_exactly_what_goes_and_wants_the_name(
    admin_client: FlaskClient, db: Session, full_project
) -> None:
    nova, _ = full_project
    answers = db.scalar(select(func.count()).select_from(ChecklistAnswer).join(Spec).where(Spec.project_id == nova.id))

    page = admin_client.get("/admin/projects/nova/remove")
    shown = text_of(page.text)
    assert page.status_code == 200
    assert (f"2 specs 3 spec revisions 0 Gerrit changes 3 comments {answers} checklist answers "
            "1 PTL duty (the users stay) 0 import run records") in shown

    wrong = submit(admin_client, "/admin/projects/nova/remove", "/admin/projects/nova/remove",
                   {"confirm_name": "cinder"})
    assert wrong.status_code == 400
    assert flashes(wrong) == ["Nothing was deleted: The name you typed, “cinder”, is not “nova”."]
    assert db.scalar(select(Project.id).where(Project.name == "nova")) is not None


def test_removing_a_project_deletes_it_all_and_keeps_the_rest(
    admin_client: FlaskClient, app: Flask, db: Session, full_project
) -> None:
    nova, keep = full_project
    before = {m.__name__: _count(db, m) for m in (Spec, SpecRevision, Comment)}

    done = submit(admin_client, "/admin/projects/nova/remove", "/admin/projects/nova/remove",
                  {"confirm_name": "nova"}, follow_redirects=True)

    assert flashes(done)[0].startswith("Project nova removed: 2 specs, 3 spec revisions, 0 Gerrit changes, "
                                       "3 comments, ")
    db.expire_all()
    assert db.scalar(select(Project.id).where(Project.name == "nova")) is None
    assert _count(db, Spec) == before["Spec"] - 2
    assert _count(db, SpecRevision) == before["SpecRevision"] - 3
    assert _count(db, Comment) == before["Comment"] - 3
    assert db.get(Spec, keep.id) is not None
    deleted = db.scalars(select(Event.payload).where(Event.kind == "spec.deleted")).all()
    assert sorted(p["name"] for p in deleted) == ["drain-mode", "heartbeat"]
    assert accounts.get_user_with_duties(db, "pat").ptl_of == []  # the PTL stays, without the duty
    assert app.test_client().get("/projects/nova").status_code == 404
    row = db.scalar(select(AuditLog).where(AuditLog.action == "project.removed"))
    assert row is not None and row.details["specs"] == 2 and row.details["comments"] == 3


# --- the same from the command line -------------------------------------------------------------------


def test_cli_edit_sets_and_clears_sources(portal: Portal) -> None:
    portal.ok("projects", "add", "nova", "--launchpad", "nova")

    edited = portal.ok("projects", "edit", "nova", "--gerrit-repo", "openstack/nova-specs",
                       "--launchpad", "nova", "--launchpad", "python-novaclient", "--code-repo", "openstack/nova")

    assert edited.stdout == (
        "nova: Gerrit specs repository: none → openstack/nova-specs\n"
        "nova: Launchpad: nova → nova, python-novaclient\n"
        "nova: Code repositories: none → openstack/nova\n"
    )
    listed = portal.ok("projects", "list").stdout
    assert "gerrit=openstack/nova-specs  launchpad=nova,python-novaclient  code=openstack/nova" in listed
    cleared = portal.ok("projects", "edit", "nova", "--launchpad", "").stdout
    assert cleared == "nova: Launchpad: nova, python-novaclient → none\n"
    assert portal.ok("projects", "edit", "nova", "--code-repo", "openstack/nova").stdout == (
        "Nothing changed: 'nova' already had those sources.\n"
    )
    assert "Say what to change" in portal.fails("projects", "edit", "nova").stderr
    assert "No project named 'swift'" in portal.fails("projects", "edit", "swift", "--launchpad", "swift").stderr


def test_cli_rename_keeps_old_links_working(portal: Portal, web: Flask) -> None:
    portal.ok("projects", "add", "nova")

    assert portal.ok("projects", "rename", "nova", "compute").stdout == (
        "Project 'nova' renamed to 'compute'. Old links redirect to the new name.\n"
    )
    moved = web.test_client().get("/projects/nova")
    assert moved.status_code == 301 and path_of(moved.location) == "/projects/compute"
    portal.ok("projects", "add", "cinder")
    assert "Project 'compute' already exists" in portal.fails("projects", "rename", "cinder", "compute").stderr
    assert "'nova' is a former name of project 'compute'" in portal.fails("projects", "rename", "cinder", "nova").stderr


def test_cli_remove_asks_first_and_says_what_went(portal: Portal, seed) -> None:  # type: ignore[no-untyped-def]
    portal.ok("projects", "add", "nova")
    portal.ok("projects", "add", "cinder")

    kept = portal.run("projects", "remove", "nova", input="n\n")
    assert kept.exit_code == 0
    assert "Removing project 'nova' deletes, for good:\n  0 specs\n" in kept.stdout
    assert kept.stdout.endswith("Nothing was deleted.\n")
    assert "nova" in portal.ok("projects", "list").stdout

    gone = portal.run("projects", "remove", "nova", input="y\n")
    assert gone.exit_code == 0
    assert "Project 'nova' removed: 0 specs, 0 spec revisions" in gone.stdout
    listed = portal.ok("projects", "list").stdout
    assert "nova" not in listed and "cinder" in listed

    scripted = portal.ok("projects", "remove", "cinder", "--yes")
    assert "Project 'cinder' removed" in scripted.stdout
    assert "No project named 'nova'" in portal.fails("projects", "remove", "nova", "--yes").stderr


def test_every_new_project_command_has_help(portal: Portal) -> None:
    for command in ("edit", "rename", "remove"):
        assert f"projects {command}" in portal.ok("projects", command, "--help").stdout
