"""What the spec page shows, gathered in one place so the view stays one line."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import escape
from sqlalchemy.orm import Session

from portal import permissions
from portal.checklist import views as checklist
from portal.http.auth import actor
from portal.specs import blueprint_links, detail, reviews, timeline
from portal.specs.document import Section
from portal.specs.service import current_revision
from portal.web import commentview, votes
from portal.web.forms import ChecklistAnswerForm, RecheckForm

TIMELINE_ARG = "timeline_page"
_DIGITS = re.compile(r"[0-9]{1,20}")


def spec_page_context(
    db: Session, project_name: str, spec_name: str, *, timeline_arg: str | None = None
) -> dict[str, Any]:
    """``timeline_arg``: the ``timeline_page`` query argument as given (page 1, the newest, when absent)."""
    spec = detail.get_spec(db, project_name, spec_name)
    current = current_revision(spec.revisions)
    sections = [Section.from_dict(s) for s in current.sections] if current else []
    view = checklist.checklist_view(db, spec, spec.revisions)
    can_answer = permissions.can_answer_checklist(actor(), spec).allowed
    page_number, timeline_error = _timeline_page(timeline_arg)
    text = detail.lead_and_body(spec.summary or "", spec.lp_summary, current.html if current else "")
    return {
        "checklist": view,
        "lead_html": text.lead_html,
        "spec_html": annotate_headings(text.body_html, sections, view) if current else "",
        "checklist_by_section": view.by_section(),
        "can_answer": can_answer,
        "checklist_forms": _answer_forms(view) if can_answer else {},
        "checklist_errors": {},
        "recheck_form": RecheckForm() if can_answer else None,
        "spec": spec,
        "project": spec.project,
        "current": current,
        "toc": [s for s in sections if s.level <= 2],
        "history": detail.release_history(spec),
        "reviews": reviews.review_story(db, spec, spec.revisions),
        "implementation": reviews.implementation_progress(db, spec),
        "dependencies": blueprint_links.dependencies_of(db, spec),
        "timeline": commentview.timeline_for(db, spec, page_number, actor()),
        "timeline_error": timeline_error,
        "timeline_arg": TIMELINE_ARG,
        **commentview.discussion_context(spec, spec.project, actor()),
        **votes.vote_context(db, spec, actor()),
    }


def _timeline_page(value: str | None) -> tuple[int, str | None]:
    """The timeline page asked for, or page 1 and a message saying why the argument was not used."""
    value = (value or "").strip()
    if not value:
        return 1, None
    if _DIGITS.fullmatch(value) and 1 <= int(value) <= timeline.MAX_PAGE:
        return int(value), None
    return 1, (
        f"{TIMELINE_ARG} must be a whole number from 1 to {timeline.MAX_PAGE}, not '{value[:40]}'; "
        "showing the newest entries."
    )


def _answer_forms(view: checklist.ChecklistView) -> dict[str, ChecklistAnswerForm]:
    """One form per item, prefilled with the current answer (ids prefixed by the item key)."""
    forms = {}
    for item in view.items:
        form = ChecklistAnswerForm(prefix=item.key, formdata=None)
        form.state.data = item.state
        form.note.data = item.note
        forms[item.key] = form
    return forms


_STATE_TEXT = {"addressed": "✓", "none": "–", "missing": "✗", "concern": "!", "n/a": "n/a"}


def annotate_headings(html: str, sections: list[Section], view: checklist.ChecklistView) -> str:
    """Put each section's checklist states beside its heading in the rendered spec.

    The spec HTML was sanitised at import; what is added here is built from
    our own item keys and states, escaped.
    """
    by_path: dict[str, list[checklist.ItemView]] = {}
    for item in view.items:
        if item.evidence and item.evidence.get("section"):
            by_path.setdefault(item.evidence["section"], []).append(item)
    anchors = {" > ".join(s.path): s.anchor for s in sections}
    for path, items in by_path.items():
        anchor = anchors.get(path)
        if not anchor:
            continue
        badges = " ".join(
            f'<a class="badge cl-{escape(i.state.replace("/", ""))} heading-badge" href="#item-{escape(i.key)}" '
            f'title="checklist: {escape(i.title)}">{escape(i.key)} {escape(_STATE_TEXT.get(i.state, i.state))}</a>'
            for i in items
        )
        pattern = re.compile(rf'(<section id="{re.escape(anchor)}">\s*<h(\d)>)(.*?)(</h\2>)', re.S)

        def beside(m: re.Match[str], b: str = badges) -> str:
            return f'{m.group(1)}{m.group(3)} <span class="heading-badges">{b}</span>{m.group(4)}'

        html = pattern.sub(beside, html, count=1)
    return html
