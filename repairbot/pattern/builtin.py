"""Generic repair operators that learned patterns may not cover, as ordinary patterns.

Each operator is a before/after template with its own example (Fixit-style: the example is
both documentation and a test). `python -m repairbot.pattern.builtin` writes them to
`patterns/builtin.json`; a test checks that file is in sync with this list.
"""

from __future__ import annotations

import sys

from repairbot.abstraction.cluster import pattern_id
from repairbot.pattern.lints import LINTS
from repairbot.pattern.modernise import MODERNISE, MODERNISE_MORE
from repairbot.pattern.ops import Op, S
from repairbot.tree import parse_template
from repairbot.types import EditKind, Example, Pattern, Scores

OPS: tuple[Op, ...] = (
    # comparisons: relax, tighten, flip
    Op("relax <", "comparison", "{h0} < {h1}", "{h0} <= {h1}", ("ok = i < n\n", "ok = i <= n\n")),
    Op("relax >", "comparison", "{h0} > {h1}", "{h0} >= {h1}", ("ok = i > n\n", "ok = i >= n\n")),
    Op("tighten <=", "comparison", "{h0} <= {h1}", "{h0} < {h1}", ("ok = i <= n\n", "ok = i < n\n")),
    Op("tighten >=", "comparison", "{h0} >= {h1}", "{h0} > {h1}", ("ok = i >= n\n", "ok = i > n\n")),
    Op("relax chained upper bound", "comparison", "{h0} <= {h1} < {h2}", "{h0} <= {h1} <= {h2}",
       ("ok = 0 <= i < n\n", "ok = 0 <= i <= n\n")),
    Op("relax chained lower bound", "comparison", "{h0} < {h1} <= {h2}", "{h0} <= {h1} <= {h2}",
       ("ok = 0 < i <= n\n", "ok = 0 <= i <= n\n")),
    Op("flip ==", "comparison", "{h0} == {h1}", "{h0} != {h1}", ("same = a == b\n", "same = a != b\n")),
    Op("flip !=", "comparison", "{h0} != {h1}", "{h0} == {h1}", ("same = a != b\n", "same = a == b\n")),
    Op("flip in", "comparison", "{h0} in {h1}", "{h0} not in {h1}", ("ok = k in d\n", "ok = k not in d\n")),
    Op("flip not in", "comparison", "{h0} not in {h1}", "{h0} in {h1}", ("ok = k not in d\n", "ok = k in d\n")),
    # flake8-bugbear B028: a warning without stacklevel points at the warn() call, not its caller.
    # A convention rather than a bug (ruff leaves B028 off by default, and mature projects have
    # dozens), so `check` reports it only when selected: `--select convention`
    Op("warnings.warn with a stacklevel", "convention", "warnings.warn({h0})", "warnings.warn({h0}, stacklevel=2)",
       ("warnings.warn('use g() instead')\n", "warnings.warn('use g() instead', stacklevel=2)\n"), codes=("B028",)),
    Op("warnings.warn with a category and a stacklevel", "convention", "warnings.warn({h0}, {h1})",
       "warnings.warn({h0}, {h1}, stacklevel=2)",
       ("warnings.warn('use g()', DeprecationWarning)\n",
        "warnings.warn('use g()', DeprecationWarning, stacklevel=2)\n"), codes=("B028",)),
    # pylint's bad-super-call (E1003); procedural, so not a "lint" (`check` prefilters template lints only)
    Op("super() of the enclosing class", "name", "super({h0}, self)", "super({h1}, self)",
       ("class B(A):\n    def __init__(self):\n        super(A, self).__init__()\n",
        "class B(A):\n    def __init__(self):\n        super(B, self).__init__()\n"), guard="super_class"),
    Op("== None to is None", "lint", "{h0} == None", "{h0} is None", ("if x == None: ...\n", "if x is None: ...\n"),
       codes=("E711",)),
    Op("!= None to is not None", "lint", "{h0} != None", "{h0} is not None",
       ("if x != None: ...\n", "if x is not None: ...\n"), codes=("E711",)),
    Op("flip is", "comparison", "{h0} is {h1}", "{h0} is not {h1}", ("ok = a is b\n", "ok = a is not b\n")),
    Op("flip is not", "comparison", "{h0} is not {h1}", "{h0} is {h1}", ("ok = a is not b\n", "ok = a is b\n")),
    # arithmetic and boolean operators
    Op("+ to -", "operator", "{h0} + {h1}", "{h0} - {h1}", ("y = a + b\n", "y = a - b\n")),
    Op("- to +", "operator", "{h0} - {h1}", "{h0} + {h1}", ("y = a - b\n", "y = a + b\n")),
    Op("/ to //", "operator", "{h0} / {h1}", "{h0} // {h1}", ("y = a / b\n", "y = a // b\n")),
    Op("// to /", "operator", "{h0} // {h1}", "{h0} / {h1}", ("y = a // b\n", "y = a / b\n")),
    Op("* to **", "operator", "{h0} * {h1}", "{h0} ** {h1}", ("y = a * b\n", "y = a ** b\n")),
    Op("and to or", "operator", "{h0} and {h1}", "{h0} or {h1}", ("ok = a and b\n", "ok = a or b\n")),
    Op("or to and", "operator", "{h0} or {h1}", "{h0} and {h1}", ("ok = a or b\n", "ok = a and b\n")),
    Op("drop not", "operator", "not {h0}", "{h0}", ("if not ok: ...\n", "if ok: ...\n")),
    # off by one
    Op("drop - 1", "off-by-one", "{h0} - 1", "{h0}", ("for i in range(n - 1): ...\n", "for i in range(n): ...\n")),
    Op("drop + 1", "off-by-one", "{h0} + 1", "{h0}", ("xs = items[i + 1:]\n", "xs = items[i:]\n")),
    Op("range + 1", "off-by-one", "range({h0})", "range({h0} + 1)",
       ("for i in range(n): ...\n", "for i in range(n + 1): ...\n")),
    Op("range from 0", "off-by-one", "range(1, {h0})", "range({h0})",
       ("for i in range(1, n): ...\n", "for i in range(n): ...\n")),
    # swaps
    Op("swap arguments", "swap", "{h0}({h1}, {h2})", "{h0}({h2}, {h1})", ("y = pow(b, e)\n", "y = pow(e, b)\n")),
    Op("swap operands of -", "swap", "{h0} - {h1}", "{h1} - {h0}", ("d = a - b\n", "d = b - a\n")),
    # wraps in a builtin
    Op("abs of difference", "wrap", "{h0} - {h1}", "abs({h0} - {h1})", ("d = a - b\n", "d = abs(a - b)\n")),
    Op("clamp at zero", "wrap", "{h0} - {h1}", "max({h0} - {h1}, 0)", ("d = a - b\n", "d = max(a - b, 0)\n")),
    Op("range over len", "wrap", "range({h0})", "range(len({h0}))",
       ("for i in range(xs): ...\n", "for i in range(len(xs)): ...\n")),
    Op("materialise map/filter", "wrap", "map({h0}, {h1})", "list(map({h0}, {h1}))",
       ("ys = map(f, xs)\n", "ys = list(map(f, xs))\n")),
    # missing guards and values
    Op("dict.get instead of []", "lookup", "{h0}[{h1}]", "{h0}.get({h1})", ("v = d[k]\n", "v = d.get(k)\n")),
    Op("None guard before attribute return", "none-guard", "return {h0}.{h1}\n",
       "if {h0} is None:\n    return None\nreturn {h0}.{h1}\n",
       ("def f(u):\n    return u.name\n", "def f(u):\n    if u is None:\n        return None\n    return u.name\n"), S),
    Op("None guard before attribute assignment", "none-guard", "{h0} = {h1}.{h2}\n",
       "if {h1} is None:\n    return None\n{h0} = {h1}.{h2}\n",
       ("def f(u):\n    n = u.name\n", "def f(u):\n    if u is None:\n        return None\n    n = u.name\n"), S),
    Op("missing return", "return", "{h0} = {h1}\n", "{h0} = {h1}\nreturn {h0}\n",
       ("def f(a):\n    out = a * 2\n", "def f(a):\n    out = a * 2\n    return out\n"), S, True),
    *MODERNISE,
    # procedural: the templates document them, the operator does the work
    Op("integer literal +/- 1", "literal", "{h0}", "{h0} +/- 1", ("for i in range(1, n): ...\n",
       "for i in range(0, n): ...\n"), guard="int_step"),
    Op("similar name in scope", "name", "{h0}", "{h1}",
       ("def f(total, count):\n    return totl / count\n", "def f(total, count):\n    return total / count\n"),
       guard="similar_name"),
    Op("similar attribute of the file", "name", "{h0}.{h1}", "{h0}.{h2}",
       ("def f(log):\n    log.warn('x')\n    log.debug('y')\n",
        "def f(log):\n    log.debug('x')\n    log.debug('y')\n"),
       guard="similar_attribute"),
    # structural (repairbot/matching/structural.py): take away, or borrow the file's own code
    Op("drop a call argument", "call-arguments", "{h0}({h1}, {h2})", "{h0}({h1})",
       ("data = text.encode('utf-8')\n", "data = text.encode()\n"), guard="drop_argument"),
    Op("drop a list element", "literal", "[{h0}, {h1}]", "[{h0}]",
       ("names = ['a', 'b']\n", "names = ['a']\n"), guard="drop_element"),
    Op("drop an operand of and/or", "condition", "{h0} and {h1}", "{h0}",
       ("if ok and ready: ...\n", "if ok: ...\n"), guard="drop_operand"),
    Op("unwrap a call or conditional", "wrap", "{h0}({h1})", "{h1}",
       ("n = int(count)\n", "n = count\n"), guard="unwrap"),
    Op("True, False, None exchanged", "literal", "True", "False",
       ("v = getattr(o, 'x', False)\n", "v = getattr(o, 'x', None)\n"), guard="swap_constant"),
    Op("negate a condition", "condition", "{h0}", "not {h0}",
       ("if ready:\n    go()\n", "if not ready:\n    go()\n"), guard="negate_condition"),
    Op("keyword argument the sibling calls pass", "keyword", "{h0}({h1})", "{h0}({h1}, {h2}={h3})",
       ("a = open(p, encoding='utf-8')\nb = open(q)\n", "a = open(p, encoding='utf-8')\nb = open(q, encoding='utf-8')\n"),
       guard="sibling_keyword"),
    Op("optional annotation", "annotation", "{h0}", "{h0} | None",
       ("def f(x: int | None, y: str): ...\n", "def f(x: int | None, y: str | None): ...\n"),
       guard="optional_annotation"),
    Op("return the last expression", "return", "{h0}", "return {h0}",
       ("def first_line(f):\n    f.readline()\n", "def first_line(f):\n    return f.readline()\n"),
       guard="return_value"),
    Op("None test instead of truth test", "none-guard", "{h0}", "{h0} is not None",
       ("if items:\n    use(items)\n", "if items is not None:\n    use(items)\n"), guard="none_test"),
    Op("forgotten self.", "name", "{h0}", "self.{h0}",
       ("class C:\n    def f(self):\n        return size + self.size\n",
        "class C:\n    def f(self):\n        return self.size + self.size\n"), guard="self_attribute"),
    Op("the assigned name where a copied one was left", "name", "{h0} = {h1}({h2})\n", "{h0} = {h1}({h0})\n",
       ("def split(url):\n    path, query = url.split('?')\n    path = quote(path)\n    query = quote(path)\n",
        "def split(url):\n    path, query = url.split('?')\n    path = quote(path)\n    query = quote(query)\n"),
       kind=S, guard="assigned_name"),
    Op("similar keyword name", "keyword", "{h0}({h1}={h2})", "{h0}({h3}={h2})",
       ("def parse(text, parse_all=False): ...\nparse(s, parseAll=True)\n",
        "def parse(text, parse_all=False): ...\nparse(s, parse_all=True)\n"), guard="similar_keyword"),
    # additions (repairbot/matching/additions.py): a small piece borrowed from the file
    Op("a conversion the file uses", "wrap", "{h0}", "{h1}({h0})",
       ("from pathlib import Path\na = Path(x)\nb = Path(y)\nload(p)\n",
        "from pathlib import Path\na = Path(x)\nb = Path(y)\nload(Path(p))\n"), guard="wrap_conversion"),
    Op("one more type checked or caught", "condition", "isinstance({h0}, {h1})", "isinstance({h0}, ({h1}, {h2}))",
       ("if isinstance(data, str): ...\n", "if isinstance(data, (str, bytes)): ...\n"), guard="widen_types"),
    Op("guard a statement by a value it uses", "condition", "{h0}({h1})\n", "if {h1}:\n    {h0}({h1})\n",
       ("def send(out, data):\n    out.write(data)\n", "def send(out, data):\n    if data:\n        out.write(data)\n"),
       kind=S, guard="guard_statement"),
    Op("the other end of a slice", "off-by-one", "{h0}[:{h1}]", "{h0}[{h1}:]",
       ("tail = s[:n]\n", "tail = s[n:]\n"), guard="flip_slice"),
    Op("plain assignment for +=", "operator", "{h0} += {h1}", "{h0} = {h1}",
       ("def f(self, n):\n    self.seen += n\n", "def f(self, n):\n    self.seen = n\n"), kind=S,
       guard="plain_assignment"),
    Op("quoted name unquoted", "name", "'{h0}'", "{h0}",
       ("def f(obj):\n    return hasattr('obj', 'x')\n", "def f(obj):\n    return hasattr(obj, 'x')\n"),
       guard="unquote_name"),
    # a lint, but procedural: `check` takes only template lints (its token prefilter reads those)
    Op("== for is against a literal", "comparison", "{h0} is 'c'", "{h0} == 'c'",
       ("ok = kind is 'data'\n", "ok = kind == 'data'\n"), guard="literal_identity"),
    Op("annotation widened to Any", "annotation", "{h0}", "Any",
       ("from typing import Any\ndef get(k: str) -> str: ...\n", "from typing import Any\ndef get(k: str) -> Any: ...\n"),
       guard="any_annotation"),
    Op("check first what a test relies on", "none-guard", "{h0}.{h1}", "{h0} is not None and {h0}.{h1}",
       ("if last.value > 0: ...\n", "if last is not None and last.value > 0: ...\n"), guard="precondition"),
    Op("import path made relative or shorter", "import", "from {h0}.{h1} import {h2}", "from .{h1} import {h2}",
       ("from toml.decoder import load\n", "from .decoder import load\n"), kind=S, guard="import_path"),
    # pyflakes F401, one name at a time (repairbot/matching/imports.py)
    Op("an unused name taken out of its import", "import", "from {h0} import {h1}, {h2}", "from {h0} import {h1}",
       ("from ._compat import string_types, PY2\n\n\ndef is_text(x):\n    return isinstance(x, string_types)\n",
        "from ._compat import string_types\n\n\ndef is_text(x):\n    return isinstance(x, string_types)\n"),
       kind=S, guard="unused_import"),
    Op("iterate an empty default", "none-guard", "for {h0} in {h1}.{h2}: ...", "for {h0} in {h1}.{h2} or []: ...",
       ("for f in dist.files:\n    use(f)\n", "for f in dist.files or []:\n    use(f)\n"), kind=S,
       guard="empty_default"),
    Op("forward a parameter", "keyword", "{h0}({h1}={h1})", "{h0}({h1}={h1}, {h2}={h2})",
       ("def connect(host, port, timeout):\n    return Client(host=host, port=port)\n",
        "def connect(host, port, timeout):\n    return Client(host=host, port=port, timeout=timeout)\n"),
       guard="forward_parameter"),
    Op("a positional argument passed by its name", "keyword", "{h0}({h1}, {h2}.{h3})", "{h0}({h1}, {h3}={h2}.{h3})",
       ("def quote(s, safe='/', charset='utf-8'): ...\nclass U:\n    def q(self, s):\n"
        "        return quote(s, self.charset)\n",
        "def quote(s, safe='/', charset='utf-8'): ...\nclass U:\n    def q(self, s):\n"
        "        return quote(s, charset=self.charset)\n"), guard="keyword_by_name"),
    Op("the result of a pure method assigned back", "return", "{h0}.{h1}({h2})\n", "{h0} = {h0}.{h1}({h2})\n",
       ("def clean(line):\n    line.strip()\n    return line\n",
        "def clean(line):\n    line = line.strip()\n    return line\n"), kind=S, guard="assign_back"),
    Op("compared case-insensitively", "wrap", "{h0} == 'x'", "{h0}.lower() == 'x'",
       ("def on(val):\n    return val not in ('0', 'false', 'no')\n",
        "def on(val):\n    return val.lower() not in ('0', 'false', 'no')\n"), guard="case_fold"),
    Op("a related conversion", "callee", "round({h0})", "int({h0})",
       ("ms = round(t * 1000)\n", "ms = int(t * 1000)\n"), guard="swap_conversion"),
    Op("a tuple of any length", "annotation", "Tuple[{h0}]", "Tuple[{h0}, ...]",
       ("def f(names: Tuple[str]): ...\n", "def f(names: Tuple[str, ...]): ...\n"), guard="variadic_tuple"),
    # a port between Python versions, and a statement allowed to fail (repairbot/matching/porting.py)
    Op("a text literal as bytes, or bytes as text", "porting", "'{h0}'", "b'{h0}'",
       ("SEP = b'/'\nparts = path.split('/')\n", "SEP = b'/'\nparts = path.split(b'/')\n"), guard="string_prefix"),
    Op("a dict view copied before the loop", "porting", "for {h0} in {h1}.items(): ...",
       "for {h0} in list({h1}.items()): ...",
       ("for k, v in d.items():\n    del d[k]\n", "for k, v in list(d.items()):\n    del d[k]\n"), kind=S,
       guard="list_of_view"),
    Op("a statement allowed to fail", "porting", "{h0}\n", "try:\n    {h0}\nexcept {h1}:\n    pass\n",
       ("def close(self):\n    del self.conn\n",
        "def close(self):\n    try:\n        del self.conn\n    except AttributeError:\n        pass\n"), kind=S,
       guard="try_except_pass"),
    Op("collections.abc for a from-import of its ABCs", "modernise", "from collections import {h0}\n",
       "from collections.abc import {h0}\n",
       ("from collections import Mapping, Sequence\n", "from collections.abc import Mapping, Sequence\n"), kind=S,
       guard="abc_import"),
    # token analogy (repairbot/matching/analogy.py): the statement as the file writes its context
    Op("as the file writes it elsewhere", "analogy", "{h0}", "{h1}",
       ("root = path.parent\nname = path.resolve().name\n", "root = path.parent\nname = path.name\n"),
       kind=S, guard="file_analogy"),
    # a typo in a message (repairbot/matching/spelling.py): spelt as the file spells the word
    Op("a message word spelt as the file spells it", "spelling", "{h0}", "{h1}",
       ('def load(path):\n    """Read the configuration file."""\n    raise OSError("no configuation file here")\n',
        'def load(path):\n    """Read the configuration file."""\n    raise OSError("no configuration file here")\n'),
       kind=S, guard="message_spelling"),
    # what other projects' histories replaced the same tokens with (repairbot/matching/replacements.py)
    Op("a replacement other projects made", "learned", "{h0}", "{h1}",
       ("for i in xrange(n):\n    total += i\n", "for i in range(n):\n    total += i\n"),
       kind=S, guard="learned_replacement"),
    *LINTS,
    *MODERNISE_MORE,
    # a literal that runs and says the wrong thing (repairbot/matching/literals.py)
    Op("an f-string missing its f", "literal", "'{h0}'", "f'{h0}'",
       ("def greet(name):\n    return 'hello {name}'\n", "def greet(name):\n    return f'hello {name}'\n"),
       guard="missing_fstring"),
    Op("a missing comma between strings", "literal", "['{h0}' '{h1}']", "['{h0}', '{h1}']",
       ("NAMES = [\n    'a',\n    'b'\n    'c',\n]\n", "NAMES = [\n    'a',\n    'b',\n    'c',\n]\n"),
       guard="missing_comma"),
    Op("a missing space where strings join", "lint", "'{h0}' '{h1}'", "'{h0} ' '{h1}'",
       ('raise ValueError("the value must be a list"\n                 "of names")\n',
        'raise ValueError("the value must be a list "\n                 "of names")\n'),
       guard="missing_space"),
    Op("an f-string without a field", "lint", "f'{h0}'", "'{h0}'",
       ('print(f"Using the default configuration")\n', 'print("Using the default configuration")\n'),
       guard="needless_fstring", codes=("F541",)),
    Op("a link to a public site over https", "modernise", "'{h0}'", "'{h0}'",
       ('DOCS = "see http://docs.python.org/3/library/re.html"\n', 'DOCS = "see https://docs.python.org/3/library/re.html"\n'),
       guard="https_url"),
    Op("a platform test against a value it never takes", "lint", "os.name == '{h0}'", "os.name == '{h1}'",
       ("if os.name == 'NT':\n    sep = ';'\n", "if os.name == 'nt':\n    sep = ';'\n"), guard="platform_name"),
    # a coroutine called and dropped (repairbot/matching/calls.py)
    Op("await a coroutine", "call-arguments", "{h0}({h1})", "await {h0}({h1})",
       ("async def pause():\n    asyncio.sleep(1)\n", "async def pause():\n    await asyncio.sleep(1)\n"),
       guard="missing_await"),
)


# How often each built-in's candidate was the human fix, measured on the development set: the
# single-statement fix commits in the last 20% of 23 of the library's source repositories, with
# the library minus each repository's own support (never the held-out repositories):
#   python benchmarks/accuracy_bench.py <the 23 clones> --library-only --leave-out --per-pattern
# Each pair is (candidates that were the human fix, candidates among the first 50). A built-in's
# support is the first number and its rejection the share of the second that was not the human
# fix, Getafix's measure; `rank.pattern_prior` turns them into a prior.
MEASURED: dict[str, tuple[int, int]] = {
    "similar name in scope": (4, 582), "similar attribute of the file": (1, 194), "drop a call argument": (4, 196),
    "unwrap a call or conditional": (2, 98), "drop a list element": (2, 131), "optional annotation": (5, 70),
    "integer literal +/- 1": (1, 52), "True, False, None exchanged": (3, 46), "negate a condition": (0, 31),
    "keyword argument the sibling calls pass": (1, 28), "dict.get instead of []": (0, 26),
    "drop an operand of and/or": (3, 24), "forgotten self.": (1, 17), "None test instead of truth test": (1, 16),
    "swap arguments": (0, 16), "return the last expression": (0, 12), "missing return": (0, 9), "flip in": (0, 7),
    "or to and": (0, 7), "flip !=": (0, 6), "+ to -": (0, 4), "/ to //": (0, 4), "and to or": (0, 4),
    "drop not": (0, 4), "flip ==": (0, 3), "flip is not": (0, 3), "similar keyword name": (1, 1),
    "a conversion the file uses": (1, 443), "one more type checked or caught": (2, 13),
    "annotation widened to Any": (2, 57), "guard a statement by a value it uses": (0, 33),
    "quoted name unquoted": (1, 5), "plain assignment for +=": (1, 2), "forward a parameter": (1, 8),
    "a related conversion": (1, 4), "a tuple of any length": (1, 1), "check first what a test relies on": (1, 53),
    "iterate an empty default": (0, 5), "as the file writes it elsewhere": (2, 304), "isinstance for type() ==": (1, 1),
    # measured on the 842 fixes of --split-fraction 0.3 (session 8: the new built-ins, and two
    # that session 8 extended)
    "import path made relative or shorter": (10, 63), "a message word spelt as the file spells it": (12, 67),
    "a statement allowed to fail": (4, 1371), "a text literal as bytes, or bytes as text": (11, 192),
    "a dict view copied before the loop": (2, 3), "the assigned name where a copied one was left": (3, 82),
    "warnings.warn with a category and a stacklevel": (2, 8), "warnings.warn with a stacklevel": (0, 1),
    "a positional argument passed by its name": (3, 48), "the result of a pure method assigned back": (2, 2),
    "super() of the enclosing class": (1, 1), "compared case-insensitively": (1, 14),
    # session 10's literal operators, on the same 842
    "a missing space where strings join": (3, 5), "an f-string without a field": (3, 3),
    "a link to a public site over https": (1, 4), "a platform test against a value it never takes": (2, 2),
    # session 11's learned token replacements, on the same 842
    "a replacement other projects made": (8, 892),
    # session 12's unused import, on the 1,046 of --split-fraction 0.15
    "an unused name taken out of its import": (5, 11),
}


def to_pattern(op: Op) -> Pattern:
    kind = "expr" if op.kind == EditKind.EXPR else "stmts"
    tree = parse_template(op.before, kind)
    if op.guard:
        tree = parse_template("{h0}", "expr")
    spec = round(tree.concrete / max(1, tree.size), 4)
    hits, n = MEASURED.get(op.name, (0, 0))
    return Pattern(
        id=pattern_id(op.kind, op.before, op.after, op.guard, op.at_block_end),
        kind=op.kind,
        before=op.before,
        after=op.after,
        holes=tuple(tree.holes()),
        context=None,
        at_block_end=op.at_block_end,
        scores=Scores(support=hits, commits=0, files=0, specificity=spec, matches_unchanged=n - hits,
                      rejection=round(1 - hits / n, 4) if n else 0.0),
        examples=(Example(*op.example),),
        name=op.name,
        category=op.category,
        origin="builtin",
        guard=op.guard,
        codes=op.codes,
    )


def builtin_patterns() -> list[Pattern]:
    return [to_pattern(op) for op in OPS]


if __name__ == "__main__":  # pragma: no cover
    from repairbot.pattern.store import dumps

    sys.stdout.write(dumps(builtin_patterns(), {"generator": "python -m repairbot.pattern.builtin"}))
