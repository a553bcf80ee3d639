"""The job queue's contract, kept alike by the SQLite queue (one machine) and the Redis queue
(several machines): every test runs against both, the Redis one on a real redis-server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from repairbot.app.queue import JobQueue, Queue
from repairbot.app.redisqueue import RedisQueue

DAY = 86400.0


@pytest.fixture(params=["sqlite", "redis"])
def make(request: pytest.FixtureRequest, tmp_path: Path):
    """A factory of queues that share one store: two calls are two machines (or processes)."""
    made: list[Queue] = []
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def new(**kw: float) -> Queue:
        q: Queue = RedisQueue(url, **kw) if url else JobQueue(tmp_path / "q.db", **kw)  # type: ignore[arg-type]
        made.append(q)
        return q

    yield new
    for q in made:
        q.close()


def test_a_delivery_is_recorded_once_and_its_job_claimed_once(make) -> None:
    a, b = make(), make()
    assert a.receive("d1", "workflow_run", ("fix", {"repo": "acme/x", "n": [1, 2]}), "queued fix")
    assert not b.receive("d1", "workflow_run", ("fix", {"repo": "acme/x"}), "queued fix"), "seen on the other machine"
    assert b.receive("ping-1", "ping", None, "ignored: ping")
    assert a.deliveries() == {"d1": "queued fix", "ping-1": "ignored: ping"}
    job, expired = b.claim()
    assert job is not None and expired == []
    assert (job.delivery, job.kind, job.payload, job.attempts, job.max_attempts) == \
        ("d1", "fix", {"repo": "acme/x", "n": [1, 2]}, 1, 3)
    assert a.claim() == (None, []), "a claimed job is nobody else's until its lease runs out"
    assert a.counts() == {"claimed": 1}
    a.done(job.id)
    assert b.counts() == {"done": 1}
    assert [(j["delivery"], j["state"], j["attempts"]) for j in b.jobs()] == [("d1", "done", 1)]


def test_the_oldest_due_job_comes_first(make) -> None:
    q = make()
    for d in ("first", "second", "third"):
        assert q.receive(d, "workflow_run", ("fix", {}), "queued")
    got = [q.claim()[0] for _ in range(3)]
    assert [j.delivery for j in got if j] == ["first", "second", "third"]


def test_a_failed_attempt_is_retried_after_a_growing_delay_then_failed_for_good(make) -> None:
    q = make(max_attempts=2, retry_delay=10.0)
    now = time.time()
    assert q.receive("d", "workflow_run", ("fix", {}), "queued", now=now)
    job, _ = q.claim(now)
    assert job is not None and not q.fail(job.id, "boom", now=now)
    assert q.counts() == {"queued": 1}
    assert q.claim(now + 9)[0] is None, "not before the delay"
    job, _ = q.claim(now + 11)
    assert job is not None and job.attempts == 2
    assert q.fail(job.id, "boom again", now=now + 11), "the last attempt: failed for good"
    assert q.claim(now + 1000) == (None, [])
    assert [(j["state"], j["error"]) for j in q.jobs()] == [("failed", "boom again")]


def test_lease_expiry_retakes_a_job_and_fails_it_on_the_last_attempt(make) -> None:
    q = make(max_attempts=2, lease_seconds=10.0)
    now = time.time()
    assert q.receive("d", "pull_request", ("feedback", {}), "queued", now=now)
    job, _ = q.claim(now)
    assert job and job.attempts == 1
    job, _ = q.claim(now + 11)  # the first worker died
    assert job and job.attempts == 2
    job, expired = q.claim(now + 22)  # so did the second
    assert job is None and [(e.delivery, e.kind, e.attempts) for e in expired] == [("d", "feedback", 2)]
    assert q.counts() == {"failed": 1}


def test_a_released_job_is_queued_again_at_once_and_the_attempt_not_counted(make) -> None:
    q = make()
    assert q.receive("d", "workflow_run", ("fix", {}), "queued")
    job, _ = q.claim()
    assert job is not None
    q.release(job.id)
    again, _ = q.claim()
    assert again is not None and again.id == job.id and again.attempts == 1
    q.done(job.id)
    q.release(job.id)  # a finished job is not given back
    assert q.counts() == {"done": 1}


def test_prune_forgets_old_finished_work_never_pending_work(make) -> None:
    q = make(max_attempts=1, lease_seconds=100 * DAY)
    old, new = time.time() - 40 * DAY, time.time()
    for d in ("done-old", "failed-old", "claimed-old"):
        assert q.receive(d, "workflow_run", ("feedback", {}), "queued", now=old)
    assert q.receive("done-new", "workflow_run", ("feedback", {}), "queued", now=new)
    assert q.receive("queued-old", "workflow_run", ("feedback", {}), "queued", now=old)
    assert q.receive("ignored-old", "ping", None, "ignored", now=old)
    jobs = {}
    for d in ("done-old", "failed-old", "claimed-old", "done-new"):
        job, _ = q.claim(old if d.endswith("old") else new)
        assert job is not None and job.delivery == d
        jobs[d] = job.id
    q.done(jobs["done-old"], now=old)
    q.fail(jobs["failed-old"], "boom", now=old)
    q.done(jobs["done-new"], now=new)
    assert q.prune(30 * DAY) == (2, 3)  # two finished jobs; their deliveries and the ignored ping
    assert {j["delivery"]: j["state"] for j in q.jobs()} == \
        {"claimed-old": "claimed", "queued-old": "queued", "done-new": "done"}
    assert set(q.deliveries()) == {"claimed-old", "queued-old", "done-new"}
    assert q.prune(30 * DAY) == (0, 0)
    assert q.receive("done-old", "workflow_run", None, "queued"), "a pruned delivery is new again"
    assert not q.receive("done-new", "workflow_run", None, "queued")


def test_pull_requests_are_counted_per_repository_over_the_window(make) -> None:
    a, b = make(), make()
    now = time.time()
    a.pr_opened("acme/x", now=now - 4000)
    a.pr_opened("acme/x", now=now - 100)
    b.pr_opened("acme/x", now=now - 10)
    b.pr_opened("acme/y", now=now - 10)
    assert a.prs_since("acme/x", 3600, now=now) == 2 == b.prs_since("acme/x", 3600, now=now)
    assert a.prs_since("acme/y", 3600, now=now) == 1 and a.prs_since("acme/z", 3600, now=now) == 0


def test_workers_racing_for_jobs_take_each_exactly_once(make) -> None:
    """Eight workers on separate connections (separate machines, for Redis) drain 60 jobs."""
    feeder = make()
    for i in range(60):
        assert feeder.receive(f"d{i}", "workflow_run", ("fix", {"i": i}), "queued")
    taken: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        q = make()
        while True:
            job, _ = q.claim()
            if job is None:
                return
            with lock:
                taken.append(job.payload["i"])
            q.done(job.id)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(taken) == list(range(60))
    assert feeder.counts() == {"done": 60}
