"""The repository side of a job: clone with the installation token, repair in a limited
subprocess, and push the fix branch.

The token travels only in the environment of the git commands that need it, as an HTTP
`Authorization` header (git's GIT_CONFIG_* variables); it is never part of a URL, a command
line or the clone's .git/config, so the project's tests cannot read it from the checkout.
Each repository is downloaded once into a bare mirror in the app's state folder; a job fetches
into it and makes its checkout as a local clone.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import git

import repairbot
from repairbot.app.body import Proposal
from repairbot.app.config import AppConfig
from repairbot.app.sandbox import run_limited, scrubbed_env

BOT_NAME = "repairbot[bot]"
BOT_EMAIL = "repairbot[bot]@users.noreply.github.com"


class RepairError(Exception):
    def __init__(self, message: str, stderr: str = "", timed_out: bool = False) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.timed_out = timed_out


def git_env(token: str) -> dict[str, str]:
    """Environment for git commands that talk to the remote: the token as a basic-auth header."""
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader", "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}"})
    return env


class TokenSource(Protocol):
    @property
    def token(self) -> str: ...


@dataclass
class Checkout:
    path: Path
    repo: git.Repo
    tokens: TokenSource  # asked again at push time: a long repair may outlive the first token

    def push_fix(self, branch: str, p: Proposal) -> str:
        """Commit the patch (and its generated tests) on `branch` from the failing commit; force-push."""
        g = self.repo.git
        g.checkout("-B", branch, p.head_sha)
        g.apply("--index", "--whitespace=nowarn", istream=_stdin(p.diff))
        for t in p.tests:
            target = (self.path / t.path).resolve()
            if self.path.resolve() not in target.parents:  # a generated path must stay inside the tree
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(t.source, encoding="utf-8")
            g.add("--", t.path)
        message = f"repairbot: fix {p.file}:{p.line}\n\nPattern {p.pattern_id}, confidence {p.confidence:.2f}, " \
                  f"fingerprint {p.fingerprint}.\n"
        g.commit("-m", message, env={**os.environ, "GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
                                     "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL})
        g.push("--force", "origin", f"HEAD:refs/heads/{branch}", env=git_env(self.tokens.token))
        return self.repo.head.commit.hexsha


def _stdin(text: str) -> Any:
    f = tempfile.TemporaryFile()
    f.write(text.encode("utf-8"))
    f.seek(0)
    return f


def clone(url: str, dest: Path, sha: str, tokens: TokenSource, mirrors: Path | None = None) -> Checkout:
    """A checkout of `sha` at `dest`. With `mirrors`, the remote is kept there as a bare mirror
    that each job only fetches into, and the checkout is a local clone of it (hard links): a
    big repository is downloaded once, not once per job. Either way `origin` is `url`."""
    env = git_env(tokens.token)
    if mirrors is None:
        repo = git.Repo.clone_from(url, dest, env=env, no_checkout=True)
    else:
        repo = git.Repo.clone_from(str(update_mirror(url, mirrors, env)), dest, no_checkout=True)
        repo.git.remote("set-url", "origin", url)
    try:
        repo.git.checkout("--detach", sha)
    except git.GitCommandError:  # not on any branch the clone brought: fetch the commit itself
        repo.git.fetch("origin", sha, env=env)
        repo.git.checkout("--detach", sha)
    return Checkout(dest, repo, tokens)


_MIRROR_LOCKS: dict[Path, threading.Lock] = {}
_MIRROR_LOCKS_GUARD = threading.Lock()


def update_mirror(url: str, mirrors: Path, env: dict[str, str]) -> Path:
    """The bare mirror of `url` under `mirrors`, created or fetched (branches and tags, pruned).
    One job at a time per mirror (a thread lock, and a file lock across worker processes); a
    mirror git cannot fetch into is replaced by a fresh clone."""
    mirrors.mkdir(parents=True, exist_ok=True)
    path = mirrors / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
    with _MIRROR_LOCKS_GUARD:
        lock = _MIRROR_LOCKS.setdefault(path, threading.Lock())
    with lock, open(path.with_suffix(".lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if path.is_dir():
            try:
                git.Repo(path).git.fetch("--prune", "--quiet", url, "+refs/heads/*:refs/heads/*",
                                         "+refs/tags/*:refs/tags/*", env=env)
                return path
            except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError):
                shutil.rmtree(path, ignore_errors=True)  # damaged: start again
        fresh = Path(tempfile.mkdtemp(prefix=path.name + ".", dir=mirrors))
        try:
            git.Repo.clone_from(url, fresh / "m.git", env=env, bare=True)
            os.replace(fresh / "m.git", path)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        return path


def repair(cfg: AppConfig, project: Path, home: Path) -> dict[str, Any]:
    """`repairbot fix --format json` on the checkout, apart from the app; its JSON report."""
    home.mkdir(parents=True, exist_ok=True)
    env = scrubbed_env(home)
    own = str(Path(repairbot.__file__).resolve().parents[1])
    paths = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([own, *paths]))
    budget = max(30.0, cfg.repair_timeout * 0.6)
    cmd = [cfg.python, "-m", "repairbot.cli", "fix", str(project), "--format", "json",
           "--audit", str(cfg.journal_db.resolve()), "--jobs", str(cfg.repair_jobs), "--time-budget", f"{budget:g}",
           "--python", cfg.python]
    done = run_limited(cmd, cwd=home, env=env, timeout=cfg.repair_timeout, memory_mb=cfg.memory_mb,
                       cpu_seconds=cfg.cpu_seconds)
    if done.timed_out:
        raise RepairError(f"repair exceeded {cfg.repair_timeout:g} s", done.stderr, timed_out=True)
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        raise RepairError(f"repair exited {done.returncode} without a JSON report", done.stderr) from None
    if not isinstance(doc, dict) or "status" not in doc:
        raise RepairError(f"repair exited {done.returncode} with an unexpected report", done.stderr)
    return doc
