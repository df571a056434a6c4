"""Meeting-log import throughput: 5 years of weekly meetings of 4 teams (≈1,000 logs of 300 lines).

    python bench/import_meetings.py [--years 5] [--lines 300] [--specs 200] [--database-url URL]

Writes logs in the meeting bot's layout (``<meeting>/<year>/<meeting>.<date>.log.txt``, 8 topics a
log, #agreed/#action/#info/#link lines, nick changes, one topic in four naming a spec by ``bp/<name>``,
its review URL or its name in the topic line) into a temporary folder, then times, in one run: the
raw parse of every log, linking alone (the same SpecIndex as the import), the first import (parse,
link, comments; one commit per log, as ``portal import meetings``) and a re-import of the unchanged
folder (every log skipped by its content hash). Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import commit_batch, unit_of_work
from portal.importers.outside.linking import SpecIndex
from portal.importers.outside.meeting_import import import_logs, local_logs
from portal.importers.outside.meetings import parse_log
from portal.models import Comment, DiscussionLink, GerritChange, GerritStatus, Spec, SpecState
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file

TEAMS = ("nova", "neutron", "cinder", "glance")
NICKS = ("bauzas", "gibi", "sean-k-mooney", "melwitt", "rené", "ralonsoh", "slaweq", "eharney", "rosmaita", "李伟")
WORDS = ("instance", "quota", "upgrade", "operator", "config", "cell", "scheduler", "port", "volume", "image",
         "latency", "rollback", "downtime", "policy", "release", "review", "flag", "migration", "hypervisor")
TOPICS = 8


def write_logs(root: Path, years: int, lines: int, specs: list[tuple[str, str, int]], seed: int = 7) -> int:
    """The logs; returns how many topics were written to name a spec."""
    rng = random.Random(seed)
    named = 0
    for team_no, team in enumerate(TEAMS):
        start = datetime(2022, 1, 3, 14 + team_no, 0, tzinfo=UTC)
        own = [s for s in specs if s[0] == team]
        for week in range(52 * years):
            at = start + timedelta(weeks=week)
            out = [f"<chair> #startmeeting {team}"]
            per_topic = max(3, (lines - 2) // TOPICS)
            for _topic in range(TOPICS):
                spec = rng.choice(own) if rng.random() < 0.25 else None
                kind = rng.randrange(3)
                if spec is not None:
                    named += 1
                title = spec[1] if spec is not None and kind == 0 else " ".join(rng.choice(WORDS) for _ in range(3))
                out.append(f"<chair> #topic {title}")
                for n in range(per_topic - 1):
                    nick = rng.choice(NICKS)
                    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 16)))
                    if spec is not None and n == 2 and kind == 1:
                        text = f"see bp/{spec[1]} for the {text}"
                    elif spec is not None and n == 2 and kind == 2:
                        text = f"https://review.opendev.org/c/openstack/{team}-specs/+/{spec[2]}"
                    elif n % 25 == 7:
                        text = f"#agreed {text}"
                    elif n % 25 == 13:
                        text = f"#action {nick} to {text}"
                    elif n % 40 == 20:
                        out.append(f"*** {nick} is now known as {nick}_")
                        out.append(f"*** {nick}_ is now known as {nick}")
                        continue
                    out.append(f"<{nick}> {text}")
            out.append("<chair> #endmeeting")
            lines_out = [f"{at + timedelta(seconds=7 * n):%H:%M:%S} {item}" for n, item in enumerate(out)]
            path = root / team / f"{at:%Y}" / f"{team}.{at:%Y-%m-%d-%H.%M}.log.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    return named


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite in a temp folder)")
    args = parser.parse_args()
    specs = [(TEAMS[i % len(TEAMS)], f"bench-spec-{i:04d}", 800000 + i) for i in range(args.specs)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        named = write_logs(root, args.years, args.lines, specs)
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        print(f"python {platform.python_version()}, {'SQLite in a temporary folder' if not args.database_url else url}")
        migrations.upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            projects = {name: add_project(session, None, name) for name in TEAMS}
            for project, name, change in specs:
                title = name.replace("-", " ").title()
                text = (f"{'=' * 40}\n{title}\n{'=' * 40}\n\nhttps://blueprints.launchpad.net/{project}/+spec/{name}"
                        "\n\nProblem description\n===================\n\nText.\n")
                upsert_spec_file(session, None, projects[project], SpecFile(
                    path=f"specs/2026.1/approved/{name}.rst", release="2026.1", state=SpecState.APPROVED, text=text,
                    parsed=parse_spec(text), file_name=name))
                spec_id = session.scalar(select(Spec.id).where(Spec.project_id == projects[project].id,
                                                               Spec.name == name))
                session.add(GerritChange(spec_id=spec_id, repo=f"openstack/{project}-specs", change_number=change,
                                         status=GerritStatus.NEW))
        logs = local_logs(root)
        total_lines = 0
        start = time.perf_counter()
        discussions = []
        for log in logs:
            data = log.read()
            total_lines += data.count(b"\n")
            discussions += parse_log(log.path, data, url=log.html_url)
        parse = time.perf_counter() - start
        print(f"{len(logs)} logs, {total_lines} lines, {len(discussions)} topics ({named} written to name a spec), "
              f"{len(specs)} specs")
        print(f"parse       {parse:8.2f} s  ({total_lines / parse:9.0f} lines/s)")
        with unit_of_work(factory) as session:
            start = time.perf_counter()
            index = SpecIndex.load(session)
            found = sum(len(index.link(d)) for d in discussions)
            linking = time.perf_counter() - start
        print(f"linking     {linking:8.2f} s  ({len(discussions) / linking:9.0f} topics/s): {found} links")
        for label in ("import", "re-import"):
            start = time.perf_counter()
            with unit_of_work(factory) as session:
                report = import_logs(session, local_logs(root), commit=lambda s=session: commit_batch(s))
            took = time.perf_counter() - start
            t = report.totals
            print(f"{label:11} {took:8.2f} s  ({report.files / took:9.0f} logs/s): {report.imported_files} imported, "
                  f"{report.unchanged_files} unchanged, {t.links} links, {t.comments_added} comments")
        with unit_of_work(factory) as session:
            links = session.scalar(select(func.count()).select_from(DiscussionLink))
            comments = session.scalar(select(func.count()).select_from(Comment).where(Comment.source == "irc"))
        print(f"stored: {links} links, {comments} irc comments")
        engine.dispose()


if __name__ == "__main__":
    main()
