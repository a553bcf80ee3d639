"""Isolated copies of the project: candidates are tried there, never in the user's tree.

One copy per worker is made once and reused: a candidate overwrites one file, the tests
run, and the original bytes are put back before the next candidate.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from repairbot.scratch import scratch_dir

IGNORE = shutil.ignore_patterns(".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "*.pyc",
                                ".repairbot", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache",
                                "node_modules", "*.egg-info")


class Workspace:
    def __init__(self, root: Path, base: Path) -> None:
        self.root = Path(root)
        self.path = base / "project"
        shutil.copytree(self.root, self.path, ignore=IGNORE, symlinks=True)

    @contextmanager
    def patched(self, rel: str, new_source: str) -> Iterator[Path]:
        """The copy with one file replaced; restored on exit, whatever happens."""
        target = self.path / rel
        original = target.read_bytes()
        try:
            write_atomic(target, new_source.encode("utf-8"))
            yield self.path
        finally:
            write_atomic(target, original)


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers never see a torn file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".rbtmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            shutil.copymode(path, tmp)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def workspaces(root: Path, n: int) -> Iterator[list[Workspace]]:
    with scratch_dir("repairbot-ws-") as tmp:
        out = []
        for i in range(n):
            base = Path(tmp) / str(i)
            base.mkdir()
            out.append(Workspace(root, base))
        yield out
