"""Policies (thresholds by environment and path) and the audit journal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from repairbot.audit import Journal
from repairbot.cli import main
from repairbot.config import ConfigError, load_config
from repairbot.policy import Policy, PolicyError, Thresholds, parse_policies

POLICY = Policy("prod", Thresholds(0.9, 0.6, 0.3), Thresholds(1.0, 0.8, 0.3), ("payments/*",))


@pytest.mark.parametrize("confidence,path,action", [
    (0.95, "app/x.py", "auto"), (0.9, "app/x.py", "auto"), (0.7, "app/x.py", "approval"),
    (0.4, "app/x.py", "notify"), (0.1, "app/x.py", "none"),
    (0.95, "payments/card.py", "approval"), (0.5, "payments/card.py", "notify"), (1.0, "payments/card.py", "auto"),
])
def test_decision_for_every_band_and_critical_paths(confidence, path, action):
    d = POLICY.decide(confidence, path)
    assert d.action == action and d.policy == "prod"
    assert dict(d.thresholds)["auto"] == (1.0 if path.startswith("payments") else 0.9)
    assert f"{confidence:.2f}" in d.reason


@pytest.mark.parametrize("spec,message", [
    ({"prod": {"auto": 1.5, "approval": 0.5, "notify": 0.1}}, "prod.auto: must be a number in [0, 1]"),
    ({"prod": {"auto": 0.4, "approval": 0.5, "notify": 0.1}}, "auto >= approval >= notify"),
    ({"prod": {"auto": 0.9, "approval": 0.5}}, "prod.notify: missing"),
    ({"prod": {"auto": 0.9, "approval": 0.5, "notify": 0.1, "autoo": 1}}, "prod.autoo: unknown key"),
    ({"prod": {"auto": 0.9, "approval": 0.5, "notify": 0.1, "critical_auto": 0.2}}, "critical_auto >= critical_approval"),
    ({"prod": {"auto": True, "approval": 0.5, "notify": 0.1}}, "must be a number"),
])
def test_contradictory_or_missing_settings_are_errors(spec, message):
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policies(spec, "tool.repairbot.policy")


def test_config_error_names_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.repairbot.policy.prod]\nauto = 2\napproval = 0.5\nnotify = 0.1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.repairbot.policy.prod.auto"):
        load_config(tmp_path)


PROJECT = {
    "calc.py": "def gap(a, b):\n    return a - b\n",
    "tests/conftest.py": "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n",
    "tests/test_calc.py": textwrap.dedent("""\
        from calc import gap

        def test_gap_forward():
            assert gap(1, 3) == 2

        def test_gap_backward():
            assert gap(5, 1) == 4
        """),
}


def _project(root, auto: float):
    """The `abs(a - b)` fix here (a built-in operator) is calibrated to about 0.3: above approval (0.2)."""
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "pyproject.toml").write_text(
        f"[tool.repairbot.policy.prod]\nauto = {auto}\napproval = 0.2\nnotify = 0.1\n")
    return root


def test_policy_gates_apply_and_the_journal_records_the_run(tmp_path, capsys):
    project = _project(tmp_path / "p", auto=1.0)
    db = tmp_path / "audit.db"
    code = main(["fix", str(project), "--policy", "prod", "--apply", "--audit", str(db), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["decision"]["action"] == "approval" and doc["applied"] is None
    assert "return a - b" in (project / "calc.py").read_text(), "approval-level patches are not applied"

    project2 = _project(tmp_path / "q", auto=0.2)
    assert main(["fix", str(project2), "--policy", "prod", "--apply", "--audit", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["decision"]["action"] == "auto" and doc["applied"]
    assert "abs(a - b)" in (project2 / "calc.py").read_text()

    journal = Journal(db)
    runs = journal.runs()
    assert [r.status for r in runs] == ["fixed", "fixed"]
    kinds = [e.kind for e in journal.events(runs[1].id)]
    for kind in ("failure", "location", "candidate", "validation", "patch", "decision", "applied", "end"):
        assert kind in kinds
    assert kinds[-1] == "end"
    journal.close()
    assert main(["audit", "--db", str(db)]) == 0
    assert "fixed" in capsys.readouterr().out
    assert main(["audit", "show", str(runs[1].id), "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "decision" in shown and "+    return abs(a - b)" in shown
    for kind in ("differential", "generated_test"):
        assert kind in kinds, "the evidence gathered for the patches is journalled too"


def test_mine_and_check_runs_are_journalled_and_listed_since(repos, tmp_path, capsys):
    db = tmp_path / "j" / "audit.db"
    assert main(["mine", str(repos["textkit"]), "--audit", str(db), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["check", str(repos["textkit"]), "--audit", str(db), "--format", "json"]) in (0, 1)
    capsys.readouterr()
    assert main(["audit", "--db", str(db), "--since", "1h", "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["command"] for r in runs] == ["mine", "check"]
    assert runs[0]["status"] == "mined" and runs[1]["status"] in ("found", "clean")
    assert main(["audit", "--db", str(db), "--since", "2999-01-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["audit", "--db", str(db), "--since", "yesterday-ish"]) == 2
    assert main(["audit", "show", "--db", str(db)]) == 2
    assert main(["audit", "--db", str(tmp_path / "missing.db")]) == 2
    assert "no such audit journal" in capsys.readouterr().err


def test_feedback_by_pull_request_number(tmp_path, capsys):
    db = tmp_path / "audit.db"
    journal = Journal(db)
    run = journal.start_run("serve", tmp_path, [])
    journal.record(run, "patch", fingerprint="ab" * 8, pattern="p1", file="m.py", rank=1)
    journal.record(run, "pr_opened", number=7, fingerprint="ab" * 8, url="http://127.0.0.1/pr/7")
    journal.close()
    assert main(["feedback", "--pr", "7", "--outcome", "closed", "--db", str(db)]) == 0
    assert "recorded closed for abababababababab" in capsys.readouterr().out
    assert main(["feedback", "--pr", "8", "--outcome", "closed", "--db", str(db)]) == 2
    assert main(["feedback", "ab", "--pr", "7", "--outcome", "closed", "--db", str(db)]) == 2
    journal = Journal(db)
    assert journal.rejected_fingerprints() == {"ab" * 8}
    journal.close()


def test_unknown_policy_is_a_usage_error(tmp_path, capsys):
    project = _project(tmp_path, auto=0.9)
    assert main(["fix", str(project), "--policy", "staging"]) == 2
    assert "no policy 'staging'" in capsys.readouterr().err


def test_journal_is_append_only(tmp_path):
    journal = Journal(tmp_path / "a.db")
    run = journal.start_run("fix", tmp_path, [])
    journal.record(run, "failure", test="t")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        journal.db.execute("UPDATE events SET kind = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        journal.db.execute("DELETE FROM events")
    journal.close()


def test_a_run_killed_mid_way_leaves_a_readable_journal(tmp_path):
    project = _project(tmp_path / "p", auto=0.9)
    db = tmp_path / "audit.db"
    proc = subprocess.Popen([sys.executable, "-m", "repairbot.cli", "fix", str(project), "--audit", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not db.exists():
        time.sleep(0.05)
    while time.monotonic() < deadline:  # kill once the run has journalled its first steps
        with sqlite3.connect(db) as con:
            try:
                if con.execute("SELECT count(*) FROM events").fetchone()[0]:
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    journal = Journal(db)
    assert journal.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = journal.runs()
    assert [r.status for r in runs] == ["incomplete"]
    kinds = [e.kind for e in journal.events(runs[0].id)]
    assert kinds and "end" not in kinds and all(k in ("failure", "flaky", "location", "candidate", "validation") for k in kinds)
    journal.close()


def test_feedback_moves_the_pattern_prior_both_ways_and_blocks_a_closed_patch(tmp_path, capsys):
    from repairbot.rank import acceptance_weight

    db = tmp_path / "audit.db"
    project = _project(tmp_path / "p", auto=0.9)
    assert main(["fix", str(project), "--audit", str(db), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["patches"][0]
    fp, pattern = first["fingerprint"], first["pattern"]

    assert main(["feedback", fp[:8], "--outcome", "merged", "--db", str(db)]) == 0
    assert "Beta(2, 1)" in capsys.readouterr().out
    assert acceptance_weight(2, 1) > 1.0
    assert main(["fix", str(project), "--audit", str(db), "--format", "json"]) == 0
    lifted = json.loads(capsys.readouterr().out)["patches"][0]
    assert lifted["fingerprint"] == fp and lifted["confidence"] > first["confidence"]

    for _ in range(3):
        assert main(["feedback", fp, "--outcome", "closed", "--db", str(db)]) == 0
    assert "Beta(2, 4)" in capsys.readouterr().out.splitlines()[-1]
    assert acceptance_weight(2, 4) < 1.0
    # closed without merge: never proposed again for the same code, unless forced
    assert main(["fix", str(project), "--audit", str(db), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert all(p["fingerprint"] != fp for p in doc["patches"])
    assert main(["fix", str(project), "--audit", str(db), "--force", "--format", "json"]) == 0
    forced = json.loads(capsys.readouterr().out)["patches"][0]
    assert forced["fingerprint"] == fp and forced["pattern"] == pattern
    assert forced["confidence"] < first["confidence"], "rejections sink the pattern"

    assert main(["feedback", "nope", "--outcome", "merged", "--db", str(db)]) == 2
    assert "no proposed patch" in capsys.readouterr().err


def test_safeguards_one_patch_in_flight_per_file_and_a_daily_cap(tmp_path, capsys):
    db = tmp_path / "audit.db"
    project = _project(tmp_path / "p", auto=0.2)
    (project / "more.py").write_text("def twice(x):\n    return x + x\n")
    assert main(["fix", str(project), "--apply", "--audit", str(db), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["applied"]
    # The file now holds an unmerged bot patch: break it again and ask for another patch there.
    (project / "calc.py").write_text("def gap(a, b):\n    return a - b\n")
    assert main(["fix", str(project), "--apply", "--audit", str(db), "--format", "json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["applied"] is None and "return a - b" in (project / "calc.py").read_text()
    assert "already has a bot patch in flight" in cap.err
    # Once its outcome is recorded the file is free again, but the daily cap still applies.
    assert main(["feedback", first["patches"][0]["fingerprint"], "--outcome", "merged", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["fix", str(project), "--apply", "--audit", str(db), "--max-per-day", "1", "--format", "json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["applied"] is None and "daily cap reached" in cap.err
    assert main(["fix", str(project), "--apply", "--audit", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["applied"]


def test_a_patch_that_breaks_the_full_suite_after_applying_is_reverted(tmp_path):
    from repairbot import safeguards
    from repairbot.types import Candidate, Patch, Validation

    project = _project(tmp_path / "p", auto=0.2)
    old = (project / "calc.py").read_text()
    new = "def gap(a, b):\n    return 0\n"
    c = Candidate("x", "calc.py", 2, old, new, "", 0.5, 1.0, "fp")
    patch = Patch(1, 0.9, Validation(c, True, 1, 1))
    (project / "calc.py").write_text(new)
    broken = safeguards.regressions_after_apply(project, ["tests/test_calc.py::test_gap_backward"],
                                                sys.executable, (), 10.0)
    assert broken == ["tests/test_calc.py::test_gap_backward"]
    assert safeguards.revert(project, patch) and (project / "calc.py").read_text() == old
    assert not safeguards.revert(project, patch), "a file that no longer holds the patch is left alone"


def test_repairbot_toml_is_read_instead_of_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.repairbot.policy.prod]\nauto = 2\n")
    (tmp_path / "repairbot.toml").write_text("audit = false\n[policy.prod]\nauto = 0.9\napproval = 0.5\nnotify = 0.1\n")
    cfg = load_config(tmp_path)
    assert cfg.audit == "" and cfg.policies["prod"].decide(0.95, "a.py").action == "auto"
    (tmp_path / "repairbot.toml").write_text("[policy.prod]\nauto = 0.9\napproval = 0.95\nnotify = 0.1\n")
    with pytest.raises(ConfigError, match=r"repairbot.toml: policy.prod"):
        load_config(tmp_path)
    (tmp_path / "repairbot.toml").write_text("polcy = 1\n")
    with pytest.raises(ConfigError, match=r"repairbot.toml: polcy: unknown key"):
        load_config(tmp_path)
    (tmp_path / "repairbot.toml").unlink()
    (tmp_path / "pyproject.toml").write_text("[tool.repairbot]\naudit = 3\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.repairbot.audit: expected a path or false"):
        load_config(tmp_path)


MASKED = {
    "tidy.py": "class Box:\n    pass\n\n\ndef forget(box):\n    del box.cache\n    return box\n",
    "tests/conftest.py": PROJECT["tests/conftest.py"],
    "tests/test_tidy.py": textwrap.dedent("""\
        from tidy import Box, forget

        def test_forget_without_cache():
            assert isinstance(forget(Box()), Box)

        def test_forget_with_cache():
            b = Box()
            b.cache = 1
            assert not hasattr(forget(b), "cache")
        """),
}


@pytest.mark.parametrize("masking,applied", [(None, False), ("auto", True)])
def test_a_patch_that_swallows_the_error_is_capped_at_approval(tmp_path, capsys, masking, applied):
    """The only plausible fix wraps the failing `del` in `except AttributeError: pass`."""
    project = tmp_path / "p"
    for rel, text in MASKED.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    extra = f'masking = "{masking}"\n' if masking else ""
    (project / "pyproject.toml").write_text(
        "[tool.repairbot.policy.prod]\nauto = 0.0\napproval = 0.0\nnotify = 0.0\n" + extra)
    code = main(["fix", str(project), "--policy", "prod", "--apply", "--audit", str(tmp_path / "audit.db"),
                 "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    top = doc["patches"][0]
    assert "except AttributeError" in top["diff"]
    assert top["risks"] == ["adds a handler for AttributeError that does nothing"]
    assert doc["decision"]["action"] == ("auto" if applied else "approval")
    assert ("capped at approval" in doc["decision"]["reason"]) is not applied
    assert ("except AttributeError" in (project / "tidy.py").read_text()) is applied


def test_a_policy_with_an_unknown_masking_action_is_an_error():
    with pytest.raises(PolicyError, match=r"prod.masking: expected one of auto, approval, notify"):
        parse_policies({"prod": {"auto": 0.9, "approval": 0.5, "notify": 0.1, "masking": "never"}}, "policy")
    capped = parse_policies({"prod": {"auto": 0.9, "approval": 0.5, "notify": 0.1, "masking": "notify"}}, "policy")
    assert capped["prod"].decide(0.95, "a.py", ("adds a handler",)).action == "notify"
    assert capped["prod"].decide(0.95, "a.py").action == "auto"
    assert capped["prod"].decide(0.05, "a.py", ("adds a handler",)).action == "none", "a cap never raises"
