"""SARIF 2.1.0 for GitHub code scanning: rules with ids, relative locations, fingerprints, fixes.

GitHub accepts a result only with a `ruleId` its run declares, a location whose `uri` is
relative to the repository root and a `region.startLine`; `partialFingerprints` let it follow a
finding across commits (ours hash the matched lines, not their numbers), and `fixes` carry the
suggested replacement. tests/test_check_sarif.py validates the output against the published
schema (tests/data/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from repairbot.deliver.check import Finding

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def precision_label(confidence: float) -> str:
    """GitHub's `precision` property: very-high, high, medium or low."""
    if confidence >= 0.95:
        return "very-high"
    if confidence >= 0.8:
        return "high"
    return "medium" if confidence >= 0.5 else "low"


def _rule_name(name: str, pattern: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    return "".join(w[:1].upper() + w[1:] for w in words) or f"Pattern{pattern}"


def _one_line(code: str) -> str:
    return " ".join(code.split())


def replacements(diff: str) -> list[dict[str, Any]]:
    """The diff's changes as SARIF replacements: whole lines, from column 1 of the first deleted
    line to column 1 of the line after the last (empty for a pure insertion)."""
    out: list[dict[str, Any]] = []
    old = 0
    start: int | None = None
    deleted, inserted = 0, []

    def flush() -> None:
        nonlocal start, deleted, inserted
        if start is not None:
            out.append({"deletedRegion": {"startLine": start, "startColumn": 1,
                                          "endLine": start + deleted, "endColumn": 1},
                        "insertedContent": {"text": "".join(line + "\n" for line in inserted)}})
        start, deleted, inserted = None, 0, []

    in_hunk = False
    for line in diff.splitlines():
        m = _HUNK.match(line)
        if m:
            flush()
            old, in_hunk = int(m.group(1)) if m.group(2) != "0" else int(m.group(1)) + 1, True
            continue
        if not in_hunk or line.startswith("\\"):
            continue
        if line.startswith("-"):
            start = old if start is None else start
            deleted += 1
            old += 1
        elif line.startswith("+"):
            start = old if start is None else start
            inserted.append(line[1:])
        else:
            flush()
            old += 1
    flush()
    return out


def fingerprint(f: Finding) -> str:
    """Stable while lines move: the file, the pattern and the code the fix replaces."""
    removed = [ln[1:].strip() for ln in f.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    key = "\x00".join([f.file, f.pattern, *removed])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def to_sarif(findings: Sequence[Finding], version: str, message: Any, uri_prefix: str = "") -> str:
    """One rule per pattern, one result per finding; `uri_prefix` is PATH's place in the
    repository (`git rev-parse --show-prefix`), so locations are relative to its root."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        if f.pattern not in rules:
            change = f"{_one_line(f.before)} -> {_one_line(f.after)}"
            rules[f.pattern] = {
                "id": f.pattern,
                "name": _rule_name(f.name, f.pattern),
                "shortDescription": {"text": f"repairbot: code matching a known bug pattern ({f.name})"},
                "fullDescription": {"text": f"Code of this shape was changed by fixes before: {change}"},
                "help": {"text": f"Suggested rewrite: {change}",
                         "markdown": f"Suggested rewrite:\n\n```python\n{f.before}\n```\n\nbecomes\n\n"
                                     f"```python\n{f.after}\n```\n"},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"tags": ["repairbot", "correctness"], "precision": precision_label(f.confidence),
                               "problem.severity": "warning"},
            }
        uri = quote(uri_prefix + f.file, safe="/")
        location = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                         "region": {"startLine": f.line, "endLine": max(f.end_line, f.line)}}}
        result: dict[str, Any] = {
            "ruleId": f.pattern,
            "ruleIndex": list(rules).index(f.pattern),
            "level": "warning" if f.confidence >= 0.5 else "note",
            "message": {"text": message(f)},
            "locations": [location],
            "partialFingerprints": {"repairbotFindingHash/v1": fingerprint(f)},
            "properties": {"confidence": f.confidence},
        }
        reps = replacements(f.diff)
        if reps:
            result["fixes"] = [{"description": {"text": f"apply pattern {f.pattern}"},
                                "artifactChanges": [{"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                                     "replacements": reps}]}]
        results.append(result)
    doc = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "repairbot", "version": version, "semanticVersion": version,
                                      "rules": list(rules.values())}},
                  "columnKind": "unicodeCodePoints",
                  "results": results}],
    }
    return json.dumps(doc, indent=2)
