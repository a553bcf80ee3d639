"""Priors for candidates and confidence for validated patches: one documented formula each.

pattern prior (in [0, 1]), before any test has run:
    learned:  support_term * (0.5 + 0.5 * specificity) * (1 - 0.5 * rejection)
              support_term = 1 - 1 / (1 + support)        (2 edits -> 0.67, 5 -> 0.83)
    built-in: 0.3 * (0.5 + 0.5 * specificity) * clamp(hit rate / BASE_RATE, 0.25, 4)
              hit rate = (support + 30 * BASE_RATE) / (support + matches_unchanged + 30), the
              smoothed share of its candidates that were the human fix on the development set
              (pattern/builtin.py MEASURED); 1 for a built-in never measured

acceptance (with an audit journal): prior *= clamp(posterior mean / 0.5, 0.2, 2), where the
    posterior is Beta(1 + merged + edited/2, 1 + closed + edited/2) over the pattern's outcomes

candidate prior = pattern prior * location score * distance factor (see matching.candidates)
    then the first 8 by that prior * agreement with the file, in (0.5, 1.5]: 0.5 + (added pairs of
    adjacent tokens the file already writes + 1) / (added pairs + 1); the rest * 0.5, below them

confidence of a validated patch (in [0, 1]):
    raw = (0.35 * pattern prior + 0.20 * location + 0.25 * validation + 0.10 * coverage + 0.10 * size)
          * behaviour
    validation = failing fixed / failing total, halved if no previously passing test ran
    coverage   = min(1, passing tests covering the changed lines / 3)
    size       = 1 / changed lines  (a one-line patch scores 1; large patches are more often overfit)
    behaviour  = (1 - 0.5 * excess change) * (1 - 0.5 * new-error share), from the differential run:
                 change share = generated inputs (beyond the failing tests' own) on which the
                 patched function behaves differently; excess = this patch's share minus the
                 smallest share among the run's plausible patches, so a fix is never marked down
                 for changing the failing behaviour itself, only for changing more than needed
    confidence = calibrate(raw), a monotone map fitted on the fixture bugs (benchmarks/calibrate.py)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from repairbot.risk import masking
from repairbot.types import Differential, GeneratedTest, Patch, Pattern, Scores, Validation

W_PRIOR, W_LOCATION, W_VALIDATION, W_COVERAGE, W_SIZE = 0.35, 0.20, 0.25, 0.10, 0.10


def _load_calibration() -> tuple[tuple[float, float], ...]:
    """(raw score, share of correct patches) knots written by benchmarks/calibrate.py; linear in between."""
    path = Path(__file__).with_name("calibration.json")
    try:
        knots = json.loads(path.read_text("utf-8"))["knots"]
        return tuple((float(x), float(y)) for x, y in knots) or ((0.0, 0.0), (1.0, 1.0))
    except (OSError, ValueError, KeyError, TypeError):
        return ((0.0, 0.0), (1.0, 1.0))


CALIBRATION = _load_calibration()


def acceptance_weight(alpha: float, beta: float) -> float:
    """How outcomes move a pattern's prior: the Beta posterior mean over its neutral 0.5,
    bounded so that feedback can sink or lift a pattern without zeroing or swamping it."""
    return min(2.0, max(0.2, (alpha / (alpha + beta)) / 0.5))


def pattern_prior(p: Pattern) -> float:
    s = p.scores
    spec = 0.5 + 0.5 * max(0.0, min(1.0, s.specificity))
    if p.origin == "builtin":
        return 0.3 * spec * _measured_factor(s)
    support_term = 1.0 - 1.0 / (1.0 + max(0, s.support))
    # Rejection lowers a pattern but does not silence it: a pattern whose before side is common
    # (subscripts, comparisons) is still the right fix where the tests say so.
    return support_term * spec * (1.0 - 0.5 * max(0.0, min(1.0, s.rejection)))


BASE_RATE = 0.018  # human fixes per built-in candidate over the whole development set (29 / 1,574)
_SMOOTHING = 30  # candidates' worth of the base rate added to each measurement


def _measured_factor(s: Scores) -> float:
    """How much better than the average built-in this one's candidates were the human fix."""
    n = s.support + s.matches_unchanged
    if n == 0:
        return 1.0
    rate = (s.support + _SMOOTHING * BASE_RATE) / (n + _SMOOTHING)
    return min(4.0, max(0.25, rate / BASE_RATE))


def changed_lines(diff: str) -> int:
    return sum(1 for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---")))


def calibrate(raw: float, knots: Sequence[tuple[float, float]] | None = None) -> float:
    """The calibration map (piecewise linear through its knots) at `raw`."""
    knots = knots or CALIBRATION
    if raw <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if raw <= x1:
            if x1 <= x0:
                return y1
            y = y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
            return min(max(y, min(y0, y1)), max(y0, y1))  # rounding must not step past a knot
    return knots[-1][1]


def behaviour(d: Differential | None, least_change: float) -> tuple[float, str]:
    if d is None or not d.inputs:
        return 1.0, ""
    excess = max(0.0, d.change_share - least_change)
    factor = (1.0 - 0.5 * excess) * (1.0 - 0.5 * d.error_share)
    return factor, (f"behaviour {factor:.2f}: changes {d.change_share:.0%} of {d.inputs} generated inputs "
                    f"({excess:.0%} more than the least-changing patch), new errors on {d.error_share:.0%}")


def raw_score(v: Validation, prior: float, d: Differential | None = None,
              least_change: float = 0.0) -> tuple[float, tuple[str, ...]]:
    c = v.candidate
    validation = v.failing_fixed / v.failing_total if v.failing_total else 0.0
    if v.tests_run <= v.failing_total:
        validation *= 0.5  # nothing showed the patch keeps the passing tests passing
    coverage = min(1.0, v.covering / 3)
    size = 1.0 / max(1, changed_lines(c.diff) // 2 or 1)
    factor, said = behaviour(d, least_change)
    score = (W_PRIOR * prior + W_LOCATION * c.location_score + W_VALIDATION * validation
             + W_COVERAGE * coverage + W_SIZE * size) * factor
    why = (f"pattern prior {prior:.2f} x {W_PRIOR}", f"location {c.location_score:.2f} x {W_LOCATION}",
           f"validation {validation:.2f} x {W_VALIDATION}", f"coverage {coverage:.2f} x {W_COVERAGE}",
           f"size {size:.2f} x {W_SIZE}") + ((said,) if said else ())
    return min(1.0, max(0.0, score)), why


def confidence(v: Validation, prior: float, d: Differential | None = None,
               least_change: float = 0.0) -> tuple[float, float, tuple[str, ...]]:
    """(calibrated confidence, raw score, explanation)."""
    raw, why = raw_score(v, prior, d, least_change)
    return round(calibrate(raw), 4), raw, why + (f"raw score {raw:.3f}, calibrated to {calibrate(raw):.2f}",)


Evidence = dict[str, tuple[Differential, tuple[GeneratedTest, ...]]]  # by candidate fingerprint


def rank(validations: Sequence[Validation], priors: dict[str, float], evidence: Evidence | None = None) -> list[Patch]:
    """Plausible patches, most confident first (ties: smaller diff, then file and line)."""
    evidence = evidence or {}
    shares = [d.change_share for d, _ in evidence.values() if d.inputs]
    least = min(shares, default=0.0)
    scored = []
    for v in validations:
        if not v.plausible:
            continue
        d, tests = evidence.get(v.candidate.fingerprint, (None, ()))
        conf, raw, why = confidence(v, priors.get(v.candidate.pattern_id, 0.0), d, least)
        scored.append((conf, raw, v, why, d, tests))
    # The raw score breaks ties the calibration's flat stretches would create.
    scored.sort(key=lambda t: (-t[0], -t[1], changed_lines(t[2].candidate.diff), t[2].candidate.file,
                               t[2].candidate.line))
    return [Patch(i + 1, conf, v, why, tests, d, raw, masking(v.candidate.old_source, v.candidate.new_source))
            for i, (conf, raw, v, why, d, tests) in enumerate(scored)]
