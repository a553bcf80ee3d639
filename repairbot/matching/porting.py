"""Repair operators for the fixes a port between Python versions makes, and for a statement that
should be allowed to fail.

Python histories are full of the same port, one statement at a time, as 2to3 and `six` knew it:
a text literal that must be bytes (`'_'` -> `b'_'`) or the other way round, a dict view copied
before the loop changes the dict (`for k in d.keys():` -> `list(d.keys())`). And a statement
that meets a missing attribute or file is put under `try: ... except E: pass`, E being what the
statement can raise or what the file already catches. Each is a built-in pattern with its
example in `repairbot/pattern/builtin.py`. Weights only order an operator's own rewrites.
"""

from __future__ import annotations

import collections.abc
from collections import Counter
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.structural import Rewrite, nodes, on_lines, unparsed


def string_prefix(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A literal on the lines given the other type: text as bytes (`'\\r\\n'` -> `b'\\r\\n'`)
    where the file writes bytes literals, bytes as text anywhere, and text marked `u''` where the
    file marks its text so. The larger the share of the file's literals of the new type, the
    higher the rewrite ranks. Docstrings, f-strings and non-ASCII text (no bytes literal can hold
    it) are left alone."""
    counts: Counter[str] | None = None
    for t, parent, _ in nodes(target):
        if t.kind != "SimpleString" or not on_lines(target, t, lines):
            continue
        if parent is not None and parent.kind in ("Expr", "ConcatenatedString"):
            continue  # a docstring or a bare string statement; a part of `'a' 'b'` must match the rest
        if counts is None:
            counts = target.index().literals
        total = max(1, sum(counts.values()))
        value: str = t.node.value
        prefix = value[:len(t.node.prefix)]  # libcst reads the prefix (lower-cased); keep its case
        rest = value[len(prefix):]
        low = prefix.lower()
        if "f" in low:
            continue
        if "b" in low:
            yield t, t.node.with_changes(value=prefix.replace("b", "").replace("B", "") + rest), \
                0.5 + 0.5 * (total - counts["b"]) / total
            continue
        if "u" in low:
            continue
        if counts["b"] and rest.isascii():
            yield t, t.node.with_changes(value="b" + value), 0.5 + 0.5 * counts["b"] / total
        if counts["u"] and "r" not in low:
            yield t, t.node.with_changes(value="u" + value), 0.5 * counts["u"] / total


_VIEWS = frozenset({"items", "keys", "values"})


def _changes(body: cst.CSTNode, owner: str) -> bool:
    """Whether a loop body deletes from, assigns into or pops `owner` (the dict iterated)."""
    found = False

    def written(target: cst.BaseExpression) -> bool:
        return isinstance(target, cst.Subscript) and unparsed(target.value) == owner

    class Finder(cst.CSTVisitor):
        def visit_Del(self, node: cst.Del) -> None:
            nonlocal found
            found = found or written(node.target) or \
                (isinstance(node.target, cst.Tuple) and any(written(e.value) for e in node.target.elements))

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            nonlocal found
            found = found or written(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            nonlocal found
            found = found or written(node.target)

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            f = node.func
            if isinstance(f, cst.Attribute) and f.attr.value in ("pop", "popitem", "update", "setdefault",
                                                                   "clear", "__delitem__"):
                found = found or unparsed(f.value) == owner

    body.visit(Finder())
    return found


def list_of_view(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`for k, v in d.items():` -> `for k, v in list(d.items()):` (Python 3's views change with
    the dict, and a loop that changes it fails), in `for` loops on the lines; first where the
    body writes into, deletes from or pops the dict."""
    for t, parent, field in nodes(target):
        if field != "iter" or parent is None or parent.kind != "For" or not on_lines(target, t, lines):
            continue
        node = t.node
        if not (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in _VIEWS):
            continue
        owner = unparsed(node.func.value)
        weight = 1.0 if owner is not None and _changes(parent.node.body, owner) else 0.6
        inner = node.with_changes(lpar=[], rpar=[])
        yield t, cst.Call(cst.Name("list"), [cst.Arg(inner)], lpar=node.lpar, rpar=node.rpar), weight


# What a statement can raise, by the words it writes; the first that applies is offered first.
_RAISES = (("os.", "OSError"), ("open(", "OSError"), ("[", "KeyError"), ("int(", "ValueError"),
           ("float(", "ValueError"), (".", "AttributeError"))
_COMMON = ("AttributeError", "OSError", "TypeError", "KeyError", "ValueError", "ImportError")
MAX_EXCEPTIONS = 3


def _hints(small: cst.BaseSmallStatement) -> list[str]:
    """The exceptions a statement's own words suggest (`del x.a`: AttributeError)."""
    if isinstance(small, (cst.Import, cst.ImportFrom)):
        return ["ImportError"]
    if isinstance(small, cst.Del):
        return ["AttributeError" if isinstance(small.target, cst.Attribute) else "KeyError"]
    text = cst.Module([]).code_for_node(small)
    return list(dict.fromkeys(e for key, e in _RAISES if key in text))


def try_except_pass(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A statement on the lines put under `try: ... except E: pass` (`del cls.monitor` ->
    `except AttributeError`, `os.remove(path)` -> `except OSError`): the statement may fail and
    the code is right to go on. E is what the statement's own words suggest, then what the file
    catches most, then the commonest exceptions."""
    for t, parent, _ in nodes(target):
        if t.kind != "SimpleStatementLine" or parent is None or parent.kind not in ("IndentedBlock", "Module") or \
                len(t.node.body) != 1 or not on_lines(target, t, lines):
            continue
        small = t.node.body[0]
        if not isinstance(small, (cst.Assign, cst.AugAssign, cst.Del, cst.Import, cst.ImportFrom)) and \
                not (isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await))):
            continue
        offers: list[tuple[str, float]] = [(e, 1.0) for e in _hints(small)]
        offers += [(e, 0.7) for e, _ in target.index().caught.most_common()]
        offers += [(e, 0.4) for e in _COMMON]
        seen: set[str] = set()
        body = cst.IndentedBlock([t.node.with_changes(leading_lines=())])
        for e, weight in offers:
            if e in seen:
                continue
            seen.add(e)
            handler = cst.ExceptHandler(cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
                                        type=cst.parse_expression(e))
            yield t, cst.Try(body, handlers=[handler], leading_lines=t.node.leading_lines), weight
            if len(seen) == MAX_EXCEPTIONS:
                break


# what `from collections import X` found until Python 3.10 and now only collections.abc has
_ABCS = frozenset(collections.abc.__all__)


def abc_import(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`from collections import Mapping` -> `from collections.abc import Mapping` (pyupgrade's
    UP035; the import fails from 3.10 on). Only where every name imported is an ABC: a mixed
    import needs two statements, which is not this operator's one-statement fix."""
    for t, _, _ in nodes(target):
        if t.kind != "ImportFrom" or not on_lines(target, t, lines):
            continue
        node: cst.ImportFrom = t.node
        if node.relative or not isinstance(node.module, cst.Name) or node.module.value != "collections" or \
                isinstance(node.names, cst.ImportStar):
            continue
        if all(isinstance(a.name, cst.Name) and a.name.value in _ABCS for a in node.names):
            yield t, node.with_changes(module=cst.Attribute(cst.Name("collections"), cst.Name("abc"))), 1.0


PORTING = {"string_prefix": string_prefix, "list_of_view": list_of_view, "try_except_pass": try_except_pass,
           "abc_import": abc_import}
