"""The `repairbot` command group.

Exit codes (all subcommands): 0 success, 1 the job ran but found something to report
(e.g. `fix` found no validated patch), 2 usage or input error (bad repository, unknown
revision, unreadable pattern or config file). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from repairbot.config import ConfigError, load_config
from repairbot.mining.history import RepoError
from repairbot.pattern import store
from repairbot.types import MineResult, Pattern

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep the one-line shape
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="repairbot", description="Learn fix patterns from history and repair failing Python code.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    m = sub.add_parser("mine", help="learn fix patterns from a repository's history")
    m.add_argument("repo", help="path to a git repository (bare or not)")
    m.add_argument("--rev-range", help="what git log takes: A..B, or one revision (all history up to it)")
    m.add_argument("--out", type=Path, help="write the pattern set here (JSON); nothing is written otherwise")
    m.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    m.add_argument("--whole-files", action="store_true", help="parse whole files instead of changed regions")
    m.add_argument("--no-rejection", action="store_true", help="skip scoring against the head's code")
    m.add_argument("--format", choices=("text", "json"), default="text")

    f = sub.add_parser("fix", help="repair failing tests with validated patches")
    f.add_argument("path", nargs="?", default=".", help="project root (default: current directory)")
    f.add_argument("--tests", nargs="+", default=[], metavar="ARG", help="pytest arguments: files or node ids")
    _add_pattern_args(f)
    f.add_argument("--trace", type=Path, help="a Python traceback from a log, as another localisation source")
    f.add_argument("--apply", action="store_true", help="write the top patch into the tree (atomically)")
    f.add_argument("--format", choices=("text", "json"), default="text")
    f.add_argument("--top", type=int, default=5, help="how many validated patches to report")
    f.add_argument("--time-budget", type=float, default=300.0, help="seconds for validation (default 300)")
    f.add_argument("--test-timeout", type=float, default=30.0, help="per-test limit for the first run")
    f.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel validations (default: cores)")
    f.add_argument("--python", default=sys.executable, help="interpreter that runs the project's tests")
    f.add_argument("--include-tests", action="store_true", help="allow test files as repair targets")
    f.add_argument("--policy", metavar="ENV", help="decide with [tool.repairbot.policy.ENV]; --apply then "
                                                   "applies only when the policy allows auto-remediation")
    f.add_argument("--audit", type=Path, metavar="DB", help="append this run to an audit journal (SQLite); "
                                                          "its recorded outcomes then weigh the patterns")
    f.add_argument("--force", action="store_true", help="propose patches even if closed without merge before")
    f.add_argument("--max-per-day", type=int, default=10, help="with --audit: cap on patches applied per day")

    fb = sub.add_parser("feedback", help="record what happened to a proposed patch")
    fb.add_argument("db", type=Path, help="the audit journal the patch was proposed in")
    fb.add_argument("fingerprint", help="the patch fingerprint (or a unique prefix), as printed by fix")
    fb.add_argument("--outcome", choices=("merged", "closed", "edited"), required=True)

    au = sub.add_parser("audit", help="list runs in an audit journal, or explain one")
    au.add_argument("db", type=Path, help="the journal (e.g. .repairbot/audit.db)")
    au.add_argument("run", nargs="?", type=int, help="a run id: show it end to end")
    au.add_argument("--since", type=float, default=None, help="only runs started after this Unix time")
    au.add_argument("--format", choices=("text", "json"), default="text")

    ck = sub.add_parser("check", help="flag code matching known bug patterns (pre-merge check)")
    ck.add_argument("path", nargs="?", default=".", help="project root (default: current directory)")
    ck.add_argument("--base", help="only lines changed since this revision")
    ck.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    ck.add_argument("--min-confidence", type=float, default=0.5,
                    help="report findings from this confidence up, and exit 1 if there is one (default 0.5)")
    _add_pattern_args(ck)

    sg = sub.add_parser("suggest", help="rank candidate fixes at a flagged line, without running tests")
    sg.add_argument("where", metavar="FILE:LINE")
    sg.add_argument("--top", type=int, default=5)
    _add_pattern_args(sg)
    sg.add_argument("--format", choices=("text", "json"), default="text")

    pt = sub.add_parser("patterns", help="list or show patterns")
    psub = pt.add_subparsers(dest="patterns_command", required=True, parser_class=_Parser)
    for name in ("list", "show"):
        q = psub.add_parser(name)
        if name == "show":
            q.add_argument("id", help="pattern id (a unique prefix is enough)")
        q.add_argument("--patterns", type=Path, action="append", default=[],
                       help="pattern file(s); default: the shipped library")
        q.add_argument("--format", choices=("text", "json"), default="text")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "mine":
            return cmd_mine(args)
        if args.command == "patterns":
            return cmd_patterns(args)
        if args.command == "fix":
            return cmd_fix(args)
        if args.command == "suggest":
            return cmd_suggest(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "audit":
            return cmd_audit(args)
        if args.command == "feedback":
            return cmd_feedback(args)
    except UsageError as e:
        print(f"repairbot: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (RepoError, ConfigError, store.PatternFileError) as e:
        print(f"repairbot: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("repairbot: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE


# ------------------------------------------------------------------ mine


@contextmanager
def progress_bar(enabled: bool):
    """A rich progress bar on stderr when it is a terminal; a no-op callback otherwise."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, console=_console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def cmd_mine(args: argparse.Namespace) -> int:
    from repairbot.mining.miner import mine

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    repo = Path(args.repo)
    cfg = load_config(repo).mine if repo.is_dir() else None
    with progress_bar(args.format == "text" and sys.stderr.isatty()) as progress:
        result = mine(str(repo), args.rev_range, jobs=args.jobs, cfg=cfg, whole_files=args.whole_files,
                      rejection=not args.no_rejection, progress=progress)
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
    console = _console()
    console.print(f"[bold]{r.commits_seen}[/] commits, [bold]{r.fix_commits}[/] fix commits, "
                  f"[bold]{len(r.edits)}[/] edits, [bold]{len(r.patterns)}[/] patterns in {r.seconds:.2f}s")
    counts = r.skip_counts()
    if counts:
        console.print("skipped: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for p in sorted(r.patterns, key=lambda p: (-p.scores.support, p.id)):
        _print_pattern_line(console, p)
    if out:
        console.print(f"wrote {len(r.patterns)} patterns to {out}")


# ------------------------------------------------------------------ fix


def cmd_fix(args: argparse.Namespace) -> int:
    from repairbot.deliver.report import fix_json, print_fix
    from repairbot.fix import ApplyError, FixInputError, FixOptions, apply_patch, run_fix

    if args.jobs < 1 or args.top < 1:
        raise UsageError("--jobs and --top must be at least 1")
    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    trace = None
    if args.trace:
        try:
            trace = args.trace.read_bytes().decode("utf-8", "replace")
        except OSError as e:
            raise UsageError(f"{args.trace}: cannot read: {e.strerror}") from None
    patterns = _repair_patterns(args)
    opts = FixOptions(tests=tuple(args.tests), trace_text=trace, jobs=args.jobs, time_budget=args.time_budget,
                      top=args.top, python=args.python, test_timeout=args.test_timeout,
                      include_tests=args.include_tests)
    policy = None
    if args.policy:
        policies = load_config(root).policies
        if args.policy not in policies:
            known = ", ".join(sorted(policies)) or "none configured"
            raise UsageError(f"no policy {args.policy!r} in [tool.repairbot.policy] (known: {known})")
        policy = policies[args.policy]
    journal, run_id = None, 0
    if args.audit:
        from repairbot.audit import Journal
        from repairbot.rank import acceptance_weight

        journal = Journal(args.audit)
        run_id = journal.start_run("fix", root.resolve(), list(sys.argv[1:]))
        weights = {pid: acceptance_weight(a, b) for pid, (a, b) in journal.acceptance().items()}
        blocked = frozenset() if args.force else frozenset(journal.rejected_fingerprints())
        opts = replace(opts, weights=weights, blocked=blocked)
    text = args.format == "text"
    console = _console(stderr=True)
    say = (lambda msg: console.print(msg, style="dim", markup=False, highlight=False)) if text else None
    try:
        sink = (lambda kind, **data: journal.record(run_id, kind, **data)) if journal else None
        report = run_fix(root, patterns, opts, progress=say, events=sink)
    except FixInputError as e:
        if journal:
            journal.record(run_id, "end", status="error", error=str(e))
        raise UsageError(str(e)) from None
    decision = policy.decide(report.patches[0].confidence, report.patches[0].validation.candidate.file) \
        if policy and report.patches else None
    applied = None
    if args.apply and report.patches and (decision is None or decision.action == "auto"):
        from repairbot import safeguards

        top = report.patches[0]
        refusal = safeguards.refuse_reason(journal, top.validation.candidate.file, args.max_per_day) \
            if journal else None
        if refusal:
            print(f"repairbot: not applying: {refusal}", file=sys.stderr)
            journal.record(run_id, "refused", reason=refusal, fingerprint=top.validation.candidate.fingerprint)
        else:
            try:
                applied = apply_patch(root, top)
            except ApplyError as e:
                print(f"repairbot: error: {e}", file=sys.stderr)
                if journal:
                    journal.record(run_id, "end", status="apply_failed", error=str(e))
                return EXIT_FOUND
            broken = safeguards.regressions_after_apply(root, [t.nodeid for t in report.passing], opts.python,
                                                        opts.tests, opts.test_timeout)
            if broken:
                reverted = safeguards.revert(root, top)
                print(f"repairbot: the full suite broke after applying ({', '.join(broken[:3])}); "
                      f"{'reverted' if reverted else 'could not revert: the file changed'}", file=sys.stderr)
                if journal:
                    journal.record(run_id, "reverted", fingerprint=top.validation.candidate.fingerprint,
                                   regressions=broken, reverted=reverted)
                applied = None
    if journal:
        _journal_fix(journal, run_id, report, decision, applied)
        journal.close()
    if text:
        print_fix(_console(), report, applied, decision)
    else:
        doc = fix_json(report, applied)
        doc["decision"] = None if decision is None else {
            "action": decision.action, "policy": decision.policy, "thresholds": dict(decision.thresholds),
            "reason": decision.reason}
        print(json.dumps(doc, indent=2))
    if report.status == "error":
        return EXIT_USAGE
    return EXIT_OK if report.status in ("fixed", "no_failure") else EXIT_FOUND


def _journal_fix(journal: Any, run: int, report: Any, decision: Any, applied: Path | None) -> None:
    """What happened after the pipeline (its own steps were journalled as they happened)."""
    if decision is not None:
        journal.record(run, "decision", action=decision.action, policy=decision.policy,
                       thresholds=dict(decision.thresholds), reason=decision.reason)
    if applied is not None:
        c = report.patches[0].validation.candidate
        journal.record(run, "applied", file=str(applied), file_rel=c.file, fingerprint=c.fingerprint)
    journal.record(run, "end", status=report.status, error=report.error, timings=report.timings)


def cmd_feedback(args: argparse.Namespace) -> int:
    from repairbot.audit import Journal
    from repairbot.rank import acceptance_weight

    if not args.db.is_file():
        raise UsageError(f"{args.db}: no such audit journal")
    journal = Journal(args.db)
    try:
        fp, pattern, file = journal.record_outcome(args.fingerprint, args.outcome)
        alpha, beta = journal.acceptance()[pattern]
    except LookupError as e:
        raise UsageError(str(e)) from None
    finally:
        journal.close()
    print(f"recorded {args.outcome} for {fp} ({file}, pattern {pattern}); pattern acceptance "
          f"Beta({alpha:g}, {beta:g}), prior weight {acceptance_weight(alpha, beta):.2f}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from repairbot.audit import Journal

    if not args.db.is_file():
        raise UsageError(f"{args.db}: no such audit journal")
    journal = Journal(args.db)
    try:
        if args.run is None:
            runs = journal.runs(args.since)
            if args.format == "json":
                print(json.dumps([r.__dict__ for r in runs], indent=2))
            else:
                for r in runs:
                    print(f"{r.id:5d}  {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(r.started))}  "
                          f"{r.command:6}  {r.status:10}  {r.project}")
            return EXIT_OK
        events = list(journal.events(args.run))
        if not events:
            raise UsageError(f"no run {args.run} in {args.db}")
        if args.format == "json":
            print(json.dumps([e.__dict__ for e in events], indent=2))
        else:
            for e in events:
                detail = ", ".join(f"{k}={v}" for k, v in e.data.items() if k != "diff")
                print(f"{time.strftime('%H:%M:%S', time.localtime(e.at))}  {e.kind:10}  {detail}")
                if "diff" in e.data:
                    print(e.data["diff"].rstrip("\n"))
        return EXIT_OK
    finally:
        journal.close()


# ------------------------------------------------------------------ check


def cmd_check(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from repairbot.deliver import check

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise UsageError("--min-confidence must be in [0, 1]")
    try:
        findings, skips, n_files = check.run_check(root, _repair_patterns(args), args.base, args.min_confidence)
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
        print(check.to_sarif(findings, ver))
    else:
        console = _console()
        for f in findings:
            console.print(f"{f.file}:{f.line}: [{f.pattern}] {f.name} (confidence {f.confidence:.2f})",
                          markup=False, highlight=False)
            console.print(f.diff.rstrip("\n"), markup=False, highlight=False)
        console.print(f"{len(findings)} finding(s) in {n_files} file(s)"
                      + (f", {len(skips)} unreadable" if skips else ""), markup=False)
    return EXIT_FOUND if any(f.confidence >= args.min_confidence for f in findings) else EXIT_OK


# ------------------------------------------------------------------ suggest


def cmd_suggest(args: argparse.Namespace) -> int:
    """Getafix's prediction step: candidates at one line, ranked by pattern prior and distance."""
    from repairbot.matching.candidates import generate
    from repairbot.matching.match import compile_pattern
    from repairbot.types import Location

    file_part, _, line_part = args.where.rpartition(":")
    if not file_part or not line_part.isdigit() or int(line_part) < 1:
        raise UsageError(f"{args.where!r}: expected FILE:LINE")
    path, line = Path(file_part), int(line_part)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    patterns = [compile_pattern(p) for p in _repair_patterns(args)]
    cset = generate(path.parent, [Location(path.name, line, 1.0, ("flagged",))], patterns)
    unparsable = [s for s in cset.skips if s.reason == "unparsable_location_file"]
    if unparsable:
        raise UsageError(f"{path}: cannot parse ({unparsable[0].detail})")
    top = [replace(c, diff=_rebase_diff(c.diff, path.name, str(path))) for c in cset.candidates[: args.top]]
    if args.format == "json":
        print(json.dumps({"file": str(path), "line": line, "suggestions": [
            {"rank": i + 1, "score": c.prior, "pattern": c.pattern_id, "line": c.line,
             "diff": c.diff}
            for i, c in enumerate(top)]}, indent=2))
        return EXIT_OK
    console = _console()
    if not top:
        console.print(f"no suggestion at {path}:{line}")
    for i, c in enumerate(top):
        console.print(f"#{i + 1} score {c.prior:.3f}  pattern {c.pattern_id}  line {c.line}", markup=False)
        console.print(c.diff.rstrip("\n"), markup=False, highlight=False)
    return EXIT_OK


def _rebase_diff(diff: str, old: str, new: str) -> str:
    """Name the file as the user did in a diff made relative to the file's folder."""
    head, sep, body = diff.partition("\n@@")
    for prefix in ("a/", "b/"):
        head = head.replace(prefix + old, prefix + new)
    return head + sep + body


# ------------------------------------------------------------------ patterns


def _add_pattern_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patterns", type=Path, action="append", default=[],
                   help="extra pattern file(s), e.g. from `repairbot mine`")
    p.add_argument("--no-library", action="store_true", help="do not use the shipped pattern library")


def _repair_patterns(args: argparse.Namespace) -> list[Pattern]:
    """The shipped library (unless --no-library) plus every --patterns file."""
    for f in args.patterns:
        if not f.is_file():
            raise UsageError(f"{f}: no such pattern file")
    return store.load_many(([] if args.no_library else store.library_paths()) + list(args.patterns))


def _load_patterns(paths: list[Path]) -> list[Pattern]:
    files = paths or store.library_paths()
    for f in files:
        if not f.is_file():
            raise UsageError(f"{f}: no such pattern file")
    return store.load_many(files)


def cmd_patterns(args: argparse.Namespace) -> int:
    pats = _load_patterns(args.patterns)
    if args.patterns_command == "list":
        pats.sort(key=lambda p: (p.category, -p.scores.support, p.id))
        if args.format == "json":
            print(json.dumps([store.pattern_to_json(p) for p in pats], indent=2))
            return EXIT_OK
        console = _console()
        for p in pats:
            _print_pattern_line(console, p)
        console.print(f"{len(pats)} patterns")
        return EXIT_OK
    hits = [p for p in pats if p.id.startswith(args.id)]
    if len(hits) != 1:
        raise UsageError(f"pattern id {args.id!r} matches {len(hits)} patterns")
    p = hits[0]
    if args.format == "json":
        print(json.dumps(store.pattern_to_json(p), indent=2))
    else:
        _print_pattern_full(_console(), p)
    return EXIT_OK


def _one_line(code: str) -> str:
    return " ⏎ ".join(ln.strip() for ln in code.strip().splitlines())


def _print_pattern_line(console: Any, p: Pattern) -> None:
    s = p.scores
    label = f"{p.name} " if p.name else ""
    console.print(f"[cyan]{p.id}[/] {label}[dim]support {s.support} ({s.commits} commits) "
                  f"spec {s.specificity:.2f} rej {s.rejection:.2f}[/]  "
                  f"{_one_line(p.before)}  [bold]->[/]  {_one_line(p.after)}", markup=True, soft_wrap=True)


def _print_pattern_full(console: Any, p: Pattern) -> None:
    from rich.markup import escape

    s = p.scores
    console.print(f"[bold cyan]{p.id}[/] {escape(p.name)} ({p.origin}, {p.kind.value}, level {p.level})")
    console.print(f"support {s.support} edits in {s.commits} commits / {s.files} files; specificity "
                  f"{s.specificity:.2f}; unchanged matches at head {s.matches_unchanged}; rejection {s.rejection:.2f}")
    console.print("[bold]before[/]\n" + escape(_indent(p.before)))
    console.print("[bold]after[/]\n" + escape(_indent(p.after)))
    if p.context:
        console.print("[bold]context[/] " + escape(p.context) + (" (at the end of its block)" if p.at_block_end else ""))
    for i, ex in enumerate(p.examples):
        where = f" ({ex.commit[:10]} {ex.file}:{ex.line})" if ex.commit else ""
        console.print(f"[bold]example {i + 1}[/]{escape(where)}")
        console.print(escape(_indent(ex.before)) + "  ->\n" + escape(_indent(ex.after)))
    if p.commits:
        console.print("commits: " + " ".join(c[:10] for c in p.commits))


def _indent(code: str) -> str:
    return "".join("    " + ln for ln in code.splitlines(keepends=True)).rstrip("\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
