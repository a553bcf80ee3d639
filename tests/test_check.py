"""`repairbot check`: findings on fixture code in each format, changed lines only with --base."""

from __future__ import annotations

import json
import subprocess

from conftest import fixture_build

from repairbot.cli import main


def test_check_finds_the_checked_in_bug_with_its_fix(repos, inventory_patterns, capsys):
    code = main(["check", str(repos["inventory"]), "--patterns", str(inventory_patterns), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    bug = fixture_build.CHECKED_IN_BUGS["inventory"]
    hits = [f for f in doc["findings"] if f["file"] == bug["file"] and f["line"] == bug["line"]]
    assert code == 1 and hits and bug["fixed"] in hits[0]["message"]
    assert all(f["confidence"] >= 0.5 for f in doc["findings"])


def test_github_and_sarif_formats(repos, inventory_patterns, capsys):
    bug = fixture_build.CHECKED_IN_BUGS["inventory"]
    main(["check", str(repos["inventory"]), "--patterns", str(inventory_patterns), "--format", "github"])
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith(f"::warning file={bug['file']},line={bug['line']},") for ln in lines)
    main(["check", str(repos["inventory"]), "--patterns", str(inventory_patterns), "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert run["results"] and all(r["ruleId"] in rule_ids for r in run["results"])
    loc = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    assert {"artifactLocation": {"uri": bug["file"], "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": bug["line"], "endLine": bug["line"]}} in loc


def test_base_limits_the_check_to_changed_lines(copy_repo, capsys):
    project = copy_repo("textkit")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    (project / "textkit" / "fresh.py").write_text("def f(x):\n    if x == None:\n        return 0\n    return x\n")
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "add fresh"], cwd=project, check=True)
    assert main(["check", str(project), "--base", "HEAD~1", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == 1
    assert [(f["file"], f["line"]) for f in doc["findings"]] == [("textkit/fresh.py", 2)]
    assert "if x is None:" in doc["findings"][0]["message"]


def test_clean_code_exits_0_and_bad_base_exits_2(copy_repo, capsys):
    project = copy_repo("geometry")
    assert main(["check", str(project), "--base", "HEAD", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    assert main(["check", str(project), "--base", "no-such-rev"]) == 2
    assert "no-such-rev" in capsys.readouterr().err


def test_only_anchored_learned_patterns_are_precise_enough_for_check():
    from repairbot.deliver.check import anchored, precision
    from repairbot.types import EditKind, Pattern, Scores

    def learned(before: str, kind: EditKind = EditKind.EXPR, repos: tuple[str, ...] = ("a", "b")) -> Pattern:
        return Pattern("x", kind, before, before, (), None, False, Scores(5, 5, 5, 0.8, rejection=0.1), (),
                       commits=("c1", "c2"), origin="mined", commit_repos=repos)

    assert anchored(learned("datetime.utcnow()")) and precision(learned("datetime.utcnow()")) == 0.9
    assert anchored(learned("{h0} == None"))
    for shape in ("{h0}.{h1}.{h2}()", "{h0} - {h1}", "self.{h0} = {h1}\n"):
        kind = EditKind.STMTS if shape.endswith("\n") else EditKind.EXPR
        assert not anchored(learned(shape, kind)) and precision(learned(shape, kind)) is None
        # Learned from one project (scored against that project's own code): its rejection stands.
        assert precision(learned(shape, kind, repos=())) == 0.9


def test_check_writes_nothing_into_the_tree_without_audit(repos, inventory_patterns, capsys, tmp_path):
    from conftest import tree_snapshot

    before = tree_snapshot(repos["inventory"])
    main(["check", str(repos["inventory"]), "--patterns", str(inventory_patterns), "--format", "json"])
    capsys.readouterr()
    assert tree_snapshot(repos["inventory"]) == before, "a check (e.g. a pre-commit hook) never writes files"


def test_the_lint_templates_are_checked_and_a_pointless_comparison_is_not(tmp_path, capsys):
    """Each lint is one finding with its fix; `x == 0` as a statement (assignment or assertion?)
    is left to `fix`, which has tests to tell, and so is a kept `sort()` (too costly to prefilter)."""
    (tmp_path / "m.py").write_text(
        "import re\n\n\ndef f(s, xs):\n    assert (s, 'need s')\n    s = re.sub('a', 'b', s, re.I)\n"
        "    xs = xs.sort()\n    s == 0\n    return callable(s) or hasattr(s, '__call__')\n")
    assert main(["check", str(tmp_path), "--format", "json"]) == 1
    found = {(f["line"], f["message"].splitlines()[0]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert sorted(line for line, _ in found) == [5, 6, 9]


def test_select_adds_built_in_categories_and_ignore_drops_patterns(tmp_path, capsys):
    (tmp_path / "t.py").write_text(
        "import collections\n\n\ndef f(self, x):\n    self.assertEquals(x, 1)\n"
        "    x.setDaemon(True)\n    assert (x, 'needs x')\n    return x\n")

    def lines(*extra: str) -> list[tuple[int, str]]:
        code = main(["check", str(tmp_path), "--format", "json", *extra])
        found = json.loads(capsys.readouterr().out)["findings"]
        assert code == (1 if found else 0)
        return sorted((f["line"], f["pattern"]) for f in found)

    default = lines()
    assert [ln for ln, _ in default] == [7], "only the lint by default"
    both = lines("--select", "modernise")
    assert [ln for ln, _ in both] == [5, 6, 7]
    assert [ln for ln, _ in lines("--select", "modernise", "--ignore", "lint")] == [5, 6]
    assert [ln for ln, _ in lines("--select", "modernise", "--ignore", both[0][1])] == [6, 7]
    # the same from the configuration; the command line's --select replaces it
    (tmp_path / "pyproject.toml").write_text('[tool.repairbot.check]\nselect = ["modernise"]\nignore = ["lint"]\n')
    assert [ln for ln, _ in lines()] == [5, 6]
    assert [ln for ln, _ in lines("--select", "none-guard")] == []
    # a selector that names nothing is an error, not an empty selection
    assert main(["check", str(tmp_path), "--ignore", "lints"]) == 2
    assert "'lints' names no pattern: expected a category (" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[tool.repairbot.check]\nselect = "modernise"\n')
    assert main(["check", str(tmp_path)]) == 2
    assert "tool.repairbot.check.select: expected a list" in capsys.readouterr().err


def test_noqa_comments_silence_findings_as_flake8_and_ruff_read_them(tmp_path, capsys):
    src = ("import warnings\n\n\ndef f(x, y):\n"
           "    a = x == None  # noqa: E711\n"      # the linter's own code for the same rule
           "    b = y == None  # noqa\n"            # bare: everything on the line
           "    c = x != None  # noqa: F401\n"      # another rule: still reported
           "    d = y != None  # NOQA:repairbot\n"
           "    e = (x ==\n         None)  # noqa: lint\n"  # any line of the finding; a category
           "    warnings.warn('old')\n"
           "    return a, b, c, d, e\n")
    (tmp_path / "m.py").write_text(src)
    assert main(["check", str(tmp_path), "--format", "json"]) == 1
    assert [f["line"] for f in json.loads(capsys.readouterr().out)["findings"]] == [7]
    # warnings without a stacklevel are a convention (B028): reported only when selected
    assert main(["check", str(tmp_path), "--format", "json", "--select", "convention"]) == 1
    assert [f["line"] for f in json.loads(capsys.readouterr().out)["findings"]] == [7, 11]
