"""Repair operators that add a little, taking the words from the file or a short fixed list.

Where the structural operators take code away, these add the small piece a fix often lacks: a
conversion the file already applies elsewhere (`str(path)`, `escape(text)`), the companion of a
type (`isinstance(x, str)` -> `(str, bytes)`, one more caught exception), a guard around a
statement (`if data:`) or inside a test (`r is not None and r.x`), a flipped slice or augmented
assignment, a quoted name unquoted, `is` against a literal made `==`. None needs a learned
template: each is a small function here with its built-in pattern and example in
`repairbot/pattern/builtin.py` (annotations: `annotations.py`; calls and imports: `calls.py`).
Weights only order an operator's own rewrites.
"""

from __future__ import annotations

import ast
import keyword
from collections import Counter
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.structural import COMMA, Rewrite, conditions, nodes, on_lines, unparsed

# Where a value sits decides how likely a conversion belongs there: call arguments and compared
# values most (`int(ts)` in a comparison, `str(path)` in an argument list).
_VALUE_SLOTS = {("Arg", "value"): 1.0, ("Comparison", "left"): 0.9, ("ComparisonTarget", "comparator"): 0.9,
                ("BinaryOperation", "left"): 0.8, ("BinaryOperation", "right"): 0.8, ("For", "iter"): 0.8,
                ("DictElement", "value"): 0.8, ("Element", "value"): 0.7, ("Assign", "value"): 0.7,
                ("Return", "value"): 0.7}
_NOT_WRAPPERS = frozenset({
    "print", "len", "super", "range", "isinstance", "issubclass", "hasattr", "getattr", "setattr", "delattr",
    "next", "iter", "id", "type", "callable", "enumerate", "zip", "open", "vars", "dir", "globals", "locals",
    "any", "all", "sum", "min", "max", "hash", "exit", "eval", "exec", "compile", "print_function"})
_ALWAYS = ("str", "int")  # conversions worth offering even where the file never writes them
_CONSTANT_NAMES = frozenset({"True", "False", "None", "self", "cls", "Ellipsis"})


def _callee(func: ast.expr, modules: set[str]) -> str | None:
    """`f` or `module.f` (a module the file imports); None for methods and other callees."""
    if isinstance(func, ast.Name):
        return func.id
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name) and func.id in modules:
        return ".".join([func.id, *reversed(parts)])
    return None


def _imported_modules(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for st in tree.body:  # module level only: a walk of a large file costs more than the rewrite
        if isinstance(st, ast.Import):
            out.update((a.asname or a.name).split(".")[0] for a in st.names)
    return out


def wrappers(target: Target) -> Counter[str]:
    """One-argument functions the file applies to values, by how often (`str(x)`, `escape(s)`,
    `os.path.realpath(p)`); calls made for their effect (`print`) or not conversions (`len`)
    are left out."""
    modules = _imported_modules(target.file_ast())
    out: Counter[str] = Counter()
    for word, call in target.calls():
        if word in _NOT_WRAPPERS or len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
            continue
        name = _callee(call.func, modules)
        if name is not None:
            out[name] += 1
    return out


def wrap_conversion(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A value on the lines wrapped in a one-argument function the file applies at least twice
    elsewhere (or `str`/`int`): `Path(path)`, `escape(self.text)`, `int(ts) < now`. The more
    often the file uses a function, and the likelier the value's place (an argument, a compared
    value), the higher the rewrite ranks."""
    counts = wrappers(target)
    pool = {f: n for f, n in counts.items() if n >= 2}
    for f in _ALWAYS:
        pool.setdefault(f, 1)
    if not pool:
        return
    top = max(pool.values())
    ranked = [(cst.parse_expression(f), n) for f, n in sorted(pool.items(), key=lambda kv: (-kv[1], kv[0]))[:6]]
    converted: set[int] = set()  # the arguments of conversions already there
    for t, parent, field in nodes(target):
        if t.kind == "Call" and on_lines(target, t, lines) and unparsed(t.node.func) in pool:
            converted.update(id(a) for f, a in zip(t.fields, t.children) if f == "args")
            continue  # `str(x)` -> `int(str(x))`: one conversion is enough
        slot = _VALUE_SLOTS.get((parent.kind, field)) if parent is not None else None
        if slot is None or not isinstance(t.node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
            continue
        if (t.kind == "Name" and t.value in _CONSTANT_NAMES) or id(parent) in converted or \
                not on_lines(target, t, lines):
            continue
        for func, n in ranked:
            inner = t.node.with_changes(lpar=[], rpar=[]) if t.node.lpar else t.node
            yield t, cst.Call(func, [cst.Arg(inner)], lpar=t.node.lpar, rpar=t.node.rpar), \
                slot * (0.5 + 0.5 * n / top)


# A value of one of these types is often met as the other (text and bytes, lists and tuples).
_COMPANIONS = {"str": ("bytes",), "bytes": ("str", "bytearray"), "list": ("tuple",), "tuple": ("list",),
               "int": ("float",), "float": ("int",), "set": ("frozenset",), "dict": ("Mapping",)}
_EXCEPTIONS = ("AttributeError", "TypeError", "ValueError", "KeyError", "OSError")


def _type_names(node: cst.BaseExpression) -> list[str] | None:
    """The names of a type or a tuple of types (`str`, `(A, b.B)`); None for anything else."""
    elems = [e.value for e in node.elements] if isinstance(node, cst.Tuple) else [node]
    names = [unparsed(e) for e in elems if isinstance(e, (cst.Name, cst.Attribute))]
    return names if len(names) == len(elems) and all(names) else None  # type: ignore[return-value]


def _with_type(node: cst.BaseExpression, name: str) -> cst.Tuple:
    new = cst.Element(cst.parse_expression(name))
    if isinstance(node, cst.Tuple):
        elems = list(node.elements)
        last = elems[-1].with_changes(comma=COMMA)
        return node.with_changes(elements=[*elems[:-1], last, new])
    return cst.Tuple([cst.Element(node, comma=COMMA), new])


def widen_types(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """One more type where a value is checked or an exception caught: `isinstance(x, str)` ->
    `isinstance(x, (str, bytes))` (the type's companion), `except KeyError:` -> `except
    (KeyError, OSError):` (exceptions the file catches elsewhere first, then common ones)."""
    handled: Counter[str] | None = None
    for t, _, _ in nodes(target):
        if t.kind == "Call" and on_lines(target, t, lines) and isinstance(t.node.func, cst.Name) and \
                t.node.func.value in ("isinstance", "issubclass") and len(t.node.args) == 2:
            types_arg = t.children[[i for i, f in enumerate(t.fields) if f == "args"][1]]
            value_t = types_arg.children[0]
            have = _type_names(value_t.node)
            if have is None:
                continue
            for name in dict.fromkeys(c for h in have for c in _COMPANIONS.get(h, ()) if c not in have):
                yield value_t, _with_type(value_t.node, name), 1.0 if len(have) == 1 else 0.8
        elif t.kind == "ExceptHandler" and t.node.type is not None:
            type_t = t.children[t.fields.index("type")]
            have = _type_names(t.node.type)
            if have is None or not on_lines(target, type_t, lines):  # the header, not the body
                continue
            if handled is None:
                handled = target.index().caught
            file_ones = [e for e, _ in handled.most_common() if e not in have]
            offers = [(e, 1.0) for e in file_ones[:3]] + [(e, 0.5) for e in _EXCEPTIONS if e not in have
                                                        and e not in file_ones[:3]]
            for name, weight in offers[:4]:
                yield type_t, _with_type(type_t.node, name), weight


_GUARDABLE = (cst.Name, cst.Attribute)


def guard_statement(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A statement on the lines put under `if value:` for a value it uses (`write(data)` ->
    `if data: write(data)`, `x.msg = self.errmsg` -> `if self.errmsg: ...`): the work is only
    right when there is something to work with."""
    for t, parent, _ in nodes(target):
        if t.kind != "SimpleStatementLine" or parent is None or parent.kind != "IndentedBlock" or \
                len(t.node.body) != 1 or not on_lines(target, t, lines):
            continue
        small = t.node.body[0]
        values: list[tuple[cst.BaseExpression, float]] = []
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            values = [(a.value, 1.0) for a in small.value.args if not a.star]
        elif isinstance(small, cst.Assign):
            if isinstance(small.value, _GUARDABLE):
                values = [(small.value, 1.0)]
            elif isinstance(small.value, cst.Call):
                values = [(a.value, 0.7) for a in small.value.args if not a.star]
        seen: set[str] = set()
        for value, weight in values:
            text = unparsed(value)
            if not isinstance(value, _GUARDABLE) or text is None or text in seen or text in _CONSTANT_NAMES:
                continue
            seen.add(text)
            body = cst.IndentedBlock([t.node.with_changes(leading_lines=())])
            yield t, cst.If(test=value.deep_clone(), body=body, leading_lines=t.node.leading_lines), weight


def flip_slice(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`s[:i]` <-> `s[i:]`: the wrong end of a sequence kept."""
    for t, _, _ in nodes(target):
        if t.kind != "Slice" or not on_lines(target, t, lines):
            continue
        s: cst.Slice = t.node
        if s.step is None and (s.lower is None) != (s.upper is None):
            yield t, s.with_changes(lower=s.upper, upper=s.lower), 1.0


def plain_assignment(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`x += y` -> `x = y` (an accumulation that should have been a reset), and `+=` <-> `-=`."""
    for t, _, _ in nodes(target):
        if t.kind != "AugAssign" or not on_lines(target, t, lines):
            continue
        node: cst.AugAssign = t.node
        yield t, cst.Assign([cst.AssignTarget(node.target)], node.value, semicolon=node.semicolon), 1.0
        flip = {cst.AddAssign: cst.SubtractAssign, cst.SubtractAssign: cst.AddAssign}.get(type(node.operator))
        if flip is not None:
            yield t, node.with_changes(operator=flip()), 0.6


def unquote_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A call argument written as a string that names a variable of the file (`hasattr("obj",
    ...)` -> `hasattr(obj, ...)`): the quotes were a slip."""
    names = target.index().names
    for t, parent, field in nodes(target):
        if t.kind != "SimpleString" or parent is None or (parent.kind, field) != ("Arg", "value") or \
                not on_lines(target, t, lines):
            continue
        try:
            value = ast.literal_eval(t.node.value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, str) and value.isidentifier() and not keyword.iskeyword(value) and value in names \
                and value not in _CONSTANT_NAMES:
            yield t, cst.Name(value), 1.0


_LITERAL_NODES = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float)


def literal_identity(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`x is "data"` -> `x == "data"` (and `is not` -> `!=`): identity of literals is an accident
    of interning, which Python warns about."""
    for t, _, _ in nodes(target):
        if t.kind != "Comparison" or not on_lines(target, t, lines):
            continue
        node: cst.Comparison = t.node
        left, out, changed = node.left, [], False
        for c in node.comparisons:
            if isinstance(c.operator, (cst.Is, cst.IsNot)) and \
                    (isinstance(left, _LITERAL_NODES) or isinstance(c.comparator, _LITERAL_NODES)):
                op = cst.Equal if isinstance(c.operator, cst.Is) else cst.NotEqual
                c = c.with_changes(operator=op())  # ` == `, ` != `
                changed = True
            out.append(c)
            left = c.comparator
        if changed:
            yield t, node.with_changes(comparisons=out), 1.0


_ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def _preconditions(test: cst.BaseExpression) -> Iterator[tuple[cst.BaseExpression, float]]:
    """What must hold before `test` can be evaluated safely: a receiver is not None (`r.x`,
    `r[k]`, `r.m()`), a key is present (`"k" in d` for `d["k"]`), an ordered value exists."""
    def receivers(node: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, float]]:
        if isinstance(node, cst.Attribute) and isinstance(node.value, (cst.Name, cst.Attribute)):
            yield node.value, 1.0
        elif isinstance(node, cst.Subscript) and isinstance(node.value, (cst.Name, cst.Attribute)):
            key = node.slice[0].slice if len(node.slice) == 1 else None
            if isinstance(key, cst.Index) and isinstance(key.value, (cst.SimpleString, cst.Name)):
                yield cst.Comparison(key.value, [cst.ComparisonTarget(cst.In(), node.value)]), 1.0
            yield node.value, 0.8
        elif isinstance(node, cst.Comparison):
            operands = [node.left, *(c.comparator for c in node.comparisons)]
            if any(isinstance(c.operator, _ORDERING) for c in node.comparisons):
                yield from ((o, 0.9) for o in operands if isinstance(o, (cst.Name, cst.Attribute)))
            for c in node.comparisons:  # `x in items`: the container must exist
                if isinstance(c.operator, (cst.In, cst.NotIn)) and isinstance(c.comparator, (cst.Name, cst.Attribute)):
                    yield c.comparator, 0.9
        for c in node.children:
            yield from receivers(c)

    for value, weight in receivers(test):
        if isinstance(value, cst.Name) and value.value in _CONSTANT_NAMES:
            continue
        if isinstance(value, cst.Comparison):
            yield value, weight
        else:
            yield cst.Comparison(value, [cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))]), weight
            yield value, 0.7 * weight


def _and_operands(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """`a and b and c` -> [a, b, c] (libcst nests `and` to the left); anything else -> [node]."""
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And) and not node.lpar:
        return [*_and_operands(node.left), node.right]
    return [node]


def precondition(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """A test on the lines made to check first what it relies on: `if r.x > 0:` -> `if r is not
    None and r.x > 0:`, `if d["k"]:` -> `if "k" in d and d["k"]:` (Getafix's most common fix,
    the None check before a dereference, in Python's spellings). In an `and` chain the check goes
    just before the operand that needs it."""
    for test in conditions(target, lines):
        node = test.node
        if not on_lines(target, test, lines):
            continue
        whole = node.with_changes(lpar=[], rpar=[]) if node.lpar else node
        operands = _and_operands(whole)
        seen = {unparsed(o) for o in operands}
        for i, operand in enumerate(operands):
            for guard, weight in _preconditions(operand):
                text = unparsed(guard)
                if text in seen:
                    continue  # already tested (or the operand itself)
                seen.add(text)
                parts = [*operands[:i], guard, *operands[i:]]
                parts = [p.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                         if _loose(p) and not p.lpar else p for p in parts]
                new = parts[0]
                for p in parts[1:]:
                    new = cst.BooleanOperation(new, cst.And(), p)
                yield test, new.with_changes(lpar=node.lpar, rpar=node.rpar), weight


def _loose(node: cst.BaseExpression) -> bool:
    """Binds more loosely than `and` (needs parentheses as its operand)."""
    return isinstance(node, (cst.IfExp, cst.NamedExpr, cst.Lambda)) or \
        (isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or))


def empty_default(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`for x in obj.items:` -> `for x in obj.items or []:` (a missing collection iterated as an
    empty one), in loops and comprehensions on the lines."""
    for t, parent, field in nodes(target):
        if field != "iter" or parent is None or parent.kind not in ("For", "CompFor") or \
                not isinstance(t.node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) or \
                not on_lines(target, t, lines):
            continue
        if isinstance(t.node, cst.Call) and isinstance(t.node.func, cst.Name) and \
                t.node.func.value in ("range", "enumerate", "zip", "sorted", "reversed", "list", "tuple", "set"):
            continue  # never None
        inner = t.node.with_changes(lpar=[], rpar=[])
        yield t, cst.BooleanOperation(inner, cst.Or(), cst.List([]), lpar=t.node.lpar, rpar=t.node.rpar), 1.0


ADDITIONS = {"empty_default": empty_default, "wrap_conversion": wrap_conversion, "widen_types": widen_types, "guard_statement": guard_statement,
             "precondition": precondition, "flip_slice": flip_slice, "plain_assignment": plain_assignment,
             "unquote_name": unquote_name, "literal_identity": literal_identity}
