"""Anti-unification: the most specific generalisation of two trees (Plotkin; Getafix §4).

Where the trees agree the result keeps the node; where they differ it puts a hole. Holes
are keyed by the *pair* of differing subtrees, so the same pair gets the same hole
everywhere, in the before and the after side alike: that is what lets `{h0}` in an after
template stand for the code `{h0}` matched in the before template.

Holes may only replace expressions or identifiers, the positions where a template can be
printed as Python and parsed back. Context trees are never instantiated, so there any
subtree may become a hole (`anywhere=True`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repairbot.tree import HOLE, SLOT, Tree, hole


class AntiUnifyError(Exception):
    """The trees differ at a position that cannot hold a hole."""


@dataclass
class HoleMap:
    """Pair-of-subtrees -> hole name; shared across the sides of one joint anti-unification."""

    prefix: str = "h"
    pairs: dict[tuple, str] = field(default_factory=dict)
    # name -> (left subtree, right subtree): how to instantiate the result back to each input
    bindings: dict[str, tuple[Tree, Tree]] = field(default_factory=dict)

    def rollback(self, mark: int) -> None:
        for k in list(self.pairs)[mark:]:
            self.bindings.pop(self.pairs.pop(k), None)

    def hole_for(self, x: Tree, y: Tree) -> Tree:
        k = (x.key, y.key)
        name = self.pairs.get(k)
        if name is None:
            name = f"{self.prefix}{len(self.pairs)}"
            self.pairs[k] = name
            self.bindings[name] = (x, y)
        # A fresh Tree each time: its node must be x's own, so the side being printed finds it.
        return hole(name, x.node)


def antiunify(x: Tree, y: Tree, holes: HoleMap, anywhere: bool = False) -> Tree:
    """Generalise x and y; raise AntiUnifyError if they differ where no hole may go."""
    if x is y or (not x.has_holes and not y.has_holes and x.key == y.key):
        return x
    if x.kind == SLOT and y.kind == SLOT:
        return x
    if x.kind != HOLE and y.kind != HOLE and x.shape() == y.shape():
        mark = len(holes.pairs)
        try:
            kids = tuple(antiunify(a, b, holes, anywhere) for a, b in zip(x.children, y.children))
        except AntiUnifyError:
            holes.rollback(mark)  # holes made for the failed children must not leak elsewhere
            if not _holeable(x, y, anywhere):
                raise
            return holes.hole_for(x, y)
        return x.with_children(kids)
    if not _holeable(x, y, anywhere):
        raise AntiUnifyError(f"{x.kind} vs {y.kind}")
    return holes.hole_for(x, y)


def _holeable(x: Tree, y: Tree, anywhere: bool) -> bool:
    if SLOT in (x.kind, y.kind) and not (x.kind == y.kind):
        return False  # the edit slot must stay where it is
    if anywhere:
        return not _contains_slot(x) and not _contains_slot(y)
    return x.expr and y.expr


def _contains_slot(t: Tree) -> bool:
    return any(n.kind == SLOT for n in t.walk())


def instantiate(t: Tree, binding: dict[str, Tree]) -> Tree:
    """Replace holes by bound subtrees (the inverse of generalisation)."""
    if t.kind == HOLE:
        return binding[t.value or ""]
    if not t.has_holes:
        return t
    return t.with_children(tuple(instantiate(c, binding) for c in t.children))


def rename_holes(trees: list[Tree | None], prefix: str = "h") -> list[Tree | None]:
    """Canonical hole names by first occurrence across `trees`, so equal patterns get equal ids."""
    names: dict[str, str] = {}
    for t in trees:
        if t is None:
            continue
        for n in t.walk():
            if n.kind == HOLE and n.value not in names:
                names[n.value or ""] = f"{prefix}{len(names)}"
    return [None if t is None else _rename(t, names) for t in trees]


def _rename(t: Tree, names: dict[str, str]) -> Tree:
    if t.kind == HOLE:
        return hole(names[t.value or ""], t.node)
    if not t.has_holes:
        return t
    return t.with_children(tuple(_rename(c, names) for c in t.children))
