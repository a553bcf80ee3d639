"""What kind of fix a pattern makes, from its before/after trees.

The shipped library is organised by these kinds (the single-statement fixes common in Python
history) and `repairbot patterns stats` counts them. A pattern's kind is found by aligning its
before and after trees (same node shape: descend; else the pair is a difference) and looking at
the differences and where they sit (a call's function, a keyword argument, an `if` test...).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from repairbot.tree import BLOCK, PARSE_ERRORS, Tree, from_cst, parse_template
from repairbot.types import EditKind, Pattern

KINDS: tuple[tuple[str, str], ...] = (
    ("changed_identifier", "changed identifier or attribute"),
    ("changed_operator", "changed binary, comparison or boolean operator"),
    ("changed_literal", "changed numeric or boolean literal"),
    ("call_arguments", "more or fewer call arguments"),
    ("swapped_arguments", "swapped arguments or operands"),
    ("wrong_callee", "wrong function or method name"),
    ("wrap_call", "a call wrapped around an expression (or removed)"),
    ("if_condition", "a more or less specific condition"),
    ("none_guard", "a None guard"),
    ("keyword_argument", "a changed keyword argument"),
    ("off_by_one", "an added or removed +/- 1"),
    ("other", "anything else"),
)
KIND_NAMES = tuple(k for k, _ in KINDS)

_OPERATORS = {
    # binary, augmented, boolean, unary and comparison operator node kinds of libcst
    "Add", "Subtract", "Multiply", "Divide", "FloorDivide", "Modulo", "Power", "MatrixMultiply",
    "LeftShift", "RightShift", "BitOr", "BitAnd", "BitXor",
    "AddAssign", "SubtractAssign", "MultiplyAssign", "DivideAssign", "FloorDivideAssign", "ModuloAssign",
    "PowerAssign", "LeftShiftAssign", "RightShiftAssign", "BitOrAssign", "BitAndAssign", "BitXorAssign",
    "And", "Or", "Not", "Minus", "Plus", "BitInvert",
    "LessThan", "LessThanEqual", "GreaterThan", "GreaterThanEqual", "Equal", "NotEqual", "Is", "IsNot",
    "In", "NotIn",
}
_NUMBERS = {"Integer", "Float", "Imaginary"}


@dataclass(frozen=True)
class Diff:
    before: Tree
    after: Tree
    ancestors: tuple[tuple[Tree, str], ...]  # (node, field of the next step), root first


def classify(p: Pattern) -> str:
    """The kind of fix pattern `p` makes (one of KIND_NAMES)."""
    kind = "expr" if p.kind == EditKind.EXPR else "stmts"
    try:
        before, after = parse_template(p.before, kind), parse_template(p.after, kind)
    except (*PARSE_ERRORS, ValueError):
        return "other"
    return classify_trees(before, after)


def classify_trees(before: Tree, after: Tree) -> str:
    if _none_checks(after) > _none_checks(before):
        return "none_guard"
    diffs = differences(before, after)
    if not diffs:
        return "other"
    if len(diffs) == 2 and diffs[0].before == diffs[1].after and diffs[0].after == diffs[1].before:
        return "swapped_arguments"
    kinds = {_classify_one(d) for d in diffs}
    return kinds.pop() if len(kinds) == 1 else "other"


def differences(b: Tree, a: Tree, ancestors: tuple[tuple[Tree, str], ...] = ()) -> list[Diff]:
    """The smallest differing subtree pairs, descending while both sides have the same shape."""
    if b == a:
        return []
    # A call wrapped around a call (`f(x)` -> `int(f(x))`) has the same shape on both sides:
    # descending would misread it as a changed callee and argument.
    if b.shape() != a.shape() or len(b.children) != len(a.children) or _wraps(a, b) or _wraps(b, a):
        return [Diff(b, a, ancestors)]
    out: list[Diff] = []
    for field, x, y in zip(b.fields, b.children, a.children):
        out.extend(differences(x, y, (*ancestors, (b, field))))
    return out


_STRINGS = {"SimpleString", "ConcatenatedString", "FormattedString"}


def text_only(before: Tree, after: Tree) -> bool:
    """Every difference is a string changed into another string (a message, a doc, a version):
    history calls such edits fixes, but no pattern can write new text."""
    diffs = differences(before, after)
    return bool(diffs) and all(d.before.kind in _STRINGS and d.after.kind in _STRINGS for d in diffs)


def _classify_one(d: Diff) -> str:
    b, a = d.before, d.after
    parent, field = d.ancestors[-1] if d.ancestors else (None, "")
    if parent is not None and parent.kind == "Arg" and (field == "keyword" or _keyword_of(parent) is not None):
        return "keyword_argument"
    if b.kind in _OPERATORS and a.kind in _OPERATORS:
        return "changed_operator"
    if _plus_minus_one(b, a) or _plus_minus_one(a, b):
        return "off_by_one"
    if _literal(b) and _literal(a):
        return "changed_literal"
    if _condition_change(b, a) or _condition_change(a, b):
        return "if_condition"
    if _wraps(a, b) or _wraps(b, a):
        return "wrap_call"
    if b.kind == "Call" and a.kind == "Call":
        return _call_change(b, a)
    if b.kind in ("Name", "Attribute") and a.kind in ("Name", "Attribute"):
        return "wrong_callee" if _in_callee(d) else "changed_identifier"
    if b.kind == BLOCK or a.kind == BLOCK:
        return "other"
    return "other"


def _keyword_of(arg: Tree) -> Tree | None:
    for f, c in zip(arg.fields, arg.children):
        if f == "keyword":
            return c
    return None


def _literal(t: Tree) -> bool:
    if t.kind in _NUMBERS:
        return True
    if t.kind == "Name":
        return t.value in ("True", "False", "None")
    if t.kind == "UnaryOperation" and len(t.children) == 2:
        return t.children[0].kind == "Minus" and t.children[1].kind in _NUMBERS
    return False


def _plus_minus_one(bare: Tree, shifted: Tree) -> bool:
    """`shifted` is `bare + 1` or `bare - 1`."""
    if shifted.kind != "BinaryOperation" or len(shifted.children) != 3:
        return False
    left, op, right = shifted.children
    return op.kind in ("Add", "Subtract") and left == bare and right.kind == "Integer" and right.value == "1"


def _none_checks(t: Tree) -> int:
    """Comparisons with None (`is None`, `is not None`, `== None`, `!= None`) in t."""
    return sum(1 for n in t.walk() if n.kind == "ComparisonTarget"
               and any(c.kind == "Name" and c.value == "None" for c in n.children))


def _condition_change(narrow: Tree, wide: Tree) -> bool:
    """`wide` is `narrow and/or X` (or `X and/or narrow`), or `not narrow`."""
    if wide.kind == "BooleanOperation":
        return any(c == narrow for f, c in zip(wide.fields, wide.children) if f in ("left", "right"))
    if wide.kind == "UnaryOperation" and len(wide.children) == 2 and wide.children[0].kind == "Not":
        return wide.children[1] == narrow
    return False


def _wraps(outer: Tree, inner: Tree) -> bool:
    """`outer` is a call taking `inner` as an argument, or a method call on it (`inner.strip()`)."""
    if outer.kind != "Call":
        return False
    for f, c in zip(outer.fields, outer.children):
        if f == "args" and any(v == inner for g, v in zip(c.fields, c.children) if g == "value"):
            return True
        if f == "func" and c.kind == "Attribute" and c.children and c.children[0] == inner:
            return True
    return False


def _call_change(b: Tree, a: Tree) -> str:
    def parts(t: Tree) -> tuple[Tree | None, list[Tree], list[Tree]]:
        func, pos, kw = None, [], []
        for f, c in zip(t.fields, t.children):
            if f == "func":
                func = c
            elif f == "args":
                (kw if _keyword_of(c) is not None else pos).append(c)
        return func, pos, kw

    fb, pb, kb = parts(b)
    fa, pa, ka = parts(a)
    if fb == fa and pb == pa:
        return "keyword_argument"
    if fb == fa:
        return "call_arguments" if len(pb) != len(pa) or len(kb) != len(ka) else "other"
    if pb == pa and kb == ka:
        return "wrong_callee"
    return "other"


def _in_callee(d: Diff) -> bool:
    """Whether the difference is (in) the function part of a call: `f(x)` or `obj.m(x)`."""
    for i in range(len(d.ancestors) - 1, -1, -1):
        node, field = d.ancestors[i]
        if node.kind == "Call":
            return field == "func"
        if node.kind != "Attribute" or field != "attr":
            return False
    return False


KIND_LABELS: dict[str, str] = dict(KINDS)


def fix_kind(before_code: str, after_code: str) -> str:
    """The kind of a concrete change (statements, or one expression), e.g. a human fix in the
    accuracy benchmark: the same classifier as for patterns; unparsable code is "other"."""
    trees = []
    for code in (before_code, after_code):
        try:
            trees.append(from_cst(cst.parse_module(code)))
        except PARSE_ERRORS:
            try:
                trees.append(from_cst(cst.parse_expression(code.strip())))
            except PARSE_ERRORS:
                return "other"
    before, after = trees
    return "other" if before.key == after.key else classify_trees(before, after)
