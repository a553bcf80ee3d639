"""`repairbot check`: flag code that matches known bug patterns, before it is merged.

Only patterns precise enough to be worth a reviewer's time take part: learned patterns, whose
precision is estimated from history as support / (support + unchanged matches at the head),
and the built-in operators of category "lint". With a base revision only the lines changed
since it are matched.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.candidates import unified_diff
from repairbot.matching.match import Target, UnreadableFile, compile_pattern
from repairbot.types import Pattern, Skip

LINT_PRECISION = 0.9
_EXCLUDE = ("*/.git/*", "*/.venv/*", "*/venv/*", "*/node_modules/*", "*/.tox/*", "*/build/*", "*/site-packages/*")


class CheckInputError(Exception):
    """Bad base revision or not a git repository when one is needed (exit code 2)."""


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    end_line: int
    pattern: str
    name: str
    confidence: float
    before: str
    after: str
    diff: str


def precision(p: Pattern) -> float | None:
    """Estimated share of matches that are real bugs; None if the pattern is not for checking."""
    if p.origin == "builtin":
        return LINT_PRECISION if p.category == "lint" else None
    if p.scores.support < 2:
        return None
    return round(1.0 - p.scores.rejection, 4)


def changed_lines(root: Path, base: str) -> dict[str, set[int]]:
    """Lines added or changed since `base` in Python files (git diff --unified=0)."""
    proc = subprocess.run(["git", "diff", "--unified=0", "--no-color", "--no-ext-diff", base, "--", "*.py"],
                          cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CheckInputError(proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else f"git diff {base} failed")
    out: dict[str, set[int]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("+++ "):
            current = None if line == "+++ /dev/null" else line[6:]
        elif line.startswith("@@") and current:
            added = line.split("+", 1)[1].split(" ", 1)[0]
            start, _, count = added.partition(",")
            n = int(count) if count else 1
            out.setdefault(current, set()).update(range(int(start), int(start) + n))
    return {f: lines for f, lines in out.items() if lines}


def python_files(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if not any(fnmatch.fnmatch("/" + rel, pat) for pat in _EXCLUDE):
            out.append(rel)
    return out


def run_check(root: Path, patterns: Sequence[Pattern], base: str | None = None,
              min_precision: float = 0.5) -> tuple[list[Finding], list[Skip], int]:
    """Findings (most confident first), skipped files, and how many files were read."""
    usable = [(p, precision(p)) for p in patterns]
    compiled = [compile_pattern(p) for p, prec in usable if prec is not None and prec >= min_precision]
    prec_of = {p.id: prec for p, prec in usable if prec is not None}
    scope = changed_lines(root, base) if base else {f: None for f in python_files(root)}
    findings: dict[tuple[str, str], Finding] = {}
    skips: list[Skip] = []
    for rel, lines in scope.items():
        try:
            target = Target.read(root / rel)
        except UnreadableFile as e:
            skips.append(Skip("unreadable_file", rel, str(e)))
            continue
        source = target.source
        for r in rewrites(target, compiled, lines):
            if not isinstance(r, Applied) or r.new_source == source:
                continue
            p = r.compiled.pattern
            key = (rel, r.new_source)
            f = Finding(rel, r.line, r.end_line, p.id, p.name or p.category or "learned pattern",
                        prec_of[p.id], p.before, p.after, unified_diff(rel, source, r.new_source))
            if key not in findings or findings[key].confidence < f.confidence:
                findings[key] = f
    ordered = sorted(findings.values(), key=lambda f: (-f.confidence, f.file, f.line, f.pattern))
    return ordered, skips, len(scope)


# ------------------------------------------------------------------ output formats


def _message(f: Finding) -> str:
    added = [ln[1:].strip() for ln in f.diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return f"matches a known bug pattern ({f.name}); suggested fix: {' / '.join(added)}"


def to_json(findings: Sequence[Finding], files: int, skips: Sequence[Skip]) -> str:
    return json.dumps({
        "files": files,
        "skipped": [{"file": s.where, "reason": s.reason} for s in skips],
        "findings": [{"file": f.file, "line": f.line, "end_line": f.end_line, "pattern": f.pattern,
                      "name": f.name, "confidence": f.confidence, "message": _message(f), "diff": f.diff}
                     for f in findings],
    }, indent=2)


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def to_github(findings: Sequence[Finding]) -> str:
    """GitHub workflow commands: one annotation per finding."""
    return "".join(
        f"::warning file={_gh_escape(f.file, True)},line={f.line},endLine={f.end_line},"
        f"title={_gh_escape('repairbot ' + f.pattern, True)}::{_gh_escape(_message(f))} "
        f"(confidence {f.confidence:.2f})\n" for f in findings)


def to_sarif(findings: Sequence[Finding], version: str) -> str:
    """SARIF 2.1.0 for code scanning upload: one rule per pattern, one result per finding."""
    rules: dict[str, dict] = {}
    results = []
    for f in findings:
        rules.setdefault(f.pattern, {
            "id": f.pattern, "name": f.name.replace(" ", "_") or f.pattern,
            "shortDescription": {"text": f"{' '.join(f.before.split())} -> {' '.join(f.after.split())}"},
            "properties": {"precision": "high" if f.confidence >= 0.8 else "medium"},
        })
        results.append({
            "ruleId": f.pattern,
            "level": "warning" if f.confidence >= 0.5 else "note",
            "message": {"text": _message(f)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.file},
                                                "region": {"startLine": f.line, "endLine": f.end_line}}}],
            "properties": {"confidence": f.confidence},
        })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "repairbot", "version": version, "rules": list(rules.values())}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)
