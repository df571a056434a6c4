"""The release summary as JSON, Markdown and CSV: pure functions of a :class:`ReleaseSummary`.

``base`` is the portal's root URL (``PORTAL_BASE_URL``, or the request's
own root on the web); links are the spec page's path under it. CSV cells
go through ``portal.votes.export.safe_cell`` (a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe). No format carries an email address or a voter's deployment
context: votes show the name the voter shows, their priority and reason.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from portal.reports.release_summary import Impact, ReleaseSummary, SpecSummary
from portal.votes.export import to_csv

PRIORITY_WORDS = {"must": "must have", "important": "important", "nice": "nice to have", "not_needed": "not needed"}
STATE_WORDS = {"addressed": "addressed", "none": "says none", "missing": "missing", "concern": "concern",
               "n/a": "n/a"}


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _url(base: str, path: str) -> str:
    return base.rstrip("/") + path


# --- JSON ----------------------------------------------------------------------------------


def as_document(summary: ReleaseSummary, base: str) -> dict[str, Any]:
    """The whole summary as JSON-ready data (the ``json`` export and the API-style answer)."""
    return {
        "release": summary.release,
        "projects": list(summary.projects),
        "generated_at": _when(summary.generated_at),
        "counts": {"specs": len(summary.specs), "by_state": dict(sorted(summary.counts.items()))},
        "specs": [_spec_document(s, base) for s in summary.specs],
    }


def _spec_document(s: SpecSummary, base: str) -> dict[str, Any]:
    return {
        "project": s.project,
        "name": s.name,
        "title": s.title,
        "url": _url(base, s.path),
        "summary": s.summary,
        "state": s.state,
        "release": s.release,
        "launchpad": {"definition": s.lp_definition, "implementation": s.lp_implementation,
                      "priority": s.lp_priority, "url": s.blueprint_url},
        "reviews": [{"change_number": r.change_number, "status": r.status, "url": r.url,
                     "updated_at": _when(r.updated_at)} for r in s.reviews],
        "ptl_answer": ({"text": s.answer.text, "kind": s.answer.kind, "release": s.answer.release,
                        "note": s.answer.note, "by": s.answer.by, "at": _when(s.answer.at)} if s.answer else None),
        "checklist": {"checked": s.checked, "score": s.score,
                      "gaps": [{"key": key, "kind": kind} for key, kind in s.gaps]},
        "impacts": [_impact_document(i) for i in s.impacts],
        "votes": s.votes.as_json(),
        "top_votes": [{"voter": v.voter, "priority": v.priority, "affects_me": v.affects_me, "reason": v.reason,
                       "links": list(v.links), "at": _when(v.at)} for v in s.top_votes],
        "comments": s.comment_count,
        "latest_comments": [{"source": c.source, "author": c.author, "at": _when(c.at), "excerpt": c.excerpt,
                             "url": c.url, "title": c.title} for c in s.latest_comments],
        "last_activity_at": _when(s.last_activity_at),
    }


def _impact_document(i: Impact) -> dict[str, Any]:
    return {
        "key": i.key, "title": i.title, "section": i.heading, "text": i.text, "truncated": i.cut,
        "checklist": [{"key": a.key, "title": a.title, "state": a.state, "confirmed": a.confirmed, "note": a.note,
                       "gap": a.gap} for a in i.answers],
    }


def to_json(summary: ReleaseSummary, base: str) -> str:
    # No indent: with one, json falls back to its pure-Python encoder (5× slower on a 300-spec release).
    return json.dumps(as_document(summary, base), ensure_ascii=False) + "\n"


# --- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: str | None) -> str:
    """Untrusted text on one Markdown line: specials escaped (no HTML, links or tables sneak in)."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text or "").strip())


def _md_link(label: str, url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://", "/")):
        return md(label)
    return f"[{md(label)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def _state_line(s: SpecSummary) -> str:
    parts = [f"State: {md(s.state)}"]
    lp = " / ".join(md(v) for v in (s.lp_definition, s.lp_implementation, s.lp_priority) if v)
    if lp:
        parts.append(f"Launchpad: {lp}")
    if s.reviews:
        parts.append("Gerrit: " + ", ".join(
            f"{_md_link(f'change {r.change_number}', r.url)} {md(r.status.lower())}" for r in s.reviews[:3]))
    if s.answer:
        note = f" ({md(s.answer.note)})" if s.answer.note else ""
        parts.append(f"PTL: {md(s.answer.text)}{note}")
    return " · ".join(parts)


def _checklist_line(s: SpecSummary) -> str:
    if not s.checked:
        return "**Operability checklist:** not checked yet."
    gaps = ", ".join(f"{md(key)} ({md(kind)})" for key, kind in s.gaps)
    return f"**Operability checklist:** {s.score}%" + (f"; gaps: {gaps}." if gaps else "; no gaps.")


def _answers_text(impact: Impact) -> str:
    parts = []
    for a in impact.answers:
        who = "reviewer" if a.confirmed else "prefill"
        note = f": {md(a.note)}" if a.note else ""
        gap = " — gap" if a.gap else ""
        parts.append(f"{md(a.title)} {STATE_WORDS.get(a.state, md(a.state))} ({who}{note}){gap}")
    return "; ".join(parts)


def _votes_line(s: SpecSummary) -> str:
    v = s.votes
    if not v.total:
        return "**Operator votes:** none yet."
    counts = ", ".join(f"{PRIORITY_WORDS[p]} {v.by_priority.get(p, 0)}" for p in PRIORITY_WORDS)
    return f"**Operator votes:** {v.total} ({counts}); {v.affects_me} say it affects them."


def _spec_markdown(s: SpecSummary, base: str) -> list[str]:
    lines = [f"### {_md_link(s.title, _url(base, s.path))} (`{s.name.replace('`', '')}`)", "", _state_line(s), ""]
    if s.summary:
        lines += [f"> {md(s.summary)}", ""]
    lines += [_checklist_line(s), "", "**Operator-facing impacts:**", ""]
    for impact in s.impacts:
        said = f"“{md(impact.text)}”" if impact.text else "the spec has no such section."
        where = f" ({md(impact.heading)})" if impact.heading else ""
        lines.append(f"- **{impact.title}**{where}: {said}")
        lines.append(f"  - Checklist: {_answers_text(impact)}.")
    lines += ["", _votes_line(s)]
    for vote in s.top_votes:
        affects = ", affects them" if vote.affects_me else ""
        evidence = (" — evidence: " + ", ".join(_md_link(u, u) for u in vote.links)) if vote.links else ""
        reason = f": {md(vote.reason)}" if vote.reason else " (no reason given)"
        lines.append(f"- {md(PRIORITY_WORDS.get(vote.priority, vote.priority))}{affects} — {md(vote.voter)}"
                     f"{reason}{evidence}")
    lines += ["", f"**Latest discussion** ({s.comment_count} comment{'' if s.comment_count == 1 else 's'}):"
              if s.comment_count else "**Latest discussion:** none yet."]
    for c in s.latest_comments:
        title = f" {_md_link(c.title, c.url)}:" if c.title else ""
        link = f" ({_md_link('source', c.url)})" if c.url and not c.title else ""
        lines.append(f"- {c.at:%Y-%m-%d} {md(c.source)}, {md(c.author)}:{title} {md(c.excerpt)}{link}")
    return lines + [""]


OVERVIEW_HEADER = (
    "| Spec | State | Operability | Votes: must / important / nice / not needed | Affects them | Comments |"
)


def to_markdown(summary: ReleaseSummary, base: str) -> str:
    """One document for summit notes or an ops wiki: an overview table per project, then each spec."""
    states = ", ".join(f"{n} {state}" for state, n in sorted(summary.counts.items()))
    lines = [
        f"# Release {md(summary.release)}: {', '.join(md(p) for p in summary.projects)} — operator summary",
        "",
        f"{len(summary.specs)} spec{'' if len(summary.specs) == 1 else 's'} ({states}), "
        f"generated {summary.generated_at:%Y-%m-%d %H:%M} UTC by BOB. Most wanted by operators first.",
        "",
    ]
    if not base:
        lines += ["Links are paths on the portal: set PORTAL_BASE_URL to get full addresses.", ""]
    for project in summary.projects:
        specs = summary.of(project)
        if not specs:
            continue
        lines += [f"## {md(project)} ({len(specs)} spec{'' if len(specs) == 1 else 's'})", "", OVERVIEW_HEADER,
                  "|---|---|---|---|---|---|"]
        for s in specs:
            score = f"{s.score}% · {len(s.gaps)} gap{'' if len(s.gaps) == 1 else 's'}" if s.checked else "not checked"
            votes = " / ".join(str(s.votes.by_priority.get(p, 0)) for p in PRIORITY_WORDS)
            lines.append(f"| {_md_link(s.title, _url(base, s.path))} | {md(s.state)} | {score} | {votes} | "
                         f"{s.votes.affects_me} | {s.comment_count} |")
        lines.append("")
        for s in specs:
            lines += _spec_markdown(s, base)
    return "\n".join(lines).rstrip() + "\n"


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = (
    "project", "name", "title", "url", "release", "state", "launchpad_definition", "launchpad_implementation",
    "launchpad_priority", "gerrit", "ptl_answer", "operability_score", "gaps",
    "upgrade", "upgrade_checklist", "config", "config_checklist", "deployer", "deployer_checklist",
    "performance", "performance_checklist", "security", "security_checklist",
    "votes", "must", "important", "nice", "not_needed", "affects_me", "top_votes", "comments", "latest_comment",
)


def _plain_answers(impact: Impact) -> str:
    return "; ".join(
        f"{a.key}: {a.state}{' (reviewer)' if a.confirmed else ''}{' gap' if a.gap else ''}"
        f"{(' - ' + a.note) if a.note else ''}"
        for a in impact.answers
    )


def to_csv_text(summary: ReleaseSummary, base: str) -> str:
    """One row per spec, for a spreadsheet; every cell safe against formula injection."""
    rows = []
    for s in summary.specs:
        impacts = {i.key: i for i in s.impacts}
        impact_cells: list[object] = []
        for key in ("upgrade", "config", "deployer", "performance", "security"):
            impact_cells += [impacts[key].text, _plain_answers(impacts[key])]
        latest = s.latest_comments[0] if s.latest_comments else None
        rows.append((
            s.project, s.name, s.title, _url(base, s.path), s.release, s.state, s.lp_definition or "",
            s.lp_implementation or "", s.lp_priority or "",
            "; ".join(f"{r.change_number} {r.status.lower()}" for r in s.reviews),
            (s.answer.text + (f": {s.answer.note}" if s.answer.note else "")) if s.answer else "",
            s.score if s.checked else "", " ".join(f"{key}:{kind}" for key, kind in s.gaps),
            *impact_cells,
            s.votes.total, *(s.votes.by_priority.get(p, 0) for p in PRIORITY_WORDS), s.votes.affects_me,
            " | ".join(f"{v.priority} {v.voter}: {v.reason}" for v in s.top_votes),
            s.comment_count,
            f"{latest.at:%Y-%m-%d} {latest.source} {latest.author}: {latest.excerpt}" if latest else "",
        ))
    return to_csv(CSV_HEADER, rows)


FORMATS = {"md": to_markdown, "csv": to_csv_text, "json": to_json}
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
               "json": "application/json"}
