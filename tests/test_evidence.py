"""Generated regression tests and differential testing (original vs patched, hypothesis inputs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import write_files as make

from repairbot.cli import main
from repairbot.localize.runner import run_pytest
from repairbot.types import Candidate
from repairbot.validate import evidence
from repairbot.validate.validator import Baseline

# Weak tests: both `abs(a - b)` (the fix) and `b - a` (overfitted to the failing input) pass them.
DISTANCE = {
    "calc/__init__.py": "",
    "calc/geo.py": '''
        def distance(a: int, b: int) -> int:
            """How far apart two points on a line are."""
            return a - b
        ''',
    "tests/test_geo.py": '''
        from calc.geo import distance


        def test_distance_forward():
            assert distance(2, 5) == 3


        def test_distance_same_point():
            assert distance(4, 4) == 0
        ''',
}


def candidate(root: Path, rel: str, old: str, new: str, fp: str) -> Candidate:
    src = (root / rel).read_text()
    line = src[: src.index(old)].count("\n") + 1
    return Candidate("p", rel, line, src, src.replace(old, new, 1), "", 0.5, 1.0, fp)


def baseline(root: Path) -> Baseline:
    run = run_pytest(root, [], coverage=True, per_test_timeout=30)
    return Baseline.from_run(run, set(), sys.executable)


def test_differential_tells_the_fix_from_the_overfitted_patch(tmp_path):
    root = make(tmp_path, DISTANCE)
    base = baseline(root)
    assert base.failing == ("tests/test_geo.py::test_distance_forward",)
    fix = candidate(root, "calc/geo.py", "return a - b", "return abs(a - b)", "f" * 16)
    overfit = candidate(root, "calc/geo.py", "return a - b", "return b - a", "e" * 16)
    found = evidence.collect(root, [fix, overfit], base, sys.executable, inputs=80)
    d_fix, tests_fix = found[fix.fingerprint]
    d_over, _ = found[overfit.fingerprint]
    assert d_fix.function == "distance" and d_fix.inputs >= 40 and d_over.inputs == d_fix.inputs
    assert d_fix.failing_inputs == 1 and d_fix.failing_changed == 1  # the failing call is meant to change
    # abs() changes only inputs with a < b; swapping changes every input with a != b.
    assert d_over.change_share > d_fix.change_share + 0.25
    assert d_fix.agree > 0 and d_fix.new_errors == d_over.new_errors == 0
    [gen] = tests_fix
    assert gen.reproduces and gen.path == "tests/test_repairbot_geo_ffffffff.py"
    assert "assert distance(a=2, b=5) == 3" in gen.source
    assert not (root / gen.path).exists(), "evidence is gathered in a copy, never in the tree"


def test_fix_ranks_the_fix_above_the_overfitted_patch_and_says_why(tmp_path, capsys):
    root = make(tmp_path, DISTANCE)
    code = main(["fix", str(root), "--format", "json", "--jobs", "2", "--top", "10"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    by_line = {next(ln[1:].strip() for ln in p["diff"].splitlines() if ln.startswith("+") and
                    not ln.startswith("+++")): p for p in doc["patches"]}
    assert {"return abs(a - b)", "return b - a"} <= set(by_line)
    fix, over = by_line["return abs(a - b)"], by_line["return b - a"]
    assert fix["rank"] < over["rank"] and fix["confidence"] > over["confidence"]
    assert any(e.startswith("behaviour") and "more than the least-changing" in e for e in over["explanation"])
    assert fix["tests"] and fix["tests"][0]["reproduces"]


def test_patch_that_raises_on_new_inputs_is_flagged(tmp_path):
    root = make(tmp_path, {
        "m.py": '''
            def ratio(part: int, whole: int) -> float:
                if whole == 0:
                    return 0.0
                return part / whole
            ''',
        "tests/test_m.py": "from m import ratio\n\ndef test_half():\n    assert ratio(1, 2) == 0.5\n",
    })
    base = baseline(root)
    risky = candidate(root, "m.py", "if whole == 0:", "if whole == -1:", "d" * 16)
    d, _ = evidence.collect(root, [risky], base, sys.executable, inputs=120)[risky.fingerprint]
    assert d.new_errors >= 1 and d.error_share > 0
    assert any("now raises ZeroDivisionError" in e for e in d.examples)


def test_behaviour_is_compared_including_mutated_arguments(tmp_path):
    root = make(tmp_path, {
        "m.py": '''
            def push(items: list[int], x: int) -> None:
                items.append(x)
            ''',
        "tests/test_m.py": "from m import push\n\ndef test_push():\n    xs = []\n    push(xs, 1)\n    assert xs == [1]\n",
    })
    base = baseline(root)
    c = candidate(root, "m.py", "items.append(x)", "items.insert(0, x)", "c" * 16)
    d, _ = evidence.collect(root, [c], base, sys.executable, inputs=60)[c.fingerprint]
    assert d.differ > 0, "same return value (None) but a different effect on the argument"


@pytest.mark.parametrize("files, line, why", [
    ({"m.py": "X = 1\nY = X + 1\n"}, 2, "not inside a function"),
    ({"m.py": "def outer():\n    def inner():\n        return 1\n    return inner\n"}, 3, "nested function"),
    ({"m.py": "async def f():\n    return 1\n"}, 2, "coroutine"),
    ({"my-mod.py": "def f():\n    return 1\n"}, 2, "not importable"),
])
def test_targets_that_cannot_be_run_are_skipped_with_a_reason(tmp_path, files, line, why):
    root = make(tmp_path, files)
    rel = next(iter(files))
    src = (root / rel).read_text()
    c = Candidate("p", rel, line, src, src, "", 0.5, 1.0, "b" * 16)
    target = evidence.target_of(c)
    assert isinstance(target, str) and why in target


def test_method_targets_use_the_class_qualname(tmp_path):
    src = "class Cart:\n    def total(self):\n        return 1\n"
    c = Candidate("p", "src/shop/cart.py", 3, src, src, "", 0.5, 1.0, "a" * 16)
    t = evidence.target_of(c)
    assert isinstance(t, evidence.Target) and (t.module, t.qualname) == ("shop.cart", "Cart.total")


def test_compare_counts_failing_inputs_apart():
    before = [{"origin": "failing", "status": "ok", "repr": "1", "after": ""},
              {"origin": "generated", "status": "ok", "repr": "2", "after": ""},
              {"origin": "generated", "status": "ok", "repr": "3", "after": ""},
              {"origin": "passing", "status": "raise", "repr": "KeyError", "after": ""}]
    after = [{"origin": "failing", "status": "ok", "repr": "9", "after": ""},
             {"origin": "generated", "status": "ok", "repr": "2", "after": ""},
             {"origin": "generated", "status": "raise", "repr": "TypeError", "after": ""},
             {"origin": "passing", "status": "raise", "repr": "KeyError", "after": ""}]
    d = evidence.compare("f", before, after)
    assert (d.inputs, d.agree, d.differ, d.new_errors, d.failing_inputs, d.failing_changed) == (3, 2, 0, 1, 1, 1)
    assert d.change_share == pytest.approx(1 / 3)
