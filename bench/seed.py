"""Fast, realistic seeding of a portal database for benchmarks.

Usable from any benchmark::

    from bench.seed import SeedConfig, prepare_database, seed

    prepare_database(url)               # migrate a fresh database (refuses a non-empty one)
    result = seed(make_engine(url), SeedConfig(specs=10_000, comments=100_000))

Everything is written with SQLAlchemy Core ``executemany`` inserts in one
transaction, with explicit primary keys (no RETURNING round trips). The data
is generated, not copied from the corpus: a handful of spec documents are
built from word pools and rendered once with
:func:`portal.specs.document.parse_spec`, then reused with the spec's name and
title substituted; comment bodies are a pool of Markdown texts rendered once
with :func:`portal.markup.render_markdown`. The shape follows the real
projects: one project holds most specs (like nova), most specs are
approved or implemented, about half have a Gerrit change, comments follow a
long-tailed distribution (a quarter of the specs have none, a few have
hundreds), and every spec has a ``spec.created`` event.

The output is deterministic for a given :class:`SeedConfig` (``seed`` drives
every random choice), apart from timestamps, which are relative to now.
"""

from __future__ import annotations

import html
import itertools
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.engine import Connection

from portal.db import migrations
from portal.db.engine import make_engine
from portal.markup import render_markdown
from portal.models import Comment, Event, GerritChange, Project, Spec, SpecRevision, User
from portal.specs.document import parse_spec
from portal.specs.releases import release_rank

BATCH_ROWS = 5_000
# Placeholders that survive RST rendering unchanged, replaced per spec.
NAME_TOKEN = "zzspecnamezz"
TITLE_TOKEN = "Zzspectitlezz"
PROJECT_TOKEN = "zzprojectzz"

RELEASES = ("zed", "2023.1", "2023.2", "2024.1", "2024.2", "2025.1", "2025.2", "2026.1")
# (state, weight, has a release folder)
STATES = (
    ("implemented", 40, True),
    ("approved", 35, True),
    ("proposed", 10, False),
    ("backlog", 8, False),
    ("abandoned", 7, False),
)
COMMENT_SOURCES = (("gerrit", 60), ("portal", 25), ("link", 10), ("launchpad", 5))

_VERBS = ("support", "add", "allow", "improve", "expose", "remove", "deprecate", "track", "limit", "enable",
          "refactor", "report", "validate", "cache", "schedule", "migrate", "rebuild", "throttle")
_ADJECTIVES = ("live", "cold", "graceful", "per-tenant", "vtpm", "numa", "sriov", "stateless", "ephemeral",
               "encrypted", "shared", "remote", "unified", "bulk", "granular", "async", "hardware", "virtual")
_NOUNS = ("migration", "shutdown", "quota", "scheduler", "weigher", "image", "volume", "snapshot", "port",
          "network", "flavor", "host", "aggregate", "placement", "allocation", "console", "metadata", "policy",
          "notification", "cell", "conductor", "hypervisor", "backup", "trunk", "router", "keypair", "limit")
_WORDS = (
    "operator compute service instance host scheduler request placement allocation database message queue "
    "upgrade rollback restart monitoring metric alarm config option default timeout retry driver libvirt "
    "hypervisor network port volume attachment snapshot image cache quota tenant project policy api "
    "microversion notification event audit log deployment cell conductor cluster node failure recovery "
    "latency throughput capacity resource inventory trait aggregate flavor extra spec validation"
).split()
_PEOPLE = ("alice", "bob", "carlos", "rey", "dmitri", "sylvia", "kenji", "fatima", "olga", "pradeep",
           "ines", "tomas", "mei", "jules", "ngozi", "lars", "priya", "marco", "hana", "viktor")


@dataclass(frozen=True)
class SeedConfig:
    specs: int = 10_000
    comments: int = 100_000
    # (name, share of the specs); the first one is "the big project".
    projects: tuple[tuple[str, float], ...] = (("nova", 0.70), ("neutron", 0.20), ("cinder", 0.10))
    users: int = 200
    review_fraction: float = 0.5  # specs with a Gerrit change
    launchpad_fraction: float = 0.6  # specs with Launchpad blueprint fields
    silent_fraction: float = 0.25  # specs nobody commented on
    comment_spread: float = 1.3  # sigma of the per-spec log-normal activity: higher = longer tail
    seed: int = 1


@dataclass
class SeedResult:
    counts: dict[str, int]
    seconds: float  # total
    generate_seconds: float  # building the rows in Python (the rest is inserting)
    big_project: str
    # (project, spec name, live comment count), busiest first, within the big project
    busiest_specs: list[tuple[str, str, int]] = field(default_factory=list)
    revision_text_bytes: int = 0
    revision_html_bytes: int = 0


# --- database preparation --------------------------------------------------------------


def migrate(database_url: str) -> None:
    """Create or upgrade the schema (Alembic, as `portal db upgrade`)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(database_url, connection=conn)
    finally:
        engine.dispose()


def prepare_database(database_url: str) -> None:
    """Migrate the database to head; refuse one that already holds projects."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            existing = conn.scalar(select(func.count()).select_from(Project.__table__))
        if existing:
            raise SystemExit(
                f"{engine.url.render_as_string(hide_password=True)} already holds {existing} project(s): "
                "seed an empty database (drop and recreate it, or use the SQLite default)."
            )
    finally:
        engine.dispose()


# --- generated content -------------------------------------------------------------------


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    text = " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(sentences))
    # wrap like a real RST file
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > 78:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _title_block(title: str) -> str:
    return "=" * len(title) + "\n" + title + "\n" + "=" * len(title)


def _heading(title: str, char: str) -> str:
    return f"{title}\n{char * len(title)}"


def spec_document(rng: random.Random) -> str:
    """A spec file shaped like the OpenStack template, with placeholders for name and title."""
    title = TITLE_TOKEN
    parts = [
        "..\n This work is licensed under a Creative Commons Attribution 3.0 Unported\n License.\n\n"
        " http://creativecommons.org/licenses/by/3.0/legalcode",
        _title_block(title),
        f"https://blueprints.launchpad.net/{PROJECT_TOKEN}/+spec/{NAME_TOKEN}",
        _paragraph(rng, 3),
        _heading("Problem description", "="),
        _paragraph(rng, 4),
        _heading("Use Cases", "-"),
        "\n".join(f"* As an operator, {_sentence(rng, 12).lower()}" for _ in range(3)),
        _heading("Proposed change", "="),
        _paragraph(rng, 5),
        "\n".join(f"#. **{rng.choice(_NOUNS).capitalize()}.** {_sentence(rng, 14)}" for _ in range(3)),
        "::\n\n    [compute]\n    " + f"{NAME_TOKEN.replace('-', '_')}_timeout = 300\n",
        _paragraph(rng, 3),
    ]
    for sub in ("Alternatives", "Data model impact", "REST API impact", "Security impact",
                "Notifications impact", "Other end user impact", "Performance Impact",
                "Other deployer impact", "Developer impact", "Upgrade impact"):
        parts += [_heading(sub, "-"), _paragraph(rng, rng.randint(1, 3)) if rng.random() < 0.8 else "None."]
    parts += [
        _heading("Implementation", "="),
        _heading("Assignee(s)", "-"),
        f"Primary assignee:\n  {rng.choice(_PEOPLE)}",
        _heading("Work Items", "-"),
        "\n".join(f"* {_sentence(rng, 7)}" for _ in range(4)),
        _heading("Dependencies", "="),
        _paragraph(rng, 1),
        _heading("Testing", "="),
        _paragraph(rng, 2),
        _heading("Documentation Impact", "="),
        _paragraph(rng, 2),
        _heading("References", "="),
        "* https://docs.openstack.org/\n* https://etherpad.opendev.org/p/ops-feedback",
        _heading("History", "="),
        ".. list-table:: Revisions\n   :header-rows: 1\n\n   * - Release Name\n     - Description\n"
        "   * - 2025.1 Epoxy\n     - Introduced",
    ]
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class _Document:
    text: str
    html: str
    sections: list[dict[str, Any]]
    summary: str


def _documents(rng: random.Random, variants: int = 4) -> list[_Document]:
    docs = []
    for _ in range(variants):
        source = spec_document(rng)
        parsed = parse_spec(source)
        if parsed.error:
            raise RuntimeError(f"generated spec did not parse: {parsed.error}")
        docs.append(_Document(source, parsed.html, [s.to_dict() for s in parsed.sections], parsed.summary))
    return docs


def _comment_bodies(rng: random.Random, count: int = 40) -> list[tuple[str, str]]:
    bodies = []
    for i in range(count):
        # most review comments are a few lines; some are long
        paragraphs = [_paragraph(rng, rng.randint(1, 3)) for _ in range(1 if i % 3 else rng.randint(2, 4))]
        if i % 4 == 0:
            paragraphs.append("* " + _sentence(rng, 6) + "\n* " + _sentence(rng, 8))
        if i % 5 == 0:
            paragraphs.append("```\n" + f"openstack server show {rng.choice(_NOUNS)}-{i}\n```")
        if i % 7 == 0:
            paragraphs.insert(0, "> " + _sentence(rng, 10))
        body = "\n\n".join(paragraphs)
        bodies.append((body, render_markdown(body)))
    return bodies


def _spec_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Unique (name, title) pairs like ``graceful-migration-throttle``."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        words = [rng.choice(_VERBS), rng.choice(_ADJECTIVES), rng.choice(_NOUNS)]
        if rng.random() < 0.5:
            words.append(rng.choice(_NOUNS))
        name = "-".join(words)
        if name in seen:
            name = f"{name}-{len(out)}"
        seen.add(name)
        title = " ".join(words).capitalize().replace("-", " ")
        out.append((name, title))
    return out


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def _checklist_rows(
    rng: random.Random, specs: list[dict[str, Any]], now: datetime
) -> tuple[Table, Table, list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Checklist summaries and gaps (the derived rows list pages read), when the schema has them."""
    try:
        from portal.checklist.template import latest
        from portal.models import ChecklistGap, ChecklistSummary
    except ImportError:
        return None
    template = latest()
    keys = [item.key for item in template.items]
    summaries: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    for spec in specs:
        if rng.random() < 0.15:  # not analysed yet
            continue
        spec_gaps = rng.sample(keys, k=min(len(keys), rng.choice((0, 0, 1, 1, 2, 2, 3, 4, 6))))
        for key in spec_gaps:
            kind = "concern" if rng.random() < 0.2 else "missing"
            gaps.append({"spec_id": spec["id"], "item_key": key, "kind": kind})
        summaries.append({
            "spec_id": spec["id"], "template_version": template.version,
            "score": max(0, 100 - len(spec_gaps) * rng.randint(8, 16)), "gap_count": len(spec_gaps),
            "reviewed_count": rng.choice((0, 0, 0, 1, 2)), "stale_count": 1 if rng.random() < 0.05 else 0,
            "updated_at": _between(rng, spec["created_at"], now),
        })
    return ChecklistSummary.__table__, ChecklistGap.__table__, summaries, gaps


def _fill(template: str, name: str, title: str, project: str) -> str:
    return template.replace(NAME_TOKEN, name).replace(TITLE_TOKEN, title).replace(PROJECT_TOKEN, project)


# --- seeding ------------------------------------------------------------------------------


def _insert(conn: Connection, table: Table, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """executemany in batches of BATCH_ROWS; returns the row count."""
    total = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            conn.execute(insert(table), batch)
            total += len(batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)
        total += len(batch)
    return total


def _bulk_mode(conn: Connection, *, on: bool) -> None:
    """SQLite: no journal and no fsync while loading a throwaway database, then back to WAL.

    Loading through the WAL writes every page twice (WAL, then checkpoint);
    a benchmark database that is lost on a crash can skip both.
    """
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection  # outside SQLAlchemy's BEGIN: pragmas that must not run in one
    assert raw is not None
    for pragma in (("journal_mode=OFF", "synchronous=OFF") if on else ("journal_mode=WAL", "synchronous=NORMAL")):
        raw.execute(f"PRAGMA {pragma}").fetchall()


def _fix_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: move each id sequence past the explicit ids we inserted."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                 f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))")
        )


def seed(engine: Engine, config: SeedConfig | None = None) -> SeedResult:
    """Fill an empty, migrated database; one transaction, Core executemany inserts."""
    config = config or SeedConfig()
    rng = random.Random(config.seed)
    started = time.perf_counter()
    now = datetime.now(UTC)
    epoch = now - timedelta(days=4 * 365)

    documents = _documents(rng)
    bodies = _comment_bodies(rng)

    # projects
    projects = []
    for pid, (name, _share) in enumerate(config.projects, start=1):
        projects.append({
            "id": pid, "name": name, "title": name.capitalize(),
            "description": f"{name.capitalize()}: {_sentence(rng, 10)}",
            "gerrit_repo": f"openstack/{name}-specs", "launchpad": name, "created_at": epoch,
        })
    shares = [share for _name, share in config.projects]

    # users
    users = []
    for uid in range(1, config.users + 1):
        person = _PEOPLE[uid % len(_PEOPLE)]
        users.append({
            "id": uid, "username": f"{person}{uid}", "email": f"{person}{uid}@example.org",
            "display_name": f"{person.capitalize()} {uid}", "password_hash": None,
            "role": "operator" if uid % 5 else "reviewer", "is_active": True, "timezone": "UTC",
            "created_at": epoch,
        })

    # specs: project, state, release, dates
    names = _spec_names(rng, config.specs)
    specs: list[dict[str, Any]] = []
    project_counts = [0] * len(projects)
    for sid, (name, title) in enumerate(names, start=1):
        pidx = rng.choices(range(len(projects)), weights=shares)[0]
        project_counts[pidx] += 1
        state = _weighted(rng, tuple((s, w) for s, w, _r in STATES))
        has_release = next(r for s, _w, r in STATES if s == state)
        release = rng.choices(RELEASES, weights=range(1, len(RELEASES) + 1))[0] if has_release else None
        created = _between(rng, epoch, now - timedelta(days=2))
        has_lp = rng.random() < config.launchpad_fraction
        project_name = projects[pidx]["name"]
        specs.append({
            "id": sid, "project_id": pidx + 1, "name": name, "title": title,
            "summary": "", "state": state, "release": release, "release_rank": release_rank(release),
            "blueprint_url": f"https://blueprints.launchpad.net/{project_name}/+spec/{name}",
            "lp_title": title if has_lp else None,
            "lp_definition_status": rng.choice(("Approved", "Pending Approval", "Drafting")) if has_lp else None,
            "lp_implementation_status": rng.choice(("Implemented", "Started", "Not started")) if has_lp else None,
            "lp_priority": rng.choice(("High", "Medium", "Low", "Undefined")) if has_lp else None,
            "lp_approver": rng.choice(_PEOPLE) if has_lp else None,
            "lp_assignee": rng.choice(_PEOPLE) if has_lp else None,
            "lp_milestone": f"{release}-1" if has_lp and release else None,
            "lp_whiteboard": _sentence(rng, 12) if has_lp and rng.random() < 0.3 else None,
            "lp_created_at": created if has_lp else None,
            "created_at": created, "updated_at": created, "last_activity_at": created,
        })

    # comment counts per spec: log-normal activity, some specs silent
    source_names = [s for s, _w in COMMENT_SOURCES]
    source_cum = list(itertools.accumulate(w for _s, w in COMMENT_SOURCES))
    activity = [0.0 if rng.random() < config.silent_fraction else rng.lognormvariate(0, config.comment_spread)
                for _ in specs]
    total_activity = sum(activity) or 1.0
    per_spec = [int(a / total_activity * config.comments) for a in activity]
    active = [i for i, a in enumerate(activity) if a > 0] or list(range(len(specs)))
    for i in rng.choices(active, k=config.comments - sum(per_spec)):
        per_spec[i] += 1

    # revisions (one per spec) and reviews (some specs)
    revisions: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    text_bytes = html_bytes = 0
    change_number = 800_000
    for spec in specs:
        doc = documents[spec["id"] % len(documents)]
        project_name = projects[spec["project_id"] - 1]["name"]
        folder = spec["release"] or spec["state"]
        sub = f"/{spec['state']}" if spec["release"] else ""
        title_html = html.escape(spec["title"])

        rev_text = _fill(doc.text.replace(_title_block(TITLE_TOKEN), _title_block(spec["title"])),
                         spec["name"], spec["title"], project_name)
        rev_html = _fill(doc.html, spec["name"], title_html, project_name)
        text_bytes += len(rev_text)
        html_bytes += len(rev_html)
        spec["summary"] = _fill(doc.summary, spec["name"], spec["title"], project_name)
        revisions.append({
            "id": spec["id"], "spec_id": spec["id"], "source": "file",
            "path": f"specs/{folder}{sub}/{spec['name']}.rst", "release": spec["release"],
            "release_rank": spec["release_rank"], "state": spec["state"] if spec["state"] != "proposed" else "backlog",
            "content_hash": f"{spec['id']:064x}", "title": spec["title"], "text": rev_text,
            "sections": doc.sections, "html": rev_html, "blueprint_url": spec["blueprint_url"],
            "parse_error": None, "patch_set": None, "created_at": spec["created_at"],
        })
        if spec["state"] == "proposed" or rng.random() < config.review_fraction:
            change_number += rng.randint(1, 40)
            status = "NEW" if spec["state"] in ("proposed", "backlog") else (
                "ABANDONED" if spec["state"] == "abandoned" else "MERGED")
            updated = _between(rng, spec["created_at"], now)
            reviews.append({
                "id": len(reviews) + 1, "spec_id": spec["id"], "repo": f"openstack/{project_name}-specs",
                "change_number": change_number, "change_id": f"I{change_number:040x}", "status": status,
                "subject": f"Add spec for {spec['name']}", "owner_name": rng.choice(_PEOPLE),
                "current_patch_set": rng.randint(1, 25),
                "url": f"https://review.opendev.org/c/openstack/{project_name}-specs/+/{change_number}",
                "labels": [{"label": "Code-Review", "value": rng.choice((-1, 1, 2)), "by": rng.choice(_PEOPLE)}
                          for _ in range(rng.randint(0, 4))],
                "approved_by": rng.choice(_PEOPLE) if status == "MERGED" else None,
                "created_at": spec["created_at"], "updated_at": updated,
                "submitted_at": updated if status == "MERGED" else None,
            })
            spec["last_activity_at"] = max(spec["last_activity_at"], updated)
    review_of = {r["spec_id"]: r for r in reviews}

    # comments and events
    events: list[dict[str, Any]] = []
    for spec in specs:
        events.append({
            "kind": "spec.created", "project_id": spec["project_id"], "spec_id": spec["id"], "actor_id": None,
            "payload": {"name": spec["name"], "release": spec["release"], "state": spec["state"]},
            "created_at": spec["created_at"],
        })

    live_comments = [0] * len(specs)

    def comment_rows() -> Iterator[dict[str, Any]]:
        cid = 0
        for idx, spec in enumerate(specs):
            count = per_spec[idx]
            if not count:
                continue
            stamps = sorted(_between(rng, spec["created_at"], now) for _ in range(count))
            review = review_of.get(spec["id"])
            for at in stamps:
                cid += 1
                source = rng.choices(source_names, cum_weights=source_cum)[0]
                if source == "gerrit" and review is None:
                    source = "portal"
                body, body_html = bodies[cid % len(bodies)]
                deleted = at if rng.random() < 0.01 else None
                if deleted is None:
                    live_comments[idx] += 1
                row = {
                    "id": cid, "spec_id": spec["id"], "source": source, "external_id": None,
                    "author_id": None, "author_name": "", "body": body, "body_html": body_html, "url": None,
                    "patch_set": None, "file_line": None, "created_at": at, "edited_at": None,
                    "deleted_at": deleted,
                }
                if source == "portal":
                    row["author_id"] = rng.randint(1, config.users)
                    events.append({
                        "kind": "comment.added", "project_id": spec["project_id"], "spec_id": spec["id"],
                        "actor_id": row["author_id"], "payload": {"comment_id": cid}, "created_at": at,
                    })
                elif source == "gerrit":
                    assert review is not None
                    row["external_id"] = f"{review['change_number']}:{cid}"
                    row["author_name"] = rng.choice(_PEOPLE)
                    row["patch_set"] = rng.randint(1, review["current_patch_set"])
                    row["url"] = review["url"]
                    if rng.random() < 0.4:
                        line = rng.randint(1, 300)
                        row["file_line"] = f"specs/{spec['release'] or 'backlog'}/{spec['name']}.rst:{line}"
                elif source == "launchpad":
                    row["external_id"] = f"lp:{spec['id']}:{cid}"
                    row["author_name"] = rng.choice(_PEOPLE)
                else:
                    row["external_id"] = f"link:{cid}"
                    row["author_name"] = rng.choice(_PEOPLE)
                    row["url"] = f"https://meetings.opendev.org/irclogs/%23openstack-{spec['id'] % 3}/{cid}.log"
                yield row
            spec["last_activity_at"] = max(spec["last_activity_at"], stamps[-1])

    counts: dict[str, int] = {}
    tables = [Project.__table__, User.__table__, Spec.__table__, SpecRevision.__table__, GerritChange.__table__,
              Comment.__table__, Event.__table__]
    # comments are generated before the specs are written: they set last_activity_at
    comment_list = list(comment_rows())
    checklists = _checklist_rows(rng, specs, now)
    events.sort(key=lambda e: e["created_at"])
    for eid, event in enumerate(events, start=1):
        event["id"] = eid
    generated = time.perf_counter()
    with engine.connect() as conn:
        _bulk_mode(conn, on=True)
        counts["projects"] = _insert(conn, Project.__table__, projects)
        counts["users"] = _insert(conn, User.__table__, users)
        counts["specs"] = _insert(conn, Spec.__table__, specs)
        counts["spec_revisions"] = _insert(conn, SpecRevision.__table__, revisions)
        counts["gerrit_changes"] = _insert(conn, GerritChange.__table__, reviews)
        counts["comments"] = _insert(conn, Comment.__table__, comment_list)
        if checklists is not None:
            summary_table, gap_table, summaries, gaps = checklists
            counts["checklist_summaries"] = _insert(conn, summary_table, summaries)
            counts["checklist_gaps"] = _insert(conn, gap_table, gaps)
        counts["events"] = _insert(conn, Event.__table__, events)
        _fix_sequences(conn, tables)
        conn.commit()
        _bulk_mode(conn, on=False)
    engine.dispose()  # no connection keeps the bulk-load settings

    big = 1
    busiest = sorted(
        ((projects[big - 1]["name"], specs[i]["name"], live_comments[i])
         for i in range(len(specs)) if specs[i]["project_id"] == big),
        key=lambda t: t[2], reverse=True,
    )[:5]
    return SeedResult(
        counts=counts,
        seconds=time.perf_counter() - started,
        generate_seconds=generated - started,
        big_project=projects[big - 1]["name"],
        busiest_specs=busiest,
        revision_text_bytes=text_bytes // max(1, len(revisions)),
        revision_html_bytes=html_bytes // max(1, len(revisions)),
    )


def analyze(engine: Engine) -> None:
    """Gather planner statistics (SQLite ANALYZE / PostgreSQL ANALYZE)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
