"""`portal users` and `portal tokens`: creating accounts and tokens from the command line, as an admin would."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.models import ApiToken, User
from portal.settings import Settings
from tests.support.cli_instance import Portal
from tests.support.factories import PASSWORD, login
from tests.support.html import text_of

NEW_PASSWORD = "another long passphrase"




def redirected_to_login(client: FlaskClient) -> bool:
    response = client.get("/account")
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


# --- portal users create --------------------------------------------------------------------------


def test_create_user_with_password_from_stdin_can_log_in(portal: Portal, web: Flask) -> None:
    result = portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "reviewer",
                       "--display-name", "Alice Reviewer", "--password-stdin", input=PASSWORD + "\n")

    assert result.stdout == "User 'alice' created with role reviewer.\n"
    assert PASSWORD not in result.output
    client = web.test_client()
    assert login(client, "alice").status_code == 302
    assert "Alice Reviewer reviewer" in text_of(client.get("/account").text)


def test_create_user_as_ptl_of_a_project(portal: Portal, web: Flask) -> None:
    portal.ok("projects", "add", "nova")
    portal.ok("projects", "add", "cinder")

    result = portal.ok("users", "create", "carlos", "--email", "carlos@example.org", "--role", "operator",
                       "--ptl-of", "nova", "--ptl-of", "cinder", "--password-stdin", input=PASSWORD + "\n")

    assert result.stdout == "User 'carlos' created with role operator, PTL of nova, cinder.\n"
    client = web.test_client()
    login(client, "carlos")
    shown = text_of(client.get("/account").text).replace(" ,", ",")
    assert "PTL of nova, cinder" in shown or "PTL of cinder, nova" in shown


def test_ptl_of_an_unknown_project_creates_nothing(portal: Portal) -> None:
    portal.ok("projects", "add", "nova")

    result = portal.fails("users", "create", "carlos", "--email", "carlos@example.org", "--role", "operator",
                          "--ptl-of", "swift", "--password-stdin", input=PASSWORD + "\n")

    assert "No project named 'swift'. Known projects: nova." in result.stderr
    assert "Register it first with `portal projects add swift`." in result.stderr
    assert "carlos" not in portal.usernames()


def test_bad_role_is_refused_naming_the_valid_ones(portal: Portal) -> None:
    result = portal.fails("users", "create", "alice", "--email", "alice@example.org", "--role", "boss",
                          "--password-stdin", input=PASSWORD + "\n")

    assert result.stderr == "Error: Invalid role 'boss': use one of operator, reviewer, admin.\n"
    assert portal.usernames() == []


def test_duplicate_user_name_is_refused(portal: Portal) -> None:
    portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
              "--password-stdin", input=PASSWORD + "\n")

    result = portal.fails("users", "create", "Alice", "--email", "other@example.org", "--role", "admin",
                          "--password-stdin", input=PASSWORD + "\n")

    assert "User 'alice' already exists. Pick another name" in result.stderr
    assert "`portal users list`" in result.stderr
    assert portal.ok("users", "list").stdout.split() == ["alice", "operator", "alice@example.org"]


def test_duplicate_email_is_refused(portal: Portal) -> None:
    portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
              "--password-stdin", input=PASSWORD + "\n")

    result = portal.fails("users", "create", "bob", "--email", "ALICE@example.org", "--role", "operator",
                          "--password-stdin", input=PASSWORD + "\n")

    assert "Another user already has the email address" in result.stderr
    assert portal.usernames() == ["alice"]


@pytest.mark.parametrize("email", ["not-an-email", "alice@", "two@@example.org"])
def test_bad_email_is_refused_with_an_example_of_a_good_one(portal: Portal, email: str) -> None:
    result = portal.fails("users", "create", "alice", "--email", email, "--role", "operator",
                          "--password-stdin", input=PASSWORD + "\n")

    assert f"Invalid email address '{email}'" in result.stderr
    assert "Give an address such as name@example.org." in result.stderr
    assert portal.usernames() == []


def test_bad_user_name_is_refused_saying_what_is_allowed(portal: Portal) -> None:
    result = portal.fails("users", "create", "bad name!", "--email", "a@example.org", "--role", "operator",
                          "--password-stdin", input=PASSWORD + "\n")

    assert "use 2-64 lowercase letters, digits, '.', '_' or '-'" in result.stderr
    assert portal.usernames() == []


def test_too_short_password_is_refused_naming_the_minimum(portal: Portal) -> None:
    result = portal.fails("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
                          "--password-stdin", input="short\n")

    assert result.stderr == "Error: The password is too short: use at least 10 characters.\n"
    assert portal.usernames() == []


def test_empty_stdin_with_password_stdin_is_refused(portal: Portal) -> None:
    result = portal.fails("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
                          "--password-stdin", input="")

    assert "--password-stdin was given but standard input was empty." in result.stderr
    assert portal.usernames() == []


def test_user_without_password_cannot_log_in_until_one_is_set(portal: Portal, web: Flask) -> None:
    result = portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "operator")

    assert "No password set: the user cannot log in until you run `portal users set-password alice`." in result.stdout
    assert login(web.test_client(), "alice", "").status_code == 400
    assert login(web.test_client(), "alice", PASSWORD).status_code == 401

    portal.ok("users", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert login(web.test_client(), "alice", PASSWORD).status_code == 302


def test_commands_on_a_database_not_yet_created_say_how_to_create_it(tmp_path: Path) -> None:
    cli = Portal(Settings.for_testing(tmp_path / "empty-instance"))
    try:
        result = cli.fails("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
                           "--password-stdin", input=PASSWORD + "\n")
    finally:
        cli.close()

    assert "The database is empty. Run `portal db upgrade` to create it." in result.stderr


# --- portal users set-password --------------------------------------------------------------------


def test_set_password_ends_every_login_session(portal: Portal, web: Flask) -> None:
    portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "operator",
              "--password-stdin", input=PASSWORD + "\n")
    browser = web.test_client()
    login(browser, "alice")
    assert browser.get("/account").status_code == 200

    result = portal.ok("users", "set-password", "alice", "--password-stdin", input=NEW_PASSWORD + "\n")

    assert result.stdout == "Password of 'alice' changed; all of their login sessions were ended.\n"
    assert redirected_to_login(browser)
    assert login(web.test_client(), "alice", PASSWORD).status_code == 401
    assert login(web.test_client(), "alice", NEW_PASSWORD).status_code == 302


def test_set_password_for_an_unknown_user(portal: Portal) -> None:
    result = portal.fails("users", "set-password", "nobody", "--password-stdin", input=NEW_PASSWORD + "\n")

    assert result.stderr == "Error: No user named 'nobody'. List users with `portal users list`.\n"


def test_set_password_without_a_password_says_how_to_give_one(portal: Portal) -> None:
    portal.ok("users", "create", "alice", "--email", "alice@example.org", "--role", "operator")

    result = portal.fails("users", "set-password", "alice")

    assert "No password given: use --password-stdin or run this on a terminal." in result.stderr


# --- portal tokens create -------------------------------------------------------------------------


def test_token_is_printed_once_and_works_against_the_api(portal: Portal, web: Flask) -> None:
    portal.ok("users", "create", "ci-bot", "--email", "ci@example.org", "--role", "operator")
    portal.ok("projects", "add", "nova")

    result = portal.ok("tokens", "create", "ci-bot", "--name", "nightly-sync")

    lines = result.stdout.splitlines()
    assert len(lines) == 1  # only the token on stdout, so scripts can capture it
    secret = lines[0]
    assert secret.startswith("bob_") and len(secret) > 40
    assert result.stderr == "Token 'nightly-sync' for ci-bot created. Store it now: it cannot be shown again.\n"
    response = web.test_client().get("/api/v1/projects", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert [p["name"] for p in response.get_json()["items"]] == ["nova"]
    # Only a hash is kept: the secret is nowhere in the database.
    database = Path(portal.settings.database_url.removeprefix("sqlite:///"))
    assert secret.encode() not in database.read_bytes()
    with portal.contexts[-1].session() as session:
        stored = session.scalars(select(ApiToken)).one()
        owner = session.get(User, stored.user_id)
        assert owner is not None and owner.username == "ci-bot"
        assert stored.name == "nightly-sync" and stored.token_hash != secret
    second = portal.ok("tokens", "create", "ci-bot").stdout.strip()
    assert second != secret


def test_token_for_an_unknown_user(portal: Portal) -> None:
    result = portal.fails("tokens", "create", "nobody")

    assert result.stdout == ""
    assert result.stderr == "Error: No user named 'nobody'. List users with `portal users list`.\n"
