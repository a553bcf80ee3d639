"""Pieces every subcommand shares: exit codes, one-line usage errors, rich output, pattern options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from repairbot.pattern import store
from repairbot.types import Pattern

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep the one-line shape
        self.print_usage(sys.stderr)
        raise UsageError(message)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal; a no-op callback otherwise."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, console=make_console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def make_console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def add_pattern_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patterns", type=Path, action="append", default=[],
                   help="extra pattern file(s), e.g. from `repairbot mine`")
    p.add_argument("--no-library", action="store_true", help="do not use the shipped pattern library")


def repair_patterns(args: argparse.Namespace) -> list[Pattern]:
    """The shipped library (unless --no-library) plus every --patterns file."""
    for f in args.patterns:
        if not f.is_file():
            raise UsageError(f"{f}: no such pattern file")
    return store.load_many(([] if args.no_library else store.library_paths()) + list(args.patterns))


def load_patterns(paths: list[Path]) -> list[Pattern]:
    files = paths or store.library_paths()
    for f in files:
        if not f.is_file():
            raise UsageError(f"{f}: no such pattern file")
    return store.load_many(files)


def add_audit_args(p: argparse.ArgumentParser, default_on: bool) -> None:
    where = "default: [tool.repairbot] audit, else .repairbot/audit.db in the project" if default_on else "opt-in"
    p.add_argument("--audit", type=Path, metavar="DB", help=f"the SQLite audit journal to append to ({where})")
    p.add_argument("--no-audit", action="store_true", help="journal nothing")


def journal_path(args: argparse.Namespace, root: Path | None) -> Path | None:
    """Where this run is journalled: --audit, else the project's configured default, else nowhere."""
    if args.no_audit:
        return None
    if args.audit:
        return Path(args.audit)
    if root is None:
        return None
    from repairbot.config import load_config

    configured = load_config(root).audit
    return root / configured if configured else None


def journal_once(db: Path | None, command: str, project: Path, events: Sequence[tuple[str, dict[str, Any]]],
                 **end: Any) -> None:
    """Journal a run whose steps are known at the end (check, mine): its events, then `end`."""
    if db is None:
        return
    from repairbot.audit import Journal

    journal = Journal(db)
    try:
        run = journal.start_run(command, project.resolve(), list(sys.argv[1:]))
        for kind, data in events:
            journal.record(run, kind, **data)
        journal.record(run, "end", **end)
    finally:
        journal.close()
