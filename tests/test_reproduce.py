"""A failing test rebuilt from a logged traceback (repairbot/validate/reproduce.py), and `fix
--trace` repairing a project whose tests all pass against it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import write_files

from repairbot.cli import main
from repairbot.validate.reproduce import build, exception_of

SHOP = {
    "shop/__init__.py": "",
    "shop/rates.py": 'RATES = {"EUR": 1.0, "USD": 1.1}\n\n\ndef rate(code):\n    found = RATES[code]\n'
                     "    return found or 1.0\n",
    "shop/app.py": textwrap.dedent("""\
        from shop.rates import rate

        DEFAULT = "GBP"


        def price_in(amount, code):
            return amount * rate(code)


        def handle(request):
            return price_in(10, DEFAULT)


        def handle_other(request):
            return price_in(request.amount, request.code)


        class Cart:
            def total(self, code):
                return self.sum * rate(code)
        """),
    "tests/conftest.py": "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n",
    "tests/test_rates.py": 'from shop.rates import rate\n\n\ndef test_euro():\n    assert rate("EUR") == 1.0\n\n\n'
                           'def test_dollar():\n    assert rate("USD") == 1.1\n',
}


def trace(*frames: tuple[str, int, str, str], exc: str = "KeyError: 'GBP'") -> str:
    """A traceback as a production log holds it: foreign paths, a logger prefix, 3.11 markers."""
    lines = ["2026-11-28 10:01:02,123 ERROR shop.app: request failed", "Traceback (most recent call last):"]
    for file, line, func, code in frames:
        lines += [f'  File "/srv/shop/{file}", line {line}, in {func}', f"    {code}", "    ~~~~^^^^"]
    return "\n".join([*lines, exc, ""])


CALLER = ("shop/app.py", 11, "handle", "return price_in(10, DEFAULT)")
INNER = ("shop/app.py", 7, "price_in", "return amount * rate(code)")
CRASH = ("shop/rates.py", 5, "rate", "found = RATES[code]")


def test_the_innermost_call_with_literal_arguments_is_rebuilt(tmp_path: Path) -> None:
    root = write_files(tmp_path, SHOP)
    made = build(root, trace(CALLER, INNER, CRASH))
    assert not isinstance(made, str), made
    assert made.call == "price_in(10, 'GBP')", "rate(code) is not literal; its caller's call is, via DEFAULT"
    assert made.exception == "KeyError" and made.path.startswith("tests/test_repairbot_trace_app_price_in_")
    assert "from shop.app import price_in" in made.source and "    price_in(10, 'GBP')" in made.source
    compile(made.source, made.path, "exec")


@pytest.mark.parametrize("frames,why", [
    ((("shop/app.py", 15, "handle_other", "return price_in(request.amount, request.code)"), INNER, CRASH),
     "its arguments are not literals"),
    ((("shop/app.py", 20, "total", "return self.sum * rate(code)"), CRASH), "its arguments are not literals"),
    ((("elsewhere/lib.py", 3, "run", "handle(req)"), ("shop/app.py", 11, "handle", "...")), "not in the project"),
    ((CRASH,), "fewer than two frames"),
])
def test_a_call_that_cannot_be_rebuilt_says_why(tmp_path: Path, frames, why: str) -> None:
    made = build(write_files(tmp_path, SHOP), trace(*frames))
    assert isinstance(made, str) and why in made


def test_the_logged_exception_is_read_past_markers_and_chains() -> None:
    text = trace(CALLER, CRASH, exc="shop.errors.RateError: no rate for 'GBP'")
    assert exception_of(text) == ("shop.errors.RateError", "no rate for 'GBP'")
    assert exception_of(trace(CALLER, CRASH, exc="")) == ("", "")


def test_fix_with_a_trace_and_no_failing_test_repairs_against_the_rebuilt_call(tmp_path: Path, capsys) -> None:
    root = write_files(tmp_path / "p", SHOP)
    log = tmp_path / "crash.log"
    log.write_text(trace(CALLER, INNER, CRASH))
    before = (root / "shop/rates.py").read_text()
    quick = ["--no-audit", "--jobs", "1", "--no-evidence"]  # the rebuilt test ships without the evidence step
    code = main(["fix", str(root), "--trace", str(log), "--format", "json", *quick])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["status"] == "fixed"
    test = doc["reproduction"]
    assert test.startswith("tests/test_repairbot_trace_") and [f["test"].split("::")[0] for f in doc["failures"]] == [test]
    assert "KeyError" in doc["failures"][0]["message"]
    top = doc["patches"][0]
    assert "+    found = RATES.get(code)" in top["diff"]
    assert top["tests"][0]["path"] == test and top["tests"][0]["reproduces"]
    assert (root / "shop/rates.py").read_text() == before and not (root / test).exists(), "nothing written"

    assert main(["fix", str(root), "--trace", str(log), "--format", "json", *quick, "--apply"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["applied"] and "RATES.get(code)" in (root / "shop/rates.py").read_text()
    assert (root / test).read_text() == top["tests"][0]["source"], "the rebuilt test ships with the patch"
    # the test is in the tree now, and passes: nothing to fix
    assert main(["fix", str(root), "--trace", str(log), "--no-audit"]) == 0
    err = capsys.readouterr()
    assert "is already in the project, and passes" in err.err and "nothing to fix" in err.out
    # without it the rebuilt call no longer fails either
    (root / test).unlink()
    assert main(["fix", str(root), "--trace", str(log), "--no-audit"]) == 0
    err = capsys.readouterr()
    assert "does not fail as logged (it passes)" in err.err and not (root / test).exists()
