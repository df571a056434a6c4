"""Turning untrusted text into safe HTML, once, at write time.

Comments are Markdown (``markdown``), specs are reStructuredText
(``portal.specs.document``); both outputs go through ``nh3`` with one
allowlist before they are stored. Templates print only these stored fields
with ``|safe``.
"""

from __future__ import annotations

import markdown as _markdown
import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "samp", "section", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "var", "aside",
}
_ATTRIBUTES = {
    "*": {"id", "class", "title"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "col": {"span"},
}
_SCHEMES = {"http", "https", "mailto"}
_MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


def sanitize_html(html: str) -> str:
    """Keep structure and links; drop scripts, styles, event handlers, images and odd URL schemes."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML. Raw HTML in the source is escaped, never passed through."""
    md = _markdown.Markdown(extensions=_MARKDOWN_EXTENSIONS, output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return sanitize_html(md.convert(text))
