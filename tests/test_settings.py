"""Settings: defaults < ``<instance>/portal.toml`` < ``PORTAL_*`` variables, and clear errors.

Every test passes its own ``environ`` (or CliRunner env), so the machine's
real environment never leaks in.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.errors import SettingsError
from portal.settings import SPEC_BY_NAME, SPECS, Settings, documented_names, load_settings


def env(instance: Path, **values: str) -> dict[str, str]:
    return {"PORTAL_INSTANCE_PATH": str(instance), **{f"PORTAL_{k.upper()}": v for k, v in values.items()}}


def write_toml(instance: Path, text: str) -> Path:
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "portal.toml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def no_portal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads os.environ: drop any PORTAL_* setting the developer's shell has."""
    for spec in SPECS:
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))

    assert settings.instance_path == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.db'}"
    assert (settings.https, settings.proxy_hops, settings.session_hours) == (False, 0, 12)
    assert (settings.page_size, settings.log_level, settings.testing) == (50, "INFO", False)
    assert settings.login_max_failures_per_account_and_address == 5
    assert settings.login_max_failures_per_account == 50
    assert settings.base_url == ""
    assert len(settings.secret_key) >= 32


def test_config_file_overrides_defaults_and_environment_overrides_the_file(tmp_path: Path) -> None:
    write_toml(tmp_path, 'page_size = 25\nlog_level = "debug"\nhttps = true\nsession_hours = 3\n')

    from_file = load_settings(env(tmp_path))
    assert (from_file.page_size, from_file.log_level) == (25, "DEBUG")
    assert (from_file.https, from_file.session_hours) == (True, 3)

    from_env = load_settings(env(tmp_path, page_size="10", https="off"))
    assert (from_env.page_size, from_env.https) == (10, False)
    assert (from_env.log_level, from_env.session_hours) == ("DEBUG", 3)  # still from the file


def test_relative_instance_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"PORTAL_INSTANCE_PATH": "site"})
    assert settings.instance_path == tmp_path / "site"
    assert settings.instance_path.is_absolute()


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    url = "postgresql+psycopg://portal:pw@127.0.0.1:5432/portal"
    assert load_settings(env(tmp_path, database_url=url)).database_url == url


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("https", "maybe", "true or false"),
        ("testing", "2", "true or false"),
        ("proxy_hops", "-1", "a whole number >= 0"),
        ("session_hours", "0", "a whole number of hours from 1 to 8760"),
        ("page_size", "lots", "a whole number from 1 to 200"),
        ("login_window_minutes", "1.5", "a whole number of minutes from 1 to 10080"),
        ("log_level", "LOUD", "one of DEBUG, INFO, WARNING, ERROR"),
        ("database_url", "mysql://portal@127.0.0.1/portal", "an SQLAlchemy URL such as"),
        ("database_url", "not a url", "an SQLAlchemy URL such as"),
        ("instance_path", "", "a directory path"),
    ],
)
def test_invalid_environment_value_names_setting_origin_and_form(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    environ = env(tmp_path, **{name: value})
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    message = caught.value.message
    assert f"Invalid setting {name}" in message
    assert f"environment variable PORTAL_{name.upper()}" in message
    assert f"expected {expected}" in message
    assert repr(value) in message


def test_database_url_with_a_missing_driver_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="the driver 'pg8000' is not installed"):
        load_settings(env(tmp_path, database_url="postgresql+pg8000://u@127.0.0.1/portal"))


def test_short_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path, secret_key="hunter2-is-short"))
    message = caught.value.message
    assert "Invalid setting secret_key (environment variable PORTAL_SECRET_KEY)" in message
    assert "at least 32 characters" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("toml", "name", "expected"),
    [
        ("page_size = 0\n", "page_size", "a whole number from 1 to 200"),
        ("proxy_hops = true\n", "proxy_hops", "a whole number >= 0"),
        ('https = "sometimes"\n', "https", "true or false"),
        ('database_url = "mysql://x/y"\n', "database_url", "an SQLAlchemy URL"),
    ],
)
def test_invalid_file_value_names_the_file_and_key(tmp_path: Path, toml: str, name: str, expected: str) -> None:
    path = write_toml(tmp_path, toml)
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path))
    message = caught.value.message
    assert f"Invalid setting {name} ({path} key '{name}')" in message
    assert f"expected {expected}" in message


def test_unknown_key_in_the_file_lists_the_known_settings(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "page_sise = 10\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path))
    message = caught.value.message
    assert str(path) in message and "page_sise" in message
    assert "Known settings:" in message
    for spec in SPECS:
        assert spec.name in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "page_size = = 3\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path))
    assert str(path) in caught.value.message
    assert "not valid TOML" in caught.value.message
    assert "Fix the file or remove it" in caught.value.message


def test_instance_path_cannot_be_set_in_its_own_file(tmp_path: Path) -> None:
    write_toml(tmp_path, 'instance_path = "/elsewhere"\n')
    with pytest.raises(SettingsError, match="PORTAL_INSTANCE_PATH"):
        load_settings(env(tmp_path))


def test_secret_is_generated_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    instance = tmp_path / "new-instance"  # does not exist yet

    first = load_settings(env(instance))

    secret_file = instance / "secret_key"
    assert secret_file.read_text().strip() == first.secret_key
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32
    second = load_settings(env(instance))
    assert second.secret_key == first.secret_key


def test_secrets_differ_between_instances(tmp_path: Path) -> None:
    one = load_settings(env(tmp_path / "one")).secret_key
    two = load_settings(env(tmp_path / "two")).secret_key
    assert one != two


def test_secret_from_the_environment_wins_and_writes_no_file(tmp_path: Path) -> None:
    secret = "s" * 40
    settings = load_settings(env(tmp_path, secret_key=secret))
    assert settings.secret_key == secret
    assert not (tmp_path / "secret_key").exists()


def test_without_create_secret_a_missing_secret_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path), create_secret=False)
    assert "PORTAL_SECRET_KEY" in caught.value.message
    assert not (tmp_path / "secret_key").exists()


def test_a_damaged_secret_file_is_reported_by_path(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path))
    assert str(tmp_path / "secret_key") in caught.value.message
    assert "got (hidden)" in caught.value.message


def test_instance_path_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "instance"
    file.write_text("")
    with pytest.raises(SettingsError, match="is a file, not a folder"):
        load_settings(env(file))


def test_every_setting_is_declared_and_documented() -> None:
    assert documented_names() == [spec.name for spec in SPECS]
    assert set(SPEC_BY_NAME) == {f for f in Settings.__dataclass_fields__}
    for spec in SPECS:
        assert spec.help.strip() and spec.expected.strip()


def test_settings_for_testing_are_isolated(tmp_path: Path) -> None:
    settings = Settings.for_testing(tmp_path)
    assert settings.testing and settings.database_url == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings.with_overrides(page_size=5).page_size == 5


# --- through the CLI ---------------------------------------------------------------


def test_cli_shows_a_configuration_error_and_exits_2(tmp_path: Path) -> None:
    runner = CliRunner(env=env(tmp_path, page_size="0"))

    result = runner.invoke(main, ["projects", "list"])

    assert result.exit_code == 2
    assert result.stderr.startswith("Configuration error: Invalid setting page_size")
    assert "environment variable PORTAL_PAGE_SIZE" in result.stderr
    assert "Traceback" not in result.output


def test_cli_reports_a_bad_config_file_and_exits_2(tmp_path: Path) -> None:
    write_toml(tmp_path, "colour = 'blue'\n")
    result = CliRunner(env=env(tmp_path)).invoke(main, ["db", "current"])
    assert result.exit_code == 2
    assert "Configuration error:" in result.stderr and "colour" in result.stderr
    assert "Known settings:" in result.stderr


def test_cli_reports_an_unparseable_database_url_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner(env=env(tmp_path, database_url="::nonsense::")).invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "Configuration error: Invalid setting database_url" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
