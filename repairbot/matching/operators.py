"""Procedural repair operators: rewrites a template cannot express.

A template cannot say "this integer plus one" or "a similar name that is in scope", so these
operators are code. They still ship as patterns (`guard` names the operator here) with their
own examples, and the same harness checks them.
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from collections.abc import Callable, Iterator

import libcst as cst
from rapidfuzz import fuzz

from repairbot.matching.additions import ADDITIONS
from repairbot.matching.annotations import ANNOTATIONS
from repairbot.matching.calls import CALLS
from repairbot.matching.imports import IMPORTS
from repairbot.matching.literals import LITERALS
from repairbot.matching.match import Target
from repairbot.matching.porting import PORTING
from repairbot.matching.region import enclosing_def
from repairbot.matching.structural import STRUCTURAL, Rewrite, unparsed, walk
from repairbot.matching.structural import nodes as _nodes
from repairbot.matching.structural import on_lines as _on_lines
from repairbot.tree import Tree

Operator = Callable[[Target, "set[int] | None"], Iterator[Rewrite]]

MAX_NAME_SUGGESTIONS = 3
MIN_NAME_SIMILARITY = 0.5
MIN_ATTRIBUTE_SCORE = 0.35
_CONSTANTS = frozenset({"True", "False", "None", "self", "cls"})
_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__path__", "__loader__",
                                        "__package__", "__builtins__", "__annotations__", "__qualname__",
                                        "__module__", "__class__", "__dict__", "__debug__"}
UNDEFINED_BOOST = 2.0


def int_step(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """Every decimal integer literal on the lines, one up and one down (never below zero)."""
    for t, _, _ in _nodes(target):
        if t.kind != "Integer" or not _on_lines(target, t, lines):
            continue
        text = t.value or ""
        if not text.isdigit():
            continue  # hex, octal, underscores: leave alone
        value = int(text)
        for new in (value + 1, value - 1):
            if new >= 0:
                yield t, t.node.with_changes(value=str(new)), 1.0


def _occurrences(target: Target, lines: set[int] | None) -> dict[str, list[int]]:
    """The variable names (and parameters) of the def around the lines, or of the module, and
    the lines they occur on: read from the whole file's `ast`, so that parsing only the region
    around the line ranks names exactly as parsing the whole file does."""
    tree = target.file_ast()
    scope = enclosing_def(tree, min(lines)) if lines else None
    if scope is None:  # the whole module: `region.scan` has walked it already
        return target.index().occurrences
    occ: dict[str, list[int]] = defaultdict(list)
    for n in ast.walk(scope):
        if isinstance(n, ast.Name):
            occ[n.id].append(n.lineno)
        elif isinstance(n, ast.arg):
            occ[n.arg].append(n.lineno)
    return occ


def _is_variable(t: Tree, parent: Tree | None, field: str) -> bool:
    """A Name used as a variable: not an attribute name, definition, parameter or keyword."""
    return t.kind == "Name" and not (parent is not None and parent.kind in (
        "Attribute", "FunctionDef", "ClassDef", "Param", "Arg", "ImportAlias", "Decorator") and field != "value")


def similar_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A variable on the lines replaced by the closest other names of the file.

    Closeness is mostly spelling (a typo, `item` for `items`), a little locality: a name used in
    the same def (the parsed region) and near the line ranks higher. On 400 variable fixes of the
    library's training projects (`benchmarks/operator_bench.py`), the human's name is first for
    13 and among the line's first 5 rewrites for 30 (spelling >= 60 alone: 11 and 21); only 121
    of the 400 new names occur in the file at all.
    """
    occ = _occurrences(target, lines)
    index = target.index()
    scope = set(occ) | index.names  # the whole file's names, however much was parsed
    pool = sorted(n for n in scope if n.isidentifier() and n not in _CONSTANTS)  # stable ties
    for t, parent, field in _nodes(target):
        if not _is_variable(t, parent, field) or not _on_lines(target, t, lines):
            continue  # attribute names, definitions, parameters and keywords are not variables
        value = t.value or ""
        if value in _CONSTANTS:
            continue
        # a name nothing binds (pyflakes' undefined name) is a NameError waiting: a typo, most likely
        undefined = index.bound is not None and value not in index.bound and value not in _BUILTINS
        line = target.span(t)[0]
        scored = []
        for name in pool:
            sim = fuzz.ratio(value, name) / 100
            if name == value or sim < MIN_NAME_SIMILARITY:
                continue
            where = occ.get(name)
            near = 1 / (1 + min(abs(x - line) for x in where) / 5) if where else 0.0
            scored.append((round(0.8 * sim + 0.1 * near + (0.1 if where else 0.0), 6), name))
        scored.sort(key=lambda s: (-s[0], s[1]))
        for weight, name in scored[:MAX_NAME_SUGGESTIONS]:
            yield t, t.node.with_changes(value=name), weight * (UNDEFINED_BOOST if undefined else 1.0)


def similar_attribute(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """An attribute name on the lines (`obj.warning`, `self.filename`) replaced by another
    attribute name of the file: one used on the same receiver counts half, spelling the other
    half, and the three best (score >= 0.35) are proposed.

    Attribute names are the most common identifier fix (652 of 24,582 edits in the library's 26
    projects). On 400 of them (`benchmarks/operator_bench.py`), the human's name is first for 31
    and among the line's first 5 rewrites for 55; only 120 of the 400 occur in the file at all.
    """
    uses = target.attributes()
    pool = sorted(uses.get("", frozenset()))  # stable ties
    for t, _, _ in _nodes(target):
        if t.kind != "Attribute" or not _on_lines(target, t, lines):
            continue
        value_node, attr = t.children[0], t.children[-1]
        if attr.kind != "Name" or not attr.value:
            continue
        old = attr.value
        same = uses.get(unparsed(value_node.node) or "\0", frozenset())  # as `region.scan` keys it
        scored = []
        for name in pool:
            if name == old:
                continue
            score = round(0.5 * (name in same) + 0.5 * fuzz.ratio(old, name) / 100, 6)
            if score >= MIN_ATTRIBUTE_SCORE:
                scored.append((score, name))
        scored.sort(key=lambda s: (-s[0], s[1]))
        for weight, name in scored[:MAX_NAME_SUGGESTIONS]:
            yield attr, attr.node.with_changes(value=name), weight


def self_attribute(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`x` -> `self.x` where the file uses `self.x` (a forgotten `self.`), and `self.x` -> `x`
    where `x` is a name of the parsed def (a parameter shadowed by the attribute)."""
    on_self = target.attributes().get("self", frozenset())
    tree = target.file_ast()
    for t, parent, field in _nodes(target):
        if not _on_lines(target, t, lines):
            continue
        if _is_variable(t, parent, field) and t.value in on_self and t.value not in _CONSTANTS:
            if parent is not None and parent.kind == "Attribute" and field == "value":
                continue  # `x.y` -> `self.x.y` is rare; the receiver itself stays
            yield t, cst.Attribute(cst.Name("self"), cst.Name(t.value)), 1.0
        elif t.kind == "Attribute" and t.children[0].kind == "Name" and t.children[0].value == "self":
            attr = t.children[-1].value
            if attr and not (parent is not None and parent.kind == "AssignTarget") and \
                    attr in _def_locals(tree, target.span(t)[0]):
                yield t, cst.Name(attr), 1.0


def _def_locals(tree: ast.Module, line: int) -> set[str]:
    """Parameters and assigned names of the innermost def around `line`."""
    found = enclosing_def(tree, line)
    if found is None:
        return set()
    a = found.args
    out = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x is not None}
    out.update(n.id for n in ast.walk(found) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return out


def _assigned(node: cst.CSTNode) -> str | None:
    """The last word of an assignment's one target (`fragment`, `self.x_prefix`); None for
    tuples, subscripts and several targets."""
    if isinstance(node, cst.Assign):
        if len(node.targets) != 1:
            return None
        tgt = node.targets[0].target
    elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        tgt = node.target
    else:
        return None
    return tgt.value if isinstance(tgt, cst.Name) else tgt.attr.value if isinstance(tgt, cst.Attribute) else None


def assigned_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`fragment = quote(query)` -> `quote(fragment)`: a statement copied from the one above and
    edited only on the left keeps the original's name on the right. A variable of the value is
    replaced by the assigned name if that name already has a value (it occurs on an earlier line
    of the parsed def); an attribute `r.old` by `r.new` if the file uses `r.new`. A call's
    argument is the likeliest place."""
    attrs = target.attributes()
    for t, _, _ in _nodes(target):
        new = _assigned(t.node) if t.kind in ("Assign", "AugAssign", "AnnAssign") else None
        if new is None or not _on_lines(target, t, lines) or "value" not in t.fields:
            continue
        value = t.children[t.fields.index("value")]
        first = target.span(t)[0]
        earlier: bool | None = None
        for leaf, parent, field in walk(value):
            if parent is not None and parent.kind == "Call" and field == "func":
                continue  # the callee is what the statement does, not what it works on
            weight = 1.0 if parent is not None and parent.kind == "Arg" else 0.6
            if _is_variable(leaf, parent, field) and leaf.value not in _CONSTANTS and leaf.value != new:
                if earlier is None:  # in the parsed region (the def around): a walk of the file costs more
                    earlier = any(n.kind == "Name" and n.value == new and target.span(n)[0] < first
                                  for n, _, _ in _nodes(target))
                if earlier:
                    yield leaf, leaf.node.with_changes(value=new), weight
            elif leaf.kind == "Attribute" and leaf.children[-1].kind == "Name" and leaf.children[-1].value != new:
                if new in attrs.get(unparsed(leaf.children[0].node) or "\0", frozenset()):
                    yield leaf.children[-1], leaf.children[-1].node.with_changes(value=new), weight


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def similar_keyword(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A keyword argument renamed to a close keyword or parameter name of the file
    (`parseAll=` -> `parse_all=`, `colour=` -> `color=`): spelling, with case and underscores
    ignored as well; the three best at 70% or more."""
    pool = sorted(target.index().keywords)
    for t, _, _ in _nodes(target):
        if t.kind != "Arg" or "keyword" not in t.fields or not _on_lines(target, t, lines):
            continue
        kw = t.node.keyword
        old = kw.value
        scored = []
        for name in pool:
            if name == old:
                continue
            sim = max(fuzz.ratio(old, name), fuzz.ratio(_squash(old), _squash(name))) / 100
            if sim >= 0.7:
                scored.append((round(sim, 6), name))
        scored.sort(key=lambda s: (-s[0], s[1]))
        for weight, name in scored[:MAX_NAME_SUGGESTIONS]:
            yield t, t.node.with_changes(keyword=kw.with_changes(value=name)), weight


OPERATORS: dict[str, Operator] = {"int_step": int_step, "similar_name": similar_name,
                                  "similar_attribute": similar_attribute, "self_attribute": self_attribute,
                                  "similar_keyword": similar_keyword, "assigned_name": assigned_name, **STRUCTURAL, **ADDITIONS,
                                  **ANNOTATIONS, **CALLS, **PORTING, **LITERALS, **IMPORTS}
