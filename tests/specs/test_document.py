"""The spec parser on real nova specs and on hostile reStructuredText.

What an operator sees of a spec (its title, summary, Launchpad link, the
sections the checklist reads and the HTML page) comes from ``parse_spec``;
spec files are untrusted, so the hostile cases matter as much as the real ones.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal.specs.document import LINE_LENGTH_LIMIT, MAX_SPEC_BYTES, ParsedSpec, parse_spec
from tests.conftest import corpus_or_skip

TITLE = "==============\nA hostile spec\n==============\n\n"


def corpus_file(relative: str) -> str:
    return (corpus_or_skip() / "specs" / relative).read_text(encoding="utf-8")


def corpus_specs() -> list[Path]:
    specs = corpus_or_skip() / "specs"
    return sorted(p for p in specs.rglob("*.rst") if not p.name.endswith("-template.rst"))


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered), "an on*= event handler attribute survived"
    assert "<iframe" not in lowered and "<object" not in lowered and "<style" not in lowered


# --- real specs ---------------------------------------------------------------


def test_cross_cell_resize_title_link_summary_and_sections() -> None:
    spec = parse_spec(corpus_file("ussuri/implemented/cross-cell-resize.rst"))

    assert spec.error is None
    assert spec.title == "Cross-cell resize"
    assert spec.blueprint is not None
    assert spec.blueprint.name == "cross-cell-resize"
    assert spec.blueprint.project == "nova"
    assert spec.blueprint.url == "https://blueprints.launchpad.net/nova/+spec/cross-cell-resize"
    # The summary is the intro paragraph, not the link above it.
    assert spec.summary.startswith("Expand resize (cold migration) support across multiple cells")
    assert "launchpad.net" not in spec.summary

    upgrade = spec.section("Proposed change", "Upgrade impact")
    assert upgrade is not None
    assert upgrade.path == ("Proposed change", "Upgrade impact")
    assert upgrade.text.startswith("There are three major upgrade considerations")
    # Nested sections keep their whole heading path.
    api = spec.section("Proposed change", "Resize flow", "API")
    assert api is not None and api.level == 3
    assert spec.section("Dependencies") is not None
    assert spec.section("Dependencies").text == "None"
    # A section's text is its own, not its subsections'.
    proposed = spec.section("Proposed change")
    assert proposed is not None and "There are three major upgrade considerations" not in proposed.text


def test_section_lookup_ignores_case_and_missing_sections_are_none() -> None:
    spec = parse_spec(corpus_file("juno/implemented/hyper-v-soft-reboot.rst"))

    assert spec.section("proposed change", "security impact").text == "None"
    assert spec.section("Proposed change", "Upgrade impact") is None  # juno's template had none


def test_summary_skips_the_line_that_introduces_the_link() -> None:
    """Older specs say "The launchpad blueprint is located at:" before the URL."""
    spec = parse_spec(corpus_file("mitaka/implemented/user-settable-server-description.rst"))
    assert spec.blueprint is not None and spec.blueprint.name == "user-settable-server-description"
    assert spec.summary.startswith("Allow users to set the description of a server")

    spec = parse_spec(corpus_file("newton/implemented/support-neutron-security-group.rst"))
    assert spec.summary == "This blueprint aims to support neutron security group."


def test_the_link_name_is_read_even_when_it_differs_from_the_file_name() -> None:
    spec = parse_spec(corpus_file("2025.1/implemented/openapi.rst"))
    assert spec.blueprint is not None and spec.blueprint.name == "openapi-2"


def test_every_corpus_spec_parses_with_title_link_sections_and_anchors_in_its_html() -> None:
    files = corpus_specs()
    assert len(files) == 64
    for path in files:
        spec = parse_spec(path.read_text(encoding="utf-8"))
        where = path.relative_to(corpus_or_skip()).as_posix()
        assert spec.error is None, where
        assert spec.title and not spec.title.startswith(".."), where
        assert spec.blueprint is not None, f"{where}: no Launchpad link found"
        assert spec.summary and not spec.summary.startswith("http"), where
        assert spec.blueprint.url not in spec.summary, f"{where}: the summary is the link, not the intro"
        assert spec.section("Problem description") is not None, where
        ids = set(re.findall(r'\bid="([^"]+)"', spec.html))
        for section in spec.sections:
            assert section.anchor in ids, f"{where}: no element with id {section.anchor!r} for {section.path}"
        assert len({s.anchor for s in spec.sections}) == len(spec.sections), f"{where}: duplicate anchors"
        assert_safe(spec.html)
        # The page header shows the title, so the body does not repeat it as a heading.
        assert f">{spec.title}</h" not in spec.html, where


def test_sections_round_trip_through_their_stored_form() -> None:
    spec = parse_spec(corpus_file("stein/approved/cross-cell-resize.rst"))
    stored = [s.to_dict() for s in spec.sections]
    assert [type(s).from_dict(d) for s, d in zip(spec.sections, stored, strict=True)] == list(spec.sections)


def test_table_text_has_no_runs_of_blank_lines() -> None:
    history = parse_spec(corpus_file("ussuri/implemented/cross-cell-resize.rst")).section("History")
    assert history is not None
    assert "Stein" in history.text
    assert "\n\n\n" not in history.text


# --- links ------------------------------------------------------------------------


def test_blueprint_link_as_an_rst_link_and_summary_is_the_next_paragraph() -> None:
    text = (
        "=========\nFast boot\n=========\n\n"
        "`Launchpad blueprint <https://blueprints.launchpad.net/nova/+spec/fast-boot>`_\n\n"
        "Boot servers faster.\n\n"
        "Problem description\n===================\n\nBoots are slow.\n"
    )
    spec = parse_spec(text)
    assert spec.blueprint is not None
    assert spec.blueprint.name == "fast-boot"
    assert spec.blueprint.url == "https://blueprints.launchpad.net/nova/+spec/fast-boot"
    assert spec.summary == "Boot servers faster."
    assert spec.section("Problem description").text == "Boots are slow."


def test_no_link_gives_no_blueprint() -> None:
    spec = parse_spec("=====\nTitle\n=====\n\nJust prose, see https://example.org/+spec/nope.\n")
    assert spec.blueprint is None
    assert spec.summary == "Just prose, see https://example.org/+spec/nope."


# --- hostile input ------------------------------------------------------------------


def test_include_directive_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER\n")
    text = TITLE + f".. include:: {secret}\n\n.. include:: /etc/passwd\n\nAfter the includes.\n"

    spec = parse_spec(text)

    assert spec.error is None
    assert "TOP-SECRET-MARKER" not in spec.html
    assert "root:" not in spec.html
    assert "After the includes." in spec.html
    assert all("TOP-SECRET-MARKER" not in s.text for s in spec.sections)


def test_raw_html_is_not_passed_through() -> None:
    text = TITLE + ".. raw:: html\n\n   <script>alert(1)</script><b onclick='x()'>bold</b>\n\nAfter.\n"
    spec = parse_spec(text)
    assert_safe(spec.html)
    assert "alert(1)" not in spec.html
    assert "After." in spec.html


def test_raw_html_through_a_custom_role_is_escaped() -> None:
    text = TITLE + ".. role:: html(raw)\n   :format: html\n\n:html:`<script>alert(1)</script>`\n"
    spec = parse_spec(text)
    assert_safe(spec.html)


def test_csv_table_file_option_does_not_read_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "data.csv"
    secret.write_text("TOP-SECRET-MARKER,1\n")
    text = TITLE + f".. csv-table:: Data\n   :file: {secret}\n\nAfter.\n"

    spec = parse_spec(text)

    assert "TOP-SECRET-MARKER" not in spec.html
    assert "After." in spec.html


@pytest.fixture
def metadata_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server standing in for http://169.254.169.254/, recording every request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            requests.append(self.path)
            body = b"a,b\nCLOUD-CREDENTIALS,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/latest/meta-data/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_csv_table_url_option_is_never_fetched(metadata_server: tuple[str, list[str]]) -> None:
    url, requests = metadata_server
    for target in (url, "http://169.254.169.254/latest/meta-data/"):
        spec = parse_spec(TITLE + f".. csv-table:: Metadata\n   :url: {target}\n\nAfter.\n")
        assert spec.error is None
        assert "CLOUD-CREDENTIALS" not in spec.html
        assert "After." in spec.html
    assert requests == []


@pytest.mark.parametrize(
    "link",
    [
        "`click me <javascript:alert(1)>`_",
        "`click me <JaVaScRiPt:alert(document.cookie)>`__",
        "`click me`_\n\n.. _click me: javascript:alert(1)",
        "`click me <data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>`_",
    ],
)
def test_script_links_lose_their_target_but_keep_their_text(link: str) -> None:
    spec = parse_spec(TITLE + link + "\n")
    assert_safe(spec.html)
    assert "data:text/html" not in spec.html
    assert "click me" in spec.html


def test_image_and_class_tricks_produce_no_handlers() -> None:
    text = (
        TITLE
        + ".. image:: javascript:alert(1)\n   :alt: x\n\n"
        + ".. class:: onload=alert(1)\n\nA classed paragraph.\n\n"
        + ".. container:: onmouseover=alert(1)\n\n   In a container.\n"
    )
    spec = parse_spec(text)
    assert_safe(spec.html)
    assert "<img" not in spec.html
    assert "A classed paragraph." in spec.html and "In a container." in spec.html


def test_unknown_directive_keeps_its_text_visible_and_is_reported() -> None:
    text = TITLE + ".. frobnicate:: now\n\n   The operator must still see this.\n\nAfter.\n"
    spec = parse_spec(text)
    assert spec.error is None
    assert "The operator must still see this." in spec.html
    assert "After." in spec.html
    assert any("frobnicate" in warning for warning in spec.warnings)


def test_unknown_role_keeps_its_text() -> None:
    spec = parse_spec(TITLE + "Set :frobconf:`max_widgets` to 3.\n")
    assert spec.error is None
    assert "max_widgets" in spec.html
    assert spec.summary.startswith("Set ")


def test_sphinx_roles_read_as_their_label() -> None:
    spec = parse_spec(TITLE + "See :ref:`the upgrade notes <upgrade-notes>` and :oslo.config:option:`workers`.\n")
    assert "the upgrade notes" in spec.html
    assert "upgrade-notes" not in spec.summary
    assert "workers" in spec.html


def test_sphinx_code_block_is_shown_as_code() -> None:
    text = TITLE + ".. code-block:: console\n\n   $ nova-manage db sync\n\nAfter.\n"
    spec = parse_spec(text)
    assert spec.error is None
    assert re.search(r"<pre[^>]*>\$ nova-manage db sync</pre>", spec.html)


def test_nul_bytes_give_plain_text_with_the_reason_and_the_text_kept() -> None:
    text = TITLE + "Readable part.\x00\x00binary tail\n"
    spec = parse_spec(text, fallback_title="hostile spec")
    assert spec.error is not None and "NUL" in spec.error
    assert "\x00" not in spec.html
    assert "Readable part." in spec.html and "binary tail" in spec.html
    assert spec.sections and "Readable part." in spec.sections[0].text
    assert spec.title == "A hostile spec"


def test_empty_file_is_reported_not_dropped() -> None:
    spec = parse_spec("   \n\n", fallback_title="empty spec")
    assert spec.error == "the file is empty"
    assert spec.title == "empty spec"
    assert spec.sections == ()


def test_file_over_one_mebibyte_falls_back_to_plain_text() -> None:
    paragraph = "Lorem ipsum dolor sit amet. " * 30 + "\n\n"
    text = TITLE + paragraph * (MAX_SPEC_BYTES // len(paragraph) + 10)
    assert len(text.encode()) > MAX_SPEC_BYTES

    spec = parse_spec(text)

    assert spec.error is not None and "KiB" in spec.error
    assert spec.title == "A hostile spec"
    assert spec.sections[0].text.startswith(TITLE)
    assert "Lorem ipsum dolor sit amet." in spec.html


def test_a_line_over_the_length_limit_keeps_the_document_as_plain_text() -> None:
    """docutils stops at such a line and would drop the whole document silently."""
    text = TITLE + "Intro before.\n\n" + "x" * (LINE_LENGTH_LIMIT + 1) + "\n\nText after.\n"
    spec = parse_spec(text)
    assert spec.error is not None and "line 7" in spec.error
    assert "Intro before." in spec.html and "Text after." in spec.html
    assert spec.title == "A hostile spec"


def test_deeply_nested_rst_falls_back_to_plain_text() -> None:
    nested = "".join(" " * level + "- item\n\n" for level in range(0, 1200, 2))
    spec = parse_spec(TITLE + nested + "Last words.\n")
    assert spec.error is not None and "reStructuredText error" in spec.error
    assert "Last words." in spec.html
    assert spec.title == "A hostile spec"


def test_document_without_heading_takes_its_title_from_the_first_line() -> None:
    text = "..\n This work is licensed under CC-BY.\n\nFaster server boots\nfor everybody.\n\nMore text.\n"
    spec = parse_spec(text, fallback_title="fallback")
    assert spec.title == "Faster server boots"
    assert spec.error is None
    assert "no title found" in spec.warnings
    assert "More text." in spec.html


def test_the_result_is_frozen() -> None:
    spec = parse_spec(TITLE + "Text.\n")
    assert isinstance(spec, ParsedSpec)
    with pytest.raises(AttributeError):
        spec.title = "changed"  # type: ignore[misc]
