"""A project with a spec, its PTL, two operators and an admin, for the discussion tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.models import Project, Role, Spec, User


@dataclass
class Cast:
    nova: Project
    spec: Spec
    rey: User  # an operator
    carlos: User  # another operator
    pat: User  # PTL of nova
    otto: User  # PTL of another project
    ada: User  # admin


@pytest.fixture
def cast(db, make_user, make_project, make_spec) -> Cast:
    nova = make_project("nova")
    other = make_project("cinder")
    spec = make_spec(name="drain-mode", project=nova)
    return Cast(
        nova=nova, spec=spec,
        rey=make_user("rey", display_name="Rey Operator"), carlos=make_user("carlos"),
        pat=make_user("pat", ptl_of=[nova]), otto=make_user("otto", ptl_of=[other]),
        ada=make_user("ada", role=Role.ADMIN.value),
    )
