"""Rendering a fix report: the documented JSON object, or coloured text for a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text

from repairbot.fix import FixReport


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
                },
            }
            for p in r.patches
        ],
        "candidates": {"generated": len(r.candidates), "validated": len(r.validations), "not_tried": r.not_tried,
                       "rejected": _rejections(r),
                       "tried": [{"pattern": v.candidate.pattern_id, "file": v.candidate.file,
                                  "line": v.candidate.line, "plausible": v.plausible, "reason": v.reason,
                                  "seconds": round(v.seconds, 3)} for v in r.validations]},
        "applied": str(applied) if applied else None,
        "timings": {k: round(v, 3) for k, v in r.timings.items()},
    }


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
    if decision is not None:
        thresholds = ", ".join(f"{k} {v:.2f}" for k, v in decision.thresholds)
        console.print(f"\npolicy [bold]{escape(decision.policy)}[/]: [bold]{decision.action}[/] "
                      f"({escape(decision.reason)}; thresholds {thresholds})")
    if applied:
        console.print(f"[green]applied patch #1 to {escape(str(applied))}[/]")
