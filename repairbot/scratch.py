"""Scratch folders for test runs and validation copies, and the sweep of ones left behind.

A repairbot killed with SIGKILL (or a machine losing power) cannot remove its scratch folders,
and copies of a project add up in /tmp. Each folder's name carries its owner's pid; every new
folder first removes the folders of its kind whose owner is dead. A folder whose pid is alive
(even if the pid was reused) is never touched, so concurrent runs are safe.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep(prefix: str, base: Path | None = None) -> int:
    """Remove `prefix<pid>-*` folders under `base` (the temp dir) owned by this user whose pid is
    dead. Returns how many were removed; errors (a folder going away meanwhile) are ignored."""
    base = Path(base or tempfile.gettempdir())
    pattern = re.compile(re.escape(prefix) + r"(\d+)-")
    removed = 0
    try:
        entries = list(os.scandir(base))
    except OSError:
        return 0
    for e in entries:
        m = pattern.match(e.name)
        if not m or not e.is_dir(follow_symlinks=False):
            continue
        try:
            if e.stat(follow_symlinks=False).st_uid != os.getuid() or _alive(int(m[1])):
                continue
        except OSError:
            continue
        shutil.rmtree(e.path, ignore_errors=True)
        removed += not os.path.exists(e.path)
    return removed


@contextmanager
def scratch_dir(prefix: str) -> Iterator[str]:
    """A temporary folder named after this process, removed on exit (and by a later sweep if the
    process dies first)."""
    sweep(prefix)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-") as tmp:
        yield tmp
