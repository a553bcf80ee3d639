"""Why `repairbot check` does not parse every file with libcst: a sound, cheap prefilter.

libcst is most of a check's cost, and almost no code matches a bug pattern. So:

1. Every pattern is reduced to the source tokens any match must contain (`needs.py`: identifiers,
   literals and operators of its before side and context, keywords of its node kinds). libcst
   keeps tokens verbatim, so a match's text contains them all; a plain substring test can only
   keep too much, never too little. A file containing no pattern's tokens has no finding.
2. The stdlib `ast` (about ten times faster than libcst) splits a surviving file into units:
   every function (its own lines, nested functions left out) and every module-level statement.
   Only units holding some pattern's tokens are parsed with libcst, each on its own (a method
   under an `if 1:` line), and matched.
3. Only a file where some unit matched is parsed and matched whole, by the plain path, which
   therefore decides every finding: results are identical to parsing every file.

Patterns that step 2 cannot localise (statement templates holding a def or class, whose match
root is the block around a definition) send every file that holds their tokens to step 3.
"""

from __future__ import annotations

import ast
import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from repairbot.deliver.needs import Needs, Text, Tokens, needs, tokens
from repairbot.matching.match import Compiled

__all__ = ["NOTHING", "WHOLE", "Needs", "Plan", "Region", "Tokens", "default_indent", "needs", "plan", "split_lines",
           "tokens"]

@dataclass(frozen=True)
class Region:
    """Source lines `start`..`end` of the file, to parse with libcst on their own; an indented
    function gets `if 1:` lines first. `module_end`: the module's last statement is in."""

    text: str
    start: int
    end: int
    wrapper: str  # the `if 1:` lines before the unit's own lines ("" for module-level units)
    module_end: bool

    @property
    def offset(self) -> int:
        """Add to a line of `text` to get the file's line."""
        return self.start - 1 - self.wrapper.count("\n")


@dataclass(frozen=True)
class Plan:
    """What to do with one file: nothing, regions to match, or the whole file."""

    whole_file: bool
    regions: tuple[Region, ...] = ()
    patterns: tuple[Compiled, ...] = ()
    tree: ast.Module | None = None


NOTHING = Plan(False)
WHOLE = Plan(True)


@dataclass(frozen=True)
class _Unit:
    start: int  # 1-based, decorators included
    end: int
    indent: int
    top: int  # index of its module-level unit, -1 for functions nested in something
    children: tuple[tuple[int, int], ...]  # line spans of the functions directly inside
    nodes: tuple[ast.AST, ...]  # its module-level statements, or the function
    function: bool


def split_lines(source: str) -> list[str]:
    """Lines as Python counts them (\\n, \\r\\n, \\r), unlike str.splitlines (form feeds...)."""
    return io.StringIO(source, newline="").readlines()


def plan(source: str, reqs: Sequence[Needs], lines: Iterable[int] | None = None) -> Plan:
    """The cheapest work that finds every match of `reqs` in `source` (on `lines` if given)."""
    whole = Text(source)
    live = [r for r in reqs if r.all.in_(whole)]
    if not live:
        return NOTHING
    if any(r.whole_file for r in live):
        return WHOLE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return WHOLE  # the plain path decides (libcst may still parse it, or it is a counted skip)
    text_lines = split_lines(source)
    units = _units(tree)
    if lines is not None:
        wanted = sorted(set(lines))
        scope = [i for i, u in enumerate(units) if any(u.start <= ln <= u.end for ln in wanted)]
    else:
        scope = list(range(len(units)))
    own = {i: Text(_own_text(text_lines, units[i])) for i in scope}
    keep = {i for i in scope if _holds(units[i], own[i], live, text_lines)}
    runs = [r for r in live if r.run > 1]
    if runs:  # a module-level run touching a changed line may start or end in unchanged units
        for i, u in enumerate(units):
            if u.top >= 0 and i not in own:
                own[i] = Text(_own_text(text_lines, u))
        in_scope = set(scope)
        for window in _module_runs(units, own, runs):
            if in_scope.intersection(window):
                keep.update(window)
    if not keep:
        return NOTHING
    n_top = sum(u.top >= 0 for u in units)
    indent = default_indent(source, tree) if any(units[i].indent for i in keep) else ""
    return Plan(False, tuple(_regions(text_lines, [units[i] for i in keep], n_top, indent)),
                tuple(r.compiled for r in live), tree)


def _holds(u: _Unit, own: Text, live: list[Needs], lines: list[str]) -> bool:
    """Some pattern's tokens are in the unit, and each of its atoms within one statement."""
    cands = [r for r in live if r.all.in_(own)]
    if not cands:
        return False
    spans = _function_atoms(u.nodes[0]) if u.function else _atoms(list(u.nodes))
    atoms = [Text("".join(lines[a - 1:b])) for a, b in spans]
    return any(all(any(t.in_(at) for at in atoms) for t in r.atoms) for r in cands)


def default_indent(source: str, tree: ast.Module) -> str:
    """The indent libcst infers for the whole file (its first INDENT token), which it lays out
    new blocks with: the leading whitespace of the first block body starting on its own line."""
    return _first_indent(tree.body, split_lines(source)) or "    "


def _first_indent(stmts: Sequence[ast.AST], lines: list[str]) -> str | None:
    """Searched in source order, stopping at the first hit (elif and except lines are no INDENT)."""
    for st in stmts:
        for name in ("body", "handlers", "orelse", "finalbody", "cases"):
            block = getattr(st, name, None)
            if not isinstance(block, list) or not block:
                continue
            first = block[0]
            is_case = isinstance(first, ast.match_case)
            lineno = first.pattern.lineno if is_case else first.lineno
            line = lines[lineno - 1]
            ws = line[:len(line) - len(line.lstrip(" \t\f"))]
            if name == "handlers" or (name == "orelse" and isinstance(first, ast.If)
                                      and line[len(ws):].startswith("elif")):
                found = _first_indent(block if name == "handlers" else [first], lines)
                if found is not None:
                    return found
                continue
            if line[len(ws):].startswith("case") if is_case else len(ws) == first.col_offset:
                return ws
    return None


def _module_runs(units: list[_Unit], own: dict[int, Text], runs: list[Needs]) -> list[list[int]]:
    """Windows of module-level units that a statement run of k statements may cover together:
    2 to k consecutive units whose texts hold the run's tokens between them."""
    top = [i for _, i in sorted((u.top, i) for i, u in enumerate(units) if u.top >= 0)]
    out: list[list[int]] = []
    for r in runs:
        for a in range(len(top)):
            for w in range(2, min(r.run, len(top) - a) + 1):
                idx = top[a:a + w]
                if r.all.in_(Text("".join(own[i].text for i in idx))):
                    out.append(idx)
    return out


def _units(tree: ast.Module) -> list[_Unit]:
    """Every run of module-level statements sharing a line, and every function nested deeper."""
    groups: list[tuple[int, int, list[ast.stmt]]] = []
    for node in tree.body:
        start, end = _span(node)
        if groups and start <= groups[-1][1]:
            groups[-1] = (groups[-1][0], max(groups[-1][1], end), [*groups[-1][2], node])
        else:
            groups.append((start, end, [node]))
    out: list[_Unit] = []
    pending: list[ast.AST] = []
    for i, (start, end, stmts) in enumerate(groups):
        kids: list[ast.AST] = []
        for st in stmts:
            kids.extend(_direct_functions(_body_statements(st) if isinstance(st, _FUNCS) else [st]))
        fn = len(stmts) == 1 and isinstance(stmts[0], _FUNCS)
        out.append(_Unit(start, end, 0, i, tuple(_span(k) for k in kids), tuple(stmts), fn))
        pending.extend(kids)
    while pending:
        node = pending.pop()
        kids = _direct_functions(_body_statements(node))
        start, end = _span(node)
        out.append(_Unit(start, end, node.col_offset, -1, tuple(_span(k) for k in kids),  # type: ignore[attr-defined]
                         (node,), True))
        pending.extend(kids)
    return out


def _function_atoms(fn: ast.AST) -> list[tuple[int, int]]:
    body = fn.body  # type: ignore[attr-defined]
    return [(_span(fn)[0], body[0].lineno), *_atoms(body)]


def _atoms(stmts: list[ast.stmt]) -> list[tuple[int, int]]:
    """Statement spans, compound statements by their header; nested functions are left out."""
    out: list[tuple[int, int]] = []
    stack = list(stmts)
    while stack:
        st = stack.pop()
        if isinstance(st, _FUNCS):
            continue
        body = getattr(st, "body", None)
        if isinstance(st, ast.Match) or not isinstance(body, list) or not body:
            out.append(_span(st))  # a match statement is one atom: its cases are its context
            continue
        out.append((_span(st)[0], body[0].lineno))
        for h in getattr(st, "handlers", ()) or ():
            out.append((h.lineno, h.body[0].lineno))
            stack.extend(h.body)
        for name in ("body", "orelse", "finalbody"):
            stack.extend(getattr(st, name, ()) or ())
    return out


def _span(node: ast.AST) -> tuple[int, int]:
    decos = getattr(node, "decorator_list", ()) or ()
    start = min([node.lineno] + [d.lineno for d in decos])  # type: ignore[attr-defined]
    return start, node.end_lineno or node.lineno  # type: ignore[attr-defined]


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _body_statements(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        out.extend(getattr(node, name, ()) or ())
    return out


def _direct_functions(stmts: list[ast.AST]) -> list[ast.AST]:
    """Functions reachable through statements without crossing another function."""
    out: list[ast.AST] = []
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, _FUNCS):
            out.append(n)
        else:
            stack.extend(_body_statements(n))
    return out


def _own_text(lines: list[str], u: _Unit) -> str:
    """The unit's lines without its nested functions' lines (they are units of their own)."""
    parts: list[str] = []
    pos = u.start
    for s, e in sorted(u.children):
        if s > pos:
            parts.append("".join(lines[pos - 1:s - 1]))
        pos = max(pos, e + 1)
    if pos <= u.end:
        parts.append("".join(lines[pos - 1:u.end]))
    return "".join(parts)


def _regions(lines: list[str], keep: list[_Unit], n_top: int, indent: str) -> list[Region]:
    """Module-level units adjacent in the module merge (a statement run may span them);
    a unit inside a kept one is parsed with it. An indented function goes under `if 1:` lines,
    one per level of the file's indent when its indentation is made of them (so libcst infers
    the same indent for the region as for the file)."""
    keep = sorted(keep, key=lambda u: (u.start, -u.end))
    spans: list[list[int]] = []  # start, end, indent, last top index
    for u in keep:
        if spans and u.start >= spans[-1][0] and u.end <= spans[-1][1]:
            continue  # inside a kept unit
        if spans and u.top >= 0 and spans[-1][3] >= 0 and u.top == spans[-1][3] + 1:
            spans[-1][1], spans[-1][3] = u.end, u.top
            continue
        spans.append([u.start, u.end, u.indent, u.top])
    out = []
    for start, end, col, top in spans:
        text = "".join(lines[start - 1:end])
        if not col:
            out.append(Region(text, start, end, "", top == n_top - 1))
            continue
        ws = lines[start - 1][:col]
        levels = len(ws) // len(indent) if indent and ws == indent * (len(ws) // len(indent)) else 1
        wrapper = "".join(indent * i + "if 1:\n" for i in range(levels))
        out.append(Region(wrapper + text, start, end, wrapper, False))
    return out
