"""The `repairbot` command group: one module per subcommand, each with `register(sub)`.

Exit codes (all subcommands): 0 success, 1 the job ran but found something to report
(e.g. `fix` found no validated patch), 2 usage or input error (bad repository, unknown
revision, unreadable pattern or config file). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from repairbot.cli import check, fix, mine, patterns, serve, trust
from repairbot.cli.common import EXIT_FOUND, EXIT_OK, EXIT_USAGE, Parser, UsageError
from repairbot.config import ConfigError
from repairbot.mining.history import RepoError
from repairbot.pattern import store

__all__ = ["EXIT_FOUND", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

COMMANDS = (mine, fix, trust, check, patterns, serve)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="repairbot", description="Learn fix patterns from history and repair failing Python code.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (UsageError, RepoError, ConfigError, store.PatternFileError) as e:
        print(f"repairbot: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("repairbot: interrupted", file=sys.stderr)
        return 130
