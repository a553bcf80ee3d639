"""Which webhooks become jobs, and why the others are ignored.

- `workflow_run` / `check_suite` completed with conclusion `failure` on a branch of the
  repository itself (not a fork, not one of repairbot's own branches): repair that commit
  (check suites of GitHub Actions are left to `workflow_run`, so a failure is repaired once);
- `issue_comment` created with `/repairbot fix` alone on a line, by an owner, member or
  collaborator: repair the pull request's head (or, on an issue, the default branch);
- `pull_request` closed on a `repairbot/<fingerprint>` branch: feedback, merged or not;
- anything sent by a bot (the app's own events included) is ignored.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

BRANCH_PREFIX = "repairbot/"
COMMAND = re.compile(r"^[ \t]*/repairbot[ \t]+fix[ \t]*$", re.MULTILINE)
TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


@dataclass(frozen=True)
class FixJob:
    repo: str  # owner/name
    installation: int
    trigger: str  # "workflow_run", "check_suite" or "issue_comment"
    trigger_url: str  # link to the failing run, check suite or comment
    head_sha: str = ""  # empty: resolve from the pull request or the default branch
    head_branch: str = ""
    pr_number: int = 0  # the pull request (or issue) to answer on, if any
    is_issue: bool = False  # a command on a plain issue: repair the default branch

    kind = "fix"


@dataclass(frozen=True)
class FeedbackJob:
    repo: str
    installation: int
    pr_number: int
    fingerprint: str
    outcome: str  # "merged", "closed" or "edited" (merged with commits added by people)

    kind = "feedback"


@dataclass(frozen=True)
class Ignored:
    reason: str


Job = FixJob | FeedbackJob


def job_payload(job: Job) -> tuple[str, dict[str, Any]]:
    return job.kind, asdict(job)


def job_from_payload(kind: str, payload: dict[str, Any]) -> Job:
    cls = {"fix": FixJob, "feedback": FeedbackJob}.get(kind)
    if cls is None:
        raise ValueError(f"unknown job kind {kind!r}")
    return cls(**payload)


def classify(event: str, payload: Any) -> Job | Ignored:
    """A job for this webhook, or the reason it needs none. Never raises on odd payloads."""
    if not isinstance(payload, dict):
        return Ignored("payload is not a JSON object")
    try:
        return _classify(event, payload)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        return Ignored(f"{event}: payload lacks what the event needs ({type(e).__name__}: {e})")


def _is_bot(user: Any) -> bool:
    return isinstance(user, dict) and (user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"))


def _classify(event: str, p: dict[str, Any]) -> Job | Ignored:
    if _is_bot(p.get("sender")):
        return Ignored(f"sent by a bot ({p['sender'].get('login')})")
    repo = p["repository"]["full_name"]
    installation = int((p.get("installation") or {}).get("id") or 0)
    if event == "ping":
        return Ignored("ping")
    if not installation:
        return Ignored("no installation in the payload")
    if event in ("workflow_run", "check_suite"):
        run = p[event]
        if p.get("action") != "completed":
            return Ignored(f"{event} {p.get('action')}: only completed ones are repaired")
        if run.get("conclusion") != "failure":
            return Ignored(f"{event} concluded {run.get('conclusion')}, not failure")
        branch = run.get("head_branch") or ""
        if not branch:
            return Ignored(f"{event} not on a branch")
        if branch.startswith(BRANCH_PREFIX):
            return Ignored(f"{event} on repairbot's own branch {branch}")
        head_repo = (run.get("head_repository") or p["repository"]).get("full_name", repo)
        if head_repo != repo:
            return Ignored(f"{event} on a fork ({head_repo})")
        if event == "check_suite" and (run.get("app") or {}).get("slug") == "github-actions":
            # apps with checks permission also get Actions' suites; workflow_run already covers those
            return Ignored("check_suite of GitHub Actions: handled through workflow_run")
        prs = run.get("pull_requests") or []
        number = int(prs[0]["number"]) if prs else 0
        if event == "workflow_run":
            url = run["html_url"]
        else:
            url = f"{p['repository']['html_url']}/commit/{run['head_sha']}/checks"
        return FixJob(repo, installation, event, url, run["head_sha"], branch, number)
    if event == "issue_comment":
        comment = p["comment"]
        if p.get("action") != "created":
            return Ignored(f"issue_comment {p.get('action')}")
        if _is_bot(comment.get("user")):
            return Ignored("comment by a bot")
        if not COMMAND.search(comment.get("body") or ""):
            return Ignored("no /repairbot fix command on its own line")
        if comment.get("author_association") not in TRUSTED:
            return Ignored(f"/repairbot fix from {comment.get('author_association')}: only owners, members and "
                           "collaborators may ask")
        issue = p["issue"]
        return FixJob(repo, installation, "issue_comment", comment["html_url"], pr_number=int(issue["number"]),
                      is_issue="pull_request" not in issue)
    if event == "pull_request":
        pr = p["pull_request"]
        if p.get("action") != "closed":
            return Ignored(f"pull_request {p.get('action')}")
        ref = pr["head"]["ref"]
        if not ref.startswith(BRANCH_PREFIX):
            return Ignored("not a repairbot pull request")
        merged = bool(pr.get("merged"))
        outcome = "closed" if not merged else "edited" if int(pr.get("commits") or 1) > 1 else "merged"
        return FeedbackJob(repo, installation, int(pr["number"]), ref[len(BRANCH_PREFIX):], outcome)
    return Ignored(f"event {event} is not handled")
