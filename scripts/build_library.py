"""Rebuild the shipped pattern library (`patterns/library/*.json`) from `patterns/sources.txt`.

    python scripts/build_library.py --mirrors DIR [--engine local|dask] [--jobs 2] [--cache DIR]

`sources.txt` lists each repository (URL), the exact commit mined and, for long histories, the
revision range. DIR holds git clones (bare or not) found as `DIR/owner+name/repo`,
`DIR/owner+name`, `DIR/name.git` or `DIR/name`; with `--clone` a missing one is cloned there
(network). Nothing from the projects is written: only patterns (templates, scores, provenance).

The library keeps patterns whose supporting commits come from at least two projects and number at
least `--min-commits`, that reproduce their examples, and that are specific enough to be useful:
rejection (unchanged matches over all projects' code at the mined commits, Getafix's measure of
over-generality) at most `--max-rejection`, and a before side with at least `--min-concrete`
concrete nodes. Each pattern's category is its fix kind (`repairbot/pattern/kinds.py`); one file
per kind. The same sources and code give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from repairbot.config import MineConfig  # noqa: E402
from repairbot.mining.engine import make_engine  # noqa: E402
from repairbot.mining.history import RepoError  # noqa: E402
from repairbot.mining.many import RepoSpec, check_specs, collect_all, merge  # noqa: E402
from repairbot.mining.miner import Collected  # noqa: E402
from repairbot.pattern import store  # noqa: E402
from repairbot.tree import PARSE_ERRORS, Tree, parse_template  # noqa: E402
from repairbot.types import EditKind, Pattern  # noqa: E402


def read_sources(path: Path) -> list[tuple[str, str, str | None]]:
    """(url, commit, rev range or None) per non-comment line."""
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            raise SystemExit(f"{path}:{n}: expected `url commit [rev-range]`")
        out.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return out


def short_name(url: str) -> str:
    """https://github.com/pallets/flask -> pallets/flask."""
    return "/".join(url.rstrip("/").removesuffix(".git").split("/")[-2:])


def find_mirror(mirrors: Path, url: str, clone: bool) -> Path:
    owner, name = short_name(url).split("/")
    for cand in (mirrors / f"{owner}+{name}" / "repo", mirrors / f"{owner}+{name}", mirrors / f"{name}.git",
                 mirrors / name):
        if cand.is_dir():
            return cand
    if not clone:
        raise SystemExit(f"no clone of {url} under {mirrors} (tried {owner}+{name}/repo, {name}.git, {name});"
                         " pass --clone to clone it")
    dest = mirrors / f"{owner}+{name}" / "repo"
    subprocess.run(["git", "clone", "--bare", "--quiet", url, str(dest)], check=True)
    return dest


def specs_from_sources(sources: Path, mirrors: Path, clone: bool) -> list[RepoSpec]:
    out = []
    for url, commit, rev_range in read_sources(sources):
        path = find_mirror(mirrors, url, clone)
        rng = rev_range or commit
        if not rng.endswith(commit):
            raise SystemExit(f"{url}: the range {rng} must end at the recorded commit {commit}")
        out.append(RepoSpec(str(path), rng, short_name(url), MineConfig()))
    return out


def code_version() -> str:
    """Cached edits are only reused by the code that made them."""
    h = hashlib.sha256()
    for rel in ("mining/history.py", "mining/regions.py", "mining/edits.py", "mining/lines.py", "mining/miner.py",
                "tree.py", "context.py", "config.py", "types.py"):
        h.update((ROOT / "repairbot" / rel).read_bytes())
    return h.hexdigest()[:12]


def collect_cached(specs: list[RepoSpec], engine: object, cache: Path | None) -> list[Collected]:
    version = code_version()

    def where(s: RepoSpec) -> Path | None:
        key = hashlib.sha256(f"{s.name}\0{s.rev_range}\0{version}".encode()).hexdigest()[:16]
        return cache / f"{s.name.replace('/', '+')}-{key}.pickle" if cache else None

    got: dict[int, Collected] = {}
    for i, s in enumerate(specs):
        f = where(s)
        if f and f.is_file():
            got[i] = pickle.loads(f.read_bytes())
    todo = [i for i in range(len(specs)) if i not in got]
    # Locally one repository at a time, so each is cached as soon as it is done; Dask takes all at once.
    batches = [todo] if getattr(engine, "name", "") == "dask" else [[i] for i in todo]
    for batch in batches:
        fresh = collect_all([specs[i] for i in batch], engine, progress=_progress,  # type: ignore[arg-type]
                            tag=True)
        for i, c in zip(batch, fresh):
            print(f"  collected {specs[i].name}: {len(c.edits)} edits in {c.seconds:.1f}s", file=sys.stderr,
                  flush=True)
            got[i] = c
            f = where(specs[i])
            if f:
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(pickle.dumps(c))
    return [got[i] for i in range(len(specs))]


def _progress(phase: str, done: int, total: int) -> None:
    print(f"  {phase}: {done}/{total}", file=sys.stderr, flush=True)


_IMPORTS = {"Import", "ImportFrom"}


def concrete(p: Pattern) -> int:
    return parse_template(p.before, "expr" if p.kind == EditKind.EXPR else "stmts").concrete


def not_a_code_fix(p: Pattern) -> bool:
    """Edits history calls fixes that no repair should propose: a string changed into another
    string (version bumps, messages, docs) and import edits that import from no new module
    (rearranged names, removed fallbacks). An import from a module the before side did not use
    stays: a moved module (`collections` -> `collections.abc`, `tomli` -> `tomllib`) is a fix."""
    from repairbot.pattern.kinds import text_only

    kind = "expr" if p.kind == EditKind.EXPR else "stmts"
    before, after = parse_template(p.before, kind), parse_template(p.after, kind)
    if any(t.kind in _IMPORTS for side in (before, after) for t in side.walk()):
        return not set(_imported_modules(after)) - set(_imported_modules(before))
    return text_only(before, after)


def _imported_modules(t: Tree) -> list[tuple]:
    """The modules a template's imports name (`from M import ...`, `import M`), in order."""
    out = []
    for n in t.walk():
        if n.kind == "ImportFrom":
            out += [c.key for f, c in zip(n.fields, n.children) if f == "module"]
        elif n.kind == "Import":  # each ImportAlias: its name, not its `as` name
            out += [c.children[0].key for c in n.children if c.children]
    return sorted(out)


def dedupe(patterns: list[Pattern]) -> list[Pattern]:
    """One pattern per structure: ids hash the printed templates, so the same pattern printed
    with other line breaks (from another cluster) has another id. The most supported stays."""
    best: dict[tuple, Pattern] = {}
    for p in sorted(patterns, key=lambda p: (-p.scores.support, -p.scores.commits, p.id)):
        kind = "expr" if p.kind == EditKind.EXPR else "stmts"
        key = (kind, parse_template(p.before, kind).key, parse_template(p.after, kind).key, p.context,
               p.at_block_end)
        best.setdefault(key, p)
    return sorted(best.values(), key=lambda p: p.id)


_NOT_CODE = re.compile(r"(^|/)(docs?/|conf\.py$|setup\.py$|noxfile\.py$|scripts?/)")


def only_tooling(p: Pattern) -> bool:
    """Every supporting file is project tooling (Sphinx conf, setup, release scripts), which
    related projects share by copy: such patterns are templates, not fixes."""
    return bool(p.files) and all(_NOT_CODE.search(f) for f in p.files)


def cheap_filters(p: Pattern, args: argparse.Namespace) -> bool:
    """What can be decided before scoring rejection at every head (which costs minutes)."""
    try:
        return (p.scores.commits >= args.min_commits and concrete(p) >= args.min_concrete
                and not not_a_code_fix(p) and not only_tooling(p))
    except (*PARSE_ERRORS, ValueError):
        return False  # a template that does not parse back would fail its examples anyway


def select(patterns: list[Pattern], args: argparse.Namespace) -> list[Pattern]:
    """The library's filters on the merged set (already >= 2 projects, reproducible, scored)."""
    from repairbot.pattern.kinds import classify

    keep = [p for p in patterns if p.scores.rejection <= args.max_rejection and cheap_filters(p, args)]
    keep = dedupe(keep)
    ids = {p.id for p in keep}
    out = []
    for p in keep:
        out.append(replace(p, category=classify(p), parent=p.parent if p.parent in ids else None))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, required=True, help="directory of clones (see above)")
    ap.add_argument("--sources", type=Path, default=ROOT / "patterns" / "sources.txt")
    ap.add_argument("--out", type=Path, default=ROOT / "patterns" / "library")
    ap.add_argument("--engine", choices=("local", "dask"), default="local")
    ap.add_argument("--scheduler", help="existing Dask scheduler address")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="keep each repository's edits here between runs")
    ap.add_argument("--clone", action="store_true", help="clone missing repositories (network)")
    ap.add_argument("--collect-only", action="store_true", help="stop after collecting edits (fills --cache)")
    ap.add_argument("--min-commits", type=int, default=2)
    ap.add_argument("--max-rejection", type=float, default=0.9)
    ap.add_argument("--min-concrete", type=int, default=2)
    ap.add_argument("--reselect", type=Path,
                    help="apply the filters again to a library built before (a directory of its files), no mining")
    args = ap.parse_args(argv)
    if args.reselect:
        lib = select([p for f in sorted(args.reselect.glob("*.json")) for p in store.load(f)], args)
        write(args.out, lib, args.sources)
        print(f"library: {len(lib)} patterns")
        return 0

    t0 = time.perf_counter()
    specs = specs_from_sources(args.sources, args.mirrors, args.clone)
    try:
        check_specs(specs)
        with make_engine(args.engine, args.jobs, args.scheduler) as engine:
            collected = collect_cached(specs, engine, args.cache)
            t1 = time.perf_counter()
            if args.collect_only:
                print(f"collected {sum(len(c.edits) for c in collected)} edits in {t1 - t0:.1f}s")
                return 0
            many = merge(specs, collected, engine, cfg=MineConfig(), min_projects=2, progress=_progress,
                         keep=lambda p: cheap_filters(p, args))
    except RepoError as e:
        print(f"build_library: {e}", file=sys.stderr)
        return 2
    lib = select(list(many.result.patterns), args)
    write(args.out, lib, args.sources)
    for r in many.repos:
        print(f"{r.name:32} {r.commits_seen:6} commits {r.fix_commits:5} fix commits {r.edits:5} edits "
              f"{r.seconds:7.1f}s")
    res = many.result
    print(f"total: {len(specs)} repositories, {res.commits_seen} commits, {res.fix_commits} fix commits, "
          f"{len(res.edits)} edits; collect {sum(c.seconds for c in collected):.1f}s (task time), merge "
          f"{res.seconds:.1f}s, wall {time.perf_counter() - t0:.1f}s")
    print(f"merged: {len(many.result.patterns)} patterns in >= 2 projects; library: {len(lib)} patterns")
    return 0


def write(out: Path, lib: list[Pattern], sources: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Pattern]] = {}
    for p in lib:
        by_kind.setdefault(p.category, []).append(p)
    for old in out.glob("*.json"):
        if old.stem not in by_kind:
            old.unlink()
    for kind, pats in sorted(by_kind.items()):
        store.save(out / f"{kind}.json", pats, {"built_by": "scripts/build_library.py",
                                                 "sources": sources.name, "kind": kind})


if __name__ == "__main__":
    sys.exit(main())
