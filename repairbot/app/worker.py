"""Running queued jobs: a fix job clones the failing commit, repairs it in a limited subprocess
(`repairbot fix --format json --audit JOURNAL`, so the repair journals its own steps and is
weighed by past outcomes) and then does what the policy decides: a ready pull request, a draft,
a comment, or nothing. A feedback job records a closed pull request's outcome. Every step is
journalled (secrets scrubbed); a job that raises is retried, then journalled as failed."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from repairbot.app import body as bodies
from repairbot.app.config import AppConfig
from repairbot.app.events import BRANCH_PREFIX, FeedbackJob, FixJob, job_from_payload
from repairbot.app.github import GitHubApp, Installation
from repairbot.app.queue import Queue, QueuedJob
from repairbot.app.redact import Redactor
from repairbot.app.repo import Checkout, RepairError, clone, repair
from repairbot.audit import Journal
from repairbot.config import ConfigError, load_config
from repairbot.pattern import store
from repairbot.types import Pattern

log = logging.getLogger("repairbot.app")
HOUR = 3600.0


class Worker:
    def __init__(self, cfg: AppConfig, queue: Queue, journal: Journal, app: GitHubApp,
                 redactor: Redactor) -> None:
        self.cfg, self.queue, self.journal, self.app, self.redactor = cfg, queue, journal, app, redactor
        self._patterns: dict[str, Pattern] | None = None
        self.stopping = threading.Event()  # set at shutdown: an interrupted job is released, not failed

    # ------------------------------------------------------------------ queue loop

    def run_once(self) -> bool:
        """Claim and run one job; False when none is due."""
        job, expired = self.queue.claim()
        for e in expired:
            run = self.journal.start_run("app", Path(f"job {e.id}"), [e.kind, e.delivery])
            self.record(run, "job_failed", job=e.id, delivery=e.delivery, attempts=e.attempts,
                        error="lease expired on the last attempt (worker died?)")
            self.record(run, "end", status="failed")
        if job is None:
            return bool(expired)
        self.handle(job)
        return True

    def run_forever(self, stop: threading.Event, wake: threading.Event, poll: float = 1.0) -> None:
        next_prune = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_prune:  # at start, then hourly
                    next_prune = time.monotonic() + 3600
                    jobs, deliveries = self.queue.prune(self.cfg.retention_days * 86400)
                    if jobs or deliveries:
                        log.info("pruned %d finished jobs and %d deliveries older than %g days", jobs, deliveries,
                                 self.cfg.retention_days)
                busy = self.run_once()
            except Exception:  # the queue itself failed (disk?): log and keep serving
                log.exception("worker: queue error")
                busy = False
            if not busy:
                wake.wait(poll)
                wake.clear()

    def handle(self, qjob: QueuedJob) -> None:
        repo = str(qjob.payload.get("repo", "?"))
        run = self.journal.start_run("app", Path(repo), [qjob.kind, qjob.delivery, f"attempt {qjob.attempts}"])
        try:
            self.record(run, "job", job=qjob.id, delivery=qjob.delivery, job_kind=qjob.kind, attempt=qjob.attempts,
                        max_attempts=qjob.max_attempts, payload=qjob.payload)
            job = job_from_payload(qjob.kind, qjob.payload)
            status = self._fix(run, job) if isinstance(job, FixJob) else self._feedback(run, job)
        except Exception as e:
            err = self.redactor.scrub(f"{type(e).__name__}: {e}")
            if self.stopping.is_set():
                self.queue.release(qjob.id)
                self.record(run, "job_released", job=qjob.id, reason="shutdown", error=err)
                self.record(run, "end", status="released")
                return
            final = self.queue.fail(qjob.id, err)
            self.record(run, "job_failed" if final else "job_retry", job=qjob.id, error=err,
                        attempt=qjob.attempts, max_attempts=qjob.max_attempts,
                        traceback=traceback.format_exc(limit=5))
            self.record(run, "end", status="failed" if final else "retry")
            log.warning("job %s (%s) %s: %s", qjob.id, qjob.kind, "failed" if final else "will be retried", err)
            return
        self.queue.done(qjob.id)
        self.record(run, "end", status=status)
        log.info("job %s (%s) %s: %s", qjob.id, qjob.kind, repo, status)

    def record(self, run: int, kind: str, **data: Any) -> None:
        self.journal.record(run, kind, **self.redactor.scrub(data))

    # ------------------------------------------------------------------ feedback

    def _feedback(self, run: int, job: FeedbackJob) -> str:
        try:
            fp, pattern, file = self.journal.record_outcome(job.fingerprint, job.outcome)
        except LookupError as e:
            self.record(run, "feedback_unknown", fingerprint=job.fingerprint, outcome=job.outcome, reason=str(e))
            return "unknown_fingerprint"
        self.record(run, "feedback", fingerprint=fp, pattern=pattern, file=file, outcome=job.outcome,
                    pull_request=job.pr_number)
        return f"feedback_{job.outcome}"

    # ------------------------------------------------------------------ fix

    def _fix(self, run: int, job: FixJob) -> str:
        inst = self.app.installation(job.installation)
        self.record(run, "authenticated", installation=job.installation)
        repo = inst.repo(job.repo)
        sha, branch = job.head_sha, job.head_branch
        if not sha and job.is_issue:
            branch = repo.default_branch
            sha = repo.get_branch(branch).commit.sha
        elif not sha:
            pr = repo.get_pull(job.pr_number)
            if pr.head.repo is None or pr.head.repo.full_name != job.repo:
                self.record(run, "skipped", reason="pull request from a fork: repairbot cannot push there")
                return "skipped_fork"
            sha, branch = pr.head.sha, pr.head.ref
        if branch.startswith(BRANCH_PREFIX):
            self.record(run, "skipped", reason=f"{branch} is repairbot's own branch")
            return "skipped_own_branch"
        self.cfg.work_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.cfg.work_dir)).resolve()
        try:
            url = self.cfg.clone_url.format(repo=job.repo)
            co = clone(url, folder / "repo", sha, inst, self.cfg.mirrors_dir)
            self.record(run, "cloned", url=url, sha=sha, branch=branch)
            try:
                doc = repair(self.cfg, co.path, folder / "home")
            except RepairError as e:
                if self.stopping.is_set():
                    raise  # killed by the shutdown: released, not journalled as a failed repair
                self.record(run, "repair_failed", error=str(e), timed_out=e.timed_out, stderr=e.stderr[-2000:])
                if e.timed_out:
                    return "repair_timeout"  # a hang is not retried: it would hang again
                raise
            patches = doc.get("patches") or []
            self.record(run, "repair", status=doc.get("status"), error=doc.get("error"), patches=len(patches),
                        failures=[f.get("test") for f in doc.get("failures", [])],
                        fingerprints=[p.get("fingerprint") for p in patches],
                        generated_tests=[t.get("path") for t in (patches[0].get("tests") or [] if patches else [])
                                         if isinstance(t, dict) and t.get("reproduces")])
            if doc.get("status") != "fixed" or not patches:
                if job.trigger == "issue_comment":
                    inst.comment(repo, job.pr_number, sha, _no_fix_text(doc, sha))
                    self.record(run, "commented", reason="no validated patch")
                return f"repair_{doc.get('status')}"
            proposal = self._proposal(run, co, job, doc, sha, branch)
            return self._deliver(run, inst, repo, co, job, proposal)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _proposal(self, run: int, co: Checkout, job: FixJob, doc: dict[str, Any], sha: str,
                  branch: str) -> bodies.Proposal:
        top = doc["patches"][0]
        try:
            policy = load_config(co.path).policies.get(self.cfg.policy) or self.cfg.default_policy()
        except ConfigError as e:
            self.record(run, "config_error", error=str(e), using="app default policy")
            policy = self.cfg.default_policy()
        risks = tuple(str(r) for r in top.get("risks") or [])
        decision = policy.decide(float(top["confidence"]), top["file"], risks)
        self.record(run, "decision", action=decision.action, policy=decision.policy,
                    thresholds=dict(decision.thresholds), reason=decision.reason, fingerprint=top["fingerprint"])
        v = top.get("validation", {})
        tests = tuple(bodies.GeneratedTestText(str(t.get("path", "")), str(t.get("source", "")),
                                               bool(t.get("reproduces")))
                      for t in top.get("tests") or []
                      if isinstance(t, dict) and t.get("source") and t.get("reproduces"))
        differential = bodies.differential_line(top["differential"]) \
            if isinstance(top.get("differential"), dict) else ""
        return bodies.Proposal(
            fingerprint=top["fingerprint"], file=top["file"], line=int(top["line"]), diff=top["diff"],
            confidence=float(top["confidence"]), pattern_id=top["pattern"],
            failing_tests=tuple(f["test"] for f in doc.get("failures", [])),
            failing_fixed=int(v.get("failing_fixed", 0)), failing_total=int(v.get("failing_total", 0)),
            tests_run=int(v.get("tests_run", 0)), regressions=tuple(v.get("regressions", [])),
            head_sha=sha, base_branch=branch, trigger=job.trigger, trigger_url=job.trigger_url,
            action=decision.action, reason=decision.reason, tests=tests, differential=differential,
            explanation=tuple(str(x) for x in top.get("explanation") or [] if x), risks=risks)

    def _deliver(self, run: int, inst: Installation, repo: Any, co: Checkout, job: FixJob,
                 p: bodies.Proposal) -> str:
        if p.action == "none":
            return "below_policy"
        text = bodies.render(p, self.patterns().get(p.pattern_id))
        title = bodies.title(p)
        if p.action == "notify":
            url = inst.comment(repo, job.pr_number, p.head_sha, f"**{title}**\n\n{text}")
            self.record(run, "commented", url=url, fingerprint=p.fingerprint)
            return "commented"
        branch = bodies.branch_name(p.fingerprint)
        existing = inst.bot_pulls(repo, branch)
        open_ = [pr for pr in existing if pr.state == "open"]
        if open_:
            pr = open_[0]
            if pr.body == text and pr.title == title:
                self.record(run, "pr_unchanged", number=pr.number, fingerprint=p.fingerprint)
                return "pr_unchanged"
            inst.update_pull(pr, title, text)
            self.record(run, "pr_updated", number=pr.number, url=pr.html_url, fingerprint=p.fingerprint)
            return "pr_updated"
        if existing:
            self.record(run, "pr_exists_closed", number=existing[0].number, fingerprint=p.fingerprint,
                        reason="a pull request for this fix was closed before; staying silent")
            return "pr_exists_closed"
        refusal = self.cap_refusal(inst, repo, job.repo)
        if refusal:
            self.record(run, "capped", reason=refusal, fingerprint=p.fingerprint)
            return "capped"
        pushed = co.push_fix(branch, p)
        self.record(run, "pushed", branch=branch, commit=pushed)
        created = inst.ensure_labels(repo, self.cfg.labels)
        if created:
            self.record(run, "labels_created", labels=created)
        pr = inst.open_pull(repo, title, text, head=branch, base=p.base_branch, draft=p.action == "approval",
                            labels=self.cfg.labels)
        self.queue.pr_opened(job.repo)
        self.record(run, "pr_opened", repo=job.repo, number=pr.number, url=pr.html_url, draft=p.action == "approval",
                    branch=branch, base=p.base_branch, fingerprint=p.fingerprint, confidence=p.confidence,
                    pattern=p.pattern_id)
        return "pr_opened"

    def cap_refusal(self, inst: Installation, repo: Any, full_name: str) -> str | None:
        """Why no pull request may be opened in this repository now (a cap), or None."""
        open_count = inst.open_bot_pulls(repo)
        if open_count >= self.cfg.max_open_prs:
            return f"{open_count} open repairbot pull requests in {full_name} (max {self.cfg.max_open_prs})"
        recent = self.queue.prs_since(full_name, HOUR)  # by every worker sharing the queue
        if recent >= self.cfg.max_prs_per_hour:
            return f"{recent} pull requests opened in {full_name} in the last hour (max {self.cfg.max_prs_per_hour})"
        return None

    def patterns(self) -> dict[str, Pattern]:
        if self._patterns is None:
            self._patterns = {p.id: p for p in store.load_many(store.library_paths())}
        return self._patterns


def _no_fix_text(doc: dict[str, Any], sha: str) -> str:
    status = doc.get("status")
    if status == "no_failure":
        return f"repairbot ran the tests at `{sha[:12]}`: nothing fails, nothing to fix."
    failing = ", ".join(f"`{f.get('test')}`" for f in doc.get("failures", [])[:5]) or "none"
    why = f" ({doc['error']})" if doc.get("error") else ""
    return f"repairbot found no validated patch at `{sha[:12]}`{why}. Failing tests: {failing}."
