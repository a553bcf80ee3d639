"""The durable job queue: one SQLite table of jobs (queued, claimed, done, failed) and one of
webhook deliveries already seen.

Recording a delivery and queueing its job happen in one transaction, so a redelivered event is
recognised even across restarts and never queues a second job. A worker claims a job with a
lease; a worker that dies leaves the claim to expire and the job is taken again. Every claim
counts an attempt; a job that fails (or whose lease runs out) after `attempts` tries is failed
for good. Several worker threads or processes on one machine can share the file (WAL).

Nothing grows without bound: `prune` forgets finished jobs and their deliveries after the
retention period (GitHub redelivers at most a few days back), never a queued or claimed one.

The queue also keeps the pull requests opened per repository, so that the hourly cap counts
what every worker sharing the queue opened. For workers on several machines the same contract
is kept in Redis (`redisqueue.py`, `queue_url = "redis://..."`); `make_queue` picks one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from repairbot.config import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    received REAL NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    not_before REAL NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, not_before);
CREATE TABLE IF NOT EXISTS prs (
    repo TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS prs_repo ON prs(repo, at);
"""


@dataclass(frozen=True)
class QueuedJob:
    id: int
    delivery: str
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this claim
    max_attempts: int


@dataclass(frozen=True)
class Expired:
    """A job whose last lease ran out on its last attempt: failed without a worker saying so."""
    id: int
    delivery: str
    kind: str
    attempts: int


class JobQueue:
    def __init__(self, path: Path, max_attempts: int = 3, lease_seconds: float = 1800.0,
                 retry_delay: float = 5.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.retry_delay = retry_delay
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # an acknowledged delivery survives a power cut
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def receive(self, delivery: str, event: str, job: tuple[str, dict[str, Any]] | None, outcome: str,
                now: float | None = None) -> bool:
        """Record a delivery and queue its job (if any) atomically; False if the delivery was seen."""
        now = time.time() if now is None else now
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("INSERT INTO deliveries (id, event, received, outcome) VALUES (?, ?, ?, ?)",
                                (delivery, event, now, outcome))
                if job is not None:
                    kind, payload = job
                    self.db.execute(
                        "INSERT INTO jobs (delivery, kind, payload, state, max_attempts, created, updated) "
                        "VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                        (delivery, kind, json.dumps(payload, sort_keys=True), self.max_attempts, now, now))
                self.db.execute("COMMIT")
                return True
            except sqlite3.IntegrityError:
                self.db.execute("ROLLBACK")
                return False
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def claim(self, now: float | None = None) -> tuple[QueuedJob | None, list[Expired]]:
        """Take the oldest runnable job (queued and due, or claimed with an expired lease).
        Jobs whose lease expired on their last attempt are failed and returned for journalling."""
        now = time.time() if now is None else now
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                expired = [Expired(*r) for r in self.db.execute(
                    "SELECT id, delivery, kind, attempts FROM jobs WHERE state = 'claimed' AND lease_until <= ? "
                    "AND attempts >= max_attempts", (now,))]
                for e in expired:
                    self.db.execute("UPDATE jobs SET state = 'failed', updated = ?, error = ? WHERE id = ?",
                                    (now, "lease expired on the last attempt (worker died?)", e.id))
                row = self.db.execute(
                    "SELECT id, delivery, kind, payload, attempts, max_attempts FROM jobs "
                    "WHERE (state = 'queued' AND not_before <= ?) OR (state = 'claimed' AND lease_until <= ?) "
                    "ORDER BY id LIMIT 1", (now, now)).fetchone()
                job = None
                if row:
                    self.db.execute("UPDATE jobs SET state = 'claimed', attempts = attempts + 1, lease_until = ?, "
                                    "updated = ? WHERE id = ?", (now + self.lease_seconds, now, row[0]))
                    job = QueuedJob(row[0], row[1], row[2], json.loads(row[3]), row[4] + 1, row[5])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return job, expired

    def done(self, job_id: int, now: float | None = None) -> None:
        with self._lock:
            self.db.execute("UPDATE jobs SET state = 'done', updated = ? WHERE id = ? AND state = 'claimed'",
                            (time.time() if now is None else now, job_id))

    def fail(self, job_id: int, error: str, now: float | None = None) -> bool:
        """A failed attempt: queued again after a delay, or failed for good. True if final."""
        now = time.time() if now is None else now
        with self._lock:
            row = self.db.execute("SELECT attempts, max_attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
            final = row is None or row[0] >= row[1]
            self.db.execute("UPDATE jobs SET state = ?, not_before = ?, updated = ?, error = ? WHERE id = ?",
                            ("failed" if final else "queued", now + self.retry_delay * (row[0] if row else 1),
                             now, error[-2000:], job_id))
        return final

    def release(self, job_id: int) -> None:
        """Give a claimed job back untouched (the worker is shutting down): queued again at once,
        and the interrupted attempt does not count."""
        with self._lock:
            self.db.execute("UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_until = 0, "
                            "not_before = 0, updated = ? WHERE id = ? AND state = 'claimed'", (time.time(), job_id))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self.db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {state: n for state, n in rows}

    def jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self.db.execute("SELECT id, delivery, kind, state, attempts, error FROM jobs ORDER BY id")
            return [dict(zip(("id", "delivery", "kind", "state", "attempts", "error"), r)) for r in cur]

    def prune(self, older_than: float, now: float | None = None) -> tuple[int, int]:
        """Delete done and failed jobs last updated more than `older_than` seconds ago, and
        deliveries received before then that have no job left. Returns (jobs, deliveries)."""
        cutoff = (time.time() if now is None else now) - older_than
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                jobs = self.db.execute("DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated < ?",
                                       (cutoff,)).rowcount
                deliveries = self.db.execute(
                    "DELETE FROM deliveries WHERE received < ? AND id NOT IN (SELECT delivery FROM jobs)",
                    (cutoff,)).rowcount
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return jobs, deliveries

    def deliveries(self) -> dict[str, str]:
        with self._lock:
            return dict(self.db.execute("SELECT id, outcome FROM deliveries ORDER BY received, id").fetchall())

    def pr_opened(self, repo: str, now: float | None = None) -> None:
        """Count a pull request opened in `repo` (for the hourly cap); entries older than a day go."""
        now = time.time() if now is None else now
        with self._lock:
            self.db.execute("INSERT INTO prs (repo, at) VALUES (?, ?)", (repo, now))
            self.db.execute("DELETE FROM prs WHERE repo = ? AND at < ?", (repo, now - 86400))

    def prs_since(self, repo: str, seconds: float, now: float | None = None) -> int:
        """Pull requests opened in `repo` in the last `seconds`, by any worker sharing the queue."""
        now = time.time() if now is None else now
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM prs WHERE repo = ? AND at >= ?",
                                   (repo, now - seconds)).fetchone()[0]


def redact_url(url: str) -> str:
    """The URL without its password (`redis://:secret@host` -> `redis://:***@host`)."""
    head, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    if not at or ":" not in auth:
        return url
    return f"{head}{sep}{auth.split(':', 1)[0]}:***@{host}"


class Queue(Protocol):
    """What the receiver and the workers need of a queue: `JobQueue` or `RedisQueue`."""

    def receive(self, delivery: str, event: str, job: tuple[str, dict[str, Any]] | None, outcome: str,
                now: float | None = None) -> bool: ...
    def claim(self, now: float | None = None) -> tuple[QueuedJob | None, list[Expired]]: ...
    def done(self, job_id: int, now: float | None = None) -> None: ...
    def fail(self, job_id: int, error: str, now: float | None = None) -> bool: ...
    def release(self, job_id: int) -> None: ...
    def counts(self) -> dict[str, int]: ...
    def jobs(self) -> list[dict[str, Any]]: ...
    def prune(self, older_than: float, now: float | None = None) -> tuple[int, int]: ...
    def deliveries(self) -> dict[str, str]: ...
    def pr_opened(self, repo: str, now: float | None = None) -> None: ...
    def prs_since(self, repo: str, seconds: float, now: float | None = None) -> int: ...
    def close(self) -> None: ...


def make_queue(url: str, path: Path, max_attempts: int, lease_seconds: float, retry_delay: float) -> Queue:
    """The Redis queue for a `redis://` (or `rediss://`, `unix://`) URL, else SQLite at `path`."""
    if url:
        try:
            import redis
        except ImportError:
            raise ConfigError(f"queue_url {redact_url(url)}: the Redis client is not installed "
                              "(pip install 'repairbot[redis]')") from None
        from repairbot.app.redisqueue import RedisQueue

        try:
            return RedisQueue(url, max_attempts, lease_seconds, retry_delay)
        except (redis.exceptions.RedisError, ValueError) as e:
            raise ConfigError(f"queue_url {redact_url(url)}: {type(e).__name__}: {e}") from None
    return JobQueue(path, max_attempts, lease_seconds, retry_delay)
