"""`repairbot mine`: learn fix patterns from a repository's history."""

from __future__ import annotations

import argparse
import json
import os
import sys
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
from repairbot.pattern import store
from repairbot.types import MineResult


def register(sub: Any) -> None:
    m = sub.add_parser("mine", help="learn fix patterns from a repository's history")
    m.add_argument("repo", help="path to a git repository (bare or not)")
    m.add_argument("--rev-range", help="what git log takes: A..B, or one revision (all history up to it)")
    m.add_argument("--out", type=Path, help="write the pattern set here (JSON); nothing is written otherwise")
    m.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    m.add_argument("--whole-files", action="store_true", help="parse whole files instead of changed regions")
    m.add_argument("--no-rejection", action="store_true", help="skip scoring against the head's code")
    m.add_argument("--format", choices=("text", "json"), default="text")

    add_audit_args(m, default_on=False)
    m.set_defaults(func=cmd_mine)


def cmd_mine(args: argparse.Namespace) -> int:
    from repairbot.mining.miner import mine

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    repo = Path(args.repo)
    cfg = load_config(repo).mine if repo.is_dir() else None
    with progress_bar(args.format == "text" and sys.stderr.isatty()) as progress:
        result = mine(str(repo), args.rev_range, jobs=args.jobs, cfg=cfg, whole_files=args.whole_files,
                      rejection=not args.no_rejection, progress=progress)
    _journal_mine(args, repo, result)
    for note in result.warnings:
        print(f"repairbot: warning: {note}", file=sys.stderr)
    if args.out:
        store.save(args.out, result.patterns, {"repository": os.path.abspath(args.repo),
                                               "rev_range": args.rev_range or "HEAD"})
    if args.format == "json":
        print(json.dumps(_mine_json(result, args.out), indent=2))
    else:
        _print_mine(result, args.out)
    return EXIT_OK


def _mine_json(r: MineResult, out: Path | None) -> dict[str, Any]:
    return {
        "commits": r.commits_seen,
        "fix_commits": r.fix_commits,
        "edits": len(r.edits),
        "patterns": [store.pattern_to_json(p) for p in r.patterns],
        "skips": r.skip_counts(),
        "seconds": round(r.seconds, 3),
        "warnings": list(r.warnings),
        "out": str(out) if out else None,
    }


def _print_mine(r: MineResult, out: Path | None) -> None:
    console = make_console()
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
