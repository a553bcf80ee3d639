"""Token replacements mined from whole histories (repairbot/mining/replacements.py) and the
operator that proposes them (repairbot/matching/replacements.py)."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching import replacements as op
from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.mining.replacements import (
    END,
    START,
    Change,
    ProjectChanges,
    change_of,
    from_json,
    line_pairs,
    merge,
    mine,
    to_json,
)
from repairbot.pattern.builtin import builtin_patterns
from repairbot.pattern.store import library_paths

OP = next(compile_pattern(p) for p in builtin_patterns() if p.guard == "learned_replacement")


def test_a_line_change_is_its_one_run_of_tokens_with_the_tokens_around_it():
    assert change_of("    except Exception as e:", "    except BaseException as e:") == \
        Change(("Exception",), ("BaseException",), "BaseException", "except", "as")
    assert change_of("class A(object):", "class A:") == Change(("(", "object", ")"), (), "", "A", ":")
    assert change_of("x = text_type(y)", "x = str(y)").left == "="
    assert change_of("while True:", "while 1:") == Change(("True",), ("1",), "1", "while", ":")
    assert change_of("f(a)", "f(a, b)") is None  # nothing taken away: an insertion has no old side
    assert change_of("x = 1", "y = 2") is None  # two runs
    assert change_of("log('a')", "log('b')") is None  # text is the project's own
    assert change_of("a = b + c + d + e", "a = f(g(h(i)))") is None  # longer than MAX_SPAN
    c = change_of("x = dict.keys()", "x = list(dict)")
    assert c is None or len(c.old) <= 3
    assert change_of("return x", "return y").right == END and change_of("x = 1", "y = 1").left == START


def test_diff_lines_pair_only_hunks_that_replace_lines_one_for_one_outside_vendored_copies():
    diff = """@@COMMIT aaa
diff --git a/pkg/m.py b/pkg/m.py
--- a/pkg/m.py
+++ b/pkg/m.py
@@ -3 +3 @@ def f():
-    return xrange(3)
+    return range(3)
@@ -9,2 +9 @@
-a = 1
-b = 2
+c = 3
diff --git a/pkg/_vendor/six.py b/pkg/_vendor/six.py
--- a/pkg/_vendor/six.py
+++ b/pkg/_vendor/six.py
@@ -1 +1 @@
-x = xrange
+x = range
@@COMMIT bbb
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1 +1 @@
-import StringIO
+import io
"""
    assert list(line_pairs(diff.splitlines(keepends=True))) == [
        ("aaa", "    return xrange(3)", "    return range(3)"), ("bbb", "import StringIO", "import io")]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def _history(tmp: Path, name: str, steps: list[str]) -> Path:
    repo = tmp / name
    repo.mkdir()
    _git(repo, "init", "-q")
    for i, code in enumerate(steps):
        (repo / "m.py").write_text(code)
        _git(repo, "add", "m.py")
        _git(repo, "commit", "-qm", f"step {i}")
    return repo


def test_replacements_made_in_two_projects_are_kept_with_context_and_provenance(tmp_path: Path):
    before = "try:\n    run()\nexcept Exception as e:\n    log(e)\n"
    after = before.replace("except Exception", "except BaseException")
    a = _history(tmp_path, "a", [before, after, after + "x = 1\n", after + "x = 2\n"])
    b = _history(tmp_path, "b", [before + "y = 0\n", after + "y = 0\n", after + "y = 1\n"])
    c = _history(tmp_path, "c", ["z = 1\n", "z = 2\n"])
    projects = {name: ProjectChanges().add(mine(str(repo), "HEAD")) for name, repo in
                (("o/a", a), ("o/b", b), ("o/c", c))}
    table, changed = merge(projects)
    by = {(r.old, r.new): r for r in table}
    r = by[(("Exception",), ("BaseException",))]
    assert dict(r.projects) == {"o/a": 1, "o/b": 1}
    assert {(x[0], x[1]) for x in r.contexts} == {("except", "as")}
    assert len(r.commits) == 2 and all("@" in x for x in r.commits)
    assert dict(by[(("1",), ("2",))].projects) == {"o/a": 1, "o/c": 1}  # `x = 1` -> 2 and `z = 1` -> 2
    assert (("0",), ("1",)) not in by and ("0",) not in changed  # o/b alone
    assert changed[("1",)] == {"o/a": 1, "o/c": 1}
    assert json.loads(json.dumps(to_json(table, changed, ["o/a@x"], 2, 2))) and \
        from_json(to_json(table, changed, [], 2, 2)) == (table, changed)


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A small replacements file in place of the shipped one."""
    def write(rows: list[dict]) -> None:
        path = tmp_path / "replacements.json"
        changed: dict = {}
        for r in rows:
            for p, n in r["projects"].items():
                changed.setdefault(tuple(r["old"]), {}).setdefault(p, 0)
                changed[tuple(r["old"])][p] += n
        path.write_text(json.dumps({"replacements": rows, "changed": [[list(k), v] for k, v in changed.items()]}))
        monkeypatch.setattr(op, "PATH", path)
        op.load.cache_clear()
    yield write
    op.load.cache_clear()
    op.leave_out(None)


EXC = {"old": ["Exception"], "new": ["BaseException"], "text": "BaseException", "projects": {"o/a": 2, "o/b": 1},
       "contexts": [["except", "as", "o/a", 2], ["except", "as", "o/b", 1]], "commits": ["o/a@1"]}
OBJ = {"old": ["(", "object", ")"], "new": [], "text": "", "projects": {"o/a": 3, "o/c": 2},
       "contexts": [["A", ":", "o/a", 1], ["Base", ":", "o/c", 2]], "commits": ["o/a@2"]}


def _new(code: str, lines: set[int]) -> list[str]:
    out = [r for r in rewrites(Target.parse(code), [OP], lines) if isinstance(r, Applied)]
    return [r.new_source for r in sorted(out, key=lambda r: -r.weight)]


def test_a_replacement_is_proposed_where_its_context_agrees_and_nowhere_else(table):
    table([EXC, OBJ])
    code = "try:\n    run()\nexcept Exception as e:\n    raise Exception(e)\nclass Base(object):\n    pass\n"
    assert _new(code, {3}) == [code.replace("except Exception", "except BaseException")]
    assert _new(code, {4}) == []  # `raise Exception(`: not where the projects replaced it
    assert _new(code, {5}) == [code.replace("class Base(object):", "class Base:")]
    assert _new("except_ = Exception\n", {1}) == []


def test_leaving_a_project_out_drops_what_only_it_and_one_other_support(table):
    table([EXC])
    code = "try:\n    run()\nexcept Exception as e:\n    pass\n"
    assert _new(code, {3})
    op.leave_out("o/b")
    assert _new(code, {3}) == []  # o/a alone is one project
    op.leave_out("o/x")
    assert _new(code, {3})


def test_a_deletion_takes_the_blank_before_it_when_a_bracket_or_colon_follows(table):
    table([{"old": ["as", "e"], "new": [], "text": "", "projects": {"o/a": 1, "o/b": 1},
            "contexts": [["Exception", ":", "o/a", 1]], "commits": []}])
    assert _new("try:\n    f()\nexcept Exception as e:\n    pass\n", {3}) == \
        ["try:\n    f()\nexcept Exception:\n    pass\n"]


def test_a_missing_or_broken_file_means_no_candidates_not_a_failure(table, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(op, "PATH", tmp_path / "absent.json")
    op.load.cache_clear()
    assert _new("try:\n    f()\nexcept Exception as e:\n    pass\n", {3}) == []
    (tmp_path / "bad.json").write_text("{not json")
    monkeypatch.setattr(op, "PATH", tmp_path / "bad.json")
    op.load.cache_clear()
    assert _new("x = 1\n", {1}) == []


def test_the_shipped_table_is_not_read_as_a_pattern_file_and_holds_its_provenance():
    assert all(p.name != "replacements.json" for p in library_paths())
    data = json.loads(op.PATH.read_text("utf-8"))
    table, _ = from_json(data)
    assert len(table) > 100 and len(data["sources"]) >= 20
    assert all(len(dict(r.projects)) >= 2 and sum(dict(r.projects).values()) >= 2 and r.commits for r in table)


_STATEMENTS = ["x = text_type(y)\n", "class A(object):\n    pass\n", "for i in xrange(n):\n    pass\n",
               "try:\n    f()\nexcept Exception as e:\n    pass\n", "while True:\n    break\n",
               "if a == None:\n    pass\n", "d = dict.iteritems()\n", "s = StringIO()\n", "import StringIO\n",
               "r = self.assertEquals(a, b)\n", "v = 1\n", "def f(self, a=None):\n    return not a\n"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_STATEMENTS), min_size=1, max_size=5), st.integers(0, 10))
def test_every_proposal_from_the_shipped_table_parses_and_changes_the_file(parts: list[str], pick: int):
    code = "".join(parts)
    lines = {1 + pick % code.count("\n")}
    for new in _new(code, lines):
        ast.parse(new)  # apply.py's contract for every splice
        assert new != code


def test_the_build_script_writes_the_same_file_from_the_same_sources(tmp_path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_replacements", Path(__file__).resolve().parents[1] / "scripts" / "build_replacements.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    before = "for i in xrange(n):\n    pass\n"
    after = before.replace("xrange", "range")
    lines = []
    for name in ("a", "b"):
        (tmp_path / f"o+{name}").mkdir()
        repo = _history(tmp_path / f"o+{name}", "repo", [before, after])
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        lines.append(f"https://github.com/o/{name} {head.strip()}")
    (tmp_path / "sources.txt").write_text("# two projects\n" + "\n".join(lines) + "\n")
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        assert build.main(["--mirrors", str(tmp_path), "--sources", str(tmp_path / "sources.txt"),
                           "--out", str(out), "--jobs", "1"]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    table, changed = from_json(json.loads(outs[0]))
    assert [(r.old, r.text, dict(r.projects)) for r in table] == [(("xrange",), "range", {"o/a": 1, "o/b": 1})]
    assert changed == {("xrange",): {"o/a": 1, "o/b": 1}}
