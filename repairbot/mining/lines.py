"""Line numbers for mined edits without libcst's position metadata.

PositionProvider re-prints the whole tree, which costs as much as parsing it. libcst and
`ast` agree on the statement structure, so walking both bodies side by side gives every
statement's first line for the price of an `ast.parse`. An edit's line is the first line of
its statement (or of the statement holding its expression).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst


def statement_lines(module: cst.Module, source: str) -> dict[int, int]:
    """id(libcst statement or except clause) -> first line; {} if the two parsers disagree."""
    out: dict[int, int] = {}
    try:
        tree = ast.parse(source)
        _body(module.body, tree.body, out)
    except (SyntaxError, ValueError, StopIteration, AttributeError):
        return {}
    return out


def _start(a: ast.AST) -> int:
    decos = getattr(a, "decorator_list", None) or []
    return min([a.lineno] + [d.lineno for d in decos])  # type: ignore[attr-defined]


def _body(cst_body: Sequence[cst.CSTNode], ast_body: list[ast.stmt], out: dict[int, int]) -> None:
    it = iter(ast_body)
    for s in cst_body:
        if isinstance(s, cst.SimpleStatementLine):
            first = next(it)
            out[id(s)] = first.lineno
            out[id(s.body[0])] = first.lineno
            for small in s.body[1:]:
                out[id(small)] = next(it).lineno
            continue
        a = next(it)
        out[id(s)] = _start(a)
        _compound(s, a, out)


def _suite(suite: cst.BaseSuite, ast_body: list[ast.stmt], out: dict[int, int]) -> None:
    if isinstance(suite, cst.SimpleStatementSuite):
        for small, a in zip(suite.body, ast_body):
            out[id(small)] = a.lineno
    else:
        _body(suite.body, ast_body, out)


def _compound(s: cst.CSTNode, a: ast.AST, out: dict[int, int]) -> None:
    if isinstance(s, (cst.FunctionDef, cst.ClassDef, cst.With)):
        _suite(s.body, a.body, out)  # type: ignore[attr-defined]
    elif isinstance(s, (cst.For, cst.While)):
        _suite(s.body, a.body, out)  # type: ignore[attr-defined]
        if s.orelse is not None:
            _suite(s.orelse.body, a.orelse, out)  # type: ignore[attr-defined]
    elif isinstance(s, cst.If):
        _suite(s.body, a.body, out)  # type: ignore[attr-defined]
        orelse = s.orelse
        if isinstance(orelse, cst.If):
            nested = a.orelse[0]  # type: ignore[attr-defined]
            out[id(orelse)] = nested.lineno
            _compound(orelse, nested, out)
        elif isinstance(orelse, cst.Else):
            _suite(orelse.body, a.orelse, out)  # type: ignore[attr-defined]
    elif isinstance(s, (cst.Try, cst.TryStar)):
        _suite(s.body, a.body, out)  # type: ignore[attr-defined]
        for h, ah in zip(s.handlers, a.handlers):  # type: ignore[attr-defined]
            out[id(h)] = ah.lineno
            _suite(h.body, ah.body, out)
        if s.orelse is not None:
            _suite(s.orelse.body, a.orelse, out)  # type: ignore[attr-defined]
        if s.finalbody is not None:
            _suite(s.finalbody.body, a.finalbody, out)  # type: ignore[attr-defined]
    elif isinstance(s, cst.Match):
        for case, ac in zip(s.cases, a.cases):  # type: ignore[attr-defined]
            _suite(case.body, ac.body, out)
