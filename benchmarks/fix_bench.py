"""Time to the first validated patch on seeded bugs in the fixture projects.

    python benchmarks/fix_bench.py [--jobs 2] [--out DIR]

Seeds: each fixture repository's checked-in bug, plus every fix from its history that came
with a test, re-introduced at the head (the checked-in bug fixed) when that makes a test fail.
Patterns: the shipped library plus what `repairbot mine` learns from the repository's history.
Prints per-bug time, candidates, validations and pytest runs; then median and worst time,
rank-1 accuracy against the historical fix, and the share of time spent inside pytest
(measured with --jobs 1 accounting: the sum of pytest subprocess wall times over the total).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures" / "repos"))

from seeded import intended, seeded_bugs  # noqa: E402

import repairbot.fix as fix_mod  # noqa: E402
import repairbot.validate.validator as val_mod  # noqa: E402
from repairbot.localize import runner  # noqa: E402

_lock = threading.Lock()
_runs: list[float] = []


def _counting(fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _runs.append(time.perf_counter() - t)
    return wrapper


fix_mod.run_pytest = _counting(runner.run_pytest)
val_mod.run_pytest = _counting(runner.run_pytest)
fix_mod.detect_flaky = _counting(runner.detect_flaky)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="repairbot-fixbench-"))
    rows = []
    for label, project, buggy, fixed, patterns in seeded_bugs(work):
        _runs.clear()
        # Time to the first validated patch: the evidence stage (regression test, differential
        # run) comes after it and is measured by benchmarks/calibrate.py's runs.
        opts = fix_mod.FixOptions(jobs=args.jobs, top=1, time_budget=120, evidence=False)
        t = time.perf_counter()
        report = fix_mod.run_fix(project, patterns, opts)
        wall = time.perf_counter() - t
        if report.status == "no_failure":
            continue
        ok = bool(report.patches) and intended(report.patches[0].validation.candidate.diff, buggy, fixed)
        rows.append((label, report.status, wall, len(report.candidates), len(report.validations),
                     len(_runs), sum(_runs), ok))
    print(f"{'bug':55} {'status':8} {'s':>6} {'cands':>5} {'tried':>5} {'runs':>4} {'rank1':>5}")
    for label, status, wall, cands, tried, runs, _, ok in rows:
        print(f"{label:55} {status:8} {wall:6.2f} {cands:5d} {tried:5d} {runs:4d} {'yes' if ok else 'no':>5}")
    fixed_rows = [r for r in rows if r[1] == "fixed"]
    times = [r[2] for r in fixed_rows]
    print(f"\nseeded bugs: {len(rows)}; validated patch found: {len(fixed_rows)}; "
          f"intended fix at rank 1: {sum(r[7] for r in rows)}")
    if times:
        print(f"time to first validated patch (--jobs {args.jobs}): median {statistics.median(times):.2f} s, "
              f"worst {max(times):.2f} s")
    print(f"candidates per bug: median {statistics.median(r[3] for r in rows):.0f}; validations per bug: "
          f"median {statistics.median(r[4] for r in rows):.0f}; pytest runs per bug: median "
          f"{statistics.median(r[5] for r in rows):.0f}")
    total, in_tests = sum(r[2] for r in rows), sum(r[6] for r in rows)
    label = "share of wall time inside pytest runs"
    if args.jobs == 1:
        print(f"{label}: {in_tests / total:.0%} (repairbot's own overhead {1 - in_tests / total:.0%})")
    else:
        print(f"{label}: not separable with --jobs {args.jobs} (runs overlap); use --jobs 1")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
