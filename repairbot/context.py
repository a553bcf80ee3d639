"""Context: the unchanged code around an edit that decides whether a pattern applies.

Mining records it and matching checks it with the same two functions, so a pattern's
context means exactly the same thing on both sides.
"""

from __future__ import annotations

import libcst as cst

from repairbot.tree import BLOCK, BODY_FIELDS, Tree, slot

ANCHOR_TYPES = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.ExceptHandler)


def expr_context(x: Tree, ancestors: list[tuple[Tree, int]]) -> Tree | None:
    """The nearest anchor ancestor (expression, small statement, compound header) with x as a slot."""
    path: list[tuple[Tree, int]] = []
    for anc, idx in reversed(ancestors):
        path.append((anc, idx))
        node = anc.node
        if isinstance(node, ANCHOR_TYPES):
            rebuilt: Tree = slot()
            for a, i in path:
                kids = list(a.children)
                kids[i] = rebuilt
                rebuilt = a.with_children(tuple(kids))
            return strip_bodies(rebuilt)
        if isinstance(node, (cst.IndentedBlock, cst.Module)):
            return None
    return None


def strip_bodies(t: Tree) -> Tree:
    """Headers only: a context must not depend on the code inside the block."""
    keep = [(f, c) for f, c in zip(t.fields, t.children) if f not in BODY_FIELDS]
    return Tree(t.kind, t.value, tuple(f for f, _ in keep), tuple(_strip_node(c) for _, c in keep),
                expr=t.expr, stmt=t.stmt)


def _strip_node(t: Tree) -> Tree:
    """Contexts are stored as data, not printed from libcst, so drop node references."""
    return Tree(t.kind, t.value, t.fields, tuple(_strip_node(c) for c in t.children),
                expr=t.expr, stmt=t.stmt)


def block_owner(parent: Tree, ancestors: list[tuple[Tree, int]]) -> Tree | None:
    """The compound statement (def, if, for...) whose body holds a statement-level edit."""
    if isinstance(parent.node, cst.Module) or parent.kind == BLOCK:
        return None
    for anc, _ in reversed(ancestors):
        if isinstance(anc.node, (cst.BaseCompoundStatement, cst.ExceptHandler)):
            return anc
    return None




_OPAQUE_OWNERS = ("FunctionDef", "ClassDef")


def block_context(owner: Tree) -> Tree:
    """Context of a statement-level edit: the owner's header. A def or class says only "inside a
    function/class": its name, parameters and annotations do not decide whether a fix applies."""
    if owner.kind in _OPAQUE_OWNERS:
        return Tree(owner.kind, None, (), (), stmt=True)
    return strip_bodies(owner)
