"""Calibrate `fix`'s confidence on the fixture bugs: does a patch at confidence c turn out right
about c of the time?

    python benchmarks/calibrate.py [--jobs 2] [--top 5] [--write]

Runs `repairbot fix` (with evidence: regression tests and the differential run) on every
seeded bug of the fixture projects (see seeded.py), keeps every validated patch with its raw
score, and labels it correct when it is the historical fix. Then:

- fits a monotone map raw score -> share correct: Platt scaling (a logistic curve, with Platt's
  smoothed targets) by default, or isotonic regression (pool-adjacent-violators, Laplace-smoothed)
  with --method isotonic; the logistic curve degrades gracefully for scores the fixtures never
  produced, where the step-shaped isotonic map would jump;
- prints the table "confidence bucket -> patches, share correct" for the raw score, and for the
  calibrated confidence with each fixture repository held out (fitted on the other two), so the
  figure is not measured on the data it was fitted on;
- with --write, stores the map fitted on all bugs in repairbot/calibration.json, which
  `repairbot.rank.calibrate` reads.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from seeded import intended, seeded_bugs  # noqa: E402

from repairbot.fix import FixOptions, run_fix  # noqa: E402
from repairbot.rank import calibrate  # noqa: E402

BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)
Point = tuple[float, bool]  # (score, correct)


SLOPE_PRIOR = 0.01  # L2 penalty on the slope: few, separable fixture patches must not make a cliff
CLAMP = (0.02, 0.98)  # a fitted map never claims certainty


def fit_platt(points: Sequence[Point], slope_prior: float = SLOPE_PRIOR) -> list[tuple[float, float]]:
    """Logistic map p = 1 / (1 + exp(-(a*score + b))), fitted by Newton's method on Platt's targets
    ((positives + 1) / (positives + 2) for a correct patch, 1 / (negatives + 2) for a wrong one) with
    a small penalty on the slope, as knots clamped to CLAMP."""
    pos = sum(ok for _, ok in points)
    neg = len(points) - pos
    hi, lo = (pos + 1) / (pos + 2), 1 / (neg + 2)
    data = [(x, hi if ok else lo) for x, ok in points]
    a, b = 0.0, math.log((pos + 1) / (neg + 1))
    for _ in range(100):
        ga, gb, haa, hab, hbb = slope_prior * a, 0.0, slope_prior, 0.0, 0.0
        for x, t in data:
            p = 1 / (1 + math.exp(-(a * x + b)))
            ga += (p - t) * x
            gb += p - t
            w = p * (1 - p)
            haa += w * x * x
            hab += w * x
            hbb += w
        haa += 1e-6
        hbb += 1e-6
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-10:
            break
    if a < 0:  # a higher score must never mean a lower confidence: fall back to the base rate
        mean = sum(t for _, t in data) / len(data)
        a, b = 0.0, math.log(mean / (1 - mean))
    lo_p, hi_p = CLAMP
    return [(x / 20, min(hi_p, max(lo_p, 1 / (1 + math.exp(-(a * x / 20 + b)))))) for x in range(21)]


def fit_isotonic(points: Sequence[Point]) -> list[tuple[float, float]]:
    """Isotonic (non-decreasing) map score -> P(correct), as knots; each block smoothed by Laplace's rule."""
    blocks: list[list[float]] = []  # [sum score, sum correct, n]
    for score, ok in sorted(points):
        blocks.append([score, float(ok), 1.0])
        while len(blocks) > 1 and _rate(blocks[-2]) >= _rate(blocks[-1]):
            s2, c2, n2 = blocks.pop()
            blocks[-1] = [blocks[-1][0] + s2, blocks[-1][1] + c2, blocks[-1][2] + n2]
    knots = [(b[0] / b[2], (b[1] + 1) / (b[2] + 2)) for b in blocks]
    for i in range(1, len(knots)):  # smoothing can break monotony between small blocks
        knots[i] = (knots[i][0], max(knots[i][1], knots[i - 1][1]))
    return [(0.0, min(knots[0][1], 0.5) if knots else 0.0), *knots, (1.0, max(knots[-1][1] if knots else 1.0, 0.5))]


FITS = {"platt": fit_platt, "isotonic": fit_isotonic}


def _rate(block: list[float]) -> float:
    return block[1] / block[2]


def apply(knots: Sequence[tuple[float, float]], x: float) -> float:
    return calibrate(x, knots)


def table(points: Sequence[Point]) -> list[tuple[str, int, float | None, float | None]]:
    """(bucket, patches, mean confidence, share correct) for each confidence bucket."""
    rows = []
    for lo, hi in zip(BUCKETS, BUCKETS[1:]):
        inside = [(c, ok) for c, ok in points if lo <= c < hi]
        label = f"{lo:.1f}-{min(hi, 1.0):.1f}"
        if inside:
            rows.append((label, len(inside), sum(c for c, _ in inside) / len(inside),
                         sum(ok for _, ok in inside) / len(inside)))
        else:
            rows.append((label, 0, None, None))
    return rows


def print_table(title: str, points: Sequence[Point]) -> None:
    print(f"\n{title}\n| confidence | patches | mean confidence | share correct |\n|---|---|---|---|")
    for label, n, mean, share in table(points):
        print(f"| {label} | {n} | {'' if mean is None else f'{mean:.2f}'} | "
              f"{'' if share is None else f'{share:.0%}'} |")
    brier = sum((c - ok) ** 2 for c, ok in points) / max(1, len(points))
    print(f"Brier score {brier:.3f} over {len(points)} patches")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--top", type=int, default=5, help="validated patches kept per bug")
    ap.add_argument("--write", action="store_true", help="store the fitted map in repairbot/calibration.json")
    ap.add_argument("--method", choices=sorted(FITS), default="platt")
    ap.add_argument("--save", type=Path, help="also save the labelled patches (JSON) to re-fit without re-running")
    ap.add_argument("--load", type=Path, help="re-fit from patches saved by --save instead of running fix")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="repairbot-calibrate-"))
    rows: list[tuple[str, float, bool]] = []  # (repository, raw score, correct)
    bugs = 0
    t0 = time.perf_counter()
    if args.load:
        saved = json.loads(args.load.read_text())
        rows, bugs = [(r, float(s), bool(ok)) for r, s, ok in saved["patches"]], int(saved["bugs"])
    for label, project, buggy, fixed, patterns in ([] if args.load else seeded_bugs(work)):
        report = run_fix(project, patterns, FixOptions(jobs=args.jobs, top=args.top, time_budget=120))
        if report.status == "no_failure":
            continue
        bugs += 1
        for p in report.patches:
            ok = intended(p.validation.candidate.diff, buggy, fixed)
            rows.append((label.split(":")[0], p.raw, ok))
        print(f"{label:55} {report.status:8} patches {len(report.patches)} "
              f"correct {[intended(p.validation.candidate.diff, buggy, fixed) for p in report.patches]}",
              flush=True)
    shutil.rmtree(work, ignore_errors=True)
    if args.save:
        args.save.write_text(json.dumps({"bugs": bugs, "patches": rows}))
    print(f"\n{bugs} bugs, {len(rows)} validated patches, {sum(ok for _, _, ok in rows)} correct, "
          f"{time.perf_counter() - t0:.0f} s")
    print_table("Raw score (uncalibrated)", [(s, ok) for _, s, ok in rows])
    for method in sorted(FITS, key=lambda m: m != args.method):
        held_out = []
        for repo in sorted({r for r, _, _ in rows}):
            knots = FITS[method]([(s, ok) for r, s, ok in rows if r != repo])
            held_out += [(apply(knots, s), ok) for r, s, ok in rows if r == repo]
        print_table(f"Calibrated confidence ({method}), each repository held out of the fit", held_out)
    knots = FITS[args.method]([(s, ok) for _, s, ok in rows])
    print("\nknots (raw -> confidence): " + ", ".join(f"{x:.3f}->{y:.2f}" for x, y in knots))
    if args.write:
        out = ROOT / "repairbot" / "calibration.json"
        out.write_text(json.dumps({"knots": [[round(x, 4), round(y, 4)] for x, y in knots],
                                   "fitted_on": f"{len(rows)} validated patches of {bugs} seeded fixture bugs",
                                   "method": args.method, "by": "benchmarks/calibrate.py --write"}, indent=2) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
