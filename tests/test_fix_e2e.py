"""`repairbot fix` end to end: fixture bugs, tempting candidates, hangs, flaky tests, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import fixture_build, tree_snapshot

from repairbot.cli import main
from repairbot.scratch import scratch_dir

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "repairbot/deliver/fix_schema.json").read_text())


def run_fix(capsys, *args: str) -> tuple[int, dict]:
    code = main(["fix", *args, "--format", "json", "--jobs", "2"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    return code, doc


def make_project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


CONFTEST = "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n"


@pytest.fixture(scope="module")
def mined_files(repos, tmp_path_factory):
    out = tmp_path_factory.mktemp("mined")
    files = {}
    for name, path in repos.items():
        files[name] = out / f"{name}.json"
        assert main(["mine", str(path), "--out", str(files[name]), "--format", "json"]) == 0
    return files


@pytest.mark.parametrize("repo", fixture_build.REPOS)
def test_checked_in_bug_is_fixed_at_rank_1_and_tree_untouched(repo, copy_repo, mined_files, capsys):
    project = copy_repo(repo)
    bug = fixture_build.CHECKED_IN_BUGS[repo]
    before = tree_snapshot(project)
    code, doc = run_fix(capsys, str(project), "--patterns", str(mined_files[repo]), "--no-audit")
    assert code == 0 and doc["status"] == "fixed"
    assert [f["test"] for f in doc["failures"]] == [bug["test"]]
    top = doc["patches"][0]
    assert top["file"] == bug["file"] and top["line"] == bug["line"]
    removed = [ln[1:].strip() for ln in top["diff"].splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:].strip() for ln in top["diff"].splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert removed == [bug["buggy"]] and added == [bug["fixed"]]
    assert top["validation"]["failing_fixed"] == top["validation"]["failing_total"] == 1
    assert top["validation"]["regressions"] == [] and top["validation"]["tests_run"] > 1
    # Evidence: a regression test that fails before and passes after the patch, beside the failing
    # test; and a differential run that does not mark the (only kind of) correct fix down.
    [gen] = top["tests"]
    assert gen["reproduces"] and gen["path"].startswith(bug["test"].rsplit("/", 1)[0] + "/test_repairbot_")
    assert top["differential"]["inputs"] > 20 and top["differential"]["failing_changed"] >= 1
    assert not any(e.startswith("behaviour") and not e.startswith("behaviour 1.00") for e in top["explanation"])
    assert tree_snapshot(project) == before, "without --apply the tree must stay byte-identical"


def test_apply_writes_the_top_patch_and_the_suite_then_passes(copy_repo, mined_files, capsys):
    project = copy_repo("geometry")
    code, doc = run_fix(capsys, str(project), "--patterns", str(mined_files["geometry"]), "--apply")
    assert code == 0 and doc["applied"]
    bug = fixture_build.CHECKED_IN_BUGS["geometry"]
    assert bug["fixed"] in (project / bug["file"]).read_text()
    [gen] = doc["patches"][0]["tests"]
    assert (project / gen["path"]).read_text() == gen["source"], "the regression test ships with the patch"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    # The diff is what git would apply: check it against a pristine copy.
    pristine = copy_repo("geometry", "pristine")
    (project.parent / "p.diff").write_text(doc["patches"][0]["diff"])
    applied = subprocess.run(["git", "apply", "--check", str(project.parent / "p.diff")], cwd=pristine,
                             capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr


def test_no_failing_test_means_nothing_to_fix(tmp_path, capsys):
    project = make_project(tmp_path, {"m.py": "def f():\n    return 1\n", "tests/conftest.py": CONFTEST,
                                      "tests/test_m.py": "from m import f\n\ndef test_f():\n    assert f() == 1\n"})
    code, doc = run_fix(capsys, str(project))
    assert code == 0 and doc["status"] == "no_failure" and doc["patches"] == []


DIFF_PROJECT = {
    "calc.py": """\
        def gap(a, b):
            return a - b
        """,
    "tests/conftest.py": CONFTEST,
    "tests/test_calc.py": """\
        from calc import gap

        def test_gap_forward():
            assert gap(1, 3) == 2

        def test_gap_backward():
            assert gap(5, 1) == 4
        """,
}


def test_tempting_candidate_that_breaks_another_test_is_rejected(tmp_path, capsys):
    project = make_project(tmp_path, DIFF_PROJECT)
    code, doc = run_fix(capsys, str(project), "--no-library", "--patterns",
                        str(Path(__file__).resolve().parents[1] / "patterns" / "builtin.json"), "--top", "5")
    assert code == 0
    diffs = [p["diff"] for p in doc["patches"]]
    assert "+    return abs(a - b)" in diffs[0]
    assert not any("b - a" in d for d in diffs), "b - a passes the failing test but breaks the other"
    assert doc["candidates"]["rejected"].get("breaks a passing test", 0) >= 1


def test_hanging_test_is_killed_and_repair_completes(tmp_path, capsys):
    files = dict(DIFF_PROJECT)
    files["tests/test_hang.py"] = "import time\n\ndef test_hangs():\n    time.sleep(120)\n"
    project = make_project(tmp_path, files)
    t0 = time.monotonic()
    code, doc = run_fix(capsys, str(project), "--test-timeout", "2", "--time-budget", "60")
    assert time.monotonic() - t0 < 90
    outcomes = {f["test"]: f["outcome"] for f in doc["failures"]}
    assert outcomes["tests/test_hang.py::test_hangs"] == "timeout"
    assert doc["status"] in ("fixed", "no_fix") and code in (0, 1)
    leftovers = subprocess.run(["pgrep", "-f", "time.sleep\\(120\\)|test_hang"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


def test_flaky_test_is_reported_and_not_repaired_against(tmp_path, capsys):
    files = dict(DIFF_PROJECT)
    marker = tmp_path / "flaky-marker"
    files["tests/test_flaky.py"] = f"""\
        import os

        def test_sometimes():
            path = {str(marker)!r}
            first = not os.path.exists(path)
            open(path, "a").close()
            assert not first
        """
    project = make_project(tmp_path / "p", files)
    code, doc = run_fix(capsys, str(project))
    assert doc["flaky"] == ["tests/test_flaky.py::test_sometimes"]
    assert code == 0 and doc["status"] == "fixed"
    assert "+    return abs(a - b)" in doc["patches"][0]["diff"]


def test_syntax_error_elsewhere_does_not_stop_the_repair(tmp_path, capsys):
    files = dict(DIFF_PROJECT)
    files["legacy.py"] = 'print "python 2"\n'
    project = make_project(tmp_path, files)
    code, doc = run_fix(capsys, str(project))
    assert code == 0 and doc["status"] == "fixed"


def test_suite_that_does_not_collect_is_a_clear_error(tmp_path, capsys):
    project = make_project(tmp_path, {"tests/test_x.py": "import does_not_exist\n\ndef test_x():\n    pass\n"})
    code, doc = run_fix(capsys, str(project))
    assert code == 2 and doc["status"] == "error"
    assert "does not collect" in doc["error"] and "does_not_exist" in doc["error"]


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["fix", str(tmp_path / "missing")]) == 2
    assert main(["fix", str(tmp_path), "--patterns", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert "not a directory" in err and "no such pattern file" in err


def test_killed_mid_run_leaves_the_tree_byte_identical(tmp_path):
    project = make_project(tmp_path / "p", DIFF_PROJECT)
    before = tree_snapshot(project)
    proc = subprocess.Popen([sys.executable, "-m", "repairbot.cli", "fix", str(project), "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    # The default journal is the only thing written: repairbot's own folder, which git ignores.
    assert tree_snapshot(project, state=False) == before
    assert (project / ".repairbot/.gitignore").read_text().splitlines()[-1] == "*"
    # Its scratch folders (named after its pid) could not be removed; the next run sweeps them.
    left = [p for p in Path(tempfile.gettempdir()).glob(f"repairbot-*-{proc.pid}-*")]
    assert left, "the killed run had copied the project into scratch folders"
    with scratch_dir("repairbot-ws-"), scratch_dir("repairbot-run-"):
        assert not any(p.exists() for p in left)


def test_default_journal_is_git_ignored_and_no_audit_writes_nothing(copy_repo, mined_files, capsys):
    project = copy_repo("inventory")
    assert not (project / ".repairbot").exists()
    before = tree_snapshot(project)
    code, _ = run_fix(capsys, str(project), "--patterns", str(mined_files["inventory"]))
    assert code == 0 and (project / ".repairbot/audit.db").is_file()
    assert tree_snapshot(project, state=False) == before
    status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=project, capture_output=True,
                            text=True, check=True).stdout
    assert status == "", "the journal folder must not show up as a change"
    assert main(["audit", "--db", str(project / ".repairbot/audit.db"), "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["command"] for r in runs] == ["fix"] and runs[0]["status"] == "fixed"
    other = copy_repo("inventory", "second")
    snap = tree_snapshot(other)
    code, _ = run_fix(capsys, str(other), "--patterns", str(mined_files["inventory"]), "--no-audit")
    assert code == 0 and tree_snapshot(other) == snap


def test_text_output_shows_the_ranked_diff(copy_repo, mined_files, capsys):
    project = copy_repo("inventory")
    code = main(["fix", str(project), "--patterns", str(mined_files["inventory"]), "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0
    bug = fixture_build.CHECKED_IN_BUGS["inventory"]
    assert "#1 confidence" in out and f"+        {bug['fixed']}" in out


def test_trace_from_a_log_is_another_localisation_source(tmp_path, capsys):
    project = make_project(tmp_path / "p", DIFF_PROJECT)
    log = tmp_path / "prod.log"
    log.write_text(
        "2026-11-27 10:00:01 ERROR request failed\n"
        "2026-11-27 10:00:01 ERROR Traceback (most recent call last):\n"
        '2026-11-27 10:00:01 ERROR   File "/srv/app/releases/42/calc.py", line 2, in gap\n'
        "2026-11-27 10:00:01 ERROR     return a - b\n"
        "2026-11-27 10:00:01 ERROR ValueError: negative gap\n")
    code, doc = run_fix(capsys, str(project), "--trace", str(log))
    assert code == 0
    top = doc["localization"][0]
    assert (top["file"], top["line"]) == ("calc.py", 2) and "trace-file" in top["sources"]


def test_config_errors_name_the_file_and_key(repos, copy_repo, capsys):
    project = copy_repo("textkit")
    (project / "pyproject.toml").write_text("[tool.repairbot.mine]\nmax_files = 'many'\n")
    assert main(["mine", str(project)]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: tool.repairbot.mine.max_files: expected int" in err
    (project / "pyproject.toml").write_text("[tool.repairbot.mine]\nfix_mesage = 'x'\n")
    assert main(["mine", str(project)]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_suggest_ranks_fixes_at_a_flagged_line(repos, mined_files, capsys):
    bug = fixture_build.CHECKED_IN_BUGS["inventory"]
    where = f"{repos['inventory'] / bug['file']}:{bug['line']}"
    assert main(["suggest", where, "--patterns", str(mined_files["inventory"]), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    top = doc["suggestions"][0]
    assert f"+        {bug['fixed']}" in top["diff"] and f"-        {bug['buggy']}" in top["diff"]
    assert top["rank"] == 1 and top["line"] == bug["line"]
    # each suggestion names its pattern; an absolute path is labelled as git does (no `a//`)
    flagged = repos["inventory"].resolve() / bug["file"]
    assert main(["suggest", f"{flagged}:{bug['line']}", "--no-library", "--patterns",
                 str(Path(__file__).resolve().parents[1] / "patterns" / "builtin.json"), "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "(" in text.splitlines()[0] and text.splitlines()[0].endswith(f"line {bug['line']}")
    assert f"--- a{flagged}" in text and "a//" not in text
    assert main(["suggest", "nofile.py:3"]) == 2
    assert main(["suggest", str(repos["inventory"] / bug["file"])]) == 2
    assert "expected FILE:LINE" in capsys.readouterr().err


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_killing_repairbot_also_ends_its_pytest_children(tmp_path):
    """pytest runs in sessions of its own (so a hang is killed as a group); a SIGKILL of repairbot
    itself must still not leave them running."""
    project = make_project(tmp_path / "p", {
        "m.py": "def f():\n    return 1\n",
        "tests/test_m.py": "import time\nfrom m import f\n\ndef test_slow():\n    time.sleep(25)\n    assert f() == 2\n",
        "tests/conftest.py": CONFTEST,
    })
    marker = f"repairbot-test-{os.getpid()}-{time.time_ns()}"
    env = {**os.environ, "RB_TEST_MARKER": marker}
    proc = subprocess.Popen([sys.executable, "-m", "repairbot.cli", "fix", str(project), "--no-audit"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while len(_processes_with(marker)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_processes_with(marker)) >= 2, "pytest should be running under repairbot"
    proc.kill()  # repairbot alone, not its group
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []
