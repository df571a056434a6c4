"""The pure mapping: Launchpad JSON → :class:`Blueprint`, work items, persons (no database, no network)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.importers.launchpad import (
    PERSON_ROLES,
    WorkItem,
    blueprint_data,
    blueprint_from_entry,
    last_segment,
    parse_work_items,
    person_from_entry,
    whiteboard_external_id,
)
from tests.importers.launchpad.fake_launchpad import spec_entry

FIXTURES = Path("/work/shared/fixtures/launchpad")


def fixture_or_skip(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"recorded Launchpad payload {path} not found (../shared is not part of this checkout)")
    return path


# The real solum/+spec/api entry quoted in API-NOTES §2.4 (abridged there; keys as in the WADL).
SOLUM_API = {
    "self_link": "https://api.launchpad.net/devel/solum/+spec/api",
    "web_link": "https://blueprints.launchpad.net/solum/+spec/api",
    "resource_type_link": "https://api.launchpad.net/devel/#specification",
    "http_etag": "\"69ba724114101dfcd4f913942eb8168611be7881-5cafd0c19e98ba7a4937b8d30083b8e22eacf84f\"",
    "name": "api", "title": "Solum API",
    "summary": "Specify the API service for Solum user interfaces to consume, including the CLI tools, Horizon, "
               "IDE Plugins, etc.",
    "specification_url": "https://wiki.openstack.org/wiki/Solum/API",
    "priority": "Essential", "definition_status": "Approved", "lifecycle_status": "Complete",
    "information_type": "Public", "direction_approved": True, "has_accepted_goal": True,
    "is_started": True, "is_complete": True, "workitems_text": "",
    "date_created": "2013-10-01T01:29:27.357395+00:00",
    "date_started": "2013-11-21T22:34:20.949638+00:00",
    "date_completed": "2014-04-01T16:22:41.981924+00:00",
    "owner_link": "https://api.launchpad.net/devel/~aotto",
    "approver_link": "https://api.launchpad.net/devel/~aotto",
    "drafter_link": "https://api.launchpad.net/devel/~aotto",
    "assignee_link": "https://api.launchpad.net/devel/~aotto",
    "starter_link": "https://api.launchpad.net/devel/~aotto",
    "completer_link": "https://api.launchpad.net/devel/~aotto",
    "milestone_link": "https://api.launchpad.net/devel/solum/+milestone/milestone-1",
    "target_link": "https://api.launchpad.net/devel/solum",
    "bugs_collection_link": "https://api.launchpad.net/devel/solum/+spec/api/bugs",
    "dependencies_collection_link": "https://api.launchpad.net/devel/solum/+spec/api/dependencies",
    "linked_branches_collection_link": "https://api.launchpad.net/devel/solum/+spec/api/linked_branches",
}


def test_the_real_solum_entry_maps_every_field() -> None:
    bp = blueprint_from_entry(SOLUM_API)

    assert (bp.name, bp.title, bp.priority, bp.definition_status, bp.lifecycle_status) == (
        "api", "Solum API", "Essential", "Approved", "Complete")
    assert bp.implementation_status is None and bp.whiteboard is None  # that source omits them
    assert bp.direction_approved is True
    assert bp.created_at == datetime(2013, 10, 1, 1, 29, 27, 357395, tzinfo=UTC)
    assert bp.completed_at == datetime(2014, 4, 1, 16, 22, 41, 981924, tzinfo=UTC)
    assert bp.people == {role: "https://api.launchpad.net/devel/~aotto" for role in PERSON_ROLES}
    assert bp.milestone == "milestone-1" and bp.series_goal is None and bp.goal_status is None
    assert bp.dependencies_link == "https://api.launchpad.net/devel/solum/+spec/api/dependencies"
    assert bp.bugs_link == "https://api.launchpad.net/devel/solum/+spec/api/bugs"
    assert bp.specification_url == "https://wiki.openstack.org/wiki/Solum/API"
    assert bp.web_link == "https://blueprints.launchpad.net/solum/+spec/api"
    assert bp.http_etag == SOLUM_API["http_etag"]
    assert bp.work_items == ()


def test_the_wadl_enumerations_are_the_values_the_mapping_passes_through() -> None:
    """Status values are kept as Launchpad names them: every WADL option maps to itself."""
    wadl = fixture_or_skip("launchpadlib-rs-devel.wadl").read_text()
    start = wadl.index('id="specification-full"')
    block = wadl[start:wadl.index("</wadl:representation>", start)]
    for key in ("priority", "definition_status", "implementation_status", "lifecycle_status"):
        param = re.search(rf'name="{key}".*?</wadl:param>', block, re.S)
        assert param is not None, key
        options = re.findall(r'<wadl:option value="([^"]+)"', param.group(0))
        assert options, key
        for value in options:
            assert getattr(blueprint_from_entry({**SOLUM_API, key: value}), key) == value
    # Every field the mapping reads is one the WADL lists (series_goal_link/goal_status: only if present).
    listed = set(re.findall(r'<wadl:param[^>]*name="([^"]+)"', block))
    read = {"name", "title", "summary", "whiteboard", "workitems_text", "priority", "definition_status",
            "implementation_status", "lifecycle_status", "direction_approved", "date_created", "date_started",
            "date_completed", "milestone_link", "dependencies_collection_link", "bugs_collection_link",
            "specification_url", "web_link", "self_link", "http_etag", "has_accepted_goal"}
    read |= {f"{role}_link" for role in PERSON_ROLES}
    assert read <= listed


def test_the_real_person_entry_gives_name_and_display_name() -> None:
    entry = json.loads(fixture_or_skip("launchpadlib-rs-person.json").read_text())
    person = person_from_entry(entry, entry["self_link"])
    assert person.name == entry["name"] and person.display_name == entry["display_name"]


def test_a_person_without_an_entry_keeps_the_name_its_link_gives() -> None:
    assert person_from_entry(None, "https://api.launchpad.net/devel/~gone-user").display_name == "gone-user"


def test_the_real_collection_envelope_has_the_keys_the_client_reads() -> None:
    page = json.loads(fixture_or_skip("launchpadlib-rs-bug_tasks-collection.json").read_text())
    assert isinstance(page["entries"], list) and isinstance(page["total_size"], int)
    assert "next_collection_link" not in page  # the last page
    last = json.loads(fixture_or_skip("fetchcode-launchpad-collection-lastpage.json").read_text())
    assert "ws.size=" in last["prev_collection_link"] and last["start"] == 75


def test_work_items_are_parsed_with_states_assignees_and_milestones() -> None:
    text = (
        "Work items:\n"
        "[jdev] Write the API: DONE\n"
        "Document it: todo\n"
        "\n"
        "Work items for 2026.2:\n"
        "[ptl] Review the docs: INPROGRESS\n"
        "Ship: Blocked\n"
        "A line without a state\n"
    )
    assert parse_work_items(text) == (
        WorkItem("Write the API", "DONE", "jdev", None),
        WorkItem("Document it", "TODO", None, None),
        WorkItem("Review the docs", "INPROGRESS", "ptl", "2026.2"),
        WorkItem("Ship", "BLOCKED", None, "2026.2"),
        WorkItem("A line without a state", "TODO", None, "2026.2"),
    )
    assert parse_work_items("") == () and parse_work_items(None) == ()


def test_a_series_goal_is_read_when_the_entry_carries_one() -> None:
    entry = {**SOLUM_API, "series_goal_link": "https://api.launchpad.net/devel/solum/juno", "has_accepted_goal": True}
    bp = blueprint_from_entry(entry)
    assert (bp.series_goal, bp.goal_status) == ("juno", "Accepted")
    proposed = blueprint_from_entry({**entry, "goal_status": "Proposed"})
    assert proposed.goal_status == "Proposed"


@pytest.mark.parametrize(("change", "message"), [
    ({"name": None}, "no 'name'"),
    ({"title": 3}, "'title' is int"),
    ({"date_created": "yesterday"}, "'date_created' is not an ISO 8601 date"),
    ({"direction_approved": "yes"}, "'direction_approved' is str"),
])
def test_a_malformed_entry_says_which_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        blueprint_from_entry({**SOLUM_API, **change})


def test_blueprint_data_carries_people_as_display_names() -> None:
    from portal.importers.launchpad import Person

    bp = blueprint_from_entry(spec_entry("https://api.launchpad.net", "nova", "x", workitems_text="Do it: DONE"))
    people = {"owner": Person("jdev", "J. Dev"), "approver": Person("ptl", "The PTL"), "assignee": None}
    data = blueprint_data(bp, people, "nova")
    assert (data.owner, data.approver, data.assignee) == ("J. Dev", "The PTL", None)
    assert data.people == {"owner": {"name": "jdev", "display_name": "J. Dev"},
                           "approver": {"name": "ptl", "display_name": "The PTL"}}
    assert data.work_items == ({"text": "Do it", "state": "DONE", "assignee": None, "milestone": None},)
    assert data.milestone == "2026.2" and data.lp_project == "nova"


def test_link_names_and_whiteboard_ids() -> None:
    assert last_segment("https://api.launchpad.net/devel/~j%C3%B6rg") == "jörg"
    assert last_segment(None) is None
    first = whiteboard_external_id("nova", "x", "Gerrit topic: a")
    assert first.startswith("nova/+spec/x/whiteboard/")
    assert first != whiteboard_external_id("nova", "x", "Gerrit topic: b")
