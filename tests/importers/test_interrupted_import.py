"""A ``portal import specs`` killed half-way: its committed batches stay, and the next run says what happened."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from portal.cli import main
from tests.support.factories import spec_rst


def test_a_killed_import_is_reported_by_the_next_run(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_INSTANCE_PATH"] = str(instance)
    runner = CliRunner(env={"PORTAL_INSTANCE_PATH": str(instance)})
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["projects", "add", "nova"]).exit_code == 0
    tree = tmp_path / "specs-repo"
    for number in range(150):
        path = tree / "specs" / "2026.1" / "approved" / f"spec-{number:03d}.rst"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec_rst(f"Spec {number}", f"spec-{number:03d}"))

    process = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
        [sys.executable, "-c", "from portal.cli import main; main()", "import", "specs", "--project", "nova",
         str(tree)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    database = instance / "portal.db"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
                if conn.execute("SELECT 1 FROM import_runs WHERE progressed_at IS NOT NULL").fetchone():
                    break
            time.sleep(0.01)
        assert process.poll() is None, "the import finished before it could be killed; use a bigger tree"
        os.kill(process.pid, signal.SIGKILL)  # no handler runs: like a crash or an OOM kill
    finally:
        process.kill()
        process.wait(timeout=10)

    again = runner.invoke(main, ["import", "specs", "--project", "nova", str(tree)])

    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert lines[0].startswith("Note: the earlier import run #1 (started ")
    assert "did not finish: it was stopped, or it is still running elsewhere." in lines[0]
    created, unchanged = (int(lines[-1].split(": ")[1].split(", ")[i].split()[0]) for i in (0, 2))
    assert created + unchanged == 150 and unchanged >= 50 and unchanged % 50 == 0  # whole batches were kept
    with sqlite3.connect(database) as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM import_runs ORDER BY id")]
        specs = conn.execute("SELECT count(*) FROM specs").fetchone()[0]
    assert statuses == ["running", "succeeded"] and specs == 150
