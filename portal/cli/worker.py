"""``portal worker``: syncs, event consumers, delivery and digests on the configured intervals."""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
from collections.abc import Callable
from types import FrameType

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.cli import Context, pass_context
from portal.cli.worker_loop import Counts, Job, Worker, job_lock
from portal.db.engine import make_session_factory
from portal.mailer import not_configured
from portal.models import Project
from portal.search import backend_for, indexer
from portal.settings import Settings

JOB_NAMES = ("sync", "index", "alerts", "digest")
ALERTS_JOBS = "portal.alerts.jobs"


def _sync_job(click_ctx: click.Context, factory: sessionmaker[Session]) -> Callable[[], Counts]:
    """Run every configured source's ``portal sync`` command in this process, as an admin would."""

    def run() -> Counts:
        from portal.cli.sync import sync_group
        from portal.importers.launchpad import launchpad_names

        with factory() as session:
            projects = list(session.scalars(select(Project)))
            wanted = {
                "gerrit": any(p.gerrit_repo for p in projects),
                "launchpad": any(launchpad_names(session, p) for p in projects),
            }
        synced, failed = 0, 0
        for name, command in sync_group.commands.items():
            if not wanted.get(name, False):
                continue
            try:
                click_ctx.invoke(command)
            except SystemExit as exc:  # the command says what failed, then exits 1
                if exc.code:
                    failed += 1
                    continue
            synced += 1
        return {"sources synced": synced, "failed": failed}

    return run


def _index_job(factory: sessionmaker[Session], settings: Settings) -> Callable[[], Counts]:
    def run() -> Counts:
        return {"events indexed": indexer.catch_up(factory, backend_for(settings, factory))}

    return run


def _alerts_job(function: str, factory: sessionmaker[Session], settings: Settings) -> Callable[[], Counts]:
    """Call ``portal.alerts.jobs.<function>`` (imported here: the alerts package sits above the CLI's imports)."""

    def run() -> Counts:
        module = importlib.import_module(ALERTS_JOBS)
        counts: Counts = getattr(module, function)(factory, settings)
        return counts

    return run


def build_jobs(click_ctx: click.Context, ctx: Context, only: set[str]) -> list[Job]:
    """The worker's jobs in running order, with their intervals (0 when off or not in ``only``)."""
    settings = ctx.settings
    factory = make_session_factory(ctx.engine)
    alerts_here = importlib.util.find_spec(ALERTS_JOBS.rsplit(".", 1)[0]) is not None and \
        importlib.util.find_spec(ALERTS_JOBS) is not None

    def interval(name: str, value: int) -> float:
        return float(value) if name in only else 0.0

    jobs = [
        Job("sync", interval("sync", settings.worker_sync_interval), _sync_job(click_ctx, factory),
            advice="`portal runs list` shows the failed run; fix the cause (network, credentials) and it "
                   "resumes next round", lock=job_lock(ctx.engine, settings.instance_path, "sync")),
        Job("index", interval("index", settings.worker_index_interval), _index_job(factory, settings),
            advice="`portal search status` shows how far the index is; `portal search reindex` rebuilds it"),
    ]
    for name, function, value in (("alerts", "send_pending", settings.worker_alerts_interval),
                                  ("digest", "send_digests", settings.worker_digest_interval)):
        if not alerts_here:
            if name in only and value:
                click.echo(f"{name}: alert delivery is not part of this installation; job off", err=True)
            continue
        jobs.append(Job(name, interval(name, value), _alerts_job(function, factory, settings),
                        advice="notifications stay pending and are retried next round; "
                               "`portal alerts send` shows the error"))
    return jobs


@click.command("worker")
@click.option("--once", is_flag=True, help="Run each enabled job once, then exit (1 if one failed): for cron.")
@click.option("--only", default=",".join(JOB_NAMES), metavar="JOBS",
              help="Comma-separated jobs to run: sync, index, alerts, digest (default: all).")
@click.pass_context
@pass_context
def worker_command(ctx: Context, click_ctx: click.Context, once: bool, only: str) -> None:
    """Run syncs, search index catch-up, alert delivery and digests on their intervals.

    Intervals come from PORTAL_WORKER_SYNC_INTERVAL, PORTAL_WORKER_INDEX_INTERVAL,
    PORTAL_WORKER_ALERTS_INTERVAL and PORTAL_WORKER_DIGEST_INTERVAL (seconds;
    0 turns a job off). One line per job run. A failing job is reported and
    retried next round; the others go on. SIGTERM or Ctrl-C: the current job
    finishes, then the worker exits 0. Two workers at once are safe: each
    job's work is done once.

    \b
    Examples:
      portal worker                      # all jobs, forever (systemd, see docs/alerts-admin.md)
      portal worker --once               # each job once (cron)
      portal worker --only index,alerts
    """
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = sorted(wanted - set(JOB_NAMES))
    if unknown or not wanted:
        raise click.BadParameter(f"unknown job {', '.join(unknown) or '(none given)'}; use some of "
                                 f"{', '.join(JOB_NAMES)}, e.g. --only index,alerts", param_hint="--only")
    ctx.require_current_schema()
    settings = ctx.settings
    worker = Worker(build_jobs(click_ctx, ctx, wanted), echo=lambda line: click.echo(line))
    if not worker.enabled:
        click.echo("Every job is off (interval 0 or not in --only); nothing to do.", err=True)
        return
    reason = not_configured(settings)
    if reason and {"alerts", "digest"} & {job.name for job in worker.enabled}:
        click.echo(f"Mail is not configured: {reason}. Alert mail waits in the outbox until it is "
                   "(docs/alerts-admin.md); feeds and webhooks still go out.", err=True)
    if once:
        sys.exit(0 if worker.run_once() else 1)

    def stop(signum: int, frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the current job…", err=True)
        worker.stop.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo("Worker started: " + ", ".join(f"{job.name} every {job.interval:g} s" for job in worker.enabled),
               err=True)
    try:
        worker.run_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Worker stopped cleanly.", err=True)


def register(main: click.Group) -> None:
    """Adds the ``worker`` command."""
    main.add_command(worker_command)
