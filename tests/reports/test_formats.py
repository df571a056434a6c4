"""The Markdown, CSV and JSON exports: what they carry, and that hostile text stays inert."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import Session

from portal.clock import now
from portal.discussion import service as discussion
from portal.models import Priority
from portal.reports import formats
from portal.reports.release_summary import build
from portal.votes import service as votes
from portal.votes.service import VoteInput

BASE = "https://bob.example.org"
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
           "\tindent", "\rreturn"]


@pytest.fixture
def summary(db: Session, seed_release, make_user):
    release = seed_release(n_specs=3, n_voters=3)
    spec = release.specs[1]
    for text, user in zip(HOSTILE[:3], release.voters, strict=True):
        votes.cast(db, user, spec, VoteInput(priority=Priority.MUST, reason=text))
    discussion.add_comment(db, release.voters[0], spec, "@SUM(1) <script>alert(1)</script> | pipe")
    spec.title = HOSTILE[0]
    db.flush()
    return build(db, ["nova"], "2026.2", at=now())


def test_csv_cells_that_start_a_formula_are_prefixed(summary) -> None:
    text = formats.to_csv_text(summary, BASE)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert tuple(header) == formats.CSV_HEADER and len(body) == 3
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (header[row.index(cell)], cell)
    hostile = next(r for r in body if r[header.index("name")] == "spec-001")
    assert hostile[header.index("title")] == "'" + HOSTILE[0]
    assert hostile[header.index("url")] == f"{BASE}/projects/nova/specs/spec-001"
    assert hostile[header.index("votes")] == "3" and hostile[header.index("must")] == "3"  # op0 changed its vote
    assert "'@SUM(1)" not in hostile[header.index("latest_comment")]  # not at a cell start: left alone
    assert hostile[header.index("latest_comment")].endswith("@SUM(1) <script>alert(1)</script> | pipe")


@pytest.mark.parametrize("value", HOSTILE)
def test_every_formula_start_of_owasp_is_neutralised(value: str) -> None:
    from portal.votes.export import safe_cell

    assert safe_cell(value) == "'" + value


def test_markdown_escapes_what_would_become_html_links_or_table_cells(summary) -> None:
    text = formats.to_markdown(summary, BASE)
    assert text.startswith("# Release 2026.2: nova — operator summary\n")
    assert "<script>" not in text and "\\<script\\>" in text
    assert "\\| pipe" in text
    assert f"(<{BASE}/projects/nova/specs/spec-001>)" in text
    # One overview row per spec, then one section per spec, with each part a reader looks for.
    assert text.count("\n### ") == 3
    for part in ("**Operability checklist:**", "**Operator-facing impacts:**", "- **Upgrade**",
                 "**Operator votes:** 3 (must have 3", "**Latest discussion**", "PTL: Planned for 2026.2"):
        assert part in text, part


def test_json_has_every_spec_and_no_email_address(summary) -> None:
    document = json.loads(formats.to_json(summary, BASE))
    assert document["release"] == "2026.2" and document["projects"] == ["nova"]
    assert document["counts"] == {"specs": 3, "by_state": {"approved": 3}}
    spec = next(s for s in document["specs"] if s["name"] == "spec-001")
    assert spec["votes"]["total"] == 3 and spec["votes"]["by_priority"]["must"] == 3
    assert {i["key"] for i in spec["impacts"]} == {"upgrade", "config", "deployer", "performance", "security"}
    assert spec["url"] == f"{BASE}/projects/nova/specs/spec-001"
    for fmt in formats.FORMATS.values():
        assert "@example.org" not in fmt(summary, BASE)  # the voters' and authors' addresses never leave
