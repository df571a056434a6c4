"""The parser's bounds: a tiny hostile spec must not keep docutils busy for minutes.

Sixteen levels of ``.. |sN| replace:: |sN+1| |sN+1|`` are 527 bytes and
2**17 substitution copies; docutils expands them in quadratic time (15
levels took 32 s on a developer machine, 16 several minutes). The parser
refuses such a document up front, and a wall-clock budget catches whatever
else is slow.
"""

from __future__ import annotations

import signal
import time

from portal.specs.document import MAX_SUBSTITUTIONS, parse_spec
from tests.conftest import corpus_or_skip

TITLE = "==============\nA hostile spec\n==============\n\n"


def doubling_bomb(levels: int) -> str:
    lines = [TITLE, "|s0|\n"]
    lines += [f".. |s{n}| replace:: |s{n + 1}| |s{n + 1}|" for n in range(levels)]
    lines.append(f".. |s{levels}| replace:: boom")
    return "\n".join(lines) + "\n"


def test_nested_doubling_substitutions_are_refused_at_once_with_the_reason() -> None:
    text = doubling_bomb(16)
    assert len(text.encode()) < 600

    started = time.perf_counter()
    spec = parse_spec(text)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert spec.error == (
        f"too many substitutions: nested |substitutions| expand to more than {MAX_SUBSTITUTIONS:,} references "
        "or 1024 KiB of text; simplify the file"
    )
    assert spec.title == "A hostile spec"
    assert "|s0| replace::" in spec.html  # kept as plain text, nothing lost


def test_one_large_substitution_used_many_times_is_refused() -> None:
    big = "word " * 2_000  # 10 KB, under docutils' own per-definition limit
    text = TITLE + "|big| " * 150 + "\n\n.. |big| replace:: " + big + "\n"

    spec = parse_spec(text)

    assert spec.error is not None and spec.error.startswith("too many substitutions")


def test_ordinary_substitutions_still_work() -> None:
    text = (
        TITLE
        + "The |project| service, |version|.\n\n"
        + ".. |project| replace:: Nova\n.. |version| replace:: |project| 2025.1\n"
    )

    spec = parse_spec(text)

    assert spec.error is None
    assert "The Nova service, Nova 2025.1." in spec.html


def test_a_parse_over_its_time_budget_is_reported_and_the_alarm_is_put_back() -> None:
    text = max(corpus_or_skip().rglob("*.rst"), key=lambda p: p.stat().st_size).read_text(encoding="utf-8")

    spec = parse_spec(text, time_budget=0.001)

    assert spec.error == "took more than 0.001 s to parse; simplify the file"
    assert spec.sections[0].text == text  # kept as plain text
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    # Not cached as a failure: with the normal budget the same text parses.
    assert parse_spec(text).error is None

