"""Parse only the part of a file around the flagged lines (prediction is the hot path).

libcst parses about 1 MB/s and its position metadata costs as much again, so a 4,000-line
module takes a second before any pattern is tried. Matching at a few lines needs only the
statements around them: the standard-library `ast` (fast, in C) finds the top-level statements
holding the lines, and only those are parsed with libcst. When all lines sit in one def or
class nested deeper (a method, a function under `if`), or in one statement of a class body,
only that statement is parsed, inside stand-in `class _:` headers at the indentations around
it: its statements keep their context (block contexts stop at the def or class header,
whatever encloses it, and a class header says only "inside a class").

Contexts are the same as in the whole file: block contexts stop at the enclosing def or class
header, and expression contexts at the enclosing statement. The file's names (for the
similar-name operator) come from `ast` over the whole file.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Region:
    prefix: str  # file text before the region
    text: str  # what libcst parses
    suffix: str  # file text after the region
    offset: int  # file line = region line + offset
    depth: int  # stand-in `class _:` header lines at the start of `text`
    at_end: bool  # the region's last statement also ends its block in the file

    @property
    def wrapped(self) -> bool:
        return self.depth > 0


def _split_lines(source: str) -> list[str]:
    """Physical lines as Python counts them (only \\n ends a line here; callers exclude lone \\r)."""
    parts = source.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _span(node: ast.stmt) -> tuple[int, int]:
    decos = getattr(node, "decorator_list", None) or []
    start = min([node.lineno] + [d.lineno for d in decos])
    return start, node.end_lineno or node.lineno


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    """The statement lists directly inside a compound statement (except clauses included)."""
    out = [getattr(node, f) for f in ("body", "orelse", "finalbody") if isinstance(getattr(node, f, None), list)]
    for h in getattr(node, "handlers", None) or []:
        out.append(h.body)
    return [b for b in out if b and isinstance(b[0], ast.stmt)]


def _holding(stmts: list[ast.stmt], wanted: list[int]) -> ast.stmt | None:
    for st in stmts:
        a, b = _span(st)
        if a <= wanted[0] and wanted[-1] <= b:
            return st
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def find_region(source: str, lines: Iterable[int], tree: ast.Module) -> Region | None:
    """The smallest parseable region holding `lines`, or None to parse the whole file."""
    wanted = sorted(set(lines))
    if not wanted or "\r" in source.replace("\r\n", ""):
        return None  # a lone \r ends a line for Python but not here
    spans = [(_span(s), s) for s in tree.body]
    hit = [(sp, s) for sp, s in spans if any(sp[0] <= ln <= sp[1] for ln in wanted)]
    if not hit or any(not any(sp[0] <= ln <= sp[1] for sp, _ in hit) for ln in wanted):
        return None  # a line outside every statement (blank, comment): let the whole file decide
    src_lines = _split_lines(source)
    start, end = hit[0][0][0], hit[-1][0][1]
    at_end, headers = hit[-1][1] is tree.body[-1], []
    # Descend to the innermost def or class holding every line; its enclosing statements become
    # stand-in class headers at their own indentation (contexts stop at a def or class header).
    node, path = (hit[0][1] if len(hit) == 1 else None), []
    while node is not None:
        parent, node = node, None
        for block in _blocks(parent):
            child = _holding(block, wanted)
            if child is None:
                continue
            path.append(parent)
            node = child
            # A statement directly in a class body narrows too (a class says only "inside a class"
            # to contexts, so a stand-in header is as good as the real one): a class can be long.
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or \
                    isinstance(parent, ast.ClassDef):
                indents = [_indent(src_lines[_span(a)[0] - 1]) for a in path]
                inner = _indent(src_lines[_span(child)[0] - 1])
                levels = [i for k, i in enumerate(indents) if k == 0 or i != indents[k - 1]] + [inner]
                if all(b.startswith(a) and len(b) > len(a) for a, b in zip(levels, levels[1:])):
                    start, end = _span(child)
                    at_end, headers = child is block[-1], [f"{i}class _:\n" for i in levels[:-1]]
            break
    if end - start + 1 >= len(src_lines):
        return None
    text = "".join(headers) + "".join(src_lines[start - 1:end])
    prefix, suffix = "".join(src_lines[:start - 1]), "".join(src_lines[end:])
    return Region(prefix, text, suffix, start - 1 - len(headers), len(headers), at_end)


class FileIndex(NamedTuple):
    """What matching and the operators need from the whole file, gathered in one `ast` walk
    (a walk of a large module costs more than parsing the region around the line)."""

    names: frozenset[str]  # every identifier used or defined (not attribute names)
    attributes: dict[str, frozenset[str]]  # receiver (`self.log`) -> attribute names; "" -> all
    calls: list[tuple[str, ast.Call]]  # by the callee's last word (`obj.f(...)` -> "f")
    keywords: frozenset[str]  # keyword argument and parameter names
    params: dict[str, tuple[str, ...]]  # function name -> its parameters, in order (the first def)
    caught: Counter[str]  # exception names the `except` clauses catch, by how often
    bound: frozenset[str] | None  # names the file binds (assigns, defines, imports); None after `import *`
    literals: Counter[str]  # string literals by type: "b" bytes, "u" text marked u'', "" other text
    occurrences: dict[str, list[int]]  # each variable and parameter: the lines it occurs on
    coroutines: dict[str, tuple[ast.AsyncFunctionDef, ...]] = {}  # the `async def`s by name (no dunders)


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of names (as `ast.unparse` writes it); None for other receivers."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def walk_ast(tree: ast.AST) -> list[ast.AST]:
    """`ast.walk`'s nodes in `ast.walk`'s order (breadth first, fields in order), about a third
    faster: no generator per node. `scan` walks every predicted file once."""
    out: list[ast.AST] = [tree]
    append, node_type = out.append, ast.AST
    i = 0
    while i < len(out):
        node = out[i]
        i += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                append(value)
            elif value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
    return out


def scan(tree: ast.Module) -> FileIndex:
    names: set[str] = set()
    attrs: dict[str, set[str]] = {"": set()}
    calls: list[tuple[str, ast.Call]] = []
    keywords: set[str] = set()
    params: dict[str, tuple[str, ...]] = {}
    caught: Counter[str] = Counter()
    literals: Counter[str] = Counter()
    occurrences: dict[str, list[int]] = {}
    bound: set[str] = set()
    coroutines: dict[str, list[ast.AsyncFunctionDef]] = {}
    star = False
    for n in walk_ast(tree):
        t = type(n)
        if t is ast.Name:
            names.add(n.id)
            occurrences.setdefault(n.id, []).append(n.lineno)
            if type(n.ctx) is not ast.Load:
                bound.add(n.id)
        elif t is ast.Attribute:
            key = _dotted(n.value)
            if key is not None:
                attrs.setdefault(key, set()).add(n.attr)
            attrs[""].add(n.attr)
        elif t is ast.Call:
            f = n.func
            word = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if word:
                calls.append((word, n))
        elif t is ast.Constant:
            v = n.value
            if v is None or isinstance(v, bool):
                names.add(repr(v))
            elif isinstance(v, (str, bytes)):
                literals["b" if isinstance(v, bytes) else "u" if n.kind == "u" else ""] += 1
        elif t is ast.keyword:
            if n.arg:
                names.add(n.arg)
                keywords.add(n.arg)
        elif t is ast.arg:
            names.add(n.arg)
            occurrences.setdefault(n.arg, []).append(n.lineno)
            keywords.add(n.arg)
            bound.add(n.arg)
        elif t in _DEFS:
            if t is ast.AsyncFunctionDef and not n.name.startswith("__"):
                coroutines.setdefault(n.name, []).append(n)
            names.add(n.name)
            bound.add(n.name)
            if t is not ast.ClassDef and n.name not in params:
                a = n.args
                params[n.name] = tuple(x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs])
        elif t is ast.alias:
            names.add(n.name.split(".")[0])
            bound.add(n.asname or n.name.split(".")[0])
            star = star or n.name == "*"
            if n.asname:
                names.add(n.asname)
        elif t is ast.ImportFrom:
            if n.module:
                names.add(n.module.split(".")[0])
        elif t is ast.Global or t is ast.Nonlocal:
            names.update(n.names)
            bound.update(n.names)
        elif t is ast.ExceptHandler:
            if n.name:
                names.add(n.name)
                bound.add(n.name)
            if n.type is not None:
                types = n.type.elts if isinstance(n.type, ast.Tuple) else [n.type]
                caught.update(d for d in map(_dotted, types) if d)
        elif (t is ast.MatchAs or t is ast.MatchStar) and n.name:
            bound.add(n.name)
        elif t is ast.MatchMapping and n.rest:
            bound.add(n.rest)
    return FileIndex(frozenset(names), {k: frozenset(v) for k, v in attrs.items()}, calls, frozenset(keywords),
                     params, caught, None if star else frozenset(bound), literals, occurrences,
                     {k: tuple(v) for k, v in coroutines.items()})


def yields(fn: ast.AsyncFunctionDef) -> bool:
    """Whether the function's own body (not a nested def's) yields."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return False


def statements_around(tree: ast.Module, line: int) -> list[ast.stmt | ast.excepthandler]:
    """The statements holding `line`, outermost first (from the whole file's `ast`, so a region
    parse and a whole-file parse agree)."""
    out: list[ast.stmt | ast.excepthandler] = []
    node: ast.AST = tree
    while True:
        inner = next((c for c in ast.iter_child_nodes(node) if isinstance(c, (ast.stmt, ast.excepthandler))
                      and c.lineno <= line <= (c.end_lineno or c.lineno)), None)
        if inner is None:
            return out
        out.append(inner)
        node = inner


def enclosing_def(tree: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost def around `line`."""
    defs = [s for s in statements_around(tree, line) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return defs[-1] if defs else None
