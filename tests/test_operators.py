"""Procedural operators (integer literal +/- 1, similar name in scope), alone and in `fix`."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.cli import main
from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

OPS = {p.guard: compile_pattern(p) for p in builtin_patterns() if p.guard}


def _sources(code: str, op: str, lines=None) -> list[str]:
    target = Target.parse(code)
    return [r.new_source for r in rewrites(target, [OPS[op]], lines) if isinstance(r, Applied)]


def test_int_step_moves_each_literal_on_the_line_both_ways():
    out = _sources("x = 1\ny = items[2:10]\n", "int_step", {2})
    assert sorted(out) == sorted(["x = 1\ny = items[3:10]\n", "x = 1\ny = items[1:10]\n",
                                  "x = 1\ny = items[2:11]\n", "x = 1\ny = items[2:9]\n"])
    assert _sources("x = 0\n", "int_step") == ["x = 1\n"]  # never below zero
    assert _sources("x = 0x10\n", "int_step") == []  # only plain decimals


def test_similar_name_proposes_close_names_used_in_the_file():
    code = "def f(total, count):\n    return totl / count\n"
    out = _sources(code, "similar_name", {2})
    assert "def f(total, count):\n    return total / count\n" in out
    assert all("return totl / totl" not in o for o in out)
    # attribute names and keywords are left alone
    assert _sources("def g(a, b):\n    return a.b(b=a)\n", "similar_name", {2}) == []


def test_similar_name_weighs_an_undefined_name_double():
    """A name nothing in the file binds is a NameError waiting (pyflakes' F821): its replacement
    outranks a rewrite of a name that is bound."""
    def weights(code: str, line: int) -> dict[str, float]:
        target = Target.parse(code)
        return {r.new_source.splitlines()[line - 1].strip(): r.weight
                for r in rewrites(target, [OPS["similar_name"]], {line}) if isinstance(r, Applied)}

    undefined = "def f(attr, attrs):\n    return attri in attrs\n"
    bound = "def f(attr, attrs, attri):\n    return attri in attrs\n"
    got, plain = weights(undefined, 2), weights(bound, 2)
    assert got["return attr in attrs"] == 2 * plain["return attr in attrs"]
    assert max(got, key=got.get) == "return attr in attrs"
    # builtins, and every name after `import *`, count as bound
    assert weights("def f(lens):\n    return len(lens)\n", 2) == weights("def f(lens, len):\n    return len(lens)\n", 2)
    star = "from m import *\n\ndef f(attr, attrs):\n    return attri in attrs\n"
    bound_star = "from m import *\n\ndef f(attr, attrs, attri):\n    return attri in attrs\n"
    assert weights(star, 4)["return attr in attrs"] == weights(bound_star, 4)["return attr in attrs"]


def test_similar_name_ranks_by_spelling_then_locality_and_never_proposes_constants():
    from repairbot.matching.candidates import generate
    from repairbot.types import Location

    code = ("def f(items, itemz, other):\n    flag = False\n    print(itemz, other)\n"
            "    return len(iitems) if valse else 0\n")
    out = _sources(code, "similar_name", {4})
    assert all("valse" in o for o in out if "False" in o.splitlines()[3])  # never `False` for `valse`
    assert len([o for o in out if "(iitems)" not in o]) <= 3  # at most three names per variable
    # `items` (spelling 91) beats `itemz` (73), whatever the order the operator yields them in
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        Path(d, "m.py").write_text(code)
        cands = generate(Path(d), [Location("m.py", 4, 1.0, ("flagged",))], [OPS["similar_name"]]).candidates
    firsts = [c.new_source.splitlines()[3].strip() for c in cands]
    assert firsts[0] == "return len(items) if valse else 0"
    assert firsts.index("return len(items) if valse else 0") < firsts.index("return len(itemz) if valse else 0")
    assert cands[0].prior > cands[-1].prior


def test_similar_attribute_prefers_names_used_on_the_same_receiver():
    code = ("def f(log, other):\n    other.warm = 1\n    log.debug('y')\n    log.warn('x')\n"
            "    return other.warm\n")
    target = Target.parse(code)
    from repairbot.matching.operators import similar_attribute
    got = [(round(w, 3), old.value, new.value) for old, new, w in similar_attribute(target, {4})]
    assert [n for _, o, n in got if o == "warn"][:2] == ["debug", "warm"]  # same receiver first
    assert all(o != n for _, o, n in got) and all(o == "warn" for _, o, _ in got)  # only line 4
    out = _sources(code, "similar_attribute", {4})
    assert code.replace("log.warn('x')", "log.debug('x')") in out


def _project(root, source: str, test: str):
    (root / "tests").mkdir(parents=True)
    (root / "tests/conftest.py").write_text(
        "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n")
    (root / "stats.py").write_text(source)
    (root / "tests/test_stats.py").write_text(test)
    return root


def _fix(root, capsys) -> dict:
    code = main(["fix", str(root), "--format", "json", "--jobs", "2"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["status"] == "fixed", doc
    return doc


def test_fix_repairs_a_misspelt_variable(tmp_path, capsys):
    root = _project(tmp_path, "def mean(total, count):\n    return totl / count\n",
                    "from stats import mean\n\n\ndef test_mean():\n    assert mean(6, 3) == 2\n")
    doc = _fix(root, capsys)
    assert "+    return total / count" in doc["patches"][0]["diff"]
    assert "traceback" in doc["localization"][0]["sources"]


def test_fix_repairs_an_off_by_one_literal(tmp_path, capsys):
    root = _project(tmp_path, "def last_index(xs):\n    return len(xs) - 2\n",
                    "from stats import last_index\n\n\ndef test_last_index():\n"
                    "    assert last_index([1, 2, 3]) == 2\n\n\ndef test_empty_pair():\n"
                    "    assert last_index([1, 2]) == 1\n")
    doc = _fix(root, capsys)
    assert "+    return len(xs) - 1" in doc["patches"][0]["diff"]


# structural operators (repairbot/matching/structural.py)

def test_drop_argument_removes_each_argument_keeping_the_comma_style():
    out = _sources("data = text.encode('utf-8', errors='x')\n", "drop_argument")
    assert "data = text.encode(errors='x')\n" in out
    assert "data = text.encode('utf-8')\n" in out
    multi = "m = Pool(\n    a=1,\n    strict=True,\n)\n"
    assert "m = Pool(\n    a=1,\n)\n" in _sources(multi, "drop_argument", {3})
    # the only argument of a call over several lines: `f()`, not `f(` and a dangling line
    lone = "raise ValueError(\n    'a message'\n    ' in two pieces'\n)\n"
    assert _sources(lone, "drop_argument", {1}) == ["raise ValueError()\n"]


def test_drop_argument_prefers_keywords_and_the_flagged_line():
    from repairbot.matching.structural import drop_argument
    code = "m = Pool(\n    conn,\n    strict=True,\n    size=2,\n)\n"
    target = Target.parse(code)
    weights = {type(n).__name__ + ":" + ",".join(a.keyword.value if a.keyword else "_" for a in n.args): w
               for _, n, w in drop_argument(target, {3})}
    assert weights["Call:_,size"] == 1.0 and weights["Call:_,strict"] == 0.7 and weights["Call:strict,size"] == 0.42


def test_drop_element_and_sets_never_become_dicts():
    assert "xs = [1, 3]\n" in _sources("xs = [1, 2, 3]\n", "drop_element")
    assert _sources("s = {1}\n", "drop_element") == []
    assert sorted(_sources("s = {1, 2}\n", "drop_element")) == ["s = {1}\n", "s = {2}\n"]


def test_drop_element_drops_a_dict_entry_keeping_the_trailing_comma_style():
    code = "msgs = {\n    'a': 'A',\n    'b': 'B',\n    **more,\n}\n"
    out = _sources(code, "drop_element", {1, 2, 3, 4})
    assert "msgs = {\n    'a': 'A',\n    **more,\n}\n" in out
    assert "msgs = {\n    'a': 'A',\n    'b': 'B',\n}\n" in out  # a `**` entry too
    assert _sources("d = {}\n", "drop_element") == []


def test_drop_operand_keeps_either_side_and_parenthesises_when_needed():
    out = _sources("if a != 'x' or b != 'y':\n    pass\n", "drop_operand")
    assert sorted(out) == ["if a != 'x':\n    pass\n", "if b != 'y':\n    pass\n"]
    assert sorted(_sources("ok = not (a and (b or c))\n", "drop_operand")) == \
        ["ok = not (a and b)\n", "ok = not (a and c)\n", "ok = not (b or c)\n", "ok = not a\n"]


def test_unwrap_takes_off_functions_and_conditionals_but_not_effects():
    assert "return update(new_func, f)\n" in _sources("return update(cast(F, new_func), f)\n", "unwrap")
    assert "y = a + b\n" in _sources("y = a + b if b else a\n", "unwrap")
    assert "y = 2 * (a + b)\n" in _sources("y = 2 * str(a + b)\n", "unwrap")
    assert _sources("log.write(x)\n", "unwrap") == []  # a call made for its effect


def test_swap_constant_exchanges_true_false_none():
    assert sorted(_sources("v = getattr(o, 'x', False)\n", "swap_constant")) == \
        ["v = getattr(o, 'x', None)\n", "v = getattr(o, 'x', True)\n"]


def test_negate_condition_adds_not_with_parentheses_around_boolean_tests():
    assert _sources("if a or b:\n    go()\n", "negate_condition") == ["if not (a or b):\n    go()\n"]
    assert _sources("while ready:\n    go()\n", "negate_condition") == ["while not ready:\n    go()\n"]
    assert _sources("if not ready:\n    go()\n", "negate_condition") == []  # "drop not" does that


def test_sibling_keyword_borrows_what_the_other_calls_to_the_function_pass():
    code = ("a = open(p, encoding='utf-8')\nb = open(q, encoding='utf-8', newline='')\nc = open(r)\n"
            "d = other(s)\n")
    out = _sources(code, "sibling_keyword", {3})
    assert code.replace("c = open(r)", "c = open(r, encoding='utf-8')") in out
    assert code.replace("c = open(r)", "c = open(r, newline='')") in out
    assert _sources(code, "sibling_keyword", {4}) == []  # no other call to `other`
    # a value the siblings agree on replaces a different one; similar callee names count
    code = "x = HTTPTransport(http1=http1)\ny = AsyncHTTPTransport(http2=True)\n"
    assert _sources(code, "sibling_keyword", {2}) == [code.replace("(http2=True)", "(http2=True, http1=http1)")]
    code = "x = f(k=1)\ny = f(k=1)\nz = f(k=2)\n"
    assert _sources(code, "sibling_keyword", {3}) == [code.replace("f(k=2)", "f(k=1)")]
    multi = "a = f(x, k=1)\nb = f(\n    y,\n)\n"
    assert "a = f(x, k=1)\nb = f(\n    y,\n    k=1,\n)\n" in _sources(multi, "sibling_keyword", {2})


def test_optional_annotation_follows_the_file_spelling_and_removes_optional():
    assert _sources("def f(e: ValueError, x: t.Optional[int]): ...\n", "optional_annotation")[0] == \
        "def f(e: t.Optional[ValueError], x: t.Optional[int]): ...\n"
    assert "def f(x: int): ...\n" in _sources("def f(x: t.Optional[int]): ...\n", "optional_annotation")
    assert _sources("reason: str | None\n", "optional_annotation") == ["reason: str\n"]
    assert _sources("attr: str\n", "optional_annotation") == ["attr: str | None\n"]


def test_drop_element_also_drops_an_imported_name():
    out = _sources("from m import (\n    a,\n    b,\n)\n", "drop_element", {1})
    assert "from m import (\n    a,\n)\n" in out and "from m import (\n    b,\n)\n" in out
    assert _sources("from m import a\n", "drop_element") == []


def test_none_test_turns_truth_tests_into_none_tests_and_back():
    assert _sources("if items:\n    use(items)\n", "none_test") == ["if items is not None:\n    use(items)\n"]
    assert _sources("if not x.y:\n    go()\n", "none_test") == ["if x.y is None:\n    go()\n"]
    assert sorted(_sources("if a and b is not None:\n    go()\n", "none_test")) == \
        ["if a and b:\n    go()\n", "if a is not None and b is not None:\n    go()\n"]
    assert _sources("x = 1\n", "none_test") == []


def test_self_attribute_adds_a_forgotten_self_and_removes_a_wrong_one():
    code = "class C:\n    def f(self, ignore):\n        self.size = 1\n        return size + self.ignore\n"
    out = _sources(code, "self_attribute", {4})
    assert code.replace("return size", "return self.size") in out
    assert code.replace("self.ignore\n", "ignore\n") in out
    assert all("self.self" not in o for o in out)
    assert _sources(code, "self_attribute", {3}) == []  # an assignment target is left alone


def test_similar_keyword_renames_to_a_close_keyword_or_parameter_of_the_file():
    code = "def parse(text, parse_all=False): ...\nparse(s, parseAll=True)\n"
    assert _sources(code, "similar_keyword", {2}) == [code.replace("parseAll=True", "parse_all=True")]
    assert _sources("f(colour=1)\ng(x=2)\n", "similar_keyword") == []  # nothing close enough


_SNIPPETS = (
    "x = f(a, k=1)\n", "if a and not b:\n    y = [1, 2]\n", "while x is not None:\n    x = g(x, k=True)\n",
    "def h(self, a: int | None = None, b: str = ''):\n    return self.a if a else None\n",
    "from m import (p, q)\n", "z = cast(T, a) if b is not None else {1, 2}\n", "w = f(k=2)\n",
    "class K:\n    size = 0\n    def m(self):\n        return size * self.size\n",
    "try:\n    v = s[:n] if isinstance(s, str) else str(s)\nexcept (KeyError, E):\n    n += str(v)\n",
    "from typing import Any\ndef g(a, k: list[str]) -> str:\n    if a is 'x':\n        log(hasattr('a', a))\n",
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=5), st.integers(1, 12))
def test_every_operator_rewrite_is_valid_python_that_changes_the_file(parts: list[str], line: int) -> None:
    import ast

    code = "".join(parts)
    target = Target.parse(code)
    for op in OPS.values():
        for r in rewrites(target, [op], {line}):
            if isinstance(r, Applied):
                ast.parse(r.new_source)
                assert r.new_source != code


def test_drop_element_drops_a_type_from_a_tuple_of_types_and_unwraps_a_lone_one():
    assert sorted(_sources("ok = isinstance(rv, (tuple, list))\n", "drop_element")) == \
        ["ok = isinstance(rv, list)\n", "ok = isinstance(rv, tuple)\n"]
    assert "try:\n    f()\nexcept (A, C):\n    pass\n" in \
        _sources("try:\n    f()\nexcept (A, B, C):\n    pass\n", "drop_element", {3})
    assert _sources("a, b = pair\n", "drop_element") == []  # unpacking targets are left alone


def test_unwrap_takes_a_lone_element_out_of_a_one_element_tuple():
    assert _sources("schema_id = ('https://x',)\n", "unwrap") == ["schema_id = 'https://x'\n"]


def test_return_value_returns_a_functions_last_expression_and_back():
    code = "def first(f):\n    f.readline().strip()\n"
    assert _sources(code, "return_value") == ["def first(f):\n    return f.readline().strip()\n"]
    assert _sources("def close(r):\n    return r.close()\n", "return_value") == ["def close(r):\n    r.close()\n"]
    assert _sources("def doc():\n    'text'\n", "return_value") == []  # a docstring stays
    assert _sources("def f(a):\n    g(a)\n    return 1\n", "return_value") == []  # only the last statement


def test_sibling_keyword_reads_values_on_the_lines_ast_numbers_after_a_form_feed():
    code = "\x0c\na = f(x, k=1)\nb = f(y)\n"
    assert _sources(code, "sibling_keyword", {3}) == [code.replace("f(y)", "f(y, k=1)")]


def test_assigned_name_replaces_a_copied_name_by_the_one_assigned():
    code = ("def split(url, quote):\n    path, query = url.split('?')\n    path = quote(path, safe='/')\n"
            "    query = quote(path, safe='=&')\n")
    got = [r for r in rewrites(Target.parse(code), [OPS["assigned_name"]], {4}) if isinstance(r, Applied)]
    assert [r.new_source.splitlines()[3] for r in got] == ["    query = quote(query, safe='=&')"]
    # an attribute: only towards one the file uses on the same receiver
    code = ("class R:\n    def f(self, env):\n        x_for = get(self.x_for, env)\n"
            "        x_prefix = get(self.x_for, env)\n        self.x_prefix = 1\n        other = self.x_for\n")
    got = [r for r in rewrites(Target.parse(code), [OPS["assigned_name"]], {4}) if isinstance(r, Applied)]
    assert [r.new_source.splitlines()[3] for r in got] == ["        x_prefix = get(self.x_prefix, env)"]
    assert [r for r in rewrites(Target.parse(code), [OPS["assigned_name"]], {6})] == []  # no self.other


def test_assigned_name_needs_a_name_with_a_value_already_and_leaves_callees_alone():
    code = "def f(a):\n    b = g(a)\n"  # b has no value before: `g(b)` would be a NameError
    assert [r for r in rewrites(Target.parse(code), [OPS["assigned_name"]], {2})] == []
    code = "def f(a, b, g):\n    b = g(a)\n"
    got = [r.new_source.splitlines()[1] for r in rewrites(Target.parse(code), [OPS["assigned_name"]], {2})]
    assert got == ["    b = g(b)"]  # the argument, never the callee
