"""Combine traceback, SBFL and trace-file evidence into a ranked list of suspicious lines.

Evidence is merged with a noisy-or, 1 - prod(1 - w * s): each source can on its own make
a line suspicious, agreement between sources pushes it higher, and the result stays in
[0, 1]. A crash site named by a traceback is strong evidence, but an assertion failure
leaves no project frame at all, which is where SBFL carries the ranking.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from repairbot.localize.sbfl import ochiai
from repairbot.types import Frame, Location, TestRun

# Weight of each evidence source in the noisy-or; SBFL is the noisiest signal.
WEIGHTS = {"traceback": 0.9, "sbfl": 0.8, "trace-file": 0.9}
# Each frame further up the stack from the deepest project frame counts this much less.
DECAY = 0.5
_SKIP_DIRS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__"})
_TEST_DIRS = frozenset({"tests", "test", "testing"})


def localize(
    root: Path,
    run: TestRun,
    *,
    trace_frames: Sequence[Frame] = (),
    include_tests: bool = False,
    limit: int = 50,
) -> tuple[Location, ...]:
    """The `limit` most suspicious project lines, best first (ties by file, then line).

    `run` supplies traceback frames of its failing tests and, if it was run with coverage,
    the per-test spectra for Ochiai. `trace_frames` is a traceback from elsewhere (a log of
    a production crash, say); its paths may come from another machine and are mapped onto
    the project by their longest matching path suffix.
    """
    project = _Project(Path(root), include_tests)
    evidence: dict[str, dict[tuple[str, int], float]] = {
        "traceback": _traceback_scores(
            ([project.local(f) for f in r.frames] for r in run.failing if r.frames), project
        ),
        "sbfl": {k: v for k, v in ochiai(run.results).items() if v > 0 and project.keep(k[0])},
        "trace-file": _traceback_scores([[project.foreign(f) for f in trace_frames]], project),
    }
    locations: dict[tuple[str, int], list[float]] = {}
    sources: dict[tuple[str, int], list[str]] = {}
    for source, scores in evidence.items():
        for key, score in scores.items():
            locations.setdefault(key, []).append(WEIGHTS[source] * min(1.0, score))
            sources.setdefault(key, []).append(source)
    ranked = []
    for key, parts in locations.items():
        miss = 1.0
        for p in parts:
            miss *= 1.0 - p
        ranked.append(Location(key[0], key[1], round(1.0 - miss, 9), tuple(sources[key])))
    ranked.sort(key=lambda loc: (-loc.score, loc.file, loc.line))
    return tuple(ranked[: max(0, limit)])


def _traceback_scores(
    stacks: Iterable[Sequence[tuple[str, int] | None]], project: _Project
) -> dict[tuple[str, int], float]:
    """Mean over stacks of DECAY ** (distance from the deepest project frame).

    Only stacks with at least one project frame count: an assertion failure in a test says
    nothing about where in the project the bug is, and must not dilute the crash sites.
    """
    totals: dict[tuple[str, int], float] = {}
    n = 0
    for stack in stacks:
        kept = [f for f in stack if f is not None and project.valid_line(*f)]
        if not kept:
            continue
        n += 1
        best: dict[tuple[str, int], float] = {}
        for depth, key in enumerate(reversed(kept)):
            best[key] = max(best.get(key, 0.0), DECAY**depth)
        for key, weight in best.items():
            totals[key] = totals.get(key, 0.0) + weight
    return {key: total / n for key, total in totals.items()} if n else {}


def project_paths(root: Path, include_tests: bool = False) -> _Project:
    """The path policy `localize` uses: `keep(rel)`, and `foreign(frame)` for a log's frames."""
    return _Project(Path(root), include_tests)


class _Project:
    """Path policy for one project root: what counts as project code, and where a path maps."""

    def __init__(self, root: Path, include_tests: bool):
        self.root = root.resolve()
        self.include_tests = include_tests
        self._keep: dict[str, bool] = {}
        self._venv: dict[Path, bool] = {}
        self._lines: dict[str, int] = {}
        self._by_name: dict[str, list[tuple[str, ...]]] | None = None

    def keep(self, rel: str) -> bool:
        """Project source worth repairing: not vendored, not a virtualenv, not a test (unless asked)."""
        cached = self._keep.get(rel)
        if cached is None:
            cached = self._keep[rel] = self._judge(rel)
        return cached

    def _judge(self, rel: str) -> bool:
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts:
            return False
        dirs, name = parts[:-1], parts[-1]
        if any(d in _SKIP_DIRS or d.startswith(".") for d in dirs):
            return False
        if not self.include_tests and _is_test_file(dirs, name):
            return False
        if any(self._is_venv(self.root.joinpath(*dirs[: i + 1])) for i in range(len(dirs))):
            return False
        return (self.root / rel).is_file()

    def _is_venv(self, path: Path) -> bool:
        cached = self._venv.get(path)
        if cached is None:
            cached = self._venv[path] = (path / "pyvenv.cfg").is_file()
        return cached

    def valid_line(self, rel: str, line: int) -> bool:
        """A frame from a stale or foreign copy of the code may point past the end of the file."""
        count = self._lines.get(rel)
        if count is None:
            try:
                with open(self.root / rel, "rb") as fh:
                    count = sum(1 for _ in fh)
            except OSError:  # per-file boundary: an unreadable file contributes nothing
                count = 0
            self._lines[rel] = count
        return 1 <= line <= count

    def local(self, frame: Frame) -> tuple[str, int] | None:
        """A frame recorded by our plugin: root-relative if in the project, absolute if not."""
        path = Path(frame.file)
        if path.is_absolute():
            try:
                rel = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return None
        else:
            rel = path.as_posix()
        return (rel, frame.line) if self.keep(rel) else None

    def foreign(self, frame: Frame) -> tuple[str, int] | None:
        """A frame from another machine: pick the project file sharing the longest path suffix.

        A tie between equally long suffixes (two `util.py` in different packages and only the
        file name in common) is ambiguous, and guessing would plant false evidence.
        """
        if frame.file.startswith("<"):
            return None
        parts = tuple(p for p in frame.file.replace("\\", "/").split("/") if p not in ("", "."))
        if not parts:
            return None
        best: list[tuple[str, ...]] = []
        best_len = 0
        for candidate in self._files().get(parts[-1], ()):
            common = 0
            while common < min(len(parts), len(candidate)) and parts[-1 - common] == candidate[-1 - common]:
                common += 1
            if common > best_len:
                best, best_len = [candidate], common
            elif common == best_len:
                best.append(candidate)
        if len(best) != 1:
            return None
        rel = "/".join(best[0])
        return (rel, frame.line) if self.keep(rel) else None

    def _files(self) -> dict[str, list[tuple[str, ...]]]:
        if self._by_name is None:
            self._by_name = {}
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if not d.startswith(".")
                    and d not in _SKIP_DIRS
                    and not (Path(dirpath, d) / "pyvenv.cfg").is_file()
                )
                rel_dir = Path(dirpath).relative_to(self.root).parts
                for name in filenames:
                    if name.endswith(".py"):
                        self._by_name.setdefault(name, []).append((*rel_dir, name))
        return self._by_name


def _is_test_file(dirs: Sequence[str], name: str) -> bool:
    return (
        any(d in _TEST_DIRS for d in dirs)
        or name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )
