"""The spec page shows the lead paragraph once: in the header, not again as the body's first paragraph."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from portal.importers.specs_tree import import_tree
from portal.specs import service as specs
from portal.specs.detail import _html_key, _text_key, lead_and_body
from portal.specs.document import parse_spec
from tests.conftest import corpus_or_skip
from tests.support.html import text_of


def _occurrences(key: str, fragment: str) -> int:
    return _html_key(fragment).count(key) if fragment else 0


def test_on_the_real_corpus_the_header_adds_no_copy_of_the_lead() -> None:
    """For every nova spec: the lead appears in header + body as often as the author wrote it."""
    corpus = corpus_or_skip()
    moved = stays = 0
    files = sorted((corpus / "specs").rglob("*.rst"))
    assert len(files) > 30
    for path in files:
        parsed = parse_spec(path.read_text(encoding="utf-8", errors="replace"))
        if not parsed.summary:
            continue
        text = lead_and_body(parsed.summary, None, parsed.html)
        key = _text_key(parsed.summary.removesuffix(" …"))
        before = _occurrences(key, parsed.html)  # the author's own text
        after = _occurrences(key, text.lead_html) + _occurrences(key, text.body_html)
        assert after == before, f"{path.name}: lead shown {after} times, the spec has it {before} times"
        if text.body_html != parsed.html:
            moved += 1
            # What moved is the whole paragraph, links and all, and it left the body.
            assert text.lead_html and "<p" not in text.lead_html
        else:
            stays += 1
    # Most nova specs open with an introduction under the title: it becomes the header's lead.
    assert moved > 0.8 * (moved + stays), (moved, stays)


def test_a_lead_that_opens_a_section_stays_under_its_heading() -> None:
    rst = "=====\nTitle\n=====\n\nProblem description\n===================\n\nServers lose their disks.\n\nMore.\n"
    parsed = parse_spec(rst)
    assert parsed.summary == "Servers lose their disks."
    text = lead_and_body(parsed.summary, None, parsed.html)
    assert text.lead_html == "" and text.body_html == parsed.html


def test_a_spec_without_a_document_shows_its_launchpad_summary_escaped() -> None:
    text = lead_and_body("", "Adds <b>fast</b> evacuation", "")
    assert text.lead_html == "Adds &lt;b&gt;fast&lt;/b&gt; evacuation"


def test_a_shortened_summary_still_finds_its_whole_paragraph() -> None:
    long_intro = " ".join(f"word{n}" for n in range(200))
    rst = f"=====\nTitle\n=====\n\n{long_intro}\n\nUse cases\n=========\n\nx\n"
    parsed = parse_spec(rst)
    assert parsed.summary.endswith(" …")
    text = lead_and_body(parsed.summary, None, parsed.html)
    assert "word199" in text.lead_html and "word199" not in text.body_html


def test_the_spec_page_shows_a_real_corpus_lead_once(db: Session, client, tmp_path) -> None:
    corpus = corpus_or_skip()
    source = corpus / "specs/2024.1/approved/per-process-healthchecks.rst"
    if not source.is_file():
        pytest.skip(f"{source} is not in this corpus")
    tree = tmp_path / "specs/2024.1/approved"
    tree.mkdir(parents=True)
    (tree / source.name).write_text(source.read_text())
    nova = specs.add_project(db, None, "nova", gerrit_repo="openstack/nova-specs")
    import_tree(db, None, nova, tmp_path)
    db.flush()
    page = client.get("/projects/nova/specs/per-process-healthchecks")
    assert page.status_code == 200
    words = "there is an expectation that an application can expose a health-check endpoint"
    shown = text_of(page.get_data(as_text=True))
    assert len(re.findall(re.escape(words), re.sub(r"\s+", " ", shown))) == 1
    header = page.get_data(as_text=True).split("</header>", 2)[1]  # the site header, then the spec's
    assert words in re.sub(r"\s+", " ", header)
