"""GitHub through PyGithub, authenticated as the app: a JWT signed with the app's key buys an
installation token per job (`Auth.AppAuth(...).get_installation_auth(id)`); `base_url` points
at github.com's API or a GitHub Enterprise server (or, in tests, a local fake)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from github import Auth, Github, GithubException, UnknownObjectException

from repairbot.app.events import BRANCH_PREFIX
from repairbot.app.redact import Redactor

log = logging.getLogger("repairbot.app")
LABEL_COLOURS = {"repairbot": "5319e7", "automated-fix": "0e8a16"}


class GitHubError(Exception):
    """A GitHub call failed; the message carries status and GitHub's message, never a token."""


@dataclass
class Installation:
    gh: Github
    auth: Any  # Auth.AppInstallationAuth: renews its token when it nears expiry
    redactor: Redactor

    @property
    def token(self) -> str:
        """The current installation token (for git over HTTPS), registered with the redactor."""
        try:
            token = self.auth.token
        except GithubException as e:
            raise GitHubError(f"installation token for {self.auth.installation_id}: HTTP {e.status} "
                              f"{_message(e)}") from None
        self.redactor.add(token)
        return token

    def repo(self, full_name: str) -> Any:
        return _call(lambda: self.gh.get_repo(full_name), f"get repository {full_name}")

    def bot_pulls(self, repo: Any, branch: str) -> list[Any]:
        """Pull requests from `branch` of this repository, open or closed."""
        owner = repo.full_name.split("/")[0]
        return _call(lambda: list(repo.get_pulls(state="all", head=f"{owner}:{branch}")), "list pull requests")

    def open_bot_pulls(self, repo: Any) -> int:
        return _call(lambda: sum(1 for pr in repo.get_pulls(state="open") if pr.head.ref.startswith(BRANCH_PREFIX)),
                     "list open pull requests")

    def ensure_labels(self, repo: Any, names: tuple[str, ...]) -> list[str]:
        """Create missing labels; returns those created."""
        created = []
        for name in names:
            try:
                repo.get_label(name)
            except UnknownObjectException:
                _call(lambda n=name: repo.create_label(n, LABEL_COLOURS.get(n, "ededed"),
                                                       "opened by repairbot"), f"create label {name}")
                created.append(name)
            except GithubException as e:
                raise GitHubError(f"get label {name}: {e.status} {_message(e)}") from None
        return created

    def open_pull(self, repo: Any, title: str, body: str, head: str, base: str, draft: bool,
                  labels: tuple[str, ...]) -> Any:
        pr = _call(lambda: repo.create_pull(title=title, body=body, head=head, base=base, draft=draft),
                   "create pull request")
        if labels:
            _call(lambda: pr.add_to_labels(*labels), "label pull request")
        return pr

    def update_pull(self, pr: Any, title: str, body: str) -> None:
        _call(lambda: pr.edit(title=title, body=body), f"update pull request #{pr.number}")

    def comment(self, repo: Any, number: int, sha: str, body: str) -> str:
        """On the pull request or issue if there is one, else on the commit; returns its URL."""
        if number:
            c = _call(lambda: repo.get_issue(number).create_comment(body), f"comment on #{number}")
        else:
            c = _call(lambda: repo.get_commit(sha).create_comment(body), f"comment on {sha[:12]}")
        return str(c.html_url)


def _message(e: GithubException) -> str:
    data = e.data if isinstance(e.data, dict) else {}
    return str(data.get("message", ""))[:200]


def _call(fn: Any, what: str) -> Any:
    try:
        return fn()
    except GithubException as e:
        raise GitHubError(f"{what}: HTTP {e.status} {_message(e)}") from None


class GitHubApp:
    def __init__(self, app_id: int, private_key: str, base_url: str, redactor: Redactor) -> None:
        redactor.add(private_key)
        self.redactor = redactor
        self.base_url = base_url.rstrip("/")
        self.auth = Auth.AppAuth(app_id, private_key)

    def installation(self, installation_id: int) -> Installation:
        auth = self.auth.get_installation_auth(installation_id)
        gh = Github(auth=auth, base_url=self.base_url, retry=None, timeout=30)
        inst = Installation(gh, auth, self.redactor)
        inst.token  # noqa: B018  (mint it now: a refused installation fails the job before any work)
        return inst
