"""`repairbot check`: flag code that matches known bug patterns, before it is merged.

Only patterns precise enough to be worth a reviewer's time take part: learned patterns, whose
precision is estimated from history as support / (support + unchanged matches at the head),
and the built-in operators of category "lint". With a base revision only the lines changed
since it are matched.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import subprocess
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from repairbot.deliver import noqa
from repairbot.deliver.needs import GUARD_NEEDS, Text
from repairbot.deliver.prefilter import Needs, Plan, Region, default_indent, needs, plan, split_lines
from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.candidates import unified_diff
from repairbot.matching.instantiate import InstantiationError, apply_match
from repairbot.matching.match import Compiled, Target, compile_pattern, find_matches
from repairbot.tree import PARSE_ERRORS, parse_template
from repairbot.types import EditKind, Pattern, Skip

LINT_PRECISION = 0.9
_EXCLUDE = ("*/.git/*", "*/.venv/*", "*/venv/*", "*/node_modules/*", "*/.tox/*", "*/build/*", "*/site-packages/*")


class CheckInputError(Exception):
    """Bad base revision or not a git repository when one is needed (exit code 2)."""


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    end_line: int
    pattern: str
    name: str
    confidence: float
    before: str
    after: str
    diff: str


def precision(p: Pattern, select: frozenset[str] = frozenset()) -> float | None:
    """Estimated share of matches that are real bugs; None if the pattern is not for checking.
    Built-ins take part if they are lints, or if `select` names their category or id."""
    if p.origin == "builtin":
        return LINT_PRECISION if p.category == "lint" or selected(p, select) else None
    if p.scores.support < 2 or (p.projects > 1 and not anchored(p)):
        return None
    return round(1.0 - p.scores.rejection, 4)


def selected(p: Pattern, selectors: frozenset[str]) -> bool:
    """A selector names a category (`modernise`), a pattern id, or an id's first 6+ characters."""
    return p.category in selectors or any(p.id == s or (len(s) >= 6 and p.id.startswith(s)) for s in selectors)


def check_selectors(patterns: Sequence[Pattern], selectors: Sequence[str]) -> None:
    """Each selector must name something, or the user's `ignore` silently ignores nothing."""
    for s in selectors:
        if not any(selected(p, frozenset([s])) for p in patterns):
            kinds = ", ".join(sorted({p.category for p in patterns if p.category}))
            raise CheckInputError(f"{s!r} names no pattern: expected a category ({kinds}) or a pattern id")


_UNANCHORED = {"self", "cls"}


def anchored(p: Pattern) -> bool:
    """The before side names something concrete: an identifier, attribute or literal that is not
    a hole (and not `self`).

    Rejection estimates precision only for code like the code it was measured on. A pattern
    mined from one project was scored against that project's own head, so a pure shape such as
    `{h0} < {h1}` -> `{h0} <= {h1}` can be precise there. A pattern learned across projects (the
    shipped library) was not scored against the code being checked: as a pure shape
    (`{h0}.{h1}.{h2}()`, `{h0} - {h1}`) it matches everywhere and would flag noise."""
    try:
        before = parse_template(p.before, "expr" if p.kind == EditKind.EXPR else "stmts")
    except (*PARSE_ERRORS, ValueError):
        return False
    return any(n.kind in _ANCHOR_KINDS and n.value and n.value not in _UNANCHORED for n in before.walk())


_ANCHOR_KINDS = {"Name", "Integer", "Float", "Imaginary", "SimpleString"}


def changed_lines(root: Path, base: str) -> dict[str, set[int]]:
    """Lines added or changed since `base` in Python files under `root` (paths relative to it)."""
    proc = subprocess.run(["git", "diff", "--unified=0", "--no-color", "--no-ext-diff", "--relative", base,
                           "--", "*.py"],
                          cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CheckInputError(proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else f"git diff {base} failed")
    out: dict[str, set[int]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("+++ "):
            current = None if line == "+++ /dev/null" else line[6:]
        elif line.startswith("@@") and current:
            added = line.split("+", 1)[1].split(" ", 1)[0]
            start, _, count = added.partition(",")
            n = int(count) if count else 1
            out.setdefault(current, set()).update(range(int(start), int(start) + n))
    return {f: lines for f, lines in out.items() if lines}


def repo_prefix(root: Path) -> str:
    """Where `root` sits in its git repository ("" at the top or outside git): SARIF locations
    must be relative to the repository root."""
    proc = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def python_files(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if not any(fnmatch.fnmatch("/" + rel, pat) for pat in _EXCLUDE):
            out.append(rel)
    return out


@dataclass
class CheckStats:
    """How much work the prefilter saved (benchmarks print it): files by how they were parsed."""

    files: int = 0
    untouched: int = 0  # no pattern's tokens, or no unit holding them: not parsed with libcst
    regions_only: int = 0  # some units parsed and matched, nothing found
    regions: int = 0  # findings made from units parsed on their own
    whole: int = 0  # parsed and matched whole (the plain path)
    units: int = 0  # regions parsed on their own, in all


@dataclass(frozen=True)
class _FileResult:
    findings: tuple[Finding, ...]
    skip: Skip | None
    stage: str  # "untouched" | "regions_only" | "regions" | "whole"
    units: int = 0


@dataclass
class _Setup:
    """Per-process state: patterns compiled once (workers rebuild it from plain Patterns)."""

    root: Path
    compiled: list[Compiled]
    needs: list[Needs] | None  # None: no prefilter, every file takes the plain path
    precision: dict[str, float]
    names: dict[str, tuple[str, ...]]  # pattern id -> the names a noqa comment may call it by


_SETUP: _Setup | None = None


def _init(root: Path, patterns: Sequence[Pattern], min_precision: float, prefilter: bool,
          select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset()) -> None:
    global _SETUP
    usable = [(p, precision(p, select)) for p in patterns if not selected(p, ignore)]
    compiled = [compile_pattern(p) for p, prec in usable if prec is not None and prec >= min_precision]
    # procedural operators with no tokens to look for (needs.GUARD_NEEDS) take the plain path
    guarded = any(c.pattern.guard and c.pattern.guard not in GUARD_NEEDS for c in compiled)
    _SETUP = _Setup(root, compiled, None if guarded or not prefilter else [needs(c) for c in compiled],
                    {p.id: prec for p, prec in usable if prec is not None},
                    {p.id: (p.id, p.category, "repairbot", *p.codes) for p, _ in usable})


def _scan(task: tuple[str, frozenset[int] | None]) -> _FileResult:
    rel, lines = task
    st = _SETUP
    assert st is not None, "_init first"
    try:
        source = (st.root / rel).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return _FileResult((), Skip("unreadable_file", rel, type(e).__name__), "untouched")
    result = _scan_source(st, rel, source, lines)
    if not result.findings:
        return result
    marks = noqa.directives(split_lines(source))
    kept = tuple(f for f in result.findings if not noqa.silenced(f.line, f.end_line, st.names[f.pattern], marks))
    return dataclasses.replace(result, findings=kept)


def _scan_source(st: _Setup, rel: str, source: str, lines: frozenset[int] | None) -> _FileResult:
    if st.needs is None:
        return _plain(st, rel, source, lines)
    pl = plan(source, st.needs, lines)
    if pl.whole_file:
        return _plain(st, rel, source, lines)
    if not pl.regions:
        return _FileResult((), None, "untouched")
    found: dict[str, Finding] = {}
    for reg in pl.regions:
        got = _region_findings(st, rel, source, reg, pl, lines)
        if got is None:  # the region cannot stand for the file: let the plain path decide
            return _plain(st, rel, source, lines)
        for f, new_source in got:
            _keep_best(found, new_source, f)
    return _FileResult(tuple(found.values()), None, "regions_only" if not found else "regions",
                       len(pl.regions))


def _region_findings(st: _Setup, rel: str, source: str, reg: Region, pl: Plan,
                     lines: frozenset[int] | None) -> list[tuple[Finding, str]] | None:
    """Findings in one region, exactly as the whole file would give them, or None when that
    cannot be guaranteed (the region does not parse alone, or the file has \\r newlines, which
    libcst may print new lines with). New blocks are indented as the whole file would be.
    Templates are matched here; procedural operators (`needs.GUARD_NEEDS`) run on the region."""
    templates = [c for c in pl.patterns if not c.pattern.guard]
    own = Text(reg.text)  # a region kept for other patterns runs only the operators whose text it spells
    guards = [c for c in pl.patterns if c.pattern.guard and GUARD_NEEDS[c.pattern.guard].in_(own)]
    shifted = None if lines is None else {ln - reg.offset for ln in lines}
    try:
        target = Target.parse(reg.text, positions=lines is not None)  # line filters need positions
        matches = find_matches(target, templates, shifted) if templates else []
        applied = [r for r in rewrites(target, guards, shifted) if isinstance(r, Applied)] if guards else []
        if not matches and not applied:
            return []
        if lines is None:  # positions (the lines findings report) only where something was found
            target = Target.parse(reg.text)
            matches = find_matches(target, templates, shifted) if templates else []
            applied = [r for r in rewrites(target, guards, shifted) if isinstance(r, Applied)] if applied else []
    except Exception:  # noqa: BLE001 - whatever libcst makes of the region, the plain path decides
        return None
    first = reg.wrapper.count("\n") + 1
    changes: list[tuple[Compiled, int, int, str]] = []  # pattern, lines in the region, new region text
    for m in matches:
        at_module = m.node.node is target.module
        if m.line < first or (at_module and (reg.wrapper or (m.compiled.pattern.at_block_end and not reg.module_end))):
            continue  # the wrapper lines, or a module-level run cut short by the region's end
        try:
            rw = apply_match(target.module, m)
        except InstantiationError:
            continue
        changes.append((m.compiled, rw.line, rw.end_line, rw.new_source))
    changes += [(r.compiled, r.line, r.end_line, r.new_source) for r in applied if r.line >= first]
    out: list[tuple[Finding, str]] = []
    lines_of = split_lines(source)
    for compiled, line, end_line, new_text in changes:
        if "\r" in source or pl.tree is None or target.module.default_indent != default_indent(source, pl.tree):
            return None  # new lines and blocks would be laid out differently from the whole file's
        if not new_text.startswith(reg.wrapper):
            return None
        body = new_text[len(reg.wrapper):]
        new_source = "".join(lines_of[:reg.start - 1]) + body + "".join(lines_of[reg.end:])
        if new_source == source:
            continue
        p = compiled.pattern
        out.append((Finding(rel, line + reg.offset, end_line + reg.offset, p.id,
                            p.name or p.category or "learned pattern", st.precision[p.id], p.before, p.after,
                            unified_diff(rel, source, new_source)), new_source))
    return out


def _keep_best(found: dict[str, Finding], new_source: str, f: Finding) -> None:
    """One finding per resulting file: the most confident, then the first by line and pattern
    (so the choice does not depend on the order matches were found in)."""
    old = found.get(new_source)
    if old is None or (-f.confidence, f.line, f.end_line, f.pattern) < (-old.confidence, old.line, old.end_line,
                                                                         old.pattern):
        found[new_source] = f


def _plain(st: _Setup, rel: str, source: str, lines: frozenset[int] | None) -> _FileResult:
    """The reference path: parse the whole file, apply every pattern, keep real rewrites."""
    try:
        target = Target.parse(source)
    except PARSE_ERRORS as e:
        return _FileResult((), Skip("unreadable_file", rel, type(e).__name__), "whole")
    found: dict[str, Finding] = {}
    for r in rewrites(target, st.compiled, set(lines) if lines is not None else None):
        if not isinstance(r, Applied) or r.new_source == source:
            continue
        p = r.compiled.pattern
        _keep_best(found, r.new_source, Finding(rel, r.line, r.end_line, p.id, p.name or p.category or "learned pattern",
                                                st.precision[p.id], p.before, p.after,
                                                unified_diff(rel, source, r.new_source)))
    return _FileResult(tuple(found.values()), None, "whole")


def run_check(root: Path, patterns: Sequence[Pattern], base: str | None = None,
              min_precision: float = 0.5, jobs: int = 1, prefilter: bool = True,
              stats: CheckStats | None = None, select: Sequence[str] = (),
              ignore: Sequence[str] = ()) -> tuple[list[Finding], list[Skip], int]:
    """Findings (most confident first), skipped files, and how many files were read.

    `select` adds built-ins beyond the lints (by category or id), `ignore` drops any pattern
    (likewise); a selector that names nothing is an input error. `jobs` > 1 scans files in that
    many processes; results do not depend on it, nor on `prefilter` (which only decides how much
    is parsed; see `prefilter.py`)."""
    check_selectors(patterns, [*select, *ignore])
    chosen = (frozenset(select), frozenset(ignore))
    scope = changed_lines(root, base) if base else {f: None for f in python_files(root)}
    tasks = [(rel, frozenset(lines) if lines is not None else None) for rel, lines in sorted(scope.items())]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(min(jobs, len(tasks)), initializer=_init,
                                 initargs=(root, list(patterns), min_precision, prefilter, *chosen)) as pool:
            results = list(pool.map(_scan, tasks, chunksize=max(1, len(tasks) // (jobs * 8))))
    else:
        _init(root, patterns, min_precision, prefilter, *chosen)
        results = [_scan(t) for t in tasks]
    findings = [f for r in results for f in r.findings]
    skips = [r.skip for r in results if r.skip is not None]
    if stats is not None:
        stats.files = len(results)
        for stage in ("untouched", "regions_only", "regions", "whole"):
            setattr(stats, stage, sum(r.stage == stage for r in results))
        stats.units = sum(r.units for r in results)
    ordered = sorted(findings, key=lambda f: (-f.confidence, f.file, f.line, f.end_line, f.pattern, f.diff))
    return ordered, skips, len(scope)


# ------------------------------------------------------------------ output formats


def _message(f: Finding) -> str:
    added = [ln[1:].strip() for ln in f.diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return f"matches a known bug pattern ({f.name}); suggested fix: {' / '.join(added)}"


def to_json(findings: Sequence[Finding], files: int, skips: Sequence[Skip]) -> str:
    return json.dumps({
        "files": files,
        "skipped": [{"file": s.where, "reason": s.reason} for s in skips],
        "findings": [{"file": f.file, "line": f.line, "end_line": f.end_line, "pattern": f.pattern,
                      "name": f.name, "confidence": f.confidence, "message": _message(f), "diff": f.diff}
                     for f in findings],
    }, indent=2)


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def to_github(findings: Sequence[Finding]) -> str:
    """GitHub workflow commands: one annotation per finding."""
    return "".join(
        f"::warning file={_gh_escape(f.file, True)},line={f.line},endLine={f.end_line},"
        f"title={_gh_escape('repairbot ' + f.pattern, True)}::{_gh_escape(_message(f))} "
        f"(confidence {f.confidence:.2f})\n" for f in findings)


def to_sarif(findings: Sequence[Finding], version: str, uri_prefix: str = "") -> str:
    """SARIF 2.1.0 for code scanning upload (see `sarif.py`)."""
    from repairbot.deliver import sarif

    return sarif.to_sarif(findings, version, _message, uri_prefix)
