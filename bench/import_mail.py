"""Mailing-list import throughput: 20,000 generated list messages, parse and threading next to import+link.

    python bench/import_mail.py [--messages 20000] [--specs 200] [--database-url URL]

Writes pipermail monthly archives (``<YYYY-Month>.txt.gz``, obfuscated addresses, threads of 1–12
messages, one in eight mentioning a spec as ``bp/<name>``, a third of the replies with quoted text and
signatures, some replies without In-Reply-To) into a temporary folder, then times, in one run:
the raw parse (gunzip, split, MIME, folding), threading, the first import with linking (the same
``import_discussions`` as ``portal import mail``), and a re-import of the unchanged archive (every
thread skipped by its content hash). Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import unit_of_work
from portal.importers.outside.mail import MailMessage, archive_files, gzip_bytes, message_id_hash, read_archive
from portal.importers.outside.store import import_discussions
from portal.importers.outside.threads import build_threads
from portal.models import DiscussionLink, OutsideDiscussion, Spec, SpecState
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file

PROJECTS = ("nova", "neutron", "cinder", "glance")
WORDS = ("instance", "quota", "upgrade", "operator", "config", "cell", "scheduler", "port", "volume", "image",
         "latency", "rollback", "downtime", "policy", "release", "review", "flag", "migration", "hypervisor")
NAMES = ("Jane Doe", "René François", "李伟", "Sam Okafor", "Amélie Dupré", "Kenji Sato", "Priya Nair", "Jo Brown")


def _spec_names(count: int) -> list[tuple[str, str]]:
    return [(PROJECTS[i % len(PROJECTS)], f"bench-spec-{i:04d}") for i in range(count)]


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write_archives(folder: Path, messages: int, specs: list[tuple[str, str]], seed: int = 13) -> set[tuple[str, str]]:
    """Pipermail monthly files holding ``messages`` messages; returns the (root Message-ID, spec) pairs written."""
    rng = random.Random(seed)
    start = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)
    months: dict[str, list[str]] = {}
    written = thread_no = 0
    linked: set[tuple[str, str]] = set()
    when = start
    while written < messages:
        thread_no += 1
        size = min(rng.randint(1, 12), messages - written)
        project, spec = rng.choice(specs)
        about = rng.random() < 0.125
        if about:
            linked.add((f"t{thread_no}m0@mail.example.org", spec))
        subject = f"[{project}] {_sentence(rng, 4)[:-1]} #{thread_no}"
        ids: list[str] = []
        for index in range(size):
            when += timedelta(minutes=rng.randint(5, 90))
            name = rng.choice(NAMES)
            user = f"user{rng.randint(1, 400)}"
            mid = f"t{thread_no}m{index} at mail.example.org"
            body = [_sentence(rng) for _ in range(rng.randint(2, 6))]
            if about and index == size // 2:
                body.insert(1, f"For bp/{spec} the {rng.choice(WORDS)} question is still open.")
            headers = [f"From {user} at example.org  {when:%a %b %e %H:%M:%S %Y}",
                       f"From: {user} at example.org ({name})", f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}",
                       f"Subject: [openstack-discuss] {'Re: ' if index else ''}{subject}", f"Message-ID: <{mid}>"]
            if index and rng.random() > 0.05:  # one reply in twenty from a client that drops the headers
                headers.append(f"In-Reply-To: <{ids[-1]}>")
                headers.append("References: " + " ".join(f"<{i}>" for i in ids[-5:]))
            text = "\n".join(body)
            if index and rng.random() < 0.33:
                text += f"\n\nOn {when:%a, %b %d, %Y} {name} wrote:\n" + "\n".join(f"> {line}" for line in body[:3])
                text += f"\n\n-- \n{name}\nCloud team"
            months.setdefault(f"{when:%Y-%B}", []).append("\n".join(headers) + "\n\n" + text + "\n")
            ids.append(mid)
            written += 1
    for month, items in months.items():
        (folder / f"{month}.txt.gz").write_bytes(gzip_bytes("\n".join(items).encode()))
    return linked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite in a temp folder)")
    args = parser.parse_args()
    specs = _spec_names(args.specs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "archive"
        folder.mkdir()
        linked = write_archives(folder, args.messages, specs)
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        print(f"python {platform.python_version()}, {'SQLite in a temporary folder' if not args.database_url else url}")
        migrations.upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            projects = {name: add_project(session, None, name) for name in PROJECTS}
            for project, name in specs:
                title = name.replace("-", " ").title()
                text = (f"{'=' * 40}\n{title}\n{'=' * 40}\n\nhttps://blueprints.launchpad.net/{project}/+spec/{name}"
                        "\n\nProblem description\n===================\n\nText.\n")
                upsert_spec_file(session, None, projects[project], SpecFile(
                    path=f"specs/2026.1/approved/{name}.rst", release="2026.1", state=SpecState.APPROVED, text=text,
                    parsed=parse_spec(text), file_name=name))

        files = archive_files(folder)
        start = time.perf_counter()
        messages: list[MailMessage] = []
        for path in files:
            messages += read_archive(path).messages
        parse = time.perf_counter() - start
        start = time.perf_counter()
        threads = build_threads(messages, list_name="openstack-discuss")
        threading = time.perf_counter() - start
        print(f"{len(files)} monthly files, {len(messages)} messages, {len(threads)} threads "
              f"({len(linked)} written to name a spec), {len(specs)} specs")
        print(f"parse      {parse:8.2f} s  ({len(messages) / parse:8.0f} messages/s)")
        print(f"threading  {threading:8.2f} s  ({len(messages) / threading:8.0f} messages/s)")
        for label in ("import+link", "re-import"):
            start = time.perf_counter()
            with unit_of_work(factory) as session:
                report = import_discussions(session, threads, source_label="bench")
            took = time.perf_counter() - start
            print(f"{label:11}{took:8.2f} s  ({len(threads) / took:8.0f} threads/s): {report.summary()}")
        with unit_of_work(factory) as session:
            made = {(d, name) for d, name in session.execute(
                select(OutsideDiscussion.external_id, Spec.name)
                .join(DiscussionLink, DiscussionLink.discussion_id == OutsideDiscussion.id)
                .join(Spec, Spec.id == DiscussionLink.spec_id))}
        wanted = {(f"openstack-discuss:{message_id_hash(root)}", spec) for root, spec in linked}
        right = len(made & wanted)
        print(f"links      {len(made)} made, {len(wanted)} written: precision {right / max(1, len(made)):.3f}, "
              f"recall {right / max(1, len(wanted)):.3f}")
        engine.dispose()


if __name__ == "__main__":
    main()
