"""Rendering a fix report: the documented JSON object, or coloured text for a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text

from repairbot.fix import FixReport
from repairbot.types import Differential


def fix_json(r: FixReport, applied: Path | None = None) -> dict[str, Any]:
    """The schema documented in the README (`repairbot fix --format json`)."""
    return {
        "status": r.status,
        "error": r.error or None,
        "failures": [{"test": f.nodeid, "outcome": f.outcome, "message": f.message} for f in r.failures],
        "flaky": list(r.flaky),
        "localization": [{"file": loc.file, "line": loc.line, "score": round(loc.score, 4),
                          "sources": list(loc.sources)} for loc in r.locations[:20]],
        "patches": [
            {
                "rank": p.rank,
                "confidence": p.confidence,
                "file": p.validation.candidate.file,
                "line": p.validation.candidate.line,
                "pattern": p.validation.candidate.pattern_id,
                "fingerprint": p.validation.candidate.fingerprint,
                "diff": p.validation.candidate.diff,
                "validation": {
                    "failing_fixed": p.validation.failing_fixed,
                    "failing_total": p.validation.failing_total,
                    "regressions": list(p.validation.regressions),
                    "tests_run": p.validation.tests_run,
                    "seconds": round(p.validation.seconds, 3),
                    "covering": p.validation.covering,
                },
                "explanation": list(p.explanation),
                "tests": [{"path": t.path, "source": t.source, "reproduces": t.reproduces,
                           "diff": new_file_diff(t.path, t.source)} for t in p.tests],
                "differential": _differential(p.differential),
                "risks": list(p.risks),
            }
            for p in r.patches
        ],
        "candidates": {"generated": len(r.candidates), "validated": len(r.validations), "not_tried": r.not_tried,
                       "rejected": _rejections(r),
                       "tried": [{"pattern": v.candidate.pattern_id, "file": v.candidate.file,
                                  "line": v.candidate.line, "plausible": v.plausible, "reason": v.reason,
                                  "seconds": round(v.seconds, 3)} for v in r.validations]},
        "reproduction": r.reproduction.path if r.reproduction else None,
        "applied": str(applied) if applied else None,
        "timings": {k: round(v, 3) for k, v in r.timings.items()},
    }


def new_file_diff(path: str, source: str) -> str:
    """A git-style diff that creates `path`: what `git apply` needs to add a generated test."""
    lines = source.splitlines()
    body = "".join(f"+{ln}\n" for ln in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def _differential(d: Differential | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"function": d.function, "inputs": d.inputs, "agree": d.agree, "differ": d.differ,
            "new_errors": d.new_errors, "change_share": round(d.change_share, 4), "failing_inputs": d.failing_inputs,
            "failing_changed": d.failing_changed, "examples": list(d.examples), "skipped": d.skipped}


def describe_differential(d: Differential) -> str:
    """One line for people: how far the patch changes behaviour beyond the failing inputs."""
    if not d.inputs and not d.failing_inputs:
        return f"differential: not run ({d.skipped})"
    text = (f"differential on {d.function}: same behaviour on {d.agree}/{d.inputs} generated inputs, "
            f"different on {d.differ}, new exceptions on {d.new_errors}; "
            f"{d.failing_changed}/{d.failing_inputs} failing-test calls changed")
    if d.new_errors:
        text += " -- WARNING: the patch raises where the original did not"
    return text


def _rejections(r: FixReport) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in r.validations:
        if not v.plausible:
            key = v.reason.split(":")[0]
            out[key] = out.get(key, 0) + 1
    return out


def print_fix(console: Any, r: FixReport, applied: Path | None = None, decision: Any = None) -> None:
    if r.status == "error":
        console.print(f"[red]error[/]: {escape(r.error)}")
        return
    if r.status == "no_failure":
        console.print("[green]no failing test: nothing to fix[/]")
        return
    console.print(f"[bold]{len(r.failures)}[/] failing test(s): " + ", ".join(escape(f.nodeid) for f in r.failures))
    if r.flaky:
        console.print(f"[yellow]flaky (not repaired against)[/]: {escape(', '.join(r.flaky))}")
    for loc in r.locations[:5]:
        console.print(f"  suspicious {escape(loc.file)}:{loc.line} score {loc.score:.2f} ({', '.join(loc.sources)})")
    rejected = _rejections(r)
    console.print(f"{len(r.candidates)} candidate(s), {len(r.validations)} validated, {r.not_tried} not tried"
                  + (f"; rejected: {', '.join(f'{k} {v}' for k, v in rejected.items())}" if rejected else ""))
    if not r.patches:
        console.print("[red]no validated patch[/]" + (f": {escape(r.error)}" if r.error else ""))
        return
    for p in r.patches:
        c = p.validation.candidate
        v = p.validation
        console.print(f"\n[bold]#{p.rank}[/] confidence [bold]{p.confidence:.2f}[/]  {escape(c.file)}:{c.line}  "
                      f"pattern {c.pattern_id}  fixed {v.failing_fixed}/{v.failing_total}, {v.tests_run} tests run  "
                      f"fingerprint {c.fingerprint}")
        for line in c.diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else \
                "cyan" if line.startswith("@@") else None
            console.print(Text(line, style=style or ""), soft_wrap=True, crop=False, overflow="ignore")
        if p.differential is not None:
            console.print(escape(describe_differential(p.differential)), style="dim")
        suspect = [e for e in p.explanation if e.startswith("behaviour") and not e.startswith("behaviour 1.00")]
        for e in suspect:  # changes more than another plausible patch, or raises anew: said, and scored down
            console.print(f"[yellow]suspect[/]: {escape(e)}")
        for risk in p.risks:  # may pass the tests by hiding the error: said, and capped by the policy
            console.print(f"[yellow]may hide an error[/]: the patch {escape(risk)}")
        for t in p.tests:
            state = "reproduces the failure" if t.reproduces else "[yellow]does not reproduce; not shipped[/]"
            console.print(f"regression test {escape(t.path)}: {state}")
    if decision is not None:
        thresholds = ", ".join(f"{k} {v:.2f}" for k, v in decision.thresholds)
        console.print(f"\npolicy [bold]{escape(decision.policy)}[/]: [bold]{decision.action}[/] "
                      f"({escape(decision.reason)}; thresholds {thresholds})")
    if applied:
        console.print(f"[green]applied patch #1 to {escape(str(applied))}[/]")
