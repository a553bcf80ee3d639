"""What kind of fix a before/after pair of statements is (Getafix-style fix categories).

A pure function of two pieces of code, so the accuracy benchmark (and `patterns stats`) can
report results per kind. The code is compared as formatting-free trees (`repairbot.tree`):
the smallest differing pair of subtrees decides the kind, with the path above it saying
whether it sits in a call's function position, an argument, an `if` test or a string.
"""

from __future__ import annotations

import libcst as cst

from repairbot.tree import Tree, from_cst

KINDS: dict[str, str] = {
    "identifier": "changed identifier or attribute",
    "operator": "changed binary or comparison operator",
    "literal": "changed literal",
    "call_args_count": "more/fewer call args",
    "swapped_args": "swapped args",
    "function_name": "wrong function/method name",
    "call_wrap": "call wrapped around an expression",
    "if_condition": "if condition more/less specific",
    "none_guard": "None guard",
    "keyword_arg": "changed keyword argument",
    "other": "other",
}

_LITERALS = {"Integer", "Float", "Imaginary", "SimpleString", "ConcatenatedString", "FormattedString"}
_STRING_PARTS = {"FormattedString", "ConcatenatedString", "FormattedStringText", "FormattedStringExpression"}
_CONSTANT_NAMES = {"True", "False", "None"}
_OPERATOR_BASES = (cst.BaseBinaryOp, cst.BaseCompOp, cst.BaseBooleanOp, cst.BaseUnaryOp, cst.BaseAugOp)
_TESTED = {"If", "While", "IfExp", "Assert"}

Path = list[tuple[Tree, str]]  # (ancestor, field of the child we descended into), root first


def _parse(code: str) -> Tree | None:
    try:
        return from_cst(cst.parse_module(code))
    except cst.ParserSyntaxError:
        pass
    try:
        return from_cst(cst.parse_expression(code.strip()))
    except cst.ParserSyntaxError:
        return None


def fix_kind(before_code: str, after_code: str) -> str:
    """One of `KINDS` for a change from `before_code` to `after_code` (statements or expressions)."""
    b, a = _parse(before_code), _parse(after_code)
    if b is None or a is None or b.key == a.key:
        return "other"
    if _none_checks(a) > _none_checks(b):
        return "none_guard"
    x, y, path = _diff_root(b, a)
    return _classify(x, y, path)


def _is_none(t: Tree) -> bool:
    return t.kind == "Name" and t.value == "None"


def _none_checks(t: Tree) -> int:
    """Tests against None in if/while/conditional-expression tests: what a None guard adds."""
    n = 0
    for node in t.walk():
        if node.kind in _TESTED:
            for f, c in zip(node.fields, node.children):
                if f == "test" and any(_is_none(s) for s in c.walk()):
                    n += 1
    return n


def _diff_root(x: Tree, y: Tree) -> tuple[Tree, Tree, Path]:
    """Descend while exactly one child differs: the smallest subtrees holding the whole change."""
    path: Path = []
    while x.shape() == y.shape() and len(x.children) == len(y.children):
        diff = [i for i, (cx, cy) in enumerate(zip(x.children, y.children)) if cx.key != cy.key]
        if len(diff) != 1:
            break
        i = diff[0]
        path.append((x, x.fields[i]))
        x, y = x.children[i], y.children[i]
    return x, y, path


def _args(call: Tree) -> list[Tree]:
    return [c for f, c in zip(call.fields, call.children) if f == "args"]


def _func(call: Tree) -> Tree | None:
    return next((c for f, c in zip(call.fields, call.children) if f == "func"), None)


def _arg_value(arg: Tree) -> Tree | None:
    return next((c for f, c in zip(arg.fields, arg.children) if f == "value"), None)


def _has_keyword(arg: Tree) -> bool:
    return "keyword" in arg.fields


def _operands(t: Tree) -> list[Tree]:
    return [c for f, c in zip(t.fields, t.children) if f in ("left", "right")]


def _classify(x: Tree, y: Tree, path: Path) -> str:
    kinds = {x.kind, y.kind}
    if any(a.kind == "Arg" for a, _ in path[-2:]):
        arg = next(a for a, _ in reversed(path) if a.kind == "Arg")
        if path[-1][1] == "keyword" or _has_keyword(arg):
            return "keyword_arg"  # a keyword argument's name or value
    if any(a.kind in _STRING_PARTS for a, _ in path) or kinds <= _LITERALS:
        return "literal"
    if x.kind == "Name" and y.kind == "Name" and {x.value, y.value} <= _CONSTANT_NAMES:
        return "literal"
    if isinstance(x.node, _OPERATOR_BASES) and isinstance(y.node, _OPERATOR_BASES):
        return "operator"
    in_test = any(a.kind in _TESTED and f == "test" for a, f in path)
    if in_test and _one_extends_other(x, y):
        return "if_condition"
    if x.kind == "Call" and y.kind == "Call":
        return _classify_calls(x, y)
    if _wraps(y, x):
        return "call_wrap"
    if kinds <= {"Name", "Attribute"}:
        if _in_func_position(path):
            return "function_name"
        return "identifier"
    if y.kind == "UnaryOperation" and any(c.key == x.key for c in y.children):
        return "operator"  # `not` added
    if x.kind == "UnaryOperation" and any(c.key == y.key for c in x.children):
        return "operator"
    if (x.kind in _LITERALS or _is_const(x)) and (y.kind in _LITERALS or _is_const(y)):
        return "literal"
    return "other"


def _is_const(t: Tree) -> bool:
    return t.kind == "Name" and t.value in _CONSTANT_NAMES


def _one_extends_other(x: Tree, y: Tree) -> bool:
    """`a` -> `a and b` (more specific) or `a or b` -> `a` (less): one test is an operand of the other."""
    for big, small in ((y, x), (x, y)):
        if big.kind == "BooleanOperation" and any(o.key == small.key for o in _operands(big)):
            return True
    return False


def _wraps(outer: Tree, inner: Tree) -> bool:
    """`outer` is a call taking `inner` as an argument, or a method called on it."""
    if outer.kind != "Call":
        return False
    if any((v := _arg_value(a)) is not None and v.key == inner.key for a in _args(outer)):
        return True
    func = _func(outer)
    if func is not None and func.kind == "Attribute":
        return any(f == "value" and c.key == inner.key for f, c in zip(func.fields, func.children))
    return False


def _in_func_position(path: Path) -> bool:
    """The changed name is what a call calls: `f(...)` or the attribute in `obj.m(...)`."""
    for i in range(len(path) - 1, -1, -1):
        anc, field = path[i]
        if anc.kind == "Call":
            return field == "func"
        if anc.kind != "Attribute" or field != "attr":
            return False
    return False


def _classify_calls(x: Tree, y: Tree) -> str:
    fx, fy = _func(x), _func(y)
    ax, ay = _args(x), _args(y)
    if fx is not None and fy is not None and fx.key != fy.key:
        if [a.key for a in ax] == [a.key for a in ay]:
            return "function_name"
        if _wraps(y, x) or _wraps(x, y):
            return "call_wrap"
        return "other"
    if len(ax) != len(ay):
        return "call_args_count"
    if sorted(map(repr, (a.key for a in ax))) == sorted(map(repr, (a.key for a in ay))):
        return "swapped_args"
    vx = sorted(repr(_arg_value(a).key) for a in ax if _arg_value(a) is not None)
    vy = sorted(repr(_arg_value(a).key) for a in ay if _arg_value(a) is not None)
    if vx == vy:
        return "swapped_args"  # the same values given to different parameters
    changed = [(p, q) for p, q in zip(ax, ay) if p.key != q.key]
    if changed and all(_has_keyword(p) or _has_keyword(q) for p, q in changed):
        return "keyword_arg"
    return "other"
