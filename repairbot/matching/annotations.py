"""Repair operators for type annotations: made optional or not, widened to `Any` (or a bare
generic given `Any` parameters), a tuple of any length.

Type-checker-driven fixes are a large share of recent Python histories, and most of them only
re-spell what the file already says (its way of writing `Optional`, its `Any`). Each operator
is a built-in pattern with its example in `repairbot/pattern/builtin.py`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.structural import COMMA, Rewrite, last_word, nodes, on_lines, unparsed, walk

_OPTIONAL = re.compile(r"\b((?:typing|t)\.)?Optional\[")


def optional_annotation(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """An annotation on the lines made optional (`str` -> `str | None`, or `Optional[str]` as
    the file spells it), or no longer optional (`str | None` -> `str`)."""
    spelled = Counter(m.group(0) for m in _OPTIONAL.finditer(target.source))
    pipes = target.source.count("| None")
    for t, _, _ in nodes(target):
        if t.kind != "Annotation" or not on_lines(target, t, lines):
            continue
        ann: cst.BaseExpression = t.node.annotation
        inner = _optional_of(ann)
        if inner is not None:
            yield t, t.node.with_changes(annotation=inner), 1.0
            continue
        if isinstance(ann, cst.SimpleString) or (isinstance(ann, cst.Name) and ann.value == "None"):
            continue  # string annotations and None itself
        union = cst.BinaryOperation(ann, cst.BitOr(), cst.Name("None"))
        if spelled:
            word = spelled.most_common(1)[0][0][:-1]
            wrapped = cst.Subscript(cst.parse_expression(word), [cst.SubscriptElement(cst.Index(ann))])
            first, second = (wrapped, union) if sum(spelled.values()) >= pipes else (union, wrapped)
            yield t, t.node.with_changes(annotation=first), 1.0
            yield t, t.node.with_changes(annotation=second), 0.5
        else:
            yield t, t.node.with_changes(annotation=union), 1.0


def _optional_of(ann: cst.BaseExpression) -> cst.BaseExpression | None:
    """X for `X | None`, `None | X` and `Optional[X]` (any prefix), else None."""
    if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
        for keep, drop in ((ann.left, ann.right), (ann.right, ann.left)):
            if isinstance(drop, cst.Name) and drop.value == "None":
                return keep
    if isinstance(ann, cst.Subscript) and len(ann.slice) == 1 and isinstance(ann.slice[0].slice, cst.Index):
        if last_word(ann.value) == "Optional":
            return ann.slice[0].slice.value
    return None


_ANY = re.compile(r"\b((?:typing|t)\.)?Any\b")


def any_annotation(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """An annotation on the lines, or one type inside it, widened to `Any` as the file spells it
    (`-> str` -> `-> t.Any`, `List[str]` -> `List[t.Any]`), or a bare generic given `Any`
    parameters (`t.IO` -> `t.IO[t.Any]`); only in files that use `Any`."""
    spelled = Counter(m.group(0) for m in _ANY.finditer(target.source))
    if not spelled:
        return
    any_node = cst.parse_expression(spelled.most_common(1)[0][0])
    any_text = unparsed(any_node)
    for t, _, _ in nodes(target):
        if t.kind != "Annotation" or not on_lines(target, t, lines):
            continue
        whole = t.children[0]
        if unparsed(whole.node) != any_text and not isinstance(whole.node, cst.SimpleString):
            yield whole, any_node, 1.0
        for inner, parent, field in walk(whole):
            if not isinstance(inner.node, (cst.Name, cst.Attribute)) or unparsed(inner.node) in (any_text, "None"):
                continue
            if parent is not None and (parent.kind, field) == ("Index", "value"):
                yield inner, any_node, 0.7
            if parent is None or not ((parent.kind, field) == ("Subscript", "value") or parent.kind == "Attribute"):
                arity = _GENERIC_ARITY.get(last_word(inner.node))
                if arity:  # a bare generic given its parameters: `t.IO` -> `t.IO[t.Any]`
                    params = [cst.SubscriptElement(cst.Index(any_node), comma=COMMA) for _ in range(arity - 1)]
                    params.append(cst.SubscriptElement(cst.Index(any_node)))
                    yield inner, cst.Subscript(inner.node, params), 0.6


_GENERIC_ARITY = {"IO": 1, "List": 1, "list": 1, "Set": 1, "set": 1, "FrozenSet": 1, "frozenset": 1, "Type": 1,
                  "type": 1, "Sequence": 1, "Iterable": 1, "Iterator": 1, "Collection": 1, "PathLike": 1,
                  "Dict": 2, "dict": 2, "Mapping": 2, "MutableMapping": 2}


def variadic_tuple(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`Tuple[str]` in an annotation (a tuple of exactly one) -> `Tuple[str, ...]` (any length),
    the reading most code means."""
    for t, _, _ in nodes(target):
        if t.kind != "Annotation" or not on_lines(target, t, lines):
            continue
        for inner, _, _ in walk(t):
            node = inner.node
            if inner.kind != "Subscript" or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                continue
            only = node.slice[0].slice.value
            if last_word(node.value) in ("Tuple", "tuple") and not isinstance(only, (cst.Ellipsis, cst.Tuple)):
                elems = [node.slice[0].with_changes(comma=COMMA), cst.SubscriptElement(cst.Index(cst.Ellipsis()))]
                yield inner, node.with_changes(slice=elems), 1.0


ANNOTATIONS = {"optional_annotation": optional_annotation, "any_annotation": any_annotation,
               "variadic_tuple": variadic_tuple}
