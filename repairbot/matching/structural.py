"""Structural repair operators: take code away or reshape it with the file's own parts.

Most single-statement fixes in Python histories remove something (an argument, a condition, a
wrapper, an element) or borrow what the file already writes elsewhere (a keyword argument that
the other calls to the same function pass). Those need no new words, so no template has to be
learned for them; each is one small function here, documented and tested through its built-in
pattern (`repairbot/pattern/builtin.py`). Operators that add a small piece are in
`additions.py`, `annotations.py` and `calls.py`.

Weights only order an operator's own rewrites; the pattern prior scales them.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator

import libcst as cst
from rapidfuzz import fuzz

from repairbot.matching.match import Target
from repairbot.tree import PARSE_ERRORS, Tree

Rewrite = tuple[Tree, cst.CSTNode, float]  # (node to replace, replacement, weight in (0, 1])

_TIGHT_PARENTS = {"BinaryOperation", "UnaryOperation", "BooleanOperation", "Comparison", "ComparisonTarget",
                  "Attribute", "Subscript", "Await", "Call"}
_COMPOUND = (cst.BinaryOperation, cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Lambda,
             cst.UnaryOperation, cst.NamedExpr, cst.Yield, cst.Await)


Visit = tuple[Tree, "Tree | None", str]  # a node, its parent, and the parent's field holding it


def walk(t: Tree, parent: Tree | None = None, field: str = "") -> list[Visit]:
    """Every node under `t` in pre-order (iterative: nested generators cost a frame per level
    for every node, which on a long function was most of an operator's time)."""
    out: list[Visit] = []
    stack: list[Visit] = [(t, parent, field)]
    while stack:
        node, up, f = stack.pop()
        out.append((node, up, f))
        stack.extend((c, node, cf) for cf, c in zip(reversed(node.fields), reversed(node.children)))
    return out


def nodes(target: Target) -> list[Visit]:
    """`walk` of the target's parsed tree, once per target: every operator reads it."""
    got = target.__dict__.get("_walk")
    if got is None:
        got = target.__dict__["_walk"] = walk(target.tree)
    return got


COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))  # `, ` (nodes are immutable: one will do)


def last_word(node: cst.BaseExpression) -> str:
    """`Optional` for `t.Optional` or `Optional`, `f` for `obj.f`; "" for other expressions."""
    return node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""


def on_lines(target: Target, t: Tree, lines: set[int] | None) -> bool:
    if lines is None:
        return True
    first, last = target.span(t)
    return any(first <= ln <= last for ln in lines)


def _near(target: Target, t: Tree, lines: set[int] | None) -> float:
    """1 for a part on the flagged lines, 0.7 for one elsewhere in the flagged construct."""
    return 1.0 if on_lines(target, t, lines) else 0.7


def _hoisted(node: cst.BaseExpression, parent: Tree | None) -> cst.BaseExpression:
    """`node` moved up to where its parent was: parenthesised if a tighter operator holds it."""
    if parent is not None and parent.kind in _TIGHT_PARENTS and isinstance(node, _COMPOUND) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _without(items: list, i: int) -> list:
    """`items` minus the i-th, commas kept in the file's style (a trailing comma stays trailing)."""
    out = items[:i] + items[i + 1:]
    if i == len(items) - 1 and out:
        out[-1] = out[-1].with_changes(comma=items[i].comma)
    return out


def drop_argument(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """One argument of a call on the lines removed (`encode("utf-8")` -> `encode()`, a keyword
    that is no longer accepted). Keywords rank above positional arguments, and arguments on the
    flagged lines above the others of a long call."""
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not on_lines(target, t, lines):
            continue
        args = [a for f, a in zip(t.fields, t.children) if f == "args"]
        node: cst.Call = t.node
        for i, a in enumerate(args):
            weight = (1.0 if node.args[i].keyword is not None else 0.6) * _near(target, a, lines)
            rest = _without(list(node.args), i)
            # the last one gone: `f()`, not `f(` and the line break that led to the argument
            gap = {} if rest else {"whitespace_before_args": cst.SimpleWhitespace("")}
            yield t, node.with_changes(args=rest, **gap), weight


def drop_element(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """One element of a list, set or dict display on the lines removed (a dropped version, option
    or file in a list, an entry of a table), one type of a tuple of types (`isinstance`, `except`),
    or one name of a `from ... import` with several. Sets keep at least one element (`{}` is a
    dict)."""
    for t, parent, _ in nodes(target):
        if t.kind == "Tuple" and parent is not None and parent.kind in ("Arg", "ExceptHandler") and \
                on_lines(target, t, lines) and len(t.node.elements) >= 2:
            # `isinstance(x, (A, B))`, `except (A, B):` -> one type fewer (a lone one unwrapped)
            elems = list(t.node.elements)
            for i, e in enumerate(t.children):
                rest = _without(elems, i)
                new = rest[0].value if len(rest) == 1 else t.node.with_changes(elements=rest)
                yield t, new, _near(target, e, lines)
            continue
        if t.kind == "ImportFrom" and on_lines(target, t, lines) and not isinstance(t.node.names, cst.ImportStar):
            names = list(t.node.names)
            if len(names) >= 2:
                for i, alias in enumerate(t.children[-len(names):]):
                    yield t, t.node.with_changes(names=_without(names, i)), _near(target, alias, lines)
            continue
        if t.kind not in ("List", "Set", "Dict") or not on_lines(target, t, lines):
            continue
        elems = list(t.node.elements)
        if len(elems) < (2 if t.kind == "Set" else 1):
            continue
        for i, e in enumerate(t.children):
            yield t, t.node.with_changes(elements=_without(elems, i)), _near(target, e, lines)


def drop_operand(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A condition made less specific: `a and b` (or `a or b`) becomes `a`, or `b`."""
    for t, parent, _ in nodes(target):
        if t.kind != "BooleanOperation" or not on_lines(target, t, lines):
            continue
        node: cst.BooleanOperation = t.node
        for keep, weight in ((node.left, 1.0), (node.right, 0.9)):
            if node.lpar and not keep.lpar and isinstance(keep, _COMPOUND):
                keep = keep.with_changes(lpar=node.lpar, rpar=node.rpar)  # keep the statement's layout
            yield t, _hoisted(keep, parent), weight


def unwrap(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A wrapper taken off: a call replaced by one of its positional arguments (`str(x)` -> `x`,
    `cast(T, v)` -> `v`), a conditional expression by one of its branches, a one-element tuple
    by its element."""
    for t, parent, _ in nodes(target):
        if not on_lines(target, t, lines):
            continue
        if t.kind == "Call":
            node: cst.Call = t.node
            if parent is not None and parent.kind == "Expr":
                continue  # `log.write(x)` -> `x`: a call made for its effect is no wrapper
            pos = [a for a in node.args if a.keyword is None and not a.star]
            # a function wraps its argument (`str(x)`, `cast(T, v)`); a method's argument is
            # rarely the value it stands for (`d.get(k)` -> `k`)
            base = 0.3 if isinstance(node.func, cst.Attribute) and node.func.attr.value != "cast" else 1.0
            for k, a in enumerate(pos):
                # the last argument is usually the wrapped value (`cast(T, v)`)
                yield t, _hoisted(a.value, parent), base * (1.0 if k == len(pos) - 1 else 0.6)
        elif t.kind == "IfExp":
            ifexp: cst.IfExp = t.node
            yield t, _hoisted(ifexp.body, parent), 1.0
            yield t, _hoisted(ifexp.orelse, parent), 0.8
        elif t.kind == "Tuple" and len(t.node.elements) == 1 and t.node.lpar and \
                not isinstance(t.node.elements[0], cst.StarredElement):
            yield t, t.node.elements[0].value, 1.0  # `("x",)` -> `"x"`: a stray trailing comma


_LITERALS = {"True": (("False", 1.0), ("None", 0.5)), "False": (("True", 1.0), ("None", 0.7)),
             "None": (("False", 0.6), ("True", 0.4))}


def swap_constant(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`True`, `False` and `None` exchanged for one another (a flipped default or flag, a
    `getattr` default of `False` that should be `None`)."""
    for t, _, _ in nodes(target):
        if t.kind == "Name" and t.value in _LITERALS and on_lines(target, t, lines):
            for new, weight in _LITERALS[t.value]:
                yield t, t.node.with_changes(value=new), weight


def conditions(target: Target, lines: set[int] | None) -> Iterator[Tree]:
    """The tests of the `if`, `elif`, `while` and conditional expressions on the lines."""
    for t, _, _ in nodes(target):
        if t.kind in ("If", "While", "IfExp") and on_lines(target, t, lines):
            yield t.children[t.fields.index("test")]


def negate_condition(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """The test of an `if`, `elif`, `while` or conditional expression negated (`not` added)."""
    for test in conditions(target, lines):
        if not on_lines(target, test, lines) or isinstance(test.node, cst.UnaryOperation):
            continue  # `not x` -> `x` is the template "drop not"
        inner = test.node
        if isinstance(inner, (cst.BooleanOperation, cst.IfExp, cst.NamedExpr, cst.Lambda)) and not inner.lpar:
            inner = inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        yield test, cst.UnaryOperation(cst.Not(), inner), 1.0


def _segment(target: Target, node: ast.expr) -> str | None:
    """A one-line node's source (ast.get_source_segment splits the whole file on every call)."""
    if node.end_lineno != node.lineno or node.end_col_offset is None:
        return None
    lines = target.__dict__.get("_lines")
    if lines is None:  # lines as `ast` numbers them: str.splitlines also breaks at \f, \x1c, ...
        lines = target.__dict__["_lines"] = _AST_LINES.split(target.source)
    if node.lineno > len(lines):
        return None
    return lines[node.lineno - 1].encode()[node.col_offset:node.end_col_offset].decode(errors="replace")


def _unparse(node: ast.expr) -> str | None:
    try:
        return ast.unparse(node)
    except (ValueError, AttributeError, RecursionError):
        return None


def unparsed(node: cst.CSTNode) -> str | None:
    """A libcst expression as `ast.unparse` writes it (layout-free), to compare with what the
    file's `ast` says (`region.scan`); None if it is not an expression on its own."""
    try:
        return ast.unparse(ast.parse("(" + cst.Module([]).code_for_node(node) + ")", mode="eval").body)
    except (SyntaxError, ValueError, RecursionError):
        return None


def sibling_keyword(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A keyword argument that the file's other calls to the same function pass, added to a
    call on the lines that lacks it (or given the value they agree on). Calls to a function of
    a similar name (`HTTPTransport` for `AsyncHTTPTransport`) count with half the weight."""
    calls = target.calls()
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not on_lines(target, t, lines):
            continue
        node: cst.Call = t.node
        callee = unparsed(node.func)
        if callee is None:
            continue
        have = {a.keyword.value: a for a in node.args if a.keyword is not None}
        if any(a.star == "**" for a in node.args):
            continue  # keywords may arrive through **kwargs
        word = callee.rsplit(".", 1)[-1]
        votes: Counter[tuple[str, str]] = Counter()
        siblings = 0.0
        first, last = target.span(t)
        for other_word, call in calls:
            if other_word == word:
                other = _unparse(call.func)
                if other is None or (first <= call.lineno <= last and other == callee):
                    continue  # the call itself (or one nested in it with the same callee)
                share = 1.0 if other == callee else 0.5
            elif fuzz.ratio(other_word, word) >= 80:
                share = 0.5
            else:
                continue
            siblings += share
            for kw in call.keywords:
                if kw.arg is None:
                    continue
                src = _segment(target, kw.value)
                if src is not None:
                    votes[(kw.arg, src)] += share
        if not siblings:
            continue
        best: dict[str, tuple[float, str]] = {}
        for (name, src), v in votes.items():
            if v > best.get(name, (0.0, ""))[0]:
                best[name] = (v, src)
        for name, (v, src) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:3]:
            old = have.get(name)
            if old is not None and cst.Module([]).code_for_node(old.value) == src:
                continue
            try:
                value = cst.parse_expression(src)
            except PARSE_ERRORS:
                continue
            weight = min(1.0, v / siblings)
            if old is not None:
                args = [a.with_changes(value=value) if a is old else a for a in node.args]
            else:
                args = appended(node, cst.Arg(value=value, keyword=cst.Name(name),
                                                          equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                                                cst.SimpleWhitespace(""))))
            yield t, node.with_changes(args=args), weight


def appended(node: cst.Call, new: cst.Arg) -> list[cst.Arg]:
    """`new` after the last argument in the call's own layout: one per line with a trailing
    comma stays so, a one-line call gets `, new`."""
    args = list(node.args)
    if not args:
        return [new]
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the gap between arguments, repeated
        gap = args[-2].comma.whitespace_after if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma) \
            else node.whitespace_before_args
        return [*args[:-1], last.with_changes(comma=last.comma.with_changes(whitespace_after=gap)),
                new.with_changes(comma=last.comma)]
    return [*args[:-1], last.with_changes(comma=COMMA), new]


_AST_LINES = re.compile(r"\r\n|\r|\n")
def none_test(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A truth test made a `None` test and back: `if x:` -> `if x is not None:` (an empty value
    is not a missing one), `if not x:` -> `if x is None:`, and `x is not None` -> `x`."""
    for test in conditions(target, lines):
        operands = [test]
        if isinstance(test.node, cst.BooleanOperation) and not test.node.lpar:
            operands = [test.children[0], test.children[-1]]
        for op in operands:
            node = op.node
            if not on_lines(target, op, lines):
                continue
            if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
                yield op, cst.Comparison(node, [cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))]), 1.0
            elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not) and \
                    isinstance(node.expression, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
                yield op, cst.Comparison(node.expression, [cst.ComparisonTarget(cst.Is(), cst.Name("None"))]), 1.0
            elif isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
                c = node.comparisons[0]
                if isinstance(c.comparator, cst.Name) and c.comparator.value == "None":
                    if isinstance(c.operator, cst.IsNot):
                        yield op, node.left, 0.8
                    elif isinstance(c.operator, cst.Is):
                        yield op, cst.UnaryOperation(cst.Not(), node.left), 0.8


def return_value(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A function's last statement, a bare call or expression, returned (`f.read()` ->
    `return f.read()`); and a returned call made a plain statement (`return x.close()`)."""
    for t, _, _ in nodes(target):
        if t.kind != "FunctionDef":
            continue
        body = t.node.body
        if not isinstance(body, cst.IndentedBlock) or not body.body:
            continue
        last = body.body[-1]
        if not isinstance(last, cst.SimpleStatementLine) or len(last.body) != 1:
            continue
        small = last.body[0]
        block = t.children[t.fields.index("body")]
        last_t = block.children[-1]
        if not on_lines(target, last_t, lines):
            continue
        if isinstance(small, cst.Expr) and not isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString,
                                                                          cst.Ellipsis, cst.Yield, cst.Await)):
            yield last_t, last.with_changes(body=[cst.Return(small.value, semicolon=small.semicolon)]), 1.0
        elif isinstance(small, cst.Return) and isinstance(small.value, cst.Call):
            yield last_t, last.with_changes(body=[cst.Expr(small.value, semicolon=small.semicolon)]), 0.5


STRUCTURAL = {"none_test": none_test, "return_value": return_value, "drop_argument": drop_argument, "drop_element": drop_element, "drop_operand": drop_operand,
              "unwrap": unwrap, "swap_constant": swap_constant, "negate_condition": negate_condition,
              "sibling_keyword": sibling_keyword}
