"""`repairbot feedback` and `repairbot audit`: the journal's two doors."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from repairbot.audit import DEFAULT_PATH
from repairbot.cli.common import EXIT_OK, UsageError


def register(sub: Any) -> None:
    fb = sub.add_parser("feedback", help="record what happened to a proposed patch (merged, closed, edited)")
    fb.add_argument("fingerprint", nargs="?", help="the patch fingerprint (or a unique prefix), as printed by fix")
    fb.add_argument("--pr", type=int, metavar="N", help="instead of a fingerprint: the bot pull request number")
    fb.add_argument("--outcome", choices=("merged", "closed", "edited"), required=True)
    fb.add_argument("--db", type=Path, help=f"the audit journal (default: {DEFAULT_PATH})")

    au = sub.add_parser("audit", help="list journalled runs, or explain one end to end (audit show RUN)")
    au.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    au.add_argument("run", nargs="?", type=int, help="with show: the run id")
    au.add_argument("--db", type=Path, help=f"the audit journal (default: {DEFAULT_PATH})")
    au.add_argument("--since", type=since_time, default=None, metavar="WHEN",
                    help="only runs started since WHEN: a date (2026-11-27), a time (2026-11-27T10:00), "
                         "an age (30m, 2h, 7d) or a Unix time")
    au.add_argument("--format", choices=("text", "json"), default="text")

    fb.set_defaults(func=cmd_feedback)
    au.set_defaults(func=cmd_audit)


def since_time(text: str) -> float:
    import datetime as dt
    import re

    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", text.strip())
    if m:
        return time.time() - float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date, a time, an age like 2h, or a Unix time") \
            from None
    return when.timestamp()


def _open(db: Path | None) -> Any:
    from repairbot.audit import Journal

    path = db or Path(DEFAULT_PATH)
    if not path.is_file():
        raise UsageError(f"{path}: no such audit journal" + ("" if db else " (give --db)"))
    return Journal(path)


def cmd_feedback(args: argparse.Namespace) -> int:
    from repairbot.audit import pull_request_fingerprint
    from repairbot.rank import acceptance_weight

    if (args.fingerprint is None) == (args.pr is None):
        raise UsageError("give a patch fingerprint or --pr N (one of them)")
    journal = _open(args.db)
    try:
        wanted = args.fingerprint if args.pr is None else pull_request_fingerprint(journal, args.pr)
        fp, pattern, file = journal.record_outcome(wanted, args.outcome)
        alpha, beta = journal.acceptance()[pattern]
    except LookupError as e:
        raise UsageError(str(e).strip("'\"")) from None
    finally:
        journal.close()
    print(f"recorded {args.outcome} for {fp} ({file}, pattern {pattern}); pattern acceptance "
          f"Beta({alpha:g}, {beta:g}), prior weight {acceptance_weight(alpha, beta):.2f}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    if args.action == "show" and args.run is None:
        raise UsageError("audit show needs a run id")
    if args.action == "list" and args.run is not None:
        raise UsageError("audit list takes no run id (did you mean: audit show RUN?)")
    journal = _open(args.db)
    try:
        if args.action == "list":
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
            raise UsageError(f"no run {args.run} in {journal.path}")
        if args.format == "json":
            print(json.dumps([e.__dict__ for e in events], indent=2))
        else:
            for e in events:
                detail = ", ".join(f"{k}={v}" for k, v in e.data.items() if k not in ("diff", "source"))
                print(f"{time.strftime('%H:%M:%S', time.localtime(e.at))}  {e.kind:10}  {detail}")
                for key in ("diff", "source"):
                    if key in e.data:
                        print("".join(f"    {ln}" for ln in str(e.data[key]).splitlines(keepends=True)).rstrip())
        return EXIT_OK
    finally:
        journal.close()
