"""Bug patterns that linters name, as templates: category "lint", so `repairbot check` flags them
(all but the pairs below that say why not).

Each is a statement that runs without error and does not do what it says, so a test may not
catch it: an assert that can never fail, a comparison whose result is thrown away, a regex
flag passed where the count goes, a list sorted in place whose `None` is kept.
"""

from __future__ import annotations

from repairbot.pattern.ops import Op, S

LINTS: tuple[Op, ...] = (
    # pyflakes F631 / pylint W0199: a non-empty tuple is always true
    Op("assert on a tuple", "lint", "assert ({h0}, {h1})\n", "assert {h0}, {h1}\n",
       ("assert (n > 0, 'n must be positive')\n", "assert n > 0, 'n must be positive'\n"), S, codes=("F631",)),
    # flake8-bugbear B015 / pylint W0104: a comparison as a statement, meant as an assignment or
    # (in a test) an assertion. Which one the template cannot tell, so neither is a "lint": `check`
    # would report the line twice, once with the wrong fix; `fix` and `suggest` rank both.
    Op("assignment for a pointless comparison", "operator", "{h0} == {h1}\n", "{h0} = {h1}\n",
       ("def reset(self):\n    self.count == 0\n", "def reset(self):\n    self.count = 0\n"), S, codes=("B015",)),
    Op("assert for a pointless comparison", "operator", "{h0} == {h1}\n", "assert {h0} == {h1}\n",
       ("def test_size(box):\n    box.size == 3\n", "def test_size(box):\n    assert box.size == 3\n"), S,
       codes=("B015",)),
    # flake8-bugbear B034: the fourth positional argument of re.sub is count, not flags
    Op("re.sub flags by keyword", "lint", "re.sub({h0}, {h1}, {h2}, re.{h3})",
       "re.sub({h0}, {h1}, {h2}, flags=re.{h3})",
       ("s = re.sub(r'\\s+', ' ', s, re.M)\n", "s = re.sub(r'\\s+', ' ', s, flags=re.M)\n"), codes=("B034",)),
    Op("re.subn flags by keyword", "lint", "re.subn({h0}, {h1}, {h2}, re.{h3})",
       "re.subn({h0}, {h1}, {h2}, flags=re.{h3})",
       ("s, n = re.subn('a', 'b', s, re.I)\n", "s, n = re.subn('a', 'b', s, flags=re.I)\n"), codes=("B034",)),
    Op("re.split flags by keyword", "lint", "re.split({h0}, {h1}, re.{h2})", "re.split({h0}, {h1}, flags=re.{h2})",
       ("parts = re.split(',', s, re.I)\n", "parts = re.split(',', s, flags=re.I)\n"), codes=("B034",)),
    # pylint E1111 (assignment-from-none): list.sort() sorts in place and returns None. Not a
    # "lint" either: the tokens a match needs (`sort`, `=`) are in every `xs.sort(key=...)`, so
    # `check`'s prefilter would parse most functions for it (tests/test_check_fast.py measures it)
    Op("sorted() for an assigned sort()", "return", "{h0} = {h1}.sort()\n", "{h0} = sorted({h1})\n",
       ("names = names.sort()\n", "names = sorted(names)\n"), S),
    Op("sorted() for a returned sort()", "return", "return {h0}.sort()\n", "return sorted({h0})\n",
       ("def ordered(xs):\n    return xs.sort()\n", "def ordered(xs):\n    return sorted(xs)\n"), S),
    # pycodestyle E713 / E714: `not x in y` reads as the membership test it means only by luck of
    # precedence; `x not in y` says it, and `not x is y` is `x is not y`. Not "lint"s: `check`'s
    # token prefilter would parse nearly every file for them (`not` and `in` are everywhere)
    Op("not in for not ... in", "comparison", "not {h0} in {h1}", "{h0} not in {h1}",
       ("if not key in seen: ...\n", "if key not in seen: ...\n"), codes=("E713",)),
    Op("is not for not ... is", "comparison", "not {h0} is {h1}", "{h0} is not {h1}",
       ("if not value is None: ...\n", "if value is not None: ...\n"), codes=("E714",)),
    # pycodestyle E721: types are compared by identity; `==` calls a metaclass's __eq__. Not a
    # "lint" either: `type` and `==` share many functions (tests/test_check_fast.py measures it)
    Op("is for type() == type()", "comparison", "type({h0}) == type({h1})", "type({h0}) is type({h1})",
       ("if type(self) == type(other): ...\n", "if type(self) is type(other): ...\n"), codes=("E721",)),
    Op("is not for type() != type()", "comparison", "type({h0}) != type({h1})", "type({h0}) is not type({h1})",
       ("if type(self) != type(other): ...\n", "if type(self) is not type(other): ...\n"), codes=("E721",)),
    # flake8-bugbear B004: hasattr(x, '__call__') is wrong for objects that define __getattr__
    Op("callable() for hasattr __call__", "lint", "hasattr({h0}, '__call__')", "callable({h0})",
       ("if hasattr(f, '__call__'): ...\n", "if callable(f): ...\n"), codes=("B004",)),
)
