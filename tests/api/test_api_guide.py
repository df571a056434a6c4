"""``/api``: the navbar's API link opens a page for people that lists every endpoint of the description."""

from __future__ import annotations

import re

from portal.api.guide import endpoint_groups, group_of
from portal.api.views import openapi_document
from tests.support.html import text_of


def test_the_navbar_api_link_opens_the_human_page(client) -> None:
    home = client.get("/").get_data(as_text=True)
    nav = home.split("</nav>")[0] if "</nav>" in home else home
    assert re.search(r'<a class="nav-link[^"]*" href="/api"[^>]*>API</a>', nav), "the navbar API link is not /api"
    page = client.get("/api")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'href="/api/v1/openapi.json"' in html
    assert 'aria-current="page"' in html  # the navbar marks where the reader is


def test_every_operation_of_the_description_is_listed_once_with_its_summary(client) -> None:
    text = re.sub(r"\s+", " ", text_of(client.get("/api").get_data(as_text=True)))
    document = openapi_document()
    operations = [
        (method.upper(), "/api/v1" + path, op.get("summary", ""))
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 6
    for method, path, summary in operations:
        line = f"{method} {path}"
        assert text.count(line + " ") == 1, f"{line} is listed {text.count(line + ' ')} times"
        assert summary.split(" (")[0] in text, summary
    # Writes say they need a token.
    assert "PUT /api/v1/projects/{project_name}/specs/{spec_name}/checklist token" in text


def test_endpoints_are_grouped_by_what_they_are_about() -> None:
    assert group_of("/projects/{p}/specs/{name}/checklist", None) == "Operability checklist"
    assert group_of("/projects/{p}/specs/{name}/vote", None) == "Votes and demand"
    assert group_of("/projects/{p}/specs", None) == "Projects and specs"
    assert group_of("/comments/{id}/hide", None) == "Discussion"
    assert group_of("/projects", ["Admin"]) == "Admin"  # a tag in the description wins
    assert group_of("/widgets", None) == "Other"
    groups = endpoint_groups(openapi_document())
    titles = [g.title for g in groups]
    assert titles[0] == "Projects and specs" and titles[-1] in ("This description", "Other")
    methods = ("get", "post", "put", "patch", "delete")
    paths = openapi_document()["paths"].values()
    assert sum(len(g.endpoints) for g in groups) == sum(1 for item in paths for m in item if m in methods)


def test_the_favicon_is_served_at_the_root_and_linked_from_every_page(client) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
        assert "max-age" in icon.headers.get("Cache-Control", "")
    for url in ("/", "/api", "/accounts/login"):
        page = client.get(url).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.svg"' in page, url
