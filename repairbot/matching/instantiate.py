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
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState  # what Module.code_for_node fills; here with indentation

from repairbot.matching.match import Layout, Match
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


def apply_match(module: cst.Module, m: Match, layout: Layout | None = None) -> Rewrite:
    """Return the whole new file for one match; raises InstantiationError."""
    return _checked(lambda parens: _splice(module, m, parens), m.line, m.end_line, module, layout)


def replace_node(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode, line: int, end_line: int,
                 layout: Layout | None = None) -> Rewrite:
    """The whole new file with one node replaced (procedural operators); raises InstantiationError."""
    return _checked(lambda _parens: _replace(module, old, new), line, end_line, module, layout)


Changed = tuple[cst.Module, list[cst.CSTNode], list[cst.CSTNode]]  # new module, new and old statements


def _checked(make: Callable[[bool], Changed], line: int, end_line: int, module: cst.Module,
             layout: Layout | None) -> Rewrite:
    """Re-parse what changed: the statements holding the change must print and parse back to
    exactly the intended trees (the rest of the file is the user's code, unchanged). A change to
    a compound statement's header alone is checked, and printed, without its body."""
    last_error = "no attempt"
    for parens in (False, True):
        try:
            new_module, changed, old = make(parens)
        except cst.CSTValidationError as e:  # libcst refuses the tree (`'a' b'b'`): this candidate only
            last_error = f"generated tree is not valid: {e}"
            continue
        head = _header_only(changed, old)
        units = [head] if head is not None else changed
        code = "".join(new_module.code_for_node(st) for st in units)
        try:
            reparsed = cst.parse_module(code).body if units else []
        except PARSE_ERRORS as e:
            last_error = f"generated code does not parse: {str(e).splitlines()[0]}"
            continue
        if [from_cst(x).key for x in reparsed] == [from_cst(x).key for x in units]:
            fast = None if layout is None else _respliced(module, changed, old, layout) if head is None \
                else _reheaded(module, head, old[0], layout)
            return Rewrite(new_module.code if fast is None else fast, line, end_line)
        last_error = "generated code parses differently (precedence)"
    raise InstantiationError(last_error)


_STUB_BODY = (cst.SimpleStatementLine([cst.Pass()]),)
_HEADERS = (cst.If, cst.While, cst.For, cst.With, cst.FunctionDef, cst.ClassDef)


def _header_only(new: list[cst.CSTNode], old: list[cst.CSTNode]) -> cst.BaseCompoundStatement | None:
    """The new compound statement with its body cut to `pass`, if only its header changed (its
    body and else clause are the very same nodes): what needs printing and re-parsing then."""
    if len(new) != 1 or len(old) != 1 or type(new[0]) is not type(old[0]) or not isinstance(new[0], _HEADERS):
        return None
    n, o = new[0], old[0]
    if n.body is not o.body or getattr(n, "orelse", None) is not getattr(o, "orelse", None) or \
            not isinstance(n.body, cst.IndentedBlock) or not n.body.body:
        return None
    stub = n.with_changes(leading_lines=(), body=n.body.with_changes(body=_STUB_BODY, footer=()))
    return stub.with_changes(orelse=None) if hasattr(stub, "orelse") else stub


def _indents(module: cst.Module, node: cst.CSTNode) -> list[str]:
    """The indentation of the blocks around `node`, outermost first."""
    parents = _parents(module)
    out: list[str] = []
    up = parents.get(id(node))
    while up is not None:
        if isinstance(up, cst.IndentedBlock):
            out.append(module.default_indent if up.indent is None else up.indent)
        up = parents.get(id(up))
    return out[::-1]


def _printed(module: cst.Module, where: cst.CSTNode, nodes: list[cst.CSTNode]) -> str:
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline,
                         indent_tokens=_indents(module, where))
    for node in nodes:
        node._codegen(state)
    return "".join(state.tokens)


def _respliced(module: cst.Module, new: list[cst.CSTNode], old: list[cst.CSTNode], layout: Layout) -> str | None:
    """The new module's code as the old text with the changed simple statements' lines printed
    anew (at their block's indentation), or None where that is not certain to equal printing the
    whole module: compound statements (decorators, `elif`, block footers), unknown lines."""
    if not old or not all(isinstance(x, cst.SimpleStatementLine) for x in [*new, *old]):
        return None
    first, _ = layout.span(old[0])
    _, last = layout.span(old[-1])
    offsets = layout.offsets
    if not 0 < first <= last < len(offsets) or layout.lone_cr:
        return None
    text = _printed(module, old[0], [new[0].with_changes(leading_lines=()), *new[1:]])
    return layout.text[:offsets[first - 1]] + text + layout.text[offsets[last]:]


def _first_line(node: cst.CSTNode, layout: Layout) -> int:
    """A statement's first line: its first decorator's (libcst's position starts at `def`)."""
    return min([layout.span(node)[0]] + [layout.span(d)[0] for d in getattr(node, "decorators", ())])


def _reheaded(module: cst.Module, stub: cst.BaseCompoundStatement, old: cst.BaseCompoundStatement,
              layout: Layout) -> str | None:
    """The new module's code as the old text with one compound statement's header lines (from
    its first decorator to its colon) printed anew; None where unsure (an `elif`, a comment
    before the first decorator, unknown lines)."""
    parent = _parents(module).get(id(old))
    decorators = getattr(old, "decorators", ())
    if isinstance(parent, cst.If) or (decorators and decorators[0].leading_lines) or layout.lone_cr:
        return None
    first = _first_line(old, layout)
    body0 = old.body.body[0]  # type: ignore[union-attr]
    if getattr(body0, "decorators", ()) and body0.decorators[0].leading_lines:  # type: ignore[union-attr]
        return None
    last = _first_line(body0, layout) - len(getattr(body0, "leading_lines", ())) - 1
    offsets = layout.offsets
    if not 0 < first <= last < len(offsets):
        return None
    text = _printed(module, old, [stub])
    text = text[:text.rfind("\n", 0, len(text) - 1) + 1]  # the stub's `pass` line goes
    return layout.text[:offsets[first - 1]] + text + layout.text[offsets[last]:]


def _splice(module: cst.Module, m: Match, parens: bool) -> Changed:
    """The new module, the statements to re-parse, and those they replace."""
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
    old = body[m.start:m.start + m.count]
    body[m.start:m.start + m.count] = stmts
    new_parent = parent.with_changes(body=body)
    if parent is module:
        return new_parent, stmts, old
    new_module, _, _ = _replace(module, parent, new_parent)
    return new_module, stmts, old


def _replace(module: cst.Module, old: cst.CSTNode, new: cst.CSTNode) -> Changed:
    """Rebuild only the path from `old` up to the module (deep_replace visits the whole tree);
    also return the innermost rebuilt statement, the unit to re-parse, and the one it replaces."""
    parents = _parents(module)
    child_old, child_new = old, new
    stmt = [new] if isinstance(new, cst.BaseStatement) else []
    was = [old] if stmt else []
    node = parents.get(id(old))
    if node is None and old is not module:
        raise InstantiationError("node is not part of this module")
    while node is not None:
        node_new = node.with_changes(**_field_with(node, child_old, child_new))
        if not stmt and isinstance(node_new, cst.BaseStatement):
            stmt, was = [node_new], [node]
        child_old, child_new = node, node_new
        node = parents.get(id(node))
    if not isinstance(child_new, cst.Module):
        raise InstantiationError("replacement removed the module")
    return child_new, stmt or list(child_new.body), was if stmt else list(module.body)


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
