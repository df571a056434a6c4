"""The checklist template: versioned YAML files shipped in the package.

Each ``templates/operability-v<N>.yaml`` is one version; old versions stay
so that answers given against them can still be shown. The newest version is
the one new prefills and re-checks use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from portal.errors import InvalidInput

_FILE_RE = re.compile(r"^operability-v(\d+)\.yaml$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STATES = ("addressed", "none", "missing", "concern", "n/a")
PREFILL_STATES = ("addressed", "none", "missing")
STATE_LABELS = {
    "addressed": "addressed",
    "none": "spec says none",
    "missing": "missing",
    "concern": "concern",
    "n/a": "not applicable",
}
# Keys the API, saved filters and the hand labels rely on: every version keeps them.
STABLE_KEYS = (
    "monitoring",
    "upgrade",
    "rollback",
    "ha",
    "config",
    "performance",
    "security",
    "docs",
    "user_impact",
    "alternatives",
    "testing",
)


def _one_regex(patterns: list[str] | None) -> re.Pattern[str] | None:
    """Several phrases as one case-insensitive alternation (a text is scanned once, not once per phrase)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


@dataclass(frozen=True)
class Rules:
    """Per-item prefill rules (template v2+): what counts as this item's answer outside its own section.

    ``elsewhere``: phrases that answer the item anywhere in the spec when its
    section is missing; ``strong``: the only phrases that overturn an explicit
    "None" (default: ``elsewhere``); ``none_is_final``: a "None" in the item's
    own section stands whatever the rest says; ``must_mention``: a substantive
    own section that never mentions this counts as "none" (a shared section
    such as "Other deployer impact"); ``skip_sentence``: sentences matching
    this never count (deprecation warnings are not monitoring); ``impacts``:
    a catch-all "impacts" answer (spec lite) of "None" answers this item;
    ``applies``: phrases that make the item apply to the spec, with the reason shown;
    ``none_elsewhere`` (v3+): where the item has no section and nothing answers
    it, an explicit "nothing here" sentence elsewhere ("users won't be impacted")
    makes it "none" rather than "missing".
    """

    elsewhere: re.Pattern[str] | None = None
    strong: re.Pattern[str] | None = None
    none_is_final: bool = False
    must_mention: re.Pattern[str] | None = None
    skip_sentence: re.Pattern[str] | None = None
    impacts: bool = False
    impact_flags: re.Pattern[str] | None = None  # a spec lite's ":impacts: DocImpact, …" flag for this item
    applies: tuple[tuple[re.Pattern[str], str], ...] = ()
    applies_by_default: bool = True
    not_applicable_because: str = ""
    none_elsewhere: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Item:
    key: str
    area: str
    title: str
    question: str
    guidance: str
    required: bool
    sections: tuple[re.Pattern[str], ...]
    keywords: tuple[re.Pattern[str], ...]
    rules: Rules | None = None  # None: a v1 template, the prefill's built-in v1 rules apply


@dataclass(frozen=True)
class Judging:
    """Template-wide judging rules (v2+): how a "None" that goes on is read, which sections never answer."""

    reason_max_words: int = 60
    contrast_opens_sentence: bool = False  # v1 only looked at the four words after "None"
    contrast: re.Pattern[str] | None = None  # a sentence after "None" opening with this: an impact after all
    continues: re.Pattern[str] | None = None  # "None. The following were considered:" goes on
    concludes_none: re.Pattern[str] | None = None  # a short section ending "…doesn't put X in more danger"
    ignored_headings: re.Pattern[str] | None = None
    not_the_change: re.Pattern[str] | None = None
    impacts_sections: re.Pattern[str] | None = None
    negated: re.Pattern[str] | None = None  # just before a phrase found elsewhere: it does not count
    boilerplate: re.Pattern[str] | None = None  # a section starting with a template's own prompt says nothing
    none_sentences: re.Pattern[str] | None = None  # v3+: openings read as "None" ("does not have any … impacts")
    flow_lines: bool = False  # v3+: phrases found elsewhere match across a paragraph's line breaks
    not_none: re.Pattern[str] | None = None  # v3+: a short section saying this is an answer ("enhances security")


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Template:
    version: int
    name: str
    title: str
    areas: tuple[Area, ...]
    source: dict[str, Any]
    judging: Judging | None = None  # None: a v1 template

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for area in self.areas for item in area.items)

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        allowed = ", ".join(i.key for i in self.items)
        raise InvalidInput(f"Unknown checklist item '{key}'. Allowed: {allowed}.", {"item": key})

    def area_of(self, key: str) -> str:
        return self.item(key).area


def parse_template(data: dict[str, Any]) -> Template:
    """Validate a template document; raise ``ValueError`` saying what is wrong."""
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError("template 'version' must be a whole number >= 1")
    areas: list[Area] = []
    seen: set[str] = set()
    for area in data.get("areas") or []:
        area_key = area.get("key", "")
        if not KEY_RE.match(area_key):
            raise ValueError(f"bad area key {area_key!r}")
        items = []
        for raw in area.get("items") or []:
            key = raw.get("key", "")
            if not KEY_RE.match(key) or key in seen:
                raise ValueError(f"bad or duplicate item key {key!r} in area {area_key}")
            seen.add(key)
            for field in ("title", "question"):
                if not raw.get(field):
                    raise ValueError(f"item {key} has no {field}")
            hints = raw.get("prefill") or {}
            rules = _rules(hints) if version >= 2 else None
            items.append(
                Item(
                    key=key,
                    area=area_key,
                    title=raw["title"],
                    question=raw["question"],
                    guidance=raw.get("guidance", ""),
                    required=bool(raw.get("required", True)) or key in STABLE_KEYS,
                    sections=tuple(re.compile(p, re.I) for p in hints.get("sections", [])),
                    keywords=tuple(re.compile(p, re.I) for p in hints.get("keywords", [])),
                    rules=rules,
                )
            )
        areas.append(Area(key=area_key, title=area.get("title", area_key), items=tuple(items)))
    missing = [k for k in STABLE_KEYS if k not in seen]
    if missing:
        raise ValueError(f"template version {version} lacks the stable item keys {', '.join(missing)}")
    return Template(
        version=version,
        name=data.get("name", "operability"),
        title=data.get("title", ""),
        areas=tuple(areas),
        source=data,
        judging=_judging(data.get("judging") or {}) if version >= 2 else None,
    )


def _rules(hints: dict[str, Any]) -> Rules:
    applies = []
    for entry in (hints.get("applies") or {}).get("when", []):
        if not entry.get("because") or not entry.get("phrases"):
            raise ValueError("each 'applies: when:' entry needs 'phrases' and 'because'")
        pattern = _one_regex(entry["phrases"])
        assert pattern is not None
        applies.append((pattern, str(entry["because"])))
    applicability = hints.get("applies") or {}
    return Rules(
        elsewhere=_one_regex(hints.get("elsewhere")),
        strong=_one_regex(hints.get("strong")),
        none_is_final=bool(hints.get("none_is_final", False)),
        must_mention=_one_regex(hints.get("must_mention")),
        skip_sentence=_one_regex(hints.get("skip_sentence")),
        impacts=bool(hints.get("impacts", False)),
        impact_flags=_one_regex([rf"\b{flag}\b" for flag in hints.get("impact_flags") or []]),
        applies=tuple(applies),
        applies_by_default=bool(applicability.get("by_default", True)),
        not_applicable_because=str(applicability.get("otherwise", "")),
        none_elsewhere=_one_regex(hints.get("none_elsewhere")),
    )


def _judging(raw: dict[str, Any]) -> Judging:
    return Judging(
        reason_max_words=int(raw.get("none_reason_max_words", 60)),
        contrast_opens_sentence=True,
        contrast=_one_regex(raw.get("contrast")),
        continues=_one_regex(raw.get("none_continues")),
        concludes_none=_one_regex(raw.get("concludes_none")),
        ignored_headings=_one_regex(raw.get("ignored_headings")),
        not_the_change=_one_regex(raw.get("not_the_change")),
        impacts_sections=_one_regex(raw.get("impacts_sections")),
        negated=_one_regex(raw.get("negated")),
        boilerplate=_one_regex(raw.get("boilerplate")),
        none_sentences=_one_regex(raw.get("none_sentences")),
        flow_lines=bool(raw.get("flow_lines", False)),
        not_none=_one_regex(raw.get("not_none")),
    )


@cache
def all_templates() -> dict[int, Template]:
    """Every shipped version, by version number."""
    found: dict[int, Template] = {}
    for entry in files("portal.checklist").joinpath("templates").iterdir():
        match = _FILE_RE.match(entry.name)
        if not match:
            continue
        template = parse_template(yaml.safe_load(entry.read_text(encoding="utf-8")))
        if template.version != int(match.group(1)):
            raise ValueError(f"{entry.name} declares version {template.version}")
        found[template.version] = template
    if not found:
        raise ValueError("no checklist template found in portal/checklist/templates/")
    return found


def latest() -> Template:
    templates = all_templates()
    return templates[max(templates)]


def get(version: int) -> Template:
    templates = all_templates()
    if version not in templates:
        raise InvalidInput(
            f"Unknown checklist template version {version}. Known: {', '.join(map(str, sorted(templates)))}."
        )
    return templates[version]
