"""Launchpad status and priority badges with their legends, on the project table and the spec page."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from portal.specs.service import BlueprintData, apply_blueprint
from tests.support.html import text_of


def blueprint(db: Session, project, name: str, **fields: object) -> None:  # noqa: ANN001
    data = BlueprintData(name=name, title=f"Blueprint {name}", definition_status="Approved",
                         implementation_status="Good progress", priority="High", lifecycle_status="Started",
                         direction_approved=True, approver="Project Lead", assignee="J. Developer",
                         drafter="J. Developer", owner="J. Developer", milestone="2026.2", series_goal="2026.2",
                         goal_status="Accepted", started_at=datetime(2026, 2, 10, tzinfo=UTC),
                         summary=f"Summary of {name}.", specification_url="https://wiki.example.org/x",
                         work_items=({"text": "Write the API", "state": "DONE", "assignee": "jdev",
                                      "milestone": None},), **fields)  # type: ignore[arg-type]
    apply_blueprint(db, None, project, data)
    db.flush()


def test_project_table_shows_launchpad_status_and_priority_with_a_legend(client, db, make_project):  # noqa: ANN001
    nova = make_project("nova", launchpad="nova")
    blueprint(db, nova, "lp-badged")

    html = client.get("/projects/nova").get_data(as_text=True)

    assert 'class="badge lp-status" title="Launchpad implementation status">Good progress</span>' in html
    assert 'class="badge lp-priority lp-priority-high" title="Launchpad priority">High</span>' in html
    legend = text_of(html)
    assert "implementation status Started and priority High as Launchpad names them" in legend


def test_spec_page_shows_the_blueprint_fields_work_items_and_no_design_document(client, db, make_project):  # noqa: ANN001
    nova = make_project("nova", launchpad="nova")
    blueprint(db, nova, "lp-page")

    response = client.get("/projects/nova/specs/lp-page")

    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "no design document" in text
    assert "LP implementation: Good progress" in text and "LP priority: High" in text
    assert "Summary of lp-page." in text
    for shown in ("Lifecycle Started", "Direction approved yes", "Drafter J. Developer",
                  "Series goal 2026.2 (Accepted)", "Started 2026-02-10", "DONE Write the API (jdev)",
                  "exactly as Launchpad names them"):
        assert shown in text, shown
