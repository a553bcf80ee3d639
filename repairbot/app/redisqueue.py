"""The job queue in Redis, for receivers and workers on several machines (`queue_url = "redis://..."`).

The same contract as the SQLite queue (`queue.py`), kept by one Lua script per operation, so
each is atomic on the server: a delivery is recorded and its job queued at once or not at all,
and two workers on two machines never claim the same job. Times come from the Redis server's
clock (`TIME`), so machines whose clocks disagree still agree on leases and retry delays.

Layout, every key under one hash tag (`{repairbot}:` by default) so that they live together:
`job:<id>` (a hash), `jobs` (all ids), `ready` (queued, scored by when due), `leased` (claimed,
scored by lease end), `finished` (done or failed, scored by when), `delivery:<id>` (a hash),
`deliveries` (scored by arrival), `prs:<repo>` (pull requests opened, for the hourly cap).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from repairbot.app.queue import Expired, QueuedJob

_NOW = """
local function now(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function num(x) return string.format('%.6f', x) end
"""

_RECEIVE = _NOW + """
local p, delivery = ARGV[1], ARGV[2]
local dkey = p .. 'delivery:' .. delivery
if redis.call('EXISTS', dkey) == 1 then return 0 end
local t = now(ARGV[5])
local id = ''
if ARGV[9] == '1' then
  id = tostring(redis.call('INCR', p .. 'seq'))
  redis.call('HSET', p .. 'job:' .. id, 'delivery', delivery, 'kind', ARGV[6], 'payload', ARGV[7],
             'state', 'queued', 'attempts', 0, 'max_attempts', ARGV[8], 'not_before', 0, 'lease_until', 0,
             'created', num(t), 'updated', num(t), 'error', '')
  redis.call('ZADD', p .. 'jobs', id, id)
  redis.call('ZADD', p .. 'ready', 0, id)
end
redis.call('HSET', dkey, 'event', ARGV[3], 'received', num(t), 'outcome', ARGV[4], 'job', id)
redis.call('ZADD', p .. 'deliveries', num(t), delivery)
return 1
"""

_CLAIM = _NOW + """
local p = ARGV[1]
local t = now(ARGV[2])
local lease = tonumber(ARGV[3])
local expired, candidates = {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'leased', '-inf', num(t))) do
  local k = p .. 'job:' .. id
  local a = tonumber(redis.call('HGET', k, 'attempts'))
  if a >= tonumber(redis.call('HGET', k, 'max_attempts')) then
    redis.call('HSET', k, 'state', 'failed', 'updated', num(t), 'error', 'lease expired on the last attempt (worker died?)')
    redis.call('ZREM', p .. 'leased', id)
    redis.call('ZADD', p .. 'finished', num(t), id)
    table.insert(expired, {id, redis.call('HGET', k, 'delivery'), redis.call('HGET', k, 'kind'), a})
  else
    table.insert(candidates, tonumber(id))
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'ready', '-inf', num(t))) do
  table.insert(candidates, tonumber(id))
end
local best = nil
for _, id in ipairs(candidates) do
  if best == nil or id < best then best = id end
end
if best == nil then return {{}, expired} end
local k = p .. 'job:' .. best
redis.call('ZREM', p .. 'ready', best)
local a = redis.call('HINCRBY', k, 'attempts', 1)
redis.call('HSET', k, 'state', 'claimed', 'lease_until', num(t + lease), 'updated', num(t))
redis.call('ZADD', p .. 'leased', num(t + lease), best)
return {{best, redis.call('HGET', k, 'delivery'), redis.call('HGET', k, 'kind'), redis.call('HGET', k, 'payload'),
         a, tonumber(redis.call('HGET', k, 'max_attempts'))}, expired}
"""

_DONE = _NOW + """
local p, id = ARGV[1], ARGV[2]
local k = p .. 'job:' .. id
if redis.call('HGET', k, 'state') ~= 'claimed' then return 0 end
local t = now(ARGV[3])
redis.call('HSET', k, 'state', 'done', 'updated', num(t))
redis.call('ZREM', p .. 'leased', id)
redis.call('ZADD', p .. 'finished', num(t), id)
return 1
"""

_FAIL = _NOW + """
local p, id = ARGV[1], ARGV[2]
local k = p .. 'job:' .. id
if redis.call('EXISTS', k) == 0 then return 1 end
local t = now(ARGV[4])
local a = tonumber(redis.call('HGET', k, 'attempts'))
local final = a >= tonumber(redis.call('HGET', k, 'max_attempts'))
local due = t + tonumber(ARGV[5]) * a
redis.call('ZREM', p .. 'leased', id)
if final then
  redis.call('HSET', k, 'state', 'failed', 'updated', num(t), 'error', ARGV[3], 'not_before', num(due))
  redis.call('ZADD', p .. 'finished', num(t), id)
  return 1
end
redis.call('HSET', k, 'state', 'queued', 'updated', num(t), 'error', ARGV[3], 'not_before', num(due))
redis.call('ZADD', p .. 'ready', num(due), id)
return 0
"""

_RELEASE = _NOW + """
local p, id = ARGV[1], ARGV[2]
local k = p .. 'job:' .. id
if redis.call('HGET', k, 'state') ~= 'claimed' then return 0 end
local a = math.max(tonumber(redis.call('HGET', k, 'attempts')) - 1, 0)
redis.call('HSET', k, 'state', 'queued', 'attempts', a, 'lease_until', 0, 'not_before', 0, 'updated', num(now('')))
redis.call('ZREM', p .. 'leased', id)
redis.call('ZADD', p .. 'ready', 0, id)
return 1
"""

_JOBS = """
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGE', p .. 'jobs', 0, -1)) do
  local v = redis.call('HMGET', p .. 'job:' .. id, 'delivery', 'kind', 'state', 'attempts', 'error')
  table.insert(out, {id, v[1], v[2], v[3], v[4], v[5]})
end
return out
"""

_PRUNE = _NOW + """
local p = ARGV[1]
local cutoff = now(ARGV[2]) - tonumber(ARGV[3])
local jobs, deliveries = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'finished', '-inf', '(' .. num(cutoff))) do
  redis.call('DEL', p .. 'job:' .. id)
  redis.call('ZREM', p .. 'jobs', id)
  redis.call('ZREM', p .. 'finished', id)
  jobs = jobs + 1
end
for _, d in ipairs(redis.call('ZRANGEBYSCORE', p .. 'deliveries', '-inf', '(' .. num(cutoff))) do
  local job = redis.call('HGET', p .. 'delivery:' .. d, 'job')
  if job == false or job == '' or redis.call('EXISTS', p .. 'job:' .. job) == 0 then
    redis.call('DEL', p .. 'delivery:' .. d)
    redis.call('ZREM', p .. 'deliveries', d)
    deliveries = deliveries + 1
  end
end
return {jobs, deliveries}
"""

_DELIVERIES = """
local p = ARGV[1]
local out = {}
for _, d in ipairs(redis.call('ZRANGE', p .. 'deliveries', 0, -1)) do
  table.insert(out, {d, redis.call('HGET', p .. 'delivery:' .. d, 'outcome')})
end
return out
"""

_PR_OPENED = _NOW + """
local t = now(ARGV[3])
redis.call('ZADD', ARGV[1] .. 'prs:' .. ARGV[2], num(t), ARGV[4])
redis.call('ZREMRANGEBYSCORE', ARGV[1] .. 'prs:' .. ARGV[2], '-inf', '(' .. num(t - 86400))
return 1
"""

_PRS_SINCE = _NOW + """
return redis.call('ZCOUNT', ARGV[1] .. 'prs:' .. ARGV[2], num(now(ARGV[3]) - tonumber(ARGV[4])), '+inf')
"""


def _at(now: float | None) -> str:
    return "" if now is None else repr(float(now))


class RedisQueue:
    """`queue.JobQueue`'s contract on a Redis server shared by several machines."""

    def __init__(self, url: str, max_attempts: int = 3, lease_seconds: float = 1800.0, retry_delay: float = 5.0,
                 prefix: str = "{repairbot}:") -> None:
        import redis

        self.url = url
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.retry_delay = retry_delay
        self.prefix = prefix
        self._lock = threading.Lock()  # one client shared by the worker threads and the receiver
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30, socket_connect_timeout=10,
                                           health_check_interval=30)
        self.client.ping()  # fail at start, with the URL in the message, not at the first webhook
        scripts = {"receive": _RECEIVE, "claim": _CLAIM, "done": _DONE, "fail": _FAIL, "release": _RELEASE,
                   "jobs": _JOBS, "prune": _PRUNE, "deliveries": _DELIVERIES, "pr_opened": _PR_OPENED,
                   "prs_since": _PRS_SINCE}
        self._scripts = {name: self.client.register_script(src) for name, src in scripts.items()}

    def _run(self, name: str, *args: Any) -> Any:
        with self._lock:
            return self._scripts[name](args=[self.prefix, *args])

    def close(self) -> None:
        with self._lock:
            self.client.close()

    def receive(self, delivery: str, event: str, job: tuple[str, dict[str, Any]] | None, outcome: str,
                now: float | None = None) -> bool:
        kind, payload = job if job is not None else ("", {})
        return self._run("receive", delivery, event, outcome, _at(now), kind, json.dumps(payload, sort_keys=True),
                         self.max_attempts, "1" if job is not None else "0") == 1

    def claim(self, now: float | None = None) -> tuple[QueuedJob | None, list[Expired]]:
        row, expired = self._run("claim", _at(now), self.lease_seconds)
        gone = [Expired(int(i), d, k, int(a)) for i, d, k, a in expired]
        if not row:
            return None, gone
        i, delivery, kind, payload, attempts, max_attempts = row
        return QueuedJob(int(i), delivery, kind, json.loads(payload), int(attempts), int(max_attempts)), gone

    def done(self, job_id: int, now: float | None = None) -> None:
        self._run("done", job_id, _at(now))

    def fail(self, job_id: int, error: str, now: float | None = None) -> bool:
        return self._run("fail", job_id, error[-2000:], _at(now), self.retry_delay) == 1

    def release(self, job_id: int) -> None:
        self._run("release", job_id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for job in self.jobs():
            out[job["state"]] = out.get(job["state"], 0) + 1
        return out

    def jobs(self) -> list[dict[str, Any]]:
        keys = ("id", "delivery", "kind", "state", "attempts", "error")
        return [dict(zip(keys, (int(r[0]), r[1], r[2], r[3], int(r[4]), r[5]))) for r in self._run("jobs")]

    def prune(self, older_than: float, now: float | None = None) -> tuple[int, int]:
        jobs, deliveries = self._run("prune", _at(now), older_than)
        return int(jobs), int(deliveries)

    def deliveries(self) -> dict[str, str]:
        return dict(self._run("deliveries"))

    def pr_opened(self, repo: str, now: float | None = None) -> None:
        self._run("pr_opened", repo, _at(now), uuid.uuid4().hex)

    def prs_since(self, repo: str, seconds: float, now: float | None = None) -> int:
        return int(self._run("prs_since", repo, _at(now), seconds))


def wait_until_up(url: str, timeout: float = 10.0) -> None:
    """Block until a Redis server answers at `url` (tests start one and wait for it)."""
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
