"""The hand-labelled specs of the meeting fixtures, created in a test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from portal.models import GerritChange, GerritStatus, Project, Spec

FIXTURES = Path(__file__).parent / "fixtures" / "meetings"
LABELS: dict[str, Any] = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))


def make_labelled_specs(db: Session, make_project: Callable[..., Project],
                        make_spec: Callable[..., Spec]) -> dict[str, Spec]:
    """Every spec of labels.json, keyed ``project/name``, with its Gerrit changes."""
    projects: dict[str, Project] = {}
    specs: dict[str, Spec] = {}
    for item in LABELS["specs"]:
        project = projects.get(item["project"]) or make_project(name=item["project"])
        projects[item["project"]] = project
        spec = make_spec(name=item["name"], project=project, title=item["title"])
        for number in item.get("changes", []):
            db.add(GerritChange(spec_id=spec.id, repo=f"openstack/{project.name}-specs", change_number=number,
                                status=GerritStatus.NEW, subject=item["title"],
                                url=f"https://review.opendev.org/c/openstack/{project.name}-specs/+/{number}"))
        specs[f"{project.name}/{spec.name}"] = spec
    db.flush()
    return specs
