"""The PTL dashboard at scale: 50,000 votes over 5,000 specs from 2,000 operators.

    python bench/dashboard.py [--votes 50000] [--specs 5000] [--operators 2000] [--rounds 30]
                              [--database-url postgresql+psycopg://...] [--keep DIR]

1. Creates a fresh database (SQLite in a temporary folder unless
   ``--database-url``), migrates it and bulk-inserts one project, the specs
   (spread over four releases), the operators with a deployment profile each
   (release, tool, size bands, backends) and their votes, each vote carrying
   its voter's context as the vote service writes it.
2. Times, in process (Flask test client, the real app and templates), the
   dashboard page for all voters and for one segment ("operators on 2026.1
   with more than 500 hypervisors"), the JSON API of the ranking, the CSV
   and JSON exports of the whole ranking, and one chart; plus the ranking
   query alone. Prints p50 and p90 of ``--rounds`` runs after a warm-up.

It prints figures; it never passes or fails (aim: dashboard p50 under 50 ms).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import prepare_database  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from portal.app import create_app  # noqa: E402
from portal.clock import now  # noqa: E402
from portal.db.engine import make_engine, make_session_factory  # noqa: E402
from portal.models import (  # noqa: E402
    DeploymentProfile,
    DeploymentTool,
    HypervisorBand,
    Priority,
    Project,
    ProjectBand,
    Spec,
    User,
    Vote,
)
from portal.settings import Settings  # noqa: E402
from portal.votes.demand import DemandFilter, Segment, rank  # noqa: E402
from portal.votes.profile import segment_columns  # noqa: E402

TARGET_MS = 50.0
RELEASES = ("2025.1", "2025.2", "2026.1", "2026.2")
BACKENDS = ("ceph", "lvm", "ovn", "ovs", "netapp", "pure", "nfs")
SEGMENT = "voter_release=2026.1&min_hypervisors=501"
BATCH = 5_000


def seed(database_url: str, specs: int, operators: int, votes: int, rng: random.Random) -> dict[str, float]:
    engine = make_engine(database_url)
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            project_id = conn.execute(insert(Project).values(name="nova", title="Nova").returning(Project.id)).scalar()
            at = now()
            conn.execute(insert(Spec), [
                {"project_id": project_id, "name": f"spec-{i:05d}", "title": f"Operator feature number {i}",
                 "state": "approved", "release": RELEASES[i % len(RELEASES)], "last_activity_at": at}
                for i in range(specs)
            ])
            spec_ids = list(conn.scalars(select(Spec.id).where(Spec.project_id == project_id)))
            conn.execute(insert(User), [
                {"username": f"op{i:05d}", "email": f"op{i:05d}@example.org", "role": "operator"}
                for i in range(operators)
            ])
            user_ids = list(conn.scalars(select(User.id).order_by(User.id)))
            contexts = {}
            rows = []
            for uid in user_ids:
                context = {
                    "organisation": f"Cloud {uid % 300}", "show_organisation": uid % 3 == 0,
                    "release_in_production": rng.choice(RELEASES[:3]),
                    "deployment_tool": rng.choice(list(DeploymentTool)).value,
                    "backends": rng.sample(BACKENDS, rng.randint(1, 3)),
                    "hypervisors": rng.choice(list(HypervisorBand)).value,
                    "projects": rng.choice(list(ProjectBand)).value,
                }
                contexts[uid] = context
                rows.append({"user_id": uid, **context, "updated_at": at})
            conn.execute(insert(DeploymentProfile), rows)
            per_user = votes // len(user_ids)
            priorities = [p.value for p in Priority]
            batch = []
            # Demand is skewed, as in life: a few specs draw many votes.
            weights = [1 / (rank + 1) ** 0.8 for rank in range(len(spec_ids))]
            for uid in user_ids:
                chosen = set()
                while len(chosen) < per_user:
                    chosen.update(rng.choices(spec_ids, weights=weights, k=per_user - len(chosen)))
                context = contexts[uid]
                for spec_id in chosen:
                    batch.append({
                        "spec_id": spec_id, "user_id": uid, "priority": rng.choice(priorities),
                        "affects_me": rng.random() < 0.4, "reason": "We need this in production.",
                        "links": [], "context": context, **segment_columns(context),
                        "created_at": at, "updated_at": at,
                    })
                    if len(batch) >= BATCH:
                        conn.execute(insert(Vote), batch)
                        batch = []
            if batch:
                conn.execute(insert(Vote), batch)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return {"seconds": time.perf_counter() - started}


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.9))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=50_000)
    parser.add_argument("--specs", type=int, default=5_000)
    parser.add_argument("--operators", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", type=Path, help="keep the instance folder here instead of a temporary one")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bob-dashboard-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    try:
        prepare_database(database_url)
        seeded = seed(database_url, args.specs, args.operators, args.votes, random.Random(1))
        engine = make_engine(database_url)
        factory = make_session_factory(engine)
        with factory() as db:
            counted = db.scalar(select(Vote.id).order_by(Vote.id.desc()).limit(1))
        print(f"database: {engine.dialect.name}; seeded {counted} votes, {args.specs} specs, "
              f"{args.operators} operators in {seeded['seconds']:.1f} s")
        app = create_app(Settings.for_testing(folder / "instance", database_url))
        client = app.test_client()

        def get(url: str) -> Callable[[], object]:
            def run() -> object:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
                return response.data
            return run

        with factory() as db:
            project_id = db.scalar(select(Project.id))

            def ranking_all() -> object:
                return rank(db, project_id, DemandFilter())

            def ranking_segment() -> object:
                return rank(db, project_id, DemandFilter(segment=Segment(voter_release="2026.1", min_hypervisors=501)))

            rows = [
                ("ranking query, all voters (SQL only)", ranking_all),
                ("ranking query, one segment (SQL only)", ranking_segment),
                ("dashboard page, all voters", get("/projects/nova/dashboard")),
                ("dashboard page, one segment", get(f"/projects/nova/dashboard?{SEGMENT}")),
                ("dashboard page, release 2026.2", get("/projects/nova/dashboard?release=2026.2")),
                ("API GET /demand, all voters", get("/api/v1/projects/nova/demand")),
                ("export CSV, whole ranking (500 specs)", get("/projects/nova/dashboard/demand.csv")),
                ("export JSON, whole ranking (500 specs)", get("/projects/nova/dashboard/demand.json")),
                ("chart: top 20 (SVG)", get("/projects/nova/dashboard/charts/top.svg")),
                ("chart: by segment (SVG)", get("/projects/nova/dashboard/charts/segment.svg")),
            ]
            print(f"{'':42} {'p50 ms':>8} {'p90 ms':>8}")
            for label, fn in rows:
                p50, p90 = timed(fn, args.rounds)
                flag = "" if not label.startswith("dashboard page") else ("  ok" if p50 < TARGET_MS else "  over 50 ms")
                print(f"{label:42} {p50:8.1f} {p90:8.1f}{flag}")
        engine.dispose()
        app.extensions["portal"].engine.dispose()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
