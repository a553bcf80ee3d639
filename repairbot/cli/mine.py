"""`repairbot mine`: learn fix patterns from a repository's history."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from repairbot.cli.common import (
    EXIT_OK,
    UsageError,
    add_audit_args,
    journal_once,
    journal_path,
    make_console,
    progress_bar,
)
from repairbot.cli.patterns import print_pattern_line
from repairbot.config import load_config
from repairbot.mining.many import RepoSpec, RepoSummary, default_name, parse_repos_file
from repairbot.pattern import store
from repairbot.types import MineResult


def register(sub: Any) -> None:
    m = sub.add_parser("mine", help="learn fix patterns from the history of one or more repositories")
    m.add_argument("repo", nargs="*", help="path(s) to git repositories (bare or not)")
    m.add_argument("--repos-file", type=Path,
                   help="file listing repositories, one `path [rev-range]` per line (# comments)")
    m.add_argument("--rev-range", help="what git log takes: A..B, or one revision (all history up to it); "
                                       "for the positional repositories")
    m.add_argument("--out", type=Path, help="write the pattern set here (JSON); nothing is written otherwise")
    m.add_argument("--jobs", type=int, default=1,
                   help="worker processes (default 1); with --engine dask and no --scheduler, LocalCluster workers")
    m.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local processes (default) or dask.distributed: one task per repository")
    m.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786 "
                                       "(default: a LocalCluster on this machine)")
    m.add_argument("--retries", type=int, default=2, help="Dask: times a failed task is run again (default 2)")
    m.add_argument("--min-projects", type=int, default=1,
                   help="keep patterns whose commits come from at least this many repositories (default 1)")
    m.add_argument("--whole-files", action="store_true", help="parse whole files instead of changed regions")
    m.add_argument("--no-rejection", action="store_true", help="skip scoring against the head's code")
    m.add_argument("--format", choices=("text", "json"), default="text")

    add_audit_args(m, default_on=False)
    m.set_defaults(func=cmd_mine)


def repo_specs(args: argparse.Namespace) -> list[RepoSpec]:
    """Positional repositories, then those of --repos-file; each with its own [tool.repairbot.mine]."""
    specs = [RepoSpec(r, args.rev_range) for r in args.repo]
    if args.repos_file:
        specs += parse_repos_file(args.repos_file)
    if not specs:
        raise UsageError("give at least one repository, or --repos-file")
    out = []
    for s in specs:
        path = Path(s.path)
        out.append(replace(s, cfg=load_config(path).mine if path.is_dir() else None))
    return out


def cmd_mine(args: argparse.Namespace) -> int:
    from repairbot.mining.engine import make_engine
    from repairbot.mining.many import mine_many

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.retries < 0 or args.min_projects < 1:
        raise UsageError("--retries must be at least 0 and --min-projects at least 1")
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    specs = repo_specs(args)
    cfg = specs[0].cfg if len(specs) == 1 else None
    with make_engine(args.engine, args.jobs, args.scheduler, args.retries) as engine, \
            progress_bar(args.format == "text" and sys.stderr.isatty()) as progress:
        many = mine_many(specs, engine, cfg=cfg, whole_files=args.whole_files, rejection=not args.no_rejection,
                         min_projects=args.min_projects, progress=progress)
    result = many.result
    _journal_mine(args, Path(specs[0].path) if len(specs) == 1 else Path.cwd(), result)
    for note in result.warnings:
        print(f"repairbot: warning: {note}", file=sys.stderr)
    if args.out:
        store.save(args.out, result.patterns, _source(specs))
    if args.format == "json":
        print(json.dumps(_mine_json(result, args.out, many.repos if len(specs) > 1 else ()), indent=2))
    else:
        _print_mine(result, args.out, many.repos if len(specs) > 1 else ())
    return EXIT_OK


def _source(specs: list[RepoSpec]) -> dict[str, Any]:
    if len(specs) == 1:
        return {"repository": os.path.abspath(specs[0].path), "rev_range": specs[0].rev_range or "HEAD"}
    return {"repositories": [{"name": s.name or default_name(s.path), "path": os.path.abspath(s.path),
                              "rev_range": s.rev_range or "HEAD"} for s in specs]}


def _mine_json(r: MineResult, out: Path | None, repos: tuple[RepoSummary, ...]) -> dict[str, Any]:
    return {
        "repositories": [asdict(x) for x in repos],
        "commits": r.commits_seen,
        "fix_commits": r.fix_commits,
        "edits": len(r.edits),
        "patterns": [store.pattern_to_json(p) for p in r.patterns],
        "skips": r.skip_counts(),
        "seconds": round(r.seconds, 3),
        "warnings": list(r.warnings),
        "out": str(out) if out else None,
    }


def _print_mine(r: MineResult, out: Path | None, repos: tuple[RepoSummary, ...]) -> None:
    console = make_console()
    for x in repos:
        console.print(f"{x.name}: {x.commits_seen} commits, {x.fix_commits} fix commits, {x.edits} edits "
                      f"({x.seconds:.1f}s)")
    console.print(f"[bold]{r.commits_seen}[/] commits, [bold]{r.fix_commits}[/] fix commits, "
                  f"[bold]{len(r.edits)}[/] edits, [bold]{len(r.patterns)}[/] patterns in {r.seconds:.2f}s")
    counts = r.skip_counts()
    if counts:
        console.print("skipped: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for p in sorted(r.patterns, key=lambda p: (-p.scores.support, p.id)):
        print_pattern_line(console, p)
    if out:
        console.print(f"wrote {len(r.patterns)} patterns to {out}")


def _journal_mine(args: argparse.Namespace, repo: Path, r: MineResult) -> None:
    """Mining reads other people's repositories: it is journalled only where --audit says."""
    summary = {"commits": r.commits_seen, "fix_commits": r.fix_commits, "edits": len(r.edits),
               "patterns": len(r.patterns), "skips": r.skip_counts(), "out": str(args.out) if args.out else None}
    journal_once(journal_path(args, None), "mine", repo, [("mined", summary)], status="mined",
                 seconds=round(r.seconds, 3))
