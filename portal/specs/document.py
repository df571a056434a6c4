"""Parse one spec document (reStructuredText) into title, sections, link and safe HTML.

Spec files are untrusted input: docutils runs with ``raw`` and file
insertion (``include``, ``csv-table :file:``…) disabled, no config files,
a line-length cap, a cap on what substitutions expand to (a few hundred
bytes of nested ``|s0| replace:: |s1| |s1|`` would otherwise keep docutils
busy for minutes), a wall-clock budget per document, and the HTML it
produces is sanitised again by ``portal.markup``. Sphinx-only directives
and roles that specs use (``code-block``, ``seqdiag``, ``:ref:``…) are
registered as harmless stand-ins so their content still shows. A document
that cannot be parsed is kept as plain text with the reason, never dropped.

This module is pure, text in and :class:`ParsedSpec` out, apart from the
alarm it arms and disarms around docutils (``_time_budget``).
"""

from __future__ import annotations

import html
import io
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from types import FrameType
from typing import Any

import docutils.core
import docutils.frontend
import docutils.nodes as nodes
import docutils.parsers.rst
import docutils.readers.standalone
import docutils.transforms
import docutils.writers.html5_polyglot
from docutils.parsers.rst import Directive, directives, roles

from portal.markup import sanitize_html

MAX_SPEC_BYTES = 1024 * 1024
SUMMARY_CHARS = 600
ANCHOR_PREFIX = "s-"
LINE_LENGTH_LIMIT = 20_000
PARSE_CACHE_SIZE = 128  # parsed specs kept in memory (only those below PARSE_CACHE_MAX_CHARS)
PARSE_CACHE_MAX_CHARS = 200_000
# Substitutions may expand to at most this many references / characters in all (real specs use a handful).
MAX_SUBSTITUTIONS = 2_000
MAX_SUBSTITUTION_CHARS = MAX_SPEC_BYTES
# Wall-clock budget for one document; the real corpus parses in at most ~0.15 s a file.
PARSE_TIME_BUDGET_SECONDS = 5.0

BLUEPRINT_RE = re.compile(
    r"https?://blueprints\.launchpad\.net/(?P<project>[A-Za-z0-9][\w.+-]*)/\+spec/(?P<name>[A-Za-z0-9][\w.+-]*)"
)

_DOCUTILS_SETTINGS: dict[str, Any] = {
    "raw_enabled": False,
    "file_insertion_enabled": False,
    "_disable_config": True,
    "report_level": 5,  # problems are collected, not printed into the page
    "halt_level": 5,
    "traceback": True,  # raise errors to us; never print and sys.exit() (docutils' command-line behaviour)
    "input_encoding": "unicode",
    "output_encoding": "unicode",
    "doctitle_xform": False,
    "sectsubtitle_xform": False,
    "docinfo_xform": False,
    "initial_header_level": 2,
    "id_prefix": ANCHOR_PREFIX,
    "auto_id_prefix": "auto-",
    "syntax_highlight": "none",
    "embed_stylesheet": False,
    "stylesheet_path": "",
    "line_length_limit": LINE_LENGTH_LIMIT,
    "toc_backlinks": "none",
    "footnote_backlinks": False,
    "math_output": "HTML",
    "smart_quotes": False,
}


@cache
def _default_docutils_settings() -> docutils.frontend.Values:
    """docutils' defaults with ours applied, built once (building them costs more than parsing a spec)."""
    values = docutils.frontend.get_default_settings(docutils.parsers.rst.Parser, docutils.writers.html5_polyglot.Writer)
    for name, value in _DOCUTILS_SETTINGS.items():
        setattr(values, name, value)
    return values


def _docutils_settings() -> docutils.frontend.Values:
    """A private copy for one run: docutils writes into its settings while it works."""
    values = _default_docutils_settings().copy()
    values.warning_stream = io.StringIO()  # problems are read from the doctree, not printed
    return values


@dataclass(frozen=True)
class BlueprintLink:
    project: str
    name: str
    url: str


@dataclass(frozen=True)
class Section:
    """One section of the spec: its heading path below the title and its own text."""

    path: tuple[str, ...]
    anchor: str
    text: str

    @property
    def title(self) -> str:
        return self.path[-1]

    @property
    def level(self) -> int:
        return len(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"path": list(self.path), "anchor": self.anchor, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(path=tuple(data["path"]), anchor=data.get("anchor", ""), text=data.get("text", ""))


@dataclass(frozen=True)
class ParsedSpec:
    title: str
    summary: str
    blueprint: BlueprintLink | None
    sections: tuple[Section, ...]
    html: str
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def section(self, *path: str) -> Section | None:
        """The section with this exact heading path (case-insensitive), if any."""
        wanted = tuple(p.lower() for p in path)
        for sec in self.sections:
            if tuple(p.lower() for p in sec.path) == wanted:
                return sec
        return None


# --- Sphinx stand-ins -------------------------------------------------------


class _LiteralDirective(Directive):
    """Shows a Sphinx-only block (code-block, seqdiag…) as preformatted text."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = None  # accept any option

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        return [nodes.literal_block(text, text)] if text else []


class _DropDirective(Directive):
    """Directives that only matter to a Sphinx build (toctree, index…) or read files."""

    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None

    def run(self) -> list[nodes.Node]:
        return []


def _plain_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """``:ref:`Title <target>``` → literal ``Title``; unknown Sphinx roles read as code."""
    label = re.sub(r"\s*<[^>]*>\s*$", "", text).strip() or text
    return [nodes.literal(rawtext, label)], []


_LITERAL_DIRECTIVES = (
    "code-block", "sourcecode", "seqdiag", "blockdiag", "actdiag", "nwdiag", "graphviz", "digraph",
    "mermaid", "productionlist", "glossary", "todo", "versionadded", "versionchanged", "deprecated",
    "only", "oslo.config:option", "config-option", "swagger", "rest_method", "rest_parameters",
)
_DROP_DIRECTIVES = ("toctree", "index", "literalinclude", "kernel-figure", "autoclass", "automodule",
                    "automethod", "autofunction", "highlight", "program", "option", "sectionauthor",
                    "codeauthor", "spelling:word-list", "tabularcolumns")
_PLAIN_ROLES = ("ref", "doc", "term", "program", "option", "command", "file", "class", "func", "meth",
                "mod", "attr", "obj", "exc", "data", "const", "envvar", "kbd", "manpage", "samp",
                "menuselection", "guilabel", "mailheader", "makevar", "py:class", "py:func", "py:meth",
                "oslo.config:option", "oslo.config:group", "nova-doc", "neutron-doc", "placement-doc",
                "keystone-doc", "cinder-doc", "nova", "neutron", "bug", "review", "download", "numref")

for _name in _LITERAL_DIRECTIVES:
    directives.register_directive(_name, _LiteralDirective)
for _name in _DROP_DIRECTIVES:
    directives.register_directive(_name, _DropDirective)
for _name in _PLAIN_ROLES:
    roles.register_local_role(_name, _plain_role)  # type: ignore[arg-type]  # the stubs allow reference nodes only
# File-reading directives must never run, whatever docutils' settings say.
directives.register_directive("include", _DropDirective)
directives.register_directive("raw", _DropDirective)


# --- bounds -----------------------------------------------------------------


class _TooManySubstitutions(Exception):
    def __init__(self) -> None:
        super().__init__(
            f"too many substitutions: nested |substitutions| expand to more than {MAX_SUBSTITUTIONS:,} "
            f"references or {MAX_SUBSTITUTION_CHARS // 1024} KiB of text; simplify the file"
        )


class _ParseTimeout(BaseException):
    """Raised by the alarm: a BaseException, so no ``except Exception`` inside docutils swallows it."""


class _SubstitutionBudget(docutils.transforms.Transform):
    """Refuse a document whose substitutions expand beyond the caps, before docutils expands them.

    docutils' own ``Substitutions`` transform (priority 220) copies each
    definition into every reference, nested ones included, in quadratic
    time; 16 levels of doubling are 2**17 copies. This runs just before it
    and sums, per reference, what its definition expands to (memoised, a
    circular definition counts once: docutils reports those itself).
    """

    default_priority = 219

    def apply(self, **kwargs: Any) -> None:
        document = self.document
        defs: dict[str, nodes.substitution_definition] = document.substitution_defs
        if not defs:
            return  # most specs define none: references to nothing expand to nothing
        normed: dict[str, str] = document.substitution_names
        cost: dict[str, tuple[int, int]] = {}

        def key_of(ref: nodes.Element) -> str | None:
            refname = ref["refname"]
            return refname if refname in defs else normed.get(refname.lower())

        def expanded(key: str, visiting: frozenset[str]) -> tuple[int, int]:
            if key in cost:
                return cost[key]
            if key in visiting:
                return 1, 0
            definition = defs[key]
            references, chars = 1, len(definition.astext())
            for nested in definition.findall(nodes.substitution_reference):
                nested_key = key_of(nested)
                if nested_key is not None:
                    more_refs, more_chars = expanded(nested_key, visiting | {key})
                    references, chars = references + more_refs, chars + more_chars
                if references > MAX_SUBSTITUTIONS or chars > MAX_SUBSTITUTION_CHARS:
                    raise _TooManySubstitutions
            cost[key] = (references, chars)
            return references, chars

        total_refs = total_chars = 0
        for ref in document.findall(nodes.substitution_reference):
            key = key_of(ref)
            if key is None:
                continue
            refs, chars = expanded(key, frozenset())
            total_refs, total_chars = total_refs + refs, total_chars + chars
            if total_refs > MAX_SUBSTITUTIONS or total_chars > MAX_SUBSTITUTION_CHARS:
                raise _TooManySubstitutions


class _Reader(docutils.readers.standalone.Reader):  # type: ignore[type-arg]
    def get_transforms(self) -> list[type[docutils.transforms.Transform]]:
        return [*super().get_transforms(), _SubstitutionBudget]


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`_ParseTimeout` here once ``seconds`` have passed (SIGALRM).

    A signal, not a subprocess: it costs nothing on the normal path. It works
    on the main thread, which is where the CLI and gunicorn's sync workers
    run; elsewhere (the threaded development server, a thread pool) and when
    another timer is already armed, only the size caps apply.
    """
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise _ParseTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- parsing ----------------------------------------------------------------


def parse_spec(
    text: str, *, fallback_title: str = "", time_budget: float = PARSE_TIME_BUDGET_SECONDS
) -> ParsedSpec:
    """Parse a spec's RST. Never raises: failures give a plain-text spec with ``error`` set.

    ``fallback_title`` (e.g. the file name) is used only when no line of the
    text reads like a title. Results are immutable and depend only on the
    text, so recent ones are reused: re-importing the same files, or showing
    a spec the importer just parsed, does not parse it again. A parse that
    runs out of ``time_budget`` seconds is not cached (a loaded machine may
    manage it next time).
    """
    try:
        parsed = (
            _parse_cached(text, time_budget) if len(text) <= PARSE_CACHE_MAX_CHARS else _parse_text(text, time_budget)
        )
    except _ParseTimeout:
        parsed = _plain_text_spec(text, f"took more than {time_budget:g} s to parse; simplify the file")
    if not parsed.title:  # nothing in the text reads like a title
        parsed = replace(parsed, title=fallback_title or "(untitled)")
    return parsed


def _parse_text(text: str, time_budget: float = PARSE_TIME_BUDGET_SECONDS) -> ParsedSpec:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        return _plain_text_spec(text, f"larger than {MAX_SPEC_BYTES // 1024} KiB")
    if "\x00" in text:
        return _plain_text_spec(text, "contains NUL bytes (binary file?)")
    if not text.strip():
        return _plain_text_spec(text, "the file is empty")
    long_line = _first_long_line(text)
    if long_line:
        # docutils would silently drop the whole document (it stops at such a line).
        return _plain_text_spec(text, f"line {long_line} is longer than {LINE_LENGTH_LIMIT} characters")
    try:
        with _time_budget(time_budget):
            doctree = docutils.core.publish_doctree(text, reader=_Reader(), settings=_docutils_settings())
            problems = tuple(_problems(doctree))
            _keep_unknown_blocks(doctree)
            title_section, level_one = _top_sections(doctree)
            sections = tuple(_walk_sections(level_one, ())) or _field_sections(title_section)
            writer = docutils.writers.html5_polyglot.Writer()
            docutils.core.publish_from_doctree(doctree, writer=writer, settings=_docutils_settings())
            body = writer.parts["body"]
    except _TooManySubstitutions as exc:
        return _plain_text_spec(text, str(exc))
    except Exception as exc:  # docutils raises many kinds on hostile input
        return _plain_text_spec(text, f"reStructuredText error: {exc}".strip())

    title = _clean(title_section[0].astext()) if title_section is not None else ""
    intro_nodes = _own_children(title_section) if title_section is not None else _preamble(doctree)
    blueprint = _find_blueprint(intro_nodes)
    summary = _summary(intro_nodes, sections)
    if not title:
        title = _first_text_line(text)
        problems = ("no title found",) + problems
    return ParsedSpec(
        title=title,
        summary=summary,
        blueprint=blueprint,
        sections=sections,
        html=sanitize_html(_strip_title(body)),
        warnings=problems,
    )


_parse_cached = lru_cache(maxsize=PARSE_CACHE_SIZE)(_parse_text)


def _top_sections(doctree: nodes.document) -> tuple[nodes.section | None, list[nodes.section]]:
    """The title section and the sections at the level below it.

    Usually the title is the only top-level section and holds all others; when
    authors underline the title like a section, the rest are its siblings.
    """
    top = [child for child in doctree.children if isinstance(child, nodes.section)]
    if not top:
        return None, []
    title_section = top[0]
    below = [child for child in title_section.children if isinstance(child, nodes.section)]
    return title_section, below + top[1:]


def _own_children(section: nodes.Element) -> list[nodes.Node]:
    """A section's content without its title and nested sections."""
    return [
        child
        for child in section.children
        if not isinstance(child, (nodes.title, nodes.section, nodes.system_message, nodes.comment, nodes.target))
    ]


def _preamble(doctree: nodes.document) -> list[nodes.Node]:
    return [c for c in doctree.children if isinstance(c, (nodes.paragraph, nodes.bullet_list))]


def _walk_sections(sections: list[nodes.section], parent: tuple[str, ...]) -> Iterator[Section]:
    for sec in sections:
        path = parent + (_clean(sec[0].astext()),)
        anchor = sec["ids"][0] if sec["ids"] else ""
        text = "\n\n".join(child.astext().strip() for child in _own_children(sec)).strip()
        text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text)  # tables leave runs of blank lines
        yield Section(path=path, anchor=anchor, text=text)
        yield from _walk_sections([c for c in sec.children if isinstance(c, nodes.section)], path)


def _field_sections(title_section: nodes.section | None) -> tuple[Section, ...]:
    """A "spec lite" (glance, manila) has no sections, only a field list (:problem:, :solution:, :impacts:…).

    Each field becomes a section named after it, so the checklist prefill and
    the page can read those answers like any other section.
    """
    if title_section is None:
        return ()
    found: list[Section] = []
    for field_list in (c for c in _own_children(title_section) if isinstance(c, nodes.field_list)):
        for entry in field_list.children:
            if isinstance(entry, nodes.field) and len(entry.children) == 2:
                name = _clean(entry[0].astext()).strip()
                text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", entry[1].astext().strip())
                if name:
                    found.append(Section(path=(name,), anchor="", text=text))
    return tuple(found)


def _find_blueprint(intro: list[nodes.Node]) -> BlueprintLink | None:
    """The Launchpad link under the title: a bare URL line or an RST link."""
    for node in intro:
        if not isinstance(node, nodes.Element):
            continue
        candidates = [ref.get("refuri", "") for ref in node.findall(nodes.reference)]
        candidates.append(node.astext())
        for candidate in candidates:
            match = BLUEPRINT_RE.search(candidate)
            if match:
                name = match.group("name").rstrip(".")
                url = f"https://blueprints.launchpad.net/{match.group('project')}/+spec/{name}"
                return BlueprintLink(project=match.group("project"), name=name, url=url)
    return None


def _summary(intro: list[nodes.Node], sections: tuple[Section, ...]) -> str:
    """The first prose paragraph under the title (else of the first section).

    Skipped: the blueprint link itself (a bare URL or an RST link), and a line
    that only introduces it ("The launchpad blueprint is located at:").
    """
    paragraphs = [node for node in intro if isinstance(node, nodes.paragraph)]
    for index, node in enumerate(paragraphs):
        text = _clean(node.astext())
        if not text or _is_link_only(node) or text.startswith("http"):
            continue
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        if text.endswith(":") and following is not None and _links_blueprint(following):
            continue
        return _shorten(text)
    # A spec lite's ":problem:" field says what the spec is about; ":project:" does not.
    for sec in sorted(sections, key=lambda sec: sec.title.lower() != "problem"):
        first = sec.text.split("\n\n", 1)[0]
        if first.strip():
            return _shorten(_clean(first))
    return ""


def _links_blueprint(node: nodes.Element) -> bool:
    if BLUEPRINT_RE.search(node.astext()):
        return True
    return any(BLUEPRINT_RE.search(ref.get("refuri", "")) for ref in node.findall(nodes.reference))


def _is_link_only(node: nodes.Element) -> bool:
    """A paragraph that is nothing but links (e.g. `Launchpad <https://…>`_)."""
    if not any(True for _ in node.findall(nodes.reference)):
        return False
    rest = "".join(
        child.astext() for child in node.children if not isinstance(child, (nodes.reference, nodes.target))
    )
    return not re.sub(r"[\W_]+", "", rest)


def _first_long_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > LINE_LENGTH_LIMIT:
            return number
    return 0


def _first_text_line(text: str) -> str:
    """The first line a reader would take for a title: not a comment, not an underline."""
    in_comment = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if in_comment and line[:1].isspace():
            continue
        in_comment = False
        if stripped.startswith("..") and (stripped == ".." or stripped[2:3].isspace()):
            in_comment = True  # a comment or directive block, e.g. the licence header
            continue
        if not re.search(r"\w", stripped):
            continue  # a title adornment line such as =====
        return stripped[:200]
    return ""


def _problems(doctree: nodes.document) -> list[str]:
    out = []
    for msg in doctree.findall(nodes.system_message):
        if msg["level"] >= 3:
            line = msg.get("line")
            text = _clean(msg[0].astext()) if msg.children else "problem"
            out.append(f"line {line}: {text}" if line else text)
    return out[:20]


def _keep_unknown_blocks(doctree: nodes.document) -> None:
    """Show an unknown directive's text as a literal block instead of dropping it."""
    for msg in list(doctree.findall(nodes.system_message)):
        blocks = [child for child in msg.children if isinstance(child, nodes.literal_block)]
        if blocks and msg.parent is not None:
            msg.replace_self(blocks)


def _strip_title(body: str) -> str:
    """Drop the document title from the HTML: the page shows it in its own header."""
    return re.sub(r"<h2[^>]*>.*?</h2>", "", body, count=1, flags=re.S)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shorten(text: str) -> str:
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _plain_text_spec(text: str, reason: str) -> ParsedSpec:
    """Keep an unparseable document readable: one section holding the raw text."""
    safe_text = text.replace("\x00", "")[:MAX_SPEC_BYTES]
    first_line = _first_text_line(safe_text)
    title = first_line
    sections = (Section(path=("Text",), anchor=f"{ANCHOR_PREFIX}text", text=safe_text),) if safe_text.strip() else ()
    body = f'<section id="{ANCHOR_PREFIX}text"><pre>{html.escape(safe_text)}</pre></section>'
    return ParsedSpec(
        title=title,
        summary=_shorten(_clean(first_line)),
        blueprint=None,
        sections=sections,
        html=body,
        error=reason,
    )
