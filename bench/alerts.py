"""Alerts: matching time for 10,000 subscriptions × 1,000 events, then delivery throughput to a local SMTP server.

    python bench/alerts.py [--subscriptions 10000] [--events 1000] [--mails 500]

Matching is the pure part the consumer runs per batch (portal.alerts.matching,
with the per-batch SubIndex), on subscriptions of three kinds: projects, specs
and operability rules; saved searches are measured apart, since each asks the
search backend. Delivery queues ``--mails`` notifications in a fresh SQLite
database and sends them with portal.alerts.deliver to an aiosmtpd server on
127.0.0.1. Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import platform
import random
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from portal.alerts import deliver, matching
from portal.alerts.matching import EventFacts, SubFacts, SubIndex

KINDS = ["spec.created", "spec.state_changed", "spec.revised", "comment.added", "checklist.answered",
         "vote.cast", "gerrit.change_updated"]


def subscriptions(n: int, rng: random.Random, projects: int, specs: int) -> list[SubFacts]:
    out = []
    for i in range(n):
        kind = rng.choices(["project", "spec", "rule"], weights=[3, 6, 1])[0]
        user = rng.randrange(2000)
        channel = rng.choice(["email", "digest", "atom"])
        if kind == "project":
            out.append(SubFacts(i, user, kind, channel, project_id=rng.randrange(projects), project_name="p"))
        elif kind == "spec":
            out.append(SubFacts(i, user, kind, channel, spec_id=rng.randrange(specs), spec_name="s"))
        else:
            out.append(SubFacts(i, user, kind, channel, rule={
                "projects": [f"p{rng.randrange(projects)}" for _ in range(3)], "release": "2026.2",
                "items": ["upgrade"], "when": rng.choice(["gap", "concern", "changed"])}))
    return out


def events(n: int, rng: random.Random, projects: int, specs: int) -> list[EventFacts]:
    out = []
    for i in range(n):
        spec = rng.randrange(specs)
        project = spec % projects
        kind = rng.choice(KINDS)
        payload: dict[str, Any] = {"item": "upgrade", "state": rng.choice(["missing", "concern", "addressed"])} \
            if kind == "checklist.answered" else {"status": "MERGED"}
        out.append(EventFacts(i, kind, project_id=project, spec_id=spec, actor_id=rng.randrange(2000),
                              payload=payload, project_name=f"p{project}", release="2026.2"))
    return out


def bench_matching(subs: list[SubFacts], evs: list[EventFacts], batch: int = 200) -> tuple[float, int]:
    started = time.perf_counter()
    found = 0
    for start in range(0, len(evs), batch):
        chunk = evs[start:start + batch]
        projects = {e.project_id for e in chunk}
        specs = {e.spec_id for e in chunk}
        # What the consumer's one query loads: subs of the batch's projects and specs, and every rule.
        candidates = [s for s in subs if s.kind == "rule" or (s.kind == "project" and s.project_id in projects)
                      or (s.kind == "spec" and s.spec_id in specs)]
        index = SubIndex(candidates)
        for event in chunk:
            found += len(matching.match(event, index.for_event(event), ptl_ids=(1, 2)))
    return time.perf_counter() - started, found


def bench_saved(n: int, evs: list[EventFacts]) -> tuple[float, int]:
    saved = [SubFacts(i, i, "saved_search", "email", saved_search_id=i) for i in range(n)]
    hits = {i: i % 7 == 0 for i in range(n)}  # what the search backend answered
    index = SubIndex(saved)
    started = time.perf_counter()
    found = sum(len(matching.match(e, index.for_event(e), search_hits=hits)) for e in evs)
    return time.perf_counter() - started, found


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.count += 1
        return "250 OK"


def bench_delivery(mails: int) -> tuple[float, int]:
    from portal.accounts import passwords
    from portal.accounts import service as accounts
    from portal.db import migrations
    from portal.db.engine import make_engine, make_session_factory
    from portal.db.unit import unit_of_work
    from portal.events import record
    from portal.models import Notification
    from portal.settings import Settings
    from portal.specs.service import add_project

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = make_engine(url)
            with engine.begin() as conn:
                migrations.upgrade(url, connection=conn)
            factory = make_session_factory(engine)
            settings = Settings.for_testing(Path(tmp), url, base_url="https://bob.example.org",
                                            smtp_host="127.0.0.1", smtp_port=port, mail_from="bob@example.org")
            with unit_of_work(factory) as session:
                project = add_project(session, None, "nova")
                users = [accounts.create_user(session, None, f"u{i}", email=f"u{i}@example.org", role="operator",
                                              password="pw-Secret-123456", hasher=passwords.hasher(testing=True))
                         for i in range(10)]
                session.flush()
                for i in range(mails // len(users)):
                    event = record(session, "vote.cast", project_id=project.id, affects_me=True)
                    session.flush()
                    for user in users:
                        session.add(Notification(user_id=user.id, event_id=event.id, channel="email",
                                                 reason="bench", message_id=f"<bench.{i}.{user.id}@b>"))
            started = time.perf_counter()
            tally = deliver.deliver_pending(factory, settings)
            elapsed = time.perf_counter() - started
            engine.dispose()
            return elapsed, tally.sent
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    subs = subscriptions(args.subscriptions, rng, projects=50, specs=5000)
    evs = events(args.events, rng, projects=50, specs=5000)
    print(f"python {platform.python_version()} on {platform.machine()}")
    seconds, found = bench_matching(subs, evs)
    print(f"matching: {len(subs)} subscriptions (projects, specs, rules) × {len(evs)} events: "
          f"{seconds:.3f} s in total, {found} notifications")
    seconds, found = bench_saved(1000, evs)
    print(f"saved searches (matching only, backend answers given): 1000 × {len(evs)} events: {seconds:.3f} s, "
          f"{found} notifications")
    seconds, sent = bench_delivery(args.mails)
    print(f"delivery: {sent} mails to aiosmtpd on 127.0.0.1 (SQLite, one transaction per mail): {seconds:.2f} s, "
          f"{sent / seconds:.0f} mails/s")


if __name__ == "__main__":
    main()
