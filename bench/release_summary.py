"""Release summary cost: building it, and each export, for a release of about 300 specs.

    python -m bench.release_summary                       # SQLite in a temporary folder
    python -m bench.release_summary --votes 40 --rounds 20 --database-url postgresql+psycopg://…

Seeds a database with ``bench.seed`` (specs with documents, checklist
answers, Gerrit changes, comments), picks the release of the big project
with the most specs (the seed spreads 2,600 specs so that one release of
nova holds about 300), adds ``--votes`` votes per spec of it from distinct
users with reasons and contexts, then times :func:`build` and each format
and prints p50 / max and the number of queries. With --database-url, pass
an EMPTY database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, insert, select

from bench.seed import SeedConfig, prepare_database, seed
from portal.app import create_app
from portal.db.engine import make_engine, make_session_factory
from portal.models import Project, Spec, User, Vote
from portal.reports import formats
from portal.reports.release_summary import build
from portal.settings import Settings

PRIORITIES = ("must", "important", "nice", "not_needed")


def add_votes(engine, spec_ids: list[int], per_spec: int, rng: random.Random) -> int:
    with engine.begin() as conn:
        users = list(conn.scalars(select(User.id)))
        now = datetime.now(UTC)
        rows = []
        for spec_id in spec_ids:
            for user_id in rng.sample(users, min(per_spec, len(users))):
                rows.append({
                    "spec_id": spec_id, "user_id": user_id, "priority": rng.choice(PRIORITIES),
                    "affects_me": rng.random() < 0.6, "reason": f"We run {rng.randint(10, 5000)} hypervisors.",
                    "links": [], "context": {"hypervisors": "501-1000"}, "ctx_release": "2025.1",
                    "ctx_tool": "kolla-ansible", "ctx_hypervisors": "501-1000", "ctx_projects": "",
                    "ctx_backends": ",ceph,", "created_at": now, "updated_at": now,
                })
        conn.execute(insert(Vote.__table__), rows)
    return len(rows)


def timed(fn, rounds: int) -> tuple[float, float, float]:
    """p50 and max wall time, and p50 CPU time of this process, in ms (the CPU figure ignores other load)."""
    times, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), max(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=2600, help="specs seeded in all (default 2600)")
    parser.add_argument("--votes", type=int, default=30, help="votes per spec of the release (default 30)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        prepare_database(url)
        engine = make_engine(url)
        result = seed(engine, SeedConfig(specs=args.specs, comments=args.specs * 10, users=400))
        with engine.connect() as conn:
            project_id = conn.scalar(select(Project.id).where(Project.name == result.big_project))
            release, count = conn.execute(
                select(Spec.release, func.count()).where(Spec.project_id == project_id, Spec.release.is_not(None))
                .group_by(Spec.release).order_by(func.count().desc()).limit(1)
            ).one()
            spec_ids = list(conn.scalars(select(Spec.id).where(Spec.project_id == project_id,
                                                              Spec.release == release)))
        votes = add_votes(engine, spec_ids, args.votes, random.Random(1))
        factory = make_session_factory(engine)
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with factory() as session:
            summary = build(session, [result.big_project], release, at=datetime.now(UTC))
            queries = len(statements)
            print(f"{engine.dialect.name}: {result.big_project} {release}: {count} specs, {votes} votes, "
                  f"{sum(s.comment_count for s in summary.specs)} comments; build = {queries} queries")
            print(f"{'what':<24} {'p50 ms':>8} {'max ms':>8} {'cpu p50':>8}")
            row = "{:<24} {:8.1f} {:8.1f} {:8.1f}"
            print(row.format("build", *timed(
                lambda: build(session, [result.big_project], release, at=datetime.now(UTC)), args.rounds)))
            for name, fmt in formats.FORMATS.items():
                size = len(fmt(summary, "https://bob.example.org").encode())
                print(row.format(f"format {name} ({size // 1024} KiB)",
                                 *timed(lambda fmt=fmt: fmt(summary, "https://bob.example.org"), args.rounds)))
        app = create_app(Settings.for_testing(Path(folder) / "instance", url))
        client = app.test_client()
        page = f"/projects/{result.big_project}/releases/{release}/summary"
        assert client.get(page).status_code == 200
        size = len(client.get(page).data)
        print(row.format(f"page HTML ({size // 1024} KiB)", *timed(lambda: client.get(page), args.rounds)))
        app.extensions["portal"].engine.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
