"""Cross-checks between sections, as a sharp reviewer makes them.

Each rule looks for a contradiction between what one part of a spec says and
what another part leaves out — a schema change with "Upgrade impact: None",
new options with "Documentation impact: None", a new service with no HA
statement, new API calls with no notification or monitoring statement — and
adds a ``concern`` to the item it affects, quoting both sides. Rules are
registered in ``RULES``; each is a pure function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from portal.checklist.prefill import (
    ADDRESSED,
    Concern,
    ItemResult,
    SpecText,
    heading,
    judge,
    sentence_around,
)
from portal.specs.document import Section

_SCHEMA = re.compile(
    r"\b(new (db |database )?(table|column|index)s?|add(s|ing|ed)? (a |an |the )?(new )?(\w+ ){0,2}(table|column|index|field)s?"
    r"( to| in)? (the )?\w*|database (schema )?migrations?|schema (change|migration)s?|db migrations?|"
    r"alembic|sqlalchemy-migrate|(create|alter|drop) table|migration script)\b",
    re.I,
)
_CONFIG = re.compile(
    r"(config(uration)? options?|conf options?|new option|\[[a-z_]+\]\s*/?\s*`*[a-z_]{3,}|"
    r"``[a-z_]+\.[a-z_]+``|\b(nova|neutron|cinder|keystone|placement)\.conf\b)",
    re.I,
)
_NEW_SERVICE = re.compile(
    r"\b(new|separate|standalone|dedicated|additional) (\w+[- ])?(service|agent|daemon|binary|worker process|process)\b"
    r"|\bintroduc\w+ (a|an) (\w+[- ]){0,2}(service|agent|daemon)\b|\bsingleton daemon\b",
    re.I,
)
_NEW_API = re.compile(
    r"\b(new (api|rest api|microversion|endpoint|resource|action)s?|microversion|"
    r"(add|adds|added|adding|introduce[sd]?) (a |an )?(new )?(\w+ ){0,3}(api|endpoint|action|parameter|field)s?|"
    r"(get|put|post|patch|delete) /\S+)",
    re.I,
)


@dataclass(frozen=True)
class Rule:
    key: str
    item: str
    description: str
    check: Callable[[SpecText, dict[str, ItemResult]], Concern | None]


def _section(spec: SpecText, pattern: str) -> Section | None:
    regex = re.compile(pattern, re.I)
    for sec in spec.answering():
        if regex.search(sec.title):
            return sec
    return None


def _evidence_quote(result: ItemResult) -> str:
    if result.evidence and result.evidence.section:
        return f"{result.evidence.section}: “{result.evidence.quote}”"
    return "No section of the spec answers this."


def _find(spec: SpecText, sec: Section | None, pattern: re.Pattern[str]) -> str | None:
    """A quote from ``sec`` matching ``pattern`` when the section is substantive."""
    if sec is None:
        return None
    text = spec.text_of(sec)
    if judge(text) != ADDRESSED:
        return None
    match = pattern.search(text)
    return f"{heading(sec)}: “{sentence_around(text, match)}”" if match else None


def _silent(result: ItemResult) -> bool:
    return result.state != ADDRESSED


def _schema_change(spec: SpecText) -> str | None:
    """A quote from Data model impact that describes a schema change, if it does."""
    return _find(spec, _section(spec, r"data ?model"), _SCHEMA)


def schema_without_upgrade(spec: SpecText, items: dict[str, ItemResult]) -> Concern | None:
    quote = _schema_change(spec)
    if quote and _silent(items["upgrade"]):
        return Concern(
            "schema_without_upgrade",
            "The data model changes (a schema migration) but the spec says nothing about upgrades: "
            "ask for the upgrade order and whether the migration runs online.",
            (quote, _evidence_quote(items["upgrade"])),
        )
    return None


def schema_without_rollback(spec: SpecText, items: dict[str, ItemResult]) -> Concern | None:
    quote = _schema_change(spec)
    if quote and _silent(items["rollback"]):
        return Concern(
            "schema_without_rollback",
            "The data model changes but there is no rollback or downgrade story: "
            "ask what happens to the new data if the change is reverted.",
            (quote, _evidence_quote(items["rollback"])),
        )
    return None


def config_without_docs(spec: SpecText, items: dict[str, ItemResult]) -> Concern | None:
    if items["config"].state != ADDRESSED or not _silent(items["docs"]):
        return None
    quote = None
    for sec in spec.answering():
        if re.search(r"deployer|configuration", sec.title, re.I):
            quote = _find(spec, sec, _CONFIG)
            if quote:
                break
    if quote:
        return Concern(
            "config_without_docs",
            "New configuration options but no documentation impact: ask where operators will read about them.",
            (quote, _evidence_quote(items["docs"])),
        )
    return None


def service_without_ha(spec: SpecText, items: dict[str, ItemResult]) -> Concern | None:
    if not _silent(items["ha"]):
        return None
    for sec in spec.answering():
        if re.search(r"alternative", " ".join(sec.path), re.I):
            continue  # a service that was rejected needs no HA story
        match = _NEW_SERVICE.search(sec.text)
        if match:
            return Concern(
                "service_without_ha",
                "A new service, agent or daemon with no HA statement: ask whether it runs active/active "
                "and what happens when its host dies.",
                (f"{heading(sec)}: “{sentence_around(sec.text, match)}”", _evidence_quote(items["ha"])),
            )
    return None


def api_without_monitoring(spec: SpecText, items: dict[str, ItemResult]) -> Concern | None:
    if not _silent(items["monitoring"]):
        return None
    quote = _find(spec, _section(spec, r"rest api impact|^api impact"), _NEW_API)
    if quote:
        return Concern(
            "api_without_monitoring",
            "New API calls but no notification or monitoring statement: ask how operators will see "
            "them being used and failing.",
            (quote, _evidence_quote(items["monitoring"])),
        )
    return None


RULES: tuple[Rule, ...] = (
    Rule("schema_without_upgrade", "upgrade", "schema change with no upgrade story", schema_without_upgrade),
    Rule("schema_without_rollback", "rollback", "schema change with no rollback story", schema_without_rollback),
    Rule("config_without_docs", "docs", "new config options with no documentation impact", config_without_docs),
    Rule("service_without_ha", "ha", "new service or agent with no HA statement", service_without_ha),
    Rule("api_without_monitoring", "monitoring", "new API calls with no monitoring statement", api_without_monitoring),
)


# The item states the rules read.
_RULE_INPUTS = {"upgrade", "rollback", "config", "docs", "ha", "monitoring"}


def apply_crosschecks(results: Iterable[ItemResult], spec: SpecText) -> list[ItemResult]:
    """Attach each rule's concern to the item it concerns (items absent from the template are skipped)."""
    ordered = list(results)
    by_key = {r.key: r for r in ordered}
    if not _RULE_INPUTS <= by_key.keys():  # every template keeps these stable keys
        return ordered
    added: dict[str, list[Concern]] = {}
    for rule in RULES:
        concern = rule.check(spec, by_key)
        if concern is not None:
            added.setdefault(rule.item, []).append(concern)
    return [replace(r, concerns=r.concerns + tuple(added.get(r.key, ()))) for r in ordered]

