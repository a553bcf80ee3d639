"""Why `repairbot check` does not parse every file with libcst: a sound, cheap prefilter.

libcst is most of a check's cost, and almost no code matches a bug pattern. So:

1. Every pattern is reduced to the source tokens any match must contain (identifiers,
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
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from repairbot.matching.match import Compiled
from repairbot.tree import BLOCK, HOLE, Tree

# Node kinds whose match always spells these tokens (libcst kind -> source text).
_KIND_TOKENS: dict[str, tuple[str, ...]] = {
    "Equal": ("==",), "LessThan": ("<",), "LessThanEqual": ("<=",), "GreaterThan": (">",),
    "GreaterThanEqual": (">=",), "Is": ("is",), "IsNot": ("is", "not"), "In": ("in",), "NotIn": ("not", "in"),
    "Add": ("+",), "Subtract": ("-",), "Multiply": ("*",), "MatrixMultiply": ("@",), "Divide": ("/",),
    "FloorDivide": ("//",), "Modulo": ("%",), "Power": ("**",), "LeftShift": ("<<",), "RightShift": (">>",),
    "BitOr": ("|",), "BitAnd": ("&",), "BitXor": ("^",), "And": ("and",), "Or": ("or",), "Not": ("not",),
    "BitInvert": ("~",), "Minus": ("-",), "Plus": ("+",),
    "AddAssign": ("+=",), "SubtractAssign": ("-=",), "MultiplyAssign": ("*=",), "DivideAssign": ("/=",),
    "FloorDivideAssign": ("//=",), "ModuloAssign": ("%=",), "PowerAssign": ("**=",),
    "MatrixMultiplyAssign": ("@=",), "LeftShiftAssign": ("<<=",), "RightShiftAssign": (">>=",),
    "BitOrAssign": ("|=",), "BitAndAssign": ("&=",), "BitXorAssign": ("^=",),
    "Return": ("return",), "Raise": ("raise",), "Assert": ("assert",), "Del": ("del",), "Pass": ("pass",),
    "Break": ("break",), "Continue": ("continue",), "Global": ("global",), "Nonlocal": ("nonlocal",),
    "Import": ("import",), "ImportFrom": ("from", "import"), "Lambda": ("lambda",), "Await": ("await",),
    "Yield": ("yield",), "If": ("if",), "IfExp": ("if", "else"), "For": ("for", "in"), "While": ("while",),
    "With": ("with",), "Try": ("try",), "ExceptHandler": ("except",), "Finally": ("finally",),
    "Call": ("(",), "Subscript": ("[",), "Attribute": (".",), "NamedExpr": (":=",), "Assign": ("=",),
    "ImportStar": ("*",), "Dot": (".",),
}
_VERBATIM = {"Name", "Integer", "Float", "Imaginary", "SimpleString", "NotEqual"}  # Tree.value is the token
_DEFINITIONS = {"FunctionDef", "ClassDef"}


@dataclass(frozen=True)
class Needs:
    """What one pattern's match spells: `all_tokens` within one unit's own text; a statement run
    at module level may spread over consecutive units, each holding its statement's `parts`."""

    compiled: Compiled
    all_tokens: frozenset[str]
    parts: tuple[frozenset[str], ...]  # per statement of a statement template; () for expressions
    whole_file: bool  # cannot be localised to a unit (definitions in a statement template)

    def found_in(self, text: str) -> bool:
        return all(tok in text for tok in self.all_tokens)


def tokens(t: Tree) -> set[str]:
    """Tokens every code matching `t` spells (holes match anything and add none)."""
    out: set[str] = set()
    for n in t.walk():
        if n.kind == HOLE:
            continue
        if n.kind in _VERBATIM and n.value:
            out.add(n.value)
        out.update(_KIND_TOKENS.get(n.kind, ()))
    return out


def needs(c: Compiled) -> Needs:
    """Tokens of the before side and the literal leaves of the context, which lie in the same
    unit: a match's statements share one block, and its context is that block's header."""
    ctx = _leaf_tokens(c.context) if c.context is not None else set()
    if c.before.kind == BLOCK:
        parts = tuple(frozenset(tokens(s)) for s in c.before.children)
        defs = any(n.kind in _DEFINITIONS for s in c.before.children for n in s.walk())
        return Needs(c, frozenset(ctx.union(*parts)), parts, defs)
    return Needs(c, frozenset(tokens(c.before) | ctx), (), False)


def _leaf_tokens(t: Tree) -> set[str]:
    """A context is matched with holes anywhere; its literal leaves and operators still must appear."""
    out: set[str] = set()
    for n in t.walk():
        if n.kind in _VERBATIM and n.value:
            out.add(n.value)
        elif n.kind in _KIND_TOKENS and not n.children:  # operators (leaves), not statements
            out.update(_KIND_TOKENS[n.kind])
    return out


@dataclass(frozen=True)
class Region:
    """Source lines `start`..`end` of the file, to parse with libcst on their own; an indented
    function gets an `if 1:` line first (`wrapped`). `module_end`: the last module statement is in."""

    text: str
    start: int
    end: int
    wrapped: bool
    module_end: bool

    @property
    def offset(self) -> int:
        """Add to a line of `text` to get the file's line."""
        return self.start - 1 - self.wrapped


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


def plan(source: str, reqs: Sequence[Needs], lines: Iterable[int] | None = None) -> Plan:
    """The cheapest work that finds every match of `reqs` in `source` (on `lines` if given)."""
    live = [r for r in reqs if r.found_in(source)]
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
    text_lines = source.splitlines(keepends=True)
    wanted = sorted(set(lines)) if lines is not None else None
    units = _units(tree)
    own = [_own_text(text_lines, u) for u in units]
    keep = {i for i, u in enumerate(units) if any(r.found_in(own[i]) for r in live)}
    keep |= _module_runs(units, own, [r for r in live if len(r.parts) > 1])
    if wanted is not None:
        keep = {i for i in keep if any(units[i].start <= ln <= units[i].end for ln in wanted)}
    if not keep:
        return NOTHING
    n_top = sum(u.top >= 0 for u in units)
    return Plan(False, tuple(_regions(text_lines, [units[i] for i in keep], n_top)), tuple(r.compiled for r in live),
                tree)


def default_indent(source: str, tree: ast.Module) -> str:
    """The indent libcst infers for the whole file (its first INDENT token), which it uses to
    lay out new blocks: the leading whitespace of the first block body starting on its own line."""
    lines = source.splitlines(keepends=True)
    best: tuple[int, str] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Module):
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            body = getattr(node, name, None)
            if not isinstance(body, list) or not body:
                continue
            first = body[0]
            is_case = isinstance(first, ast.match_case)
            lineno = first.pattern.lineno if is_case else first.lineno
            line = lines[lineno - 1]
            ws = line[:len(line) - len(line.lstrip(" \t\f"))]
            starts_line = line[len(ws):].startswith("case") if is_case else len(ws) == first.col_offset
            if starts_line and (best is None or lineno < best[0]):
                best = (lineno, ws)
    return best[1] if best else "    "


def _module_runs(units: list[_Unit], own: list[str], runs: list[Needs]) -> set[int]:
    """Module-level units that a statement run of k statements may cover together: up to k
    consecutive units whose texts hold the run's tokens between them."""
    top = [i for _, i in sorted((u.top, i) for i, u in enumerate(units) if u.top >= 0)]
    out: set[int] = set()
    for r in runs:
        for a in range(len(top)):
            for w in range(2, min(len(r.parts), len(top) - a) + 1):
                idx = top[a:a + w]
                if r.found_in("".join(own[i] for i in idx)):
                    out.update(idx)
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
        out.append(_Unit(start, end, 0, i, tuple(_span(k) for k in kids)))
        pending.extend(kids)
    while pending:
        node = pending.pop()
        kids = _direct_functions(_body_statements(node))
        start, end = _span(node)
        out.append(_Unit(start, end, node.col_offset, -1, tuple(_span(k) for k in kids)))  # type: ignore[attr-defined]
        pending.extend(kids)
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


def _regions(lines: list[str], keep: list[_Unit], n_top: int) -> list[Region]:
    """Module-level units adjacent in the module merge (a statement run may span them);
    a unit inside a kept one is parsed with it."""
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
    for start, end, indent, top in spans:
        text = "".join(lines[start - 1:end])
        if indent:
            out.append(Region("if 1:\n" + text, start, end, True, False))
        else:
            out.append(Region(text, start, end, False, top == n_top - 1))
    return out
