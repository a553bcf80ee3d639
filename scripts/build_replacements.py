"""Rebuild `patterns/replacements.json`: token replacements made in several of the library's
source projects (repairbot/mining/replacements.py), from `patterns/sources.txt`.

    python scripts/build_replacements.py --mirrors DIR [--jobs 2] [--out patterns/replacements.json]

DIR holds the clones as for scripts/build_library.py. Each project's history up to its recorded
commit is read with `git log -p -U0`; only counts of token replacements and commit ids are written,
nothing of the projects' code beyond those tokens. The same sources give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_library import find_mirror, read_sources, short_name  # noqa: E402

from repairbot.mining.replacements import MIN_COMMITS, MIN_PROJECTS, ProjectChanges, merge, mine, to_json  # noqa: E402


def one(args: tuple[str, str]) -> ProjectChanges:
    repo, rev_range = args
    return ProjectChanges().add(mine(repo, rev_range))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--sources", type=Path, default=ROOT / "patterns" / "sources.txt")
    ap.add_argument("--out", type=Path, default=ROOT / "patterns" / "replacements.json")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-projects", type=int, default=MIN_PROJECTS)
    ap.add_argument("--min-commits", type=int, default=MIN_COMMITS)
    ap.add_argument("--clone", action="store_true", help="clone a missing source (network)")
    args = ap.parse_args(argv)
    sources = read_sources(args.sources)
    work = [(str(find_mirror(args.mirrors, url, args.clone)), rng or commit) for url, commit, rng in sources]
    t0 = time.perf_counter()
    if args.jobs <= 1:
        got = [one(w) for w in work]
    else:
        with ProcessPoolExecutor(args.jobs) as pool:
            got = list(pool.map(one, work))
    projects = {short_name(url): pc for (url, _, _), pc in zip(sources, got)}
    table, changed = merge(projects, args.min_projects, args.min_commits)
    data = to_json(table, changed, [f"{short_name(u)}@{c}" for u, c, _ in sources], args.min_projects,
                   args.min_commits)
    args.out.write_text(json.dumps(data, indent=None, separators=(",", ":"), sort_keys=True) + "\n", "utf-8")
    print(f"{len(table)} replacements from {len(projects)} projects in {time.perf_counter() - t0:.1f}s"
          f" -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
