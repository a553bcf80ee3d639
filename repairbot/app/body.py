"""The pull request (or comment) text: deterministic, so an update of the same fix is a no-op
diff and a reviewer can tell at a glance why the bot believes the patch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repairbot.types import Pattern

MARKER = "<!-- repairbot:fingerprint={fp} -->"


@dataclass(frozen=True)
class GeneratedTestText:
    path: str
    source: str
    reproduces: bool


@dataclass(frozen=True)
class Proposal:
    """One validated patch as the app presents it."""
    fingerprint: str
    file: str
    line: int
    diff: str
    confidence: float
    pattern_id: str
    failing_tests: tuple[str, ...]
    failing_fixed: int
    failing_total: int
    tests_run: int
    regressions: tuple[str, ...]
    head_sha: str
    base_branch: str
    trigger: str
    trigger_url: str
    action: str  # the policy's decision: auto, approval, notify
    reason: str  # why (thresholds)
    tests: tuple[GeneratedTestText, ...] = ()  # verified regression tests: committed with the fix
    differential: str = ""  # the report's differential run, in one line
    explanation: tuple[str, ...] = ()  # the report's confidence breakdown
    risks: tuple[str, ...] = ()  # how the patch could hide the error (repairbot.risk)


def differential_line(d: Mapping[str, Any]) -> str:
    """The report's differential run in one line (the fields of `fix --format json`)."""
    if not d.get("inputs") and not d.get("failing_inputs"):
        return f"differential: not run ({d.get('skipped') or 'no reason given'})"
    text = (f"differential on `{d.get('function')}`: same behaviour on {d.get('agree', 0)}/{d.get('inputs', 0)} "
            f"generated inputs, different on {d.get('differ', 0)}, new exceptions on {d.get('new_errors', 0)}; "
            f"{d.get('failing_changed', 0)}/{d.get('failing_inputs', 0)} failing-test calls changed")
    return text + (" **(warning: the patch raises where the original did not)**" if d.get("new_errors") else "")


def branch_name(fingerprint: str) -> str:
    return f"repairbot/{fingerprint}"


def title(p: Proposal) -> str:
    test = p.failing_tests[0].split("::")[-1] if p.failing_tests else "failing tests"
    return f"repairbot: fix {test} ({p.file}:{p.line})"


def diff_summary(diff: str) -> str:
    files: dict[str, list[int]] = {}
    current = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = line[4:].removeprefix("b/")
            files.setdefault(current, [0, 0])
        elif line.startswith("+") and current:
            files[current][0] += 1
        elif line.startswith("-") and not line.startswith("--- ") and current:
            files[current][1] += 1
    return ", ".join(f"`{f}` +{a} -{r}" for f, (a, r) in files.items()) or "(empty diff)"


def _provenance(pattern: Pattern | None, pattern_id: str) -> list[str]:
    if pattern is None:
        return [f"- pattern `{pattern_id}` (not in the app's library; mined elsewhere)"]
    s = pattern.scores
    name = f" ({pattern.name})" if pattern.name else ""
    lines = [f"- pattern `{pattern.id}`{name}, {pattern.origin}: `{_one_line(pattern.before)}` → "
             f"`{_one_line(pattern.after)}`"]
    if pattern.origin == "builtin":
        lines.append(f"- a built-in repair operator (category {pattern.category or 'generic'}), "
                     f"specificity {s.specificity:.2f}")
    else:
        lines.append(f"- learned from {s.support} edit(s) in {s.commits} commit(s) and {s.files} file(s), "
                     f"specificity {s.specificity:.2f}, rejection {s.rejection:.2f}")
    for ex in pattern.examples[:3]:
        where = f"{ex.commit[:12]} {ex.file}:{ex.line}" if ex.commit else "built-in example"
        lines.append(f"- example ({where}): `{_one_line(ex.before)}` → `{_one_line(ex.after)}`")
    return lines


def _one_line(code: str) -> str:
    text = " ⏎ ".join(ln.strip() for ln in code.strip().splitlines())
    return (text[:117] + "...") if len(text) > 120 else text.replace("`", "'")


def render(p: Proposal, pattern: Pattern | None) -> str:
    kind = {"auto": "ready for review", "approval": "draft: needs approval", "notify": "report only"}.get(
        p.action, p.action)
    out = [
        f"repairbot found a validated fix for a failing {p.trigger.replace('_', ' ')} "
        f"([trigger]({p.trigger_url})) at `{p.head_sha[:12]}` on `{p.base_branch}`.",
        "",
        "### Change",
        f"{diff_summary(p.diff)}",
        "",
        "```diff",
        p.diff.rstrip("\n"),
        "```",
        "",
        "### Validation",
        f"- previously failing tests now passing: {p.failing_fixed}/{p.failing_total}",
        *(f"  - `{t}`" for t in p.failing_tests),
        f"- tests run on the patched tree: {p.tests_run}; regressions: "
        + (", ".join(f"`{r}`" for r in p.regressions) if p.regressions else "none"),
        *([f"- {p.differential}"] if p.differential else []),
        *(f"- **may hide the error rather than fix it**: the patch {r}" for r in p.risks),
        f"- confidence **{p.confidence:.2f}** ({kind}: {p.reason})",
        *(f"  - {line}" for line in p.explanation),
        "",
        "### Pattern",
        *_provenance(pattern, p.pattern_id),
    ]
    if p.tests:
        out += ["", "### Generated regression test" + ("s" if len(p.tests) > 1 else "")]
        for t in p.tests:
            status = "fails before the patch, passes after" if t.reproduces else "does not reproduce the failure"
            out += [f"`{t.path}` ({status}):", "", "```python", t.source.rstrip("\n"), "```", ""]
    out += [
        "",
        "### Commands",
        "- comment `/repairbot fix` (alone on a line) on a pull request or issue to run repairbot again "
        "(owners, members and collaborators);",
        "- merging or closing this pull request is recorded as feedback: a pattern whose fixes are closed "
        "unmerged loses weight, and this exact fix is not proposed again.",
        "",
        f"fingerprint `{p.fingerprint}`",
        MARKER.format(fp=p.fingerprint),
    ]
    return "\n".join(out) + "\n"
