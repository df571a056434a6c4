"""Page throughput and latency of the portal under gunicorn, on a seeded database.

    python bench/pages.py [--specs 10000] [--comments 100000] [--duration 10]
                          [--connections 4] [--workers 2] [--keep DIR]
                          [--database-url postgresql+psycopg://...] [--server portal|gunicorn]
                          [--client auto|wrk|python] [--analyze] [--extra PATH]

1. Creates a fresh instance in a temporary folder (SQLite unless
   ``--database-url``), migrates it and seeds it (``bench/seed.py``).
2. Starts the portal under gunicorn with sync workers on a free 127.0.0.1
   port and waits for ``/healthz``.
3. Loads each URL with ``wrk`` (or, without wrk, a client of one process
   per connection), after a warm-up, and prints requests/s, p50/p90/p99 and
   the ratio to ``/healthz`` measured in the same run; then times each URL
   in-process (Flask test client) with the time spent in SQL.

It prints figures; it never passes or fails. The server is stopped on exit,
on errors, on Ctrl-C and on SIGTERM. See bench/README.md for how to read them.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import SeedConfig, analyze, migrate, prepare_database, seed  # noqa: E402

from portal.db.engine import make_engine  # noqa: E402

TARGET_MS = 10.0
# Issue 6's targets for a signed-in reader, in process, by the depth of the page's path:
# /projects/<p> (project page) and /projects/<p>/specs/<s> (spec page with ~900 comments).
SIGNED_IN_TARGETS_MS = {2: 8.0, 4: 25.0}
HEALTH_TIMEOUT_S = 60.0
WRK_TIMEOUT = "10s"


# --- results -----------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    path: str
    note: str = ""
    signed_in: bool = False  # sent with the bench operator's session cookie (never served from the page cache)
    status: int = 0
    body_bytes: int = 0
    runs: dict[int, Run] = field(default_factory=dict)  # by connection count
    inproc: InProc | None = None


@dataclass
class Run:
    connections: int
    requests: int
    seconds: float
    rps: float
    p50: float  # ms
    p90: float
    p99: float
    errors: int = 0  # non-2xx/3xx, socket errors, timeouts
    client: str = "wrk"
    server_cpu_ms: float = float("nan")  # gunicorn master + workers CPU time per request
    others_cores: float = float("nan")  # CPU used by processes outside this benchmark, in cores


@dataclass
class InProc:
    requests: int
    median_ms: float
    min_ms: float  # the best case: closest to the cost on an idle machine
    sql_ms: float  # median per request
    queries: float  # per request


# --- environment -------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


def print_environment(args: argparse.Namespace, client: str, database_url: str) -> None:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print("== Environment")
    print(f"  CPUs             {os.cpu_count()} x {cpu_model()}")
    print(f"  Load average     {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start (other work on the machine "
          "skews every figure)")
    print(f"  Python           {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}")
    print(f"  SQLite           {sqlite3.sqlite_version} (the sqlite3 module's library)")
    print(f"  Packages         SQLAlchemy {version('SQLAlchemy')}, Flask {version('Flask')}, Werkzeug "
          f"{version('Werkzeug')}, Jinja2 {version('Jinja2')}, gunicorn {version('gunicorn')}")
    server = "portal serve (the shipped config: access log on, max_requests 2000)" if args.server == "portal" \
        else "gunicorn portal.wsgi:app (no access log)"
    print(f"  Server           {server}, sync workers x {args.workers}")
    print(f"  Load generator   {client}, connections {', '.join(map(str, args.connections))}, "
          f"{args.duration:g} s per URL after {args.warmup:g} s warm-up")
    print(f"  Database         {_safe_url(database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def busy_seconds() -> float:
    """CPU time used by the whole machine so far (all cores, idle and iowait excluded)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def process_seconds(pid: int, *, children: bool = False) -> float:
    """CPU time of one process (and of its reaped children when asked), from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + (cutime + cstime if children else 0)) / _TICK


class CpuMeter:
    """Splits the machine's CPU time during a measurement into server, load generator and others."""

    def __init__(self, server: Server, client_pids: list[int]) -> None:
        self.server = server
        self.client_pids = client_pids

    def _sample(self) -> tuple[float, float, float, float, float]:
        import resource

        server = process_seconds(self.server.process.pid, children=True) + sum(
            process_seconds(pid) for pid in self.server.worker_pids())
        clients = sum(process_seconds(pid) for pid in self.client_pids)
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        # reaped children of this process other than the server: wrk runs
        return busy_seconds(), server, clients + reaped.ru_utime + reaped.ru_stime, time.process_time(), \
            time.perf_counter()

    def start(self) -> None:
        self.before = self._sample()

    def stop(self, run: Run) -> None:
        after = self._sample()
        busy, server, clients, own, wall = (a - b for a, b in zip(after, self.before, strict=True))
        run.server_cpu_ms = server * 1000 / run.requests if run.requests else float("nan")
        run.others_cores = max(0.0, busy - server - clients - own) / wall if wall > 0 else float("nan")


class Server:
    """gunicorn in its own process group, so stopping it stops every worker."""

    def __init__(self, args: argparse.Namespace, instance: Path, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / "server.log"
        env = dict(os.environ)
        env.update(PORTAL_INSTANCE_PATH=str(instance), PORTAL_DATABASE_URL=database_url, PORTAL_LOG_LEVEL="WARNING")
        if args.server == "portal":
            command = [sys.executable, "-c", "from portal.cli import main; main()", "serve",
                       "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(args.workers)]
        else:
            command = [sys.executable, "-m", "gunicorn", "portal.wsgi:app", "--worker-class", "sync",
                       "--workers", str(args.workers), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.log = self.log_path.open("wb")
        # cwd: the instance, not the checkout, so PYTHONPATH decides which `portal` is served
        self.process = subprocess.Popen(command, env=env, cwd=instance, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < HEALTH_TIMEOUT_S:
            if self.process.poll() is not None:
                raise SystemExit(f"The server exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"/healthz did not answer within {HEALTH_TIMEOUT_S:g} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                                 capture_output=True, text=True, check=False).stdout
            return [int(p) for p in out.split()]
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()


# --- the signed-in reader ------------------------------------------------------------------------

BENCH_USER = "bench-operator"
BENCH_PASSWORD = "bench-operator-password"  # a throwaway instance's throwaway account


def ensure_bench_user(instance: Path, database_url: str) -> None:
    """An operator account to sign in with, made by the CLI of the portal being measured."""
    from sqlalchemy import select

    from portal.models import User

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            if conn.scalar(select(User.id).where(User.username == BENCH_USER)) is not None:
                return
    finally:
        engine.dispose()
    env = dict(os.environ, PORTAL_INSTANCE_PATH=str(instance), PORTAL_DATABASE_URL=database_url,
               PORTAL_LOG_LEVEL="WARNING")
    subprocess.run([sys.executable, "-c", "from portal.cli import main; main()", "users", "create", BENCH_USER,
                    "--email", f"{BENCH_USER}@example.org", "--role", "operator", "--password-stdin"],
                   input=BENCH_PASSWORD + "\n", text=True, env=env, cwd=instance, check=True, capture_output=True)


def sign_in(base: str) -> str:
    """Log in through the real form; return the ``Cookie`` header value of the new session."""
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    if token is None:
        raise SystemExit("The login page has no CSRF token; cannot sign in the bench operator.")
    form = urllib.parse.urlencode({"username": BENCH_USER, "password": BENCH_PASSWORD,
                                   "csrf_token": token.group(1)}).encode()
    with opener.open(base + "/login", data=form, timeout=30) as response:
        response.read()
    cookies = [c for c in jar if "session" in c.name]
    if not cookies:
        raise SystemExit("Signing in the bench operator set no session cookie; check the server log.")
    return "; ".join(f"{c.name}={c.value}" for c in cookies)


# --- load generators ---------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str, connections: int) -> Run:
    percentiles = {int(p): _to_ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)}
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not (percentiles and done and rps):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    return Run(
        connections=connections, requests=int(done.group(1)),
        seconds=_to_ms(done.group(2) + done.group(3)) / 1000, rps=float(rps.group(1)),
        p50=percentiles.get(50, 0.0), p90=percentiles.get(90, 0.0), p99=percentiles.get(99, 0.0),
        errors=errors, client="wrk",
    )


def run_wrk(wrk: str, url: str, connections: int, seconds: float, cookie: str | None = None) -> Run:
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", WRK_TIMEOUT, *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    return parse_wrk(out.stdout, connections)


def _client_loop(host: str, port: int, path: str, seconds: float, results: Any, cookie: str | None = None) -> None:
    """One connection's worth of load: request, read, repeat until the deadline, with a new TCP
    connection each time (sync gunicorn workers close the connection after each response)."""
    import http.client

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status >= 400:
                errors += 1
        except OSError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    results.put((latencies, errors))


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class PythonClient:
    """One process per connection (threads in one process would make the GIL the bottleneck)."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("fork")
        self.processes: list[Any] = []

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def run(self, port: int, path: str, connections: int, seconds: float, meter: CpuMeter | None = None,
            cookie: str | None = None) -> Run:
        results = self.context.Queue()
        self.processes = [
            self.context.Process(target=_client_loop, args=("127.0.0.1", port, path, seconds, results, cookie),
                                 daemon=True)
            for _ in range(connections)
        ]
        for process in self.processes:
            process.start()
        if meter is not None:
            meter.client_pids = self.pids()
            meter.start()
        started = time.perf_counter()
        collected = [results.get(timeout=seconds + 60) for _ in self.processes]
        elapsed = time.perf_counter() - started
        run = Run(connections=connections, requests=0, seconds=elapsed, rps=0.0, p50=0.0, p90=0.0, p99=0.0,
                  client="python")
        latencies = sorted(lat for lats, _ in collected for lat in lats)
        run.requests = len(latencies)
        run.rps = len(latencies) / seconds
        run.p50, run.p90, run.p99 = (_percentile(latencies, p) for p in (50, 90, 99))
        run.errors = sum(e for _, e in collected)
        if meter is not None:
            meter.stop(run)  # before join: the client processes' CPU is read from /proc while they exist
        for process in self.processes:
            process.join(timeout=10)
        self.processes = []
        return run

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5)
        self.processes = []


# --- in-process timing ---------------------------------------------------------------------------


_SQL = {"seconds": 0.0, "count": 0}


def _timed_sqlite_creator(database: str) -> Any:
    """sqlite3 connections whose cursors add execute *and* fetch time to ``_SQL``.

    SQLAlchemy's cursor events stop the clock when ``execute`` returns, but
    SQLite does most of a query's work while rows are fetched.
    """

    class TimedCursor(sqlite3.Cursor):
        def _timed(self, method: Any, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args)
            finally:
                _SQL["seconds"] += time.perf_counter() - started

        def execute(self, *args: Any) -> Any:  # type: ignore[override]
            return self._timed(super().execute, *args)

        def fetchone(self) -> Any:
            return self._timed(super().fetchone)

        def fetchmany(self, *args: Any) -> Any:
            return self._timed(super().fetchmany, *args)

        def fetchall(self) -> Any:
            return self._timed(super().fetchall)

    class TimedConnection(sqlite3.Connection):
        def cursor(self, factory: Any = TimedCursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

    def creator() -> sqlite3.Connection:
        return sqlite3.connect(database, factory=TimedConnection, check_same_thread=False, timeout=5)

    return creator


def time_in_process(instance: Path, database_url: str, targets: list[Target], cookie: str | None = None,
                    budget_s: float = 2.0) -> None:
    """Flask test client: the server's own cost per request, and the part of it spent in SQL."""
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    from portal.app import create_app
    from portal.db.engine import make_session_factory
    from portal.settings import load_settings

    environ = dict(os.environ, PORTAL_INSTANCE_PATH=str(instance), PORTAL_DATABASE_URL=database_url,
                   PORTAL_LOG_LEVEL="ERROR")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(database_url, creator=_timed_sqlite_creator(url.database or ""))
    else:  # the network round trip happens in execute: cursor events see it all
        engine = make_engine(database_url)
        stamps: list[float] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _before(*_args: Any) -> None:
            stamps.append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(*_args: Any) -> None:
            _SQL["seconds"] += time.perf_counter() - stamps.pop()

    @event.listens_for(engine, "after_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit BEGIN (portal.db.engine) is no query
            _SQL["count"] += 1

    app = create_app(load_settings(environ), session_factory=make_session_factory(engine))
    logging.getLogger("portal").setLevel(logging.CRITICAL)  # an error page is reported once below, not per request
    anonymous = app.test_client()
    signed_in = app.test_client()
    for pair in (cookie or "").split("; "):
        if "=" in pair:
            name, value = pair.split("=", 1)
            signed_in.set_cookie(name, value)
    for target in targets:
        client = signed_in if target.signed_in else anonymous
        statuses = {client.get(target.path).status_code for _ in range(5)}  # warm-up: templates, caches
        if statuses != {200}:
            print(f"  WARNING: {target.path} answered {sorted(statuses)} in process; not timed")
            continue
        totals, sql_times, counts = [], [], []
        started = time.perf_counter()
        while len(totals) < 20 or (time.perf_counter() - started < budget_s and len(totals) < 2000):
            _SQL["seconds"], _SQL["count"] = 0.0, 0
            t0 = time.perf_counter()
            response = client.get(target.path)
            response.get_data()
            totals.append((time.perf_counter() - t0) * 1000)
            sql_times.append(_SQL["seconds"] * 1000)
            counts.append(_SQL["count"])
        target.inproc = InProc(len(totals), statistics.median(totals), min(totals), statistics.median(sql_times),
                               statistics.mean(counts))
    engine.dispose()
    app.extensions["portal"].engine.dispose()


# --- report --------------------------------------------------------------------------------------


def print_table(targets: list[Target], connections: list[int]) -> None:
    health = targets[0]
    for conns in connections:
        base = health.runs.get(conns)
        print(f"\n== Over HTTP: {conns} connection(s)")
        header = (f"{'page':<34} {'KB':>6} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
                  f"{'p50/hz':>7} {'hz/rps':>7} {'cpu/req':>8} {'others':>7} {'errors':>6}")
        print(header)
        print("-" * len(header))
        for target in targets:
            run = target.runs.get(conns)
            if run is None:
                continue
            p50_ratio = run.p50 / base.p50 if base and base.p50 else float("nan")
            rps_ratio = base.rps / run.rps if base and run.rps else float("nan")
            print(f"{target.label:<34} {target.body_bytes / 1024:>6.1f} {run.rps:>8.0f} {run.p50:>8.2f} "
                  f"{run.p90:>8.2f} {run.p99:>8.2f} {p50_ratio:>6.1f}x {rps_ratio:>6.1f}x "
                  f"{run.server_cpu_ms:>8.2f} {run.others_cores:>7.2f} {run.errors:>6}")
    print("\n  p50/hz: p50 divided by /healthz's p50; hz/rps: /healthz's req/s divided by the page's (same run).")
    print("  cpu/req: CPU ms of the gunicorn master and workers per request; others: cores used by processes")
    print("  outside this benchmark during the measurement (above ~0.1 the figures are disturbed).")

    print("\n== In process (Flask test client, one request at a time, no HTTP): the server's cost per request")
    header = (f"{'page':<34} {'median ms':>10} {'min ms':>8} {'SQL ms':>8} {'queries':>8} {'other ms':>9} "
              f"{'samples':>8}")
    print(header)
    print("-" * len(header))
    for target in targets:
        ip = target.inproc
        if ip is None:
            continue
        print(f"{target.label:<34} {ip.median_ms:>10.2f} {ip.min_ms:>8.2f} {ip.sql_ms:>8.2f} {ip.queries:>8.1f} "
              f"{ip.median_ms - ip.sql_ms:>9.2f} {ip.requests:>8}")
    print("  SQL ms: median time inside the database driver (execute and fetch); other ms: median minus SQL")
    print("  (ORM, view, Jinja rendering, Flask).")

    print("\n== URLs")
    for target in targets:
        print(f"  {target.label:<34} {target.path}{'  (' + target.note + ')' if target.note else ''}")


def print_target(targets: list[Target], connections: list[int], specs: int, comments: int, workers: int) -> None:
    page = targets[1]
    print(f"\n== Target: project page p50 under {TARGET_MS:g} ms at 10,000 specs / 100,000 comments")
    print(f"   (this run: {specs:,} specs, {comments:,} comments, {workers} sync workers)")
    for conns in connections:
        run = page.runs.get(conns)
        if run is None:
            continue
        verdict = "under" if run.p50 < TARGET_MS else "over"
        print(f"   {page.label}, {conns} connection(s): p50 {run.p50:.2f} ms ({verdict} {TARGET_MS:g} ms), "
              f"p90 {run.p90:.2f} ms, p99 {run.p99:.2f} ms, {run.rps:.0f} req/s")
    if page.inproc:
        ip = page.inproc
        print(f"   server cost per request (in process): median {ip.median_ms:.2f} ms (best {ip.min_ms:.2f} ms), "
              f"of which SQL {ip.sql_ms:.2f} ms in {ip.queries:.0f} queries")
    print("\n== Targets for signed-in readers (no page cache), in process, median")
    for target in targets:
        if not target.signed_in or target.inproc is None:
            continue
        limit = SIGNED_IN_TARGETS_MS.get(target.path.split("?")[0].count("/"))
        if limit is None:
            continue
        ip = target.inproc
        verdict = "under" if ip.median_ms <= limit else "over"
        print(f"   {target.label:<34} {ip.median_ms:6.2f} ms ({verdict} {limit:g} ms; best {ip.min_ms:.2f} ms, "
              f"SQL {ip.sql_ms:.2f} ms in {ip.queries:.0f} queries)")


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--specs", type=int, default=10_000, help="specs to seed")
    parser.add_argument("--comments", type=int, default=100_000, help="comments to seed")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per URL and connection count")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each URL's measurement")
    parser.add_argument("--connections", default="4",
                        help="concurrent connections; a comma list (e.g. 1,4,16) measures each")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--server", choices=("portal", "gunicorn"), default="portal",
                        help="'portal': `portal serve` as shipped; 'gunicorn': `gunicorn portal.wsgi:app` bare")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator; auto = wrk when installed")
    parser.add_argument("--database-url", help="use this (empty) database instead of a new SQLite file, "
                        "e.g. postgresql+psycopg://portal:secret@127.0.0.1/portal_bench")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="put the instance in DIR and keep it; a DIR that already holds a seeded "
                        "database is reused without seeding")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after seeding (planner statistics)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    parser.add_argument("--extra", action="append", default=[], metavar="PATH",
                        help="another path to measure (repeatable), e.g. --extra /")
    args = parser.parse_args(argv)
    try:
        args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    except ValueError:
        parser.error("--connections takes whole numbers separated by commas, e.g. 1,4")
    if not args.connections or min(args.connections) < 1:
        parser.error("--connections must be at least 1")
    return args


def _terminate(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _existing_data(database_url: str) -> dict[str, int] | None:
    """Row counts of an already seeded database, or None when it has no projects (or no schema)."""
    from sqlalchemy import func, inspect, select

    from portal.models import Comment, Event, Project, Spec

    engine = make_engine(database_url)
    try:
        if "projects" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            counts = {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) or 0
                      for t in (Project, Spec, Comment, Event)}
        return counts if counts["projects"] else None
    finally:
        engine.dispose()


def _busiest(database_url: str) -> tuple[str, str, int]:
    """The project with the most specs, and its spec with the most comments (for a reused database)."""
    from sqlalchemy import func, select

    from portal.models import Comment, Project, Spec

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            project_id, project_name = conn.execute(
                select(Project.id, Project.name).join(Spec, Spec.project_id == Project.id)
                .group_by(Project.id, Project.name).order_by(func.count().desc()).limit(1)).one()
            name, count = conn.execute(
                select(Spec.name, func.count(Comment.id)).join(Comment, Comment.spec_id == Spec.id)
                .where(Spec.project_id == project_id, Comment.deleted_at.is_(None))
                .group_by(Spec.id, Spec.name).order_by(func.count(Comment.id).desc()).limit(1)).one()
        return project_name, name, count
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops cleanly even when started with &

    wrk = wrk_path()
    if args.client == "wrk" and not wrk:
        raise SystemExit("wrk is not installed: `apt-get install wrk`, or use --client python.")
    use_wrk = bool(wrk) and args.client != "python"
    client = wrk_version(wrk) if use_wrk and wrk else f"Python client ({max(args.connections)} processes)"

    if args.keep:
        instance = args.keep.expanduser().resolve()
        instance.mkdir(parents=True, exist_ok=True)
        cleanup_dir = None
    else:
        instance = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        cleanup_dir = instance
    database_url = args.database_url or f"sqlite:///{instance / 'portal.db'}"

    server: Server | None = None
    python_client: PythonClient | None = None
    try:
        print_environment(args, client, database_url)
        print(f"  Instance         {instance}{' (kept)' if args.keep else ' (deleted at exit)'}")

        existing = _existing_data(database_url) if args.keep else None
        print("\n== Seeding")
        if existing:
            migrate(database_url)  # the code may have moved on since the database was seeded
            big_project, busy_spec, busy_count = _busiest(database_url)
            counts = existing
            print(f"  reusing the database in {instance}: {existing} (seeding skipped)")
        else:
            started = time.perf_counter()
            prepare_database(database_url)
            migrated = time.perf_counter() - started
            engine = make_engine(database_url)
            result = seed(engine, SeedConfig(specs=args.specs, comments=args.comments, seed=args.seed))
            engine.dispose()
            counts = result.counts
            big_project = result.big_project
            _, busy_spec, busy_count = result.busiest_specs[0]
            print(f"  migrate          {migrated:.2f} s")
            print(f"  seed             {result.seconds:.2f} s ({result.generate_seconds:.2f} s generating rows, "
                  f"{result.seconds - result.generate_seconds:.2f} s inserting)")
            print("  rows             " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"  spec revision    {result.revision_text_bytes / 1024:.1f} KB of RST, "
                  f"{result.revision_html_bytes / 1024:.1f} KB of HTML on average")
            print("  busiest specs    " + ", ".join(f"{n} ({c})" for _p, n, c in result.busiest_specs))
        if args.analyze:
            engine = make_engine(database_url)
            started = time.perf_counter()
            analyze(engine)
            engine.dispose()
            print(f"  ANALYZE          {time.perf_counter() - started:.2f} s")
        if database_url.startswith("sqlite"):
            size = sum(p.stat().st_size for p in instance.glob("portal.db*"))
            print(f"  database file    {size / 1e6:.0f} MB")

        project_specs = counts.get("specs", args.specs)
        targets = [
            Target("/healthz", "/healthz"),
            Target(f"project page ({big_project})", f"/projects/{big_project}", "default sort, 50 rows"),
            Target("project page, filtered+sorted", f"/projects/{big_project}?state=approved&sort=name",
                   "state=approved, sorted by name"),
            Target(f"spec page ({busy_count} comments)", f"/projects/{big_project}/specs/{busy_spec}",
                   "the big project's most discussed spec"),
            Target("API spec list", f"/api/v1/projects/{big_project}/specs", "JSON, 50 rows"),
            Target(f"signed in: project page ({big_project})", f"/projects/{big_project}",
                   "an operator's session cookie: no page cache", signed_in=True),
            Target("signed in: filtered+sorted", f"/projects/{big_project}?state=approved&sort=name",
                   "an operator's session cookie", signed_in=True),
            Target(f"signed in: spec page ({busy_count} c.)", f"/projects/{big_project}/specs/{busy_spec}",
                   "an operator's session cookie", signed_in=True),
            Target("signed in: spec timeline page 9", f"/projects/{big_project}/specs/{busy_spec}?timeline_page=9",
                   "older entries of the same spec's timeline", signed_in=True),
        ]
        targets += [Target(path, path) for path in args.extra]

        print("\n== Server")
        ensure_bench_user(instance, database_url)
        server = Server(args, instance, database_url)
        ready = server.wait_healthy()
        print(f"  {server.base} ready in {ready:.1f} s, master pid {server.process.pid}, "
              f"workers {server.worker_pids()}")
        cookie = sign_in(server.base)
        print(f"  signed in as {BENCH_USER} (operator) for the 'signed in' rows")
        for target in targets:
            headers = {"Cookie": cookie} if target.signed_in else {}
            try:
                request = urllib.request.Request(server.base + target.path, headers=headers)
                with urllib.request.urlopen(request, timeout=30) as response:
                    target.status, target.body_bytes = response.status, len(response.read())
            except urllib.error.HTTPError as exc:
                target.status = exc.code
            if target.status != 200:
                print(f"  WARNING: {target.path} answered {target.status}; its figures measure an error page")

        meter = CpuMeter(server, [])
        if not use_wrk:
            python_client = PythonClient()
        print("\n== Load", flush=True)
        for conns in args.connections:
            for target in targets:
                url = server.base + target.path
                cookie_sent = cookie if target.signed_in else None
                if use_wrk and wrk:
                    run_wrk(wrk, url, conns, args.warmup, cookie_sent)
                    meter.start()
                    run = run_wrk(wrk, url, conns, args.duration, cookie_sent)
                    meter.stop(run)
                else:
                    assert python_client is not None
                    python_client.run(server.port, target.path, conns, args.warmup, cookie=cookie_sent)
                    run = python_client.run(server.port, target.path, conns, args.duration, meter,
                                            cookie=cookie_sent)
                target.runs[conns] = run
                print(f"  {conns:>3} conn  {target.label:<34} {run.rps:>8.0f} req/s  p50 {run.p50:7.2f} ms  "
                      f"p99 {run.p99:7.2f} ms  server CPU {run.server_cpu_ms:5.2f} ms/req  "
                      f"others {run.others_cores:4.2f} cores", flush=True)
        if server.process.poll() is not None:
            print(f"  WARNING: the server exited during the run:\n{server.log_tail()}")
        server.stop()
        server = None

        print("\n== In-process timing", flush=True)
        time_in_process(instance, database_url, targets, cookie)

        print_table(targets, args.connections)
        print_target(targets, args.connections, project_specs, counts.get("comments", args.comments), args.workers)
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the server.", file=sys.stderr)
        return 130
    finally:
        if python_client is not None:
            python_client.stop()
        if server is not None:
            server.stop()
        if cleanup_dir is not None:
            shutil.rmtree(cleanup_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
