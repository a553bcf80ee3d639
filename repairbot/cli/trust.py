"""`repairbot feedback` and `repairbot audit`: the journal's two doors."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from repairbot.cli.common import EXIT_OK, UsageError


def register(sub: Any) -> None:
    fb = sub.add_parser("feedback", help="record what happened to a proposed patch")
    fb.add_argument("db", type=Path, help="the audit journal the patch was proposed in")
    fb.add_argument("fingerprint", help="the patch fingerprint (or a unique prefix), as printed by fix")
    fb.add_argument("--outcome", choices=("merged", "closed", "edited"), required=True)

    au = sub.add_parser("audit", help="list runs in an audit journal, or explain one")
    au.add_argument("db", type=Path, help="the journal (e.g. .repairbot/audit.db)")
    au.add_argument("run", nargs="?", type=int, help="a run id: show it end to end")
    au.add_argument("--since", type=float, default=None, help="only runs started after this Unix time")
    au.add_argument("--format", choices=("text", "json"), default="text")

    fb.set_defaults(func=cmd_feedback)
    au.set_defaults(func=cmd_audit)


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
