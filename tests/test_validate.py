"""Validation stops what it no longer needs: a lower-ranked candidate that hangs does not delay
the patch already found (`validate_all(stop_after=...)`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from repairbot.types import Candidate
from repairbot.validate.validator import Baseline, validate_all

BUGGY = "def total(xs):\n    return sum(xs) - 1\n"
FIXED = "def total(xs):\n    return sum(xs)\n"
HANGS = "def total(xs):\n    while True:  # validate-hang-marker\n        pass\n"
TEST = ("import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n"
        "from calc import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n")


def _candidate(new: str, prior: float) -> Candidate:
    return Candidate("p", "calc.py", 2, BUGGY, new, "", prior, 1.0, f"fp-{prior}")


def _project(root: Path, per_test_timeout: float) -> Baseline:
    (root / "tests").mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "tests" / "test_calc.py").write_text(TEST)
    return Baseline(failing=("tests/test_calc.py::test_total",), passing=(), coverage={},
                    per_test_timeout=per_test_timeout, python=sys.executable)


def test_a_hanging_lower_candidate_is_stopped_once_a_better_one_is_plausible(tmp_path: Path) -> None:
    base = _project(tmp_path, 60.0)
    fix, hang = _candidate(FIXED, 0.9), _candidate(HANGS, 0.5)
    t0 = time.monotonic()
    done, not_tried = validate_all(tmp_path, [fix, hang], base, jobs=2, time_budget=None, stop_after=1)
    assert time.monotonic() - t0 < 30, "the hanging candidate ran to its 60 s test timeout"
    assert [v.candidate for v in done] == [fix] and done[0].plausible
    assert not_tried == 1  # the stopped one has no verdict
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "validate-hang-marker|test_calc"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
    assert (tmp_path / "calc.py").read_text() == BUGGY  # validated in copies only


def test_without_stop_after_every_candidate_gets_a_verdict(tmp_path: Path) -> None:
    base = _project(tmp_path, 2.0)
    fix, hang = _candidate(FIXED, 0.9), _candidate(HANGS, 0.5)
    done, not_tried = validate_all(tmp_path, [fix, hang], base, jobs=2, time_budget=None)
    assert [(v.candidate, v.plausible) for v in done] == [(fix, True), (hang, False)] and not_tried == 0
