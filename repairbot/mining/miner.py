"""`repairbot mine`: history -> fix commits -> edits -> clustered, scored patterns.

Commits are processed in worker processes (`--jobs`); each worker keeps one GitPython
repository open and returns the edits and the per-file skips of one commit. Exceptions are
caught only at that per-file boundary and become counted skips.
"""

from __future__ import annotations

import ast
import gc
import multiprocessing
import os
import time
import tokenize
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from io import BytesIO

import git
import libcst as cst

from repairbot.abstraction.cluster import cluster, hierarchy_patterns
from repairbot.config import MineConfig
from repairbot.matching.match import Target, compile_pattern, find_matches
from repairbot.mining.edits import RegionTooSmall, Where, extract_edits
from repairbot.mining.history import (
    CommitInfo,
    FileChange,
    RepoError,
    git_failure,
    is_shallow,
    open_repo,
    repo_at,
    resolve_range,
    skip_reason,
    walk,
)
from repairbot.mining.lines import statement_lines
from repairbot.mining.regions import Region, changed_regions
from repairbot.pattern.verify import problems
from repairbot.tree import PARSE_ERRORS
from repairbot.types import Edit, MineResult, Pattern, Skip

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class CommitResult:
    sha: str
    edits: tuple[Edit, ...]
    skips: tuple[Skip, ...]


# ------------------------------------------------------------------ per commit (in workers)

_worker_repo: git.Repo | None = None


def _init_worker(path: str) -> None:
    global _worker_repo
    _worker_repo = repo_at(path)
    warnings.simplefilter("ignore")  # SyntaxWarnings from mined code are not ours to print
    # Parsing makes millions of short-lived acyclic objects; the default gen-0 threshold (700)
    # spends a quarter of mining time in the cycle collector.
    gc.set_threshold(100_000, 50, 100)


def _process(args: tuple[CommitInfo, MineConfig, bool]) -> CommitResult:
    commit, cfg, whole = args
    assert _worker_repo is not None
    return process_commit(_worker_repo, commit, cfg, whole)


def read_blob(repo: git.Repo, sha: str) -> bytes:
    return repo.odb.stream(bytes.fromhex(sha)).read()


def decode(data: bytes) -> str | None:
    """Source text as Python would read it (PEP 263 cookie, BOM), or None if undecodable."""
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def process_commit(repo: git.Repo, commit: CommitInfo, cfg: MineConfig, whole: bool = False) -> CommitResult:
    edits: list[Edit] = []
    skips: list[Skip] = []
    for ch in commit.changes:
        if not ch.path.endswith(".py"):
            continue
        where = f"{commit.sha[:10]}:{ch.path}"
        try:
            reason = _process_file(repo, commit.sha, ch, cfg, whole, edits)
        except Exception as e:  # noqa: BLE001 - per-file boundary: a bad file is a counted skip
            reason = f"internal_error:{type(e).__name__}"
        if reason:
            skips.append(Skip(reason, where))
    return CommitResult(commit.sha, tuple(edits), tuple(skips))


def _process_file(repo: git.Repo, sha: str, ch: FileChange, cfg: MineConfig, whole: bool,
                  out: list[Edit]) -> str | None:
    if ch.status in ("A", "D") or set(ch.old_blob) == {"0"} or set(ch.new_blob) == {"0"}:
        return "added_or_deleted_file"
    blobs = []
    for blob in (ch.old_blob, ch.new_blob):
        data = read_blob(repo, blob)
        if len(data) > cfg.max_file_bytes:
            return "file_too_large"
        if b"\x00" in data:
            return "binary_file"
        text = decode(data)
        if text is None:
            return "undecodable"
        blobs.append(text)
    before, after = blobs
    try:
        tree_b, tree_a = _ast_of(ch.old_blob, before), _ast_of(ch.new_blob, after)
    except (SyntaxError, ValueError):
        return "syntax_error"
    regions = None if whole else changed_regions(before, after, tree_b, tree_a)
    try:
        if regions is None:
            new = _edits(before, after, Where(sha, ch.path), False)
        else:
            new = [e for r in regions for e in _region_edits(r, before, after, Where(sha, ch.path, r.line_offset))]
    except PARSE_ERRORS:
        return "syntax_error"
    out.extend(new)
    return None if new else "no_edits"


def _ast_of(blob: str, text: str) -> ast.Module:
    return ast.parse(text)


def _region_edits(r: Region, before: str, after: str, where: Where) -> list[Edit]:
    """A region's edits; a function changed as a whole is mined in its run, else in the whole file."""
    try:
        return _edits(r.before, r.after, where, r.function)
    except RegionTooSmall:
        if r.fallback is not None:
            return _edits(r.fallback.before, r.fallback.after, replace(where, line_offset=r.fallback.line_offset),
                          False)
        return _edits(before, after, replace(where, line_offset=0), False)


def _edits(before: str, after: str, where: Where, function_region: bool) -> list[Edit]:
    mb, ma = cst.parse_module(before), cst.parse_module(after)
    return extract_edits(mb, ma, where, _LazyLines(mb, before), function_region)


class _LazyLines(dict):
    """Statement lines, computed on first use: most regions yield no edit."""

    def __init__(self, module: cst.Module, source: str) -> None:
        super().__init__()
        self.pending: tuple[cst.Module, str] | None = (module, source)

    def get(self, key, default=None):  # type: ignore[override]
        if self.pending is not None:
            self.update(statement_lines(*self.pending))
            self.pending = None
        return super().get(key, default)


# ------------------------------------------------------------------ orchestration


@dataclass(frozen=True)
class Collected:
    """One repository's expensive half of mining: its fix commits turned into edits."""

    edits: tuple[Edit, ...]
    commits_seen: int
    fix_commits: int
    skips: tuple[Skip, ...]
    warnings: tuple[str, ...]
    head: str  # the revision whose code rejection is scored against
    seconds: float


def mine(path: str, rev_range: str | None = None, *, jobs: int = 1, cfg: MineConfig | None = None,
         whole_files: bool = False, rejection: bool = True, progress: Progress | None = None) -> MineResult:
    """Mine fix patterns from a repository (never writes to it). Raises RepoError on bad input."""
    t0 = time.perf_counter()
    cfg = cfg or MineConfig()
    got = collect(path, rev_range, jobs=jobs, cfg=cfg, whole_files=whole_files, progress=progress)
    skips = list(got.skips)
    patterns = build_patterns(got.edits, cfg)
    patterns, failed = keep_reproducible(patterns)
    skips.extend(Skip("pattern_not_reproducible", p.id) for p in failed)
    if rejection and patterns:
        counts = unchanged_matches(path, got.head, patterns, cfg, jobs, progress)
        patterns, pruned = apply_rejection(patterns, counts, cfg)
        skips.extend(Skip("pattern_too_general", p.id, p.before) for p in pruned)
    return MineResult(tuple(patterns), got.edits, got.commits_seen, got.fix_commits, tuple(skips),
                      time.perf_counter() - t0, got.warnings)


def collect(path: str, rev_range: str | None = None, *, jobs: int = 1, cfg: MineConfig | None = None,
            whole_files: bool = False, progress: Progress | None = None) -> Collected:
    """History -> fix commits -> edits, in commit order. Raises RepoError on bad input."""
    t0 = time.perf_counter()
    cfg = cfg or MineConfig()
    repo = open_repo(path)
    notes: list[str] = []
    if is_shallow(repo):
        notes.append(f"{path} is a shallow clone: mining only the history it has")
    _, head = resolve_range(repo, rev_range)
    fix_re = cfg.fix_regex()
    skips: list[Skip] = []
    selected: list[CommitInfo] = []
    seen = 0
    try:
        for c in walk(repo, rev_range):
            seen += 1
            why = skip_reason(c, cfg, fix_re)
            if why:
                skips.append(Skip(why, c.sha[:10], c.subject[:80]))
            else:
                selected.append(c)
    except git.GitCommandError as e:  # e.g. a partial clone whose blobs are missing: `git log --numstat` fails
        raise RepoError(f"{path}: git cannot read its history: {git_failure(e)}") from None
    finally:
        repo.close()
    results = _run_commits(path, selected, cfg, whole_files, jobs, progress)
    edits = tuple(e for r in results for e in r.edits)
    skips.extend(s for r in results for s in r.skips)
    return Collected(edits, seen, len(selected), tuple(skips), tuple(notes), head, time.perf_counter() - t0)


def _run_commits(path: str, commits: list[CommitInfo], cfg: MineConfig, whole: bool, jobs: int,
                 progress: Progress | None) -> list[CommitResult]:
    work = [(c, cfg, whole) for c in commits]
    out: list[CommitResult] = []
    if jobs <= 1 or len(work) < 4:
        _init_worker(path)
        for i, w in enumerate(work):
            out.append(_process(w))
            if progress:
                progress("commits", i + 1, len(work))
        return out
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(path,)) as pool:
        for i, r in enumerate(pool.imap(_process, work, chunksize=max(1, len(work) // (jobs * 8)))):
            out.append(r)
            if progress:
                progress("commits", i + 1, len(work))
    return out


def build_patterns(edits: Iterable[Edit], cfg: MineConfig) -> list[Pattern]:
    """Cluster and keep patterns that are supported and specific enough."""
    roots = cluster(sorted(edits, key=lambda e: (e.commit, e.file, e.line)))
    pats = hierarchy_patterns(roots, cfg.min_support)
    return [p for p in pats if p.scores.specificity >= cfg.min_specificity]


def keep_reproducible(patterns: list[Pattern]) -> tuple[list[Pattern], list[Pattern]]:
    ok, bad = [], []
    for p in patterns:
        (bad if problems(p) else ok).append(p)
    return ok, bad


# ------------------------------------------------------------------ rejection at the head


def _head_sources(repo: git.Repo, rev: str, max_bytes: int) -> list[tuple[str, str]]:
    out = []
    for item in repo.commit(rev).tree.traverse():
        if item.type != "blob" or not item.path.endswith(".py") or item.size > max_bytes:
            continue
        text = decode(item.data_stream.read())
        if text is not None:
            out.append((item.path, text))
    return out


def _count_matches(args: tuple[str, list[Pattern]]) -> dict[str, int]:
    source, patterns = args
    try:
        compile(source, "<head>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        target = Target.parse(source, positions=False)
    except (SyntaxError, ValueError, *PARSE_ERRORS):
        return {}
    counts: dict[str, int] = {}
    for m in find_matches(target, [compile_pattern(p) for p in patterns]):
        pid = m.compiled.pattern.id
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def unchanged_matches(path: str, rev: str, patterns: list[Pattern], cfg: MineConfig, jobs: int = 1,
                      progress: Progress | None = None) -> dict[str, int]:
    """Pattern id -> matches of its before side in the code at `rev`, which nobody changed."""
    repo = open_repo(path)
    try:
        sources = _head_sources(repo, rev, cfg.max_file_bytes)
    finally:
        repo.close()
    totals: dict[str, int] = {}
    work = [(text, patterns) for _, text in sources]
    if jobs > 1 and len(work) > 8:
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(jobs) as pool:
            it = pool.imap_unordered(_count_matches, work, chunksize=4)
            results = list(_progress_iter(it, len(work), progress))
    else:
        results = list(_progress_iter(map(_count_matches, work), len(work), progress))
    for counts in results:
        for pid, n in counts.items():
            totals[pid] = totals.get(pid, 0) + n
    return totals


def apply_rejection(patterns: list[Pattern], totals: dict[str, int],
                    cfg: MineConfig) -> tuple[list[Pattern], list[Pattern]]:
    """Getafix's rejection = unchanged matches / (those + support); (kept, pruned as too general)."""
    out = []
    for p in patterns:
        mu = totals.get(p.id, 0)
        rej = round(mu / (mu + p.scores.support), 4)
        out.append(replace(p, scores=replace(p.scores, matches_unchanged=mu, rejection=rej)))
    return ([p for p in out if p.scores.rejection <= cfg.max_rejection],
            [p for p in out if p.scores.rejection > cfg.max_rejection])


def _progress_iter(it: Iterable[dict[str, int]], total: int, progress: Progress | None):
    for i, x in enumerate(it):
        if progress:
            progress("head files", i + 1, total)
        yield x
