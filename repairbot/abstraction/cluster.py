"""Getafix's hierarchical clustering: repeatedly merge the two closest patterns.

Every edit starts as a concrete pattern. The pair whose joint anti-unifier loses the
fewest concrete nodes is merged; the merged pattern replaces both and the loop goes on
until nothing more can be merged. Every intermediate pattern is kept, so the result is a
hierarchy from concrete leaves to general roots, and prediction can pick any level.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from repairbot.abstraction.antiunify import AntiUnifyError, HoleMap, antiunify, rename_holes
from repairbot.tree import BLOCK, HOLE, Tree, render, to_sexpr
from repairbot.types import Edit, EditKind, Example, Pattern, Scores

MAX_GROUP = 300  # clustering is quadratic per group; larger groups are split in stable order


@dataclass
class Node:
    kind: EditKind
    before: Tree
    after: Tree
    context: Tree | None
    at_end: bool
    edits: list[Edit]
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    @property
    def concrete(self) -> int:
        return self.before.concrete + self.after.concrete + (self.context.concrete if self.context else 0) // 2


def leaf(e: Edit) -> Node:
    return Node(e.kind, e.before, e.after, e.context, e.at_block_end, [e])


def merge(x: Node, y: Node) -> Node | None:
    """The joint anti-unifier of two patterns, or None if it would not be a usable pattern."""
    holes = HoleMap("h")
    try:
        before = antiunify(x.before, y.before, holes)
        after = antiunify(x.after, y.after, holes)
    except AntiUnifyError:
        return None
    if before.kind == HOLE or (before.kind == BLOCK and any(c.kind == HOLE for c in before.children)):
        return None  # matches anything: too general to predict a fix
    if not set(after.holes()) <= set(before.holes()):
        return None  # the after side would need code the before side never bound
    context = merge_context(x.context, y.context)
    before, after = rename_holes([before, after])  # type: ignore[assignment]
    return Node(x.kind, before, after, context, x.at_end and y.at_end, x.edits + y.edits, [x, y])


def merge_context(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None or a.shape() != b.shape():
        return None
    try:
        c = antiunify(a, b, HoleMap("c"), anywhere=True)
    except AntiUnifyError:
        return None
    return None if c.kind == HOLE else rename_holes([c], "c")[0]


def cost(x: Node, y: Node, m: Node) -> int:
    """Concrete nodes lost by generalising x and y to m (0 for identical edits)."""
    return x.concrete + y.concrete - 2 * m.concrete


def group_key(e: Edit) -> tuple:
    def kinds(t: Tree) -> tuple:
        return tuple(c.kind for c in t.children) if t.kind == BLOCK else (t.kind,)
    return (e.kind.value, kinds(e.before))


def cluster(edits: Sequence[Edit]) -> list[Node]:
    """Cluster all edits; returns the roots of the hierarchies (leaves reachable via children)."""
    groups: dict[tuple, list[Edit]] = {}
    for e in edits:
        groups.setdefault(group_key(e), []).append(e)
    roots: list[Node] = []
    for key in sorted(groups, key=repr):
        members = groups[key]
        if len(members) > MAX_GROUP:
            # Split a large group (many projects' edits) so that similar edits share a chunk: in
            # input order the chunks would be one project's history each, and cross-project
            # patterns could never form. Ties keep the input order (a stable sort).
            members = sorted(members, key=_similarity_key)
        for i in range(0, len(members), MAX_GROUP):
            roots.extend(_agglomerate([leaf(e) for e in members[i:i + MAX_GROUP]]))
    return roots


def _similarity_key(e: Edit) -> tuple[str, str, str, str]:
    def shape2(t: Tree) -> str:
        return repr((t.kind, tuple((c.kind, tuple(g.kind for g in c.children)) for c in t.children)))
    return (shape2(e.after), shape2(e.before), repr(e.before.key), repr(e.after.key))


def _agglomerate(nodes: list[Node]) -> list[Node]:
    active: dict[int, Node] = dict(enumerate(nodes))
    counter = itertools.count(len(nodes))
    heap: list[tuple[int, int, int, int]] = []
    merged_cache: dict[tuple[int, int], Node] = {}

    def push(i: int, j: int) -> None:
        m = merge(active[i], active[j])
        if m is not None:
            merged_cache[(i, j)] = m
            heapq.heappush(heap, (cost(active[i], active[j], m), i, j, 0))

    ids = list(active)
    for a, b in itertools.combinations(ids, 2):
        push(a, b)
    while heap:
        _, i, j, _ = heapq.heappop(heap)
        if i not in active or j not in active:
            continue
        m = merged_cache.pop((i, j))
        x, y = active.pop(i), active.pop(j)
        x.parent = y.parent = m
        k = next(counter)
        active[k] = m
        for other in list(active):
            if other != k:
                push(other, k)
    return list(active.values())


def walk_nodes(roots: Sequence[Node]) -> list[Node]:
    out, stack = [], list(roots)
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out


# ------------------------------------------------------------------ nodes -> patterns


def pattern_id(kind: EditKind, before: str, after: str, context: str | None, at_end: bool) -> str:
    text = "\x00".join([kind.value, before, after, context or "", str(at_end)])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def to_pattern(n: Node, level: int, parent_id: str | None) -> Pattern:
    before, after = render(n.before), render(n.after)
    context = to_sexpr(n.context) if n.context is not None else None
    provenance = tuple(dict.fromkeys((e.repo, e.commit) for e in n.edits))
    commits = tuple(c for _, c in provenance)
    commit_repos = tuple(r for r, _ in provenance) if any(r for r, _ in provenance) else ()
    files = tuple(dict.fromkeys(e.file for e in n.edits))
    scores = Scores(
        support=len(n.edits),
        commits=len(commits),
        files=len({(e.repo, e.file) for e in n.edits}),
        specificity=round(n.before.concrete / max(1, n.before.size), 4),
    )
    examples = tuple(Example(e.example_before, e.example_after, e.commit, e.file, e.line, e.repo)
                     for e in _two_examples(n))
    return Pattern(
        id=pattern_id(n.kind, before, after, context, n.at_end),
        kind=n.kind,
        before=before,
        after=after,
        holes=tuple(n.before.holes()),
        context=context,
        at_block_end=n.at_end,
        scores=scores,
        examples=examples,
        commits=commits,
        files=files,
        parent=parent_id,
        level=level,
        commit_repos=commit_repos,
    )


def _two_examples(n: Node) -> list[Edit]:
    """Two examples, differing in text where the cluster has such (else in provenance); from two
    repositories where the cluster spans several."""
    out: list[Edit] = []
    first_repo = n.edits[0].repo
    other = next((e for e in n.edits if e.repo != first_repo), None)
    if other is not None:
        return [n.edits[0], other]
    for e in n.edits:
        if all(e.example_before != o.example_before for o in out):
            out.append(e)
        if len(out) == 2:
            return out
    out += [e for e in n.edits if e not in out][: 2 - len(out)]
    return out


def _level(n: Node) -> int:
    return 0 if not n.children else 1 + max(_level(c) for c in n.children)


def hierarchy_patterns(roots: Sequence[Node], min_support: int = 2) -> list[Pattern]:
    """Every node with enough support, each pointing at its parent; duplicates keep the larger."""
    by_id: dict[str, Pattern] = {}

    def visit(n: Node, parent_id: str | None) -> None:
        pid = parent_id
        if len(n.edits) >= min_support:
            p = to_pattern(n, _level(n), parent_id)
            if p.id not in by_id or by_id[p.id].scores.support < p.scores.support:
                by_id[p.id] = p
            pid = p.id if p.id != parent_id else parent_id
        for c in n.children:
            visit(c, pid)

    for r in roots:
        visit(r, None)
    # A child identical to its parent (same id) must not point at itself.
    return [p if p.parent != p.id else _replace_parent(p, None) for p in by_id.values()]


def _replace_parent(p: Pattern, parent: str | None) -> Pattern:
    from dataclasses import replace
    return replace(p, parent=parent)
