"""``portal checklist analyze`` and ``portal checklist refresh``, as an admin runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.checklist import template
from portal.cli import main
from portal.settings import SPECS
from tests.conftest import corpus_or_skip


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for spec in SPECS:
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)

    def invoke(*args: str):
        runner = CliRunner(env={"PORTAL_INSTANCE_PATH": str(tmp_path / "instance")})
        return runner.invoke(main, list(args), prog_name="portal")

    return invoke


def test_analyze_prints_a_table_with_evidence_and_concerns(run) -> None:
    path = corpus_or_skip() / "specs/juno/approved/tag-instances.rst"
    result = run("checklist", "analyze", str(path))
    assert result.exit_code == 0, result.output
    assert "Allow simple string tagging of instances" in result.output
    assert "✗ upgrade" in result.output
    assert "The data model changes (a schema migration) but the spec says nothing about upgrades" in result.output
    assert "CREATE TABLE tags" in result.output
    assert "✓ docs" in result.output and "Docs needed for new API extension and usage." in result.output


def test_analyze_json_has_the_documented_shape(run) -> None:
    path = corpus_or_skip() / "specs/juno/approved/tag-instances.rst"
    result = run("checklist", "analyze", "--json", str(path))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["template_version"] == template.latest().version
    items = {item["key"]: item for item in document["items"]}
    assert set(template.STABLE_KEYS) <= set(items)
    assert items["upgrade"]["state"] == "missing"
    assert items["upgrade"]["concerns"][0]["message"].startswith("The data model changes")
    assert len(items["upgrade"]["concerns"][0]["quotes"]) == 2
    assert items["monitoring"]["evidence"] == {"section": "Proposed change > Notifications impact", "quote": "None"}


def test_analyze_a_spec_with_no_known_sections_notes_it(run, tmp_path: Path) -> None:
    spec = tmp_path / "idea.rst"
    spec.write_text("An idea\n=======\n\nJust a thought.\n")
    result = run("checklist", "analyze", str(spec))
    assert result.exit_code == 0
    assert "No recognisable sections" in result.output


def test_analyze_refuses_what_is_not_a_text_spec(run, tmp_path: Path) -> None:
    binary = tmp_path / "blob.rst"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = run("checklist", "analyze", str(binary))
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output and "convert it to UTF-8" in result.output
    missing = run("checklist", "analyze", str(tmp_path / "nope.rst"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_refresh_prefills_every_spec_and_keeps_answers(run, tmp_path: Path) -> None:
    tree = tmp_path / "repo" / "specs" / "2025.1" / "approved"
    tree.mkdir(parents=True)
    (tree / "drain.rst").write_text("Drain\n=====\n\nUpgrade impact\n--------------\n\nNone\n")
    assert run("db", "upgrade").exit_code == 0
    assert run("projects", "add", "nova").exit_code == 0
    assert run("import", "specs", "--project", "nova", str(tmp_path / "repo")).exit_code == 0
    result = run("checklist", "refresh", "--project", "nova")
    assert result.exit_code == 0, result.output
    assert "Checklist prefilled for 1 spec; reviewers' answers were kept." in result.output
    unknown = run("checklist", "refresh", "--project", "nowhere")
    assert unknown.exit_code == 1 and "portal projects add nowhere" in unknown.output
