"""`repairbot fix`: localise, repair, validate, decide by policy, and optionally apply."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from repairbot.cli.common import (
    EXIT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_audit_args,
    add_pattern_args,
    journal_path,
    make_console,
    repair_patterns,
)
from repairbot.config import load_config


def register(sub: Any) -> None:
    f = sub.add_parser("fix", help="repair failing tests with validated patches")
    f.add_argument("path", nargs="?", default=".", help="project root (default: current directory)")
    f.add_argument("--tests", nargs="+", default=[], metavar="ARG", help="pytest arguments: files or node ids")
    add_pattern_args(f)
    f.add_argument("--trace", type=Path, help="a Python traceback from a log, as another localisation source; "
                   "if no test fails, the logged call is rebuilt as a test where its arguments are literals")
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
    add_audit_args(f, default_on=True)
    f.add_argument("--force", action="store_true", help="propose patches even if closed without merge before")
    f.add_argument("--max-per-day", type=int, default=10, help="cap on patches applied per day (needs the journal)")
    f.add_argument("--no-evidence", action="store_true",
                   help="skip the generated regression tests and the differential run")

    f.set_defaults(func=cmd_fix)


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
    patterns = repair_patterns(args)
    opts = FixOptions(tests=tuple(args.tests), trace_text=trace, jobs=args.jobs, time_budget=args.time_budget,
                      top=args.top, python=args.python, test_timeout=args.test_timeout,
                      include_tests=args.include_tests, evidence=not args.no_evidence)
    policy = None
    if args.policy:
        policies = load_config(root).policies
        if args.policy not in policies:
            known = ", ".join(sorted(policies)) or "none configured"
            raise UsageError(f"no policy {args.policy!r} in [tool.repairbot.policy] (known: {known})")
        policy = policies[args.policy]
    journal, run_id = None, 0
    db = journal_path(args, root)
    if db is not None:
        from repairbot.audit import Journal
        from repairbot.rank import acceptance_weight

        journal = Journal(db)
        run_id = journal.start_run("fix", root.resolve(), list(sys.argv[1:]))
        weights = {pid: acceptance_weight(a, b) for pid, (a, b) in journal.acceptance().items()}
        blocked = frozenset() if args.force else frozenset(journal.rejected_fingerprints())
        opts = replace(opts, weights=weights, blocked=blocked)
    text = args.format == "text"
    console = make_console(stderr=True)
    say = (lambda msg: console.print(msg, style="dim", markup=False, highlight=False)) if text else None
    try:
        sink = (lambda kind, **data: journal.record(run_id, kind, **data)) if journal else None
        report = run_fix(root, patterns, opts, progress=say, events=sink)
    except FixInputError as e:
        if journal:
            journal.record(run_id, "end", status="error", error=str(e))
        raise UsageError(str(e)) from None
    decision = policy.decide(report.patches[0].confidence, report.patches[0].validation.candidate.file,
                             report.patches[0].risks) if policy and report.patches else None
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
        print_fix(make_console(), report, applied, decision)
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
