"""Browser tests: the portal driven through Debian's Chromium, as a user would.

``seed_nova`` builds the small site every browser test starts from, through
the same service functions the importers and the CLI use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.clock import now
from portal.markup import render_markdown
from portal.models import Comment, Spec, SpecState
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file
from tests.support.factories import PASSWORD, spec_rst

USERNAME = "rey"
DISPLAY_NAME = "Rey Operator"

# A long section pushes the later ones below the fold, so a table-of-contents
# link has to scroll for its target to come into view.
LONG_TEXT = "\n\n".join(
    f"Paragraph {n}: operators lose track of live migrations that never finish; "
    "they need a timeout, an abort and a clear log line when either fires." for n in range(1, 41)
)


@dataclass(frozen=True)
class SeedSpec:
    name: str
    title: str
    release: str | None
    state: SpecState
    days_ago: int  # last activity, so the default (activity) order is known


SPECS = (
    SeedSpec("live-migration-timeouts", "Live migration timeouts", "2025.1", SpecState.APPROVED, 1),
    SeedSpec("cpu-pinning-report", "Report CPU pinning per instance", "2024.2", SpecState.IMPLEMENTED, 3),
    SeedSpec("graceful-shutdown", "Graceful shutdown of compute services", None, SpecState.BACKLOG, 5),
    SeedSpec("affinity-weights", "Affinity weights for the scheduler", "2025.1", SpecState.APPROVED, 7),
)
FEATURED = SPECS[0]
SECTIONS = {
    "Problem description": LONG_TEXT,
    "Proposed change": "Add ``[libvirt]live_migration_timeout_action`` with the values ``abort`` and ``force``.",
    "Upgrade impact": "None: the default keeps today's behaviour.",
}
GERRIT_COMMENT = "Please say what happens to an instance whose migration is aborted."
PORTAL_COMMENT = "We hit this every week on our **largest** cells."


def _spec_file(
    project: str, spec: SeedSpec, release: str | None, state: SpecState, sections: dict[str, str]
) -> SpecFile:
    text = spec_rst(spec.title, spec.name, project, sections)
    folder = f"specs/{release}/{state.value}" if release else f"specs/{state.value}"
    return SpecFile(
        path=f"{folder}/{spec.name}.rst", release=release, state=state, text=text,
        parsed=parse_spec(text), file_name=spec.name,
    )


def seed_nova(db: Session) -> None:
    """One operator, the nova project with four specs, one spec with history and discussion."""
    user = accounts.create_user(
        db, None, USERNAME, email="rey@example.org", role="operator", password=PASSWORD,
        display_name=DISPLAY_NAME, hasher=passwords.hasher(testing=True),
    )
    nova = add_project(db, None, "nova", title="Nova", description="OpenStack Compute",
                       gerrit_repo="openstack/nova-specs", launchpad="nova")
    # The featured spec was first approved for 2024.2, then re-proposed for 2025.1.
    upsert_spec_file(db, None, nova, _spec_file("nova", FEATURED, "2024.2", SpecState.APPROVED, SECTIONS))
    for spec in SPECS:
        upsert_spec_file(db, None, nova, _spec_file("nova", spec, spec.release, spec.state, SECTIONS))
    db.flush()
    specs = {s.name: s for s in db.query(Spec).filter_by(project_id=nova.id)}
    for seed in SPECS:
        specs[seed.name].last_activity_at = now() - timedelta(days=seed.days_ago)
    featured = specs[FEATURED.name]
    db.add(Comment(
        spec_id=featured.id, source="gerrit", external_id="gerrit-msg-1", author_name="Sylvain Reviewer",
        body=GERRIT_COMMENT, body_html=render_markdown(GERRIT_COMMENT), patch_set=2,
        url="https://review.opendev.org/c/openstack/nova-specs/+/900001",
    ))
    db.add(Comment(spec_id=featured.id, source="portal", author_id=user.id, body=PORTAL_COMMENT,
                   body_html=render_markdown(PORTAL_COMMENT)))
    db.flush()
