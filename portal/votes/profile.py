"""The voter's deployment profile, and the snapshot of it that each vote keeps.

Every field is optional: an operator who says nothing about their cloud
still votes. The organisation is used in aggregates always, and shown by
name only when the voter ticked ``show_organisation``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, permissions
from portal.clock import now
from portal.errors import InvalidInput
from portal.models import DeploymentProfile, DeploymentTool, HypervisorBand, ProjectBand, User

MAX_ORGANISATION_CHARS = 200
MAX_BACKENDS = 12
RELEASE = re.compile(r"[0-9]{4}\.[0-9]|[a-z]{3,16}")  # 2025.2, or an older name such as "zed"
BACKEND = re.compile(r"[a-z0-9][a-z0-9.+_-]{0,39}")

TOOL_LABELS = {
    DeploymentTool.KOLLA_ANSIBLE: "Kolla-Ansible",
    DeploymentTool.OPENSTACK_ANSIBLE: "OpenStack-Ansible",
    DeploymentTool.OPENSTACK_HELM: "OpenStack-Helm",
    DeploymentTool.CHARMS: "Charms (Juju)",
    DeploymentTool.PUPPET: "Puppet OpenStack",
    DeploymentTool.TRIPLEO: "TripleO",
    DeploymentTool.PACKAGES: "Distribution packages",
    DeploymentTool.OTHER: "Other / in-house",
}


@dataclass(frozen=True)
class ProfileInput:
    organisation: str = ""
    show_organisation: bool = False
    release_in_production: str = ""
    deployment_tool: DeploymentTool | None = None
    backends: tuple[str, ...] = ()
    hypervisors: HypervisorBand | None = None
    projects: ProjectBand | None = None


def _choice(enum: type[Any], value: object, name: str) -> Any:
    if value in (None, ""):
        return None
    try:
        return enum(str(value).strip())
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"Unknown {name.replace('_', ' ')} '{str(value)[:40]}': use one of {allowed}, "
                           "or leave it empty.", {name: f"one of {allowed}"}) from None


def parse_profile(data: Mapping[str, object]) -> ProfileInput:
    """A profile from a form; every problem names the field and what it accepts."""
    organisation = str(data.get("organisation") or "").strip()
    if len(organisation) > MAX_ORGANISATION_CHARS:
        raise InvalidInput(f"The organisation is longer than {MAX_ORGANISATION_CHARS} characters; shorten it.",
                           {"organisation": "too long"})
    release = str(data.get("release_in_production") or "").strip().lower()
    if release and not RELEASE.fullmatch(release):
        raise InvalidInput(f"'{release[:40]}' is not a release: write it as OpenStack names it, e.g. 2025.2 or zed.",
                           {"release_in_production": "a release such as 2025.2"})
    raw_backends = data.get("backends") or ""
    parts = raw_backends if isinstance(raw_backends, list) else re.split(r"[,\s]+", str(raw_backends))
    backends: list[str] = []
    for part in parts:
        name = str(part).strip().lower()
        if not name:
            continue
        if not BACKEND.fullmatch(name):
            raise InvalidInput(f"'{name[:40]}' is not a backend name: use short names such as ceph, ovn, lvm, "
                               "separated by commas.", {"backends": "short names, comma-separated"})
        if name not in backends:
            backends.append(name)
    if len(backends) > MAX_BACKENDS:
        raise InvalidInput(f"{len(backends)} backends given; list at most {MAX_BACKENDS}, the main ones.",
                           {"backends": f"at most {MAX_BACKENDS}"})
    show = data.get("show_organisation", False)
    if isinstance(show, str):
        show = show.lower() in ("1", "true", "on", "yes", "y")
    return ProfileInput(
        organisation=organisation,
        show_organisation=bool(show),
        release_in_production=release,
        deployment_tool=_choice(DeploymentTool, data.get("deployment_tool"), "deployment_tool"),
        backends=tuple(backends),
        hypervisors=_choice(HypervisorBand, data.get("hypervisors"), "hypervisors"),
        projects=_choice(ProjectBand, data.get("projects"), "projects"),
    )


def get_profile(session: Session, user_id: int) -> DeploymentProfile | None:
    return session.get(DeploymentProfile, user_id)


def save_profile(session: Session, actor: User | None, data: ProfileInput) -> DeploymentProfile:
    """Create or replace ``actor``'s profile. Votes already cast keep the context they were cast in."""
    permissions.require(permissions.signed_in(actor))
    assert actor is not None
    row = get_profile(session, actor.id)
    if row is None:
        row = DeploymentProfile(user_id=actor.id)
        session.add(row)
    row.organisation = data.organisation
    row.show_organisation = data.show_organisation
    row.release_in_production = data.release_in_production
    row.deployment_tool = data.deployment_tool
    row.backends = list(data.backends)
    row.hypervisors = data.hypervisors
    row.projects = data.projects
    row.updated_at = now()
    session.flush()
    audit.audit(session, actor, "profile.saved", target_type="user", target_id=actor.id)
    return row


def snapshot(row: DeploymentProfile | None) -> dict[str, Any]:
    """The context a vote keeps: the profile's fields as plain JSON ({} without a profile)."""
    if row is None:
        return {}
    return {
        "organisation": row.organisation,
        "show_organisation": bool(row.show_organisation),
        "release_in_production": row.release_in_production,
        "deployment_tool": str(row.deployment_tool) if row.deployment_tool else "",
        "backends": list(row.backends or []),
        "hypervisors": str(row.hypervisors) if row.hypervisors else "",
        "projects": str(row.projects) if row.projects else "",
    }


def segment_columns(context: Mapping[str, Any]) -> dict[str, str]:
    """The ``Vote.ctx_*`` copies of a snapshot that the dashboard filters on."""
    backends = [str(b) for b in context.get("backends") or []]
    return {
        "ctx_release": str(context.get("release_in_production") or ""),
        "ctx_tool": str(context.get("deployment_tool") or ""),
        "ctx_hypervisors": str(context.get("hypervisors") or ""),
        "ctx_projects": str(context.get("projects") or ""),
        "ctx_backends": f",{','.join(backends)}," if backends else "",
    }


def public_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """A vote's context as a PTL sees it: the organisation only when the voter chose to show it."""
    shown = dict(context)
    if not context.get("show_organisation"):
        shown["organisation"] = ""
    shown.pop("show_organisation", None)
    return shown


def profiles_by_user(session: Session, user_ids: list[int]) -> dict[int, DeploymentProfile]:
    if not user_ids:
        return {}
    rows = session.scalars(select(DeploymentProfile).where(DeploymentProfile.user_id.in_(user_ids)))
    return {row.user_id: row for row in rows}
