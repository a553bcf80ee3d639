"""Repair operators for calls and imports: a parameter forwarded, a related conversion, an
import path made relative or shorter.

Each takes its words from the file (the enclosing function's parameters, the callee's
signature, the file's other calls) or from a short fixed list; each is a built-in pattern with
its example in `repairbot/pattern/builtin.py`. Weights only order an operator's own rewrites.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.region import enclosing_def, statements_around, yields
from repairbot.matching.structural import COMMA, Rewrite, appended, last_word, nodes, on_lines, unparsed


def forward_parameter(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A parameter of the enclosing function passed on by name to a call that accepts it but
    does not get it (`Client(..., verify=verify)` that forgot `http1=http1`). The call accepts
    it if the file defines the callee with that parameter or passes it in another call to the
    same function; a call that already forwards two parameters by name may want one more (at
    half the weight). The new keyword goes where the enclosing function's order puts it."""
    index = target.index()
    tree = target.file_ast()
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not on_lines(target, t, lines):
            continue
        node: cst.Call = t.node
        if any(a.star for a in node.args):
            continue  # `*args`, `**kwargs` may carry it already
        outer = enclosing_def(tree, target.span(t)[0])
        if outer is None:
            continue
        a = outer.args
        mine = [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs] if x.arg not in ("self", "cls")]
        word = last_word(node.func)
        passed = {x.keyword.value for x in node.args if x.keyword is not None}
        forwards = sum(1 for x in node.args if x.keyword is not None and isinstance(x.value, cst.Name)
                       and x.value.value == x.keyword.value)
        signature = index.params.get(word)
        positional = sum(1 for x in node.args if x.keyword is None)
        elsewhere = {k.arg for w, c in index.calls if w == word for k in c.keywords if k.arg}
        for k in mine:
            if k in passed or k == word:
                continue
            if signature is not None:
                if k not in signature or signature.index(k) < positional + (signature[:1] in (("self",), ("cls",))):
                    continue
                weight = 1.0
            elif k in elsewhere:
                weight = 1.0
            elif forwards >= 2:
                weight = 0.5
            else:
                continue
            yield t, node.with_changes(args=_keyword_in_order(node, k, mine)), weight


def _keyword_in_order(node: cst.Call, name: str, order: list[str]) -> list[cst.Arg]:
    """The call's arguments with `name=name` added before the first keyword that `order` puts
    after it (the end if none), in the call's own layout."""
    new = cst.Arg(cst.Name(name), keyword=cst.Name(name),
                  equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    args = list(node.args)
    rank = {k: i for i, k in enumerate(order)}
    at = next((i for i, x in enumerate(args) if x.keyword is not None and
               rank.get(x.keyword.value, -1) > rank[name]), len(args))
    if at == len(args):
        return appended(node, new)
    gap = args[at - 1].comma if at > 0 and isinstance(args[at - 1].comma, cst.Comma) else COMMA
    return [*args[:at], new.with_changes(comma=gap), *args[at:]]


# Conversions that are easily confused with one another.
_CONVERSION_GROUPS = (("int", "round", "float"), ("list", "tuple", "sorted", "set"), ("str", "repr", "bytes"))


def swap_conversion(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A conversion replaced by a related one: `round(x)` -> `int(x)`, `list(xs)` -> `sorted(xs)`,
    `str(v)` -> `repr(v)`; nearer in the list ranks higher."""
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not isinstance(t.node.func, cst.Name) or not on_lines(target, t, lines):
            continue
        name = t.node.func.value
        for group in _CONVERSION_GROUPS:
            if name in group:
                i = group.index(name)
                for j, other in enumerate(group):
                    if other != name:
                        yield t, t.node.with_changes(func=cst.Name(other)), 1.0 / abs(i - j)


def import_path(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A `from ... import` made relative (`from toml.decoder import X` -> `from .decoder import
    X`: the package was vendored; `from cli import main` -> `from .cli import main`: Python 2's
    implicit relative import) or absolute with leading parts dropped (`from .packages.urllib3
    import X` -> `from urllib3 import X`: the vendored copy was removed)."""
    for t, _, _ in nodes(target):
        if t.kind != "ImportFrom" or not on_lines(target, t, lines):
            continue
        node: cst.ImportFrom = t.node
        module = unparsed(node.module) if node.module is not None else ""
        if module is None:
            continue
        parts = module.split(".") if module else []
        if node.relative:  # drop the dots, then each leading part in turn
            offers = [(0, parts[j:]) for j in range(len(parts))]
        else:  # one dot in place of each leading part in turn (`toml` -> `.`); a lone module made
            # relative first (Python 2's implicit relative import, `from cli` -> `from .cli`)
            offers = [(1, parts[j:]) for j in range(1, len(parts) + 1)]
            offers.insert(0 if len(parts) == 1 else len(offers), (1, parts))
        for rank, (dots, rest) in enumerate(offers):
            new = node.with_changes(relative=[cst.Dot()] * dots, module=cst.parse_expression(".".join(rest)) if rest else None)
            yield t, new, 1.0 / (1 + rank)


def keyword_by_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """The last positional argument passed by keyword when its value bears the keyword's name
    (`quote(s, self.charset)` -> `quote(s, charset=self.charset)`): the callee's parameter of
    that name may not be the one at that position. Known parameters (the file's def of the
    callee, or keywords its other calls pass) rank first, any keyword the file passes after."""
    index = target.index()
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not on_lines(target, t, lines):
            continue
        node: cst.Call = t.node
        positional = [i for i, a in enumerate(node.args) if a.keyword is None and not a.star]
        if not positional or len(node.args) < 2 or any(a.star for a in node.args):
            continue  # `f(x)` -> `f(x=x)` is seldom a fix
        i = positional[-1]
        arg = node.args[i]
        word = last_word(arg.value)
        callee = last_word(node.func)
        if not word or word == callee or any(a.keyword is not None and a.keyword.value == word for a in node.args):
            continue
        known = set(index.params.get(callee, ())) | \
            {k.arg for w, c in index.calls if w == callee for k in c.keywords if k.arg}
        weight = 1.0 if word in known else 0.5 if word in index.keywords else 0.0
        if weight:
            new = arg.with_changes(keyword=cst.Name(word), equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                                                  cst.SimpleWhitespace("")))
            yield t, node.with_changes(args=[*node.args[:i], new, *node.args[i + 1:]]), weight


# Methods that return a new value and change nothing: a call statement of one throws its work away.
_PURE = frozenset({"encode", "decode", "strip", "lstrip", "rstrip", "replace", "lower", "upper", "format", "split",
                   "rsplit", "splitlines", "join", "title", "capitalize", "casefold", "expandtabs", "zfill",
                   "ljust", "rjust", "center", "removeprefix", "removesuffix", "translate", "swapcase",
                   "with_suffix", "with_name", "resolve", "absolute", "astimezone", "normalize"})


def assign_back(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`text.strip()` as a statement -> `text = text.strip()`: a method that returns a new value
    (str, bytes, Path and datetime methods) was called for an effect it does not have."""
    for t, _, _ in nodes(target):
        if t.kind != "SimpleStatementLine" or len(t.node.body) != 1 or not on_lines(target, t, lines):
            continue
        small = t.node.body[0]
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            continue
        func = small.value.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _PURE or \
                not isinstance(func.value, (cst.Name, cst.Attribute)):
            continue
        assign = cst.Assign([cst.AssignTarget(func.value.deep_clone())], small.value, semicolon=small.semicolon)
        yield t, t.node.with_changes(body=[assign]), 1.0


def super_class(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`super(Other, self)` -> `super(Enclosing, self)` in a method of class `Enclosing` (pylint's
    bad-super-call, E1003): a method copied from another class keeps the other's name, and its
    `super()` then skips or repeats a class of the hierarchy."""
    tree = target.file_ast()
    for t, _, _ in nodes(target):
        if t.kind != "Call" or not on_lines(target, t, lines):
            continue
        node: cst.Call = t.node
        if not (isinstance(node.func, cst.Name) and node.func.value == "super" and len(node.args) == 2
                and isinstance(node.args[0].value, cst.Name) and node.args[0].keyword is None):
            continue
        classes = [s for s in statements_around(tree, target.span(t)[0]) if isinstance(s, ast.ClassDef)]
        if classes and classes[-1].name != node.args[0].value.value:
            first = node.args[0].with_changes(value=cst.Name(classes[-1].name))
            yield t, node.with_changes(args=[first, *node.args[1:]]), 1.0


_CASE_OPS = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)
_FOLDED = frozenset({"lower", "casefold", "upper"})


def _lower_literals(node: cst.BaseExpression) -> bool:
    """A string literal without capitals, or a tuple, list or set of only such, with a letter."""
    elems = [e.value for e in node.elements] if isinstance(node, (cst.Tuple, cst.List, cst.Set)) else [node]
    texts = [e.raw_value for e in elems if isinstance(e, cst.SimpleString) and "b" not in e.prefix.lower()]
    return len(texts) == len(elems) > 0 and all(x == x.lower() for x in texts) and \
        any(c.isalpha() for x in texts for c in x)


def case_fold(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`val not in ('0', 'false', 'no')` -> `val.lower() not in ...`: a value compared with
    lower-case text that may come in any case (user input, headers, environment variables)."""
    lowers = sum(1 for w, _ in target.calls() if w in _FOLDED)
    for t, _, _ in nodes(target):
        if t.kind != "Comparison" or len(t.node.comparisons) != 1 or not on_lines(target, t, lines):
            continue
        node: cst.Comparison = t.node
        comp = node.comparisons[0]
        if not isinstance(comp.operator, _CASE_OPS) or not _lower_literals(comp.comparator):
            continue
        left = node.left
        if not isinstance(left, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) or \
                (isinstance(left, cst.Call) and last_word(left.func) in _FOLDED) or \
                (isinstance(left, cst.Name) and left.value in ("None", "True", "False")):
            continue
        folded = cst.Call(cst.Attribute(left.with_changes(lpar=[], rpar=[]), cst.Name("lower")), lpar=left.lpar,
                          rpar=left.rpar)
        yield t, node.with_changes(left=folded), 1.0 if lowers else 0.5


# asyncio's coroutine functions that are most often called without `await`
_ASYNCIO = frozenset({"sleep", "wait_for", "wait", "gather", "open_connection", "create_subprocess_exec",
                      "create_subprocess_shell", "to_thread", "start_server"})
_AWAITABLE_PARENTS = frozenset({"Expr", "Assign", "AnnAssign", "Return"})


def missing_await(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`asyncio.sleep(1)` -> `await asyncio.sleep(1)` in an `async def`: a call of a coroutine
    function (one the file defines with `async def`, or asyncio's) whose coroutine is dropped or
    stored without being awaited. A coroutine passed on as an argument (`create_task(f())`) is
    meant; a method of the same name on another receiver ranks lower."""
    index = target.index()
    coroutines = index.coroutines
    if not coroutines and "asyncio" not in (index.bound or ()):
        return  # no `async def` here: nothing can be awaited
    tree = target.file_ast()
    for t, parent, field in nodes(target):
        if t.kind != "Call" or parent is None or parent.kind not in _AWAITABLE_PARENTS or \
                field not in ("value", "") or not on_lines(target, t, lines):
            continue
        if not isinstance(enclosing_def(tree, target.span(t)[0]), ast.AsyncFunctionDef):
            continue
        func = t.node.func
        word = last_word(func)
        if isinstance(func, cst.Attribute) and unparsed(func.value) == "asyncio":
            weight = 1.0 if word in _ASYNCIO else 0.0
        elif word in coroutines and not all(yields(d) for d in coroutines[word]):  # async generators are
            weight = 1.0 if isinstance(func, cst.Name) or unparsed(func.value) in ("self", "cls") else 0.6  # iterated
        else:
            weight = 0.0
        if weight:
            yield t, cst.Await(t.node.with_changes(lpar=[], rpar=[]), lpar=t.node.lpar, rpar=t.node.rpar), weight


CALLS = {"forward_parameter": forward_parameter, "swap_conversion": swap_conversion, "import_path": import_path,
         "keyword_by_name": keyword_by_name, "assign_back": assign_back, "super_class": super_class,
         "case_fold": case_fold, "missing_await": missing_await}
