"""The fix-kind classifier on small before/after examples, one or more per kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repairbot.pattern import store
from repairbot.pattern.kinds import KIND_LABELS, KIND_NAMES, classify, classify_trees, fix_kind
from repairbot.tree import parse_template
from repairbot.types import EditKind, Pattern, Scores

CASES = [
    # (before, after, kind of edit, expected)
    ("{h0}.colour", "{h0}.color", "expr", "changed_identifier"),
    ("total", "subtotal", "expr", "changed_identifier"),
    ("x = self.a", "x = self.b", "stmts", "changed_identifier"),
    ("{h0} < {h1}", "{h0} <= {h1}", "expr", "changed_operator"),
    ("{h0} + {h1}", "{h0} - {h1}", "expr", "changed_operator"),
    ("{h0} and {h1}", "{h0} or {h1}", "expr", "changed_operator"),
    ("{h0} == None", "{h0} is None", "expr", "changed_operator"),
    ("{h0} - 1", "{h0} - 2", "expr", "changed_literal"),
    ("f({h0}, True)", "f({h0}, False)", "expr", "changed_literal"),
    ("x = 0.5", "x = 1.5", "stmts", "changed_literal"),
    ("f({h0})", "f({h0}, {h0})", "expr", "call_arguments"),
    ("{h0}.join({h1}, {h2})", "{h0}.join({h1})", "expr", "call_arguments"),
    ("f({h0}, {h1})", "f({h1}, {h0})", "expr", "swapped_arguments"),
    ("{h0} - {h1}", "{h1} - {h0}", "expr", "swapped_arguments"),
    ("logger.warn({h0})", "logger.warning({h0})", "expr", "wrong_callee"),
    ("os.path.exists({h0})", "os.path.isfile({h0})", "expr", "wrong_callee"),
    ("dumps({h0})", "json.dumps({h0})", "expr", "wrong_callee"),
    ("return {h0}", "return list({h0})", "stmts", "wrap_call"),
    ("{h0}.keys()", "list({h0}.keys())", "expr", "wrap_call"),
    ("x = str({h0})", "x = {h0}", "stmts", "wrap_call"),
    ("{h0}", "{h0}.strip()", "expr", "wrap_call"),
    ("if {h0}:\n    return {h1}\n", "if {h0} and {h2}:\n    return {h1}\n", "stmts", "if_condition"),
    ("if {h0}:\n    pass\n", "if {h0} and not {h1}:\n    pass\n", "stmts", "if_condition"),
    ("if {h0} and {h1}:\n    pass\n", "if {h0}:\n    pass\n", "stmts", "if_condition"),
    ("while {h0}:\n    pass\n", "while not {h0}:\n    pass\n", "stmts", "if_condition"),
    ("return {h0}.{h1}\n", "if {h0} is None:\n    return None\nreturn {h0}.{h1}\n", "stmts", "none_guard"),
    ("{h0}.close()\n", "if {h0} is not None:\n    {h0}.close()\n", "stmts", "none_guard"),
    ("{h0}.{h1}", "{h0}.{h1} if {h0} is not None else None", "expr", "none_guard"),
    ("open({h0}, mode='r')", "open({h0}, mode='rb')", "expr", "keyword_argument"),
    ("open({h0})", 'open({h0}, encoding="utf-8")', "expr", "keyword_argument"),
    ("f({h0}, timeout=10)", "f({h0}, timeout=30)", "expr", "keyword_argument"),
    ("f({h0}, sort=True)", "f({h0}, sort_keys=True)", "expr", "keyword_argument"),
    ("range({h0})", "range({h0} + 1)", "expr", "off_by_one"),
    ("{h0}[:{h1} - 1]", "{h0}[:{h1}]", "expr", "off_by_one"),
    ("{h0}.{h1}", "{h0}[{h1}]", "expr", "other"),
    ("x = 1\n", "x = 1\ny = 2\n", "stmts", "other"),
]


def pat(before: str, after: str, kind: str) -> Pattern:
    return Pattern("x", EditKind(kind), before, after, (), None, False, Scores(2, 2, 2, 0.5), ())


@pytest.mark.parametrize("before,after,kind,expected", CASES)
def test_classify(before: str, after: str, kind: str, expected: str) -> None:
    assert classify(pat(before, after, kind)) == expected


def test_unparsable_template_is_other() -> None:
    assert classify(pat("{h0} +", "{h0}", "expr")) == "other"


def test_every_expected_kind_is_declared() -> None:
    assert {c[3] for c in CASES} <= set(KIND_NAMES)


def test_identical_sides_are_other() -> None:
    t = parse_template("{h0} + 1", "expr")
    assert classify_trees(t, t) == "other"


def test_every_builtin_operator_classifies() -> None:
    """The built-in operators are all single-statement fixes: most must land in a named kind."""
    pats = [p for f in store.library_paths() if f.name == "builtin.json" for p in store.load(f)]
    kinds = [classify(p) for p in pats if not p.guard]
    assert kinds and all(k in KIND_NAMES for k in kinds)
    assert sum(k != "other" for k in kinds) >= len(kinds) * 0.6


# fix_kind: the same classifier on concrete code (the accuracy benchmark's human fixes).
CODE_CASES = [
    ("x = total / count\n", "x = total / amount\n", "changed_identifier"),
    ("ok = i < n\n", "ok = i <= n\n", "changed_operator"),
    ("flag = True\n", "flag = False\n", "changed_literal"),
    ("f(a)\n", "f(a, b)\n", "call_arguments"),
    ("y = pow(b, e)\n", "y = pow(e, b)\n", "swapped_arguments"),
    ("y = obj.load(path)\n", "y = obj.loads(path)\n", "wrong_callee"),
    ("n = f(x)\n", "n = int(f(x))\n", "wrap_call"),
    ("if a:\n    go()\n", "if a and b:\n    go()\n", "if_condition"),
    ("x.close()\n", "if x is not None:\n    x.close()\n", "none_guard"),
    ("f(a, mode='r')\n", "f(a, mode='rb')\n", "keyword_argument"),
    ("for i in range(n):\n    go(i)\n", "for i in range(n + 1):\n    go(i)\n", "off_by_one"),
]


@pytest.mark.parametrize("before,after,expected", CODE_CASES)
def test_fix_kind_on_code(before: str, after: str, expected: str) -> None:
    assert fix_kind(before, after) == expected


def test_fix_kind_formatting_only_unparsable_and_expressions() -> None:
    assert fix_kind("x = (1)\n", "x = 1  # same\n") == "other"
    assert fix_kind("x = = 1\n", "x = 1\n") == "other"
    assert fix_kind("a < b", "a <= b") == "changed_operator"


@given(st.text(max_size=40), st.text(max_size=40))
def test_fix_kind_of_any_text_is_a_known_kind(before: str, after: str) -> None:
    assert fix_kind(before, after) in KIND_LABELS
