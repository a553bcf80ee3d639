"""Parse tracebacks out of log text into `Frame`s.

Production logs rarely contain a clean traceback: lines carry timestamps or logger prefixes,
exceptions are chained, and Python 3.11 adds `^^^^` marker lines. Rather than parsing the
traceback grammar strictly, we find frame lines anywhere on a line and use the
"Traceback (most recent call last):" headers to split the text into one block per
exception; the final block is the exception that was actually reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from repairbot.types import Frame

_HEADER = "Traceback (most recent call last):"
# `  File "x.py", line 3, in f` -- searched (not matched) so any log prefix is tolerated. The
# frame must follow two blanks (its indentation) or start the line, and the function name must
# end the line: that keeps exception messages and source lines that merely mention
# `File "...", line N, in f` from being mistaken for frames.
_CPYTHON_FRAME = re.compile(
    r'(?:^|\s\s)File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>[\w.<>\-]+)\s*$'
)
# faulthandler's format: `  File "x.py", line 3 in f` (no comma, most recent call first).
_FAULT_FRAME = re.compile(r'(?:^|\s\s)File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>[\w.<>\-]+)\s*$')
# pytest's --tb=short/long location lines: `src/mod.py:12: in f` / `src/mod.py:12: ValueError`.
_PYTEST_FRAME = re.compile(
    r"^(?P<file>[^\s:][^:]*\.py):(?P<line>\d+):(?: in (?P<func>[\w.<>\-]+)| [\w.]+)?\s*$"
)
_MAX_CHARS = 50_000_000


def parse_traceback(text: str | bytes) -> tuple[Frame, ...]:
    """Frames of the last exception in `text`, outermost call first (as CPython prints them).

    Chained exceptions ("During handling of the above exception...", "The above exception
    was the direct cause...") start new blocks; only the last block is returned because that
    is the exception the program finally died with. Falls back to pytest's `path:line: in f`
    location lines when no CPython frames are present. Garbage returns ().
    """
    lines = _lines(text)
    if not lines:
        return ()
    blocks: list[list[Frame]] = []
    current: list[Frame] | None = None
    for line in lines:
        if _HEADER in line:
            current = []
            blocks.append(current)
            continue
        m = _CPYTHON_FRAME.search(line)
        if m is None:
            continue
        if current is None:  # header lost (truncated log): still worth keeping the frames
            current = []
            blocks.append(current)
        current.append(Frame(m["file"], int(m["line"]), m["func"]))
    for block in reversed(blocks):
        if block:
            return tuple(block)
    return _pytest_frames(lines)


def parse_faulthandler(text: str | bytes) -> tuple[Frame, ...]:
    """Frames of the first thread in a `faulthandler` dump, reordered outermost call first.

    faulthandler prints the most recent call first; we flip it so every `Frame` sequence in
    repairbot has the same orientation (deepest frame last).
    """
    frames: list[Frame] = []
    started = False
    for line in _lines(text):
        stripped = line.strip()
        if stripped.startswith(("Thread 0x", "Current thread 0x")) or stripped.startswith("Stack (most"):
            if started:
                break
            started = True
            continue
        m = _FAULT_FRAME.search(line)
        if m is not None:
            started = True
            frames.append(Frame(m["file"], int(m["line"]), m["func"]))
    return tuple(reversed(frames))


def read_trace_file(path: Path) -> tuple[Frame, ...]:
    """Frames of the last exception in a log file; unreadable files give () (per-file boundary)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ()
    return parse_traceback(data)


def _lines(text: str | bytes) -> list[str]:
    """Decode leniently and split; anything that is not text yields no lines."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text[:_MAX_CHARS]).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return []
    return text[:_MAX_CHARS].replace("\x00", "").splitlines()


def _pytest_frames(lines: Iterable[str]) -> tuple[Frame, ...]:
    """pytest-style entries; a new test section (a `____ name ____` rule) restarts the list."""
    frames: list[Frame] = []
    for line in lines:
        if line.startswith("___") and line.rstrip().endswith("___"):
            frames = []
            continue
        m = _PYTEST_FRAME.match(line.strip())
        if m is not None:
            frames.append(Frame(m["file"], int(m["line"]), m["func"] or ""))
    return tuple(frames)
