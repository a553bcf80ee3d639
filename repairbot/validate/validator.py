"""Validating candidates: the tests decide, in an isolated copy, cheapest evidence first.

Order per candidate: the previously failing tests (stop at the first failure: a wrong
candidate costs about one failing-test run), then the passing tests that cover the changed
lines, then the rest of the suite. Plausible = every previously failing test passes and no
previously passing test fails. Candidates run in parallel, one workspace per worker.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from repairbot.localize.runner import run_pytest
from repairbot.types import Candidate, TestRun, Validation
from repairbot.validate.workspace import Workspace, workspaces


@dataclass(frozen=True)
class Baseline:
    """What the unpatched project did: which tests failed, which passed, what each covered."""

    failing: tuple[str, ...]
    passing: tuple[str, ...]
    coverage: dict[str, frozenset[tuple[str, int]]]
    per_test_timeout: float
    python: str = sys.executable
    args: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # pytest options of every later run: plugins the baseline did not need

    @classmethod
    def from_run(cls, run: TestRun, flaky: set[str], python: str, args: Sequence[str] = ()) -> Baseline:
        passing = tuple(r.nodeid for r in run.passing)
        slowest = max((r.duration for r in run.passing), default=0.0)  # a hang must not set the limit
        return cls(
            failing=tuple(r.nodeid for r in run.failing if r.nodeid not in flaky),
            passing=passing,
            coverage={r.nodeid: frozenset(r.covered) for r in run.results},
            per_test_timeout=max(5.0, 10 * slowest),
            python=python,
            args=tuple(args),
            # hypothesis's and anyio's plugins cost 0.5 s of a small project's 0.65 s run (see
            # localize/plugin.py); a candidate's edit cannot make the tests need them
            options=tuple(arg for name in run.unused_plugins for arg in ("-p", f"no:{name}")),
        )


Progress = Callable[[Validation], None]


def validate_one(ws: Workspace, c: Candidate, base: Baseline, cancel: threading.Event | None = None) -> Validation:
    """`cancel` stops the test runs early (the verdict is then meaningless and is dropped)."""
    t0 = time.perf_counter()
    tests_run = 0
    changed = changed_lines(c)
    with ws.patched(c.file, c.new_source) as root:
        run = _run(root, base, base.failing, stop_first=True, cancel=cancel)
        tests_run += len(run.results)
        if run.collect_error:
            return _verdict(c, base, False, 0, (), tests_run, t0, f"tests no longer collect: {run.collect_error}")
        fixed = sum(1 for r in run.results if r.outcome == "passed")
        still = [r.nodeid for r in run.results if r.outcome != "passed"]
        if still or fixed < len(base.failing):
            why = f"failing test still fails: {still[0]}" if still else "failing tests did not all run"
            return _verdict(c, base, False, fixed, (), tests_run, t0, why)
        covering = [t for t in base.passing if base.coverage.get(t, frozenset()) & changed]
        rest = [t for t in base.passing if t not in set(covering)]
        for group in (covering, rest):
            if not group:
                continue
            run = _run(root, base, group, stop_first=True, cancel=cancel)
            tests_run += len(run.results)
            broken = tuple(r.nodeid for r in run.results if r.outcome != "passed" and r.outcome != "skipped")
            if broken or run.collect_error:
                why = f"breaks a passing test: {broken[0]}" if broken else f"collection: {run.collect_error}"
                return _verdict(c, base, False, fixed, broken, tests_run, t0, why)
    return replace(_verdict(c, base, True, fixed, (), tests_run, t0, "plausible"), covering=len(covering))


def _run(root: Path, base: Baseline, nodeids: Sequence[str], stop_first: bool,
         cancel: threading.Event | None = None) -> TestRun:
    budget = base.per_test_timeout * (len(nodeids) + 2)
    return run_pytest(root, [*base.options, *base.args, *nodeids], python=base.python, stop_first=stop_first,
                      per_test_timeout=base.per_test_timeout, timeout=budget, cancel=cancel)


def _verdict(c: Candidate, base: Baseline, ok: bool, fixed: int, regressions: tuple[str, ...], tests_run: int,
             t0: float, reason: str) -> Validation:
    return Validation(c, ok, fixed, len(base.failing), regressions, tests_run, time.perf_counter() - t0, reason)


def changed_lines(c: Candidate) -> frozenset[tuple[str, int]]:
    old = c.old_source.count("\n", 0, len(c.old_source))
    # The candidate's own span is enough to pick covering tests; the whole file as a fallback.
    lines = range(c.line, c.line + 3) if c.line else range(1, old + 2)
    return frozenset((c.file, ln) for ln in lines)


def validate_all(root: Path, candidates: Sequence[Candidate], base: Baseline, *, jobs: int,
                 time_budget: float | None, progress: Progress | None = None,
                 stop_after: int | None = None) -> tuple[list[Validation], int]:
    """Validate in prior order; returns (validations, candidates not tried).

    With `stop_after`, once that many of the best-ranked candidates are plausible and every
    candidate ranked above them has its verdict, the validations still running for candidates
    ranked below are stopped: a lower candidate that hangs until its test timeout (`x += d` ->
    `x = d` in a loop) no longer delays the patch already found."""
    deadline = None if time_budget is None else time.monotonic() + time_budget
    results: list[Validation | None] = [None] * len(candidates)
    cancels = [threading.Event() for _ in candidates]
    lock = threading.Lock()
    with workspaces(root, max(1, min(jobs, len(candidates)))) as pool_ws:
        free: queue.Queue[Workspace] = queue.Queue()
        for ws in pool_ws:
            free.put(ws)

        def enough_above(i: int) -> bool:
            return stop_after is not None and sum(1 for v in results[:i] if v is not None and v.plausible) >= stop_after

        def settle() -> None:
            """Stop what ranks below the first `stop_after` plausible candidates, once settled."""
            found = 0
            for i, v in enumerate(results):
                if v is None:
                    return  # a better-ranked candidate has no verdict yet
                found += v.plausible
                if stop_after is not None and found >= stop_after:
                    for e in cancels[i + 1:]:
                        e.set()
                    return

        def work(i: int) -> None:
            if deadline is not None and time.monotonic() > deadline:
                return
            with lock:
                if cancels[i].is_set() or enough_above(i):
                    return
            ws = free.get()
            try:
                v = validate_one(ws, candidates[i], base, cancels[i])
            except Exception as e:  # noqa: BLE001 - per-candidate boundary
                v = Validation(candidates[i], False, 0, len(base.failing), (), 0, 0.0,
                               f"internal error: {type(e).__name__}: {e}")
            finally:
                free.put(ws)
            with lock:
                if cancels[i].is_set():
                    return  # stopped part-way: no verdict
                results[i] = v
                settle()
            if progress:
                progress(v)

        with ThreadPoolExecutor(max_workers=len(pool_ws)) as ex:
            list(ex.map(work, range(len(candidates))))
    done = [v for v in results if v is not None]
    return done, len(candidates) - len(done)
