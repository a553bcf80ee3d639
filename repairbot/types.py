"""Shared data types: every pipeline stage takes and returns these frozen dataclasses.

Keeping them in one place lets a reader follow `repairbot fix` from the CLI to the patch
without chasing ad-hoc dicts between stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repairbot.tree import Tree


class EditKind(str, Enum):
    """What an edit's root is: one expression, or a run of statements in one block."""

    EXPR = "expr"
    STMTS = "stmts"


@dataclass(frozen=True)
class Edit:
    """One minimal change a fix commit made: a pair of subtrees plus where it happened.

    `context` is the tree of the nearest enclosing expression or statement header, with the
    edit's root replaced by a slot; it lets a pattern say *where* its before side applies.
    """

    kind: EditKind
    before: Tree
    after: Tree
    context: Tree | None
    at_block_end: bool
    commit: str
    file: str
    line: int
    example_before: str
    example_after: str
    repo: str = ""  # which repository the commit is in, when several are mined together


@dataclass(frozen=True)
class Example:
    """A concrete before/after snippet that a pattern must reproduce (doubles as a test)."""

    before: str
    after: str
    commit: str = ""
    file: str = ""
    line: int = 0
    repo: str = ""  # repository of `commit` (empty: the one repository that was mined)


@dataclass(frozen=True)
class Scores:
    """Getafix's ranking signals for a pattern.

    support: edits the pattern generalises; commits/files: distinct ones among them;
    specificity: concrete nodes / all nodes of the before side (1.0 = no holes);
    matches_unchanged: places at the repository head where the before side matches but
    nobody changed the code; rejection = matches_unchanged / (matches_unchanged + support).
    """

    support: int
    commits: int
    files: int
    specificity: float
    matches_unchanged: int = 0
    rejection: float = 0.0


@dataclass(frozen=True)
class Pattern:
    """A fix pattern: before and after templates with `{holes}` plus optional context.

    Templates are Python source in which `{h0}`, `{h1}`, ... stand for any subtree; a hole
    that appears on both sides stands for the same code. `context` is the template of the
    enclosing expression/statement header with `{__edit__}` marking where `before` sits.
    """

    id: str
    kind: EditKind
    before: str
    after: str
    holes: tuple[str, ...]
    context: str | None
    at_block_end: bool
    scores: Scores
    examples: tuple[Example, ...]
    commits: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    name: str = ""
    category: str = ""
    origin: str = "mined"  # "mined" | "builtin"
    parent: str | None = None  # id of the more general pattern in the cluster hierarchy
    level: int = 0  # 0 = leaf; grows toward the root of the hierarchy
    # Built-in operators may attach a precondition that plain templates cannot express.
    guard: str | None = None
    # Provenance across projects: commit_repos[i] is the repository of commits[i] (empty when one
    # repository was mined, so older pattern files stay valid).
    commit_repos: tuple[str, ...] = ()
    # Linter rule codes this pattern is equivalent to (`== None`: E711), so that a noqa comment
    # for E711 that a project already wrote silences `repairbot check` too.
    codes: tuple[str, ...] = ()

    @property
    def projects(self) -> int:
        """Distinct repositories the supporting commits come from (1 for a single-repo pattern)."""
        if self.commit_repos:
            return len(set(self.commit_repos))
        return 1 if self.commits else 0


@dataclass(frozen=True)
class Replacement:
    """Tokens other projects replaced by the same tokens (mining/replacements.py): `old` ->
    `new`, written as `text`, with commits per project and per context (left, right, project,
    commits), and a few "owner/name@commit" ids as provenance."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    text: str
    projects: tuple[tuple[str, int], ...]
    contexts: tuple[tuple[str, str, str, int], ...]
    commits: tuple[str, ...]


@dataclass(frozen=True)
class Skip:
    """Something left out on purpose (a commit, a file), with the reason it was counted under."""

    reason: str
    where: str
    detail: str = ""


@dataclass(frozen=True)
class MineResult:
    patterns: tuple[Pattern, ...]
    edits: tuple[Edit, ...]
    commits_seen: int
    fix_commits: int
    skips: tuple[Skip, ...]
    seconds: float
    warnings: tuple[str, ...] = ()

    def skip_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.skips:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return dict(sorted(counts.items()))


# ---------------------------------------------------------------- repair half (issue 3)


@dataclass(frozen=True)
class Frame:
    """One traceback frame."""

    file: str
    line: int
    function: str


@dataclass(frozen=True)
class TestResult:
    """Outcome of one test in one run (pytest node id)."""

    nodeid: str
    outcome: str  # "passed" | "failed" | "error" | "skipped" | "timeout"
    duration: float = 0.0
    message: str = ""
    frames: tuple[Frame, ...] = ()
    covered: tuple[tuple[str, int], ...] = ()  # (relative file, line) pairs


@dataclass(frozen=True)
class TestRun:
    """A whole pytest session as seen by repairbot's plugin."""

    results: tuple[TestResult, ...]
    seconds: float
    collect_error: str = ""
    exit_code: int = 0
    timed_out: bool = False
    unused_plugins: tuple[str, ...] = ()  # pytest plugins no process of the run needed

    @property
    def failing(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if r.outcome in ("failed", "error", "timeout"))

    @property
    def passing(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if r.outcome == "passed")


@dataclass(frozen=True)
class Location:
    """A suspicious statement, ranked by localisation."""

    file: str  # relative to the project root
    line: int
    score: float
    sources: tuple[str, ...] = ()  # "traceback", "sbfl", "trace-file"


@dataclass(frozen=True)
class Candidate:
    """A patch proposed by one pattern at one location, not yet validated."""

    pattern_id: str
    file: str
    line: int
    old_source: str
    new_source: str
    diff: str
    prior: float
    location_score: float
    fingerprint: str


@dataclass(frozen=True)
class Validation:
    candidate: Candidate
    plausible: bool
    failing_fixed: int
    failing_total: int
    regressions: tuple[str, ...] = ()
    tests_run: int = 0
    seconds: float = 0.0
    reason: str = ""
    covering: int = 0  # previously passing tests that cover the changed lines (and still pass)


@dataclass(frozen=True)
class GeneratedTest:
    """A regression test written for a patch: fails on the original code, passes on the patched."""

    path: str  # relative to the project root, following the project's test layout
    source: str
    reproduces: bool  # checked: fails before the patch and passes after it


@dataclass(frozen=True)
class Differential:
    """Original vs patched function, run side by side on generated inputs (hypothesis)."""

    function: str  # qualified name
    inputs: int = 0  # inputs beyond the failing tests' own, both versions run on each
    agree: int = 0
    differ: int = 0
    new_errors: int = 0  # the patch raises where the original did not
    examples: tuple[str, ...] = ()  # a few differing inputs, repr'd, for the report
    skipped: str = ""  # why no differential run was possible
    failing_inputs: int = 0  # calls recorded in the failing tests (expected to change)
    failing_changed: int = 0

    @property
    def change_share(self) -> float:
        """Share of inputs beyond the failing tests' on which the patch changes behaviour."""
        return (self.differ + self.new_errors) / self.inputs if self.inputs else 0.0

    @property
    def error_share(self) -> float:
        return self.new_errors / self.inputs if self.inputs else 0.0


@dataclass(frozen=True)
class Patch:
    """A validated candidate with its calibrated confidence and rank."""

    rank: int
    confidence: float
    validation: Validation
    explanation: tuple[str, ...] = field(default_factory=tuple)
    tests: tuple[GeneratedTest, ...] = ()  # generated regression tests that ship with the patch
    differential: Differential | None = None
    raw: float = 0.0  # the score before calibration (what benchmarks/calibrate.py fits)
    risks: tuple[str, ...] = ()  # how the patch could hide an error (repairbot.risk); caps the policy


@dataclass(frozen=True)
class Decision:
    """What the remediation policy decided for a patch, and the thresholds that decided it."""

    action: str  # "auto" | "approval" | "notify" | "none"
    policy: str
    thresholds: tuple[tuple[str, float], ...]
    reason: str = ""
