"""Scratch folders carry their owner's pid; folders of dead owners are swept, live ones never."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repairbot.scratch import scratch_dir, sweep


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_dead_owners_folders(tmp_path: Path):
    dead = tmp_path / f"repairbot-ws-{_dead_pid()}-abc"
    (dead / "0" / "pkg").mkdir(parents=True)
    (dead / "0" / "pkg" / "m.py").write_text("x = 1\n")
    alive = tmp_path / f"repairbot-ws-{os.getpid()}-def"
    alive.mkdir()
    other_kind = tmp_path / f"repairbot-run-{_dead_pid()}-ghi"
    other_kind.mkdir()
    unrelated = tmp_path / "repairbot-ws-notapid"
    unrelated.mkdir()
    assert sweep("repairbot-ws-", tmp_path) == 1
    assert not dead.exists()
    assert alive.exists() and other_kind.exists() and unrelated.exists()


def test_scratch_dir_is_named_after_this_process_and_removed_on_exit():
    with scratch_dir("repairbot-test-") as tmp:
        assert Path(tmp).name.startswith(f"repairbot-test-{os.getpid()}-") and Path(tmp).is_dir()
    assert not Path(tmp).exists()
