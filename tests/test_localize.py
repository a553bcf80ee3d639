"""Tests for the localisation stage: the pytest plugin + runner, traceback parsing, SBFL, ranking.

Each runner test builds a throwaway project under tmp_path and runs its suite in a real
child pytest, because the behaviour that matters (process groups, killing hung tests,
collection errors, per-test coverage) only exists across a process boundary.
"""

from __future__ import annotations

import math
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import write_files as write  # noqa: E402

from repairbot.localize import (
    detect_flaky,
    localize,
    ochiai,
    parse_faulthandler,
    parse_traceback,
    run_pytest,
)

# Aliased so pytest does not try to collect the `Test*` dataclasses as test classes.
from repairbot.types import Frame, Location
from repairbot.types import TestResult as Result
from repairbot.types import TestRun as Run


def by_id(run: Run) -> dict[str, Result]:
    return {r.nodeid.split("::")[-1]: r for r in run.results}


def live_members(pgid: int) -> list[int]:
    """Pids of non-zombie processes in a process group (zombies wait for a reaper, they don't run)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue
        if int(pgrp) == pgid and state not in ("Z", "X"):
            live.append(int(stat.parent.name))
    return live


# ---------------------------------------------------------------------------- runner + plugin

MOD = """
def div(a, b):
    return a / b


def add(a, b):
    return a + b
"""

OUTCOME_TESTS = """
import pytest
from pkg.mod import add, div


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


@pytest.fixture
def bad_teardown():
    yield
    raise OSError("teardown broke")


def test_pass():
    assert add(1, 2) == 3


def test_fail():
    assert div(1, 0) == 1


def test_error(broken):
    pass


def test_teardown(bad_teardown):
    assert add(0, 0) == 0


def test_skip():
    pytest.skip("not today")


def test_assert():
    assert add(2, 2) == 5
"""


@pytest.fixture(scope="module")
def outcome_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    root = write(
        tmp_path_factory.mktemp("outcomes"),
        {"pkg/__init__.py": "", "pkg/mod.py": MOD, "tests/test_m.py": OUTCOME_TESTS},
    )
    return root, run_pytest(root, coverage=True, per_test_timeout=20)


def test_outcomes_frames_and_messages(outcome_project: tuple[Path, Run]) -> None:
    root, run = outcome_project
    res = by_id(run)
    assert {k: r.outcome for k, r in res.items()} == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_error": "error",
        "test_teardown": "error",
        "test_skip": "skipped",
        "test_assert": "failed",
    }
    assert run.collect_error == "" and run.exit_code == 1 and not run.timed_out
    fail = res["test_fail"]
    assert fail.message == "ZeroDivisionError: division by zero"
    # Outermost first, deepest last, root-relative, no pytest/pluggy internals.
    assert fail.frames == (Frame("tests/test_m.py", 21, "test_fail"), Frame("pkg/mod.py", 2, "div"))
    assert res["test_error"].message == "RuntimeError: fixture broke"
    assert res["test_error"].frames[-1] == Frame("tests/test_m.py", 7, "broken")
    assert res["test_teardown"].message == "OSError: teardown broke"
    assert res["test_skip"].message == "Skipped: not today"
    assert res["test_assert"].message.startswith("AssertionError: assert 4 == 5")
    assert {r.nodeid for r in run.failing} == {
        f"tests/test_m.py::{n}" for n in ("test_fail", "test_error", "test_teardown", "test_assert")
    }
    assert all(r.duration >= 0 for r in run.results)
    # The child must not litter the project with bytecode or pytest caches.
    assert not list(root.rglob("__pycache__")) and not (root / ".pytest_cache").exists()


def test_per_test_coverage(outcome_project: tuple[Path, Run]) -> None:
    _, run = outcome_project
    res = by_id(run)
    mod = lambda r: {line for f, line in r.covered if f == "pkg/mod.py"}  # noqa: E731
    assert mod(res["test_fail"]) == {2}  # div's body only; module-level lines ran at import
    assert mod(res["test_pass"]) == {6}
    assert mod(res["test_assert"]) == {6}
    assert ("tests/test_m.py", 21) in res["test_fail"].covered
    assert ("tests/test_m.py", 7) in res["test_error"].covered  # setup is measured too
    # Teardown is not measured: the fixture's post-yield line belongs to no test.
    assert ("tests/test_m.py", 13) not in res["test_teardown"].covered
    assert all(not f.startswith("/") for r in run.results for f, _ in r.covered)


HANG_PROJECT = {
    "slow.py": """
    import time


    def wait_forever():
        time.sleep(60)
    """,
    "test_h.py": """
    import os
    import subprocess
    import sys

    from slow import wait_forever


    def test_before():
        pass


    def test_crash():
        os._exit(3)


    def test_hang():
        with open(os.environ["PGID_FILE"], "w") as fh:
            fh.write(str(os.getpgid(0)))
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        wait_forever()


    def test_after():
        assert 1 + 1 == 2


    def test_after_too():
        assert 1 + 1 == 3
    """,
}


def test_hanging_test_is_killed_and_rest_still_runs(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", HANG_PROJECT)
    pgid_file = tmp_path / "pgid"
    t0 = time.monotonic()
    run = run_pytest(root, per_test_timeout=1.0, timeout=60, env={"PGID_FILE": str(pgid_file)})
    elapsed = time.monotonic() - t0
    res = by_id(run)
    assert [r.nodeid.split("::")[1] for r in run.results] == [
        "test_before",
        "test_crash",
        "test_hang",
        "test_after",
        "test_after_too",
    ]
    assert res["test_before"].outcome == "passed"
    assert res["test_crash"].outcome == "error" and "died" in res["test_crash"].message
    hang = res["test_hang"]
    assert hang.outcome == "timeout" and "Timeout" in hang.message
    assert 1.0 <= hang.duration < 5
    # faulthandler told us where it was stuck before the kill.
    assert hang.frames[-2:] == (Frame("test_h.py", 20, "test_hang"), Frame("slow.py", 5, "wait_forever"))
    assert localize(root, run)[0] == Location("slow.py", 5, 0.9, ("traceback",))
    assert res["test_after"].outcome == "passed" and res["test_after_too"].outcome == "failed"
    assert not run.timed_out and run.exit_code == 1
    assert elapsed < 15
    pgid = int(pgid_file.read_text())
    deadline = time.monotonic() + 5
    while live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_members(pgid) == []  # pytest and the grandchild `sleep` are both gone


def test_whole_run_timeout_stops_everything(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", HANG_PROJECT)
    pgid_file = tmp_path / "pgid"
    run = run_pytest(root, args=["-k", "hang or after"], timeout=2.0, env={"PGID_FILE": str(pgid_file)})
    assert run.timed_out
    assert [(r.nodeid.split("::")[1], r.outcome) for r in run.results] == [("test_hang", "timeout")]
    assert run.seconds < 6
    assert live_members(int(pgid_file.read_text())) == []


def test_collection_errors(tmp_path: Path) -> None:
    broken = write(
        tmp_path / "broken", {"test_ok.py": "def test_ok():\n    pass\n", "test_bad.py": "def (:\n"}
    )
    run = run_pytest(broken)
    assert "SyntaxError" in run.collect_error and "test_bad.py" in run.collect_error
    assert "\n" not in run.collect_error and run.exit_code == 2 and run.results == ()

    missing = write(tmp_path / "missing", {"test_imp.py": "import no_such_module_xyz\n"})
    run = run_pytest(missing)
    assert "No module named 'no_such_module_xyz'" in run.collect_error

    run = run_pytest(missing, args=["does_not_exist.py"])  # usage error, exit code 4
    assert run.exit_code == 4 and "does_not_exist.py" in run.collect_error

    empty = write(tmp_path / "empty", {"lib.py": "X = 1\n"})
    run = run_pytest(empty)  # exit code 5: no tests is not an error
    assert run.exit_code == 5 and run.collect_error == "" and run.results == ()


def test_detect_flaky(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = write(
        tmp_path / "proj",
        {
            "test_f.py": """
            import os
            import pathlib


            def test_flaky():
                marker = pathlib.Path(os.environ["MARKER"])
                first = not marker.exists()
                marker.touch()
                assert not first


            def test_broken():
                assert False
            """
        },
    )
    env = {"MARKER": str(marker)}
    run = run_pytest(root, env=env)
    assert {r.nodeid for r in run.failing} == {"test_f.py::test_flaky", "test_f.py::test_broken"}
    assert detect_flaky(root, run.failing, env=env) == {"test_f.py::test_flaky"}
    assert detect_flaky(root, [], env=env) == set()


# ---------------------------------------------------------------------------- traceback parsing

LOGGED = """\
2024-05-01 10:00:00,001 INFO  app started
2024-05-01 10:00:01,112 ERROR [worker-3] Traceback (most recent call last):
2024-05-01 10:00:01,112 ERROR [worker-3]   File "/srv/app/pkg/store.py", line 40, in load
2024-05-01 10:00:01,112 ERROR [worker-3]     return self._cache[key]
2024-05-01 10:00:01,112 ERROR [worker-3]            ~~~~~~~~~~~^^^^^
2024-05-01 10:00:01,112 ERROR [worker-3] KeyError: 'user:1'
2024-05-01 10:00:01,113 ERROR [worker-3]
2024-05-01 10:00:01,113 ERROR [worker-3] During handling of the above exception, another exception occurred:
2024-05-01 10:00:01,113 ERROR [worker-3]
2024-05-01 10:00:01,113 ERROR [worker-3] Traceback (most recent call last):
2024-05-01 10:00:01,113 ERROR [worker-3]   File "/srv/app/main.py", line 12, in <module>
2024-05-01 10:00:01,113 ERROR [worker-3]     run()
2024-05-01 10:00:01,114 ERROR [worker-3]   File "/srv/app/pkg/api.py", line 7, in run
2024-05-01 10:00:01,114 ERROR [worker-3]     user = store.load("user:1")
2024-05-01 10:00:01,114 ERROR [worker-3]            ^^^^^^^^^^^^^^^^^^^^^
2024-05-01 10:00:01,114 ERROR [worker-3]   File "/srv/app/pkg/store.py", line 43, in load
2024-05-01 10:00:01,114 ERROR [worker-3]     raise LookupError(f'File "{key}", line 1, in nowhere')
2024-05-01 10:00:01,114 ERROR [worker-3] LookupError: File "user:1", line 1, in nowhere
2024-05-01 10:00:02,000 INFO  request done
"""


def test_parse_logged_chained_traceback() -> None:
    assert parse_traceback(LOGGED) == (
        Frame("/srv/app/main.py", 12, "<module>"),
        Frame("/srv/app/pkg/api.py", 7, "run"),
        Frame("/srv/app/pkg/store.py", 43, "load"),
    )


def test_parse_direct_cause_takes_final_exception() -> None:
    text = textwrap.dedent(
        """\
        Traceback (most recent call last):
          File "a.py", line 1, in f
        ValueError: x

        The above exception was the direct cause of the following exception:

        Traceback (most recent call last):
          File "b.py", line 2, in g
          File "c.py", line 3, in h
        RuntimeError: y
        """
    )
    assert parse_traceback(text) == (Frame("b.py", 2, "g"), Frame("c.py", 3, "h"))


def test_parse_garbage_and_other_formats() -> None:
    assert parse_traceback("") == ()
    assert parse_traceback("no traceback here\nat all") == ()
    assert parse_traceback(b"\xff\xfe\x00garbage\x80\x81") == ()
    assert parse_traceback(12345) == ()  # type: ignore[arg-type]
    raw = b'\xffTraceback (most recent call last):\n  File "/x/\xe9.py", line 5, in f\nE: boom\n'
    assert parse_traceback(raw) == (Frame("/x/\ufffd.py", 5, "f"),)
    pytest_style = (
        "tests/test_a.py:5: in test_x\n    assert f(1)\nsrc/a.py:3: in f\n    return [][x]\nE   IndexError\n"
    )
    assert parse_traceback(pytest_style) == (Frame("tests/test_a.py", 5, "test_x"), Frame("src/a.py", 3, "f"))
    dump = 'Current thread 0x00007f (most recent call first):\n  File "/p/m.py", line 9 in spin\n  File "/p/t.py", line 3 in test_x\n'
    assert parse_faulthandler(dump) == (Frame("/p/t.py", 3, "test_x"), Frame("/p/m.py", 9, "spin"))


# ---------------------------------------------------------------------------- SBFL + ranking


def test_ochiai_hand_computed() -> None:
    a, b, c = ("m.py", 1), ("m.py", 2), ("m.py", 3)
    results = [
        Result("t1", "failed", covered=(a, b)),
        Result("t2", "error", covered=(a, c)),
        Result("t3", "passed", covered=(a, b)),
        Result("t4", "passed", covered=(c,)),
        Result("t5", "skipped", covered=(b,)),  # neither passing nor failing
        Result("t6", "timeout"),  # no spectrum: ignored rather than diluting every score
    ]
    scores = ochiai(results)
    # F = 2 failing tests with coverage. a: ef=2, ep=1; b: ef=1, ep=1; c: ef=1, ep=1.
    assert scores == pytest.approx(
        {a: 2 / math.sqrt(2 * 3), b: 1 / math.sqrt(2 * 2), c: 1 / math.sqrt(2 * 2)}
    )
    assert ochiai([Result("t", "passed", covered=(a,))]) == {}


WINDOW = """
def clamp(i, size):
    \"\"\"Clamp an index into range(size).\"\"\"
    if i < 0:
        return 0
    if i >= size:
        return size
    return i


def last_index(items):
    return clamp(len(items) + 5, len(items))
"""

OTHER = """
def double(x):
    return 2 * x
"""

WINDOW_TESTS = """
from pkg.other import double
from pkg.window import clamp, last_index


def test_negative():
    assert clamp(-3, 5) == 0


def test_inside():
    assert clamp(2, 5) == 2


def test_zero():
    assert clamp(0, 5) == 0


def test_too_big():
    assert clamp(7, 5) == 4


def test_at_size():
    assert clamp(5, 5) == 4


def test_last_index():
    assert last_index([1, 2, 3]) == 2


def test_double():
    assert double(clamp(1, 5)) == 2
"""


def test_localize_ranks_off_by_one_first(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/window.py": WINDOW,
            "pkg/other.py": OTHER,
            "tests/test_window.py": WINDOW_TESTS,
            "tests/conftest.py": "",
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".venv/lib/site-packages/dep.py": "X = 1\n",
        },
    )
    run = run_pytest(root, coverage=True)
    assert len(run.failing) == 3 and len(run.passing) == 4
    locations = localize(root, run)
    assert (locations[0].file, locations[0].line) == ("pkg/window.py", 6)  # `return size`
    assert locations[0].sources == ("sbfl",) and 0 < locations[0].score <= 1
    assert [loc.score for loc in locations] == sorted((loc.score for loc in locations), reverse=True)
    assert {loc.file for loc in locations} == {"pkg/window.py"}  # tests, conftest, other.py excluded
    assert localize(root, run) == locations  # deterministic

    with_tests = localize(root, run, include_tests=True)
    assert any(loc.file == "tests/test_window.py" for loc in with_tests)
    assert len(localize(root, run, limit=2)) == 2


def test_localize_traceback_evidence(outcome_project: tuple[Path, Run]) -> None:
    root, run = outcome_project
    top = localize(root, run)[0]
    # The ZeroDivisionError's deepest project frame, backed by both sources.
    assert top == Location("pkg/mod.py", 2, top.score, ("traceback", "sbfl"))
    assert top.score > 0.9
    no_cov = Run(results=tuple(Result(r.nodeid, r.outcome, frames=r.frames) for r in run.results), seconds=0)
    assert localize(root, no_cov) == (Location("pkg/mod.py", 2, 0.9, ("traceback",)),)


def test_localize_maps_foreign_trace_paths(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/a/util.py": "def f():\n    return 1\n",
            "app/b/util.py": "def f():\n    return 2\n",
            "app/main.py": "from app.a.util import f\n\nf()\n",
        },
    )
    frames = (
        Frame("/home/ci/build/app/main.py", 3, "<module>"),
        Frame("/elsewhere/util.py", 2, "f"),  # ambiguous: could be a/ or b/
        Frame("C:\\build\\app\\a\\util.py", 2, "f"),  # deepest; Windows path from another machine
        Frame("/home/ci/build/app/main.py", 99, "<module>"),  # past the end of the file: stale
        Frame("/usr/lib/python3.11/json/decoder.py", 355, "raw_decode"),
    )
    empty = Run(results=(), seconds=0)
    assert localize(root, empty, trace_frames=frames) == (
        Location("app/a/util.py", 2, 0.9, ("trace-file",)),
        Location("app/main.py", 3, 0.45, ("trace-file",)),
    )
    assert localize(root, empty) == ()


def test_plugin_is_inert_without_report_env(tmp_path: Path) -> None:
    """Loading the plugin into an ordinary pytest run must not change anything."""
    import subprocess

    root = write(tmp_path, {"test_x.py": "def test_x():\n    pass\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPAIRBOT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "repairbot.localize.plugin", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_whose_parent_died_before_it_asked_for_the_signal_ends_itself() -> None:
    """PR_SET_PDEATHSIG only covers a parent that dies after the call: a child forked just before
    repairbot was killed must notice its new parent instead of running on."""
    import signal
    import subprocess
    from functools import partial

    from repairbot.localize.process import die_with_parent

    ok = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=partial(die_with_parent, os.getpid()))
    assert ok.returncode == 0
    orphan = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=partial(die_with_parent, 1))
    assert orphan.returncode == -signal.SIGKILL  # "parent 1" is not its parent: as if it had died
