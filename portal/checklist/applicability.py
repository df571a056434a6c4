"""Whether each checklist item applies to a spec: a gap only matters where it applies.

A separate question from the item's state. ``state`` is what the spec says
(addressed / none / missing); ``applies`` is whether the spec changes
something that makes the question relevant: a data model or RPC change makes
upgrade and rollback apply, a new service or agent makes HA apply, new
config options make config and docs apply. The phrases and the reasons are
data in the template (``prefill: applies:``, v2+); a v1 template has none,
so every item applies, as v1 measured it. Reviewers override it like any
other answer (a reviewer's answer other than ``n/a`` makes the item apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from portal.checklist.prefill import ADDRESSED, Evidence, ItemResult, SpecText, find_phrase, rules_of
from portal.checklist.template import Template


def apply_applicability(results: Iterable[ItemResult], spec: SpecText, template: Template) -> list[ItemResult]:
    """Each result with ``applies`` and the evidence for it (or the reason it does not apply)."""
    out = []
    by_key = {item.key: item for item in template.items}
    for result in results:
        item = by_key.get(result.key)
        if item is None or item.rules is None:
            out.append(result)
            continue
        rules = rules_of(item)
        if result.state == ADDRESSED or result.concerns:
            # The spec itself discusses the item, or a cross-check found it relevant.
            if result.concerns:
                reason, section, because = "a cross-check found it relevant", "", result.concerns[0].quotes[0]
            else:
                evidence = result.evidence or Evidence(section="", quote="")
                reason, section, because = "the spec discusses it", evidence.section, evidence.quote
            why = Evidence(section=section, quote=f"{reason}: {because}")
            out.append(replace(result, applies=True, applies_because=why))
            continue
        found: Evidence | None = None
        for pattern, reason in rules.applies:
            hit = find_phrase(spec, pattern, template.judging)
            if hit is not None:
                found = Evidence(section=hit.section, quote=f"{reason}: “{hit.quote}”")
                break
        if found is not None:
            out.append(replace(result, applies=True, applies_because=found))
        elif rules.applies_by_default:
            out.append(replace(result, applies=True, applies_because=None))
        else:
            reason = rules.not_applicable_because or "nothing in the spec makes this item relevant"
            out.append(replace(result, applies=False, applies_because=Evidence(section="", quote=reason)))
    return out
