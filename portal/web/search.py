"""The search pages: results with facets (/search), saving and deleting saved searches.

The query string is :meth:`SearchQuery.to_params` (``q``, ``project``, …,
``from``, ``to``, ``page``), so a result URL, an API call and a saved search
are one query. A page never fails on what was typed: a bad parameter is
named in a warning and the rest is searched. Also the Jinja globals for the
spec page's "Related specs" and the account page's saved searches, so those
pages need no code of their own.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from portal import permissions
from portal.errors import NotFound, PortalError
from portal.http.auth import actor
from portal.http.search import search_backend
from portal.http.session import get_db
from portal.models import Comment, Project, SavedSearch, Spec, User
from portal.models.search import MAX_SAVED_SEARCH_NAME
from portal.search import FACETS, Hit, QueryError, Results, SearchQuery, SearchUnavailable
from portal.search import saved as saved_searches
from portal.search.documents import comment_anchor, spec_doc_id
from portal.specs import timeline
from portal.web.specview import TIMELINE_ARG

bp = Blueprint("search", __name__)
log = logging.getLogger(__name__)

FACET_LABELS = {"project": "Project", "release": "Release", "state": "State", "source": "Source",
                "kind": "Kind", "author": "Author"}
KIND_LABELS = {"spec": "Spec", "section": "Spec section", "comment": "Comment"}
SOURCE_LABELS = {"portal": "BOB", "gerrit": "Gerrit", "launchpad": "Launchpad", "link": "Link", "file": "Spec file"}
RELATED_LIMIT = 5


class SaveSearchForm(FlaskForm):
    name = StringField("Name this search", validators=[DataRequired(), Length(max=MAX_SAVED_SEARCH_NAME)],
                       description="Saved searches are listed on your account page.")
    query = HiddenField()
    submit = SubmitField("Save this search")


class DeleteSavedSearchForm(FlaskForm):
    submit = SubmitField("Delete")


def href(query: SearchQuery) -> str:
    """The results page of ``query``."""
    params = query.to_params()
    return url_for("search.results") + ("?" + urlencode(params) if params else "")


def _read_query() -> tuple[SearchQuery, dict[str, str]]:
    """The query of the request's arguments, and the problems with those that could not be used."""
    try:
        return SearchQuery.from_params(request.args, strict=True), {}
    except QueryError as exc:
        return exc.usable, exc.problems


@bp.get("/search")
def results() -> ResponseReturnValue:
    query, problems = _read_query()
    found: Results | None = None
    unavailable = None
    status = 200
    if not query.is_empty:
        try:
            found = search_backend().search(query)
        except SearchUnavailable as exc:
            unavailable, status = exc.message, 503
    form = None
    if current_user.is_authenticated and not query.is_empty:
        form = SaveSearchForm(formdata=None, query=urlencode(query.refined().to_params()), name=query.words[:100])
    return render_template("search/results.html", **_page_context(query, found, problems, unavailable, form)), status


def _page_context(query: SearchQuery, found: Results | None, problems: dict[str, str], unavailable: str | None,
                  form: SaveSearchForm | None) -> dict[str, Any]:
    active = {name: getattr(query, name) for name in FACETS if getattr(query, name) is not None}
    return {
        "query": query,
        "search_words": query.words,  # the navbar box shows them too
        "found": found,
        "problems": problems,
        "unavailable": unavailable,
        "save_form": form,
        "active": active,
        "facet_labels": FACET_LABELS,
        "kind_labels": KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "facet_href": lambda name, value: href(query.refined(**{name: value})),
        "page_href": lambda number: href(query.with_page(number)),
        "hit_href": hit_href,
        "suggestion_href": lambda words: href(query.refined(words=words)),
        "dates_cleared_href": href(query.refined(date_from=None, date_to=None)),
        "date_hidden": [(k, v) for k, v in query.refined().to_params().items() if k not in ("from", "to")],
    }


@bp.post("/search/saved")
@login_required
def save() -> ResponseReturnValue:
    form = SaveSearchForm()
    query = SearchQuery.from_params(dict(parse_qsl(form.query.data or "")))
    if not form.validate_on_submit():
        flash("The search was not saved: give it a name of at most "
              f"{MAX_SAVED_SEARCH_NAME} characters.", "danger")
        return _results_again(query, form, 400)
    try:
        saved = saved_searches.save(get_db(), actor(), form.name.data or "", query)
    except PortalError as exc:
        flash(f"The search was not saved: {exc.message}", "danger")
        return _results_again(query, form, exc.status)
    flash(f"Search saved as “{saved.name}”. Find it on your account page.", "success")
    return redirect(href(query))


def _results_again(query: SearchQuery, form: SaveSearchForm, status: int) -> ResponseReturnValue:
    """The results page once more, with what was typed into the form kept."""
    found: Results | None = None
    unavailable = None
    if not query.is_empty:
        try:
            found = search_backend().search(query)
        except SearchUnavailable as exc:
            unavailable = exc.message
    return render_template("search/results.html", **_page_context(query, found, {}, unavailable, form)), status


@bp.post("/search/saved/<int:saved_id>/delete")
@login_required
def delete(saved_id: int) -> ResponseReturnValue:
    form = DeleteSavedSearchForm()
    if not form.validate_on_submit():
        flash("Nothing was deleted: the form had expired. Try again.", "danger")
        return redirect(url_for("accounts.account"))
    saved = saved_searches.delete(get_db(), actor(), saved_id)
    flash(f"Saved search “{saved.name}” deleted.", "success")
    return redirect(url_for("accounts.account", _anchor="saved-searches-heading"))


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int) -> ResponseReturnValue:
    """A comment's permalink: its spec page, on the timeline page that shows it, at the comment."""
    db = get_db()
    found = db.get(Comment, comment_id)
    if found is None or found.deleted_at is not None:
        raise NotFound(f"Comment {comment_id} does not exist (it may have been deleted). Search again to find "
                       "the discussion.")
    spec = db.get(Spec, found.spec_id)
    assert spec is not None
    project = db.get(Project, spec.project_id)
    assert project is not None
    page = timeline.page_of_comment(db, found)
    args: dict[str, Any] = {TIMELINE_ARG: page} if page > 1 else {}
    return redirect(url_for("pages.spec", project_name=project.name, spec_name=spec.name,
                            _anchor=comment_anchor(comment_id), **args))


def hit_href(hit: Hit) -> str:
    """Where a hit links: a comment through its permalink (the timeline is paged), the rest as indexed."""
    kind, _, number = hit.doc_id.partition(":")
    if kind == "comment" and number.isdigit():
        return url_for("search.comment", comment_id=int(number))
    return hit.url


# --- for other pages' templates ----------------------------------------------------------


def related_specs(spec: Spec) -> list[Hit]:
    """Up to five specs like this one, from any project and year (none when the index cannot be read)."""
    try:
        return search_backend().related(spec_doc_id(spec.id), limit=RELATED_LIMIT)
    except SearchUnavailable:
        return []
    except Exception:  # a side rail never breaks the spec page
        log.exception("related specs of spec %s failed", spec.id)
        return []


def saved_searches_of(user: User) -> list[dict[str, Any]]:
    """The account page's list: each saved search with its results link and its delete form."""
    items: list[dict[str, Any]] = []
    for saved in saved_searches.list_saved(get_db(), user):
        query = saved_searches.query_of(saved)
        items.append({"saved": saved, "href": href(query), "summary": summary(saved)})
    return items


def summary(saved: SavedSearch) -> str:
    """``rabbitmq reconnect · project nova · from 2024-01-01`` (what the saved search asks)."""
    params = dict(saved.query)
    parts = [params.pop("q", "")] if params.get("q") else []
    parts += [f"{name} {value}" for name, value in params.items() if name != "page"]
    return " · ".join(parts) or "everything"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(related_specs, "related_specs")
    app.add_template_global(saved_searches_of, "saved_searches_of")
    app.add_template_global(lambda: DeleteSavedSearchForm(), "delete_saved_search_form")
    app.add_template_global(lambda user: permissions.can_save_search(user).allowed, "can_save_search")
