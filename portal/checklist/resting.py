"""The spec text a checklist answer rests on, and its hash.

Shared by the write side (an answer is pinned to the hash of its text when
given) and the read side (an answer is stale when that text changed since),
so both judge "the same text" in exactly one way.
"""

from __future__ import annotations

import hashlib

from portal.checklist.prefill import SpecText
from portal.checklist.template import Item
from portal.models import SpecRevision
from portal.specs.document import Section


def sections_of(revision: SpecRevision | None) -> list[Section]:
    return [Section.from_dict(s) for s in revision.sections] if revision is not None else []


def resting_text(item: Item, spec_text: SpecText, evidence_section: str) -> tuple[list[str], str]:
    """The heading path and text an answer on ``item`` rests on: its own sections plus its evidence section."""
    chosen: list[Section] = []
    for sec in spec_text.answering():
        if any(p.search(sec.title) for p in item.sections) or " > ".join(sec.path) == evidence_section:
            if not any(sec.path[: len(c.path)] == c.path for c in chosen):
                chosen.append(sec)
    parts = [f"## {' > '.join(sec.path)}\n{spec_text.text_of(sec)}" for sec in chosen]
    path = evidence_section.split(" > ") if evidence_section else (list(chosen[0].path) if chosen else [])
    return path, "\n\n".join(parts)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
