"""Prediction parses only the region around the flagged lines: same candidates as the whole file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from repairbot.matching.candidates import suggest
from repairbot.matching.match import Target, compile_pattern
from repairbot.matching.region import find_region
from repairbot.pattern.builtin import builtin_patterns

SOURCE = '''"""Module docstring."""
import os
from collections import OrderedDict

LIMIT = 10
names = [n for n in os.listdir(".") if n]


@staticmethod
def first(items, count):
    total = 0
    for i in range(1, count):
        total = total + items[i]
    out = total - 1
    return out.value


class Box(OrderedDict):
    size = 3
    label = "box"

    def grow(self, delta):
        if self.size < LIMIT and delta != None:
            self.size = self.size + delta
        value = self.size * 2

    @property
    def area(self):
        return self.size ** 2  # comment

    kind = "square"


if LIMIT:
    try:
        pass
    except ValueError:
        class Inner:
            def deep(self, n):
                return n - 1 < LIMIT


def last(a, b):
    result = pow(a, b)
'''

PATTERNS = [compile_pattern(p) for p in builtin_patterns()]


@pytest.fixture
def module_file(tmp_path: Path) -> Path:
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    return path


def _whole(path: Path, line: int) -> list[str]:
    target = Target.read(path)
    from repairbot.matching import candidates
    saved = Target.read_around
    try:
        Target.read_around = classmethod(lambda cls, p, lines: target)  # type: ignore[method-assign]
        return [c.new_source for c in candidates.suggest(path, line, PATTERNS, 100)]
    finally:
        Target.read_around = saved  # type: ignore[method-assign]


def test_every_line_gives_the_same_candidates_as_the_whole_file(module_file: Path) -> None:
    n_lines = SOURCE.count("\n")
    seen_any = 0
    for line in range(1, n_lines + 1):
        region = [c.new_source for c in suggest(module_file, line, PATTERNS, 100)]
        assert region == _whole(module_file, line), f"line {line}"
        seen_any += bool(region)
    assert seen_any > 10  # the comparison is not vacuous


def test_regions_are_small_and_keep_methods_in_a_stand_in_class() -> None:
    tree = ast.parse(SOURCE)
    line = SOURCE.splitlines().index("            self.size = self.size + delta") + 1
    r = find_region(SOURCE, [line], tree)
    assert r is not None and r.depth == 1 and r.text.startswith("class _:\n    def grow")
    assert r.prefix + r.text.split("\n", 1)[1] + r.suffix == SOURCE
    top = SOURCE.splitlines().index("    result = pow(a, b)") + 1
    r = find_region(SOURCE, [top], tree)
    assert r is not None and not r.wrapped and r.at_end and r.text.startswith("def last")
    deep = SOURCE.splitlines().index("                return n - 1 < LIMIT") + 1
    r = find_region(SOURCE, [deep], tree)
    assert r is not None and r.depth == 3 and r.text.splitlines()[3] == "            def deep(self, n):"
    assert find_region(SOURCE, [7], tree) is None  # a blank line: the whole file decides
    # a statement of a class body, not in a method: only that statement, in a stand-in class
    label = SOURCE.splitlines().index('    label = "box"') + 1
    r = find_region(SOURCE, [label], tree)
    assert r is not None and r.text == 'class _:\n    label = "box"\n' and not r.at_end
    kind = SOURCE.splitlines().index('    kind = "square"') + 1
    r = find_region(SOURCE, [kind], tree)
    assert r is not None and r.text == 'class _:\n    kind = "square"\n' and r.at_end


def test_top_k_writes_only_what_ranks_and_equals_the_full_ranking(module_file: Path) -> None:
    from repairbot.matching.candidates import generate
    from repairbot.pattern import store
    from repairbot.types import Location

    patterns = [compile_pattern(p) for p in store.load_many(store.library_paths())]
    compared = 0
    for line in range(1, SOURCE.count("\n") + 1):
        loc = [Location(module_file.name, line, 1.0, ("flagged",))]
        full = generate(module_file.parent, loc, patterns).candidates
        for k in (1, 3, 5):
            assert generate(module_file.parent, loc, patterns, top=k).candidates[:k] == full[:k], (line, k)
        compared += len(full) > 5
    assert compared >= 3  # lines with more candidates than the largest cut


def test_the_fast_walk_visits_what_ast_walk_visits_in_the_same_order():
    """`region.scan` relies on it: the first `def` of a name wins, occurrences keep their order."""
    import ast
    from pathlib import Path

    from repairbot.matching.region import walk_ast

    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "repairbot").rglob("*.py")) + sorted((root / "tests").rglob("test_*.py"))
    assert len(files) > 50
    for f in files:
        tree = ast.parse(f.read_text("utf-8"))
        assert [id(n) for n in walk_ast(tree)] == [id(n) for n in ast.walk(tree)], f
