"""The README's demo: build the fixture repositories, mine one, show its patterns, fix its bug.

Runs on a copy of the bundled `inventory` repository so the demo itself never touches
anything but fixtures/repos/build/ and .repairbot/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "repos"))

import build  # noqa: E402


def step(title: str, *args: str) -> int:
    print(f"\n$ repairbot {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "repairbot.cli", *args], cwd=ROOT)


def main() -> int:
    repos = build.ensure_built(ROOT / "fixtures" / "repos" / "build")
    name = build.REPOS[0]
    work = ROOT / ".repairbot" / "demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    project = work / name
    shutil.copytree(repos[name], project, symlinks=True)
    patterns = work / f"{name}-patterns.json"
    print(f"Demo repository: {project} (a copy of the fixture '{name}', with a real fix history and one failing test)")
    if step("mine", "mine", str(project), "--out", str(patterns), "--jobs", "2") != 0:
        return 1
    if step("patterns", "patterns", "list", "--patterns", str(patterns)) != 0:
        return 1
    code = step("fix", "fix", str(project), "--patterns", str(patterns))
    print("\nThe tree was not modified (no --apply). Try: "
          f".venv/bin/repairbot fix {project} --patterns {patterns} --apply")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
