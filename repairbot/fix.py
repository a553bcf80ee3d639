"""`repairbot fix`, end to end: failures -> locations -> candidates -> validation -> ranked patches.

Everything runs in isolated copies of the project, the baseline test run included, so the
user's tree is never written to unless `apply_patch` is called (`--apply`), and then only
atomically and only if the file is still what was analysed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from repairbot.localize.rank import localize
from repairbot.localize.runner import detect_flaky, run_pytest
from repairbot.localize.traceback import parse_traceback
from repairbot.matching.candidates import CandidateSet, generate
from repairbot.matching.match import compile_pattern
from repairbot.rank import pattern_prior, rank
from repairbot.types import (
    Candidate,
    GeneratedTest,
    Location,
    Patch,
    Pattern,
    Skip,
    TestResult,
    TestRun,
    Validation,
)
from repairbot.validate import evidence, reproduce
from repairbot.validate.evidence import write_atomic_new
from repairbot.validate.validator import Baseline, validate_all
from repairbot.validate.workspace import workspaces, write_atomic

MAX_LOCATIONS = 25


class FixInputError(Exception):
    """The project cannot be analysed as given (exit code 2)."""


@dataclass(frozen=True)
class FixOptions:
    tests: tuple[str, ...] = ()
    trace_text: str | None = None
    jobs: int = 2
    time_budget: float | None = 300.0
    top: int = 5
    python: str = sys.executable
    test_timeout: float = 30.0  # per test, for the baseline run; validation derives its own
    include_tests: bool = False
    weights: dict[str, float] = field(default_factory=dict)  # pattern id -> acceptance weight
    blocked: frozenset[str] = frozenset()  # fingerprints closed without merge: never proposed again
    evidence: bool = True  # regression tests and differential runs for the top patches
    evidence_top: int = 3
    reproduce: bool = True  # no failing test but a --trace: rebuild the logged call as one


@dataclass(frozen=True)
class FixReport:
    status: str  # "fixed" | "no_fix" | "no_failure" | "error"
    failures: tuple[TestResult, ...] = ()
    passing: tuple[TestResult, ...] = ()
    flaky: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    validations: tuple[Validation, ...] = ()
    patches: tuple[Patch, ...] = ()
    not_tried: int = 0
    skips: tuple[Skip, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""
    reproduction: GeneratedTest | None = None  # the failing test rebuilt from --trace, if any


Progress = Callable[[str], None]
EventSink = Callable[..., None]  # (kind, **data): the audit journal, as things happen


def run_fix(root: Path, patterns: Sequence[Pattern], opts: FixOptions, progress: Progress | None = None,
            events: EventSink | None = None) -> FixReport:
    root = Path(root).resolve()
    if not root.is_dir():
        raise FixInputError(f"{root}: not a directory")
    say = progress or (lambda _msg: None)
    emit = events or (lambda _kind, **_data: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    # 1. Failures: the whole suite once, with per-test coverage, in an isolated copy.
    say("running the test suite")
    with workspaces(root, 1) as (ws,):
        run = run_pytest(ws.path, opts.tests, python=opts.python, coverage=True,
                         per_test_timeout=opts.test_timeout)
        timings["tests"] = time.perf_counter() - t
        if run.collect_error:
            return FixReport("error", error=f"the test suite does not collect: {run.collect_error}", timings=timings)
        failing = run.failing
        if not failing:
            staged = _from_trace(ws.path, run, patterns, opts, say, emit) if opts.trace_text and opts.reproduce \
                else None
            return staged or FixReport("no_failure", timings=timings)
        for f in failing:
            emit("failure", test=f.nodeid, outcome=f.outcome, message=f.message)
        say(f"{len(failing)} failing test(s); checking for flaky ones")
        t = time.perf_counter()
        flaky = detect_flaky(ws.path, [r.nodeid for r in failing], python=opts.python,
                             per_test_timeout=opts.test_timeout)
        timings["flaky"] = time.perf_counter() - t

        # 2. Localisation: traceback frames + Ochiai over per-test coverage (+ a log traceback).
        t = time.perf_counter()
        trace = parse_traceback(opts.trace_text) if opts.trace_text else ()
        steady = run if not flaky else _without(run, flaky)
        locations = localize(ws.path, steady, trace_frames=trace, include_tests=opts.include_tests)
        timings["localize"] = time.perf_counter() - t
    for name in sorted(flaky):
        emit("flaky", test=name)
    for loc in locations[:20]:
        emit("location", file=loc.file, line=loc.line, score=loc.score, sources=list(loc.sources))
    base = Baseline.from_run(run, set(flaky), opts.python, opts.tests)
    if not base.failing:
        return FixReport("no_fix", failing, run.passing, tuple(sorted(flaky)), locations, timings=timings,
                         error="every failing test is flaky; nothing to repair against")

    # 3. Candidates: patterns matched and instantiated at the top locations, likeliest first.
    t = time.perf_counter()
    compiled = [compile_pattern(p) for p in patterns]
    cset = generate(root, locations[:MAX_LOCATIONS], compiled, opts.weights)
    blocked = [c for c in cset.candidates if c.fingerprint in opts.blocked]
    if blocked:
        cset = CandidateSet(tuple(c for c in cset.candidates if c.fingerprint not in opts.blocked),
                            cset.skips + tuple(Skip("rejected_before", f"{c.file}:{c.line}", c.fingerprint)
                                               for c in blocked))
    timings["candidates"] = time.perf_counter() - t
    say(f"{len(cset.candidates)} candidate(s) at {min(len(locations), MAX_LOCATIONS)} location(s)")
    for c in cset.candidates:
        emit("candidate", fingerprint=c.fingerprint, pattern=c.pattern_id, file=c.file, line=c.line, prior=c.prior)

    # 4. Validation in isolated copies, in parallel, within the time budget.
    t = time.perf_counter()

    def on_done(v: Validation) -> None:
        say(f"tried {v.candidate.file}:{v.candidate.line} [{v.candidate.pattern_id}] -> {v.reason}")
        emit("validation", fingerprint=v.candidate.fingerprint, plausible=v.plausible, reason=v.reason,
             tests_run=v.tests_run, seconds=round(v.seconds, 3))

    validations, not_tried = validate_all(root, cset.candidates, base, jobs=opts.jobs,
                                          time_budget=opts.time_budget, progress=on_done, stop_after=opts.top)
    timings["validation"] = time.perf_counter() - t

    # 5. Ranking by confidence.
    priors = {p.id: pattern_prior(p) * opts.weights.get(p.id, 1.0) for p in patterns}
    patches = rank(validations, priors)[: opts.top]

    # 6. Evidence for the most confident patches: a regression test, and the original and the
    #    patched function compared on generated inputs; then the final ranking.
    if opts.evidence and patches:
        t = time.perf_counter()
        say("writing regression tests; comparing behaviour on generated inputs")
        found = evidence.collect(root, [p.validation.candidate for p in patches[: opts.evidence_top]], base,
                                 opts.python)
        for fp, (diff, tests) in found.items():
            emit("differential", fingerprint=fp, function=diff.function, inputs=diff.inputs, agree=diff.agree,
                 differ=diff.differ, new_errors=diff.new_errors, failing_inputs=diff.failing_inputs,
                 failing_changed=diff.failing_changed, skipped=diff.skipped)
            for gt in tests:
                emit("generated_test", fingerprint=fp, path=gt.path, reproduces=gt.reproduces, source=gt.source)
        patches = rank(validations, priors, found)[: opts.top]
        timings["evidence"] = time.perf_counter() - t
    for p in patches:
        c = p.validation.candidate
        emit("patch", rank=p.rank, confidence=p.confidence, fingerprint=c.fingerprint, pattern=c.pattern_id,
             file=c.file, diff=c.diff)
    status = "fixed" if patches else "no_fix"
    return FixReport(status, failing, run.passing, tuple(sorted(flaky)), locations, cset.candidates,
                     tuple(validations), tuple(patches), not_tried, cset.skips, timings)


def _from_trace(copy: Path, run: TestRun, patterns: Sequence[Pattern], opts: FixOptions, say: Progress,
                emit: EventSink) -> FixReport | None:
    """Nothing fails, but a log has a traceback: rebuild the failing call as a test in the copy,
    check it fails as logged, and repair the copy against it (the patch then ships the test)."""
    tests_dir = str(Path(run.passing[0].nodeid.split("::", 1)[0]).parent) if run.passing else "tests"
    made = reproduce.build(copy, opts.trace_text or "", tests_dir)
    if isinstance(made, str):
        say(f"no test could be rebuilt from the traceback: {made}")
        emit("reproduction", built=False, reason=made)
        return None
    path = copy / made.path
    if path.exists():  # written by an earlier `fix --apply`; the suite just passed it
        why = f"the rebuilt test {made.path} is already in the project, and passes"
        say(f"no test could be rebuilt from the traceback: {why}")
        emit("reproduction", built=False, reason=why)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic_new(path, made.source)
    check = run_pytest(copy, [made.path], python=opts.python, per_test_timeout=opts.test_timeout)
    failed = [r for r in check.results if r.outcome in ("failed", "error")]
    short = made.exception.rsplit(".", 1)[-1]
    if check.collect_error or not failed or (short and failed[0].message and short not in failed[0].message):
        why = check.collect_error or (f"the rebuilt call {made.call} does not fail as logged"
                                      + (f" ({failed[0].message[:120]})" if failed else " (it passes)"))
        say(f"no test could be rebuilt from the traceback: {why}")
        emit("reproduction", built=False, reason=why, call=made.call)
        path.unlink()
        return None
    say(f"the logged failure, rebuilt as {made.path}: {made.call}")
    emit("reproduction", built=True, path=made.path, call=made.call, exception=made.exception)
    report = run_fix(copy, patterns, replace(opts, reproduce=False), say, emit)
    shipped = GeneratedTest(made.path, made.source, True)  # validation saw it fail, then pass
    return replace(report, patches=tuple(replace(p, tests=(shipped, *p.tests)) for p in report.patches),
                   reproduction=shipped)


def _without(run, flaky: Sequence[str]):
    return replace(run, results=tuple(r for r in run.results if r.nodeid not in set(flaky)))


class ApplyError(Exception):
    pass


def apply_patch(root: Path, patch: Patch) -> Path:
    """Write the patch into the user's tree, atomically, only if the file is unchanged since analysis."""
    c = patch.validation.candidate
    path = Path(root) / c.file
    current = path.read_bytes().decode("utf-8", "surrogateescape")
    if current != c.old_source:
        raise ApplyError(f"{c.file} changed since it was analysed; not applying")
    write_atomic(path, c.new_source.encode("utf-8"))
    for t in patch.tests:  # the regression tests ship with the patch; an existing file is never overwritten
        test = Path(root) / t.path
        if t.reproduces and not test.exists():
            test.parent.mkdir(parents=True, exist_ok=True)
            write_atomic_new(test, t.source)
    return path
