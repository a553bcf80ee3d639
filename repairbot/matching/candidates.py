"""Candidates: every pattern matched at the suspicious locations, instantiated and diffed.

Each file is parsed once; all patterns are matched against the statements on the flagged
lines. A candidate records the pattern and location that produced it; identical resulting
files are merged, keeping the highest prior, and the list comes back most likely first.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import io
import re
import textwrap
import tokenize as std_tokenize
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from repairbot.matching.analogy import line_starts, pair_counts, tokenize
from repairbot.matching.apply import Failed, Proposal, proposals
from repairbot.matching.match import Compiled, Target, UnreadableFile
from repairbot.rank import pattern_prior
from repairbot.types import Candidate, Location, Skip


@dataclass(frozen=True)
class CandidateSet:
    candidates: tuple[Candidate, ...]
    skips: tuple[Skip, ...]


def _same_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many lines two versions share at the start, and then at the end."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _line_count(s: str) -> int:
    return s.count("\n") + (1 if s and not s.endswith("\n") else 0)


def same_ends(old: str, new: str) -> tuple[int, int]:
    """`_same_ends` of the two texts' lines, without splitting them or looping over lines in
    Python: the common prefix and suffix are found by comparing ever smaller slices (memcmp),
    then counted in lines. A rewrite changes a few lines of files thousands long, and this runs
    for every candidate. Texts with line breaks other than \\n go the slow, exact way."""
    if any(c in old or c in new for c in _OTHER_BREAKS):
        return _same_ends(old.splitlines(keepends=True), new.splitlines(keepends=True))
    lo, hi = 0, min(len(old), len(new))
    while lo < hi:  # common prefix, in characters
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    if lo == len(old) == len(new):
        return _line_count(old), 0
    head = old.count("\n", 0, lo)
    off = old.rfind("\n", 0, lo) + 1 if head else 0  # the first line after the common ones
    room = min(_line_count(old), _line_count(new)) - head
    lo, hi = 0, min(len(old), len(new)) - off
    while lo < hi:  # common suffix of what follows them, in characters
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid:len(old) - lo] == new[len(new) - mid:len(new) - lo]:
            lo = mid
        else:
            hi = mid - 1
    if not lo:
        return head, 0
    sa, sb = len(old) - lo, len(new) - lo
    tail = old.count("\n", sa, len(old) - 1)  # lines starting inside the common suffix
    if (sa == off or old[sa - 1] == "\n") and (sb == off or new[sb - 1] == "\n"):
        tail += 1  # and the line starting where it starts, in both
    return head, min(tail, room)


def unified_diff(rel: str, old: str, new: str) -> str:
    """A git-style diff (a/ and b/ prefixes) that `git apply` accepts.

    difflib compares only the window that changed (plus context): a rewrite changes a few lines,
    and diffing a 4,000-line file whole for every candidate cost more than matching.
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    head, tail = same_ends(old, new)
    lo, cut = max(0, head - _CONTEXT), max(0, tail - _CONTEXT)
    lines = list(difflib.unified_diff(a[lo:len(a) - cut], b[lo:len(b) - cut], f"a/{rel}", f"b/{rel}", n=_CONTEXT))
    if (lo or cut) and not _context_at_cuts(lines, lo > 0, cut > 0):
        # difflib aligned repeated lines so that the change reaches a cut (`x` x3 + `x` -> the new
        # `x` placed last): that hunk would lack the context git apply needs there. Diff it whole.
        lo = 0
        lines = list(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=_CONTEXT))
    out = []
    for ln in lines:
        if lo and ln.startswith("@@"):
            ln = _HUNK.sub(lambda m: f"@@ -{int(m[1]) + lo}{m[2] or ''} +{int(m[3]) + lo}{m[4] or ''} @@", ln)
        out.append(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n")
    return f"diff --git a/{rel} b/{rel}\n" + "".join(out) if out else ""


_CONTEXT = 3
_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def _context_at_cuts(lines: list[str], front: bool, back: bool) -> bool:
    """Whether the window's diff starts (ends) with full context where the window cut the file."""
    body = [ln for ln in lines[2:] if not ln.startswith("@@")]
    return not body or ((not front or all(ln[:1] == " " for ln in body[:_CONTEXT]))
                        and (not back or all(ln[:1] == " " for ln in body[-_CONTEXT:])))


def change_key(old: str, new: str) -> tuple[str, ...]:
    """What a rewrite changes, as code: the changed lines' tokens without whitespace or comments.

    Two patterns often make the same change written differently (spacing, a comment kept or
    not); such candidates are one suggestion. Falls back to the raw lines if they do not tokenize.
    """
    b = new.splitlines(keepends=True)
    head, tail = same_ends(old, new)
    window = "".join(b[head:len(b) - tail])
    try:
        toks = std_tokenize.generate_tokens(io.StringIO(textwrap.dedent(window)).readline)
        code = "\x00".join(t.string for t in toks if t.type not in _LAYOUT)
    except (std_tokenize.TokenError, SyntaxError):
        code = window
    return (str(head), str(tail), code)


_LAYOUT = {std_tokenize.COMMENT, std_tokenize.NL, std_tokenize.NEWLINE, std_tokenize.INDENT, std_tokenize.DEDENT,
           std_tokenize.ENDMARKER}


def fingerprint(rel: str, new_source: str) -> str:
    return hashlib.sha1(f"{rel}\x00{new_source}".encode()).hexdigest()[:16]


def generate(root: Path, locations: Sequence[Location], patterns: Sequence[Compiled],
             weights: Mapping[str, float] | None = None, top: int | None = None) -> CandidateSet:
    """`weights` scale pattern priors (acceptance history from the audit journal).

    With `top`, only the first `top` candidates are wanted (`suggest`): every rewrite's prior is
    known before it is written, so rewrites are written in rank order and the rest never are.
    The first `top` are exactly those of a full run: a later rewrite ranks after them, or is the
    same change as one of them at a prior no higher. Skips then cover only what was written.

    The first RERANK_DEPTH candidates are then reordered by how much of what they write the
    file already writes (`agreement`); the rest keep their order below them.
    """
    weights = weights or {}
    by_file: dict[str, list[Location]] = {}
    for loc in locations:
        by_file.setdefault(loc.file, []).append(loc)
    best: dict[tuple[str, ...], Candidate] = {}
    skips: list[Skip] = []
    pending: list[tuple[float, str, int, str, int, float, Target, Proposal]] = []
    targets: dict[str, Target] = {}
    for rel, locs in by_file.items():
        try:
            target = targets[rel] = Target.read_around(root / rel, {loc.line for loc in locs})
        except UnreadableFile as e:
            skips.append(Skip("unparsable_location_file", rel, str(e)))
            continue
        for loc in locs:
            for p in proposals(target, patterns, {loc.line}):
                if isinstance(p, Failed):
                    skips.append(Skip("instantiation_failed", f"{rel}:{p.line}", p.reason))
                    continue
                pat = p.compiled.pattern
                prior = round(pattern_prior(pat) * p.weight * weights.get(pat.id, 1.0) * loc.score *
                              _distance_factor(loc.line, p.line, p.end_line), 6)
                pending.append((-prior, rel, p.line, pat.id, len(pending), loc.score, target, p))
    if top is not None:
        pending.sort(key=lambda x: x[:5])
    for neg_prior, rel, _, _, _, loc_score, target, p in pending:
        if top is not None and len(best) >= max(top, RERANK_DEPTH):
            break  # everything left ranks after the candidates found (see above)
        r = p.build()
        if isinstance(r, Failed):
            if r.quiet:
                continue
            skips.append(Skip("instantiation_failed", f"{rel}:{r.line}", r.reason))
            continue
        source = target.source
        if r.new_source == source:
            continue
        prior = -neg_prior
        same = (rel, *change_key(source, r.new_source))
        kept = best.get(same)
        if kept is not None and kept.prior >= prior:
            continue  # the same change, written differently, from another pattern
        best[same] = Candidate(p.compiled.pattern.id, rel, r.line, source, r.new_source,
                               unified_diff(rel, source, r.new_source), prior, loc_score, fingerprint(rel, r.new_source))
    ordered = sorted(best.values(), key=_order)
    # reorder the head by agreement with the file; the tail at half its prior stays below it
    # (agreement is more than 0.5), so a top-K run and a full run rank the same
    ordered = sorted([dataclasses.replace(c, prior=round(c.prior * agreement(targets[c.file], c), 6))
                      for c in ordered[:RERANK_DEPTH]] +
                     [dataclasses.replace(c, prior=round(c.prior * 0.5, 6)) for c in ordered[RERANK_DEPTH:]], key=_order)
    return CandidateSet(tuple(ordered[:top] if top is not None else ordered), tuple(skips))


RERANK_DEPTH = 6  # on the development set (527 fixes) 5 gained less, and 7-10 nothing more


def _order(c: Candidate) -> tuple:
    return (-c.prior, c.file, c.line, c.pattern_id)


def agreement(target: Target, c: Candidate) -> float:
    """0.5 + the share of the pairs of adjacent tokens a rewrite adds that its file already
    writes elsewhere, smoothed ((seen + 1) / (added + 1)): in (0.5, 1.5]. Fixes mostly write
    what the file writes; on the development set a rewrite whose added pairs all occur in the
    file was the human fix three times as often as one whose pairs all are new."""
    old, new = c.old_source, c.new_source
    head, tail = same_ends(old, new)
    if any(ch in old or ch in new for ch in _OTHER_BREAKS):  # lines as splitlines counts them
        x, y = old.splitlines(keepends=True), new.splitlines(keepends=True)
        was, now = (tokenize("".join(z[head:len(z) - tail])).text for z in (x, y))
    else:  # the unchanged lines are the same characters in both: cut by the old file's line starts
        starts = line_starts(target)
        lines = len(starts) - (1 if old.endswith("\n") else 0)
        a, b = starts[head], starts[lines - tail] if tail else len(old)
        was, now = tokenize(old, a, b).text, tokenize(new, a, len(new) - (len(old) - b)).text
    before = Counter(zip(was, was[1:]))
    added = Counter(zip(now, now[1:])) - before
    counts = pair_counts(target, c.line)
    seen = sum(1 for pair in added if counts[pair] > before[pair])
    return 0.5 + (seen + 1) / (len(added) + 1)


def _distance_factor(flagged: int, first: int, last: int) -> float:
    """Getafix ranks by distance to the flagged line: a match on it beats one that only spans it."""
    return 1.0 if first == flagged else 0.85 if first <= flagged <= last else 0.7


def suggest(path: Path, line: int, patterns: Sequence[Compiled], top: int = 5) -> list[Candidate]:
    """`repairbot suggest`'s prediction step: the `top` candidates at one flagged line.

    Raises UnreadableFile when the file cannot be parsed. The accuracy benchmark times this
    very function, so what it measures is what the command does.
    """
    cset = generate(path.parent, [Location(path.name, line, 1.0, ("flagged",))], patterns, top=top)
    unparsable = [s for s in cset.skips if s.reason == "unparsable_location_file"]
    if unparsable:
        raise UnreadableFile(unparsable[0].detail)
    return list(cset.candidates[:top])
