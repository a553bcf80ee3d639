"""The generic tree every algorithm works on: libcst nodes minus formatting.

Anti-unification, matching and clustering compare code structurally, so whitespace,
commas, parentheses and comments must not count. `Tree` keeps only what changes meaning:
the node kind, its scalar payload (identifier, literal, operator) and its children tagged
by field name. Each `Tree` remembers the libcst node it came from, so a generalised tree
can be printed back as Python source with `{holes}` (its representative's formatting).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import libcst as cst

# What parsing untrusted code can raise: libcst's tokenizer accepts a few characters that are not
# identifiers and then fails building the Name node (CSTValidationError, a SyntaxError).
PARSE_ERRORS: tuple[type[Exception], ...] = (cst.ParserSyntaxError, cst.CSTValidationError)

HOLE = "Hole"
SLOT = "Slot"  # marks where an edit sits inside its context
BLOCK = "Block"  # a run of statements: the root of a statement-level edit

_FORMAT_TYPES: tuple[type, ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Semicolon,
    cst.Colon,
    cst.AssignEqual,
    cst.Dot,
)
_SKIP_SCALARS = {"indent", "default_indent", "default_newline", "encoding", "has_trailing_newline"}
# Fields holding statements: aligned as sequences when diffing, stripped from contexts.
BODY_FIELDS = {"body", "orelse", "handlers", "finalbody"}

_PLACEHOLDER = "__rb_{}__"
_PLACEHOLDER_RE = re.compile(r"__rb_(h\d+|c\d+|__edit__)__")
_TEMPLATE_HOLE_RE = re.compile(r"\{(h\d+|__edit__)\}")


@dataclasses.dataclass(frozen=True, eq=False)
class Tree:
    """A formatting-free node. Equality and hashing use `key` (structure only)."""

    kind: str
    value: str | None
    fields: tuple[str, ...]
    children: tuple[Tree, ...]
    expr: bool = False  # may become a hole (an expression or identifier position)
    stmt: bool = False
    node: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple:
        k = self.__dict__.get("_key")
        if k is None:
            k = (self.kind, self.value, self.fields, tuple(c.key for c in self.children))
            object.__setattr__(self, "_key", k)
        return k

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(self.key)
            object.__setattr__(self, "_hash", h)
        return h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tree) and (self is other or self.key == other.key)

    @property
    def is_hole(self) -> bool:
        return self.kind == HOLE

    def shape(self) -> tuple:
        return (self.kind, self.value, self.fields)

    def walk(self) -> Iterator[Tree]:
        stack = [self]
        while stack:
            t = stack.pop()
            yield t
            stack.extend(reversed(t.children))

    @property
    def size(self) -> int:
        s = self.__dict__.get("_size")
        if s is None:
            s = 1 + sum(c.size for c in self.children)
            object.__setattr__(self, "_size", s)
        return s

    @property
    def concrete(self) -> int:
        """Nodes that are not holes: the numerator of specificity."""
        c = self.__dict__.get("_concrete")
        if c is None:
            c = 0 if self.kind in (HOLE, SLOT) else 1 + sum(ch.concrete for ch in self.children)
            object.__setattr__(self, "_concrete", c)
        return c

    @property
    def has_holes(self) -> bool:
        return self.concrete != self.size

    def holes(self) -> list[str]:
        """Hole names in pre-order, first occurrence only."""
        seen: dict[str, None] = {}
        for t in self.walk():
            if t.kind == HOLE:
                seen.setdefault(t.value or "", None)
        return list(seen)

    def with_children(self, children: tuple[Tree, ...]) -> Tree:
        return dataclasses.replace(self, children=children)


def hole(name: str, node: Any = None) -> Tree:
    return Tree(HOLE, name, (), (), expr=True, node=node)


def slot() -> Tree:
    return Tree(SLOT, None, (), (), expr=True)


def block(stmts: tuple[Tree, ...]) -> Tree:
    return Tree(BLOCK, None, ("body",) * len(stmts), stmts)


# ------------------------------------------------------------------ libcst -> Tree


_FORMAT_FIELDS = {"lpar", "rpar", "comma", "leading_lines", "lines_after_decorators", "header", "footer",
                  "semicolon", "colon", "equal", "lbracket", "rbracket", "lbrace", "rbrace", "first_colon",
                  "second_colon", "dot", "trailing_whitespace", "newline", "whitespace"}


class _TypeInfo:
    """Per-class facts, computed once: libcst nodes are ABCs, and isinstance on ABCs is slow."""

    __slots__ = ("kind", "fields", "expr", "stmt", "keep")

    def __init__(self, cls: type) -> None:
        self.kind = cls.__name__
        self.fields = tuple(f.name for f in dataclasses.fields(cls)
                            if f.name not in _FORMAT_FIELDS and not f.name.startswith("whitespace"))
        self.expr = issubclass(cls, cst.BaseExpression)
        self.stmt = issubclass(cls, (cst.BaseStatement, cst.BaseSmallStatement))
        self.keep = not issubclass(cls, _FORMAT_TYPES)


_INFO: dict[type, _TypeInfo] = {}


def _info(cls: type) -> _TypeInfo:
    info = _INFO.get(cls)
    if info is None:
        info = _INFO[cls] = _TypeInfo(cls)
    return info


def from_cst(node: cst.CSTNode, holes: bool = False) -> Tree:
    """Convert a libcst node. With `holes`, placeholder names `__rb_x__` become holes/slots."""
    info = _info(type(node))
    if holes and info.kind == "Name":
        m = _PLACEHOLDER_RE.fullmatch(node.value)  # type: ignore[attr-defined]
        if m:
            name = m.group(1)
            return slot() if name == "__edit__" else hole(name, node)
    scalars: list[str] = []
    fields: list[str] = []
    children: list[Tree] = []
    for name in info.fields:
        v = getattr(node, name)
        if isinstance(v, cst.CSTNode):
            if _keep(v, name):
                fields.append(name)
                children.append(from_cst(v, holes))
        elif isinstance(v, (list, tuple)):
            for item in v:
                if isinstance(item, cst.CSTNode) and _keep(item, name):
                    fields.append(name)
                    children.append(from_cst(item, holes))
        elif isinstance(v, (str, int, bool)) and not isinstance(v, cst.MaybeSentinel):
            if name not in _SKIP_SCALARS and v != "":
                scalars.append(f"{name}={v}" if name != "value" else str(v))
    if info.kind == "ConcatenatedString":
        # libcst only accepts strings on either side: a hole (printed as a Name) there cannot be rendered
        children = [dataclasses.replace(c, expr=False) for c in children]
    return Tree(info.kind, "|".join(scalars) if scalars else None, tuple(fields), tuple(children),
                expr=info.expr, stmt=info.stmt, node=node)


def _keep(node: cst.CSTNode, field: str) -> bool:
    info = _info(type(node))
    if info.kind == "Dot":
        return field == "relative"
    return info.keep


# ------------------------------------------------------------------ templates


def to_placeholders(template: str) -> str:
    return _TEMPLATE_HOLE_RE.sub(lambda m: _PLACEHOLDER.format(m.group(1)), template)


def from_placeholders(code: str) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: "{" + m.group(1) + "}", code)


def parse_template(template: str, kind: str) -> Tree:
    """Parse a template with `{holes}`; `kind` is "expr" or "stmts". Raises one of PARSE_ERRORS."""
    code = to_placeholders(template)
    if kind == "expr":
        return from_cst(cst.parse_expression(code), holes=True)
    module = cst.parse_module(code)
    return block(tuple(from_cst(s, holes=True) for s in module.body))


class _Replace(cst.CSTTransformer):
    """Replace nodes by identity: how holes are written back into a representative node."""

    def __init__(self, mapping: dict[int, cst.CSTNode]) -> None:
        self.mapping = mapping

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        return self.mapping.get(id(original), updated)


def render(tree: Tree) -> str:
    """Print a (possibly generalised) tree as source, holes as `{name}`."""
    if tree.kind == BLOCK:
        return "".join(render_stmt(c) for c in tree.children)
    if tree.kind == HOLE:
        return "{" + (tree.value or "") + "}"
    return from_placeholders(_code(_substitute(tree)))


def render_stmt(tree: Tree) -> str:
    """A statement without the comments and blank lines above it (they never take part in matching)."""
    node = _substitute(tree)
    if getattr(node, "leading_lines", None):
        node = node.with_changes(leading_lines=())
    return from_placeholders(_code(node))


def _substitute(tree: Tree) -> cst.CSTNode:
    mapping: dict[int, cst.CSTNode] = {}
    for t in tree.walk():
        if t.kind == HOLE and t.node is not None:
            mapping[id(t.node)] = cst.Name(_PLACEHOLDER.format(t.value))
    if tree.node is None:
        raise ValueError(f"tree {tree.kind} has no representative node")
    return tree.node.visit(_Replace(mapping)) if mapping else tree.node


def _code(node: cst.CSTNode) -> str:
    """Templates are canonical text: one newline convention whatever the file used."""
    return cst.Module(body=[]).code_for_node(node).replace("\r\n", "\n")


# ------------------------------------------------------------------ s-expressions (contexts)


def to_sexpr(tree: Tree) -> str:
    """Compact, readable, parseable form for trees that need not be valid Python (contexts)."""
    if tree.kind == HOLE:
        return "?" + (tree.value or "")
    if tree.kind == SLOT:
        return "<edit>"
    head = tree.kind + (("=" + _quote(tree.value)) if tree.value is not None else "")
    if not tree.children:
        return head
    inner = " ".join(f"{f}:{to_sexpr(c)}" for f, c in zip(tree.fields, tree.children))
    return f"({head} {inner})"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|<edit>|\?\w+|[A-Za-z_][\w.]*:|[A-Za-z_]\w*=|[A-Za-z_]\w*)')


def from_sexpr(text: str) -> Tree:
    tokens = _tokenize(text)
    tree, pos = _parse_sexpr(tokens, 0)
    if pos != len(tokens):
        raise ValueError(f"trailing tokens in s-expression at {pos}")
    return tree


def _tokenize(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"bad s-expression near {text[pos:pos + 20]!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _unquote(tok: str) -> str:
    return re.sub(r"\\(.)", r"\1", tok[1:-1])


def _parse_sexpr(tokens: list[str], pos: int) -> tuple[Tree, int]:
    tok = tokens[pos]
    if tok == "<edit>":
        return slot(), pos + 1
    if tok.startswith("?"):
        return hole(tok[1:]), pos + 1
    if tok == "(":
        kind, value, pos = _parse_head(tokens, pos + 1)
        fields, children = [], []
        while tokens[pos] != ")":
            field = tokens[pos][:-1]
            child, pos = _parse_sexpr(tokens, pos + 1)
            fields.append(field)
            children.append(child)
        return _mk(kind, value, tuple(fields), tuple(children)), pos + 1
    kind, value, pos = _parse_head(tokens, pos)
    return _mk(kind, value, (), ()), pos


def _parse_head(tokens: list[str], pos: int) -> tuple[str, str | None, int]:
    tok = tokens[pos]
    if tok.endswith("="):
        return tok[:-1], _unquote(tokens[pos + 1]), pos + 2
    return tok, None, pos + 1


def _mk(kind: str, value: str | None, fields: tuple[str, ...], children: tuple[Tree, ...]) -> Tree:
    cls = getattr(cst, kind, None)
    expr = isinstance(cls, type) and issubclass(cls, cst.BaseExpression)
    stmt = isinstance(cls, type) and issubclass(cls, (cst.BaseStatement, cst.BaseSmallStatement))
    return Tree(kind, value, fields, children, expr=expr, stmt=stmt)
