"""Fault localisation: run the tests, read tracebacks, rank suspicious lines.

Stage inputs and outputs are the frozen dataclasses of `repairbot.types` (`TestRun`,
`TestResult`, `Frame`, `Location`). Everything here needs only the standard library
(coverage.py is imported inside the child pytest, and only when coverage is requested),
because `repairbot.localize.plugin` is imported by the project's own interpreter.
"""

from repairbot.localize.rank import localize
from repairbot.localize.runner import detect_flaky, run_pytest
from repairbot.localize.sbfl import ochiai
from repairbot.localize.traceback import parse_faulthandler, parse_traceback, read_trace_file

__all__ = [
    "detect_flaky",
    "localize",
    "ochiai",
    "parse_faulthandler",
    "parse_traceback",
    "read_trace_file",
    "run_pytest",
]
