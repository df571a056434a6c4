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
