"""Priors for candidates and confidence for validated patches: one documented formula each.

pattern prior (in [0, 1]), before any test has run:
    learned:  support_term * (0.5 + 0.5 * specificity) * (1 - 0.5 * rejection)
              support_term = 1 - 1 / (1 + support)        (2 edits -> 0.67, 5 -> 0.83)
    built-in: 0.3 * (0.5 + 0.5 * specificity)             (generic operators rank below learned fixes)

acceptance (with an audit journal): prior *= clamp(posterior mean / 0.5, 0.2, 2), where the
    posterior is Beta(1 + merged + edited/2, 1 + closed + edited/2) over the pattern's outcomes

candidate prior = pattern prior * location score * distance factor (see matching.candidates)

confidence of a validated patch (in [0, 1]):
    0.40 * pattern prior + 0.25 * location score + 0.25 * validation + 0.10 * size
    validation = failing fixed / failing total, halved if no previously passing test ran
    size       = 1 / changed lines  (a one-line patch scores 1; large patches are more often overfit)
"""

from __future__ import annotations

from collections.abc import Sequence

from repairbot.types import Patch, Pattern, Validation

W_PRIOR, W_LOCATION, W_VALIDATION, W_SIZE = 0.40, 0.25, 0.25, 0.10


def acceptance_weight(alpha: float, beta: float) -> float:
    """How outcomes move a pattern's prior: the Beta posterior mean over its neutral 0.5,
    bounded so that feedback can sink or lift a pattern without zeroing or swamping it."""
    return min(2.0, max(0.2, (alpha / (alpha + beta)) / 0.5))


def pattern_prior(p: Pattern) -> float:
    s = p.scores
    spec = 0.5 + 0.5 * max(0.0, min(1.0, s.specificity))
    if p.origin == "builtin":
        return 0.3 * spec
    support_term = 1.0 - 1.0 / (1.0 + max(0, s.support))
    # Rejection lowers a pattern but does not silence it: a pattern whose before side is common
    # (subscripts, comparisons) is still the right fix where the tests say so.
    return support_term * spec * (1.0 - 0.5 * max(0.0, min(1.0, s.rejection)))


def changed_lines(diff: str) -> int:
    return sum(1 for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---")))


def confidence(v: Validation, prior: float) -> tuple[float, tuple[str, ...]]:
    c = v.candidate
    validation = v.failing_fixed / v.failing_total if v.failing_total else 0.0
    if v.tests_run <= v.failing_total:
        validation *= 0.5  # nothing showed the patch keeps the passing tests passing
    size = 1.0 / max(1, changed_lines(c.diff) // 2 or 1)
    score = W_PRIOR * prior + W_LOCATION * c.location_score + W_VALIDATION * validation + W_SIZE * size
    why = (f"pattern prior {prior:.2f} x {W_PRIOR}", f"location {c.location_score:.2f} x {W_LOCATION}",
           f"validation {validation:.2f} x {W_VALIDATION}", f"size {size:.2f} x {W_SIZE}")
    return round(min(1.0, max(0.0, score)), 4), why


def rank(validations: Sequence[Validation], priors: dict[str, float]) -> list[Patch]:
    """Plausible patches, most confident first (ties: smaller diff, then file and line)."""
    scored = []
    for v in validations:
        if not v.plausible:
            continue
        conf, why = confidence(v, priors.get(v.candidate.pattern_id, 0.0))
        scored.append((conf, v, why))
    scored.sort(key=lambda t: (-t[0], changed_lines(t[1].candidate.diff), t[1].candidate.file, t[1].candidate.line))
    return [Patch(i + 1, conf, v, why) for i, (conf, v, why) in enumerate(scored)]
