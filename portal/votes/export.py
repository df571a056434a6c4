"""CSV and JSON exports of the demand ranking and of a spec's voters.

CSV cells that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return, OWASP's list) get a
leading apostrophe, so a spec title or a vote reason such as
``=HYPERLINK(…)`` stays text. Exports never carry email addresses, and an
organisation only when its voter chose to show it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # numbers (a negative one too) stay numbers
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


RANKING_HEADER = ("rank", "name", "title", "score", "votes", "must", "important", "nice", "not_needed",
                  "affects_me", "review_status", "review_age_days", "negative_votes", "approved", "gaps",
                  "comments", "answer", "planned_for")


def ranking_csv(items: Sequence[dict[str, Any]]) -> str:
    """The ranking (items as :func:`portal.votes.dashboard.ranking_items` builds them) as CSV."""
    rows = []
    for item in items:
        review = item.get("review_state") or {}
        votes = item["votes"]
        ack = item.get("acknowledgement") or {}
        rows.append((
            item["rank"], item["name"], item["title"], item["score"], votes["total"],
            *(votes["by_priority"][p] for p in ("must", "important", "nice", "not_needed")),
            votes["affects_me"], review.get("status", ""), review.get("age_days", ""),
            review.get("negative_votes", ""), review.get("approved", ""),
            " ".join(f"{g['key']}:{g['kind']}" for g in item.get("gaps", [])),
            item.get("comments", 0), ack.get("kind", ""), ack.get("release") or "",
        ))
    return to_csv(RANKING_HEADER, rows)


VOTERS_HEADER = ("spec", "voter", "priority", "affects_me", "reason", "links", "organisation",
                 "release_in_production", "deployment_tool", "backends", "hypervisors", "projects", "updated_at")


def voters_csv(spec_name: str, voters: Sequence[Any]) -> str:
    """A spec's voters (``VoterRow``s, their context already stripped of hidden organisations)."""
    return to_csv(VOTERS_HEADER, (
        (spec_name, v.name, v.priority, v.affects_me, v.reason, " ".join(v.links),
         v.context.get("organisation", ""), v.context.get("release_in_production", ""),
         v.context.get("deployment_tool", ""), " ".join(v.context.get("backends") or []),
         v.context.get("hypervisors", ""), v.context.get("projects", ""), v.updated_at.isoformat())
        for v in voters
    ))


def to_json(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)
