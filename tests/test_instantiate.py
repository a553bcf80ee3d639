"""A rewrite prints only the statements it changed: the file must equal printing the whole module."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from repairbot.matching import instantiate
from repairbot.matching.candidates import suggest
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

SOURCE = '''import os
from typing import Any, Optional


# before the decorator
@staticmethod
# between decorator and def
def first(items: list, count: int) -> int:  # trailing
    # leading comment of the body
    total = 0; n = count
    for i in range(1, count):
        total = total + items[i]
        # block footer
    if total > LIMIT:
        out = total - 1
    elif total == 0 or n is None:
        out = (total +
               1)
    else:
        out = total
    return out.value


class Box(dict):
    size: Optional[int] = 3

    @property
    def area(self, extra: str = None):
        while self.size < 10 and extra != None:
            self.size = self.size + 1
        with open(self.path) as f:
            data = f.read()
        return self.size ** 2  # comment


def grow(box, delta):
\tif delta != None:
\t\tbox.size += delta


if LIMIT == None:
    @deco(LIMIT == None)
    async def inner(x: int = None):
        return x
    class Kind(object):
        pass


async def fetch(url: str = None):
    async with session.get(url) as r:
        return await r.json()


def last(a, b):
    result = pow(a, b)
    if result: return result
    return isinstance(a, str)
'''

PATTERNS = [compile_pattern(p) for p in builtin_patterns()]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_printing_only_the_changed_statements_gives_the_whole_modules_text(tmp_path: Path, newline: str,
                                                                            monkeypatch) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(SOURCE.replace("\n", newline).encode())
    fast = {"statements": 0, "headers": 0}
    for name, key in (("_respliced", "statements"), ("_reheaded", "headers")):
        real = getattr(instantiate, name)

        def counting(*args, _real=real, _key=key):
            got = _real(*args)
            fast[_key] += got is not None
            return got
        monkeypatch.setattr(instantiate, name, counting)
    lines = SOURCE.count("\n")
    quick = [[c.new_source for c in suggest(path, line, PATTERNS, 100)] for line in range(1, lines + 1)]
    monkeypatch.setattr(Target, "layout", lambda self: None)  # every rewrite prints the whole module
    slow = [[c.new_source for c in suggest(path, line, PATTERNS, 100)] for line in range(1, lines + 1)]
    for line, (a, b) in enumerate(zip(quick, slow), 1):
        assert a == b, f"line {line}"
    assert sum(map(len, quick)) > 100
    assert fast["statements"] > 50 and fast["headers"] > 10  # both quick paths ran, and agreed


def test_an_elif_header_falls_back_to_printing_the_module():
    target = Target.parse("if a:\n    pass\nelif b == None:\n    pass\n")
    elif_ = target.module.body[0].orelse
    stub = instantiate._header_only([elif_.with_changes(test=cst.Name("c"))], [elif_])
    assert stub is not None  # only the header changed ...
    assert instantiate._reheaded(target.module, stub, elif_, target.layout()) is None  # ... but it prints as `if`
