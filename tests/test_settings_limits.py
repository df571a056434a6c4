"""Settings that used to pass validation and then crash (or break every list) are refused at start-up.

And ``base_url``: validated, and required by name where a feature builds
links without a request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from portal.api.views import openapi_document
from portal.app import create_app
from portal.cli import main
from portal.errors import SettingsError
from portal.settings import MAX_PAGE_SIZE, MAX_SESSION_HOURS, SPECS, Settings, load_settings
from tests.support.factories import login


def env(instance: Path, **values: str) -> dict[str, str]:
    return {"PORTAL_INSTANCE_PATH": str(instance), **{f"PORTAL_{k.upper()}": v for k, v in values.items()}}


@pytest.fixture(autouse=True)
def no_portal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in SPECS:
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)


# --- portal.toml that is not UTF-8 -------------------------------------------------------------


def test_a_config_file_that_is_not_utf8_is_a_configuration_error(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "portal.toml").write_bytes(b'# r\xe9glages de prod\npage_size = 25\n')

    result = CliRunner(env=env(tmp_path)).invoke(main, ["db", "current"])

    assert result.exit_code == 2
    assert result.stderr == (
        f"Configuration error: {tmp_path / 'portal.toml'}: not UTF-8 text (invalid byte at offset 3). "
        "Save it as UTF-8, e.g. iconv -f latin1 -t utf-8 portal.toml > portal.toml.new, then rename it.\n"
    )
    assert "Traceback" not in result.output


def test_a_secret_key_file_that_is_not_text_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_bytes(b"\xff\xfe" + b"\x00" * 40)

    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path))

    assert caught.value.message == (
        f"Cannot read the secret key file {tmp_path / 'secret_key'} (not text). Make it a readable text file, "
        "or delete it to have a new key generated (every login session then ends)."
    )


# --- session_hours -----------------------------------------------------------------------------


def test_session_hours_beyond_a_year_are_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path, session_hours="999999999999"))

    assert caught.value.message == (
        "Invalid setting session_hours (environment variable PORTAL_SESSION_HOURS): expected a whole number "
        f"of hours from 1 to {MAX_SESSION_HOURS} (one year), got '999999999999'."
    )


def test_the_longest_session_allowed_serves_and_logs_in(
    tmp_path: Path, database_url: str, session_factory: sessionmaker[Session], make_user
) -> None:
    settings = load_settings(env(tmp_path, session_hours=str(MAX_SESSION_HOURS), database_url=database_url,
                                 testing="true"))
    client = create_app(settings, session_factory=session_factory).test_client()
    make_user("alice")

    assert login(client, "alice").status_code == 302
    assert client.get("/account").status_code == 200


def test_a_huge_login_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="expected a whole number of minutes from 1 to 10080"):
        load_settings(env(tmp_path, login_window_minutes="99999999999999"))


# --- page_size ---------------------------------------------------------------------------------


def test_page_size_above_the_apis_per_page_limit_is_refused(tmp_path: Path) -> None:
    result = CliRunner(env=env(tmp_path, page_size=str(MAX_PAGE_SIZE + 1))).invoke(main, ["projects", "list"])

    assert result.exit_code == 2
    assert result.stderr == (
        "Configuration error: Invalid setting page_size (environment variable PORTAL_PAGE_SIZE): expected a whole "
        f"number from 1 to {MAX_PAGE_SIZE} (the API's per_page limit), got '{MAX_PAGE_SIZE + 1}'.\n"
    )


def test_the_settings_limit_is_the_apis_per_page_maximum() -> None:
    spec_list = openapi_document()["paths"]["/projects/{project_name}/specs"]["get"]
    per_page = next(p for p in spec_list["parameters"] if p.get("name") == "per_page")

    assert per_page["schema"]["maximum"] == MAX_PAGE_SIZE


def test_the_largest_page_size_allowed_serves_api_lists(
    tmp_path: Path, database_url: str, session_factory: sessionmaker[Session], make_project, make_spec
) -> None:
    settings = Settings.for_testing(tmp_path, database_url, page_size=MAX_PAGE_SIZE)
    make_spec(project=make_project("nova"))
    client = create_app(settings, session_factory=session_factory).test_client()

    response = client.get("/api/v1/projects/nova/specs")

    assert response.status_code == 200
    assert response.get_json()["meta"]["per_page"] == MAX_PAGE_SIZE


# --- base_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://bob.example.org", "https://bob.example.org"),
        ("https://bob.example.org/", "https://bob.example.org"),
        ("http://127.0.0.1:5000/portal/", "http://127.0.0.1:5000/portal"),
    ],
)
def test_base_url_accepts_absolute_http_urls(tmp_path: Path, value: str, stored: str) -> None:
    assert load_settings(env(tmp_path, base_url=value)).base_url == stored


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("bob.example.org", ""),
        ("ftp://bob.example.org", ""),
        ("https://", ""),
        ("https://bob.example.org/?x=1", " (no query string or fragment)"),
        ("https://bob.example.org/#top", " (no query string or fragment)"),
        ("https://admin:pw@bob.example.org", " (no user name or password in it)"),
        ("https://bob.example.org:99999", ""),
        ("https://bob example.org", ""),
    ],
)
def test_base_url_refuses_what_is_not_a_plain_absolute_url(tmp_path: Path, value: str, detail: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path, base_url=value))

    assert caught.value.message.startswith(
        "Invalid setting base_url (environment variable PORTAL_BASE_URL): expected an absolute http:// or "
        "https:// URL without query or fragment"
    )
    assert caught.value.message.endswith(f"got {value!r}{detail}.")


def test_require_base_url_names_the_feature_and_the_setting(tmp_path: Path) -> None:
    unset = Settings.for_testing(tmp_path)
    with pytest.raises(SettingsError) as caught:
        unset.require_base_url("mail notifications")

    assert caught.value.message == (
        "PORTAL_BASE_URL is required for mail notifications; set it to the URL users reach the portal at "
        "(e.g. PORTAL_BASE_URL=https://bob.example.org, or base_url in portal.toml)."
    )
    assert unset.with_overrides(base_url="https://bob.example.org").require_base_url("feeds") == (
        "https://bob.example.org"
    )
