"""Operators for literals that run and say the wrong thing (repairbot/matching/literals.py), the
missing `await` (calls.py), and the lint and modernise templates added with them."""

from __future__ import annotations

import ast
import warnings

import pytest
from conftest import ranked_rewrites as ranked
from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

PATTERNS = builtin_patterns()
OPS = {p.guard: compile_pattern(p) for p in PATTERNS if p.guard}
BY_NAME = {p.name: compile_pattern(p) for p in PATTERNS}


def test_a_template_whose_fields_are_in_scope_gets_its_f():
    code = "def report(n, path):\n    log.info('read {n} rows from {path.name!r:>10}')\n"
    assert ranked(code, "missing_fstring") == ["log.info(f'read {n} rows from {path.name!r:>10}')"]
    # a part of an implicit concatenation, on its own line
    code = "def report(n):\n    raise ValueError('bad input: '\n                     'expected {n}')\n"
    assert ranked(code, "missing_fstring", {3}) == ["f'expected {n}')"]


@pytest.mark.parametrize("code", [
    "def f(n):\n    '''Return {n} items.'''\n",  # a docstring
    "def f(n):\n    return 'got {n}'.format(n=n)\n",
    "def f(n):\n    return ('got {n} ' 'items').format(n=n)\n",
    "def f(n):\n    return 'got %s {n}' % n\n",
    "def f(n):\n    return _('got {n}')\n",  # translated, formatted later
    "MSG = 'got {n}'\ndef f(n):\n    return MSG.format(n=n)\n",
    "def f(n):\n    return 'got {} {0}'\n",  # positional fields
    "def f(n):\n    return re.compile(r'\\d{3}')\n",
    "def f(n):\n    return 'got {m}'\n",  # m is bound nowhere
    "def f(n):\n    return b'got {n}'\n",
    "def f(n):\n    return f'got {n}'\n",
    "def f(n):\n    return 'got {{n}}'\n",
    # a template chosen by a condition, formatted later (pytest's main.py)
    "def f(arg, c):\n    msg = ('not found: {arg}' if c else 'missing: {arg}')\n    return msg.format(arg=arg)\n",
    # a template of code over several lines
    'def f(items):\n    make("""\n    x = {items}\n    """)\n',
])
def test_templates_meant_as_written_are_left_alone(code):
    assert ranked(code, "missing_fstring") == []


def test_a_missing_comma_splits_the_joined_strings_where_they_meet():
    code = "NAMES = [\n    'a',\n    'b'\n    'c',\n]\n"
    got = [r for r in rewrites(Target.parse(code), [OPS["missing_comma"]], {3}) if isinstance(r, Applied)]
    assert [r.new_source for r in got] == ["NAMES = [\n    'a',\n    'b',\n    'c',\n]\n"]
    # three parts: each join is offered; not first among a list of other values
    assert sorted(ranked("xs = ('a' 'b' 'c', 1)\n", "missing_comma")) == \
        ["xs = ('a' 'b', 'c', 1)", "xs = ('a', 'b' 'c', 1)"]
    plain = rewrites(Target.parse("xs = ['a' 'b', 'c']\n"), [OPS["missing_comma"]])
    mixed = rewrites(Target.parse("xs = ['a' 'b', c]\n"), [OPS["missing_comma"]])
    assert [r.weight for r in plain] > [r.weight for r in mixed]


@pytest.mark.parametrize("code", [
    "msg = ('a long message '\n       'in two parts')\n",  # a parenthesised join is meant
    "xs = [('a' 'b'), 'c']\n",
    "f('a' 'b', 'c')\n",  # calls: a long argument is usually meant
])
def test_a_join_that_is_meant_is_left_alone(code):
    assert ranked(code, "missing_comma") == []


def test_await_is_added_to_a_dropped_coroutine_in_an_async_def():
    code = ("import asyncio\n\nclass C:\n    async def fetch(self):\n        return 1\n\n"
            "    async def run(self):\n        self.fetch()\n        x = other.fetch()\n        asyncio.sleep(1)\n"
            "        asyncio.create_task(self.fetch())\n        asyncio.get_running_loop()\n\n"
            "    def sync(self):\n        self.fetch()\n")
    got = {r.line: (r.weight, r.new_source.splitlines()[r.line - 1].strip())
           for r in rewrites(Target.parse(code), [OPS["missing_await"]]) if isinstance(r, Applied)}
    assert got == {8: (1.0, "await self.fetch()"), 9: (0.6, "x = await other.fetch()"),
                   10: (1.0, "await asyncio.sleep(1)")}
    # an async generator's call is iterated, not awaited (httpx's tests), and so is `__aiter__`'s
    code = ("async def chunks(data):\n    yield data\n\nasync def run(self):\n    body = chunks(b'x')\n"
            "    it = self.stream.__aiter__()\n\nclass S:\n    async def __aiter__(self):\n        return self\n")
    assert [r for r in rewrites(Target.parse(code), [OPS["missing_await"]]) if isinstance(r, Applied)] == []


@pytest.mark.parametrize("name,before,after", [
    ("assert on a tuple", "assert (x > 0, 'positive')\n", "assert x > 0, 'positive'\n"),
    ("re.sub flags by keyword", "s = re.sub('a', 'b', s, re.I)\n", "s = re.sub('a', 'b', s, flags=re.I)\n"),
    ("sorted() for an assigned sort()", "ys = xs.sort()\n", "ys = sorted(xs)\n"),
    ("assertEqual for assertEquals", "self.assertEquals(a, b)\n", "self.assertEqual(a, b)\n"),
    ("logging.warning for logging.warn", "logging.warn('x')\n", "logging.warning('x')\n"),
    ("daemon for setDaemon", "t.setDaemon(True)\n", "t.daemon = True\n"),
])
def test_lint_and_modernise_templates_rewrite_their_own_spelling(name, before, after):
    got = [r.new_source for r in rewrites(Target.parse(before), [BY_NAME[name]]) if isinstance(r, Applied)]
    assert got == [after]


@pytest.mark.parametrize("name,code", [
    ("logging.warning for logging.warn", "warnings.warn('x')\n"),  # warnings.warn is right as it is
    ("re.sub flags by keyword", "s = re.sub('a', 'b', s, 2)\n"),  # a count, not a flag
    ("assignment for a pointless comparison", "ok = a == b\n"),
    ("assert on a tuple", "assert x, 'message'\n"),
])
def test_lint_and_modernise_templates_leave_correct_code_alone(name, code):
    assert [r for r in rewrites(Target.parse(code), [BY_NAME[name]]) if isinstance(r, Applied)] == []


WORDS = st.sampled_from(["n", "path", "self.x", "items[0]", "", "0", "a-b", "m"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("ab {}", max_size=4), WORDS), min_size=1, max_size=3),
       st.sampled_from(["'", '"']))
def test_every_fstring_and_comma_rewrite_parses_and_keeps_the_text(parts, quote):
    """Whatever the template, a rewrite is valid Python and only adds an `f` or a comma."""
    text = "".join(f"{lit}{{{w}}}" for lit, w in parts).replace("\\", "")
    code = f"def f(n, path, self, items):\n    xs = [{quote}{text}{quote} {quote}z{quote}, {quote}y{quote}]\n"
    try:
        ast.parse(code)
    except SyntaxError:
        return
    for op in ("missing_fstring", "missing_comma"):
        for r in rewrites(Target.parse(code), [OPS[op]]):
            assert isinstance(r, Applied)
            ast.parse(r.new_source)
            new = r.new_source
            assert any(new[:i] + new[i + 1:] == code for i, c in enumerate(new) if c in "f,"), new


@pytest.mark.parametrize("code, line, want", [
    # the space goes where the message's other joins put theirs: the end of a piece...
    ("raise RuntimeError('Python 3 was configured to use ASCII for the '\n"
     "                   'environment.  Consult http://click.pocoo.org/python3/'\n"
     "                   'for mitigation steps.')\n", 2,
     "'environment.  Consult http://click.pocoo.org/python3/ '"),
    # ...or the start of the next (black's style)
    ("HELP = (\n    \"Format all input files\"\n    \" like Jupyter Notebooks.\"\n"
     "    \"This is useful when piping.\"\n)\n", 3, "\" This is useful when piping.\""),
    # a lone join: the end of the piece; an f-string's text takes it too
    ("msg = (\n    f\"support for {name} will be removed in the first stable release\"\n"
     "    \"expected in January.\"\n)\n", 2,
     "f\"support for {name} will be removed in the first stable release \""),
])
def test_a_missing_space_where_message_pieces_join_is_added(code, line, want):
    assert ranked(code, "missing_space", {line})[:1] == [want]
    for r in rewrites(Target.parse(code), [OPS["missing_space"]], {line}):
        new = r.new_source  # one space more, nothing else
        assert any(new[:i] + new[i + 1:] == code for i, c in enumerate(new) if c == " ")


@pytest.mark.parametrize("code", [
    "h = 'abc' 'def'\n",  # no prose
    "h = ('a message in' 'deadbeef' 'cafe' 'feed' 'a1b2')\n",  # glued at every join: meant
    "p = r'\\w+ (?P<x>ab) cd' r'cd'\n",  # a regular expression
    "m = 'line one\\n' 'line two'\n",  # an escape ends the piece
    "m = b'some bytes here' b'more'\n",
    "m = f'{a} and {b}' f'{c} is here'\n",  # fields at the join
    "m = ('<span class=\"string\">&#39;' 'test&#39;</span> and more')\n",  # an HTML entity
    "m = ('a message with a trailing space ' 'is fine')\n",
    "m = ('a message with' ' a leading space')\n",
    "m = ('a message with' '\\n a new line')\n",
    "m = ('two words' '1.0 is a version')\n",  # a word starts the next piece, not a number
])
def test_joins_that_are_spaced_or_meant_are_left_alone(code):
    assert ranked(code, "missing_space") == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["ab", " ", "cd.", "two words", "more words", "\\n", "{x}", "&#39;", "\\", "1"]),
                        max_size=5).map("".join), min_size=2, max_size=4),
       st.sampled_from(["", "", "f", "b", "r"]), st.sampled_from(["'", '"']))
def test_every_missing_space_rewrite_parses_and_adds_one_space(pieces, prefix, quote):
    """Whatever the pieces, a rewrite is valid Python whose joined text gains exactly one space."""
    code = "m = (" + " ".join(f"{prefix}{quote}{p}{quote}" for p in pieces) + ")\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `\.` and the like: invalid escapes, still valid Python
        try:
            compile(code, "<m>", "exec")
        except SyntaxError:
            return
        for r in rewrites(Target.parse(code), [OPS["missing_space"]]):
            assert isinstance(r, Applied)
            compile(r.new_source, "<m>", "exec")
            new = r.new_source
            assert any(new[:i] + new[i + 1:] == code for i, c in enumerate(new) if c == " "), new


@pytest.mark.parametrize("code, want", [
    ('print(f"Using the default configuration")\n', ['print("Using the default configuration")']),
    ('x = rf"\\d{{3}}-{{a}}"\n', ['x = r"\\d{3}-{a}"']),  # doubled braces are single without the f
    ('x = f"""\nno field\n"""\n', ['x = """']),
    ('x = f""\n', ['x = ""']),
])
def test_an_fstring_without_a_field_loses_its_f(code, want):
    assert ranked(code, "needless_fstring") == want
    for r in rewrites(Target.parse(code), [OPS["needless_fstring"]]):
        if code.startswith("x"):  # the same text: only the `f` and its brace escapes went
            assert eval(code[4:], {}) == eval(r.new_source[4:], {})


def test_an_fstring_piece_is_judged_with_the_whole_message():
    # another piece has a field: the `f` on this one is layout (pyflakes, ruff F541)
    assert ranked('x = (f"a {b}" f" c")\n', "needless_fstring") == []
    assert sorted(ranked('x = (f"a b" f" c" "d")\n', "needless_fstring")) == ['x = ("a b" f" c" "d")',
                                                                            'x = (f"a b" " c" "d")']
    assert ranked('x = f"{a}"\n', "needless_fstring") == ranked('x = f"a {b!r:>{w}}"\n', "needless_fstring") == []


@pytest.mark.parametrize("code, want", [
    ('u = "http://docs.pytest.org/en/latest/"\n', ['u = "https://docs.pytest.org/en/latest/"']),
    ('u = "see http://www.example.com and http://pypi.python.org/simple"\n',
     ['u = "see http://www.example.com and https://pypi.python.org/simple"']),
    ("u = 'http://a.org/x http://b.org'\n", ["u = 'https://a.org/x https://b.org'"]),
])
def test_a_link_to_a_public_site_is_offered_over_https(code, want):
    assert ranked(code, "https_url") == want


@pytest.mark.parametrize("code", [
    'if u.startswith("http://"): pass\n', 'u = "http://localhost:8000/x"\n', 'u = "http://127.0.0.1/"\n',
    'u = "http://{host}/x"\n', 'u = b"http://a.org/"\n', 'u = "http://foo.test/x"\n', 'u = "https://a.org"\n',
    'u = "http://api.example.org/v1"\n', 'u = "http://test.localhost.localdomain:3000/"\n',
])
def test_links_meant_as_plain_http_are_left_alone(code):
    assert ranked(code, "https_url") == []


@pytest.mark.parametrize("code, want", [
    ("if os.name == 'NT': pass\n", ["if os.name == 'nt': pass"]),  # spelt as the test spells it
    ("if os.name == 'n': pass\n", ["if os.name == 'nt': pass"]),  # and the usual mix-ups
    ("x = sys.platform != 'linux2'\n", ["x = sys.platform != 'linux'"]),
    ("x = platform.system() == 'windows'\n", ["x = platform.system() == 'Windows'"]),
    ("x = os.name == 'posix' or sys.platform == 'Darwin'\n", ["x = os.name == 'posix' or sys.platform == 'darwin'"]),
    ("x = sys.platform == 'Win' == os.name\n", ["x = sys.platform == 'win32' == os.name"]),
])
def test_a_platform_test_against_a_value_it_never_takes_is_corrected(code, want):
    assert ranked(code, "platform_name") == want


@pytest.mark.parametrize("code", [
    "x = sys.platform == 'win32'\n", "x = os.name in ('nt',)\n", "x = os.name == 'beos'\n",
    "x = platform.system() == 'Linux'\n", "x = sys.platform.startswith('linux')\n", "x = name == 'NT'\n",
])
def test_platform_tests_that_can_be_true_are_left_alone(code):
    assert ranked(code, "platform_name") == []


def test_a_message_is_read_on_every_line_of_the_flagged_statement():
    # a traceback, or a diff's first changed line, names the statement's first line
    code = ("def check(proxy):\n    raise ValueError(\n        'Proxy protocol must be http or https,'\n"
            "        ' but got {proxy.scheme!r}.'\n    )\n")
    assert ranked(code, "missing_fstring", {2}) == ["' but got {proxy.scheme!r}.'".replace("' b", "f' b")]
    glued = code.replace("' but got {proxy.scheme!r}.'", "'but got this instead.'")
    assert ranked(glued, "missing_space", {2}) == ["'Proxy protocol must be http or https, '"]
    # ...but not beyond it, nor through a long table of data
    assert ranked("x = 1\n" + code, "missing_fstring", {1}) == []
    table = "T = [\n" + "".join(f"    'row {i}',\n" for i in range(50)) + "    'a {x}',\n]\n"
    assert ranked("x = 1\n" + table, "missing_fstring", {2}) == []
