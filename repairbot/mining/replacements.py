"""Token replacements other projects made, mined from whole histories (not only fix commits).

The AST patterns generalise a fix's shape, but many one-token fixes are the same *words*
across projects: `except Exception` -> `except BaseException`, `text_type(` -> `str(`,
`Dict[` -> `Mapping[`, `while True` -> `while 1`. Those words are not in the file being
fixed, so no template bound to the file's code can write them; what other projects wrote can.
Every commit's one-line changes are read from `git log -p -U0`: a hunk that replaces k lines
by k lines (k <= 3) gives k line pairs, and a pair whose tokens differ in one run of at most
MAX_SPAN tokens on each side (no string literal: text is project-specific) is a replacement
`old -> new`, counted with the tokens on either side of it (its context) and its project.
Vendored copies (`_vendor/`, `packages/`, ...) are skipped: they repeat another project's
history. `scripts/build_replacements.py` keeps those made in at least two projects and two
commits, as data (`patterns/replacements.json`) with provenance.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from repairbot.matching.analogy import tokenize
from repairbot.types import Replacement

MAX_SPAN = 3  # tokens replaced, and tokens written instead
MAX_LINE_TOKENS = 80  # longer lines are data tables or generated code
MAX_HUNK_LINES = 3
MIN_PROJECTS = MIN_COMMITS = 2  # the library's rule: kept when made in two projects and two commits
START, END = "^", "$"  # the context of a token at the start or end of its line
_VENDORED = re.compile(r"(^|/)(_?vendor(ed)?|packages|extern|third_party)/")
_TEXT = re.compile(r"^[rRbBuUfF]{0,2}['\"]")


@dataclass(frozen=True)
class Change:
    """One line pair's replacement: `old` tokens -> `new` text, between `left` and `right`."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    new_text: str  # as the after line writes it (its spacing)
    left: str
    right: str


def change_of(before: str, after: str) -> Change | None:
    """The single run of tokens that turns `before` into `after`, or None (several runs, too
    long, text literals, nothing taken away)."""
    a, b = tokenize(before), tokenize(after)
    ta = [t for t in a.text if t != "\n"]
    tb = [t for t in b.text if t != "\n"]
    if not ta or len(ta) > MAX_LINE_TOKENS or len(ta) != len(a.text) or len(tb) != len(b.text):
        return None
    ops = [o for o in difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes() if o[0] != "equal"]
    if len(ops) != 1:
        return None
    _, i1, i2, j1, j2 = ops[0]
    if not 0 < i2 - i1 <= MAX_SPAN or j2 - j1 > MAX_SPAN:
        return None
    if any(_TEXT.match(t) for t in (*ta[i1:i2], *tb[j1:j2])):
        return None
    new_text = after[b.start[j1]:b.end[j2 - 1]] if j2 > j1 else ""
    return Change(tuple(ta[i1:i2]), tuple(tb[j1:j2]), new_text,
                  ta[i1 - 1] if i1 else START, ta[i2] if i2 < len(ta) else END)


def line_pairs(diff_lines: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(commit, before line, after line) from `git log -p -U0 --format=@@COMMIT %H` output."""
    commit, path, minus, plus = "", "", [], []

    def flush() -> Iterator[tuple[str, str, str]]:
        if minus and len(minus) == len(plus) <= MAX_HUNK_LINES and not _VENDORED.search(path):
            yield from ((commit, a, b) for a, b in zip(minus, plus))

    for raw in diff_lines:
        line = raw.rstrip("\r\n")
        if line.startswith("@@COMMIT "):
            yield from flush()
            commit, minus, plus = line[9:].strip(), [], []
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else ""
        elif line.startswith("@@") or line.startswith("diff --git"):
            yield from flush()
            minus, plus = [], []
        elif line.startswith("-") and not line.startswith("--- "):
            minus.append(line[1:])
        elif line.startswith("+"):
            plus.append(line[1:])
    yield from flush()


def mine(repo: str, rev_range: str) -> Iterator[tuple[str, Change]]:
    """(commit, change) for every one-run line change in the history `rev_range` of `repo`."""
    proc = subprocess.Popen(["git", "-C", repo, "log", "--no-merges", "-p", "-U0", "--no-color",
                             "--no-ext-diff", "--format=@@COMMIT %H", rev_range, "--", "*.py"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace")
    assert proc.stdout is not None
    try:
        for commit, before, after in line_pairs(proc.stdout):
            c = change_of(before, after)
            if c is not None:
                yield commit, c
    finally:
        proc.stdout.close()
        proc.wait()


@dataclass
class ProjectChanges:
    """One project's replacements: commits per (old, new), per (old, new, left, right), and the
    first spelling of each new side with the commit that wrote it."""

    commits: Counter = field(default_factory=Counter)
    contexts: Counter = field(default_factory=Counter)
    texts: dict = field(default_factory=dict)

    def add(self, changes: Iterable[tuple[str, Change]]) -> ProjectChanges:
        seen: set = set()
        for commit, c in changes:
            key = (c.old, c.new)
            if (key, commit) not in seen:  # a commit making the change on ten lines counts once
                seen.add((key, commit))
                self.commits[key] += 1
                self.texts.setdefault(key, (c.new_text, commit))
            if (key, c.left, c.right, commit) not in seen:
                seen.add((key, c.left, c.right, commit))
                self.contexts[(*key, c.left, c.right)] += 1
        return self


def merge(projects: dict[str, ProjectChanges], min_projects: int = MIN_PROJECTS, min_commits: int = MIN_COMMITS,
          provenance: int = 3) -> tuple[list[Replacement], dict[tuple[str, ...], dict[str, int]]]:
    """The replacements made in at least `min_projects` projects and `min_commits` commits, and
    for each old side kept, how often each project changed it into anything (the share a
    replacement has among an old side's changes is its ranking)."""
    by_key: dict = {}
    for name, pc in projects.items():
        for key, n in pc.commits.items():
            by_key.setdefault(key, {})[name] = n
    kept = {k: v for k, v in by_key.items() if len(v) >= min_projects and sum(v.values()) >= min_commits}
    contexts: dict = {}
    for name, pc in projects.items():
        for (old, new, left, right), n in pc.contexts.items():
            if (old, new) in kept:
                contexts.setdefault((old, new), []).append((left, right, name, n))
    out = []
    for (old, new), per in sorted(kept.items()):
        firsts = sorted((projects[p].texts[(old, new)], p) for p in per)
        out.append(Replacement(old, new, firsts[0][0][0], tuple(sorted(per.items())),
                               tuple(sorted(contexts.get((old, new), ()))),
                               tuple(f"{p}@{t[1]}" for t, p in firsts[:provenance])))
    olds = {r.old for r in out}
    changed: dict = {}
    for name, pc in projects.items():
        for (old, _), n in pc.commits.items():
            if old in olds:
                row = changed.setdefault(old, {})
                row[name] = row.get(name, 0) + n
    return out, changed


def to_json(table: list[Replacement], changed: dict[tuple[str, ...], dict[str, int]], sources: list[str],
            min_projects: int, min_commits: int) -> dict:
    return {
        "about": "Token replacements made in several projects' histories (repairbot/mining/replacements.py);"
                 " rebuilt by scripts/build_replacements.py from patterns/sources.txt.",
        "sources": sources, "min_projects": min_projects, "min_commits": min_commits,
        "replacements": [{"old": list(r.old), "new": list(r.new), "text": r.text, "projects": dict(r.projects),
                          "contexts": [list(c) for c in r.contexts], "commits": list(r.commits)} for r in table],
        "changed": [[list(old), per] for old, per in sorted(changed.items())],
    }


def from_json(data: dict) -> tuple[list[Replacement], dict[tuple[str, ...], dict[str, int]]]:
    table = [Replacement(tuple(r["old"]), tuple(r["new"]), r["text"], tuple(sorted(r["projects"].items())),
                         tuple(tuple(c) for c in r["contexts"]), tuple(r["commits"]))  # type: ignore[misc]
             for r in data["replacements"]]
    return table, {tuple(old): dict(per) for old, per in data["changed"]}
