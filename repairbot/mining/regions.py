"""Parse only what changed: pair the enclosing functions of each diff hunk.

libcst parses about 0.5 MB/s, so whole-file parsing is nearly all of mining's cost. The
standard-library `ast` (about ten times faster) finds the innermost function around each
changed line on both sides; when both sides agree on its qualified name, only that
function's source is handed to libcst. Anything else (module-level changes, a hunk that
spans functions) falls back to the whole file, so the edits found are the same as with
whole-file parsing.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    qualname: str
    start: int  # 1-based first line (decorators included)
    end: int  # 1-based last line
    indent: int


@dataclass(frozen=True)
class Region:
    before: str
    after: str
    line_offset: int  # add to a line inside `before` to get the file's line
    function: bool = False  # one function's source (see edits.RegionTooSmall)
    fallback: Region | None = None  # the function's run in its module or class, if it has one


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(node: ast.AST):
    """Child statements only: expressions hold no definitions worth a region."""
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, name, ()) or ():
            if isinstance(child, _BLOCKS):
                yield child


def function_spans(tree: ast.Module) -> list[Span]:
    out: list[Span] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in _statements(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                    out.append(Span(name, start, child.end_lineno or child.lineno, child.col_offset))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def _innermost(spans: list[Span], lo: int, hi: int) -> Span | None:
    best = None
    for s in spans:
        if s.start <= lo and hi <= s.end and (best is None or s.end - s.start < best.end - best.start):
            best = s
    return best


def _code_lines(lines: list[str], lo: int, hi: int) -> tuple[int, int] | None:
    """Trim blank lines from a 0-based half-open range; None if nothing but blanks."""
    while lo < hi and not lines[lo].strip():
        lo += 1
    while hi > lo and not lines[hi - 1].strip():
        hi -= 1
    return (lo, hi) if lo < hi else None


@dataclass(frozen=True)
class Container:
    """A module or class body: where changes outside any function are aligned."""

    qualname: str
    start: int  # first line of the class (decorators included); 1 for the module
    header_end: int  # last line before the body; 0 for the module
    end: int
    indent: int
    body: tuple[tuple[int, int], ...]  # spans of the body's statements


def containers(tree: ast.Module, n_lines: int) -> list[Container]:
    out = [Container("", 1, 0, n_lines, 0, tuple(_top_spans(tree.body)))]

    def visit(node: ast.AST, prefix: str) -> None:
        for child in _statements(node):
            if isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}"
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                body = _top_spans(child.body)
                out.append(Container(name, start, body[0][0] - 1, child.end_lineno or child.lineno, child.col_offset,
                                     tuple(body)))
                visit(child, name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def _innermost_container(cs: list[Container], lo: int, hi: int) -> Container:
    best = cs[0]
    for c in cs[1:]:
        if c.header_end < lo and hi <= c.end and c.end - c.start < best.end - best.start:
            best = c
    return best


def line_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, after trimming the common head and tail (fix diffs are small,
    files are not, and SequenceMatcher is quadratic in what it is given)."""
    head = 0
    limit = min(len(a), len(b))
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    sm = difflib.SequenceMatcher(a=a[head:len(a) - tail], b=b[head:len(b) - tail], autojunk=False)
    return [(op, i1 + head, i2 + head, j1 + head, j2 + head) for op, i1, i2, j1, j2 in sm.get_opcodes()]


def _top_spans(body: list[ast.stmt]) -> list[tuple[int, int]]:
    out = []
    for node in body:
        decos = getattr(node, "decorator_list", [])
        out.append((min([node.lineno] + [d.lineno for d in decos]), node.end_lineno or node.lineno))
    return out


def _run(spans: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int] | None:
    """Top-level statements touching lines lo..hi, widened by one neighbour on each side
    (so alignment and end-of-block facts are the same as in the whole file)."""
    first = next((i for i, (_, e) in enumerate(spans) if e >= lo), len(spans))
    last = max((i for i, (st, _) in enumerate(spans) if st <= hi), default=-1)
    a, b = min(first, last + 1) - 1, max(last, first - 1) + 1
    a, b = max(a, 0), min(b, len(spans) - 1)
    return (a, b) if spans and a <= b else None


def changed_regions(before: str, after: str, tree_b: ast.Module, tree_a: ast.Module) -> list[Region] | None:
    """Regions covering every change (functions, else runs of top-level statements),
    or None when the whole file is needed."""
    bl, al = before.splitlines(keepends=True), after.splitlines(keepends=True)
    spans_b, spans_a = function_spans(tree_b), function_spans(tree_a)
    cont_b, cont_a = containers(tree_b, len(bl)), containers(tree_a, len(al))
    pairs: dict[str, tuple[Span, Span]] = {}
    # per container: runs of body-statement indexes, before and after
    runs: dict[str, list[tuple[int, int, int, int]]] = {}
    conts: dict[str, tuple[Container, Container]] = {}
    for op, i1, i2, j1, j2 in line_opcodes(bl, al):
        if op == "equal":
            continue
        rb, ra = _code_lines(bl, i1, i2), _code_lines(al, j1, j2)
        if rb is None and ra is None:
            continue  # only blank lines changed
        # 1-based inclusive probes; an empty side probes the line before the change.
        pb = (rb[0] + 1, rb[1]) if rb else (max(i1, 1), max(i1, 1))
        pa = (ra[0] + 1, ra[1]) if ra else (max(j1, 1), max(j1, 1))
        sb, sa = _innermost(spans_b, *pb), _innermost(spans_a, *pa)
        if sb is not None and sa is not None and sb.qualname == sa.qualname:
            pairs[sb.qualname] = (sb, sa)
            continue
        cb, ca = _innermost_container(cont_b, *pb), _innermost_container(cont_a, *pa)
        xb, xa = _run(list(cb.body), *pb), _run(list(ca.body), *pa)
        if cb.qualname != ca.qualname or xb is None or xa is None:
            return None
        conts[cb.qualname] = (cb, ca)
        runs.setdefault(cb.qualname, []).append((*xb, *xa))
    out: list[Region] = []
    covered: list[tuple[int, int]] = []
    for name in sorted(runs, key=len):
        cb, ca = conts[name]
        for b0, b1, a0, a1 in _merge_runs(runs[name]):
            lo, hi = cb.body[b0][0], cb.body[b1][1]
            if any(clo <= lo and hi <= chi for clo, chi in covered):
                continue  # inside a run of an enclosing container already
            covered.append((lo, hi))
            (tb, off), (ta, _) = _container_text(bl, cb, b0, b1), _container_text(al, ca, a0, a1)
            out.append(Region(tb, ta, off))
    # Nested pairs: keep the outermost, so no change is mined twice; runs cover their functions.
    names = sorted(pairs, key=len)
    keep = [n for n in names if not any(n != m and n.startswith(m + ".") for m in names)]
    for n in keep:
        sb, sa = pairs[n]
        if any(lo <= sb.start and sb.end <= hi for lo, hi in covered):
            continue
        if any(lo <= sb.end and sb.start <= hi for lo, hi in covered):
            return None  # a function only partly inside a run: keep it simple and exact
        out.append(Region(_slice(bl, sb), _slice(al, sa), line_offset(sb.start, sb.indent), True,
                          _function_run(bl, al, cont_b, cont_a, sb, sa)))
    return out


def _function_run(bl: list[str], al: list[str], cont_b: list[Container], cont_a: list[Container],
                  sb: Span, sa: Span) -> Region | None:
    """The function with one neighbour each side, in its class or module: what mining needs
    when the function itself changed as a whole."""
    cb, ca = _innermost_container(cont_b, sb.start, sb.end), _innermost_container(cont_a, sa.start, sa.end)
    ib = next((i for i, (st, _) in enumerate(cb.body) if st == sb.start), None)
    ia = next((i for i, (st, _) in enumerate(ca.body) if st == sa.start), None)
    if cb.qualname != ca.qualname or ib is None or ia is None:
        return None
    rb = (max(ib - 1, 0), min(ib + 1, len(cb.body) - 1))
    ra = (max(ia - 1, 0), min(ia + 1, len(ca.body) - 1))
    (tb, off), (ta, _) = _container_text(bl, cb, *rb), _container_text(al, ca, *ra)
    return Region(tb, ta, off)


def _container_text(lines: list[str], c: Container, first: int, last: int) -> tuple[str, int]:
    """The run, under its class header when it has one (so it keeps its class as context),
    and the offset from a line of the text to the file's line for the run's lines."""
    lo, hi = c.body[first][0], c.body[last][1]
    run = "".join(lines[lo - 1:hi])
    if not c.header_end:
        return run, lo - 1
    header = "".join(lines[c.start - 1:c.header_end])
    text = _wrap(header + run)
    header_lines = c.header_end - c.start + 1 + (1 if len(text) != len(header) + len(run) else 0)
    return text, lo - 1 - header_lines


def _wrap(text: str) -> str:
    """Indented code parses under one `if 1:` line; dedenting would change multi-line strings."""
    if not text[:1].isspace() or text.startswith("\n"):
        return text
    return "if 1:\n" + text


def _merge_runs(runs: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    merged: list[list[int]] = []
    for b0, b1, a0, a1 in sorted(runs):
        if merged and (b0 <= merged[-1][1] + 1 or a0 <= merged[-1][3] + 1):
            m = merged[-1]
            m[0], m[1], m[2], m[3] = min(m[0], b0), max(m[1], b1), min(m[2], a0), max(m[3], a1)
        else:
            merged.append([b0, b1, a0, a1])
    return [(m[0], m[1], m[2], m[3]) for m in merged]


def _slice(lines: list[str], span: Span) -> str:
    return _wrap("".join(lines[span.start - 1:span.end]))


def line_offset(start: int, indent: int) -> int:
    """What to add to a region line to get the file line (the wrapper takes one line)."""
    return start - 1 - (1 if indent else 0)
