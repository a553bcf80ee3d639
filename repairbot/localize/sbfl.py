"""Spectrum-based fault localisation: Ochiai suspiciousness from per-test line coverage.

A line executed by every failing test and by few passing ones is likely where the bug is;
Ochiai (ef / sqrt(F * (ef + ep))) is the formula that ranks best in most empirical studies
of SBFL on real bugs, and it stays in [0, 1].
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from repairbot.types import TestResult

FAILING = frozenset({"failed", "error", "timeout"})


def ochiai(results: Sequence[TestResult]) -> dict[tuple[str, int], float]:
    """Ochiai score of every line covered by at least one failing test (absent lines score 0).

    Tests without coverage data (for example a test killed on timeout) carry no spectrum and
    are left out, rather than counted as failing tests that execute nothing -- that would
    only scale every score down. Skipped tests are neither passing nor failing.
    """
    failing = [r for r in results if r.outcome in FAILING and r.covered]
    if not failing:
        return {}
    ef: Counter[tuple[str, int]] = Counter()
    for r in failing:
        ef.update(set(r.covered))
    ep: Counter[tuple[str, int]] = Counter()
    for r in results:
        if r.outcome == "passed":
            ep.update(line for line in set(r.covered) if line in ef)
    total_failed = len(failing)
    return {line: ef[line] / math.sqrt(total_failed * (ef[line] + ep[line])) for line in ef}
