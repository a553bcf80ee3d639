"""Repair operators for string literals that run without error and say the wrong thing.

A message written `"expected {n} items"` without its `f` prints the braces (ruff RUF027), one
written with an `f` and no field promises a value it never shows (F541), a list of strings with
a comma missing joins two of them into one (`["a" "b", "c"]`, pylint's implicit-str-concat), and
a message broken over lines can lose the space where its pieces meet (`"...stable release"
"expected in 2022"`). None raises, so each reaches a test's assertion or a user. Each is a
built-in pattern with its example in `repairbot/pattern/builtin.py`.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.analogy import statement_range
from repairbot.matching.match import Target
from repairbot.matching.region import enclosing_def
from repairbot.matching.structural import Rewrite, last_word, nodes, on_lines
from repairbot.tree import Tree

_FIELD = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\[\]{}]*\])*")
# calls that format a template later, so its braces are meant as written
_FORMATTERS = frozenset({"format", "format_map", "_", "gettext", "ngettext", "lazy_gettext", "gettext_lazy",
                         "ugettext", "pgettext", "Template", "compile", "match", "search", "sub", "fullmatch"})


# expressions a template passes through on its way to the name it is assigned to
_PASS_THROUGH = frozenset({"IfExp", "BooleanOperation", "ConcatenatedString"})


def _fields(text: str) -> list[str] | None:
    """The root names of a template's `{fields}`; None if it is not a named-field template."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    roots: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _FIELD.fullmatch(name) or conversion not in (None, "r", "s", "a") or (spec and "{" in spec):
            return None
        roots.append(re.split(r"[.\[]", name, maxsplit=1)[0])
    return roots or None


def _scope_names(target: Target, line: int) -> set[str]:
    """Names the def around `line` uses or binds, and the names the module binds."""
    names = set(target.index().bound or ())
    scope = enclosing_def(target.file_ast(), line)
    if scope is not None:
        for n in ast.walk(scope):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, ast.arg):
                names.add(n.arg)
    return names


def _formatted_later(target: Target) -> set[str]:
    """Variables the file calls `.format` on (`MSG.format(...)`): their templates are meant as written."""
    got = target.__dict__.get("_formatted")
    if got is None:
        got = target.__dict__["_formatted"] = {
            c.func.value.id for word, c in target.calls()
            if word in ("format", "format_map") and isinstance(c.func, ast.Attribute)
            and isinstance(c.func.value, ast.Name)}
    return got


def statement_lines(target: Target, lines: set[int] | None) -> set[int] | None:
    """Every line of the statements (a compound statement's header) holding `lines`: a message
    spans lines, and the statement's first line is the one a traceback or a diff names while
    the text at fault may be on any of them (the distance to the flagged line still ranks)."""
    if lines is None:
        return None
    out = set(lines)
    for line in lines:
        found = statement_range(target.file_ast(), line)
        if found is None:
            continue
        st, body = found
        first = min([st.lineno] + [d.lineno for d in getattr(st, "decorator_list", None) or []])
        last = body.lineno - 1 if body is not None else (st.end_lineno or st.lineno)
        if last - first <= MAX_STATEMENT_LINES:
            out.update(range(first, last + 1))
    return out


MAX_STATEMENT_LINES = 40  # a longer statement (a table of data) is read only on the flagged lines


def missing_fstring(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`"got {n} items"` -> `f"got {n} items"` where every field names a variable in scope.

    Left alone: docstrings, bytes and `u''` literals, templates with positional (`{}`, `{0}`) or
    odd fields (a regex's `{3}`, `{a-z}`), a template formatted later (`.format`, `%`, gettext,
    a name the file calls `.format` on) and a string that is already part of an f-string."""
    lines = statement_lines(target, lines)
    parents: dict[int, tuple[Tree | None, str]] = {}
    for t, parent, field in nodes(target):
        if t.kind != "SimpleString" or not on_lines(target, t, lines):
            continue
        node: cst.SimpleString = t.node
        prefix = node.prefix.lower()
        if any(c in prefix for c in "fbu") or "{" not in node.value or "\n" in node.value:
            continue  # (a string over several lines is most often a template of code or text)
        roots = _fields(node.raw_value)
        if roots is None:
            continue
        if not parents:
            parents = {id(n): (p, f) for n, p, f in nodes(target)}
        up, up_field = parent, field
        while up is not None and up.kind == "ConcatenatedString":  # judge `'a' 'b'` as a whole
            up, up_field = parents[id(up)]
        if up is None or up.kind == "Expr" or (up.kind == "Attribute" and up_field == "value"):
            continue  # a docstring, or `'...'.format(...)`
        if up.kind == "BinaryOperation" and isinstance(up.node.operator, cst.Modulo):
            continue
        if up.kind == "Arg":
            call = parents[id(up)][0]
            if call is not None and call.kind == "Call" and last_word(call.node.func) in _FORMATTERS:
                continue
        while up is not None and up.kind in _PASS_THROUGH:  # `msg = ("a {x}" if c else "b {x}")`
            up = parents[id(up)][0]
        if up is not None and up.kind == "Assign" and any(
                isinstance(a.target, cst.Name) and a.target.value in _formatted_later(target) for a in up.node.targets):
            continue
        line = target.span(t)[0]
        if not set(roots) <= _scope_names(target, line):
            continue
        try:
            new = cst.parse_expression("f" + node.value)  # libcst holds f-strings as their parts
        except cst.ParserSyntaxError:
            continue  # a field libcst cannot take apart: offered nowhere rather than broken
        yield t, new.with_changes(lpar=node.lpar, rpar=node.rpar), 1.0


def _parts(c: cst.ConcatenatedString) -> tuple[list[cst.BaseExpression], list[cst.BaseParenthesizableWhitespace]]:
    """`'a' 'b' 'c'` as its strings and the whitespace between them (libcst nests to the right)."""
    parts: list[cst.BaseExpression] = []
    gaps: list[cst.BaseParenthesizableWhitespace] = []
    node: cst.BaseExpression = c
    while isinstance(node, cst.ConcatenatedString):
        parts.append(node.left)
        gaps.append(node.whitespace_between)
        node = node.right
    parts.append(node)
    return parts, gaps


def _joined(parts: list[cst.BaseExpression], gaps: list[cst.BaseParenthesizableWhitespace]) -> cst.BaseExpression:
    if len(parts) == 1:
        return parts[0]
    return cst.ConcatenatedString(parts[0], _joined(parts[1:], gaps[1:]), whitespace_between=gaps[0])  # type: ignore[arg-type]


def missing_comma(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`["a" "b", "c"]` -> `["a", "b", "c"]`: an implicitly joined string in a list, tuple or
    set display split at one of its joins, the comma taking the join's place (and its line
    break). First where every other element is a plain string; a parenthesised join is meant."""
    lines = statement_lines(target, lines)
    for t, _, _ in nodes(target):
        if t.kind not in ("List", "Tuple", "Set"):
            continue
        elems = list(t.node.elements)
        spans = t.children if len(t.children) == len(elems) else [t] * len(elems)
        others = [e.value for e in elems if not isinstance(e.value, cst.ConcatenatedString)]
        plain = bool(others) and all(isinstance(v, cst.SimpleString) for v in others)
        for i, e in enumerate(elems):
            v = e.value
            if not isinstance(v, cst.ConcatenatedString) or v.lpar or not on_lines(target, spans[i], lines):
                continue
            parts, gaps = _parts(v)
            for k in range(len(parts) - 1):
                left = e.with_changes(value=_joined(parts[:k + 1], gaps[:k]),
                                      comma=cst.Comma(whitespace_after=gaps[k]))
                right = e.with_changes(value=_joined(parts[k + 1:], gaps[k + 1:]))
                weight = (1.0 if plain else 0.5) * (1.0 if len(parts) == 2 else 0.7)
                yield t, t.node.with_changes(elements=[*elems[:i], left, right, *elems[i + 1:]]), weight


# Where one piece of a message may end and the next begin without a space between them being
# missing: a word, number or closing mark ends a piece, a word begins the next.
_GLUED_END = re.compile(r"[A-Za-z0-9.,;:!?)\]/'\"`]\Z")
# not a word: an escape (`\n`, `\t`, `\x1b`) or an HTML entity (`&amp;`, `&#39;`)
_ESCAPE_END = re.compile(r"(?:(?<!\\)(?:\\\\)*\\[A-Za-z0-9]+|&#?\w+;)\Z")
_GLUED_START = re.compile(r"\A[A-Za-z]")
_WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")  # prose: two words with a space between
_TRIPLE = ("'''", '"""')


def _text_edges(node: cst.BaseExpression) -> tuple[str | None, str | None]:
    """The text a piece of a message starts and ends with; None for an end that is not text as
    people read it: bytes, raw strings (regular expressions), triple quotes, an f-string's field."""
    prefix = getattr(node, "prefix", "").lower()
    if "b" in prefix or "r" in prefix:
        return None, None
    if isinstance(node, cst.SimpleString):
        return (None, None) if node.quote in _TRIPLE else (node.raw_value, node.raw_value)
    if isinstance(node, cst.FormattedString) and node.end not in _TRIPLE and node.parts:
        first, last = node.parts[0], node.parts[-1]
        return (first.value if isinstance(first, cst.FormattedStringText) else None,
                last.value if isinstance(last, cst.FormattedStringText) else None)
    return None, None


def _spaced(node: cst.BaseExpression, at_end: bool) -> cst.BaseExpression:
    """The piece with a space added at its end (or start)."""
    if isinstance(node, cst.SimpleString):
        head, v = len(node.prefix) + len(node.quote), node.value
        return node.with_changes(value=v[:-len(node.quote)] + " " + node.quote if at_end else v[:head] + " " + v[head:])
    assert isinstance(node, cst.FormattedString)
    parts = list(node.parts)
    i = -1 if at_end else 0
    text = parts[i]
    assert isinstance(text, cst.FormattedStringText)
    parts[i] = text.with_changes(value=text.value + " " if at_end else " " + text.value)
    return node.with_changes(parts=parts)


def missing_space(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`"...the first stable release" "expected in 2022"` -> `"...release " "expected in 2022"`:
    a message written as pieces the interpreter joins, where one join glues two words together.

    Offered at a join where one piece ends with a word, number or closing mark and the next
    starts with a word, and one of the two is prose (two words and a space). The space goes where
    the message's other joins put theirs (the end of a piece, or the start of the next: black's
    style). A message that glues at three or more joins and spaces none is meant as written."""
    lines = statement_lines(target, lines)
    for t, parent, _ in nodes(target):
        if t.kind != "ConcatenatedString" or (parent is not None and parent.kind == "ConcatenatedString"):
            continue
        if not on_lines(target, t, lines):
            continue
        parts, gaps = _parts(t.node)
        edges = [_text_edges(p) for p in parts]
        glued: list[int] = []
        leading = trailing = together = 0
        for k in range(len(parts) - 1):
            end, start = edges[k][1], edges[k + 1][0]
            if end is None or start is None:
                continue
            if end.endswith((" ", "\\n")):
                trailing += 1
            elif start.startswith(" "):
                leading += 1
            elif _GLUED_END.search(end) and not _ESCAPE_END.search(end) and _GLUED_START.match(start):
                together += 1
                if _WORDS.search(end) or _WORDS.search(start):
                    glued.append(k)
        if not glued or (together >= 3 and not leading + trailing):
            continue
        at_end = trailing >= leading
        weight = 1.0 if leading + trailing else 0.6
        for k in glued:
            i = k if at_end else k + 1
            new = _joined([*parts[:i], _spaced(parts[i], at_end), *parts[i + 1:]], gaps)
            yield t, new.with_changes(lpar=t.node.lpar, rpar=t.node.rpar), weight


def _fieldless(node: cst.BaseExpression) -> bool:
    return not isinstance(node, cst.FormattedString) or all(
        isinstance(p, cst.FormattedStringText) for p in node.parts)


def needless_fstring(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`f"Using the default configuration"` -> `"Using the default configuration"`: an f-string
    with no field (pyflakes F541). Most often its field was forgotten or moved elsewhere; either
    way the `f` promises a value the text never shows. `{{`/`}}` become `{`/`}`. As in pyflakes,
    a piece of a message joined from several is judged with the whole: when any piece has a
    field, an `f` on the others is layout."""
    lines = statement_lines(target, lines)
    parents: dict[int, Tree | None] = {}
    for t, parent, _ in nodes(target):
        if t.kind != "FormattedString" or not on_lines(target, t, lines):
            continue
        node: cst.FormattedString = t.node
        if not _fieldless(node) or "b" in node.prefix.lower():
            continue
        if parent is not None and parent.kind == "ConcatenatedString":
            if not parents:
                parents = {id(n): p for n, p, _ in nodes(target)}
            top = parent
            while (up := parents.get(id(top))) is not None and up.kind == "ConcatenatedString":
                top = up
            if not all(_fieldless(p) for p in _parts(top.node)[0]):
                continue
        text = "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        text = text.replace("{{", "{").replace("}}", "}")  # (raw f-strings double braces too)
        prefix = node.prefix.replace("f", "").replace("F", "")
        yield t, cst.SimpleString(prefix + node.start[len(node.prefix):] + text + node.end,
                                  lpar=node.lpar, rpar=node.rpar), 1.0


_HTTP = re.compile(r"http://(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?=[/:?#\s'\"]|\Z)")
# hosts that serve plain HTTP on purpose: the machine itself, documentation's examples, addresses
_PLAIN_HOSTS = re.compile(r"[\d.]+|(?:.*\.)?(?:example\.(?:com|org|net)|localhost(?:\.localdomain)?|test|local|"
                          r"localdomain|invalid|internal|lan|home\.arpa)", re.I)


def https_url(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`"see http://docs.python.org/3/"` -> `"see https://docs.python.org/3/"`: a link to a public
    site written before the site moved to HTTPS (most have, and redirect; a pinned `http://` link
    is a commit waiting to happen). Left alone: the scheme alone (`url.startswith("http://")`),
    the machine itself, IP addresses, example and test domains, templates (`http://{host}`), and
    byte strings (a protocol's own bytes)."""
    lines = statement_lines(target, lines)
    for t, _, _ in nodes(target):
        if t.kind != "SimpleString" or "http://" not in t.node.value or not on_lines(target, t, lines):
            continue
        node: cst.SimpleString = t.node
        if "b" in node.prefix.lower():
            continue
        hits = [m for m in _HTTP.finditer(node.value) if not _PLAIN_HOSTS.fullmatch(m.group("host"))]
        if not hits:
            continue
        value = node.value
        for m in reversed(hits):
            value = value[:m.start()] + "https://" + value[m.start() + len("http://"):]
        yield t, node.with_changes(value=value), 0.5


# What each platform test can equal, and what people write instead (lower case).
_PLATFORM_VALUES: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "os.name": (frozenset({"nt", "posix", "java"}),
                {"n": "nt", "win": "nt", "win32": "nt", "windows": "nt", "linux": "posix", "darwin": "posix",
                 "mac": "posix", "unix": "posix"}),
    "sys.platform": (frozenset({"win32", "linux", "darwin", "cygwin", "aix", "emscripten", "wasi", "freebsd",
                                "openbsd", "netbsd", "sunos5", "ios", "android"}),
                     {"win": "win32", "windows": "win32", "nt": "win32", "win64": "win32", "linux2": "linux",
                      "osx": "darwin", "mac": "darwin", "macos": "darwin", "macosx": "darwin"}),
    "platform.system()": (frozenset({"Windows", "Linux", "Darwin", "Java", "FreeBSD", "OpenBSD", "NetBSD",
                                     "SunOS", "AIX", "iOS", "Android", "Emscripten"}),
                          {"win32": "Windows", "nt": "Windows", "macos": "Darwin", "osx": "Darwin", "mac": "Darwin"}),
}


def _platform_test(node: cst.BaseExpression) -> str | None:
    """"os.name", "sys.platform" or "platform.system()" for those expressions, else None."""
    call = isinstance(node, cst.Call) and not node.args
    inner = node.func if isinstance(node, cst.Call) else node
    if not isinstance(inner, cst.Attribute) or not isinstance(inner.value, cst.Name):
        return None
    name = f"{inner.value.value}.{inner.attr.value}" + ("()" if call else "")
    return name if name in _PLATFORM_VALUES else None


def platform_name(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    """`os.name == 'NT'` -> `os.name == 'nt'`, `sys.platform == 'linux2'` -> `'linux'`: a platform
    test against a value it never takes, so the branch is dead everywhere. The value is spelt as
    the test spells it (`os.name` and `sys.platform` lower case, `platform.system()` capitalised),
    or mapped from the usual mix-ups (`os.name == 'windows'` -> `'nt'`)."""
    for t, _, _ in nodes(target):
        if t.kind != "Comparison" or not on_lines(target, t, lines):
            continue
        node: cst.Comparison = t.node
        test = _platform_test(node.left)
        if test is None:
            continue
        valid, usual = _PLATFORM_VALUES[test]
        by_lower = {v.lower(): v for v in valid}
        targets = list(node.comparisons)
        for i, ct in enumerate(targets):
            s = ct.comparator
            if not isinstance(ct.operator, (cst.Equal, cst.NotEqual)) or not isinstance(s, cst.SimpleString):
                continue
            value = s.evaluated_value
            if not isinstance(value, str) or value in valid:
                continue
            new = by_lower.get(value.lower()) or usual.get(value.lower())
            if new is None:
                continue
            fixed = ct.with_changes(comparator=s.with_changes(value=s.prefix + s.quote + new + s.quote))
            yield t, node.with_changes(comparisons=[*targets[:i], fixed, *targets[i + 1:]]), 1.0


LITERALS = {"missing_fstring": missing_fstring, "missing_comma": missing_comma, "missing_space": missing_space,
            "needless_fstring": needless_fstring, "https_url": https_url,
            "platform_name": platform_name}
