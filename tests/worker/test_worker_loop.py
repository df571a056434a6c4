"""The worker loop with test-defined jobs: order, failures, skips, interruptible sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portal.cli.worker_loop import Busy, Job, Worker, file_lock
from portal.errors import PortalError
from portal.events.cursors import ConsumerBusy


def worker(*jobs: Job) -> tuple[Worker, list[str]]:
    lines: list[str] = []
    return Worker(list(jobs), echo=lines.append), lines


def test_once_runs_each_enabled_job_once_in_order_with_counts() -> None:
    ran: list[str] = []
    w, lines = worker(
        Job("a", 10, lambda: ran.append("a") or {"things": 3}),
        Job("off", 0, lambda: ran.append("off") or {}),
        Job("b", 5, lambda: ran.append("b") or {}),
    )
    assert w.run_once() is True
    assert ran == ["a", "b"]
    assert lines[0].startswith("a: 3 things in ") and lines[0].endswith(" s")
    assert lines[1].startswith("b: nothing to do in ")


def test_a_failing_job_is_reported_with_advice_and_the_others_still_run() -> None:
    ran: list[str] = []

    def broken() -> dict[str, int]:
        raise PortalError("the Gerrit server did not answer")

    w, lines = worker(Job("sync", 1, broken, advice="fix the network; it retries next round"),
                      Job("index", 1, lambda: ran.append("index") or {"events indexed": 2}))
    assert w.run_once() is False
    assert ran == ["index"]
    assert lines[0].startswith("sync: FAILED after ")
    assert "the Gerrit server did not answer; fix the network; it retries next round" in lines[0]
    assert lines[1].startswith("index: 2 events indexed")


@pytest.mark.parametrize("error", [Busy("sync"), ConsumerBusy("alerts is busy")])
def test_work_another_worker_holds_is_skipped_not_failed(error: Exception) -> None:
    def busy() -> dict[str, int]:
        raise error

    w, lines = worker(Job("alerts", 1, busy))
    assert w.run_once() is True
    assert lines == ["alerts: another worker is on it, skipped"]


def test_jobs_repeat_on_their_interval_and_a_stop_wakes_the_sleep_at_once() -> None:
    calls: list[float] = []
    w, _ = worker(Job("fast", 0.05, lambda: calls.append(time.monotonic()) or {}),
                  Job("slow", 3600, lambda: {}))
    thread = threading.Thread(target=w.run_forever)
    thread.start()
    time.sleep(0.4)
    stopped_at = time.monotonic()
    w.stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 0.5  # did not sleep out the hour of "slow"
    assert len(calls) >= 3


def test_stop_during_a_job_lets_it_finish_and_runs_no_other() -> None:
    ran: list[str] = []
    holder: list[Worker] = []

    def first() -> dict[str, int]:
        holder[0].stop.set()  # SIGTERM arrives while this job runs
        ran.append("first")
        return {}

    w, _ = worker(Job("first", 1, first), Job("second", 1, lambda: ran.append("second") or {}))
    holder.append(w)
    w.run_forever()
    assert ran == ["first"]


def test_file_lock_refuses_a_second_holder_and_frees_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "worker-sync.lock"
    with file_lock(path):
        with pytest.raises(Busy):
            with file_lock(path):
                pass
    with file_lock(path):  # released
        pass


def test_the_lock_wraps_the_job() -> None:
    order: list[str] = []

    @contextmanager
    def lock() -> Iterator[None]:
        order.append("locked")
        yield
        order.append("unlocked")

    w, _ = worker(Job("sync", 1, lambda: order.append("run") or {}, lock=lock))
    w.run_once()
    assert order == ["locked", "run", "unlocked"]
