"""`repairbot patterns list|show`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from repairbot.cli.common import EXIT_OK, Parser, UsageError, load_patterns, make_console
from repairbot.pattern import store
from repairbot.types import Pattern


def register(sub: Any) -> None:
    pt = sub.add_parser("patterns", help="list or show patterns")
    psub = pt.add_subparsers(dest="patterns_command", required=True, parser_class=Parser)
    for name in ("list", "show", "stats"):
        q = psub.add_parser(name, help={"list": "print patterns as before -> after", "show": "one pattern in full",
                                        "stats": "the patterns by fix kind, with support and provenance"}[name])
        if name == "show":
            q.add_argument("id", help="pattern id (a unique prefix is enough)")
        q.add_argument("--patterns", type=Path, action="append", default=[],
                       help="pattern file(s); default: the shipped library")
        q.add_argument("--format", choices=("text", "json"), default="text")
    pt.set_defaults(func=cmd_patterns)


def cmd_patterns(args: argparse.Namespace) -> int:
    pats = load_patterns(args.patterns)
    if args.patterns_command == "stats":
        from repairbot.pattern.stats import by_kind, render_table, replacements_line

        rows = by_kind(pats)
        if args.format == "json":
            print(json.dumps([asdict(r) for r in rows], indent=2))
        else:
            print(render_table(rows), end="")
            if not args.patterns:
                print(replacements_line())
        return EXIT_OK
    if args.patterns_command == "list":
        pats.sort(key=lambda p: (p.category, -p.scores.support, p.id))
        if args.format == "json":
            print(json.dumps([store.pattern_to_json(p) for p in pats], indent=2))
            return EXIT_OK
        console = make_console()
        for p in pats:
            print_pattern_line(console, p)
        console.print(f"{len(pats)} patterns")
        return EXIT_OK
    hits = [p for p in pats if p.id.startswith(args.id)]
    if len(hits) != 1:
        raise UsageError(f"pattern id {args.id!r} matches {len(hits)} patterns")
    p = hits[0]
    if args.format == "json":
        print(json.dumps(store.pattern_to_json(p), indent=2))
    else:
        print_pattern_full(make_console(), p)
    return EXIT_OK


def _one_line(code: str) -> str:
    return " ⏎ ".join(ln.strip() for ln in code.strip().splitlines())


def print_pattern_line(console: Any, p: Pattern) -> None:
    s = p.scores
    label = f"{p.name} " if p.name else ""
    console.print(f"[cyan]{p.id}[/] {label}[dim]support {s.support} ({s.commits} commits) "
                  f"spec {s.specificity:.2f} rej {s.rejection:.2f}[/]  "
                  f"{_one_line(p.before)}  [bold]->[/]  {_one_line(p.after)}", markup=True, soft_wrap=True)


def print_pattern_full(console: Any, p: Pattern) -> None:
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
