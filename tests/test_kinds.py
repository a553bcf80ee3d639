"""fix_kind: each Getafix-style fix category on small before/after statements."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repairbot.pattern.kinds import KINDS, fix_kind

CASES = [
    ("x = total / count\n", "x = total / amount\n", "identifier"),
    ("x = self.name\n", "x = self.title\n", "identifier"),
    ("ok = i < n\n", "ok = i <= n\n", "operator"),
    ("y = a + b\n", "y = a - b\n", "operator"),
    ("ok = a and b\n", "ok = a or b\n", "operator"),
    ("x = 1\n", "x = 2\n", "literal"),
    ("x = 'a'\n", "x = \"b\"\n", "literal"),
    ("flag = True\n", "flag = False\n", "literal"),
    ("s = f'{a}-'\n", "s = f'{a}:'\n", "literal"),
    ("f(a)\n", "f(a, b)\n", "call_args_count"),
    ("f(a, b, c)\n", "f(a, b)\n", "call_args_count"),
    ("y = pow(b, e)\n", "y = pow(e, b)\n", "swapped_args"),
    ("y = obj.load(path)\n", "y = obj.loads(path)\n", "function_name"),
    ("y = load(path)\n", "y = read(path)\n", "function_name"),
    ("y = items\n", "y = list(items)\n", "call_wrap"),
    ("n = f(x)\n", "n = int(f(x))\n", "call_wrap"),
    ("s = name\n", "s = name.strip()\n", "call_wrap"),
    ("if a:\n    go()\n", "if a and b:\n    go()\n", "if_condition"),
    ("if a or b:\n    go()\n", "if a:\n    go()\n", "if_condition"),
    ("x.close()\n", "if x is not None:\n    x.close()\n", "none_guard"),
    ("n = u.name\n", "n = u.name if u is not None else None\n", "none_guard"),
    ("f(a, mode='r')\n", "f(a, mode='rb')\n", "keyword_arg"),
    ("f(a, mode='r')\n", "f(a, flags='r')\n", "keyword_arg"),
    ("x = 1\n", "del x\n", "other"),
]


@pytest.mark.parametrize(("before", "after", "kind"), CASES)
def test_fix_kind(before: str, after: str, kind: str) -> None:
    assert fix_kind(before, after) == kind


def test_formatting_only_or_unparsable_is_other() -> None:
    assert fix_kind("x = (1)\n", "x = 1  # same\n") == "other"
    assert fix_kind("x = = 1\n", "x = 1\n") == "other"


def test_expressions_are_accepted_too() -> None:
    assert fix_kind("a < b", "a <= b") == "operator"


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_text_gives_a_known_kind(before: str, after: str) -> None:
    assert fix_kind(before, after) in KINDS
