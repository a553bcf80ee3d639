"""The seeded bugs of the fixture projects, shared by fix_bench.py and calibrate.py.

Each fixture repository's checked-in bug, plus every fix from its history that came with a
test, re-introduced at the head (the checked-in bug fixed) when that makes a test fail.
Patterns: the shipped library plus what `repairbot mine` learns from the repository's history.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures" / "repos"))

import build  # noqa: E402

from repairbot.mining.miner import mine  # noqa: E402
from repairbot.pattern import store  # noqa: E402
from repairbot.types import Pattern  # noqa: E402


def seeded_bugs(work: Path) -> Iterator[tuple[str, Path, tuple[str, ...], tuple[str, ...], list[Pattern]]]:
    """(label, project, buggy lines, fixed lines, patterns) for every seeded bug, built under `work`."""
    repos = build.build_all(work / "repos")
    library = store.load_many(store.library_paths())
    for name, path in repos.items():
        patterns = library + list(mine(str(path)).patterns)
        head = work / "seeds" / name
        shutil.copytree(path, head, symlinks=True)
        bug = build.CHECKED_IN_BUGS[name]
        target = head / bug["file"]
        target.write_text(target.read_text().replace(bug["buggy"], bug["fixed"], 1))
        base = work / "seeds" / f"{name}-base"
        shutil.copytree(head, base, symlinks=True)
        for label, project, buggy, fixed in seeds(name, path, base):
            yield label, project, buggy, fixed, patterns


def seeds(name: str, repo: Path, base: Path) -> list[tuple[str, Path, tuple[str, ...], tuple[str, ...]]]:
    """(label, project, buggy lines, fixed lines) for each seeded bug."""
    spec = build.SPECS[name]
    checked = build.CHECKED_IN_BUGS[name]
    out = [(f"{name}:{checked['kind']}@head", repo, (checked["buggy"],), (checked["fixed"],))]
    for bug in spec.bugs:
        if not bug.test:
            continue
        for path in sorted(base.rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            if f"def {bug.func}(" not in text or "tests" in path.parts:
                continue
            seeded = build.replace_in_function(text, bug.func, bug.fixed, bug.buggy)
            if seeded == text:
                continue
            dest = base.parent / f"{name}-{bug.func}"
            shutil.copytree(base, dest, symlinks=True)
            (dest / path.relative_to(base)).write_text(seeded)
            out.append((f"{name}:{bug.kind}:{bug.func}", dest, bug.buggy, bug.fixed))
            break
    return out


def intended(diff: str, buggy: tuple[str, ...], fixed: tuple[str, ...]) -> bool:
    removed = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    common = [ln for ln in buggy if ln.strip() in [f.strip() for f in fixed]]
    want_removed = [b.strip() for b in buggy if b not in common]
    want_added = [f.strip() for f in fixed if f not in common]
    return removed == want_removed and added == want_added
