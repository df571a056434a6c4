"""Turning untrusted text into safe HTML, once, at write time.

Comments are Markdown (``markdown``), specs are reStructuredText
(``portal.specs.document``); both outputs go through ``nh3`` with one
allowlist before they are stored. Templates print only these stored fields
with ``|safe``.

Classes are allow-listed, not passed through: RST lets an author put any
class on any element (``.. class:: fixed-top vh-100``, ``:class:`` options,
the language of a ``code`` block), and the page's Bootstrap turns such names
into a full-page overlay above the navbar (a phishing "log in again" box).
Only the classes docutils' HTML writer itself emits survive, minus the few
that Bootstrap also styles (``container``, ``figure``, ``small``, ``table``).
An allow-list rather than a prefix: a prefixed class would be styled by
nothing today, so it only keeps a door open for a future stylesheet rule.
"""

from __future__ import annotations

import re
import threading

import markdown as _markdown
import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "samp", "section", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "var", "aside",
}
# The classes docutils' html5 writer emits with the settings of portal.specs.document (structure,
# admonitions, lists, footnotes, tables, math); Markdown emits none we keep (only ``language-*`` on code).
# None of them is a Bootstrap class: tests/specs/test_markup.py checks that against Bootstrap's CSS.
RENDERER_CLASSES = frozenset({
    "admonition", "admonition-title", "align-center", "align-left", "align-right", "arabic", "attention",
    "attribution", "auto-toc", "brackets", "caution", "citation", "citation-list", "citation-reference",
    "classifier", "code", "colon", "compound", "contents", "danger", "doctest", "docutils", "epigraph",
    "error", "external", "field-list", "fn-bracket", "footnote", "footnote-list", "head", "highlights",
    "hint", "important", "internal", "label", "legend", "line", "line-block", "literal", "literal-block",
    "loweralpha", "lowerroman", "note", "option", "option-list", "pull-quote", "reference", "rubric",
    "sectnum", "sidebar", "sidebar-subtitle", "sidebar-title", "simple", "stub", "tip", "topic",
    "topic-title", "upperalpha", "upperroman", "warning",
    # math_output = HTML
    "bigoperator", "denominator", "formula", "fraction", "integral", "limit", "limits", "numerator",
    "radical", "root", "sqrt",
})
_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "col": {"span"},
}
_SCHEMES = {"http", "https", "mailto"}
_MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
_ALLOWED_CLASSES = {tag: set(RENDERER_CLASSES) for tag in _TAGS}


# Built once: nh3.clean() converts the allow-lists on every call, which cost
# ~0.4 ms per comment and half of a first Gerrit import; the Cleaner keeps them.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    allowed_classes=_ALLOWED_CLASSES,
    url_schemes=_SCHEMES,
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)


# Comments (portal, Gerrit, Launchpad, links) are user-generated content: their links say so to search engines.
_COMMENT_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    allowed_classes=_ALLOWED_CLASSES,
    url_schemes=_SCHEMES,
    link_rel="nofollow ugc noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Keep structure and links; drop scripts, styles, event handlers, images, odd URL schemes, foreign classes."""
    return _CLEANER.clean(html)  # an element whose every class was dropped keeps an empty ``class=""``: harmless


_LOCAL = threading.local()
# Text whose Markdown is only paragraphs: letters, digits and punctuation Markdown gives no meaning to,
# lines without leading or trailing blanks, none opening an ordered list. Most review messages are such.
_PLAIN_CHARS = frozenset(" .,:;?!'\"()/=+%@-")
_LIST_START = re.compile(r"^[0-9]+[.)]", re.M)


def _markdown_converter() -> _markdown.Markdown:
    """One converter per thread, reset before each use: building one costs as much as converting a comment."""
    md: _markdown.Markdown | None = getattr(_LOCAL, "md", None)
    if md is None:
        md = _markdown.Markdown(extensions=_MARKDOWN_EXTENSIONS, output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _LOCAL.md = md
    md.reset()
    return md


def _plain_paragraphs(text: str) -> str | None:
    """What Markdown makes of plain paragraphs, without running it; ``None`` when the text needs Markdown.

    ``tests/specs/test_markdown_plain_text.py`` checks that it equals Markdown's own output.
    """
    lines = text.split("\n")
    for line in lines:
        if line and (line[0] in " -+=" or line[-1] == " " or "  " in line):
            return None  # a list, a rule or heading underline, a code block, a line break
        if not all(c.isalnum() or c in _PLAIN_CHARS or (c > "\x7f" and c.isprintable() and not c.isspace())
                   for c in line):
            return None
    if _LIST_START.search(text):
        return None
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return "\n".join("<p>" + "\n".join(p) + "</p>" for p in paragraphs)


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML, links ``rel="nofollow ugc"``. Raw HTML in the source is escaped, never passed."""
    plain = _plain_paragraphs(text)
    if plain is not None:
        return _COMMENT_CLEANER.clean(plain)
    return _COMMENT_CLEANER.clean(_markdown_converter().convert(text))
