"""The check's prefilter and --jobs change how much is parsed, never what is found.

Every comparison runs the same patterns over the same files twice, with the prefilter and
with the plain path (every file parsed whole by libcst), and wants identical findings, line
numbers, diffs and skips. The pattern set is broad on purpose: the shipped built-in templates,
all treated as precise (so none is left out), plus patterns mined from a fixture repository.
"""

from __future__ import annotations

import ast
import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repairbot.cli import main
from repairbot.deliver import check
from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.candidates import unified_diff
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern import store
from repairbot.types import Pattern

ROOT = Path(__file__).resolve().parents[1]


def as_precise(p: Pattern) -> Pattern:
    """A built-in template as if it were a learned pattern of precision 1 (so check uses it)."""
    return dataclasses.replace(p, origin="mined", scores=dataclasses.replace(p.scores, support=2, rejection=0.0))


# Built-in templates that match often but not everywhere ({h0} + {h1} would match every sum
# and make the plain path, the reference, slow), covering expressions, calls, subscripts,
# statement runs and new blocks.
_CHOSEN = {"lint", "none-guard", "lookup", "off-by-one", "wrap"}


@pytest.fixture(scope="module")
def broad_patterns(repos, tmp_path_factory) -> list[Pattern]:
    out = tmp_path_factory.mktemp("fast") / "inventory.json"
    assert main(["mine", str(repos["inventory"]), "--out", str(out), "--format", "json"]) == 0
    builtin = [as_precise(p) for p in store.load_many(store.library_paths())
               if not p.guard and p.category in _CHOSEN and "{h0} - {h1}" not in p.before]
    return builtin + store.load(out)


def both(root: Path, patterns: list[Pattern], **kw) -> tuple[tuple, check.CheckStats]:
    stats = check.CheckStats()
    fast = check.run_check(root, patterns, min_precision=0.5, stats=stats, **kw)
    plain = check.run_check(root, patterns, min_precision=0.5, prefilter=False, **kw)
    assert fast == plain
    return fast, stats


@pytest.fixture(scope="module")
def small_repos(repos, tmp_path_factory) -> dict[str, Path]:
    """The fixture repositories without their deliberately huge files (a 2.8 MB module the
    plain path, the reference here, takes most of a minute to match on a shared machine)."""
    out = {}
    for name, root in repos.items():
        dest = tmp_path_factory.mktemp("small") / name
        shutil.copytree(root, dest, ignore=shutil.ignore_patterns(".git"))
        for f in dest.rglob("*.py"):
            if f.stat().st_size > 200_000:
                f.unlink()
        out[name] = dest
    return out


def test_fixture_repositories_give_identical_findings(small_repos, broad_patterns):
    total = 0
    for _name, root in sorted(small_repos.items()):
        (findings, skips, n), stats = both(root, broad_patterns)
        total += len(findings)
        assert stats.files == n
    assert total > 20  # the comparison is about real findings, not empty lists


def test_own_source_tree_as_corpus_identical_and_mostly_unparsed(broad_patterns):
    """repairbot's own code (real Python, ~100 files) as a corpus: identical findings, and the
    prefilter leaves most files unparsed by libcst even with this broad pattern set."""
    (findings, _, n), stats = both(ROOT / "repairbot" / "mining", broad_patterns)
    assert findings and n > 5
    lint = [p for p in store.load_many(store.library_paths()) if p.category == "lint"]
    (_, _, n), lint_stats = both(ROOT / "repairbot", lint)
    assert n > 30
    assert lint_stats.untouched >= n // 2 and lint_stats.whole == 0 and lint_stats.units < n


def test_jobs_give_the_same_findings_in_the_same_order(small_repos, broad_patterns):
    root = small_repos["inventory"]
    one = check.run_check(root, broad_patterns, jobs=1)
    two = check.run_check(root, broad_patterns, jobs=2)
    assert one == two and one[0]


NESTED = '''\
import os


class Store:
\t"""Tabs for indentation: new blocks must use them too."""

\tdef total(self, items):
\t\tdef inner(x):
\t\t\tif x == None:
\t\t\t\treturn 0
\t\t\treturn x.price
\t\treturn sum(inner(i) for i in items)

\t@property
\tdef name(self):
\t\tvalue = self.record.name; other = 1
\t\treturn value

x = 1; y = x == None
\x0c
def last(a, b):
\treturn a.b
'''


def test_nested_tabs_semicolons_and_form_feeds(tmp_path, broad_patterns):
    (tmp_path / "mod.py").write_text(NESTED)
    (findings, _, _), stats = both(tmp_path, broad_patterns)
    lines = {f.line for f in findings}
    assert {9, 11, 19, 22} <= lines
    guard = [f for f in findings if f.line == 11 and "is None" in f.diff]
    assert guard and "+\t\t\tif x is None:\n+\t\t\t\treturn None\n" in guard[0].diff
    assert stats.regions == 1  # findings made from regions, not from a whole-file parse


def test_base_reads_only_changed_files_and_matches_only_changed_units(copy_repo):
    project = copy_repo("textkit")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    mod = project / "textkit" / "fresh.py"
    mod.write_text("def old(x):\n    return x == None\n\n\ndef new(x):\n    return x\n")
    (project / "textkit" / "broken.py").write_bytes(b"x = '\xff'\n")  # not UTF-8: a skip if read
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=project, check=True)
    mod.write_text("def old(x):\n    return x == None\n\n\ndef new(x):\n    if x == None:\n        return 0\n    return x\n")
    lint = [p for p in store.load_many(store.library_paths()) if p.category == "lint"]
    stats = check.CheckStats()
    findings, skips, n = check.run_check(project, lint, base="HEAD", stats=stats)
    assert n == 1 and not skips
    assert [(f.file, f.line) for f in findings] == [("textkit/fresh.py", 6)]
    assert stats.units == 1  # `old` (unchanged, same bug) is not even parsed
    assert check.run_check(project, lint, base="HEAD", prefilter=False) == (findings, skips, n)


def test_base_finds_a_module_level_run_that_starts_in_an_unchanged_statement(tmp_path):
    """A two-statement pattern at module level, only its second statement changed: the match
    covers a changed line, so it is reported, though the first statement's unit is unchanged."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    guard = next(p for p in store.load_many(store.library_paths()) if p.category == "none-guard" and not p.guard)
    run = as_precise(dataclasses.replace(guard, before="a = {h0}\nb = {h0}\n",
                                         after="a = {h0}\nb = {h0}\nc = {h0}\n", context=None))
    (tmp_path / "m.py").write_text("import os\n\na = x\nb = y\n\n\ndef f():\n    pass\n")
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    (tmp_path / "m.py").write_text("import os\n\na = x\nb = x\n\n\ndef f():\n    pass\n")
    fast = check.run_check(tmp_path, [run], base="HEAD")
    assert [(f.line, f.end_line) for f in fast[0]] == [(3, 4)]
    assert fast == check.run_check(tmp_path, [run], base="HEAD", prefilter=False)


# ------------------------------------------------------------------ generated modules

_EXPRS = ["a == None", "a != None", "b.c", "d[k]", "f(a, b)", "range(n)", "a - b", "a + 1", "not c", "a < b",
          "map(f, xs)", "a or b", "x is None", "''", "len(xs)", "(a ==\n        None)"]
_SIMPLE = ["y = {e}", "return {e}", "{e}", "assert {e}", "y = {e}; z = 2", "data = None", "import os", "pass",
           "y += {e}"]
_COMPOUND = ["if {e}:", "while {e}:", "for i in {e}:", "with {e} as w:", "try:"]


@st.composite
def modules(draw) -> str:
    ind = draw(st.sampled_from(["    ", "  ", "\t"]))

    def simple() -> str:
        return draw(st.sampled_from(_SIMPLE)).format(e=draw(st.sampled_from(_EXPRS)))

    def block(depth: int, level: int) -> list[str]:
        out: list[str] = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.integers(0, 5 if depth < 2 else 1))
            pad = ind * level
            if kind <= 1:
                out.append(pad + simple())
            elif kind == 2:
                head = draw(st.sampled_from(_COMPOUND)).format(e=draw(st.sampled_from(_EXPRS)))
                out.append(pad + head)
                out += block(depth + 1, level + 1)
                if head == "try:":
                    out += [pad + "except E:"] + block(depth + 1, level + 1)
            elif kind == 3:
                if draw(st.booleans()):
                    out.append(pad + "@deco(" + draw(st.sampled_from(_EXPRS)).replace("\n", " ") + ")")
                out.append(pad + f"def g{depth}(a, b=None):")
                out += block(depth + 1, level + 1)
            elif kind == 4:
                out.append(pad + "class C(Base):")
                out.append(pad + ind + "def m(self):")
                out += block(depth + 2, level + 2)
            else:
                out.append(pad + draw(st.sampled_from(["# note", "", "\x0c"])))
                out.append(pad + simple())
        return out

    lines = block(0, 0)
    text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n") if draw(st.integers(0, 9)) == 0 else text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=modules())
def test_generated_modules_identical_with_and_without_prefilter(source, tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    (root / "m.py").write_text(source, newline="")
    patterns = [as_precise(p) for p in store.load_many(store.library_paths()) if not p.guard]
    both(root, patterns)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["assert", "assert ", "assert\t", "assert \\\n    ", "assert \\\r\n    ", "assert ("]),
       st.sampled_from(["(x, 'm')", "(x,)", "(x), 'm'", "x == (1, 2)", "(x, 'm')  # (y, z)"]),
       st.sampled_from(["\n", "\r\n"]))
def test_a_tuple_assert_is_found_in_every_layout_the_prefilter_allows(tmp_path_factory, head, rest, newline):
    """The prefilter's one phrase (`assert` then `(`, across blanks and line continuations)."""
    lint = [p for p in store.load_many(store.library_paths()) if p.name == "assert on a tuple"]
    root = tmp_path_factory.mktemp("asserts")
    code = f"def f(x):\n    {head}{rest}{')' if head.endswith('(') else ''}\n    return x\n".replace("\n", newline)
    try:
        compile(code, "m.py", "exec")
    except SyntaxError:
        return
    (root / "m.py").write_bytes(code.encode())
    (findings, _, _), _ = both(root, lint)
    pairs = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Assert) and isinstance(n.test, ast.Tuple)
             and len(n.test.elts) == 2]  # (`assertx == (1, 2)` is no assert at all)
    assert bool(findings) == bool(pairs), "a pair, however laid out"


_FSTRINGS = st.sampled_from(['f"abc"', "F'a b'", 'rf"\\d{{3}}"', 'f"a{x}"', 'f"{x!r:>{w}}"', 'f"""a\nb"""',
                             'f"""{x}"""', 'f"a\\"{x}"', "'f'", '"{x}"', "b'f'", 'f"a" f"{x}"', 'f"a" "b"'])
_PLATFORMS = st.sampled_from(["os.name", "os .name", "os. name", "(os\n    .name)", "(os  # c\n    .name)",
                              "sys.platform", "platform.system()", "platform . system ( )", "name", "os.sep"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_FSTRINGS, min_size=1, max_size=3), _PLATFORMS, st.sampled_from(["'NT'", "'nt'", "'Windows'"]),
       st.sampled_from(["\n", "\r\n"]))
def test_procedural_lints_find_the_same_with_and_without_prefilter(tmp_path_factory, strings, test, value, nl):
    """The two procedural lints (F541, platform values) are prefiltered by their phrases
    (needs.GUARD_NEEDS): in every layout those allow, both paths report the same, and report."""
    lint = [p for p in store.load_many(store.library_paths()) if p.guard in ("needless_fstring", "platform_name")]
    root = tmp_path_factory.mktemp("guards")
    code = ("import os, sys, platform\nx = w = 1\n\n\ndef f():\n    return [" + ", ".join(strings) + "]\n\n\n"
            f"if {test} == {value}:\n    pass\n").replace("\n", nl)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    (root / "m.py").write_bytes(code.encode())
    (findings, _, _), _ = both(root, lint)
    fieldless = [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
                 and not any(isinstance(v, ast.FormattedValue) for v in n.values)]
    spelt = "".join(test.split("#")[0].split()) + (".name)" if "#" in test else "")
    valid = {"(os.name)": "'nt'", "os.name": "'nt'", "platform.system()": "'Windows'"}  # of the three values
    wrong = spelt.strip("()") in ("os.name", "sys.platform", "platform.system") or spelt == "platform.system()"
    wrong = wrong and value != valid.get(spelt.strip("()") if spelt != "platform.system()" else spelt, "")
    assert {f.name for f in findings} == ({"an f-string without a field"} if fieldless else set()) | \
        ({"a platform test against a value it never takes"} if wrong else set())


_ENDS = st.sampled_from(["a message", "said \\\"hi\\\"", "it's 'x'", "ends ", "tab\\t", "&#39;", "a {b}", "1.0"])
_STARTS = st.sampled_from(["the end.", " spaced", "1.0", "next words", "{b} then"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(st.sampled_from(["", "f", "u", "b"]), st.sampled_from(["'", '"']), _ENDS),
       st.tuples(st.sampled_from(["", "f", "u", "b"]), st.sampled_from(["'", '"']), _STARTS),
       st.sampled_from([" ", "\n        ", " \\\n        ", "  # note\n        ", "\n\n        "]))
def test_a_missing_space_is_found_with_and_without_prefilter(tmp_path_factory, left, right, gap):
    """The missing-space lint's phrase (needs.GUARD_NEEDS) in every layout of a join."""
    lint = [p for p in store.load_many(store.library_paths()) if p.guard == "missing_space"]
    root = tmp_path_factory.mktemp("joins")
    code = "b = 1\n\n\ndef f():\n    return (" + gap.join(f"{pre}{q}{text}{q}" for pre, q, text in (left, right)) + ")\n"
    try:
        ast.parse(code)
    except SyntaxError:
        return
    (root / "m.py").write_text(code)
    (findings, _, _), _ = both(root, lint)
    expected = {r.new_source for r in rewrites(Target.parse(code), [compile_pattern(lint[0])])
                if isinstance(r, Applied)}
    assert {f.diff for f in findings} == {unified_diff("m.py", code, s) for s in expected}
