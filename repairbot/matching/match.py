"""Matching a pattern's before side (and its context) against parsed code, binding holes.

A `Target` is one parsed file: its libcst module, its `Tree`, and each node's first line.
`find_matches` walks it once per call and yields every place where a compiled pattern's
before template matches with consistent hole bindings, its context matches the enclosing
header, and (for patterns learned at the end of a block) the place ends its block.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from repairbot.context import block_context, block_owner, expr_context
from repairbot.matching.region import FileIndex, Region, find_region, scan
from repairbot.tree import BLOCK, HOLE, PARSE_ERRORS, SLOT, Tree, from_cst, from_sexpr, parse_template
from repairbot.types import EditKind, Pattern


@dataclass(frozen=True)
class Compiled:
    """A pattern with its templates parsed once (matching is the hot path)."""

    pattern: Pattern
    before: Tree
    after: Tree
    context: Tree | None

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """The identifiers every match spells (the before side's names): a target whose text
        lacks one cannot match, so `find_matches` does not try."""
        return frozenset(n.value for n in self.before.walk() if n.kind == "Name" and n.value)

    @property
    def root_kinds(self) -> tuple[str, ...]:
        if self.before.kind == BLOCK:
            return tuple(c.kind for c in self.before.children)
        return (self.before.kind,)


def compile_pattern(p: Pattern) -> Compiled:
    if p.guard:  # a procedural operator: its templates are documentation only
        placeholder = parse_template("{h0}", "expr")
        return Compiled(p, placeholder, placeholder, None)
    kind = "expr" if p.kind == EditKind.EXPR else "stmts"
    ctx = from_sexpr(p.context) if p.context else None
    return Compiled(p, parse_template(p.before, kind), parse_template(p.after, kind), ctx)


_WORDS = re.compile(r"\w+")


class UnreadableFile(Exception):
    """A file that cannot be matched against: unreadable, not UTF-8, or not valid Python."""


@dataclass(frozen=True)
class Layout:
    """The module's text and where its statements sit in it (1-based lines, (0, 0) if unknown):
    with it a rewrite prints only the statements it changed, not the whole module again."""

    text: str
    span: Callable[[cst.CSTNode], tuple[int, int]]

    @functools.cached_property
    def lone_cr(self) -> bool:
        """A \r not before \n ends a line for libcst but not for `offsets`."""
        return "\r" in self.text and "\r" in self.text.replace("\r\n", "")

    @functools.cached_property
    def offsets(self) -> list[int]:
        return line_offsets(self.text)


def line_offsets(text: str) -> list[int]:
    """Character offset of each line's start (lines end at \n only, as libcst counts them)."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


@dataclass
class Target:
    """One parsed source file, ready for matching: the whole file, or a region of it.

    `source` is always the whole file; with a region, `module`/`tree` cover only the region,
    `span` reports file lines, and `whole` turns a rewritten region back into the whole file.
    """

    source: str
    module: cst.Module
    tree: Tree
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(node) -> (first, last) line
    region: Region | None = None
    names: frozenset[str] | None = None  # the whole file's names, when only a region is parsed
    _ast: ast.Module | None = field(default=None, repr=False, compare=False)  # the whole file, if parsed

    def words(self) -> frozenset[str]:
        """The identifiers (and other word tokens) of the parsed text, once."""
        got = self.__dict__.get("_words")
        if got is None:
            text = self.region.text if self.region is not None else self.source
            got = self.__dict__["_words"] = frozenset(_WORDS.findall(text))
        return got

    def attributes(self) -> dict[str, frozenset[str]]:
        """The whole file's attribute names by receiver (`region.scan`)."""
        return self.index().attributes

    def calls(self) -> list[tuple[str, ast.Call]]:
        """The whole file's calls by the callee's last word."""
        return self.index().calls

    def index(self) -> FileIndex:
        """The whole file's `region.scan`, once (a region target has it from `read_around`)."""
        got = self.__dict__.get("_index")
        if got is None:
            got = self.__dict__["_index"] = scan(self.file_ast())
        return got

    def file_ast(self) -> ast.Module:
        """The whole file's `ast`, parsed at most once (`read_around` has already parsed it)."""
        if self._ast is None:
            self._ast = ast.parse(self.source)
        return self._ast

    @classmethod
    def parse(cls, source: str, positions: bool = True) -> Target:
        module = cst.parse_module(source)
        return cls(source, module, from_cst(module), _positions(module) if positions else {})

    @classmethod
    def read(cls, path: Path) -> Target:
        try:
            return cls.parse(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, *PARSE_ERRORS) as e:
            raise UnreadableFile(type(e).__name__) from None

    @classmethod
    def read_around(cls, path: Path, lines: Iterable[int]) -> Target:
        """Parse only the statements around `lines` (see matching.region); the whole file when
        no smaller region holds them. Raises UnreadableFile like `read`."""
        try:
            source = path.read_bytes().decode("utf-8")
            tree = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as e:
            raise UnreadableFile(type(e).__name__) from None
        region = find_region(source, lines, tree)
        try:
            if region is None:
                whole = cls.parse(source)
                whole._ast = tree
                return whole
            module = cst.parse_module(region.text)
        except PARSE_ERRORS as e:
            raise UnreadableFile(type(e).__name__) from None
        shift = region.offset
        lines_ = {k: (a + shift, b + shift) for k, (a, b) in _positions(module).items()}
        index = scan(tree)
        got = cls(source, module, from_cst(module), lines_, region, index.names, tree)
        got.__dict__["_index"] = index
        return got

    def whole(self, new_module_code: str) -> str | None:
        """The whole file for a rewritten module (None if the rewrite left the region)."""
        r = self.region
        if r is None:
            return new_module_code
        if r.depth:
            head = "".join(r.text.split("\n", r.depth)[:r.depth]) + "\n"
            parts = new_module_code.split("\n", r.depth)
            if "".join(parts[:r.depth]) + "\n" != head or len(parts) <= r.depth:
                return None  # the rewrite touched the stand-in headers
            new_module_code = parts[r.depth]
        return r.prefix + new_module_code + r.suffix

    def layout(self) -> Layout:
        """The parsed module's text and statement lines, for printing only what a rewrite changed."""
        got = self.__dict__.get("_layout")
        if got is None:
            shift = self.region.offset if self.region is not None else 0
            text = self.region.text if self.region is not None else self.source
            lines = self.lines

            def span(node: cst.CSTNode) -> tuple[int, int]:
                a, b = lines.get(id(node), (0, 0))
                return (a - shift, b - shift) if a else (0, 0)

            got = self.__dict__["_layout"] = Layout(text, span)
        return got

    def span(self, t: Tree) -> tuple[int, int]:
        return self.lines.get(id(t.node), (0, 0))

    def ends_block(self, parent: Tree) -> bool:
        """Does the last statement of `parent`'s body end that block in the file? Only a region's
        top level can differ: more statements may follow in the text that was not parsed."""
        r = self.region
        if r is None:
            return True
        top: cst.CSTNode = self.module
        for _ in range(r.depth):  # into each stand-in class's body
            top = top.body[0].body  # type: ignore[attr-defined]
        return parent.node is not top or r.at_end


def _positions(module: cst.Module) -> dict[int, tuple[int, int]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return {id(node): (rng.start.line, rng.end.line) for node, rng in wrapper.resolve(PositionProvider).items()}


@dataclass(frozen=True)
class Match:
    compiled: Compiled
    bindings: dict[str, Tree]
    node: Tree  # the matched expression, or the parent block for statement patterns
    start: int = 0  # statement patterns: index of the first matched statement in node.children
    count: int = 1
    line: int = 0
    end_line: int = 0


def match_tree(p: Tree, t: Tree, bindings: dict[str, Tree], anywhere: bool = False) -> bool:
    """Structural match; a hole binds an expression (any subtree when `anywhere`), consistently."""
    if p.kind == HOLE:
        name = p.value or ""
        bound = bindings.get(name)
        if bound is not None:
            return bound.key == t.key
        if not (anywhere or t.expr):
            return False
        bindings[name] = t
        return True
    if p.kind == SLOT:
        return t.kind == SLOT
    if p.shape() != t.shape():
        return False
    return all(match_tree(a, b, bindings, anywhere) for a, b in zip(p.children, t.children))


def _walk(t: Tree, ancestors: list[tuple[Tree, int]]) -> Iterator[tuple[Tree, list[tuple[Tree, int]]]]:
    yield t, ancestors
    for i, c in enumerate(t.children):
        yield from _walk(c, ancestors + [(t, i)])


def find_matches(target: Target, patterns: Sequence[Compiled],
                 lines: Iterable[int] | None = None) -> list[Match]:
    """All matches; with `lines`, only those whose span covers one of them."""
    wanted = set(lines) if lines is not None else None
    by_kind: dict[str, list[Compiled]] = {}
    words = target.words()
    for c in patterns:
        if not c.words <= words:
            continue
        by_kind.setdefault(c.root_kinds[0] if c.root_kinds else "", []).append(c)
    out: list[Match] = []
    anywhere = by_kind.get(HOLE, [])  # before side is one hole: any expression
    for node, ancestors in _walk(target.tree, []):
        for cp in (*by_kind.get(node.kind, ()), *(anywhere if node.expr else ())):
            if cp.before.kind != BLOCK:
                m = _match_expr(target, cp, node, ancestors)
                if m is not None and _wanted(m, wanted):
                    out.append(m)
        if node.kind in ("IndentedBlock", "Module"):
            stmts = node.children
            for i, s in enumerate(stmts):
                for cp in by_kind.get(s.kind, ()):
                    if cp.before.kind == BLOCK:
                        m = _match_block(target, cp, node, i, ancestors)
                        if m is not None and _wanted(m, wanted):
                            out.append(m)
    return out


def _wanted(m: Match, wanted: set[int] | None) -> bool:
    return wanted is None or any(m.line <= ln <= m.end_line for ln in wanted)


def _match_expr(target: Target, cp: Compiled, node: Tree, ancestors: list[tuple[Tree, int]]) -> Match | None:
    bindings: dict[str, Tree] = {}
    if not match_tree(cp.before, node, bindings):
        return None
    if cp.context is not None:
        ctx = expr_context(node, ancestors)
        if ctx is None or not match_tree(cp.context, ctx, {}, anywhere=True):
            return None
    first, last = target.span(node)
    return Match(cp, bindings, node, line=first, end_line=last)


def _match_block(target: Target, cp: Compiled, parent: Tree, i: int,
                 ancestors: list[tuple[Tree, int]]) -> Match | None:
    pats = cp.before.children
    stmts = parent.children
    if i + len(pats) > len(stmts):
        return None
    if cp.pattern.at_block_end and (i + len(pats) != len(stmts) or not target.ends_block(parent)):
        return None
    bindings: dict[str, Tree] = {}
    if not all(match_tree(p, s, bindings) for p, s in zip(pats, stmts[i:i + len(pats)])):
        return None
    if cp.context is not None:
        owner = block_owner(parent, ancestors)
        if owner is None or not match_tree(cp.context, block_context(owner), {}, anywhere=True):
            return None
    first = target.span(stmts[i])[0]
    last = target.span(stmts[i + len(pats) - 1])[1]
    return Match(cp, bindings, parent, start=i, count=len(pats), line=first, end_line=last)
