"""Validating candidates: the tests decide, in an isolated copy, cheapest evidence first.

Order per candidate: the previously failing tests (stop at the first failure: a wrong
candidate costs about one failing-test run), then the passing tests that cover the changed
lines, then the rest of the suite. Plausible = every previously failing test passes and no
previously passing test fails. Candidates run in parallel, one workspace per worker.
"""

from __future__ import annotations

import queue
import sys
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
        )


Progress = Callable[[Validation], None]


def validate_one(ws: Workspace, c: Candidate, base: Baseline) -> Validation:
    t0 = time.perf_counter()
    tests_run = 0
    changed = changed_lines(c)
    with ws.patched(c.file, c.new_source) as root:
        run = _run(root, base, base.failing, stop_first=True)
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
            run = _run(root, base, group, stop_first=True)
            tests_run += len(run.results)
            broken = tuple(r.nodeid for r in run.results if r.outcome != "passed" and r.outcome != "skipped")
            if broken or run.collect_error:
                why = f"breaks a passing test: {broken[0]}" if broken else f"collection: {run.collect_error}"
                return _verdict(c, base, False, fixed, broken, tests_run, t0, why)
    return replace(_verdict(c, base, True, fixed, (), tests_run, t0, "plausible"), covering=len(covering))


def _run(root: Path, base: Baseline, nodeids: Sequence[str], stop_first: bool) -> TestRun:
    budget = base.per_test_timeout * (len(nodeids) + 2)
    return run_pytest(root, [*base.args, *nodeids], python=base.python, stop_first=stop_first,
                      per_test_timeout=base.per_test_timeout, timeout=budget)


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
    """Validate in prior order; returns (validations, candidates not tried for lack of time)."""
    deadline = None if time_budget is None else time.monotonic() + time_budget
    results: list[Validation | None] = [None] * len(candidates)
    plausible = 0
    with workspaces(root, max(1, min(jobs, len(candidates)))) as pool_ws:
        free: queue.Queue[Workspace] = queue.Queue()
        for ws in pool_ws:
            free.put(ws)

        def work(i: int) -> None:
            nonlocal plausible
            if deadline is not None and time.monotonic() > deadline:
                return
            if stop_after is not None and plausible >= stop_after:
                return
            ws = free.get()
            try:
                v = validate_one(ws, candidates[i], base)
            except Exception as e:  # noqa: BLE001 - per-candidate boundary
                v = Validation(candidates[i], False, 0, len(base.failing), (), 0, 0.0,
                               f"internal error: {type(e).__name__}: {e}")
            finally:
                free.put(ws)
            results[i] = v
            plausible += v.plausible
            if progress:
                progress(v)

        with ThreadPoolExecutor(max_workers=len(pool_ws)) as ex:
            list(ex.map(work, range(len(candidates))))
    done = [v for v in results if v is not None]
    return done, len(candidates) - len(done)
