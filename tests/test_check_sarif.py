"""`repairbot check --format sarif`: valid against the published SARIF 2.1.0 schema (a local
copy, tests/data/sarif-schema-2.1.0.json; no network), and what GitHub code scanning needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import fixture_build

from repairbot.cli import main

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def validate(doc: dict) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    cls(SCHEMA, format_checker=cls.FORMAT_CHECKER).validate(doc)


def sarif(args: list[str], capsys) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "sarif"])
    return code, json.loads(capsys.readouterr().out)


def test_schema_rejects_what_github_would_reject():
    """The validator is live: a result without its message is invalid."""
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_findings_validate_and_carry_what_code_scanning_needs(repos, inventory_patterns, capsys):
    code, doc = sarif([str(repos["inventory"]), "--patterns", str(inventory_patterns)], capsys)
    assert code == 1
    validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"] and len({r["id"] for r in rules}) == len(rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri and (repos["inventory"] / uri).is_file()
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["repairbotFindingHash/v1"]
        assert res["fixes"][0]["artifactChanges"][0]["replacements"]
    bug = fixture_build.CHECKED_IN_BUGS["inventory"]
    assert any(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == bug["file"]
               and r["locations"][0]["physicalLocation"]["region"]["startLine"] == bug["line"]
               for r in run["results"])


def apply_replacements(text: str, reps: list[dict]) -> str:
    """Apply SARIF replacements (line/column regions, 1-based) the way a consumer would."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1 if line <= len(lines) else len(text)

    for rep in sorted(reps, key=lambda r: -r["deletedRegion"]["startLine"]):
        reg = rep["deletedRegion"]
        a, b = offset(reg["startLine"], reg["startColumn"]), offset(reg["endLine"], reg["endColumn"])
        text = text[:a] + rep["insertedContent"]["text"] + text[b:]
    return text


def test_fixes_do_what_the_diff_does(copy_repo, capsys):
    """Each result's SARIF fix, applied to the file, gives what `git apply` of its diff gives."""
    project = copy_repo("textkit")
    (project / "textkit" / "fresh.py").write_text(
        "def f(x):\n    if x == None:\n        return 0\n    return x\n\n\ndef g(a):\n    return a.b\n")
    code, doc = sarif([str(project), "--patterns", str(Path(__file__).parents[1] / "patterns" / "builtin.json")],
                      capsys)
    validate(doc)
    assert main(["check", str(project), "--format", "json"]) == code == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    results = doc["runs"][0]["results"]
    assert len(results) == len(findings) >= 1
    for res, f in zip(results, findings):
        path = project / f["file"]
        original = path.read_text()
        change = res["fixes"][0]["artifactChanges"][0]
        ours = apply_replacements(original, change["replacements"])
        subprocess.run(["git", "apply"], input=f["diff"], text=True, cwd=project, check=True)
        assert ours == path.read_text() != original
        path.write_text(original)


def test_subdirectory_uris_are_relative_to_the_repository_root(copy_repo, capsys):
    project = copy_repo("textkit")
    (project / "textkit" / "fresh.py").write_text("def f(x):\n    return x == None\n")
    code, doc = sarif([str(project / "textkit")], capsys)
    validate(doc)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert code == 1 and uris == ["textkit/fresh.py"]


def test_clean_code_is_valid_empty_sarif_and_exit_0(copy_repo, capsys):
    project = copy_repo("geometry")
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "x"], cwd=project, check=True)
    code, doc = sarif([str(project), "--base", "HEAD"], capsys)
    validate(doc)
    assert code == 0 and doc["runs"][0]["results"] == []
