"""The porting operators (repairbot/matching/porting.py): a literal given the other string
type, a dict view copied before a loop that changes the dict, a statement allowed to fail."""

from __future__ import annotations

import ast

from conftest import ranked_rewrites as ranked
from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

OPS = {p.guard: compile_pattern(p) for p in builtin_patterns() if p.guard}


def test_a_text_literal_becomes_bytes_only_where_the_file_writes_bytes():
    code = "SEP = b'/'\nparts = path.split('/')\n"
    assert ranked(code, "string_prefix", {2}) == ["parts = path.split(b'/')"]
    # a file of text only: no bytes offered; bytes made text anywhere
    assert ranked("parts = path.split('/')\n", "string_prefix") == []
    assert ranked("parts = path.split(b'/')\n", "string_prefix") == ["parts = path.split('/')"]


def test_the_larger_the_share_of_bytes_literals_the_higher_a_bytes_rewrite_ranks():
    mostly_bytes = "A = b'a'\nB = b'b'\nC = b'c'\nx = f('d')\n"
    mostly_text = "A = 'a'\nB = 'b'\nC = b'c'\nx = f('d')\n"
    weights = []
    for code in (mostly_bytes, mostly_text):
        got = [r for r in rewrites(Target.parse(code), [OPS["string_prefix"]], {4}) if isinstance(r, Applied)]
        assert [r.new_source.splitlines()[3] for r in got] == ["x = f(b'd')"]
        weights.append(got[0].weight)
    assert weights[0] > weights[1]


def test_u_prefix_where_the_file_marks_its_text():
    code = "A = u'caf\\xe9'\nB = u'x'\nname = 'abc'\n"
    assert ranked(code, "string_prefix", {3}) == ["name = u'abc'"]


def test_docstrings_f_strings_non_ascii_and_u_strings_are_left_alone():
    code = ('def f():\n    """Doc."""\n    return f"{x}"\n', "A = b'a'\ns = 'caf\u00e9'\n", "A = b'a'\ns = u'x'\n")
    assert ranked(code[0], "string_prefix") == []
    assert ranked(code[1], "string_prefix", {2}) == []
    assert ranked(code[2], "string_prefix", {2}) == []


def test_a_dict_view_is_copied_first_where_the_loop_changes_the_dict():
    code = ("for k, v in d.items():\n    if v is None:\n        del d[k]\n"
            "for k in e.keys():\n    print(k)\n")
    changing = [r for r in rewrites(Target.parse(code), [OPS["list_of_view"]], {1}) if isinstance(r, Applied)]
    reading = [r for r in rewrites(Target.parse(code), [OPS["list_of_view"]], {4}) if isinstance(r, Applied)]
    assert [r.new_source.splitlines()[0] for r in changing] == ["for k, v in list(d.items()):"]
    assert [r.new_source.splitlines()[3] for r in reading] == ["for k in list(e.keys()):"]
    assert changing[0].weight > reading[0].weight
    # `d.pop(k)` in the body counts as a change; other calls, comprehensions and `for x in d:` do not match
    pops = "for k in d.keys():\n    d.pop(k)\n"
    assert [r.weight for r in rewrites(Target.parse(pops), [OPS["list_of_view"]], {1})] == [1.0]
    writes = "for k in d.keys():\n    d[k] += 1\n"
    assert [r.weight for r in rewrites(Target.parse(writes), [OPS["list_of_view"]], {1})] == [1.0]
    reads = "for k in d.keys():\n    print(d[k])\n"  # reading the dict changes nothing
    assert [r.weight for r in rewrites(Target.parse(reads), [OPS["list_of_view"]], {1})] == [0.6]
    assert ranked("ys = [k for k in d.keys()]\nfor k in d:\n    pass\n", "list_of_view") == []


def test_a_statement_allowed_to_fail_catches_what_its_words_suggest_first():
    assert ranked("def close(self):\n    del self.conn\n", "try_except_pass")[0] == \
        "try:\ndel self.conn\nexcept AttributeError:\npass"
    got = ranked("import os\ndef f(path):\n    os.remove(path)\n", "try_except_pass", {3})
    assert got[0] == "try:\nos.remove(path)\nexcept OSError:\npass"
    assert len(got) == 3  # at most three exceptions offered
    # the file's own caught exceptions come before the common ones
    code = "try:\n    a()\nexcept LookupError:\n    pass\ndef f(x):\n    g(x)\n"
    assert ranked(code, "try_except_pass", {6})[0] == "try:\ng(x)\nexcept LookupError:\npass"


def test_compound_statements_returns_and_bare_expressions_are_not_wrapped():
    for code in ("if x:\n    pass\n", "return x\n", "x\n", "'''doc'''\n"):
        assert ranked(code, "try_except_pass") == []


NAMES = st.sampled_from(["d", "self.cache", "os", "conn", "x"])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["del {n}.attr", "{n}.close()", "v = {n}['k']", "import {m}", "{n}.items()",
                        "x = int({n})", "y = 'a' + {n}", "z = b'a' + {n}"]),
       NAMES, st.sampled_from(["json", "tomli"]), st.booleans())
def test_every_rewrite_parses_and_keeps_the_statement(stmt: str, name: str, module: str, nested: bool) -> None:
    line = stmt.format(n=name, m=module)
    code = "A = b''\n" + (f"def f():\n    {line}\n" if nested else f"{line}\n")
    flagged = {3 if nested else 2}
    for op in ("string_prefix", "list_of_view", "try_except_pass"):
        for r in rewrites(Target.parse(code), [OPS[op]], flagged):
            assert isinstance(r, Applied)
            ast.parse(r.new_source)
            assert r.new_source != code
            if op == "try_except_pass":
                assert line in r.new_source


def test_a_part_of_an_implicit_concatenation_is_left_alone_and_an_invalid_tree_is_a_failed_candidate():
    from repairbot.matching.apply import Failed, _replace

    code = "A = b'a'\nmsg = ('one ' 'two')\n"
    assert ranked(code, "string_prefix", {2}) == []
    # were an operator to make such a tree anyway, libcst's refusal is one failed candidate
    target = Target.parse(code)
    part = target.module.body[1].body[0].value.left
    got = _replace(target, OPS["string_prefix"], part, part.with_changes(value="b'one '"), 2, 2, 1.0)
    assert isinstance(got, Failed) and "not valid" in got.reason


def test_an_operator_that_raises_is_a_reported_skip_and_the_others_still_propose(monkeypatch, tmp_path):
    from repairbot.matching import apply
    from repairbot.matching.candidates import generate
    from repairbot.types import Location

    def broken(target, lines):
        yield from ()
        raise RuntimeError("bug in an operator")

    monkeypatch.setitem(apply.OPERATORS, "list_of_view", broken)
    (tmp_path / "m.py").write_text("A = b''\nfor k in d.get('a').keys():\n    x = 1\n")
    cset = generate(tmp_path, [Location("m.py", 2, 1.0, ("flagged",))],
                    [OPS["list_of_view"], OPS["string_prefix"]])
    assert [s.reason for s in cset.skips] == ["instantiation_failed"]
    assert "list_of_view" in cset.skips[0].detail and "bug in an operator" in cset.skips[0].detail
    assert [c.new_source.splitlines()[1] for c in cset.candidates] == ["for k in d.get(b'a').keys():"]
    # a fault while writing one rewrite is that candidate's skip only
    monkeypatch.setattr(apply, "replace_node", lambda *a, **k: 1 / 0)
    got = list(apply.rewrites(Target.parse("A = b''\nx = f('a')\n"), [OPS["string_prefix"]], {2}))
    assert got and all(isinstance(r, apply.Failed) and "ZeroDivisionError" in r.reason for r in got)


def test_an_import_of_collections_abcs_comes_from_collections_abc():
    assert ranked("from collections import MutableMapping as DictMixin\n", "abc_import") == \
        ["from collections.abc import MutableMapping as DictMixin"]
    assert ranked("try:\n    from collections import Mapping, Sequence\nexcept ImportError:\n    pass\n",
                  "abc_import", {2}) == ["from collections.abc import Mapping, Sequence"]
    # a name collections keeps, a mixed import (two statements' work), a star, another module:
    # nothing to offer
    for code in ("from collections import OrderedDict\n", "from collections import Mapping, OrderedDict\n",
                 "from collections import *\n", "from .collections import Mapping\n", "from typing import Mapping\n",
                 "from collections.abc import Mapping\n"):
        assert ranked(code, "abc_import") == [], code


def test_an_unused_imported_name_is_taken_out_of_its_import():
    code = "from ._compat import string_types, text_type, PY2\n\n\ndef f(x):\n    return text_type(x) or string_types\n"
    assert ranked(code, "unused_import", {1}) == ["from ._compat import string_types, text_type"]
    # several unused: each alone, then all together; an alias binds its `as` name
    code = "import os, sys, re as regex\nprint(os.sep)\n"
    assert ranked(code, "unused_import") == ["import os, re as regex", "import os, sys", "import os"]
    # used in __all__, a string annotation or an attribute chain's head; `import a.b`; a single
    # name; nothing used at all (the statement would go); __future__: nothing to offer
    for code in ("from m import a, b\n__all__ = ['a', 'b']\n",
                 "from m import a, b\ndef f(x: 'b') -> a: ...\n",
                 "from m import a, b\nb.c(a)\n",
                 "import os.path, sys\nsys.exit(os.path.sep)\n",
                 "from m import a\n",
                 "from m import a, b\n",
                 "from __future__ import annotations, division\nx: int = 1\n"):
        assert ranked(code, "unused_import") == [], code
    # the multi-line, parenthesised form keeps its layout and parses
    code = "from m import (\n    a,\n    b,\n)\nprint(a)\n"
    got = [r.new_source for r in rewrites(Target.parse(code), [OPS["unused_import"]], None) if isinstance(r, Applied)]
    assert got == ["from m import (\n    a,\n)\nprint(a)\n"]
    ast.parse(got[0])
