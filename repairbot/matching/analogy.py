"""The flagged statement written the way its file writes the same context elsewhere.

Many fixes make one statement agree with the rest of its file: `path.resolve().parent` where
the file writes `path.parent`, `raise err.reraise()` where it writes `err.reraise()`, a call
given the argument its other calls pass. No template holds that knowledge, but the file does.
Where the statement reads `L X R` and the file elsewhere reads `L S R` (L and R: context tokens,
two on one side and one on the other at least), `S` is a candidate for `X`. Candidates rank by
the context they share (up to four tokens a side) and how often the file writes them.

This works on tokens and splices text (`Splice`), so the file keeps its formatting; apply.py
re-parses every splice before it becomes a candidate. Tokens come from one regular expression
over the top-level statements within WINDOW lines of the statement: the standard `tokenize`
took 36 ms on a 3,800-line module where this takes 9.
"""

from __future__ import annotations

import ast
import bisect
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from repairbot.matching.match import Target, line_offsets

MAX_REMOVED = 4  # tokens an edit takes out of the statement
MAX_INSERTED = 6  # tokens it copies in from the file
CONTEXT = 4  # context tokens counted on each side
MAX_OCCURRENCES = 100  # places a context is looked up at, nearest to the statement first
BUDGET = 1500  # (edit point, place) pairs tried per side: bounds the time on a long statement
COMMON = 16  # a pair of context tokens seen more often than this needs a third one to agree
MAX_STATEMENT = 160  # tokens of a long statement searched, from the flagged line on
WINDOW = 600  # lines around the statement searched for its context (whole top-level statements)
MAX_SPLICES = 2  # an operator's best splices handed on: its third and later were the human fix 1 time in 938

NL = "\n"  # a line end outside brackets: statements are separated by it, so it is context too
# Words that make or end a statement: an edit that moves one changes what kind of statement it
# is, which is never a one-statement fix (and seldom parses).
_STATEMENT_WORDS = frozenset({"if", "elif", "else", "try", "except", "finally", "for", "while", "with", "def",
                              "class", "async", "import", "from", "global", "nonlocal", "pass", "break",
                              "continue", "del", "assert", "lambda", "match", "case", NL})
_OPEN, _CLOSE = "([{", ")]}"


_BRACKET = {"(": 1, ")": -1, "[": 1 << 20, "]": -(1 << 20), "{": 1 << 40, "}": -(1 << 40)}


_TOKEN = re.compile(r"""
    [ \t\f]*(?:(?:\\\r?\n|\#[^\r\n]*)[ \t\f]*)*  # layout and comments before the token (one way
    # to match them only: `(?:[ \t\f]+|...)*` backtracked exponentially over trailing blanks)
    (?:(?P<nl>\r?\n|\r) | (?P<eof>\Z)
      | (?P<str>[rRbBuUfF]{0,2}(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*"))
      | (?P<num>\d(?:[eE][-+]?\d|[\w.])*|\.\d\w*)
      | (?P<name>\w+)
      | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%&|^@<>!=]=|[^\s\w]))
""", re.X | re.S)


@dataclass(frozen=True)
class Tokens:
    text: list[str]
    start: list[int]  # character offsets in the source
    end: list[int]


@dataclass(frozen=True)
class Splice:
    """Replace source[start:end] with `text`: what a text operator proposes."""

    start: int
    end: int
    text: str
    line: int
    end_line: int
    weight: float


def tokenize(source: str, pos: int = 0, endpos: int | None = None) -> Tokens:
    """Code tokens of source[pos:endpos] (comments and layout dropped; NL for a line end outside
    brackets), with offsets into `source`."""
    text: list[str] = []
    start: list[int] = []
    end: list[int] = []
    depth = 0
    for m in _TOKEN.finditer(source, pos, len(source) if endpos is None else endpos):
        kind = m.lastgroup
        if kind == "eof":  # layout at the end: matched so that it is not searched again from each blank
            break
        a, b = m.span(kind)
        if kind == "nl":
            if depth == 0 and text and text[-1] != NL:
                text.append(NL)
                start.append(a)
                end.append(b)
            continue
        s = source[a:b]
        if kind == "op":
            if s in _OPEN:
                depth += 1
            elif s in _CLOSE:
                depth = max(0, depth - 1)
        text.append(s)
        start.append(a)
        end.append(b)
    return Tokens(text, start, end)


def window(target: Target, line: int) -> Tokens:
    """The tokens of the top-level statements within WINDOW lines of `line` (the whole file, for
    a file of usual length): a long module's far end costs time and seldom holds the analogy."""
    body = target.file_ast().body
    lo = next((st for st in body if (st.end_lineno or st.lineno) >= line - WINDOW), None)
    hi = next((st for st in reversed(body) if st.lineno <= line + WINDOW), None)
    starts = line_starts(target)
    a = starts[lo.lineno - 1] if lo is not None and 1 < lo.lineno <= len(starts) else 0
    end_line = hi.end_lineno if hi is not None else None
    b = starts[end_line] if end_line is not None and end_line < len(starts) else len(target.source)
    cache = target.__dict__.setdefault("_token_windows", {})
    got = cache.get((a, b))
    if got is None:
        got = cache[(a, b)] = tokenize(target.source, a, b)
    return got


def pair_counts(target: Target, line: int) -> Counter[tuple[str, str]]:
    """How often the file (the window around `line`) writes each pair of adjacent tokens."""
    toks = window(target, line)
    cache = target.__dict__.setdefault("_pair_counts", {})
    got = cache.get(id(toks))
    if got is None:
        got = cache[id(toks)] = Counter(zip(toks.text, toks.text[1:]))
    return got


def _anchors(t: list[str], s0: int, s1: int) -> tuple[dict[tuple[str, str], list[int]],
                                                      dict[tuple[str, str], list[int]]]:
    """Where the file has the statement's pairs of tokens: the position after each pair that
    precedes an edit point, and, for each pair that follows one, its position as the reversed
    tokens' left anchor (reversed position n - i, the pair's tokens swapped)."""
    n = len(t)
    left = {(t[i - 2], t[i - 1]) for i in range(max(s0, 2), s1 + 1)}
    right = {(t[i], t[i + 1]) for i in range(s0, min(s1 + 1, n - 1))}
    before: dict[tuple[str, str], list[int]] = {}
    after: dict[tuple[str, str], list[int]] = {}
    for i, pair in enumerate(zip(t, t[1:])):
        if pair in left:
            before.setdefault(pair, []).append(i + 2)
        if pair in right:
            after.setdefault((pair[1], pair[0]), []).append(n - i)
    for ps in after.values():
        ps.reverse()  # ascending, as the search's nearest-first cut expects
    return before, after


def _offset(lines: list[int], source: str, line: int, col: int) -> int:
    """A character offset from `ast`'s line and UTF-8 byte column."""
    base = lines[line - 1]
    nxt = source.find("\n", base)
    text = source[base:nxt if nxt >= 0 else len(source)]
    return base + len(text.encode("utf-8")[:col].decode("utf-8", "replace"))


def line_starts(target: Target) -> list[int]:
    """`line_offsets` of the whole file, once per target."""
    got = target.__dict__.get("_line_starts")
    if got is None:
        got = target.__dict__["_line_starts"] = line_offsets(target.source)
    return got


def statement_range(tree: ast.Module, line: int) -> tuple[ast.AST, ast.AST | None] | None:
    """The innermost statement on `line`: (statement, its first body statement) for a compound
    statement's header (the part before the body), (statement, None) for a simple one."""
    stmts: list[ast.stmt] = tree.body
    while True:
        for st in stmts:
            first = min([st.lineno] + [d.lineno for d in getattr(st, "decorator_list", None) or []])
            if first <= line <= (st.end_lineno or st.lineno):
                break
        else:
            return None
        body = getattr(st, "body", None)
        if not (isinstance(body, list) and body and isinstance(body[0], ast.stmt)):
            return st, None
        if line < body[0].lineno:
            return st, body[0]
        inner = [b for f in ("body", "orelse", "finalbody") for b in [getattr(st, f, None) or []]]
        for h in getattr(st, "handlers", None) or []:
            if h.lineno <= line < h.body[0].lineno:
                return h, h.body[0]
            inner.append(h.body)
        for case in getattr(st, "cases", None) or []:
            if case.pattern.lineno <= line < case.body[0].lineno:
                return case.pattern, case.body[0]
            inner.append(case.body)
        nested = [s for block in inner for s in block]
        if not any(isinstance(s, ast.stmt) for s in nested):
            return None
        stmts = nested


def span_tokens(target: Target, toks: Tokens, line: int) -> tuple[int, int] | None:
    """The token range [s0, s1) of the statement (or header) on `line`."""
    found = statement_range(target.file_ast(), line)
    if found is None:
        return None
    st, body = found
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
        return None  # a docstring: text, not code
    starts = line_starts(target)
    src = target.source
    decos = getattr(st, "decorator_list", None) or []
    first = min([st] + decos, key=lambda n: (n.lineno, n.col_offset))
    a = _offset(starts, src, first.lineno, first.col_offset)
    if body is not None:
        b = _offset(starts, src, body.lineno, body.col_offset)
    else:
        b = _offset(starts, src, st.end_lineno or st.lineno, st.end_col_offset or 0)
    s0 = bisect.bisect_left(toks.start, a)
    s1 = bisect.bisect_left(toks.start, b)
    while s1 > s0 and toks.text[s1 - 1] in (NL, ":") and body is not None:
        s1 -= 1  # a header's colon and line end stay: they are its right context
    if s1 - s0 > MAX_STATEMENT:
        at = bisect.bisect_left(toks.start, starts[line - 1]) if line - 1 < len(starts) else s0
        s0 = max(s0, min(at, s1 - MAX_STATEMENT))
        s1 = min(s1, s0 + MAX_STATEMENT)
    return (s0, s1) if s1 > s0 else None


@dataclass
class _Found:
    score: int
    count: int
    p: int  # where the file writes S (the occurrence with the most context)
    s: int  # len(S)


def _profile(t: list[str]) -> tuple[list[int], list[int]]:
    """Prefix sums over `t`: statement words, and bracket balance (each kind in its own 20 bits),
    so that an edit's checks cost two subtractions instead of a scan of its tokens."""
    words = list(accumulate((x in _STATEMENT_WORDS for x in t), initial=0))
    brackets = list(accumulate([_BRACKET.get(x, 0) for x in t], initial=0))
    return words, brackets


def _search(t: list[str], s0: int, s1: int, anchors: dict[tuple[str, str], list[int]],
            found: dict[tuple[int, int, tuple[str, ...]], _Found], seen: set, forward: bool) -> None:
    """Edits of t[s0:s1] anchored by two context tokens before them (`t` reversed for the
    other side: then positions are mirrored back before they are recorded)."""
    n = len(t)
    words, brackets = _profile(t)
    cap = max(4, min(MAX_OCCURRENCES, BUDGET // (s1 - s0 + 1)))  # a long statement looks less far
    for i1 in range(max(s0, 2), s1 + 1):
        occ = anchors.get((t[i1 - 2], t[i1 - 1]))
        if not occ:
            continue
        if len(occ) > COMMON and i1 >= 3:  # a common pair (`self .`, `, "`): a third token must agree
            third = t[i1 - 3]
            occ = [p for p in occ if p >= 3 and t[p - 3] == third]
        if len(occ) > cap:  # the nearest ones (occ is ascending)
            k = bisect.bisect_left(occ, i1)
            occ = occ[max(0, k - cap // 2):k + cap - cap // 2]
        ahead: dict[str, list[int]] = {}
        for i2 in range(i1, min(i1 + MAX_REMOVED, s1) + 1):
            if i2 < n and words[i2] == words[i1]:  # the removed tokens hold no statement word
                ahead.setdefault(t[i2], []).append(i2)
        if not ahead:
            continue
        for p in occ:
            if p == i1:
                continue
            left = 2
            while left < CONTEXT and i1 - 1 - left >= 0 and p - 1 - left >= 0 and t[i1 - 1 - left] == t[p - 1 - left]:
                left += 1
            for s in range(MAX_INSERTED + 1):
                q = p + s
                if q >= n or words[q] != words[p]:
                    break  # past the end, or the copied tokens would hold a statement word
                for i2 in ahead.get(t[q], ()):
                    if brackets[q] - brackets[p] != brackets[i2] - brackets[i1] or (p < i2 and i1 < q) or \
                            (q - p == i2 - i1 and t[p:q] == t[i1:i2]):
                        continue  # unbalanced, a copy of itself over the edit, or no change
                    right = 1
                    while right < CONTEXT and i2 + right < n and q + right < n and t[i2 + right] == t[q + right]:
                        right += 1
                    if forward:
                        key = (i1, i2, tuple(t[p:q]))
                        where = p
                    else:  # mirror: reversed position x is n - x going forward
                        key = (n - i2, n - i1, tuple(reversed(t[p:q])))
                        where = n - q
                    if (key, where) in seen:
                        continue
                    seen.add((key, where))
                    score = left + right
                    got = found.get(key)
                    if got is None:
                        found[key] = _Found(score, 1, where, s)
                    else:
                        got.count += 1
                        if score > got.score:
                            got.score, got.p = score, where


def _gap(source: str, a: int, b: int) -> str:
    """Layout between two tokens, moved elsewhere: a line break or comment becomes one space."""
    g = source[a:b]
    return " " if any(c in g for c in "\n\r#\\") else g


def _text(source: str, toks: Tokens, p: int, s: int, left_gap: bool, right_gap: bool) -> str:
    """The file's text of t[p:p+s] with the layout around it that the splice replaces (a
    deletion inside a statement keeps the one gap its context has there, at an edge none)."""
    if not s:
        return _gap(source, toks.end[p - 1], toks.start[p]) if left_gap and right_gap else ""
    parts = [_gap(source, toks.end[p - 1], toks.start[p])] if left_gap else []
    for k in range(p, p + s):
        parts.append(source[toks.start[k]:toks.end[k]])
        if k + 1 < p + s:
            parts.append(_gap(source, toks.end[k], toks.start[k + 1]))
    if right_gap and p + s < len(toks.text):
        parts.append(_gap(source, toks.end[p + s - 1], toks.start[p + s]))
    return "".join(parts)


def file_analogy(target: Target, lines: set[int] | None) -> Iterator[Splice]:
    if lines is None:  # a whole (small) file: every statement
        lines = {s.lineno for s in ast.walk(target.file_ast()) if isinstance(s, ast.stmt)}
    src = target.source
    starts = line_starts(target)
    done: set[tuple[int, int]] = set()
    for line in sorted(lines):
        toks = window(target, line)
        t = toks.text
        n = len(t)
        span = span_tokens(target, toks, line)
        if span is None or (toks.start[span[0]], toks.start[span[1] - 1]) in done:
            continue
        done.add((toks.start[span[0]], toks.start[span[1] - 1]))
        s0, s1 = span
        before, after = _anchors(t, s0, s1)
        found: dict[tuple[int, int, tuple[str, ...]], _Found] = {}
        seen: set = set()
        _search(t, s0, s1, before, found, seen, True)
        _search(t[::-1], n - s1, n - s0, after, found, seen, False)
        ranked = sorted(found.items(), key=lambda kv: (-kv[1].score * math.log2(1 + min(kv[1].count, 8)),
                                                        (kv[0][1] - kv[0][0]) + len(kv[0][2]), kv[0][0]))
        emitted: set[tuple[str, ...]] = set()
        for (i1, i2, ins), f in ranked:
            new = (*t[s0:i1], *ins, *t[i2:s1])
            if (i1 == s0 and i2 == s1) or new in emitted:  # some of the statement must stay
                continue
            emitted.add(new)
            left_gap = t[i1 - 1] != NL
            right_gap = i2 < n and t[i2] != NL
            start = toks.end[i1 - 1] if left_gap else toks.start[i1] if i1 < n else len(src)
            end = toks.start[i2] if right_gap else toks.end[i2 - 1] if i2 > i1 else start
            text = _text(src, toks, f.p, f.s, left_gap, right_gap)
            weight = f.score * math.log2(1 + min(f.count, 8)) / (2 * CONTEXT * math.log2(9))
            first, last = (bisect.bisect_right(starts, x) for x in (start, end))
            yield Splice(start, end, text, first, last, round(weight, 6))
            if len(emitted) >= MAX_SPLICES:
                break

