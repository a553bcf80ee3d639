"""Safeguards against cascading fixes, for patches repairbot writes itself (`fix --apply`).

- at most one bot patch in flight per file: a file with an applied patch that has no recorded
  outcome yet (merged, closed, edited) gets no other, so no patch is built on an unmerged one;
- a cap on applied patches per day (per run it is one: only the top patch is ever applied);
- after applying, the full suite runs once more in an isolated copy of the patched tree, and a
  test that passed before and fails now reverts the patch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from repairbot.audit import Journal
from repairbot.localize.runner import run_pytest
from repairbot.types import Patch
from repairbot.validate.workspace import workspaces, write_atomic

DAY = 24 * 3600.0


def refuse_reason(journal: Journal, file: str, max_per_day: int, now: float | None = None) -> str | None:
    """Why a patch to `file` must not be applied now, or None."""
    now = now or time.time()
    applied = [(at, data) for at, data in journal.applied_events()]
    recent = [1 for at, _ in applied if now - at < DAY]
    if len(recent) >= max_per_day:
        return f"daily cap reached: {len(recent)} patches applied in the last 24 h (max {max_per_day})"
    settled = journal.settled_fingerprints()
    for _, data in applied:
        if data.get("file_rel") == file and data.get("fingerprint") not in settled:
            return (f"{file} already has a bot patch in flight ({data.get('fingerprint')}); "
                    "record its outcome with `repairbot feedback` first")
    return None


def regressions_after_apply(root: Path, passing: Sequence[str], python: str, tests: Sequence[str],
                            per_test_timeout: float) -> list[str]:
    """Previously passing tests that fail on the patched tree (run in an isolated copy)."""
    with workspaces(root, 1) as (ws,):
        run = run_pytest(ws.path, tests, python=python, per_test_timeout=per_test_timeout)
    now_failing = {r.nodeid for r in run.failing}
    if run.collect_error:
        return [f"collection: {run.collect_error}"]
    return sorted(now_failing & set(passing))


def revert(root: Path, patch: Patch) -> bool:
    """Put the file back as it was, if it is still exactly what the patch wrote."""
    c = patch.validation.candidate
    path = root / c.file
    if path.read_bytes().decode("utf-8", "surrogateescape") != c.new_source:
        return False
    write_atomic(path, c.old_source.encode("utf-8"))
    for t in patch.tests:  # the regression tests the patch brought would now fail
        test = root / t.path
        if t.reproduces and test.is_file() and test.read_text("utf-8", "replace") == t.source:
            test.unlink()
    return True
