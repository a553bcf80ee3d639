"""Procedural repair operators: rewrites a template cannot express.

A template cannot say "this integer plus one" or "a similar name that is in scope", so these
operators are code. They still ship as patterns (`guard` names the operator here) with their
own examples, and the same harness checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst
from rapidfuzz import fuzz, process

from repairbot.matching.match import Target
from repairbot.tree import Tree

Rewrite = tuple[Tree, cst.CSTNode]  # (node to replace, replacement)
Operator = Callable[[Target, "set[int] | None"], Iterator[Rewrite]]

MAX_NAME_SUGGESTIONS = 3
MIN_NAME_SIMILARITY = 60.0


def _walk(t: Tree, parent: Tree | None = None, field: str = "") -> Iterator[tuple[Tree, Tree | None, str]]:
    yield t, parent, field
    for f, c in zip(t.fields, t.children):
        yield from _walk(c, t, f)


def _on_lines(target: Target, t: Tree, lines: set[int] | None) -> bool:
    if lines is None:
        return True
    first, last = target.span(t)
    return any(first <= ln <= last for ln in lines)


def int_step(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """Every decimal integer literal on the lines, one up and one down (never below zero)."""
    for t, _, _ in _walk(target.tree):
        if t.kind != "Integer" or not _on_lines(target, t, lines):
            continue
        text = t.value or ""
        if not text.isdigit():
            continue  # hex, octal, underscores: leave alone
        value = int(text)
        for new in (value + 1, value - 1):
            if new >= 0:
                yield t, t.node.with_changes(value=str(new))


def _scope_names(target: Target) -> set[str]:
    if target.names is not None:  # only a region is parsed: the whole file's names, from `ast`
        return set(target.names)
    names: set[str] = set()
    for t, parent, field in _walk(target.tree):
        if t.kind == "Name" and t.value and not (parent is not None and parent.kind == "Attribute" and field == "attr"):
            names.add(t.value)
    return names


def similar_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A variable on the lines replaced by the most similar other names used in the file."""
    scope = _scope_names(target)
    for t, parent, field in _walk(target.tree):
        if t.kind != "Name" or not _on_lines(target, t, lines):
            continue
        if parent is not None and (parent.kind in ("Attribute", "FunctionDef", "ClassDef", "Param", "Arg",
                                                   "ImportAlias", "Decorator") and field != "value"):
            continue  # attribute names, definitions, parameters and keywords are not variables
        value = t.value or ""
        if value in ("True", "False", "None", "self", "cls"):
            continue
        others = sorted(n for n in scope if n != value)  # ties resolve the same way every run
        for name, score, _ in process.extract(value, others, scorer=fuzz.ratio, limit=MAX_NAME_SUGGESTIONS):
            if score >= MIN_NAME_SIMILARITY:
                yield t, t.node.with_changes(value=name)


OPERATORS: dict[str, Operator] = {"int_step": int_step, "similar_name": similar_name}
