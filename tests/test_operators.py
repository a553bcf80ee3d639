"""Procedural operators (integer literal +/- 1, similar name in scope), alone and in `fix`."""

from __future__ import annotations

import json

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
