"""A spec cannot cover the page: in Chromium, the navbar and the page's controls stay on top.

The attack: a spec's RST gives a paragraph Bootstrap's layout classes
(``.. class:: fixed-top vh-100 w-100 bg-white``, ``modal d-block``,
``position-fixed z-3``) so it covers the whole window with a fake "session
expired, log in again" message. ``portal.markup`` keeps only the
renderer's own classes, so the paragraph stays in the flow of the text.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from portal.models import SpecState
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file
from tests.support.browser import LiveServer

pytestmark = pytest.mark.browser

PHISHING = "Your session expired. Log in again at portal-login.example"
HOSTILE_RST = f"""\
===================
Faster live resizes
===================

https://blueprints.launchpad.net/nova/+spec/faster-resizes

Operators wait too long for resizes.

.. class:: fixed-top vh-100 w-100 bg-white

{PHISHING}

.. class:: modal d-block

A second overlay, as a Bootstrap modal.

.. container:: position-fixed z-3 top-0 start-0 vw-100 vh-100 bg-white

   A third overlay, in a container.

Problem description
===================

Resizes are slow.
"""


def seed_hostile_spec(db: Session) -> None:
    """The spec goes in the way the importer puts it: parsed (and sanitised) at write time."""
    nova = add_project(db, None, "nova", title="Nova")
    parsed = parse_spec(HOSTILE_RST)
    upsert_spec_file(
        db, None, nova,
        SpecFile(path="specs/2025.1/approved/faster-resizes.rst", release="2025.1", state=SpecState.APPROVED,
                 text=HOSTILE_RST, parsed=parsed, file_name="faster-resizes"),
    )


def topmost_is_inside(page: Page, locator_selector: str) -> bool:
    """Whether the element the browser would hit at the centre of the target is the target (or inside it)."""
    return bool(
        page.eval_on_selector(
            locator_selector,
            """target => {
                const box = target.getBoundingClientRect();
                const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
                return hit !== null && (hit === target || target.contains(hit));
            }""",
        )
    )


def test_a_spec_with_layout_classes_cannot_cover_the_navbar_or_the_controls(
    live_server: LiveServer, page: Page
) -> None:
    live_server.seed(seed_hostile_spec)

    page.goto(live_server.url + "/projects/nova/specs/faster-resizes")

    assert page.get_by_text(PHISHING).is_visible()  # the text is kept, as ordinary text
    assert topmost_is_inside(page, "nav.navbar")
    assert topmost_is_inside(page, "nav.navbar a.navbar-brand")
    assert topmost_is_inside(page, "nav.navbar >> text=Log in")
    assert topmost_is_inside(page, "nav[aria-label=Breadcrumb] a")  # a control of the page itself
    assert topmost_is_inside(page, "h1")
    # Each smuggled element sits in the flow of the spec text, not over the page.
    positions = page.eval_on_selector_all(
        ".spec-body p, .spec-body div", "els => els.map(el => getComputedStyle(el).position)"
    )
    assert set(positions) == {"static"}
    smuggled = "el => el.querySelectorAll('.fixed-top, .modal, .position-fixed').length"
    assert page.eval_on_selector(".spec-body", smuggled) == 0
