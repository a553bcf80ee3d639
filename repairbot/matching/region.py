"""Parse only the part of a file around the flagged lines (prediction is the hot path).

libcst parses about 1 MB/s and its position metadata costs as much again, so a 4,000-line
module takes a second before any pattern is tried. Matching at a few lines needs only the
statements around them: the standard-library `ast` (fast, in C) finds the top-level statements
holding the lines, and only those are parsed with libcst. When all lines sit in one method
of a class, the method is parsed inside a stand-in `class _:` header, keeping its indentation
and its context (a method's statements see "inside a function", whatever the class).

Contexts are the same as in the whole file: block contexts stop at the enclosing def or class
header, and expression contexts at the enclosing statement. The file's names (for the
similar-name operator) come from `ast` over the whole file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

_WRAPPER = "class _:\n"


@dataclass(frozen=True)
class Region:
    prefix: str  # file text before the region
    text: str  # what libcst parses
    suffix: str  # file text after the region
    offset: int  # file line = region line + offset
    wrapped: bool  # text starts with the stand-in class header
    at_end: bool  # the region's last statement also ends its block in the file


def _split_lines(source: str) -> list[str]:
    """Physical lines as Python counts them (only \\n ends a line here; callers exclude lone \\r)."""
    parts = source.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _span(node: ast.stmt) -> tuple[int, int]:
    decos = getattr(node, "decorator_list", None) or []
    start = min([node.lineno] + [d.lineno for d in decos])
    return start, node.end_lineno or node.lineno


def find_region(source: str, lines: Iterable[int], tree: ast.Module) -> Region | None:
    """The smallest parseable region holding `lines`, or None to parse the whole file."""
    wanted = sorted(set(lines))
    if not wanted or "\r" in source.replace("\r\n", ""):
        return None  # a lone \r ends a line for Python but not here
    spans = [(_span(s), s) for s in tree.body]
    hit = [(sp, s) for sp, s in spans if any(sp[0] <= ln <= sp[1] for ln in wanted)]
    if not hit or any(not any(sp[0] <= ln <= sp[1] for sp, _ in hit) for ln in wanted):
        return None  # a line outside every statement (blank, comment): let the whole file decide
    start, end = hit[0][0][0], hit[-1][0][1]
    at_end = hit[-1][1] is tree.body[-1]
    src_lines = _split_lines(source)
    wrapped = False
    if len(hit) == 1 and isinstance(hit[0][1], ast.ClassDef):
        inner = [(_span(s), s) for s in hit[0][1].body]
        ihit = [sp for sp, _ in inner if any(sp[0] <= ln <= sp[1] for ln in wanted)]
        if ihit and all(any(a <= ln <= b for a, b in ihit) for ln in wanted) \
                and src_lines[ihit[0][0] - 1][:1] in (" ", "\t"):
            start, end, wrapped = ihit[0][0], ihit[-1][1], True
            at_end = ihit[-1] == inner[-1][0]
    if end - start + 1 >= len(src_lines):
        return None
    text = "".join(src_lines[start - 1:end])
    prefix, suffix = "".join(src_lines[:start - 1]), "".join(src_lines[end:])
    if wrapped:
        return Region(prefix, _WRAPPER + text, suffix, start - 2, True, at_end)
    return Region(prefix, text, suffix, start - 1, False, at_end)


def file_names(tree: ast.Module) -> frozenset[str]:
    """Every identifier the file uses or defines (not attribute names), like a walk of its Names."""
    out: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
        elif isinstance(n, ast.alias):
            out.add(n.name.split(".")[0])
            if n.asname:
                out.add(n.asname)
        elif isinstance(n, ast.ImportFrom) and n.module:
            out.add(n.module.split(".")[0])
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, ast.Constant) and (n.value is None or isinstance(n.value, bool)):
            out.add(repr(n.value))
    return frozenset(out)
