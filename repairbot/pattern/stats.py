"""A pattern set by fix kind: how many patterns, how much support, from how many commits and projects.

This is what `repairbot patterns stats` prints (and the README's library table shows). A
pattern's kind is its `category` when that names a kind (the shipped library is stored so),
else what `kinds.classify` finds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from repairbot.pattern.kinds import KIND_NAMES, KINDS, classify
from repairbot.types import Pattern


@dataclass(frozen=True)
class KindRow:
    kind: str
    description: str
    patterns: int
    learned: int  # mined from history (the rest are built-in operators)
    support: int  # edits generalised, summed over the kind's patterns
    commits: int  # distinct (repository, commit) pairs behind the kind's patterns
    projects: int  # distinct repositories those commits come from


def kind_of(p: Pattern) -> str:
    return p.category if p.category in KIND_NAMES else classify(p)


def by_kind(patterns: Iterable[Pattern]) -> list[KindRow]:
    """One row per kind (every kind, in KINDS order, zeros included) and a last `total` row."""
    groups: dict[str, list[Pattern]] = {k: [] for k in KIND_NAMES}
    for p in patterns:
        groups[kind_of(p)].append(p)
    rows = [_row(k, d, groups[k]) for k, d in KINDS]
    return rows + [_row("total", "", [p for ps in groups.values() for p in ps])]


def _row(kind: str, description: str, pats: list[Pattern]) -> KindRow:
    commits: set[tuple[str, str]] = set()
    for p in pats:
        repos = p.commit_repos or ("",) * len(p.commits)
        commits.update(zip(repos, p.commits))
    return KindRow(kind, description, len(pats), sum(p.origin != "builtin" for p in pats),
                   sum(p.scores.support for p in pats if p.origin != "builtin"), len(commits), len({r for r, _ in commits}))


def render_table(rows: list[KindRow]) -> str:
    """A Markdown table (readable as plain text too)."""
    head = ("kind", "patterns", "learned", "support", "commits", "projects")
    body = [(r.kind, str(r.patterns), str(r.learned), str(r.support), str(r.commits), str(r.projects))
            for r in rows]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |\n"

    rule = "| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |\n"
    return line(head) + rule + "".join(line(b) for b in body)


def replacements_line() -> str:
    """The token replacements the built-in "a replacement other projects made" reads."""
    from repairbot.matching.replacements import PATH, load

    t = load(PATH)
    reps = list({r: None for rs in t.by_context.values() for r, _ in rs})
    projects = {p for r in reps for p, _ in r.projects}
    commits = sum(n for r in reps for _, n in r.projects)
    return (f"\ntoken replacements ({PATH.parent.name}/{PATH.name}): {len(reps)} made in >= 2 projects,"
            f" {commits} commits from {len(projects)} projects")
