"""The flagged statement's tokens replaced as other projects replaced the same tokens there.

`patterns/replacements.json` (mined by repairbot/mining/replacements.py from the library's
sources' whole histories) holds token replacements made in at least two projects and two commits,
each with the tokens around it. Where the statement reads `L X R` and other projects' histories
replaced `X` by `Y` between the same `L` and `R` (the context must agree, else the pair is noise:
`None -> {}` anywhere), `Y` is a candidate. This is the one operator that writes words the file
does not have (`except Exception` -> `BaseException`, `text_type(` -> `str(`, `Dict[` ->
`Mapping[`), which no template bound to the file's code can. Its weight is the replacement's
share of all the changes other projects made to `X`, times how often they made it in this
context (c / (c + 1)). The text is spliced, so the file keeps its layout; apply.py re-parses.
"""

from __future__ import annotations

import ast
import bisect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from repairbot.matching.analogy import NL, Splice, Tokens, line_starts, span_tokens, window
from repairbot.matching.match import Target
from repairbot.mining.replacements import END, MAX_SPAN, MIN_COMMITS, MIN_PROJECTS, START, from_json
from repairbot.pattern.store import LIBRARY_DIR, REPLACEMENTS
from repairbot.types import Replacement

PATH = LIBRARY_DIR / REPLACEMENTS


@dataclass(frozen=True)
class Table:
    # (old, left, right) -> the replacements made there, each with its commits there per project
    by_context: dict[tuple[tuple[str, ...], str, str], tuple[tuple[Replacement, dict[str, int]], ...]]
    olds: frozenset[tuple[str, ...]]  # every old side, to skip spans no replacement starts from
    changed: dict[tuple[str, ...], dict[str, int]]  # commits changing each old side, per project


@lru_cache(maxsize=4)
def load(path: Path = PATH) -> Table:
    """The table, or an empty one if the file is missing or unreadable (the operator then
    proposes nothing; every other built-in still works)."""
    try:
        table, changed = from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return Table({}, frozenset(), {})
    by_context: dict[tuple[tuple[str, ...], str, str], dict[Replacement, dict[str, int]]] = {}
    for r in table:
        for left, right, project, n in r.contexts:
            by_context.setdefault((r.old, left, right), {}).setdefault(r, {})[project] = n
    return Table({k: tuple(v.items()) for k, v in by_context.items()}, frozenset(r.old for r in table), changed)


_left_out: str | None = None


def leave_out(project: str | None) -> None:
    """Score as if `project` ("owner/name") had not been mined: for the development benchmark,
    which predicts each source project's own fixes (benchmarks/accuracy_bench.py --leave-out)."""
    global _left_out
    _left_out = project


def _context(src: str, toks: Tokens, i: int, j: int) -> tuple[str, str]:
    """The tokens either side of toks[i:j] on the same line, as mining saw them (one line each)."""
    t = toks.text
    left = t[i - 1] if i > 0 and t[i - 1] != NL and "\n" not in src[toks.end[i - 1]:toks.start[i]] else START
    right = t[j] if j < len(t) and t[j] != NL and "\n" not in src[toks.end[j - 1]:toks.start[j]] else END
    return left, right


def weight(r: Replacement, changed: dict[str, int], here_by_project: dict[str, int]) -> float:
    """0 unless enough other projects made it (the mining rule, checked again when a project is
    left out), and made it in this context."""
    per = {p: n for p, n in r.projects if p != _left_out}
    commits = sum(per.values())
    if len(per) < MIN_PROJECTS or commits < MIN_COMMITS:
        return 0.0
    here = sum(n for p, n in here_by_project.items() if p != _left_out)
    if not here:
        return 0.0
    total = sum(n for p, n in changed.items() if p != _left_out) or commits
    return min(1.0, commits / total) * here / (here + 1)


def learned_replacement(target: Target, lines: set[int] | None) -> Iterator[Splice]:
    table = load(PATH)
    if not table.olds:
        return
    if lines is None:  # a whole (small) file: every statement, as the token analogy reads it
        lines = {s.lineno for s in ast.walk(target.file_ast()) if isinstance(s, ast.stmt)}
    src = target.source
    starts = line_starts(target)
    for line in sorted(lines):
        toks = window(target, line)
        span = span_tokens(target, toks, line)
        if span is None:
            continue
        t = toks.text
        for i in range(*span):
            for n in range(1, MAX_SPAN + 1):
                if i + n > span[1] or t[i + n - 1] == NL:
                    break
                old = tuple(t[i:i + n])
                if old not in table.olds:
                    continue
                left, right = _context(src, toks, i, i + n)
                for r, here in table.by_context.get((old, left, right), ()):
                    w = weight(r, table.changed.get(old, {}), here)
                    if w > 0:
                        a, b = toks.start[i], toks.end[i + n - 1]
                        if not r.text and src[b:b + 1] in ("", "\n", ")", "]", "}", ":", ",", "."):
                            while a > 0 and src[a - 1] in " \t":  # `except E as e:` -> `except E:`, not `except E :`
                                a -= 1
                        yield Splice(a, b, r.text, bisect.bisect_right(starts, a), bisect.bisect_right(starts, b),
                                     round(w, 6))
