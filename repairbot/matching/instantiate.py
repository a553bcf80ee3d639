"""Instantiating a pattern's after side at a match, and proving the result is what we meant.

The after template is parsed with placeholder names, the placeholders are replaced by the
bound libcst nodes (so the user's own formatting of those subtrees survives), the result is
spliced into the module, printed, and parsed again. If the re-parsed tree differs from the
intended one (operator precedence: `{h0} * 2` with `a + b` bound), bound expressions are
parenthesised and the check is repeated; a candidate that still differs is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from repairbot.matching.match import Match
from repairbot.tree import BLOCK, from_cst, to_placeholders

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
            if self.parens and isinstance(node, cst.BaseExpression) and not isinstance(node, _ATOMS) \
                    and not node.lpar:
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
    """Print, re-parse and compare: the generated file must parse to exactly the intended tree."""
    last_error = "no attempt"
    for parens in (False, True):
        new_module = make(parens)
        code = new_module.code
        try:
            reparsed = cst.parse_module(code)
        except cst.ParserSyntaxError as e:
            last_error = f"generated code does not parse: {str(e).splitlines()[0]}"
            continue
        if from_cst(reparsed).key == from_cst(new_module).key:
            return Rewrite(code, line, end_line)
        last_error = "generated code parses differently (precedence)"
    raise InstantiationError(last_error)


def _splice(module: cst.Module, m: Match, parens: bool) -> cst.Module:
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
        return new_parent
    return _replace(module, parent, new_parent)


def _replace(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    result = module.deep_replace(old, new)
    if not isinstance(result, cst.Module):
        raise InstantiationError("replacement removed the module")
    return result
