"""The confidence calibration: the monotone fit, the table, and a table built from real fix runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from test_evidence import DISTANCE, make

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import calibrate  # noqa: E402

from repairbot import rank  # noqa: E402
from repairbot.fix import FixOptions, run_fix  # noqa: E402
from repairbot.pattern import store  # noqa: E402

points = st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=60)


@pytest.mark.parametrize("method", sorted(calibrate.FITS))
@given(pts=points, a=st.floats(0, 1), b=st.floats(0, 1))
@example(pts=[(1.1125369292536007e-308, True)] * 4, a=1.0, b=1.1125369292536007e-308)  # a 1-ulp overshoot, once
def test_fitted_map_is_monotone_and_a_probability(method, pts, a, b):
    knots = calibrate.FITS[method](pts)
    lo, hi = sorted((a, b))
    assert 0.0 <= calibrate.apply(knots, lo) <= calibrate.apply(knots, hi) <= 1.0


@pytest.mark.parametrize("method", sorted(calibrate.FITS))
@given(pts=points)
def test_fit_never_claims_certainty_from_a_few_patches(method, pts):
    knots = calibrate.FITS[method](pts)
    assert all(0.0 < y < 1.0 for _, y in knots[1:-1]), "smoothed targets keep the map away from 0 and 1"


@pytest.mark.parametrize("method", sorted(calibrate.FITS))
def test_fit_separates_scores_that_predict_correctness(method):
    pts = [(0.2, False)] * 8 + [(0.3, False)] * 4 + [(0.3, True)] + [(0.8, True)] * 9 + [(0.9, False)]
    knots = calibrate.FITS[method](pts)
    assert calibrate.apply(knots, 0.2) < 0.3 and calibrate.apply(knots, 0.85) > 0.7


def test_table_counts_every_patch_once():
    pts = [(0.05, False), (0.25, True), (0.5, True), (0.5, False), (0.99, True), (1.0, True)]
    rows = calibrate.table(pts)
    assert sum(n for _, n, _, _ in rows) == len(pts)
    assert rows[2] == ("0.4-0.6", 2, 0.5, 0.5)


def test_rank_calibration_is_the_shipped_map():
    assert rank.calibrate(0.0) <= rank.calibrate(0.5) <= rank.calibrate(1.0)
    xs = [x for x, _ in rank.CALIBRATION]
    assert xs == sorted(xs)


def test_table_from_real_fix_runs(tmp_path):
    """The calibration data are validated patches of real runs, labelled against the intended fix."""
    project = make(tmp_path, DISTANCE)
    report = run_fix(project, store.load_many(store.library_paths()), FixOptions(jobs=2, top=10))
    labelled = [(p.raw, "abs(a - b)" in p.validation.candidate.new_source) for p in report.patches]
    assert any(ok for _, ok in labelled) and not all(ok for _, ok in labelled)
    best = max(labelled)
    assert best[1], "the highest raw score is the intended fix"
    rows = calibrate.table(labelled)
    assert sum(n for _, n, _, _ in rows) == len(report.patches)
