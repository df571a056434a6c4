"""The sanitiser keeps the renderer's own classes and drops every class an author wrote.

A spec's RST can put any class on any element; with Bootstrap on the page,
``fixed-top vh-100 w-100 bg-white`` turns a paragraph into a full-page
overlay above the navbar. The browser proof is in
``tests/browser/test_hostile_markup_browser.py``; these are the fast checks.
"""

from __future__ import annotations

import re
from pathlib import Path

import flask_bootstrap
import pytest

from portal.markup import RENDERER_CLASSES, render_markdown, sanitize_html
from portal.resources import resource_dir
from portal.specs.document import parse_spec
from tests.conftest import corpus_or_skip

TITLE = "==============\nA hostile spec\n==============\n\n"
OVERLAYS = [
    "fixed-top vh-100 w-100 bg-white",
    "modal d-block",
    "position-fixed z-3 top-0 start-0",
    "position-absolute",
    "sticky-top",
    "container",
]


def classes_in(html: str) -> set[str]:
    return {name for value in re.findall(r'class="([^"]*)"', html) for name in value.split()}


def bootstrap_classes() -> set[str]:
    css = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css" / "bootstrap.min.css"
    return set(re.findall(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)", css.read_text(encoding="utf-8")))


@pytest.mark.parametrize("classes", OVERLAYS)
def test_class_directive_classes_are_dropped_and_the_text_kept(classes: str) -> None:
    text = TITLE + f".. class:: {classes}\n\nSession expired: log in again.\n"

    spec = parse_spec(text)

    assert "Session expired: log in again." in spec.html
    assert classes_in(spec.html) <= RENDERER_CLASSES
    assert not classes_in(spec.html) & set(classes.split())


def test_class_options_container_and_code_language_cannot_smuggle_classes() -> None:
    text = (
        TITLE
        + ".. note::\n   :class: fixed-top\n\n   A note.\n\n"
        + ".. container:: modal d-block\n\n   Boxed.\n\n"
        + ".. code:: position-fixed\n\n   x = 1\n\n"
        + ".. list-table::\n   :class: vh-100\n\n   * - cell\n\n"
        + "A :literal:`role`, and ``literal`` text.\n"
    )

    spec = parse_spec(text)

    assert classes_in(spec.html) <= RENDERER_CLASSES
    # The renderer's own classes are kept, so admonitions and literals still look like themselves.
    assert {"admonition", "note", "literal", "literal-block"} <= classes_in(spec.html)
    assert "A note." in spec.html and "Boxed." in spec.html and "x = 1" in spec.html


def test_sanitiser_drops_foreign_classes_from_any_html() -> None:
    html = sanitize_html('<div class="note fixed-top"><p class="vh-100 w-100">text</p><span class="x">y</span></div>')

    assert html == '<div class="note"><p class="">text</p><span class="">y</span></div>'


def test_markdown_code_language_does_not_become_a_class() -> None:
    html = render_markdown("```fixed-top\ncode\n```\n")

    assert "fixed-top" not in html
    assert classes_in(html) == set()
    assert "code\n</code></pre>" in html


def test_no_allowed_class_is_styled_by_bootstrap() -> None:
    """Bootstrap's classes are layout and position utilities: none may be allowed from spec text."""
    assert not RENDERER_CLASSES & bootstrap_classes()


def test_the_portal_stylesheet_styles_allowed_classes_only_inside_the_spec_body() -> None:
    css = (resource_dir("static") / "css" / "portal.css").read_text(encoding="utf-8")
    for rule in re.findall(r"([^{}]+)\{", css):
        for selector in rule.split(","):
            used = set(re.findall(r"\.([_a-zA-Z][_a-zA-Z0-9-]*)", selector)) & RENDERER_CLASSES
            assert not used or selector.strip().startswith(".spec-body "), selector


def test_the_renderer_classes_of_the_real_corpus_survive() -> None:
    """Everything docutils emits for the real specs is kept, apart from classes the authors wrote."""
    authored = {"table-striped", "json", "python", "bash", "cucumber"}  # :class: options, code languages
    seen: set[str] = set()
    for path in sorted(corpus_or_skip().rglob("*.rst"))[:200]:
        seen |= classes_in(parse_spec(path.read_text(encoding="utf-8", errors="replace")).html)

    assert seen <= RENDERER_CLASSES
    assert not seen & authored
    assert {"docutils", "literal", "reference", "external", "simple"} <= seen
