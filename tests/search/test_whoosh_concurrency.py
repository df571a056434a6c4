"""Several processes on one Whoosh index: one writer at a time, readers never blocked nor shown half an
index, and a reindex killed half-way leaves the old index serving, whole.

Real processes (``python -c`` children), real ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from portal.search import Kind, SearchDoc, SearchQuery
from portal.search.whoosh_backend import WhooshBackend

ROOT = Path(__file__).resolve().parents[2]


def doc(i: int, word: str = "shared") -> SearchDoc:
    return SearchDoc(doc_id=f"comment:{i}", kind=Kind.COMMENT, source="portal", project="nova", spec_id=i % 7,
                     spec=f"s{i % 7}", title="T", body=f"{word} words number{i}", url="/")


def child(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python child process running ``code`` with the project on its path."""
    prelude = textwrap.dedent("""
        import sys
        from pathlib import Path
        from portal.search import Kind, SearchDoc
        from portal.search.whoosh_backend import WhooshBackend
        def doc(i, word="shared"):
            return SearchDoc(doc_id=f"comment:{i}", kind=Kind.COMMENT, source="portal", project="nova",
                             spec_id=i % 7, spec=f"s{i % 7}", title="T", body=f"{word} words number{i}", url="/")
        backend = WhooshBackend(Path(sys.argv[1]))
    """)
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_writers_in_several_processes_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "search"
    WhooshBackend(root).rebuild([])
    code = """
        start = int(sys.argv[2])
        for i in range(start, start + 8):
            backend.upsert([doc(i)])   # one commit each: the writers interleave
        print("done")
    """
    writers = [child(code, str(root), str(n * 100)) for n in range(3)]
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    backend = WhooshBackend(root)
    assert backend.doc_count() == 24
    assert backend.search(SearchQuery(words="shared")).total == 24


def test_threads_of_one_process_write_one_at_a_time(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "search")
    backend.rebuild([])
    errors: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for i in range(start, start + 10):
                backend.upsert([doc(i)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert backend.doc_count() == 30


def test_readers_are_never_blocked_by_a_writer_holding_the_lock(tmp_path: Path) -> None:
    root = tmp_path / "search"
    WhooshBackend(root).rebuild([doc(1)])
    holder = child("""
        with backend.write_lock():
            print("locked", flush=True)
            sys.stdin.readline()
    """, str(root))
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        reader = WhooshBackend(root)
        started = time.monotonic()
        assert reader.search(SearchQuery(words="shared")).total == 1
        assert time.monotonic() - started < 2  # answered while the lock is held (a blocked reader would hang)
    finally:
        holder.kill()
        holder.communicate()


def test_readers_see_each_commit_whole_while_a_writer_works(tmp_path: Path) -> None:
    """Each commit adds 10 documents at once: a reader counts multiples of 10, never a half-written commit."""
    root = tmp_path / "search"
    WhooshBackend(root).rebuild([])
    writer = child("""
        for batch in range(6):
            backend.upsert([doc(batch * 10 + i) for i in range(10)])
        print("done")
    """, str(root))
    reader = WhooshBackend(root)
    seen: list[int] = []
    while writer.poll() is None:
        seen.append(reader.search(SearchQuery(words="shared")).total)
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    seen.append(reader.search(SearchQuery(words="shared")).total)
    assert all(total % 10 == 0 for total in seen), seen
    assert seen == sorted(seen) and seen[-1] == 60


def test_a_reindex_killed_half_way_leaves_the_old_index_serving_and_whole(tmp_path: Path) -> None:
    root = tmp_path / "search"
    old = WhooshBackend(root)
    old.rebuild([doc(i, "before") for i in range(20)])
    before = old.search(SearchQuery(words="before"))
    rebuilding = child("""
        def docs():
            for i in range(10**6):
                if i == 500:
                    print("half-way", flush=True)
                    sys.stdin.readline()  # hold here until killed
                yield doc(i, "after")
        backend.rebuild(docs())
    """, str(root))
    assert rebuilding.stdout is not None and rebuilding.stdout.readline().strip() == "half-way"
    assert list(root.glob("building-*"))  # the new index is being written beside the old one
    os.kill(rebuilding.pid, signal.SIGKILL)
    rebuilding.communicate()

    reader = WhooshBackend(root)  # a worker (re)starting after the crash
    after = reader.search(SearchQuery(words="before"))
    assert after.total == before.total == 20
    assert [h.doc_id for h in after.hits] == [h.doc_id for h in before.hits]
    assert reader.search(SearchQuery(words="after")).total == 0
    old.upsert([doc(99, "before")])  # the old index still takes writes
    assert reader.search(SearchQuery(words="before")).total == 21

    reader.rebuild([doc(1, "after")])  # the next reindex clears what the dead one left
    assert list(root.glob("building-*")) == []
    assert reader.search(SearchQuery(words="after")).total == 1


def test_a_reindex_whose_documents_fail_keeps_the_old_index(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "search")
    backend.rebuild([doc(1, "before")])

    def failing():  # type: ignore[no-untyped-def]
        yield doc(2, "after")
        raise RuntimeError("database went away")

    try:
        backend.rebuild(failing())
    except RuntimeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("rebuild should have raised")
    assert backend.search(SearchQuery(words="before")).total == 1
    assert backend.search(SearchQuery(words="after")).total == 0
    assert list((tmp_path / "search").glob("building-*")) == []


def test_a_second_reindex_at_once_is_refused_with_a_message(tmp_path: Path) -> None:
    root = tmp_path / "search"
    rebuilding = child("""
        def docs():
            yield doc(1)
            print("building", flush=True)
            sys.stdin.readline()
        backend.rebuild(docs())
    """, str(root))
    try:
        assert rebuilding.stdout is not None and rebuilding.stdout.readline().strip() == "building"
        from portal.errors import Conflict

        try:
            WhooshBackend(root).rebuild([doc(2)])
        except Conflict as exc:
            assert "already running" in exc.message
        else:  # pragma: no cover
            raise AssertionError("a second rebuild should be refused")
    finally:
        rebuilding.kill()
        rebuilding.communicate()
