"""`repairbot check` speed beside the libcst floor, measured in the same run.

    python benchmarks/check_bench.py TREE [--patterns FILE...] [--no-library] [--jobs N] [--plain]

TREE: a directory of real Python (the figures in the README use about 200,000 lines). The
floor is libcst alone: read and `libcst.parse_module` every file `check` would read, one
process (wall and CPU time: on a shared machine CPU time is the steadier figure). Then the real CLI runs in a subprocess (interpreter start-up included): whole files
with `--jobs 1` and `--jobs N`, `--plain` adds `--no-prefilter` (every file parsed whole), and
`--base` on a copy of the tree made a git repository with two small changes. The pattern set is
the shipped library (unless --no-library) plus every --patterns file, as for `repairbot check`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from repairbot.deliver.check import precision, python_files  # noqa: E402
from repairbot.pattern import store  # noqa: E402
from repairbot.tree import PARSE_ERRORS  # noqa: E402


def floor(tree: Path, files: list[str]) -> tuple[float, float, int, int, int, int]:
    """Wall and CPU seconds to read and parse every file with libcst; lines, bytes, undecodable,
    unparsable."""
    lines = size = undecodable = unparsable = 0
    start, cpu = time.perf_counter(), time.process_time()
    for rel in files:
        data = (tree / rel).read_bytes()
        size += len(data)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            undecodable += 1
            continue
        lines += source.count("\n")
        try:
            cst.parse_module(source)
        except PARSE_ERRORS:
            unparsable += 1
    return time.perf_counter() - start, time.process_time() - cpu, lines, size, undecodable, unparsable


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_check(path: Path, args: list[str], pattern_args: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (all its processes) and the JSON report of one CLI run."""
    cmd = [sys.executable, "-m", "repairbot.cli", "check", str(path), "--format", "json", *args, *pattern_args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return seconds, cpu, json.loads(proc.stdout)


def base_copy(tree: Path, files: list[str], work: Path) -> tuple[Path, int]:
    """The tree's Python files in a fresh git repository, then two small edits: a new function in
    one file and a changed line in another. Returns the copy and the changed line count."""
    repo = work / "repo"
    for rel in files:
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / rel, dest)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    first, second = repo / files[0], repo / files[len(files) // 2]
    with first.open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _bench_added(x):\n    if x == None:\n        return 0\n    return x.value\n")
    text = second.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)
    at = next((i for i, ln in enumerate(text) if ln.strip() and not ln.lstrip().startswith(("#", "@"))), 0)
    text.insert(at, "_bench_flag = None\n")
    second.write_text("".join(text), encoding="utf-8", errors="surrogateescape")
    return repo, 6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", type=Path)
    ap.add_argument("--patterns", type=Path, nargs="*", default=[])
    ap.add_argument("--no-library", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--min-confidence", type=float, default=0.5)
    ap.add_argument("--plain", action="store_true", help="also time --no-prefilter (slow)")
    args = ap.parse_args()
    tree = args.tree.resolve()
    files = python_files(tree)
    if not files:
        raise SystemExit(f"{tree}: no Python files")
    pattern_args = ["--min-confidence", str(args.min_confidence)] + (["--no-library"] if args.no_library else [])
    if args.patterns:
        pattern_args += ["--patterns", *map(str, args.patterns)]
    patterns = store.load_many(([] if args.no_library else store.library_paths()) + list(args.patterns))
    used = sum(1 for p in patterns if (precision(p) or -1) >= args.min_confidence)

    fl, fl_cpu, lines, size, undecodable, unparsable = floor(tree, files)
    print(f"tree: {tree}\n  {len(files)} files, {lines:,} lines, {size / 1e6:.1f} MB; "
          f"skipped by libcst: {undecodable} undecodable, {unparsable} unparsable")
    print(f"patterns: {len(patterns)} loaded, {used} precise enough for check (min confidence {args.min_confidence})")
    print(f"{'':<62}{'wall':>9}  {'vs floor':>9}  {'cpu':>8}  {'vs floor':>8}")
    print(f"{'floor: libcst.parse_module over every file, one process':<62}{fl:7.2f} s  {1:8.2f}x  "
          f"{fl_cpu:6.2f} s  {1:7.2f}x")

    rows = [("check, whole files, --jobs 1", ["--jobs", "1"]),
            (f"check, whole files, --jobs {args.jobs}", ["--jobs", str(args.jobs)])]
    if args.plain:
        rows.append(("check --no-prefilter, --jobs 1 (every file parsed whole)", ["--jobs", "1", "--no-prefilter"]))
    reference: dict | None = None
    for label, extra in rows:
        seconds, cpu, doc = run_check(tree, extra, pattern_args)
        same = "" if reference is None else ("  (same findings)" if doc == reference else "  (FINDINGS DIFFER)")
        reference = reference or doc
        print(f"{label:<62}{seconds:7.2f} s  {seconds / fl:8.2f}x  {cpu:6.2f} s  {cpu / fl_cpu:7.2f}x  "
              f"{len(doc['findings'])} findings, {len(doc['skipped'])} skipped{same}")

    with tempfile.TemporaryDirectory(prefix="check-bench-") as work:
        repo, changed = base_copy(tree, files, Path(work))
        seconds, cpu, doc = run_check(repo, ["--base", "HEAD", "--jobs", "1"], pattern_args)
        print(f"{'check --base HEAD (2 files, ' + str(changed) + ' lines changed), --jobs 1':<62}{seconds:7.2f} s  "
              f"{seconds / fl:8.2f}x  {cpu:6.2f} s  {cpu / fl_cpu:7.2f}x  "
              f"{doc['files']} files read, {len(doc['findings'])} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
