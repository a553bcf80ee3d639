"""Instantiating a pattern's after side at a match, and proving the result is what we meant.

The after template is parsed with placeholder names, the placeholders are replaced by the
bound libcst nodes (so the user's own formatting of those subtrees survives), the result is
spliced into the module, printed, and parsed again. If the re-parsed tree differs from the
intended one (operator precedence: `{h0} * 2` with `a + b` bound), bound expressions are
parenthesised and the check is repeated; a candidate that still differs is dropped.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import libcst as cst

from repairbot.matching.match import Match
from repairbot.tree import BLOCK, PARSE_ERRORS, from_cst, to_placeholders

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString,
          cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple, cst.Dict, cst.Set, cst.Ellipsis)


class InstantiationError(Exception):
    """The pattern cannot be written at this match as valid, faithful Python."""


@dataclass(frozen=True)
class Rewrite:
    new_source: str
    line: int
    end_line: int


class _Fill(cst.CSTTransformer):
    def __init__(self, nodes: dict[str, cst.CSTNode], parens: bool) -> None:
        self.nodes, self.parens = nodes, parens

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.CSTNode:
        if original.value.startswith("__rb_") and original.value.endswith("__"):
            name = original.value[5:-2]
            node = self.nodes.get(name)
            if node is None:
                raise InstantiationError(f"hole {name} is not bound")
            # numbers are atoms too, but `0.x` does not parse: `(0).x` does
            if self.parens and isinstance(node, cst.BaseExpression) and not node.lpar \
                    and (not isinstance(node, _ATOMS) or isinstance(node, (cst.Integer, cst.Float))):
                node = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return node  # type: ignore[return-value]
        return updated


def apply_match(module: cst.Module, m: Match) -> Rewrite:
    """Return the whole new file for one match; raises InstantiationError."""
    return _checked(lambda parens: _splice(module, m, parens), m.line, m.end_line)


def replace_node(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode, line: int, end_line: int) -> Rewrite:
    """The whole new file with one node replaced (procedural operators); raises InstantiationError."""
    return _checked(lambda _parens: _replace(module, old, new), line, end_line)


def _checked(make, line: int, end_line: int) -> Rewrite:
    """Re-parse what changed: the statements holding the change must print and parse back to
    exactly the intended trees (the rest of the file is the user's code, unchanged)."""
    last_error = "no attempt"
    for parens in (False, True):
        new_module, changed = make(parens)
        code = "".join(new_module.code_for_node(st) for st in changed)
        try:
            reparsed = cst.parse_module(code).body if changed else []
        except PARSE_ERRORS as e:
            last_error = f"generated code does not parse: {str(e).splitlines()[0]}"
            continue
        if [from_cst(x).key for x in reparsed] == [from_cst(x).key for x in changed]:
            return Rewrite(new_module.code, line, end_line)
        last_error = "generated code parses differently (precedence)"
    raise InstantiationError(last_error)


def _splice(module: cst.Module, m: Match, parens: bool) -> tuple[cst.Module, list[cst.CSTNode]]:
    """The new module and the statements to re-parse."""
    nodes = {k: v.node for k, v in m.bindings.items()}
    fill = _Fill(nodes, parens)
    after = to_placeholders(m.compiled.pattern.after)
    if m.compiled.after.kind != BLOCK:
        new = cst.parse_expression(after).visit(fill)
        old = m.node.node
        if old.lpar and isinstance(new, cst.BaseExpression) and not new.lpar:
            new = new.with_changes(lpar=old.lpar, rpar=old.rpar)
        return _replace(module, old, new)
    stmts = [s.visit(fill) for s in cst.parse_module(after).body]
    parent = m.node.node
    body = list(parent.body)
    old_first = body[m.start]
    if stmts and hasattr(old_first, "leading_lines"):
        stmts[0] = stmts[0].with_changes(leading_lines=old_first.leading_lines)
    body[m.start:m.start + m.count] = stmts
    new_parent = parent.with_changes(body=body)
    if parent is module:
        return new_parent, stmts
    new_module, _ = _replace(module, parent, new_parent)
    return new_module, stmts


def _replace(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> tuple[cst.Module, list[cst.CSTNode]]:
    """Rebuild only the path from `old` up to the module (deep_replace visits the whole tree);
    also return the innermost rebuilt statement, the unit to re-parse."""
    parents = _parents(module)
    child_old, child_new = old, new
    stmt = [new] if isinstance(new, cst.BaseStatement) else []
    node = parents.get(id(old))
    if node is None and old is not module:
        raise InstantiationError("node is not part of this module")
    while node is not None:
        node_new = node.with_changes(**_field_with(node, child_old, child_new))
        if not stmt and isinstance(node_new, cst.BaseStatement):
            stmt = [node_new]
        child_old, child_new = node, node_new
        node = parents.get(id(node))
    if not isinstance(child_new, cst.Module):
        raise InstantiationError("replacement removed the module")
    return child_new, stmt or list(child_new.body)


def _field_with(node: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> dict[str, object]:
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if v is old:
            return {f.name: new}
        if isinstance(v, (list, tuple)) and any(x is old for x in v):
            return {f.name: type(v)(new if x is old else x for x in v)}
    raise InstantiationError(f"{type(old).__name__} not found in its parent {type(node).__name__}")


_PARENT_CACHE: dict[int, tuple[cst.Module, dict[int, cst.CSTNode]]] = {}


@functools.cache
def _node_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _parents(module: cst.Module) -> dict[int, cst.CSTNode]:
    """id(child) -> parent, built once per module (a fix run rewrites the same file many times)."""
    hit = _PARENT_CACHE.get(id(module))
    if hit is not None and hit[0] is module:
        return hit[1]
    out: dict[int, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    node_type = cst.CSTNode
    while stack:
        n = stack.pop()
        # the dataclass fields, not `.children` (which runs a visitor per node: most of the cost)
        for name in _node_fields(type(n)):
            v = getattr(n, name)
            if isinstance(v, node_type):
                out[id(v)] = n
                stack.append(v)
            elif isinstance(v, (list, tuple)):
                for c in v:
                    if isinstance(c, node_type):
                        out[id(c)] = n
                        stack.append(c)
    if len(_PARENT_CACHE) >= 8:
        _PARENT_CACHE.pop(next(iter(_PARENT_CACHE)))
    _PARENT_CACHE[id(module)] = (module, out)
    return out
