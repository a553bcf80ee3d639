"""Run a project's pytest suite in a subprocess and turn the plugin's event stream into a `TestRun`.

The child runs in its own session (process group) so a hanging test, and anything it
spawned, can be killed as a whole. The parent watches the plugin's JSON-lines report while
the child runs: a `start` without an `end` for longer than `per_test_timeout` means a hang.
The hanging test is recorded as "timeout" and pytest is started again with every test seen
so far deselected, so one bad test does not cost the rest of the suite. A child that dies in
the middle of a test (segfault, `os._exit`) is handled the same way, with outcome "error".
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from repairbot.localize.process import run_once
from repairbot.scratch import scratch_dir
from repairbot.types import TestResult, TestRun

FAILING_OUTCOMES = frozenset({"failed", "error", "timeout"})


def run_pytest(
    root: Path,
    args: Sequence[str] = (),
    *,
    python: str = sys.executable,
    coverage: bool = False,
    timeout: float | None = None,
    per_test_timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    stop_first: bool = False,
    cancel: threading.Event | None = None,
) -> TestRun:
    """Run pytest on `root` (cwd) with `args` and return every test's outcome.

    `env` is overlaid on the current environment. `timeout` bounds the whole call including
    re-runs; when it expires the running test is marked "timeout", the rest is lost and
    `TestRun.timed_out` is set. Collection failures (pytest exit codes 2/3/4 without any
    test run, or any collection error) give `collect_error`; exit code 5 (no tests) does not.
    `exit_code` is pytest's, except that after a kill or crash it is 1 if anything failed, else 0.
    Setting `cancel` stops the run as an expired `timeout` does (the caller no longer needs it).
    """
    root = Path(root).resolve()
    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    results: dict[str, TestResult] = {}
    collect_error = ""
    exit_code = 0
    timed_out = False
    patched = False  # some pytest process was killed or died: its exit code says little
    unused: frozenset[str] | None = None  # what every pytest process said it did not need
    with scratch_dir("repairbot-run-") as tmp:
        for attempt in itertools.count(1):
            known = len(results)
            attempt_out = run_once(
                root,
                args,
                Path(tmp) / str(attempt),
                python=python,
                coverage=coverage,
                deadline=deadline,
                per_test_timeout=per_test_timeout,
                env=env,
                stop_first=stop_first,
                done=tuple(results),
                cancel=cancel,
            )
            for result in attempt_out.results:
                results.setdefault(result.nodeid, result)
            unused = frozenset() if attempt_out.unused is None else (
                attempt_out.unused if unused is None else unused & attempt_out.unused)
            exit_code = attempt_out.returncode
            if attempt == 1:
                collect_error = attempt_out.collect_error()
            if attempt_out.run_timed_out:
                timed_out = True
                break
            finished = attempt_out.interrupted is None and not attempt_out.killed
            patched = patched or not finished
            if collect_error or finished or stop_first or attempt_out.ran_all():
                break
            if len(results) == known:  # no progress: re-running would loop forever
                break
    final = tuple(results.values())
    if final and not collect_error and not timed_out and (patched or exit_code in (0, 5)):
        exit_code = 1 if any(r.outcome in FAILING_OUTCOMES for r in final) else 0
    return TestRun(
        results=final,
        seconds=time.monotonic() - started,
        collect_error=collect_error,
        exit_code=exit_code,
        timed_out=timed_out,
        unused_plugins=tuple(sorted(unused or ())),
    )


def detect_flaky(
    root: Path,
    failing: Iterable[str | TestResult],
    *,
    python: str = sys.executable,
    timeout: float | None = None,
    per_test_timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> set[str]:
    """Node ids whose outcome changes when the failing tests are run once more.

    A repair cannot be validated against a test that fails at random, so such tests are set
    aside. Given bare node ids, "changed" means the test no longer fails; given `TestResult`s,
    any different outcome counts. Tests the re-run does not report are not called flaky.
    """
    expected: dict[str, str | None] = {}
    for item in failing:
        if isinstance(item, TestResult):
            expected[item.nodeid] = item.outcome
        else:
            expected[item] = None
    if not expected:
        return set()
    rerun = run_pytest(
        root,
        list(expected),
        python=python,
        timeout=timeout,
        per_test_timeout=per_test_timeout,
        env=env,
    )
    if rerun.collect_error:
        return set()
    flaky: set[str] = set()
    for result in rerun.results:
        if result.nodeid not in expected:
            continue
        before = expected[result.nodeid]
        changed = result.outcome not in FAILING_OUTCOMES if before is None else result.outcome != before
        if changed:
            flaky.add(result.nodeid)
    return flaky
