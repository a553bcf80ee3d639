"""Edit extraction: align a before and an after tree and keep the smallest changed subtrees.

Statement lists are aligned as sequences (difflib over structural keys), so an inserted
guard or a missing `return` becomes a statement-level edit anchored on its neighbour; a
statement whose shape is unchanged is descended into until the change is confined to one
expression. Each edit carries its context: the enclosing expression or statement header
with the edit replaced by a slot, and whether it sits at the end of its block.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from repairbot.context import block_context, block_owner, expr_context
from repairbot.tree import BLOCK, BODY_FIELDS, Tree, block, from_cst
from repairbot.types import Edit, EditKind

MAX_EDIT_NODES = 120  # larger changes are refactorings, not fix patterns
MAX_BLOCK_STMTS = 3
_NOT_FIX_INSERTS = ("FunctionDef", "ClassDef", "Import", "ImportFrom")


@dataclass(frozen=True)
class Where:
    commit: str
    file: str
    line_offset: int = 0  # region start - 1, when only a region of the file was parsed


class _Bail(Exception):
    """The change here cannot be an edit root; the parent must take it."""


class RegionTooSmall(Exception):
    """A function region changed as a whole: its neighbours and owner are outside the region,
    so the caller must mine the whole file to get the same edit as whole-file parsing."""


def extract_edits(before: cst.Module, after: cst.Module, where: Where,
                  positions: Mapping[int, int] | None = None, function_region: bool = False) -> list[Edit]:
    """Edits between two parsed modules (whole files or aligned regions).

    With `function_region`, a change to the region's top statement itself raises RegionTooSmall.
    """
    b, a = from_cst(before), from_cst(after)
    out: list[Edit] = []
    top = None
    if function_region:
        first = before.body[0] if before.body else None
        top = first.body if isinstance(first, cst.If) and not isinstance(first.body, cst.SimpleStatementSuite) \
            and _is_wrapper(first) else before
    try:
        _Differ(where, positions if positions is not None else {}, out, top).diff(b, a, [])
    except _Bail:
        return []  # the change cannot be confined to an expression or a statement run
    return out


def _is_wrapper(node: cst.If) -> bool:
    return isinstance(node.test, cst.Integer) and node.test.value == "1" and node.orelse is None


class _Differ:
    def __init__(self, where: Where, positions: Mapping[int, int], out: list[Edit], top: object = None) -> None:
        self.where = where
        self.positions = positions
        self.out = out
        self.top = top  # the region's top block, for function regions

    def _guard(self, parent: Tree) -> None:
        if self.top is not None and parent.node is self.top:
            raise RegionTooSmall

    # ancestors: list of (tree, child index) from the root down to the parent of x
    def diff(self, x: Tree, y: Tree, ancestors: list[tuple[Tree, int]]) -> None:
        """Emit the edits that turn x into y, or raise _Bail (emitting nothing) if x must be the root."""
        if x.key == y.key:
            return
        mark = len(self.out)
        try:
            self._diff(x, y, ancestors)
        except _Bail:
            del self.out[mark:]
            raise

    def _diff(self, x: Tree, y: Tree, ancestors: list[tuple[Tree, int]]) -> None:
        if x.shape() != y.shape() and not _same_but_body(x, y):
            raise _Bail
        groups_x, groups_y = _groups(x), _groups(y)
        if list(groups_x) != list(groups_y):
            raise _Bail
        pending: list[tuple[Tree, Tree, int]] = []
        for name in groups_x:
            xs, ys = groups_x[name], groups_y[name]
            if _is_stmt_seq(x, name, xs, ys):
                self.align(x, name, xs, ys, ancestors)
            elif len(xs) != len(ys):
                raise _Bail
            else:
                for (i, cx), (_, cy) in zip(xs, ys):
                    if cx.key != cy.key:
                        pending.append((cx, cy, i))
        if not pending:
            return
        if len(pending) > 1 and not x.stmt:
            raise _Bail  # several changes inside one expression: x itself is the edit
        for cx, cy, i in pending:
            try:
                self.diff(cx, cy, ancestors + [(x, i)])
            except _Bail:
                self.emit_at(cx, cy, ancestors + [(x, i)])

    def emit_at(self, x: Tree, y: Tree, ancestors: list[tuple[Tree, int]]) -> None:
        """x/y changed as a whole: make them an edit if they are expressions or statements."""
        if x.expr and y.expr:
            self.emit_expr(x, y, ancestors)
        elif x.stmt and y.stmt and _is_line_level(ancestors):
            parent, idx = ancestors[-1]
            self.emit_stmts((x,), (y,), ancestors[:-1], parent, idx == len(parent.children) - 1)
        else:
            raise _Bail

    def align(self, parent: Tree, name: str, xs: list[tuple[int, Tree]], ys: list[tuple[int, Tree]],
              ancestors: list[tuple[Tree, int]]) -> None:
        kx, ky = [t.key for _, t in xs], [t.key for _, t in ys]
        sm = difflib.SequenceMatcher(a=kx, b=ky, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                continue
            bx, by = [t for _, t in xs[i1:i2]], [t for _, t in ys[j1:j2]]
            if op == "replace" and len(bx) == len(by):
                for k, (sx, sy) in enumerate(zip(bx, by)):
                    path = ancestors + [(parent, xs[i1 + k][0])]
                    try:
                        self.diff(sx, sy, path)
                    except _Bail:
                        self.emit_stmts((sx,), (sy,), ancestors, parent, i1 + k == len(xs) - 1)
                continue
            if any(k in _NOT_FIX_INSERTS for t in bx + by for k in _stmt_kinds(t)):
                continue  # new or removed definitions and imports are features, not fixes
            if op != "replace":
                # pure insertion/deletion: anchor on the following statement, else the preceding one
                if i2 < len(xs) and j2 < len(ys):
                    bx, by = bx + [xs[i2][1]], by + [ys[j2][1]]
                    at_end = False
                elif i1 > 0 and j1 > 0:
                    bx, by = [xs[i1 - 1][1]] + bx, [ys[j1 - 1][1]] + by
                    at_end = True
                else:
                    continue
            else:
                at_end = i2 == len(xs)
            if not bx or not by:
                continue
            self.emit_stmts(tuple(bx), tuple(by), ancestors, parent, at_end)

    # -------------------------------------------------------------- emitting

    def emit_expr(self, x: Tree, y: Tree, ancestors: list[tuple[Tree, int]]) -> None:
        if x.size + y.size > MAX_EDIT_NODES:
            return
        context = expr_context(x, ancestors)
        stmt = _enclosing_stmt(x, ancestors)
        ex_before = _example(stmt, x, x)
        ex_after = _example(stmt, x, y)
        self._add(EditKind.EXPR, x, y, context, False, _line_anchor(stmt, ancestors), ex_before, ex_after)

    def emit_stmts(self, xs: tuple[Tree, ...], ys: tuple[Tree, ...], ancestors: list[tuple[Tree, int]],
                   parent: Tree, at_end: bool) -> None:
        self._guard(parent)
        if len(xs) > MAX_BLOCK_STMTS or len(ys) > MAX_BLOCK_STMTS:
            return
        bx, by = block(xs), block(ys)
        if bx.size + by.size > MAX_EDIT_NODES:
            return
        owner = block_owner(parent, ancestors)
        context = block_context(owner) if owner is not None else None
        ex_before, ex_after = _block_example(owner, bx), _block_example(owner, by)
        self._add(EditKind.STMTS, bx, by, context, at_end, xs[0], ex_before, ex_after)

    def _add(self, kind: EditKind, x: Tree, y: Tree, context: Tree | None, at_end: bool,
             anchor: Tree, ex_before: str, ex_after: str) -> None:
        line = self.positions.get(id(anchor.node), 0) + self.where.line_offset
        self.out.append(Edit(kind, x, y, context, at_end, self.where.commit, self.where.file, line,
                             ex_before, ex_after))


def _stmt_kinds(t: Tree) -> tuple[str, ...]:
    """A simple statement line stands for the small statements it holds."""
    return tuple(c.kind for c in t.children) if t.kind == "SimpleStatementLine" else (t.kind,)


def _groups(t: Tree) -> dict[str, list[tuple[int, Tree]]]:
    out: dict[str, list[tuple[int, Tree]]] = {}
    for i, (f, c) in enumerate(zip(t.fields, t.children)):
        out.setdefault(f, []).append((i, c))
    return out


def _same_but_body(x: Tree, y: Tree) -> bool:
    """Same node apart from the lengths of its statement lists (which alignment handles)."""
    if x.kind != y.kind or x.value != y.value:
        return False
    fx = [f for f in x.fields if f not in BODY_FIELDS]
    fy = [f for f in y.fields if f not in BODY_FIELDS]
    return fx == fy


def _is_stmt_seq(parent: Tree, name: str, xs: list[tuple[int, Tree]], ys: list[tuple[int, Tree]]) -> bool:
    """Statement lists are aligned; a line's own small statements are not (the line is the unit)."""
    if name != "body" or parent.kind in ("SimpleStatementLine", "SimpleStatementSuite"):
        return False
    return all(t.stmt for _, t in xs + ys) and bool(xs or ys)


def _is_line_level(ancestors: list[tuple[Tree, int]]) -> bool:
    return bool(ancestors) and ancestors[-1][0].kind in ("IndentedBlock", "Module", BLOCK)


def _enclosing_stmt(x: Tree, ancestors: list[tuple[Tree, int]]) -> Tree:
    for anc, _ in reversed(ancestors):
        if isinstance(anc.node, (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler)):
            return anc
    return x


def _line_anchor(stmt: Tree, ancestors: list[tuple[Tree, int]]) -> Tree:
    """The statement whose first line an expression edit reports (see mining.lines)."""
    if isinstance(stmt.node, cst.SimpleStatementLine) or not ancestors:
        return stmt
    # compound header: the statement itself, or the except clause / elif holding the expression
    for anc, _ in reversed(ancestors):
        if isinstance(anc.node, (cst.ExceptHandler, cst.BaseCompoundStatement)):
            return anc
    return stmt


# -------------------------------------------------------------- examples


class _Swap(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        self.old, self.new = old, new

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        return self.new if original is self.old else updated


def _ellipsis_suite() -> cst.SimpleStatementSuite:
    return cst.SimpleStatementSuite(body=[cst.Expr(cst.Ellipsis())])


def _header_only(node: cst.CSTNode) -> cst.CSTNode:
    changes: dict[str, object] = {}
    if isinstance(getattr(node, "body", None), cst.BaseSuite):
        changes["body"] = _ellipsis_suite()
    if getattr(node, "orelse", None) is not None and not isinstance(node, cst.Try):
        changes["orelse"] = None
    if getattr(node, "leading_lines", None):
        changes["leading_lines"] = ()
    return node.with_changes(**changes) if changes else node


def _example(stmt: Tree, old: Tree, new: Tree) -> str:
    """The enclosing statement (compound ones reduced to their header) with `new` in place of `old`."""
    node = stmt.node.visit(_Swap(old.node, new.node)) if old is not new else stmt.node
    if isinstance(node, (cst.BaseCompoundStatement, cst.ExceptHandler)):
        node = _header_only(node)
    if isinstance(node, cst.ExceptHandler):
        node = cst.Try(body=_ellipsis_suite(), handlers=[node])
    return cst.Module(body=[]).code_for_node(node).replace("\r\n", "\n")


def _block_example(owner: Tree | None, stmts: Tree) -> str:
    """The statements inside their owner's header, so the example carries the pattern's context."""
    nodes = [t.node for t in stmts.children]
    if owner is None:
        return cst.Module(body=nodes).code.replace("\r\n", "\n")
    node = _header_only(owner.node).with_changes(body=cst.IndentedBlock(body=nodes))
    if isinstance(node, cst.ExceptHandler):
        node = cst.Try(body=_ellipsis_suite(), handlers=[node])
    return cst.Module(body=[]).code_for_node(node).replace("\r\n", "\n")
