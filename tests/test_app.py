"""The GitHub App (`repairbot serve`): the receiver over real HTTP (uvicorn on 127.0.0.1), the
durable queue across restarts, and end to end against a local fake of GitHub's REST API with a
local bare repository as the remote."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fakegithub import FakeGitHub, FakeRepo, serve_in_thread, stop_server
from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.app.config import AppConfig, load_app_config
from repairbot.app.events import FeedbackJob, FixJob, Ignored, classify
from repairbot.app.queue import JobQueue
from repairbot.app.sandbox import run_limited, scrubbed_env
from repairbot.app.service import Service, build
from repairbot.audit import Journal
from repairbot.config import ConfigError

SECRET = "whsec-" + "s3cr3t-webhook-value-0123456789"
APP_ID = 4242
INSTALLATION = 77
REPO = "acme/inventory"
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ payloads, shaped like GitHub's


def _repository() -> dict[str, Any]:
    return {"id": 1296269, "node_id": "R_1", "name": "inventory", "full_name": REPO, "private": False,
            "owner": {"login": "acme", "id": 1, "type": "Organization"},
            "html_url": f"https://github.example/{REPO}", "default_branch": "main"}


def _common(sender: str = "octocat", sender_type: str = "User") -> dict[str, Any]:
    return {"repository": _repository(), "sender": {"login": sender, "id": 583231, "type": sender_type},
            "installation": {"id": INSTALLATION, "node_id": "MDIz"}}


def workflow_run(sha: str, run_id: int = 30433642, conclusion: str = "failure", branch: str = "main",
                 **sender: str) -> dict[str, Any]:
    return {"action": "completed", **_common(**sender), "workflow_run": {
        "id": run_id, "name": "CI", "head_branch": branch, "head_sha": sha, "event": "push",
        "status": "completed", "conclusion": conclusion, "run_attempt": 1,
        "html_url": f"https://github.example/{REPO}/actions/runs/{run_id}", "pull_requests": [],
        "head_repository": {"full_name": REPO}, "repository": {"full_name": REPO}}}


def check_suite(sha: str, conclusion: str = "failure", app: str = "circleci-checks") -> dict[str, Any]:
    return {"action": "completed", **_common(), "check_suite": {
        "id": 118578147, "head_branch": "main", "head_sha": sha, "status": "completed", "conclusion": conclusion,
        "pull_requests": [], "app": {"id": 15368, "slug": app}}}


def issue_comment(body: str, association: str = "MEMBER", on_pr: bool = True, **sender: str) -> dict[str, Any]:
    issue: dict[str, Any] = {"number": 3, "title": "broken", "state": "open", "user": {"login": "octocat"}}
    if on_pr:
        issue["pull_request"] = {"url": f"https://api.github.example/repos/{REPO}/pulls/3"}
    return {"action": "created", **_common(**sender), "issue": issue, "comment": {
        "id": 1, "body": body, "author_association": association, "user": {"login": "octocat", "type": "User"},
        "html_url": f"https://github.example/{REPO}/pull/3#issuecomment-1"}}


def pull_request_closed(ref: str, merged: bool, commits: int = 1, number: int = 1) -> dict[str, Any]:
    return {"action": "closed", "number": number, **_common(), "pull_request": {
        "number": number, "state": "closed", "merged": merged, "commits": commits,
        "head": {"ref": ref, "sha": "0" * 40}, "base": {"ref": "main"},
        "user": {"login": "repairbot[bot]", "type": "Bot"}}}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, event: str, payload: Any = None, *, raw: bytes | None = None, signature: str | None = "auto",
         delivery: str | None = None, **kw: Any) -> httpx.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
               "Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/abc"}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(url, content=kw.pop("content", body), headers=headers, timeout=10, **kw)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def app_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path_factory.mktemp("key") / "app.pem"
    path.write_text(pem)
    return path, pem, public


def make_config(tmp: Path, key: Path, **kw: Any) -> AppConfig:
    values: dict[str, Any] = {"app_id": APP_ID, "private_key_path": key, "webhook_secret": SECRET,
                              "state_dir": tmp / "state", "workers": 0, "repair_jobs": 1, "retry_delay": 0.0}
    values.update(kw)
    return AppConfig(**values)


class Running:
    """A built service whose receiver listens on a loopback port."""

    def __init__(self, cfg: AppConfig) -> None:
        self.svc: Service = build(cfg)
        self.server, self.thread, port = serve_in_thread(self.svc.asgi)
        self.url = f"http://127.0.0.1:{port}/webhook"

    def close(self) -> None:
        stop_server(self.server, self.thread)
        self.svc.close()


@pytest.fixture
def receiver(tmp_path: Path, app_key) -> Iterator[Running]:
    r = Running(make_config(tmp_path, app_key[0], max_body_bytes=4096))
    yield r
    r.close()


# ------------------------------------------------------------------ the receiver over HTTP


def test_signature_size_and_json_are_checked_before_anything_is_queued(receiver: Running) -> None:
    url, payload = receiver.url, workflow_run("a" * 40)
    body = json.dumps(payload).encode()
    assert post(url, "workflow_run", payload, signature=None).status_code == 401
    assert post(url, "workflow_run", payload, signature=sign(body, "wrong-secret")).status_code == 401
    assert post(url, "workflow_run", payload, signature="sha256=" + "0" * 64).status_code == 401
    assert post(url, "workflow_run", payload, signature="sha1=" + hashlib.sha1(body).hexdigest()).status_code == 401
    # a valid signature over a different body (tampered in transit)
    assert post(url, "workflow_run", raw=body, signature=sign(body + b" ")).status_code == 401
    bad = b'{"action": "completed", '
    assert post(url, "workflow_run", raw=bad).status_code == 400
    assert post(url, "workflow_run", raw=b"\xff\xfe not utf-8").status_code == 400
    big = json.dumps({"action": "completed", "pad": "x" * 5000}).encode()
    assert post(url, "workflow_run", raw=big).status_code == 413
    # without a Content-Length (chunked), the limit is enforced while reading
    chunks = iter([big[:3000], big[3000:]])
    r = post(url, "workflow_run", raw=big, content=chunks)
    assert r.status_code == 413
    assert receiver.svc.queue.counts() == {} and receiver.svc.queue.deliveries() == {}
    r = post(url, "workflow_run", payload)
    assert r.status_code == 202 and r.json() == {"status": "queued", "job": "fix"}
    assert receiver.svc.queue.counts() == {"queued": 1}


def test_a_redelivered_event_is_answered_but_queues_nothing(receiver: Running) -> None:
    payload = workflow_run("b" * 40)
    first = post(receiver.url, "workflow_run", payload, delivery="d-1")
    again = post(receiver.url, "workflow_run", payload, delivery="d-1")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    ping = {"zen": "Keep it logically awesome.", "hook_id": 1, **_common()}
    assert post(receiver.url, "ping", ping, delivery="d-2").json()["status"] == "ignored"
    assert post(receiver.url, "ping", ping, delivery="d-2").json()["status"] == "duplicate"
    assert receiver.svc.queue.counts() == {"queued": 1}
    assert set(receiver.svc.queue.deliveries()) == {"d-1", "d-2"}


def test_answers_within_milliseconds(receiver: Running) -> None:
    times = []
    for i in range(20):
        t = time.perf_counter()
        assert post(receiver.url, "workflow_run", workflow_run(f"{i:040x}", run_id=i)).status_code == 202
        times.append(time.perf_counter() - t)
    # generous for a shared 2-core machine; the work itself is one SQLite transaction
    assert sorted(times)[len(times) // 2] < 0.25
    assert receiver.svc.queue.counts() == {"queued": 20}


@pytest.mark.parametrize(("event", "payload", "expect"), [
    ("workflow_run", workflow_run("c" * 40), FixJob),
    ("workflow_run", workflow_run("c" * 40, conclusion="success"), "concluded success"),
    ("workflow_run", workflow_run("c" * 40, branch="repairbot/abc"), "repairbot's own branch"),
    ("workflow_run", workflow_run("c" * 40, sender="repairbot[bot]", sender_type="Bot"), "bot"),
    ("workflow_run", workflow_run("c" * 40, sender="dependabot[bot]", sender_type="Bot"), "bot"),
    ("check_suite", check_suite("c" * 40), FixJob),
    ("check_suite", check_suite("c" * 40, conclusion="neutral"), "concluded neutral"),
    ("check_suite", check_suite("c" * 40, app="github-actions"), "handled through workflow_run"),
    ("issue_comment", issue_comment("Looks broken.\n/repairbot fix\nthanks"), FixJob),
    ("issue_comment", issue_comment("/repairbot fix", association="OWNER", on_pr=False), FixJob),
    ("issue_comment", issue_comment("/repairbot fix", association="COLLABORATOR"), FixJob),
    ("issue_comment", issue_comment("/repairbot fix", association="CONTRIBUTOR"), "only owners"),
    ("issue_comment", issue_comment("/repairbot fix", association="NONE"), "only owners"),
    ("issue_comment", issue_comment("please /repairbot fix this"), "own line"),
    ("issue_comment", issue_comment("/repairbot fix", sender="ci[bot]", sender_type="Bot"), "bot"),
    ("pull_request", pull_request_closed("repairbot/f55c6463ae60e542", merged=True), FeedbackJob),
    ("pull_request", pull_request_closed("feature/x", merged=True), "not a repairbot"),
    ("push", {"ref": "refs/heads/main", **_common()}, "not handled"),
    ("workflow_run", {"action": "completed", **_common()}, "lacks"),
])
def test_events_over_http(receiver: Running, event: str, payload: dict, expect: Any) -> None:
    r = post(receiver.url, event, payload)
    if isinstance(expect, str):
        assert r.status_code == 200 and r.json()["status"] == "ignored" and expect in r.json()["reason"]
        assert receiver.svc.queue.counts() == {}
    else:
        assert r.status_code == 202
        (job,) = receiver.svc.queue.jobs()
        assert job["kind"] == expect.kind and job["state"] == "queued"
        assert isinstance(classify(event, payload), expect)


def test_feedback_outcome_from_the_closing_event() -> None:
    ref = "repairbot/f55c6463ae60e542"
    assert classify("pull_request", pull_request_closed(ref, merged=False)).outcome == "closed"
    assert classify("pull_request", pull_request_closed(ref, merged=True)).outcome == "merged"
    assert classify("pull_request", pull_request_closed(ref, merged=True, commits=3)).outcome == "edited"
    assert classify("pull_request", pull_request_closed(ref, merged=True)).fingerprint == "f55c6463ae60e542"
    assert isinstance(classify("workflow_run", ["not", "an", "object"]), Ignored)


# ------------------------------------------------------------------ durability


def test_restart_with_jobs_queued_loses_nothing_and_does_nothing_twice(tmp_path: Path, app_key) -> None:
    cfg = make_config(tmp_path, app_key[0], lease_seconds=0.5)
    first = Running(cfg)
    payloads = [pull_request_closed(f"repairbot/{i:016x}", merged=bool(i % 2), number=i) for i in range(4)]
    for i, p in enumerate(payloads):
        assert post(first.url, "pull_request", p, delivery=f"pr-{i}").status_code == 202
    # a worker claims one job and dies before finishing it
    claimed, _ = first.svc.queue.claim()
    assert claimed is not None
    first.close()

    second = Running(cfg)
    try:
        assert second.svc.queue.counts() == {"queued": 3, "claimed": 1}
        assert post(second.url, "pull_request", payloads[0], delivery="pr-0").json()["status"] == "duplicate"
        time.sleep(0.6)  # the dead worker's lease runs out
        while second.svc.worker.run_once():
            pass
        assert second.svc.queue.counts() == {"done": 4}
        journal = second.svc.journal
        seen = [e.data["delivery"] for r in journal.runs() for e in journal.events(r.id) if e.kind == "job"]
        assert sorted(seen) == [f"pr-{i}" for i in range(4)]
        # no patch was ever proposed for these fingerprints: each is journalled as unknown, once
        unknown = [e.data["fingerprint"] for r in journal.runs() for e in journal.events(r.id)
                   if e.kind == "feedback_unknown"]
        assert sorted(unknown) == [f"{i:016x}" for i in range(4)]
    finally:
        second.close()


def test_a_crashing_job_is_retried_a_bounded_number_of_times_then_journalled(tmp_path: Path, app_key) -> None:
    fake = FakeGitHub(APP_ID, app_key[2], installations=set())  # the token request will be refused
    base = fake.start()
    cfg = make_config(tmp_path, app_key[0], base_url=base, job_attempts=3)
    svc = build(cfg)
    try:
        assert svc.queue.receive("x-1", "workflow_run", ("fix", {"repo": REPO, "installation": 5,
                                 "trigger": "workflow_run", "trigger_url": "u", "head_sha": "a" * 40,
                                 "head_branch": "main"}), "queued fix")
        runs = 0
        while svc.worker.run_once():
            runs += 1
        assert runs == 3 and svc.queue.counts() == {"failed": 1}
        kinds = [e.kind for r in svc.journal.runs() for e in svc.journal.events(r.id)]
        assert kinds.count("job_retry") == 2 and kinds.count("job_failed") == 1
        failed = next(e for r in svc.journal.runs() for e in svc.journal.events(r.id) if e.kind == "job_failed")
        assert "404" in failed.data["error"] and failed.data["attempt"] == 3
        assert [m for m, _, auth in fake.requests] == ["POST"] * 3  # only ever asked for a token, with a JWT
        assert {auth for _, _, auth in fake.requests} == {"jwt"}
    finally:
        svc.close()
        fake.stop()


def test_queue_lease_expiry_on_the_last_attempt_fails_the_job(tmp_path: Path) -> None:
    q = JobQueue(tmp_path / "q.db", max_attempts=2, lease_seconds=10)
    assert q.receive("d", "pull_request", ("feedback", {}), "queued")
    now = time.time()
    job, _ = q.claim(now)
    assert job and job.attempts == 1
    job, _ = q.claim(now + 11)  # the first worker died
    assert job and job.attempts == 2
    job, expired = q.claim(now + 22)  # so did the second
    assert job is None and [e.delivery for e in expired] == ["d"]
    assert q.counts() == {"failed": 1}


def test_prune_forgets_old_finished_jobs_and_deliveries_but_never_pending_work(tmp_path: Path) -> None:
    q = JobQueue(tmp_path / "q.db", max_attempts=1)
    for d in ("done-old", "failed-old", "claimed-old", "done-new", "queued-old"):
        assert q.receive(d, "workflow_run", ("feedback", {}), "queued")
    assert q.receive("ignored-old", "ping", None, "ignored")
    day = 86400.0
    for d in ("done-old", "failed-old", "claimed-old", "done-new"):
        job, _ = q.claim()
        assert job is not None and job.delivery == d
    ids = {j["delivery"]: j["id"] for j in q.jobs()}
    q.done(ids["done-old"])
    q.fail(ids["failed-old"], "boom")
    q.done(ids["done-new"])
    # age everything but done-new by 40 days
    q.db.execute("UPDATE jobs SET updated = updated - ? WHERE delivery != 'done-new'", (40 * day,))
    q.db.execute("UPDATE deliveries SET received = received - ? WHERE id != 'done-new'", (40 * day,))
    assert q.prune(30 * day) == (2, 3)  # two finished jobs; their deliveries and the ignored ping
    left = {j["delivery"]: j["state"] for j in q.jobs()}
    assert left == {"claimed-old": "claimed", "done-new": "done", "queued-old": "queued"}
    assert set(q.deliveries()) == {"queued-old", "claimed-old", "done-new"}
    assert q.prune(30 * day) == (0, 0)
    # a redelivery of a pruned event is new again; of a kept one, still recognised
    assert not q.receive("done-new", "workflow_run", None, "queued")


# ------------------------------------------------------------------ isolation


def test_scrubbed_env_keeps_only_the_allow_list(tmp_path: Path) -> None:
    env = scrubbed_env(tmp_path, {"PATH": "/bin", "REPAIRBOT_WEBHOOK_SECRET": "x", "GITHUB_TOKEN": "y",
                                  "AWS_SECRET_ACCESS_KEY": "z", "HOME": "/root", "LANG": "C.UTF-8"})
    assert env["PATH"] == "/bin" and env["LANG"] == "C.UTF-8" and env["HOME"] == str(tmp_path)
    assert not {"REPAIRBOT_WEBHOOK_SECRET", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"} & set(env)


def test_wall_clock_and_memory_limits(tmp_path: Path) -> None:
    env = scrubbed_env(tmp_path)
    t = time.monotonic()
    pidfile = tmp_path / "grandchild.pid"
    # the grandchild moves to a session of its own, as the repair's pytest runs do
    slow = run_limited([sys.executable, "-c", "import time, subprocess, sys; p = subprocess.Popen([sys.executable, "
                        "'-c', 'import time; time.sleep(60)'], start_new_session=True); "
                        f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(60)"],
                       tmp_path, env, timeout=1.5, memory_mb=1024, cpu_seconds=60)
    assert slow.timed_out and time.monotonic() - t < 10
    time.sleep(0.2)
    assert not _alive(int(pidfile.read_text())), "a process in another session outlived the limit"
    hog = run_limited([sys.executable, "-c", "b = bytearray(600 * 1024 * 1024); print(len(b))"], tmp_path, env,
                      timeout=30, memory_mb=300, cpu_seconds=60)
    assert hog.returncode != 0 and "MemoryError" in hog.stderr and not hog.timed_out
    ok = run_limited([sys.executable, "-c", "print(6 * 7)"], tmp_path, env, timeout=30, memory_mb=1024,
                     cpu_seconds=60)
    assert (ok.returncode, ok.stdout.strip()) == (0, "42")


# ------------------------------------------------------------------ configuration


def test_config_from_file_and_environment(tmp_path: Path, app_key) -> None:
    f = tmp_path / "app.toml"
    f.write_text(f'[app]\napp_id = 12\nprivate_key_path = "{app_key[0]}"\nwebhook_secret = "from-file"\n'
                 'base_url = "https://ghe.example/api/v3"\nmax_open_prs = 2\nlabels = ["bot"]\n')
    cfg = load_app_config(f, environ={"REPAIRBOT_WEBHOOK_SECRET": "from-env", "REPAIRBOT_MAX_PRS_PER_HOUR": "7"})
    assert (cfg.app_id, cfg.webhook_secret, cfg.base_url) == (12, "from-env", "https://ghe.example/api/v3")
    assert (cfg.max_open_prs, cfg.max_prs_per_hour, cfg.labels) == (2, 7, ("bot",))
    assert "from-env" not in repr(cfg) and "PRIVATE KEY" not in repr(cfg)
    f.write_text('[app]\napp_id = 12\nwebhok_secret = "typo"\n')
    with pytest.raises(ConfigError, match="app.webhok_secret: unknown key"):
        load_app_config(f, environ={})
    with pytest.raises(ConfigError, match="missing app_id, private_key_path, webhook_secret"):
        load_app_config(None, environ={})
    with pytest.raises(ConfigError, match=r"\$REPAIRBOT_APP_ID: expected int"):
        load_app_config(None, environ={"REPAIRBOT_APP_ID": "twelve"})


def test_queue_url_is_checked_and_its_password_never_shown(tmp_path: Path, app_key) -> None:
    env = {"REPAIRBOT_APP_ID": "12", "REPAIRBOT_PRIVATE_KEY_PATH": str(app_key[0]), "REPAIRBOT_WEBHOOK_SECRET": SECRET}
    with pytest.raises(ConfigError, match="queue_url 'http://cache:6379': expected redis://"):
        load_app_config(None, environ={**env, "REPAIRBOT_QUEUE_URL": "http://cache:6379"})
    cfg = load_app_config(None, environ={**env, "REPAIRBOT_QUEUE_URL": "redis://:hunter2-pass@127.0.0.1:1/0"},
                          state_dir=tmp_path / "state")
    assert "hunter2" not in repr(cfg)
    # nothing listens on port 1: one clear line naming the URL without its password, before any webhook
    with pytest.raises(ConfigError, match=r"queue_url redis://:\*\*\*@127.0.0.1:1/0: ConnectionError") as e:
        build(cfg)
    assert "hunter2" not in str(e.value)


def test_serve_command_runs_the_receiver(tmp_path: Path, app_key) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "REPAIRBOT_APP_ID": str(APP_ID),
           "REPAIRBOT_PRIVATE_KEY_PATH": str(app_key[0]), "REPAIRBOT_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "repairbot.cli", "serve", "--port", str(port), "--workers", "0",
                             "--state-dir", "state"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
            time.sleep(0.1)
        r = post(f"http://127.0.0.1:{port}/webhook", "workflow_run", workflow_run("d" * 40), delivery="cli-1")
        assert r.status_code == 202
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert SECRET not in out and "PRIVATE KEY" not in out
    assert JobQueue(tmp_path / "state" / "queue.db").deliveries() == {"cli-1": "queued fix"}
    bad = subprocess.run([sys.executable, "-m", "repairbot.cli", "serve"], env={"PATH": env["PATH"],
                         "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "missing app_id" in bad.stderr
    assert "queue.db (SQLite)" in out, "the log says where the queue is"
    # a Redis queue that cannot be reached: one line, exit 2, the password masked
    bad = subprocess.run([sys.executable, "-m", "repairbot.cli", "serve", "--state-dir", "state2"],
                         env={**env, "REPAIRBOT_QUEUE_URL": "redis://:pw-hunter2@127.0.0.1:1/0"}, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "queue_url redis://:***@127.0.0.1:1/0" in bad.stderr and "hunter2" not in bad.stderr


# ------------------------------------------------------------------ end to end against the fake GitHub

PROBE_TEST = '''import json, os


def test_environment_probe():
    with open({path!r}, "a") as f:
        f.write(json.dumps(dict(os.environ)) + "\\n")
'''


def _git(cwd: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def world(tmp_path: Path, repos: dict[str, Path], app_key, monkeypatch: pytest.MonkeyPatch):
    """A bare remote of the inventory fixture (its checked-in bug fails one test, plus a test that
    dumps its environment), the fake GitHub serving it, and the app configured from the environment
    as in production, its receiver on a loopback port."""
    key_path, pem, public = app_key
    probe = tmp_path / "env-probe.jsonl"
    work = tmp_path / "dev"
    shutil.copytree(repos["inventory"], work, symlinks=True)
    (work / "tests" / "test_env_probe.py").write_text(PROBE_TEST.format(path=str(probe)))
    _git(work, "add", "tests/test_env_probe.py")
    _git(work, "commit", "-qm", "Probe the test environment")
    remote = tmp_path / "remotes" / "acme" / "inventory.git"
    remote.parent.mkdir(parents=True)
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(remote))
    fake = FakeGitHub(APP_ID, public, installations={INSTALLATION})
    fake.repos[REPO] = FakeRepo(REPO, remote)
    base = fake.start()
    monkeypatch.setenv("REPAIRBOT_APP_ID", str(APP_ID))
    monkeypatch.setenv("REPAIRBOT_PRIVATE_KEY_PATH", str(key_path))
    monkeypatch.setenv("REPAIRBOT_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("REPAIRBOT_BASE_URL", base)
    monkeypatch.setenv("REPAIRBOT_CLONE_URL", str(tmp_path / "remotes") + "/{repo}.git")
    # approval at 0.05: any validated patch goes out as a draft, whatever the confidence formula says
    cfg = load_app_config(None, state_dir=tmp_path / "state", workers=0, repair_jobs=1, max_open_prs=3, auto=1.0,
                          approval=0.05, notify=0.0)
    logs = StringIO()
    handler = logging.StreamHandler(logs)
    root = logging.getLogger()
    root.addHandler(handler)
    old_levels = root.level, logging.getLogger("github").level
    root.setLevel(logging.DEBUG)
    logging.getLogger("github").setLevel(logging.DEBUG)  # PyGithub logs whole responses, tokens included
    running = Running(cfg)
    try:
        yield {"fake": fake, "running": running, "remote": remote, "probe": probe, "logs": logs, "pem": pem,
               "sha": _git(remote, "rev-parse", "main"), "cfg": cfg}
    finally:
        running.close()
        fake.stop()
        root.removeHandler(handler)
        root.setLevel(old_levels[0])
        logging.getLogger("github").setLevel(old_levels[1])


def _events(journal: Journal, kind: str) -> list[dict[str, Any]]:
    return [e.data for r in journal.runs() for e in journal.events(r.id) if e.kind == kind]


def test_failing_ci_to_pull_request_then_dedupe_then_feedback(world: dict[str, Any]) -> None:
    fake, running, remote, sha = world["fake"], world["running"], world["remote"], world["sha"]
    svc, repo = running.svc, fake.repos[REPO]

    # 1. A failing workflow run: 202 at once, then the worker opens a draft pull request.
    r = post(running.url, "workflow_run", workflow_run(sha, run_id=1001), delivery="run-1001")
    assert r.status_code == 202
    assert svc.worker.run_once() and svc.queue.counts() == {"done": 1}
    assert len(repo.pulls) == 1
    pr = repo.pulls[0]
    fp = _events(svc.journal, "repair")[0]["fingerprints"][0]
    assert pr["head"] == f"repairbot/{fp}" and pr["base"] == "main" and pr["state"] == "open"
    assert pr["draft"] is True  # the policy said "approval"
    assert {lab["name"] for lab in pr["labels"]} == {"repairbot", "automated-fix"}
    assert set(repo.labels) == {"repairbot", "automated-fix"}
    assert pr["title"] == "repairbot: fix test_discount_applies_at_tier_threshold (inventory/discounts.py:12)"
    body = pr["body"]
    for expected in (f"https://github.example/{REPO}/actions/runs/1001", "`inventory/discounts.py` +1 -1",
                     "-        if threshold < total:", "+        if threshold <= total:",
                     "tests/test_discounts.py::test_discount_applies_at_tier_threshold",
                     "now passing: 1/1", "regressions: none", "confidence **0.", "pattern `311c98d042a9`",
                     "`/repairbot fix`", f"fingerprint `{fp}`"):
        assert expected in body, expected
    # The branch on the remote is the failing commit plus the validated fix, by the bot.
    fixed = _git(remote, "show", f"repairbot/{fp}:inventory/discounts.py")
    assert "if threshold <= total:" in fixed and "if threshold < total:" not in fixed
    assert _git(remote, "rev-parse", f"repairbot/{fp}^") == sha
    assert _git(remote, "log", "-1", "--format=%an", f"repairbot/{fp}") == "repairbot[bot]"
    # Verified regression tests the repair generated (if any) ship on the branch and in the body.
    shipped = _git(remote, "diff", "--name-only", sha, f"repairbot/{fp}").splitlines()
    generated = _events(svc.journal, "repair")[0]["generated_tests"]
    assert sorted(shipped) == sorted(["inventory/discounts.py", *generated])
    for path in generated:
        assert f"`{path}` (fails before the patch, passes after)" in body
    kinds = [e.kind for e in svc.journal.events(svc.journal.runs()[0].id)]
    assert kinds == ["job", "authenticated", "cloned", "repair", "decision", "pushed", "labels_created", "pr_opened", "end"]
    # Every GitHub call after the JWT exchange used the installation token.
    assert fake.requests[0] == ("POST", f"/api/v3/app/installations/{INSTALLATION}/access_tokens", "jwt")
    assert {auth for _, _, auth in fake.requests[1:]} == {"token"}

    # 2. The same failure again (a re-run): the open pull request is updated, nothing new is opened.
    assert post(running.url, "workflow_run", workflow_run(sha, run_id=1002)).status_code == 202
    assert svc.worker.run_once()
    assert len(repo.pulls) == 1 and "actions/runs/1002" in repo.pulls[0]["body"]
    assert [e["number"] for e in _events(svc.journal, "pr_updated")] == [1]
    # The very same delivery again: nothing at all.
    assert post(running.url, "workflow_run", workflow_run(sha, run_id=1001), delivery="run-1001").status_code == 200
    assert not svc.worker.run_once()

    # 3. A maintainer closes it unmerged: feedback, and the fix is not proposed again.
    repo.pulls[0]["state"] = "closed"
    closed = pull_request_closed(f"repairbot/{fp}", merged=False, number=1)
    assert post(running.url, "pull_request", closed).status_code == 202
    assert svc.worker.run_once()
    assert _events(svc.journal, "feedback") == [{"fingerprint": fp, "pattern": "311c98d042a9",
                                                  "file": "inventory/discounts.py", "outcome": "closed",
                                                  "pull_request": 1}]
    assert fp in svc.journal.rejected_fingerprints()
    assert svc.journal.acceptance()["311c98d042a9"] == (1.0, 2.0)
    assert post(running.url, "workflow_run", workflow_run(sha, run_id=1003)).status_code == 202
    assert svc.worker.run_once()
    assert len(repo.pulls) == 1 and _events(svc.journal, "repair")[-1]["status"] == "no_fix"
    assert svc.queue.counts() == {"done": 4}

    # 4. Secrets: not in the project's test environment, the journal, or the logs.
    token = next(iter(fake.tokens))
    key_lines = [ln for ln in world["pem"].splitlines() if len(ln) > 40]
    secrets = [SECRET, *fake.tokens, *key_lines]
    probes = [json.loads(line) for line in world["probe"].read_text().splitlines()]
    assert probes, "the project's tests ran"
    for env in probes:
        dumped = json.dumps(env)
        assert not [s for s in secrets if s in dumped]
        app_vars = {"REPAIRBOT_" + f.upper() for f in AppConfig.__dataclass_fields__}
        assert not [k for k in env if k in app_vars or k.startswith(("GIT_CONFIG_KEY", "GIT_CONFIG_VALUE"))]
        assert env["HOME"].startswith(str(world["cfg"].work_dir.resolve()))
    svc.journal.db.execute("PRAGMA wal_checkpoint(FULL)")
    stored = "\n".join(str(row) for table in ("runs", "events") for row in
                       sqlite3.connect(str(world["cfg"].journal_db)).execute(f"SELECT * FROM {table}"))
    raw = b"".join(p.read_bytes() for p in world["cfg"].state_dir.glob("*.db*"))
    logs = world["logs"].getvalue()
    assert "access_tokens" in logs and "***" in logs, "PyGithub logged the token response, redacted"
    for s in secrets:
        assert s not in stored and s.encode() not in raw and s not in logs
    assert token not in _git(remote, "config", "--list")


def test_open_pull_request_cap_and_comment_only_policy(world: dict[str, Any]) -> None:
    fake, running, sha = world["fake"], world["running"], world["sha"]
    svc, repo = running.svc, fake.repos[REPO]
    # Three repairbot pull requests are already open (the cap is 3): nothing is opened.
    for i in range(3):
        _git(world["remote"], "branch", f"repairbot/{i:016x}", "main")
        repo.pulls.append({"id": 500 + i, "number": i + 1, "state": "open", "title": "t", "body": "", "draft": False,
                           "head": f"repairbot/{i:016x}", "base": "main", "labels": []})
    assert post(running.url, "workflow_run", workflow_run(sha, run_id=2001)).status_code == 202
    assert svc.worker.run_once()
    assert len(repo.pulls) == 3
    assert "3 open repairbot pull requests" in _events(svc.journal, "capped")[0]["reason"]
    # The hourly cap counts pull requests opened in this repository in the last hour (by any worker
    # sharing the queue), not elsewhere and not earlier.
    inst = svc.worker.app.installation(INSTALLATION)
    gh_repo = inst.repo(REPO)
    for pr in repo.pulls:
        pr["state"] = "closed"
    assert svc.worker.cap_refusal(inst, gh_repo, REPO) is None
    opened = svc.queue.prs_since(REPO, 3600)
    svc.queue.pr_opened(REPO, now=time.time() - 3700)
    svc.queue.pr_opened("acme/other")
    for _ in range(2 - opened):
        svc.queue.pr_opened(REPO)
    assert svc.worker.cap_refusal(inst, gh_repo, REPO) is None
    svc.queue.pr_opened(REPO)
    assert "3 pull requests opened in acme/inventory in the last hour" in svc.worker.cap_refusal(inst, gh_repo, REPO)
    for pr in repo.pulls:
        pr["state"] = "open"

    # A project whose policy says "notify" at this confidence gets a comment on the commit, no pull request.
    work = world["remote"].parent / "notify-work"
    _git(work.parent, "clone", "-q", str(world["remote"]), str(work))
    pyproject = work / "pyproject.toml"
    pyproject.write_text((pyproject.read_text() if pyproject.exists() else "") +
                         "\n[tool.repairbot.policy.github]\nauto = 0.99\napproval = 0.95\nnotify = 0.1\n")
    _git(work, "commit", "-qam", "repairbot policy") if "pyproject.toml" in _git(work, "ls-files") else None
    _git(work, "add", "pyproject.toml")
    _git(work, "commit", "-qm", "repairbot policy", "--allow-empty")
    _git(work, "push", "-q", "origin", "HEAD:main")
    new_sha = _git(work, "rev-parse", "HEAD")
    assert post(running.url, "workflow_run", workflow_run(new_sha, run_id=2002)).status_code == 202
    assert svc.worker.run_once()
    assert len(repo.pulls) == 3
    (comment,) = repo.comments
    assert comment["commit"] == new_sha and "-        if threshold < total:" in comment["body"]
    assert "report only" in comment["body"]
    decision = _events(svc.journal, "decision")[-1]
    assert decision["action"] == "notify" and decision["policy"] == "github"


def test_fix_command_on_a_pull_request_repairs_its_head_and_targets_its_branch(world: dict[str, Any]) -> None:
    fake, running, remote = world["fake"], world["running"], world["remote"]
    svc, repo = running.svc, fake.repos[REPO]
    _git(remote, "branch", "feature/tiers", "main")
    repo.pulls.append({"id": 700, "number": 1, "state": "open", "title": "Tiers", "body": "", "draft": False,
                       "head": "feature/tiers", "base": "main", "labels": [],
                       "user": {"login": "octocat", "id": 1, "type": "User"}})
    comment = issue_comment("Tests fail here.\n/repairbot fix\n")
    comment["issue"]["number"] = 1
    assert post(running.url, "issue_comment", comment).status_code == 202
    assert svc.worker.run_once()
    assert len(repo.pulls) == 2
    bot_pr = repo.pulls[1]
    assert bot_pr["base"] == "feature/tiers" and bot_pr["head"].startswith("repairbot/")
    assert "issuecomment-1" in bot_pr["body"] and "failing issue comment" in bot_pr["body"]
    assert _git(remote, "rev-parse", f"{bot_pr['head']}^") == _git(remote, "rev-parse", "feature/tiers")


def test_worker_threads_take_jobs_as_they_arrive(tmp_path: Path, app_key) -> None:
    running = Running(make_config(tmp_path, app_key[0], workers=2))
    running.svc.start_workers()
    try:
        for i in range(3):
            r = post(running.url, "pull_request", pull_request_closed(f"repairbot/{i:016x}", merged=True))
            assert r.status_code == 202
        deadline = time.monotonic() + 20
        while running.svc.queue.counts() != {"done": 3}:
            assert time.monotonic() < deadline, running.svc.queue.jobs()
            time.sleep(0.05)
        assert len(_events(running.svc.journal, "feedback_unknown")) == 3
    finally:
        running.close()


def test_pull_request_text_is_deterministic_and_carries_generated_tests() -> None:
    from repairbot.app import body as bodies

    p = bodies.Proposal(fingerprint="abcd1234abcd1234", file="pkg/m.py", line=3,
                        diff="diff --git a/pkg/m.py b/pkg/m.py\n--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -3 +3 @@\n-x < y\n+x <= y\n",
                        confidence=0.81, pattern_id="311c98d042a9", failing_tests=("tests/test_m.py::test_edge",),
                        failing_fixed=1, failing_total=1, tests_run=12, regressions=(), head_sha="f" * 40,
                        base_branch="main", trigger="check_suite", trigger_url="https://ci.example/1",
                        action="approval", reason="confidence 0.81 >= approval threshold 0.50",
                        differential=bodies.differential_line({"function": "m.f", "inputs": 40, "agree": 39, "differ": 1,
                                                            "new_errors": 0, "failing_inputs": 1,
                                                            "failing_changed": 1}),
                        explanation=("validation 1.00 x 0.25",),
                        tests=(bodies.GeneratedTestText("tests/test_repairbot_m.py",
                                                        "def test_edge_regression():\n    assert f(1, 1)\n", True),))
    from repairbot.pattern import store

    pattern = {q.id: q for q in store.load_many(store.library_paths())}["311c98d042a9"]
    text = bodies.render(p, pattern)
    assert text == bodies.render(p, pattern)
    assert bodies.title(p) == "repairbot: fix test_edge (pkg/m.py:3)"
    assert "`pkg/m.py` +1 -1" in text and "def test_edge_regression():" in text
    assert "fails before the patch, passes after" in text and "draft: needs approval" in text
    assert "same behaviour on 39/40 generated inputs" in text and "  - validation 1.00 x 0.25" in text
    assert "a built-in repair operator" in text
    assert "{h0} < {h1}" in text and "<!-- repairbot:fingerprint=abcd1234abcd1234 -->" in text
    assert "may hide the error" not in text
    from dataclasses import replace

    risky = bodies.render(replace(p, risks=("adds a handler for KeyError that does nothing",)), pattern)
    assert "- **may hide the error rather than fix it**: the patch adds a handler for KeyError that does nothing" \
        in risky


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=1, max_size=40), body=st.binary(max_size=300), flip=st.integers(min_value=0))
def test_signature_accepts_exactly_the_hmac_of_the_raw_body(secret: str, body: bytes, flip: int) -> None:
    from repairbot.app.server import signature_ok

    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature_ok(secret, body, good)
    if body:  # any changed byte of the body breaks it
        i = flip % len(body)
        assert not signature_ok(secret, body[:i] + bytes([body[i] ^ 1]) + body[i + 1:], good)
    assert not signature_ok(secret + "x", body, good)
    assert not signature_ok(secret, body, good[:-1]) and not signature_ok(secret, body, None)


def test_the_token_reaches_git_only_as_a_header_in_its_environment() -> None:
    import base64

    from repairbot.app.repo import git_env

    env = git_env("ghs_exampletoken0123456789abcdef")
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader" and env["GIT_CONFIG_COUNT"] == "1"
    scheme, value = env["GIT_CONFIG_VALUE_0"].split(": ", 1)[1].split(" ", 1)
    assert scheme == "basic" and base64.b64decode(value) == b"x-access-token:ghs_exampletoken0123456789abcdef"
    assert "REPAIRBOT_WEBHOOK_SECRET" not in env


def test_a_repository_is_downloaded_once_into_a_mirror_and_fetched_after(tmp_path: Path) -> None:
    from repairbot.app.repo import clone

    class Tokens:
        token = "ghs_exampletoken0123456789abcdef"

    project, remote, mirrors = tmp_path / "project", tmp_path / "remote.git", tmp_path / "state" / "mirrors"
    project.mkdir()
    (project / "a.py").write_text("x = 1\n")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "one")
    _git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    first = clone(str(remote), tmp_path / "job1", _git(remote, "rev-parse", "main"), Tokens(), mirrors)
    assert (first.path / "a.py").read_text() == "x = 1\n"
    (mirror,) = mirrors.glob("*.git")
    assert first.repo.remotes.origin.url == str(remote)  # pushes go to the real remote
    assert "extraheader" not in (mirror / "config").read_text().lower()  # the token is never stored
    # a new commit on the remote: the next job fetches it into the same mirror
    (project / "a.py").write_text("x = 2\n")
    _git(project, "commit", "-qam", "two")
    _git(project, "push", "-q", str(remote), "main")
    second = clone(str(remote), tmp_path / "job2", _git(remote, "rev-parse", "main"), Tokens(), mirrors)
    assert (second.path / "a.py").read_text() == "x = 2\n"
    assert list(mirrors.glob("*.git")) == [mirror] and _git(mirror, "rev-parse", "main") == _git(remote, "rev-parse",
                                                                                                   "main")
    # a damaged mirror is replaced, and the job still gets its checkout
    shutil.rmtree(mirror / "objects")
    third = clone(str(remote), tmp_path / "job3", _git(remote, "rev-parse", "main~1"), Tokens(), mirrors)
    assert (third.path / "a.py").read_text() == "x = 1\n"
    assert not [p for p in mirrors.iterdir() if p.is_dir() and not p.name.endswith(".git")]  # no half-made ones


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_shutdown_kills_a_running_repair_and_releases_its_job(world: dict[str, Any], tmp_path: Path) -> None:
    """A restart while a repair runs: nothing is left running, the job is queued again at once
    (the interrupted attempt not counted), nothing is journalled as failed."""
    import threading

    fake, running = world["fake"], world["running"]
    svc = running.svc
    pidfile = tmp_path / "pytest.pid"
    project = tmp_path / "slow"
    (project / "tests").mkdir(parents=True)
    (project / "slow.py").write_text("def f():\n    return 1\n")
    (project / "tests" / "test_slow.py").write_text(
        f"import os, time\n\n\ndef test_slow():\n    open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "slow suite")
    remote = world["remote"].parent / "slow.git"
    _git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    fake.repos["acme/slow"] = FakeRepo("acme/slow", remote)
    payload = workflow_run(_git(remote, "rev-parse", "main"), run_id=3001)
    payload["repository"]["full_name"] = payload["workflow_run"]["head_repository"]["full_name"] = "acme/slow"
    assert post(running.url, "workflow_run", payload).status_code == 202
    thread = threading.Thread(target=svc.worker.run_forever, args=(svc.stop, svc.wake), daemon=True)
    svc.threads.append(thread)
    thread.start()
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the project's test never started"
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    assert _alive(pid)
    t = time.monotonic()
    running.close()
    assert time.monotonic() - t < 15 and not thread.is_alive()
    time.sleep(0.2)
    assert not _alive(pid), "the project's test outlived the app"
    queue = JobQueue(world["cfg"].queue_db)
    assert [(j["state"], j["attempts"]) for j in queue.jobs()] == [("queued", 0)]
    journal = Journal(world["cfg"].journal_db)
    kinds = [e.kind for r in journal.runs() for e in journal.events(r.id) if r.command == "app"]
    assert "job_released" in kinds and "job_failed" not in kinds and "repair_failed" not in kinds
    job, _ = queue.claim()  # after a restart it is taken up at once
    assert job is not None and job.attempts == 1


def test_receivers_and_a_worker_on_separate_machines_share_a_redis_queue(world: dict[str, Any],
                                                                         redis_url: str) -> None:
    """Two receivers (behind a load balancer) and a worker, each with its own state folder, share
    one Redis: a delivery that reaches both receivers is queued once, the worker on the third
    machine opens the pull request, and the hourly cap counts it for everyone."""
    from dataclasses import replace

    fake, sha, cfg = world["fake"], world["sha"], world["cfg"]
    machines = {name: replace(cfg, queue_url=redis_url, state_dir=cfg.state_dir.parent / name)
                for name in ("receiver-a", "receiver-b", "worker-c")}
    a, b = Running(machines["receiver-a"]), Running(machines["receiver-b"])
    c = build(replace(machines["worker-c"], workers=1))
    try:
        payload = workflow_run(sha, run_id=3001)
        assert post(a.url, "workflow_run", payload, delivery="lb-3001").status_code == 202
        r = post(b.url, "workflow_run", payload, delivery="lb-3001")
        assert (r.status_code, r.json()["status"]) == (200, "duplicate")
        assert httpx.get(b.url.replace("/webhook", "/healthz")).json()["jobs"] == {"queued": 1}
        assert a.svc.worker.queue.counts() == {"queued": 1}
        assert c.worker.run_once() and not c.worker.run_once()
        assert len(fake.repos[REPO].pulls) == 1
        assert a.svc.queue.counts() == {"done": 1} == b.svc.queue.counts()
        assert b.svc.queue.prs_since(REPO, 3600) == 1, "the cap on machine b sees machine c's pull request"
        kinds = [e.kind for r in c.journal.runs() for e in c.journal.events(r.id)]
        assert "pr_opened" in kinds, "the worker's own journal tells what it did"
        assert not (machines["receiver-a"].state_dir / "queue.db").exists(), "no SQLite queue beside Redis"
    finally:
        a.close()
        b.close()
        c.close()
