"""`repairbot check` (pre-merge scan) and `repairbot suggest` (candidates at one line, no tests)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from repairbot.cli.common import (
    EXIT_FOUND,
    EXIT_OK,
    UsageError,
    add_audit_args,
    add_pattern_args,
    journal_once,
    journal_path,
    make_console,
    repair_patterns,
)


def register(sub: Any) -> None:
    ck = sub.add_parser("check", help="flag code matching known bug patterns (pre-merge check)")
    ck.add_argument("path", nargs="?", default=".", help="project root (default: current directory)")
    ck.add_argument("--base", help="only lines changed since this revision")
    ck.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    ck.add_argument("--min-confidence", type=float, default=0.5,
                    help="report findings from this confidence up, and exit 1 if there is one (default 0.5)")
    ck.add_argument("--jobs", type=int, default=1,
                    help="scan files in N processes (0: one per core; default 1, since a --base check "
                         "reads a few files and a process pool costs more than it saves)")
    ck.add_argument("--select", nargs="+", metavar="RULE", default=None,
                    help="also check these built-ins: a category (modernise, operator, ...) or a pattern id; "
                         "replaces [tool.repairbot.check] select")
    ck.add_argument("--ignore", nargs="+", metavar="RULE", default=[],
                    help="leave out these patterns (category or id), besides [tool.repairbot.check] ignore")
    ck.add_argument("--no-prefilter", action="store_true",
                    help="parse and match every file whole (the reference path: same findings, slower)")
    add_pattern_args(ck)
    add_audit_args(ck, default_on=False)

    sg = sub.add_parser("suggest", help="rank candidate fixes at a flagged line, without running tests")
    sg.add_argument("where", metavar="FILE:LINE")
    sg.add_argument("--top", type=int, default=5)
    add_pattern_args(sg)
    sg.add_argument("--format", choices=("text", "json"), default="text")

    ck.set_defaults(func=cmd_check)
    sg.set_defaults(func=cmd_suggest)


def cmd_check(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from repairbot.deliver import check

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise UsageError("--min-confidence must be in [0, 1]")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    jobs = args.jobs or os.cpu_count() or 1
    from repairbot.config import load_config

    cfg = load_config(root).check
    select = cfg.select if args.select is None else tuple(args.select)
    try:
        findings, skips, n_files = check.run_check(root, repair_patterns(args), args.base, args.min_confidence,
                                                   jobs=jobs, prefilter=not args.no_prefilter, select=select,
                                                   ignore=(*cfg.ignore, *args.ignore))
    except check.CheckInputError as e:
        raise UsageError(str(e)) from None
    if args.format == "json":
        print(check.to_json(findings, n_files, skips))
    elif args.format == "github":
        sys.stdout.write(check.to_github(findings))
    elif args.format == "sarif":
        try:
            ver = version("repairbot")
        except PackageNotFoundError:
            ver = "0"
        print(check.to_sarif(findings, ver, check.repo_prefix(root)))
    else:
        console = make_console()
        for f in findings:
            console.print(f"{f.file}:{f.line}: [{f.pattern}] {f.name} (confidence {f.confidence:.2f})",
                          markup=False, highlight=False)
            console.print(f.diff.rstrip("\n"), markup=False, highlight=False)
        console.print(f"{len(findings)} finding(s) in {n_files} file(s)"
                      + (f", {len(skips)} unreadable" if skips else ""), markup=False)
    _journal_check(args, root, findings, len(skips), n_files)
    return EXIT_FOUND if any(f.confidence >= args.min_confidence for f in findings) else EXIT_OK


def _journal_check(args: argparse.Namespace, root: Path, findings: Sequence[Any], skipped: int, files: int) -> None:
    events = [("finding", {"file": f.file, "line": f.line, "pattern": f.pattern, "confidence": f.confidence,
                           "diff": f.diff}) for f in findings]
    journal_once(journal_path(args, None), "check", root, events, status="found" if findings else "clean",
                 findings=len(findings), files=files, skipped=skipped, base=args.base,
                 min_confidence=args.min_confidence)


def cmd_suggest(args: argparse.Namespace) -> int:
    """Getafix's prediction step: candidates at one line, ranked by pattern prior and distance."""
    from repairbot.matching.candidates import suggest
    from repairbot.matching.match import UnreadableFile, compile_pattern

    file_part, _, line_part = args.where.rpartition(":")
    if not file_part or not line_part.isdigit() or int(line_part) < 1:
        raise UsageError(f"{args.where!r}: expected FILE:LINE")
    path, line = Path(file_part), int(line_part)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    patterns = [compile_pattern(p) for p in repair_patterns(args)]
    try:
        found = suggest(path, line, patterns, args.top)
    except UnreadableFile as e:
        raise UsageError(f"{path}: cannot parse ({e})") from None
    from repairbot.risk import masking

    top = [replace(c, diff=_rebase_diff(c.diff, path.name, str(path))) for c in found]
    risks = [masking(c.old_source, c.new_source) for c in top]
    names = {c.pattern.id: c.pattern.name or c.pattern.category or "" for c in patterns}
    if args.format == "json":
        print(json.dumps({"file": str(path), "line": line, "suggestions": [
            {"rank": i + 1, "score": c.prior, "pattern": c.pattern_id, "name": names.get(c.pattern_id, ""),
             "line": c.line, "diff": c.diff, "risks": list(r)}
            for i, (c, r) in enumerate(zip(top, risks))]}, indent=2))
        return EXIT_OK
    console = make_console()
    if not top:
        console.print(f"no suggestion at {path}:{line}")
    for i, c in enumerate(top):
        name = names.get(c.pattern_id, "")
        console.print(f"#{i + 1} score {c.prior:.3f}  pattern {c.pattern_id}{f' ({name})' if name else ''}"
                      f"  line {c.line}", markup=False)
        console.print(c.diff.rstrip("\n"), markup=False, highlight=False)
        for risk in risks[i]:
            console.print(f"may hide an error: the change {risk}", markup=False, highlight=False)
    return EXIT_OK


def _rebase_diff(diff: str, old: str, new: str) -> str:
    """Name the file as the user did in a diff made relative to the file's folder (git's way for
    an absolute path: `a/tmp/x.py`, not `a//tmp/x.py`)."""
    head, sep, body = diff.partition("\n@@")
    for prefix in ("a/", "b/"):
        head = head.replace(prefix + old, prefix + new.lstrip("/"))
    return head + sep + body
