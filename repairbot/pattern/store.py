"""Pattern sets as readable, diffable JSON files (one file per set, sorted, stable ids).

A pattern set file looks like:

    {"format": "repairbot-patterns", "version": 1, "source": {...},
     "patterns": [{"id": ..., "kind": "expr", "before": "{h0} < {h1}", "after": "{h0} <= {h1}",
                   "context": "(If test:<edit>)", "scores": {...}, "examples": [...], ...}]}

Loading validates every entry and reports a bad one as `PatternFileError` naming the file and
the pattern, instead of failing later inside matching.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from repairbot.types import EditKind, Example, Pattern, Scores

FORMAT = "repairbot-patterns"
VERSION = 1


class PatternFileError(Exception):
    """A pattern file that cannot be read; the message names the file and the entry."""


def pattern_to_json(p: Pattern) -> dict[str, Any]:
    d = asdict(p)
    d["kind"] = p.kind.value
    d["holes"] = list(p.holes)
    d["commits"] = list(p.commits)
    d["files"] = list(p.files)
    d["examples"] = [{k: v for k, v in asdict(e).items() if k != "repo" or v} for e in p.examples]
    d["commit_repos"] = list(p.commit_repos)
    d["codes"] = list(p.codes)
    return {k: v for k, v in d.items()
            if (v is not None and v != "" and not (k in ("commit_repos", "codes") and not v)) or k in ("before", "after")}


def pattern_from_json(d: dict[str, Any]) -> Pattern:
    scores = Scores(**d["scores"])
    examples = tuple(Example(**e) for e in d.get("examples", ()))
    return Pattern(
        id=str(d["id"]),
        kind=EditKind(d["kind"]),
        before=str(d["before"]),
        after=str(d["after"]),
        holes=tuple(d.get("holes", ())),
        context=d.get("context"),
        at_block_end=bool(d.get("at_block_end", False)),
        scores=scores,
        examples=examples,
        commits=tuple(d.get("commits", ())),
        files=tuple(d.get("files", ())),
        name=d.get("name", ""),
        category=d.get("category", ""),
        origin=d.get("origin", "mined"),
        parent=d.get("parent"),
        level=int(d.get("level", 0)),
        guard=d.get("guard"),
        commit_repos=tuple(d.get("commit_repos", ())),
        codes=tuple(str(c) for c in d.get("codes", ())),
    )


def dumps(patterns: Sequence[Pattern], source: dict[str, Any] | None = None) -> str:
    ordered = sorted(patterns, key=lambda p: (p.category, -p.scores.support, p.id))
    doc = {"format": FORMAT, "version": VERSION, "source": source or {},
           "patterns": [pattern_to_json(p) for p in ordered]}
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def save(path: Path, patterns: Sequence[Pattern], source: dict[str, Any] | None = None) -> None:
    """Write atomically: a reader never sees half a pattern file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".patterns-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(patterns, source))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> list[Pattern]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PatternFileError(f"{path}: cannot read pattern file: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PatternFileError(f"{path}: not a repairbot pattern file (missing \"format\": \"{FORMAT}\")")
    out = []
    for i, d in enumerate(doc.get("patterns", [])):
        try:
            out.append(pattern_from_json(d))
        except (KeyError, TypeError, ValueError) as e:
            raise PatternFileError(f"{path}: pattern #{i} ({d.get('id', '?') if isinstance(d, dict) else '?'}):"
                                   f" {type(e).__name__}: {e}") from None
    return out


def load_many(paths: Iterable[Path]) -> list[Pattern]:
    """Load several sets. Ids are content hashes, so a built-in operator and a learned pattern
    can be the same pattern: the copy with more evidence (support) wins, else the first."""
    seen: dict[str, Pattern] = {}
    for p in paths:
        for pat in load(p):
            if pat.id not in seen or pat.scores.support > seen[pat.id].scores.support:
                seen[pat.id] = pat
    return list(seen.values())


LIBRARY_DIR = Path(__file__).resolve().parents[2] / "patterns"  # the repository's shipped library
REPLACEMENTS = "replacements.json"  # token replacements (mining/replacements.py), not patterns


def library_paths(root: Path | None = None) -> list[Path]:
    """The shipped library: every *.json under the repository's patterns/ folder but the
    token replacements, which a built-in operator reads."""
    base = root or LIBRARY_DIR
    return sorted(p for p in base.rglob("*.json") if p.name != REPLACEMENTS) if base.is_dir() else []
