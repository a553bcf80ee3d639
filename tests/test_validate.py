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


def _project(root: Path, per_test_timeout: float, test_file: str = "test_calc") -> Baseline:
    (root / "tests").mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "tests" / f"{test_file}.py").write_text(TEST)
    return Baseline(failing=(f"tests/{test_file}.py::test_total",), passing=(), coverage={},
                    per_test_timeout=per_test_timeout, python=sys.executable)


def test_a_hanging_lower_candidate_is_stopped_once_a_better_one_is_plausible(tmp_path: Path) -> None:
    # a test file named for this test only: the suite runs in two processes, and another test's
    # candidates (test_calc) may be running while this one looks for what it left behind
    base = _project(tmp_path, 60.0, "test_calc_stopped_early")
    fix, hang = _candidate(FIXED, 0.9), _candidate(HANGS, 0.5)
    t0 = time.monotonic()
    done, not_tried = validate_all(tmp_path, [fix, hang], base, jobs=2, time_budget=None, stop_after=1)
    assert time.monotonic() - t0 < 30, "the hanging candidate ran to its 60 s test timeout"
    assert [v.candidate for v in done] == [fix] and done[0].plausible
    assert not_tried == 1  # the stopped one has no verdict
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "test_calc_stopped_early"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
    assert (tmp_path / "calc.py").read_text() == BUGGY  # validated in copies only


def test_without_stop_after_every_candidate_gets_a_verdict(tmp_path: Path) -> None:
    base = _project(tmp_path, 2.0)
    fix, hang = _candidate(FIXED, 0.9), _candidate(HANGS, 0.5)
    done, not_tried = validate_all(tmp_path, [fix, hang], base, jobs=2, time_budget=None)
    assert [(v.candidate, v.plausible) for v in done] == [(fix, True), (hang, False)] and not_tried == 0


PLUGIN_PROBE = ("import os\n\n\ndef pytest_configure(config):\n"
                "    with open(os.environ['PROBE'], 'a') as f:\n"
                "        has = config.pluginmanager.has_plugin\n"
                "        f.write(f\"{has('hypothesispytest')},{has('anyio')}\\n\")\n")
NO_PLUGINS = ("-p", "no:anyio", "-p", "no:hypothesispytest")


def test_unneeded_plugins_are_left_out_of_validation_only(tmp_path: Path, monkeypatch) -> None:
    """hypothesis's pytest plugin imports all of hypothesis after every session (0.4 s) and
    anyio's costs 0.13 s to load: more than half a small project's run. Validation leaves out
    those the baseline run did not need, and keeps any a test uses."""
    from repairbot.localize.runner import run_pytest

    probe = tmp_path / "probe.txt"
    monkeypatch.setenv("PROBE", str(probe))
    plain = tmp_path / "plain"
    plain.mkdir()
    _project(plain, 30.0)
    (plain / "conftest.py").write_text(PLUGIN_PROBE)
    run = run_pytest(plain, per_test_timeout=30)
    assert run.unused_plugins == ("anyio", "hypothesispytest") and [r.outcome for r in run.results] == ["failed"]
    base = Baseline.from_run(run, set(), sys.executable)
    assert base.options == NO_PLUGINS
    done, _ = validate_all(plain, [_candidate(FIXED, 0.9)], base, jobs=1, time_budget=None)
    assert done[0].plausible
    assert probe.read_text().split() == ["True,True", "False,False"]  # the baseline had them, validation not

    uses = {
        "given": ("from hypothesis import given, strategies as st\n\n\n@given(st.integers())\n"
                  "def test_int(x):\n    assert x == x\n", ("-p", "no:anyio")),
        "marked": ("import pytest\n\n\n@pytest.mark.hypothesis\ndef test_marked():\n    pass\n", ("-p", "no:anyio")),
        "lazy": ("def test_lazy():\n    import hypothesis  # noqa: F401\n", ("-p", "no:anyio")),
        "anyio": ("import pytest\n\n\n@pytest.mark.anyio\nasync def test_async():\n    pass\n\n\n"
                  "@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n", ("-p", "no:hypothesispytest")),
        "port": ("def test_port(free_tcp_port):\n    assert free_tcp_port > 0\n", ("-p", "no:hypothesispytest")),
    }
    for name, (text, options) in uses.items():
        root = tmp_path / name
        root.mkdir()
        (root / f"test_{name}.py").write_text(text)
        run = run_pytest(root, per_test_timeout=30)
        assert [r.outcome for r in run.results] == ["passed"], name
        assert Baseline.from_run(run, set(), sys.executable).options == options, name
        again = run_pytest(root, [*options], per_test_timeout=30)
        assert [r.outcome for r in again.results] == ["passed"], name  # what validation will see
    ini = tmp_path / "ini"
    ini.mkdir()
    (ini / "test_plain.py").write_text("def test_plain():\n    pass\n")
    (ini / "pytest.ini").write_text("[pytest]\nanyio_mode = strict\n")
    run = run_pytest(ini, per_test_timeout=30)
    assert run.unused_plugins == ("hypothesispytest",)  # anyio's own ini option: without it, a warning
