"""Mining speed and memory beside two floors measured in the same run.

    python benchmarks/mine_bench.py PATH/TO/REPO [--jobs 2]

Floors, over exactly the blobs the miner reads (the .py files changed by the selected fix
commits): (a) reading them with git alone (one `git cat-file --batch`), (b) reading them and
parsing every before/after file whole with libcst in one process. Mining runs as the real CLI
in a subprocess; peak RSS is that of its largest process (main or worker).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from repairbot.config import MineConfig  # noqa: E402
from repairbot.mining.history import open_repo, skip_reason, walk  # noqa: E402
from repairbot.mining.miner import decode  # noqa: E402
from repairbot.tree import PARSE_ERRORS  # noqa: E402


def selected_blobs(path: str) -> tuple[int, int, list[str]]:
    cfg = MineConfig()
    fix_re = cfg.fix_regex()
    repo = open_repo(path)
    commits = fixes = 0
    blobs: list[str] = []
    for c in walk(repo, None):
        commits += 1
        if skip_reason(c, cfg, fix_re):
            continue
        fixes += 1
        for ch in c.changes:
            if ch.path.endswith(".py") and ch.status not in ("A", "D"):
                blobs += [ch.old_blob, ch.new_blob]
    return commits, fixes, blobs


def read_with_git(path: str, blobs: list[str]) -> list[bytes]:
    proc = subprocess.run(["git", "--git-dir", open_repo(path).git_dir, "cat-file", "--batch"],
                          input="\n".join(blobs).encode() + b"\n", capture_output=True, check=True)
    out, data, pos = [], proc.stdout, 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        size = int(data[pos:nl].split()[2])
        out.append(data[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    commits, fixes, blobs = selected_blobs(args.repo)
    t = time.perf_counter()
    contents = read_with_git(args.repo, blobs)
    floor_a = time.perf_counter() - t

    # The same collector setting the miner's workers use, so the floor is not handicapped.
    gc.set_threshold(100_000, 50, 100)
    t = time.perf_counter()
    parsed = failed = 0
    total_bytes = 0
    for data in read_with_git(args.repo, blobs):
        text = decode(data)
        if text is None or len(data) > MineConfig().max_file_bytes:
            failed += 1
            continue
        total_bytes += len(data)
        try:
            cst.parse_module(text)
            parsed += 1
        except PARSE_ERRORS:
            failed += 1
    floor_b = time.perf_counter() - t

    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "repairbot.cli", "mine", args.repo, "--jobs", str(args.jobs),
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    mining = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    result = json.loads(proc.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"repository            {args.repo}")
    print(f"commits               {commits}  ({commits / mining:.0f} commits/s mined)")
    print(f"fix commits           {result['fix_commits']}")
    print(f"edits                 {result['edits']}")
    print(f"patterns              {len(result['patterns'])}")
    print(f"mining (--jobs {args.jobs})     {mining:.1f} s   peak RSS {peak_mb:.0f} MB")
    print(f"floor (a) git read    {floor_a:.2f} s   ({len(contents)} blobs, {sum(map(len, contents)) / 1e6:.1f} MB)")
    print(f"floor (b) + libcst    {floor_b:.1f} s   ({parsed} files parsed whole, {failed} unparsable or too large,"
          f" {total_bytes / 1e6 / max(floor_b, 1e-9):.2f} MB/s)")
    print(f"mining / floor (b)    {mining / floor_b:.2f}x")
    assert fixes == result["fix_commits"], "the benchmark selected other commits than the miner"
    return 0


if __name__ == "__main__":
    sys.exit(main())
