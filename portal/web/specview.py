"""What the spec page shows, gathered in one place so the view stays one line."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.specs import queries
from portal.specs.document import Section
from portal.specs.service import current_revision


def spec_page_context(db: Session, project_name: str, spec_name: str) -> dict[str, Any]:
    spec = queries.get_spec(db, project_name, spec_name)
    current = current_revision(spec.revisions)
    sections = [Section.from_dict(s) for s in current.sections] if current else []
    return {
        "spec": spec,
        "project": spec.project,
        "current": current,
        "toc": [s for s in sections if s.level <= 2],
        "history": queries.release_history(spec),
        "timeline": queries.timeline(db, spec),
    }
