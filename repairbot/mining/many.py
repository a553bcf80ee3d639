"""Mining several repositories into one pattern set, on any engine (local processes or Dask).

Cross-project patterns come from clustering *all* edits together, not from merging per-project
pattern sets: each project's hierarchy has its own intermediate nodes, so equal patterns rarely
appear in two hierarchies (3 pallets projects mined apart share 1 pattern of 221). Per
repository, the expensive halves run as one task each, on the engine:

1. collect: commit walk -> edits (`miner.collect`), each edit tagged with its repository;
2. after the (deterministic) merge — edits sorted by repository, commit, file, line; clustered;
   kept when supported by `min_projects` projects and reproducing their examples — count each
   pattern's unchanged matches at every repository's head (Getafix's rejection), summed.

Inputs and outputs of the tasks are frozen dataclasses (they pickle), and the merge never
depends on which task finished first, so every engine gives a byte-identical pattern set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import git

from repairbot.config import MineConfig
from repairbot.mining.engine import Engine
from repairbot.mining.history import RepoError, git_failure, open_repo, resolve_range
from repairbot.mining.miner import (
    Collected,
    apply_rejection,
    build_patterns,
    collect,
    keep_reproducible,
    unchanged_matches,
)
from repairbot.types import MineResult, Pattern, Skip

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RepoSpec:
    """One repository to mine: where it is, which revisions, and the name its provenance gets."""

    path: str
    rev_range: str | None = None
    name: str = ""
    cfg: MineConfig | None = None


@dataclass(frozen=True)
class RepoSummary:
    name: str
    head: str
    commits_seen: int
    fix_commits: int
    edits: int
    seconds: float


@dataclass(frozen=True)
class ManyResult:
    result: MineResult  # the merged pattern set and totals
    repos: tuple[RepoSummary, ...]


def default_name(path: str) -> str:
    """`/m/pallets+flask/repo` -> `pallets/flask`; `/src/flask.git` -> `flask`."""
    p = Path(path.rstrip("/"))
    base = p.name
    if base in ("repo", ".git") and p.parent.name:
        base = p.parent.name
    base = base.removesuffix(".git")
    return base.replace("+", "/", 1) if "+" in base else base


def parse_repos_file(path: Path) -> list[RepoSpec]:
    """One `path [rev-range]` per line; `#` starts a comment; relative paths are from the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RepoError(f"{path}: cannot read repository list: {e}") from None
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise RepoError(f"{path}:{n}: expected `path [rev-range]`, got {line!r}")
        repo = parts[0] if os.path.isabs(parts[0]) else str(path.parent / parts[0])
        out.append(RepoSpec(repo, parts[1] if len(parts) == 2 else None))
    if not out:
        raise RepoError(f"{path}: lists no repositories")
    return out


def named(specs: Sequence[RepoSpec]) -> list[RepoSpec]:
    """Give every spec a unique name (default: from its path); a clash is an input error."""
    out = [s if s.name else replace(s, name=default_name(s.path)) for s in specs]
    seen: dict[str, str] = {}
    for s in out:
        if s.name in seen:
            raise RepoError(f"two repositories are both named {s.name!r} ({seen[s.name]}, {s.path})")
        seen[s.name] = s.path
    return out


def check_specs(specs: Sequence[RepoSpec]) -> None:
    """Fail fast, before any task runs: every repository opens and its revisions exist."""
    for s in specs:
        try:
            repo = open_repo(s.path)
        except RepoError as e:
            raise RepoError(f"{s.name}: {e}") from None
        try:
            resolve_range(repo, s.rev_range)
        except RepoError as e:
            raise RepoError(f"{s.name}: {e}") from None
        finally:
            repo.close()


# ------------------------------------------------------------------ tasks (module level: they pickle)


@dataclass(frozen=True)
class CollectTask:
    spec: RepoSpec
    whole_files: bool
    tag: bool  # tag edits with the repository name (several repositories)


def collect_task(t: CollectTask, jobs: int = 1) -> Collected:
    try:
        got = collect(t.spec.path, t.spec.rev_range, jobs=jobs, cfg=t.spec.cfg, whole_files=t.whole_files)
    except RepoError as e:  # named as the user named the repository
        raise RepoError(str(e).replace(t.spec.path, t.spec.name, 1)) from None
    except git.GitCommandError as e:
        raise RepoError(f"{t.spec.name}: git failed: {git_failure(e)}") from None
    if t.tag:
        got = replace(got, edits=tuple(replace(e, repo=t.spec.name) for e in got.edits))
    return got


@dataclass(frozen=True)
class CountTask:
    spec: RepoSpec
    head: str
    patterns: tuple[Pattern, ...]
    cfg: MineConfig


def count_task(t: CountTask, jobs: int = 1) -> dict[str, int]:
    return unchanged_matches(t.spec.path, t.head, list(t.patterns), t.cfg, jobs)


# ------------------------------------------------------------------ driver


def mine_many(specs: Sequence[RepoSpec], engine: Engine, *, cfg: MineConfig | None = None,
              whole_files: bool = False, rejection: bool = True, min_projects: int = 1,
              progress: Progress | None = None) -> ManyResult:
    """Mine every repository and merge into one pattern set (see the module docstring)."""
    t0 = time.perf_counter()
    specs = named(specs)
    check_specs(specs)
    collected = collect_all(specs, engine, whole_files=whole_files, progress=progress)
    many = merge(specs, collected, engine, cfg=cfg, rejection=rejection, min_projects=min_projects,
                 progress=progress)
    return replace(many, result=replace(many.result, seconds=time.perf_counter() - t0))


def collect_all(specs: Sequence[RepoSpec], engine: Engine, *, whole_files: bool = False,
                progress: Progress | None = None, tag: bool | None = None) -> list[Collected]:
    """The expensive half, one task per repository; specs must be `named`. Results in specs' order.
    Edits are tagged with their repository's name when several are mined (or `tag`)."""
    tag = len(specs) > 1 if tag is None else tag
    return engine.map(collect_task, [CollectTask(s, whole_files, tag) for s in specs], [s.name for s in specs],
                      _phase(progress, "repositories"))


def _phase(progress: Progress | None, phase: str) -> Callable[[int, int], None] | None:
    return (lambda d, n: progress(phase, d, n)) if progress else None


def merge(specs: Sequence[RepoSpec], collected: Sequence[Collected], engine: Engine, *,
          cfg: MineConfig | None = None, rejection: bool = True, min_projects: int = 1,
          progress: Progress | None = None, keep: Callable[[Pattern], bool] | None = None) -> ManyResult:
    """Cluster all edits (sorted by repository, commit, file, line) and score against every head.
    `keep` drops patterns before the (costly) scoring at the heads."""
    t0 = time.perf_counter()
    cfg = cfg or MineConfig()
    order = sorted(range(len(specs)), key=lambda i: specs[i].name)
    edits = [e for i in order for e in collected[i].edits]
    edits.sort(key=lambda e: (e.repo, e.commit, e.file, e.line))
    skips = [s for i in order for s in collected[i].skips]
    warnings = tuple(w for i in order for w in collected[i].warnings)

    patterns = build_patterns(edits, cfg)
    few = [p for p in patterns if p.projects < min_projects]
    skips.extend(Skip("pattern_in_too_few_projects", p.id) for p in few)
    patterns = [p for p in patterns if p.projects >= min_projects]
    if keep is not None:
        dropped = [p for p in patterns if not keep(p)]
        skips.extend(Skip("pattern_filtered", p.id) for p in dropped)
        patterns = [p for p in patterns if keep(p)]
    patterns, failed = keep_reproducible(patterns)
    skips.extend(Skip("pattern_not_reproducible", p.id) for p in failed)
    if rejection and patterns:
        tasks = [CountTask(specs[i], collected[i].head, tuple(patterns), specs[i].cfg or cfg) for i in order]
        counts = engine.map(count_task, tasks, [specs[i].name for i in order], _phase(progress, "head code"))
        totals: dict[str, int] = {}
        for c in counts:
            for pid, n in sorted(c.items()):
                totals[pid] = totals.get(pid, 0) + n
        patterns, pruned = apply_rejection(patterns, totals, cfg)
        skips.extend(Skip("pattern_too_general", p.id, p.before) for p in pruned)
    result = MineResult(tuple(sorted(patterns, key=lambda p: p.id)), tuple(edits),
                        sum(c.commits_seen for c in collected), sum(c.fix_commits for c in collected),
                        tuple(skips), time.perf_counter() - t0, warnings)
    summaries = tuple(RepoSummary(specs[i].name, collected[i].head, collected[i].commits_seen,
                                  collected[i].fix_commits, len(collected[i].edits),
                                  round(collected[i].seconds, 3)) for i in order)
    return ManyResult(result, summaries)
