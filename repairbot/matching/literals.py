"""Repair operators for string literals that run without error and say the wrong thing.

A message written `"expected {n} items"` without its `f` prints the braces (ruff RUF027), and a
list of strings with a comma missing joins two of them into one (`["a" "b", "c"]`, pylint's
implicit-str-concat). Neither raises, so both reach a test's assertion or a user. Each is a
built-in pattern with its example in `repairbot/pattern/builtin.py`.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.region import enclosing_def
from repairbot.matching.structural import Rewrite, last_word, nodes, on_lines
from repairbot.tree import Tree

_FIELD = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\[\]{}]*\])*")
# calls that format a template later, so its braces are meant as written
_FORMATTERS = frozenset({"format", "format_map", "_", "gettext", "ngettext", "lazy_gettext", "gettext_lazy",
                         "ugettext", "pgettext", "Template", "compile", "match", "search", "sub", "fullmatch"})


# expressions a template passes through on its way to the name it is assigned to
_PASS_THROUGH = frozenset({"IfExp", "BooleanOperation", "ConcatenatedString"})


def _fields(text: str) -> list[str] | None:
    """The root names of a template's `{fields}`; None if it is not a named-field template."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    roots: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _FIELD.fullmatch(name) or conversion not in (None, "r", "s", "a") or (spec and "{" in spec):
            return None
        roots.append(re.split(r"[.\[]", name, maxsplit=1)[0])
    return roots or None


def _scope_names(target: Target, line: int) -> set[str]:
    """Names the def around `line` uses or binds, and the names the module binds."""
    names = set(target.index().bound or ())
    scope = enclosing_def(target.file_ast(), line)
    if scope is not None:
        for n in ast.walk(scope):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, ast.arg):
                names.add(n.arg)
    return names


def _formatted_later(target: Target) -> set[str]:
    """Variables the file calls `.format` on (`MSG.format(...)`): their templates are meant as written."""
    got = target.__dict__.get("_formatted")
    if got is None:
        got = target.__dict__["_formatted"] = {
            c.func.value.id for word, c in target.calls()
            if word in ("format", "format_map") and isinstance(c.func, ast.Attribute)
            and isinstance(c.func.value, ast.Name)}
    return got


def missing_fstring(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`"got {n} items"` -> `f"got {n} items"` where every field names a variable in scope.

    Left alone: docstrings, bytes and `u''` literals, templates with positional (`{}`, `{0}`) or
    odd fields (a regex's `{3}`, `{a-z}`), a template formatted later (`.format`, `%`, gettext,
    a name the file calls `.format` on) and a string that is already part of an f-string."""
    parents: dict[int, tuple[Tree | None, str]] = {}
    for t, parent, field in nodes(target):
        if t.kind != "SimpleString" or not on_lines(target, t, lines):
            continue
        node: cst.SimpleString = t.node
        prefix = node.prefix.lower()
        if any(c in prefix for c in "fbu") or "{" not in node.value or "\n" in node.value:
            continue  # (a string over several lines is most often a template of code or text)
        roots = _fields(node.raw_value)
        if roots is None:
            continue
        if not parents:
            parents = {id(n): (p, f) for n, p, f in nodes(target)}
        up, up_field = parent, field
        while up is not None and up.kind == "ConcatenatedString":  # judge `'a' 'b'` as a whole
            up, up_field = parents[id(up)]
        if up is None or up.kind == "Expr" or (up.kind == "Attribute" and up_field == "value"):
            continue  # a docstring, or `'...'.format(...)`
        if up.kind == "BinaryOperation" and isinstance(up.node.operator, cst.Modulo):
            continue
        if up.kind == "Arg":
            call = parents[id(up)][0]
            if call is not None and call.kind == "Call" and last_word(call.node.func) in _FORMATTERS:
                continue
        while up is not None and up.kind in _PASS_THROUGH:  # `msg = ("a {x}" if c else "b {x}")`
            up = parents[id(up)][0]
        if up is not None and up.kind == "Assign" and any(
                isinstance(a.target, cst.Name) and a.target.value in _formatted_later(target) for a in up.node.targets):
            continue
        line = target.span(t)[0]
        if not set(roots) <= _scope_names(target, line):
            continue
        try:
            new = cst.parse_expression("f" + node.value)  # libcst holds f-strings as their parts
        except cst.ParserSyntaxError:
            continue  # a field libcst cannot take apart: offered nowhere rather than broken
        yield t, new.with_changes(lpar=node.lpar, rpar=node.rpar), 1.0


def _parts(c: cst.ConcatenatedString) -> tuple[list[cst.BaseExpression], list[cst.BaseParenthesizableWhitespace]]:
    """`'a' 'b' 'c'` as its strings and the whitespace between them (libcst nests to the right)."""
    parts: list[cst.BaseExpression] = []
    gaps: list[cst.BaseParenthesizableWhitespace] = []
    node: cst.BaseExpression = c
    while isinstance(node, cst.ConcatenatedString):
        parts.append(node.left)
        gaps.append(node.whitespace_between)
        node = node.right
    parts.append(node)
    return parts, gaps


def _joined(parts: list[cst.BaseExpression], gaps: list[cst.BaseParenthesizableWhitespace]) -> cst.BaseExpression:
    if len(parts) == 1:
        return parts[0]
    return cst.ConcatenatedString(parts[0], _joined(parts[1:], gaps[1:]), whitespace_between=gaps[0])  # type: ignore[arg-type]


def missing_comma(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`["a" "b", "c"]` -> `["a", "b", "c"]`: an implicitly joined string in a list, tuple or
    set display split at one of its joins, the comma taking the join's place (and its line
    break). First where every other element is a plain string; a parenthesised join is meant."""
    for t, _, _ in nodes(target):
        if t.kind not in ("List", "Tuple", "Set"):
            continue
        elems = list(t.node.elements)
        spans = t.children if len(t.children) == len(elems) else [t] * len(elems)
        others = [e.value for e in elems if not isinstance(e.value, cst.ConcatenatedString)]
        plain = bool(others) and all(isinstance(v, cst.SimpleString) for v in others)
        for i, e in enumerate(elems):
            v = e.value
            if not isinstance(v, cst.ConcatenatedString) or v.lpar or not on_lines(target, spans[i], lines):
                continue
            parts, gaps = _parts(v)
            for k in range(len(parts) - 1):
                left = e.with_changes(value=_joined(parts[:k + 1], gaps[:k]),
                                      comma=cst.Comma(whitespace_after=gaps[k]))
                right = e.with_changes(value=_joined(parts[k + 1:], gaps[k + 1:]))
                weight = (1.0 if plain else 0.5) * (1.0 if len(parts) == 2 else 0.7)
                yield t, t.node.with_changes(elements=[*elems[:i], left, right, *elems[i + 1:]]), weight


LITERALS = {"missing_fstring": missing_fstring, "missing_comma": missing_comma}
