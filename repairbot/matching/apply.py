"""Every rewrite a set of patterns makes in one file: templates and procedural operators alike.

Candidate generation (`repairbot fix`) and example verification both go through here, so a
pattern's examples are checked by exactly the code that later applies it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import libcst as cst

from repairbot.matching.analogy import Splice, file_analogy
from repairbot.matching.instantiate import InstantiationError, apply_match, replace_node
from repairbot.matching.match import Compiled, Match, Target, find_matches
from repairbot.matching.operators import OPERATORS
from repairbot.matching.replacements import learned_replacement
from repairbot.matching.spelling import message_spelling

MAX_PER_OPERATOR = 6
# operators that splice text (the file keeps its layout) instead of rewriting a tree
TEXT_OPERATORS = {"file_analogy": file_analogy, "message_spelling": message_spelling,
                  "learned_replacement": learned_replacement}


@dataclass(frozen=True)
class Applied:
    compiled: Compiled
    line: int
    end_line: int
    new_source: str
    weight: float = 1.0  # an operator's own ranking among its rewrites (scales the pattern prior)


@dataclass(frozen=True)
class Failed:
    compiled: Compiled
    line: int
    reason: str
    quiet: bool = False  # a blind token splice that does not parse: filtered, not an error


@dataclass(frozen=True)
class Proposal:
    """A rewrite found but not yet written: where, by which pattern, at what weight. Writing it
    (`make`) prints and re-parses the region, the costly part, so `suggest` writes only the
    proposals that can still reach its top K."""

    compiled: Compiled
    line: int
    end_line: int
    weight: float
    make: Callable[[], Applied | Failed]

    def build(self) -> Applied | Failed:
        """`make`, with any error of this one candidate turned into a reported skip."""
        try:
            return self.make()
        except Exception as e:  # noqa: BLE001 -- the per-candidate boundary
            return Failed(self.compiled, self.line, f"rewrite failed: {type(e).__name__}: {e}")


def proposals(target: Target, patterns: Sequence[Compiled],
              lines: set[int] | None = None) -> Iterator[Proposal | Failed]:
    templated = [c for c in patterns if not c.pattern.guard]
    for m in find_matches(target, templated, lines):
        yield Proposal(m.compiled, m.line, m.end_line, 1.0, partial(_apply, target, m))
    for c in patterns:
        if not c.pattern.guard:
            continue
        splices = TEXT_OPERATORS.get(c.pattern.guard)
        if splices is not None:
            try:
                found = sorted(splices(target, lines), key=lambda r: -r.weight)[:MAX_PER_OPERATOR]
            except Exception as e:  # noqa: BLE001 -- one operator's fault must not cost the file its other candidates
                yield _broken(c, lines, e)
                continue
            for sp in found:
                yield Proposal(c, sp.line, sp.end_line, sp.weight, partial(_splice, target, c, sp))
            continue
        op = OPERATORS.get(c.pattern.guard)
        if op is None:
            yield Failed(c, 0, f"unknown operator {c.pattern.guard!r}")
            continue
        # only an operator's best rewrites: instantiating each costs a print of the region, and a
        # long call or list would otherwise add dozens that never rank
        try:
            best = sorted(op(target, lines), key=lambda r: -r[2])[:MAX_PER_OPERATOR]
        except Exception as e:  # noqa: BLE001 -- as above
            yield _broken(c, lines, e)
            continue
        for old, new, weight in best:
            first, last = target.span(old)
            yield Proposal(c, first, last, weight, partial(_replace, target, c, old.node, new, first, last, weight))


def _broken(c: Compiled, lines: set[int] | None, e: Exception) -> Failed:
    """An operator that raised: a reported skip naming it and the error, never a crash."""
    return Failed(c, min(lines) if lines else 0, f"operator {c.pattern.guard!r} failed: {type(e).__name__}: {e}")


def rewrites(target: Target, patterns: Sequence[Compiled],
             lines: set[int] | None = None) -> Iterator[Applied | Failed]:
    for p in proposals(target, patterns, lines):
        yield p if isinstance(p, Failed) else p.build()


def _apply(target: Target, m: Match) -> Applied | Failed:
    try:
        rw = apply_match(target.module, m, target.layout())
    except InstantiationError as e:
        return Failed(m.compiled, m.line, str(e))
    return _whole(target, m.compiled, rw.line, rw.end_line, rw.new_source)


def _replace(target: Target, c: Compiled, old: cst.CSTNode, new: cst.CSTNode, first: int, last: int,
             weight: float) -> Applied | Failed:
    try:
        rw = replace_node(target.module, old, new, first, last, target.layout())
    except InstantiationError as e:
        return Failed(c, first, str(e))
    return _whole(target, c, first, last, rw.new_source, weight)


def _splice(target: Target, c: Compiled, sp: Splice) -> Applied | Failed:
    """A text operator's splice, kept only if the code around it still parses: the region that
    was parsed (with its stand-in headers), or the whole file."""
    src = target.source
    new = src[:sp.start] + sp.text + src[sp.end:]
    r = target.region
    code = new
    if r is not None and len(r.prefix) <= sp.start and sp.end <= len(src) - len(r.suffix):
        head = r.text[:len(r.text) - (len(src) - len(r.prefix) - len(r.suffix))]
        code = head + new[len(r.prefix):len(new) - len(r.suffix)]
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Failed(c, sp.line, "splice does not parse", quiet=True)
    return Applied(c, sp.line, sp.end_line, new, sp.weight)


def _whole(target: Target, c: Compiled, line: int, end_line: int, code: str,
           weight: float = 1.0) -> Applied | Failed:
    """Rewrites of a parsed region become whole files again."""
    new = target.whole(code)
    if new is None:
        return Failed(c, line, "rewrite reaches outside the parsed region")
    return Applied(c, line, end_line, new, weight)
