"""The audit journal: every action of a run, appended to an embedded SQLite database.

One row per event, written as it happens, each in its own transaction (WAL mode), so a run
killed at any point leaves a consistent journal: the events up to the kill, and a run without
an end.
The API only appends; nothing here updates or deletes a row.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    command TEXT NOT NULL,
    project TEXT NOT NULL,
    args TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run);
CREATE TABLE IF NOT EXISTS outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    fingerprint TEXT NOT NULL,
    pattern TEXT NOT NULL,
    file TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('merged', 'closed', 'edited'))
);
CREATE TRIGGER IF NOT EXISTS outcomes_append_only_u BEFORE UPDATE ON outcomes
    BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS outcomes_append_only_d BEFORE DELETE ON outcomes
    BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit journal is append-only'); END;
"""


@dataclass(frozen=True)
class Event:
    run: int
    at: float
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Run:
    id: int
    started: float
    command: str
    project: str
    args: list[str]
    status: str  # from its "end" event, or "incomplete"


STATE_DIR = ".repairbot"
DEFAULT_PATH = f"{STATE_DIR}/audit.db"


def pull_request_fingerprint(journal: Journal, number: int) -> str:
    """The fingerprint of the patch a bot pull request carried (journalled when it was opened)."""
    rows = journal.db.execute("SELECT data FROM events WHERE kind IN ('pr_opened', 'pr_updated', 'pull_request') "
                              "ORDER BY id DESC").fetchall()
    for (data,) in rows:
        d = json.loads(data)
        if d.get("number") == number and d.get("fingerprint"):
            return str(d["fingerprint"])
    raise LookupError(f"no pull request #{number} in the journal")


class Journal:
    def __init__(self, path: Path) -> None:
        if not path.parent.exists():
            path.parent.mkdir(parents=True)
            if path.parent.name == STATE_DIR:  # repairbot's own state folder: git should not see it
                (path.parent / ".gitignore").write_text("# written by repairbot\n*\n", encoding="utf-8")
        self.path = path
        # Validation threads journal too: one connection, serialised by a lock.
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        self._lock = threading.Lock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def start_run(self, command: str, project: Path, args: list[str]) -> int:
        cur = self.db.execute("INSERT INTO runs (started, command, project, args) VALUES (?, ?, ?, ?)",
                              (time.time(), command, os.fspath(project), json.dumps(args)))
        return int(cur.lastrowid or 0)

    def record(self, run: int, kind: str, **data: Any) -> None:
        row = (run, time.time(), kind, json.dumps(data, default=str, sort_keys=True))
        with self._lock:
            self.db.execute("INSERT INTO events (run, at, kind, data) VALUES (?, ?, ?, ?)", row)

    # -------------------------------------------------------------- outcomes and priors

    def record_outcome(self, fingerprint: str, outcome: str) -> tuple[str, str, str]:
        """Record what happened to a proposed patch (by fingerprint or a unique prefix of it).
        Returns (fingerprint, pattern, file); raises LookupError for an unknown or ambiguous one."""
        rows = self.db.execute("SELECT DISTINCT data FROM events WHERE kind = 'patch'").fetchall()
        hits = {}
        for (data,) in rows:
            d = json.loads(data)
            if str(d.get("fingerprint", "")).startswith(fingerprint):
                hits[d["fingerprint"]] = (d.get("pattern", ""), d.get("file", ""))
        if len(hits) != 1:
            raise LookupError(f"{'no' if not hits else len(hits)} proposed patch(es) match {fingerprint!r}")
        (fp, (pattern, file)), = hits.items()
        self.db.execute("INSERT INTO outcomes (at, fingerprint, pattern, file, outcome) VALUES (?, ?, ?, ?, ?)",
                        (time.time(), fp, pattern, file, outcome))
        return fp, pattern, file

    def acceptance(self) -> dict[str, tuple[float, float]]:
        """pattern -> Beta posterior (alpha, beta) from outcomes, starting at Beta(1, 1).
        A patch edited before merging counts half as accepted and half as rejected."""
        post: dict[str, list[float]] = {}
        for pattern, outcome in self.db.execute("SELECT pattern, outcome FROM outcomes"):
            a_b = post.setdefault(pattern, [1.0, 1.0])
            if outcome == "merged":
                a_b[0] += 1
            elif outcome == "closed":
                a_b[1] += 1
            else:
                a_b[0] += 0.5
                a_b[1] += 0.5
        return {k: (v[0], v[1]) for k, v in post.items()}

    def applied_events(self) -> list[tuple[float, dict[str, Any]]]:
        """(time, data) of every patch repairbot wrote into a tree, and not reverted."""
        reverted = {json.loads(d).get("fingerprint") for (d,) in
                    self.db.execute("SELECT data FROM events WHERE kind = 'reverted'")}
        out = []
        for at, data in self.db.execute("SELECT at, data FROM events WHERE kind = 'applied' ORDER BY id"):
            d = json.loads(data)
            if d.get("fingerprint") not in reverted:
                out.append((at, d))
        return out

    def settled_fingerprints(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT fingerprint FROM outcomes")}

    def rejected_fingerprints(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT fingerprint FROM outcomes WHERE outcome = 'closed'")}

    def runs(self, since: float | None = None) -> list[Run]:
        rows = self.db.execute("SELECT id, started, command, project, args FROM runs WHERE started >= ? ORDER BY id",
                               (since or 0.0,)).fetchall()
        ends = dict(self.db.execute("SELECT run, data FROM events WHERE kind = 'end'").fetchall())
        return [Run(r[0], r[1], r[2], r[3], json.loads(r[4]),
                    json.loads(ends[r[0]]).get("status", "?") if r[0] in ends else "incomplete") for r in rows]

    def events(self, run: int) -> Iterator[Event]:
        for r in self.db.execute("SELECT run, at, kind, data FROM events WHERE run = ? ORDER BY id", (run,)):
            yield Event(r[0], r[1], r[2], json.loads(r[3]))
