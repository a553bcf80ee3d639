"""Getafix-style time-split accuracy of `repairbot suggest` on held-out repositories.

    PYTHONPATH=. python benchmarks/accuracy_bench.py MIRROR [MIRROR...] [--split-fraction 0.8 |
        --split-date YYYY-MM-DD] [--library FILE... | --no-library] [--jobs N] [--max-fixes N]
        [--cache DIR] [--format text|json]

For each repository: mine its history up to the split (`repairbot.mining.miner.mine`, the same
code as `repairbot mine`), collect every later single-statement fix commit (`heldout_fixes.py`
defines it and counts every skip), and at the changed line of the parent revision run
`repairbot.matching.candidates.suggest` (the function `repairbot suggest` calls) with the
mined patterns alone and with the mined patterns plus the library. A prediction is a hit at
rank k when the k-th suggestion's file equals the human's after file as normalised code.
Time per prediction is the `suggest` call (parse, match, instantiate, rank) for the top 5 (the
command's default), timed apart from the deeper call that finds ranks down to 50, beside a floor
measured on the same files: parsing the file once with libcst. Each timed call runs `--repeat`
times (default 3) and the fastest counts, for the floor alike: on a shared machine one run's p95
swings by 15% or more with the neighbours' load.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import pickle
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import git
import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout_fixes  # noqa: E402
from heldout_fixes import HeldOutFix, code_tokens, later_fixes, normalised, split_commit, words  # noqa: E402

from repairbot.config import MineConfig  # noqa: E402
from repairbot.matching import replacements  # noqa: E402
from repairbot.matching.candidates import suggest  # noqa: E402
from repairbot.matching.match import Compiled, UnreadableFile, compile_pattern  # noqa: E402
from repairbot.matching.region import statements_around  # noqa: E402
from repairbot.mining.history import RepoError, git_failure, open_repo  # noqa: E402
from repairbot.mining.miner import mine  # noqa: E402
from repairbot.pattern import store  # noqa: E402
from repairbot.pattern.kinds import KIND_LABELS  # noqa: E402
from repairbot.tree import PARSE_ERRORS  # noqa: E402
from repairbot.types import Pattern  # noqa: E402

TOP = 5
COVERAGE_DEPTH = 50  # how deep to look for the human fix when reporting "anywhere" (diagnostic)


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top5: int = 0
    anywhere: int = 0
    no_candidate: int = 0

    def add(self, rank: int | None, found_at: int | None, n_candidates: int) -> None:
        self.n += 1
        self.top1 += rank == 1
        self.top5 += rank is not None and rank <= TOP
        self.anywhere += found_at is not None
        self.no_candidate += n_candidates == 0


@dataclass
class ConfigResult:
    overall: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    repos: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    subsets: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    seconds: list[float] = field(default_factory=list)  # suggest --top 50 (the depth ranks are read to)
    seconds_top5: list[float] = field(default_factory=list)  # suggest --top 5, the command's default
    per_pattern: Counter[tuple[str, str]] = field(default_factory=Counter)


def _mined(path: str, split: str, jobs: int, cache: Path | None) -> list[Pattern]:
    name = Path(path).resolve().as_posix().replace("/", "_")
    hit = cache / f"{name}-{split[:12]}.json" if cache else None
    if hit is not None and hit.is_file():
        return store.load(hit)
    res = mine(path, split, jobs=jobs)
    if hit is not None:
        store.save(hit, res.patterns, {"repo": path, "split": split})
    return list(res.patterns)


def _later_fixes(repo, mirror: str, name: str, split: str, cfg: MineConfig,
                 cache: Path | None) -> tuple[list[HeldOutFix], Counter[str], int]:
    """`later_fixes`, kept in the cache beside the mined patterns (replaying history is slow);
    the key includes the selection code, so a changed rule never reads stale fixes."""
    code = hashlib.sha256(Path(heldout_fixes.__file__).read_bytes()).hexdigest()[:12]
    key = Path(mirror).resolve().as_posix().replace("/", "_")
    hit = cache / f"{key}-{split[:12]}-fixes-{code}.pickle" if cache else None
    if hit is not None and hit.is_file():
        return pickle.loads(hit.read_bytes())
    got = later_fixes(repo, name, split, cfg)
    if hit is not None:
        hit.parent.mkdir(parents=True, exist_ok=True)
        hit.write_bytes(pickle.dumps(got))
    return got


def _rank_of(fix: HeldOutFix, sources: list[str]) -> int | None:
    for i, src in enumerate(sources):
        if code_tokens(src) != fix.after_tokens:
            continue  # cheap necessary condition before parsing
        try:
            if normalised(src) == fix.after_key:
                return i + 1
        except PARSE_ERRORS:
            continue
    return None


def fastest(call: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def _predict(fix: HeldOutFix, path: Path, compiled: list[Compiled],
             per_pattern: Counter[tuple[str, str]] | None = None,
             timings: list[float] | None = None,
             listing: list[dict] | None = None, repeat: int = 1) -> tuple[int | None, int | None, int, float]:
    """(rank in the top 5, rank in the first 50, candidates, seconds). `per_pattern` counts, for
    each built-in pattern, its candidates among the first 50 and those that are the human fix;
    `listing` gets one row per candidate among the first 50 (for fitting the ranking)."""
    t0 = time.perf_counter()
    cands = suggest(path, fix.line, compiled, top=COVERAGE_DEPTH)
    dt = time.perf_counter() - t0
    if timings is not None:
        timings.append(fastest(lambda: suggest(path, fix.line, compiled, top=TOP), repeat))
    sources = [c.new_source for c in cands]
    rank = _rank_of(fix, sources[:TOP])
    found = rank if rank is not None else _rank_of(fix, sources[TOP:])
    if found is not None and rank is None:
        found += TOP
    if listing is not None:
        by_id = {c.pattern.id: c.pattern for c in compiled}
        for i, c in enumerate(cands):
            p = by_id[c.pattern_id]
            listing.append({"pattern": p.name if p.origin == "builtin" else p.id, "origin": p.origin,
                            "prior": c.prior, "line": c.line, "hit": found == i + 1,
                            "change": [ln for ln in c.diff.splitlines()
                                       if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]})
    if per_pattern is not None:
        names = {c.pattern.id: c.pattern.name for c in compiled if c.pattern.origin == "builtin"}
        for i, c in enumerate(cands):
            if c.pattern_id in names:
                per_pattern[(names[c.pattern_id], "proposed")] += 1
                per_pattern[(names[c.pattern_id], "human")] += found == i + 1
    return rank, found, len(cands), dt


_HOLE_NAME = re.compile(r"^[hc]\d+$")
CODE = "code changes (not text-only)"
REACH = "within reach of the patterns"


def vocabulary(patterns: list[Pattern]) -> set[str]:
    """Words a candidate can bring that the file lacks: the concrete identifiers and literals of
    the patterns' after templates (holes excluded)."""
    out: set[str] = set()
    for p in patterns:
        if not p.guard:
            out |= {w for w in words(p.after) if not _HOLE_NAME.match(w)}
    return out


def within_reach(fix: HeldOutFix, before_words: set[str], vocab: set[str], ops: set[str]) -> bool:
    """An upper bound on any candidate of these patterns: every word the human fix adds is in a
    template, or is an integer one away from one in the file (the int_step operator). Candidates
    only rearrange the file's own words and add template words, so a fix that needs new text (a
    new message, name or number) cannot be predicted; one within reach may still be missed."""
    def ok(w: str) -> bool:
        if w in vocab:
            return True
        if "int_step" in ops and w.isdigit():
            return any(str(int(w) + d) in before_words for d in (-1, 1))
        return False
    return all(ok(w) for w in fix.new_words)


def leave_out(library: list[Pattern], name: str, min_commits: int = 2) -> list[Pattern]:
    """The library as if `name` (owner+repo) had not been one of its sources: a learned pattern
    stays only if its other support still meets the library's rule (>= 2 projects and
    `min_commits` commits, as `scripts/build_library.py` keeps them). Built-ins stay."""
    repo = name.replace("+", "/")
    out = []
    for p in library:
        if p.origin == "builtin" or not p.commit_repos:
            out.append(p)
            continue
        others = [r for r in p.commit_repos if r != repo]
        if len(set(others)) >= 2 and len(others) >= min_commits:
            out.append(p)
    return out


def _pct(a: int, n: int) -> str:
    return f"{100 * a / n:.1f}%" if n else "-"


def _ms(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return 1000 * s[min(len(s) - 1, int(q * len(s)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mirrors", nargs="+")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--split-date")
    g.add_argument("--split-fraction", type=float, default=0.8)
    ap.add_argument("--library", type=Path, nargs="*", help="library files (default: the shipped patterns/)")
    ap.add_argument("--no-library", action="store_true", help="only the patterns mined before the split")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--max-fixes", type=int, default=0, help="at most N fixes per repository (0: all)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="time each prediction (and the floor) this many times and keep the fastest (default 3)")
    ap.add_argument("--cache", type=Path, help="keep mined pattern sets here between runs")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--misses", type=Path, help="write every evaluated fix and its rank here (JSON lines)")
    ap.add_argument("--library-only", action="store_true",
                    help="do not mine: predict with the library alone (fast; for the development set)")
    ap.add_argument("--per-pattern", action="store_true",
                    help="print each built-in pattern's candidates among the first 50 and how many were the "
                         "human fix (the measurement behind the built-ins' scores)")
    ap.add_argument("--candidates", type=Path,
                    help="write each fix's first 50 candidates here (JSON lines: pattern, prior, whether it "
                         "was the human fix, the flagged statement's kind), to fit the ranking on")
    ap.add_argument("--leave-out", action="store_true",
                    help="for each repository, drop the library's support from it first (evaluating on a "
                         "library source repository without leaking its own fixes)")
    args = ap.parse_args(argv)
    if args.library_only and args.no_library:
        ap.error("--library-only needs the library")

    lib_files = [] if args.no_library else (args.library if args.library is not None else store.library_paths())
    library = store.load_many(lib_files)
    configs = {} if args.library_only else {"mined only": False}
    if lib_files:
        configs["library only" if args.library_only else "mined + library"] = True
    results = {c: ConfigResult() for c in configs}
    floor: list[float] = []
    repos_out = []
    log = args.misses.open("w") if args.misses else None
    listing = args.candidates.open("w") if args.candidates else None
    cfg = MineConfig()
    unreadable: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rb-acc-") as tmp:
        for mirror in args.mirrors:
            try:
                name, mined, fixes, repo_row = _prepare(mirror, args, cfg)
            except RepoError as e:  # a broken clone: say so and go on with the others
                print(f"accuracy_bench: skipped: {e}", file=sys.stderr)
                unreadable.append(str(e))
                continue
            repos_out.append(repo_row)
            lib = leave_out(library, name) if args.leave_out else library
            replacements.leave_out(name.replace("+", "/") if args.leave_out else None)
            pattern_sets = {c: mined + (lib if use_lib else []) for c, use_lib in configs.items()}
            compiled_sets = {c: [compile_pattern(p) for p in ps] for c, ps in pattern_sets.items()}
            vocabs = {c: (vocabulary(ps), {p.guard for p in ps if p.guard}) for c, ps in pattern_sets.items()}
            for fix in fixes:
                row = _evaluate(fix, name, Path(tmp), compiled_sets, vocabs, results, floor, listing is not None,
                                max(1, args.repeat))
                if log:
                    log.write(json.dumps({k: v for k, v in row.items() if k != "listing"}) + "\n")
                if listing:
                    listing.write(json.dumps({"repo": name, "commit": fix.commit, "line": fix.line,
                                              "statement": _statement(fix),
                                              "candidates": row.get("listing", [])}) + "\n")
    for f in (log, listing):
        if f:
            f.close()
    _report(args, repos_out, results, floor, unreadable)
    return 0


def _prepare(mirror: str, args: argparse.Namespace, cfg: MineConfig) -> tuple[str, list[Pattern],
                                                                             list[HeldOutFix], dict]:
    """Mine up to the split and collect the later fixes. Raises RepoError for a broken clone."""
    repo = open_repo(mirror)
    try:
        name = Path(mirror).resolve().parent.name if Path(mirror).name == "repo" else Path(mirror).name
        split = split_commit(repo, args.split_date, None if args.split_date else args.split_fraction)
        t0 = time.perf_counter()
        mined = [] if args.library_only else _mined(mirror, split, args.jobs, args.cache)
        mine_s = time.perf_counter() - t0
        try:
            fixes, skips, considered = _later_fixes(repo, mirror, name, split, cfg, args.cache)
        except git.GitCommandError as e:
            raise RepoError(f"{mirror}: git cannot read its history: {git_failure(e)}") from None
        if args.max_fixes:
            fixes = fixes[: args.max_fixes]
        row = {"repo": name, "split": split, "split_date": repo.commit(split).committed_datetime.date().isoformat(),
               "mined_patterns": len(mined), "mine_seconds": round(mine_s, 1), "commits_after_split": considered,
               "kept": len(fixes), "skipped": dict(skips.most_common())}
    finally:
        repo.close()
    print(f"{name}: split {split[:10]}, {len(mined)} mined patterns, {considered} later commits, "
          f"{len(fixes)} single-statement fixes", file=sys.stderr)
    return name, mined, fixes, row


def _evaluate(fix: HeldOutFix, name: str, tmp: Path, compiled_sets: dict[str, list[Compiled]],
              vocabs: dict[str, tuple[set[str], set[str]]], results: dict[str, ConfigResult],
              floor: list[float], list_candidates: bool = False, repeat: int = 1) -> dict:
    """Predict at one held-out fix with every configuration; tallies it and returns its log row."""
    path = tmp / Path(fix.file).name
    path.write_text(fix.before_source, encoding="utf-8", newline="")
    floor.append(fastest(lambda: cst.parse_module(fix.before_source), repeat))
    before_words = words(fix.before_source)
    row: dict = {"repo": name, "commit": fix.commit, "file": fix.file, "line": fix.line, "kind": fix.kind,
                 "before": fix.before_stmt, "after": fix.after_stmt}
    for c, compiled in compiled_sets.items():
        try:
            listing: list[dict] | None = [] if list_candidates else None
            rank, found, n, dt = _predict(fix, path, compiled, results[c].per_pattern, results[c].seconds_top5,
                                          listing, repeat)
            if listing is not None:
                row["listing"] = listing  # the last configuration's (the library's, when used)
        except UnreadableFile:
            rank, found, n, dt = None, None, 0, 0.0
        r = results[c]
        reach = within_reach(fix, before_words, *vocabs[c])
        tallies = [r.overall, r.kinds[fix.kind], r.repos[name]]
        tallies += [r.subsets[CODE]] if not fix.text_only else []
        tallies += [r.subsets[REACH]] if reach else []
        for t in tallies:
            t.add(rank, found, n)
        r.seconds.append(dt)
        row[c] = {"rank": rank, "found_at": found, "candidates": n, "within_reach": reach, "ms": round(1000 * dt, 1)}
    row["text_only"], row["new_words"] = fix.text_only, list(fix.new_words)
    return row


def _statement(fix: HeldOutFix) -> str:
    """The flagged line's innermost statement kind (`Assign`, `If`, `Def` for a def header,
    `Call` for a call statement). Session 5 tried priors per (pattern, statement kind) fitted on
    these listings: left one repository out, they ranked no better than the global priors."""
    try:
        around = statements_around(ast.parse(fix.before_source), fix.line)
    except (SyntaxError, ValueError):
        return "Module"
    if not around:
        return "Module"
    s = around[-1]
    if isinstance(s, ast.Expr):
        return "Call" if isinstance(s.value, ast.Call) else "Expr"
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "Def"
    return type(s).__name__.replace("Async", "")


def _tally_json(t: Tally) -> dict[str, object]:
    return {"n": t.n, "top1": t.top1, "top5": t.top5, "top1_rate": round(t.top1 / t.n, 4) if t.n else None,
            "top5_rate": round(t.top5 / t.n, 4) if t.n else None, f"top{COVERAGE_DEPTH}": t.anywhere,
            "no_candidate": t.no_candidate}


def _report(args: argparse.Namespace, repos_out: list[dict], results: dict[str, ConfigResult],
            floor: list[float], unreadable: list[str]) -> None:
    if args.format == "json":
        print(json.dumps({"repos": repos_out, "unreadable_repos": unreadable, "floor_ms": {"median": _ms(floor, 0.5), "p95": _ms(floor, 0.95)},
                          "configs": {c: {"overall": _tally_json(r.overall),
                                          "kinds": {k: _tally_json(v) for k, v in sorted(r.kinds.items())},
                                          "repos": {k: _tally_json(v) for k, v in sorted(r.repos.items())},
                                          "subsets": {k: _tally_json(v) for k, v in sorted(r.subsets.items())},
                                          "per_pattern": {f"{k}\t{what}": v for (k, what), v in sorted(r.per_pattern.items())},
                                          "ms_per_prediction": {"median": _ms(r.seconds_top5, 0.5),
                                                                "p95": _ms(r.seconds_top5, 0.95)},
                                          "ms_per_prediction_top50": {"median": _ms(r.seconds, 0.5),
                                                                      "p95": _ms(r.seconds, 0.95)}}
                                      for c, r in results.items()}}, indent=2))
        return
    print("repository        split       mined  later  kept  skipped (why)")
    for r in repos_out:
        why = ", ".join(f"{k} {v}" for k, v in list(r["skipped"].items())[:6])
        print(f"{r['repo'][:17]:17} {r['split_date']}  {r['mined_patterns']:5}  {r['commits_after_split']:5}"
              f"  {r['kept']:4}  {why}")
    for e in unreadable:
        print(f"skipped (unreadable): {e}")
    names = list(results)
    print()
    head = f"{'fix kind':40} {'n':>4}" + "".join(f"  {c + ' top-1':>22} {'top-5':>12}" for c in names)
    print(head)
    kinds = Counter({k: v.n for k, v in results[names[0]].kinds.items()})
    for k in [k for k in KIND_LABELS if kinds[k]] + ["overall", CODE]:
        line = f"{KIND_LABELS.get(k, k)[:40]:40} "
        for i, c in enumerate(names):
            r = results[c]
            t = r.overall if k == "overall" else r.subsets[k] if k == CODE else r.kinds[k]
            if i == 0:
                line += f"{t.n:>4}"
            line += f"  {f'{t.top1} ({_pct(t.top1, t.n)})':>22} {f'{t.top5} ({_pct(t.top5, t.n)})':>12}"
        print(line)
    print()
    for c in names:
        r = results[c]
        print(f"{c}: human fix among the first {COVERAGE_DEPTH} candidates {r.overall.anywhere}/{r.overall.n}, "
              f"no candidate at all {r.overall.no_candidate}/{r.overall.n}; per repository top-5: "
              + ", ".join(f"{k} {v.top5}/{v.n}" for k, v in sorted(r.repos.items())))
    print()
    for c in names:
        t, n = results[c].subsets[REACH], results[c].overall.n
        print(f"{c}: within reach (every word the human fix adds is in a pattern's template or an integer +/-1 of "
              f"the file's): {t.n}/{n}; of those, top-1 {t.top1} ({_pct(t.top1, t.n)}), top-5 {t.top5} "
              f"({_pct(t.top5, t.n)})")
    if args.per_pattern:
        for c in names:
            pp = results[c].per_pattern
            print(f"\n{c}: built-in pattern, candidates among the first {COVERAGE_DEPTH}, of which the human fix")
            for name in sorted({k for k, _ in pp}, key=lambda k: (-pp[(k, "proposed")], k)):
                print(f"  {name[:50]:50} {pp[(name, 'proposed')]:6} {pp[(name, 'human')]:4}")
    print()
    print(f"time per prediction (median / p95): floor, libcst parse of the file once: "
          f"{_ms(floor, 0.5):.1f} / {_ms(floor, 0.95):.1f} ms")
    for c in names:
        r = results[c]
        print(f"  suggest --top 5 (the default), {c}: {_ms(r.seconds_top5, 0.5):.1f} / "
              f"{_ms(r.seconds_top5, 0.95):.1f} ms; --top 50: {_ms(r.seconds, 0.5):.1f} / {_ms(r.seconds, 0.95):.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
