"""A local fake of the GitHub REST endpoints repairbot's app calls, with GitHub's documented
request and response shapes, served by uvicorn on 127.0.0.1 under /api/v3 (the GitHub
Enterprise layout, so PyGithub's `base_url` points at it).

It checks what GitHub checks: the app JWT (RS256, signed with the app's key, `iss` = app id)
on the installation-token endpoint, an issued installation token on every other call, that a
pull request's head branch exists in the repository's (bare, local) git remote, and that no
second open pull request is opened from the same head. Every request is recorded.
"""

from __future__ import annotations

import itertools
import secrets
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PREFIX = "/api/v3"
BOT = {"login": "repairbot[bot]", "id": 9001, "type": "Bot"}


@dataclass
class FakeRepo:
    full_name: str
    bare: Path
    default_branch: str = "main"
    pulls: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)

    def ref_sha(self, branch: str) -> str | None:
        r = subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"], cwd=self.bare,
                           capture_output=True, text=True)
        return r.stdout.strip() or None


class FakeGitHub:
    def __init__(self, app_id: int, public_key_pem: bytes, installations: set[int]) -> None:
        self.app_id = app_id
        self.public_key = public_key_pem
        self.installations = installations
        self.repos: dict[str, FakeRepo] = {}
        self.tokens: dict[str, int] = {}  # issued token -> installation
        self.requests: list[tuple[str, str, str]] = []  # (method, path, auth kind)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.base = ""  # set when served
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    # ------------------------------------------------------------------ shapes

    def _user(self) -> dict[str, Any]:
        return dict(BOT, url=f"{self.base}/users/repairbot%5Bbot%5D")

    def repo_json(self, r: FakeRepo) -> dict[str, Any]:
        owner, name = r.full_name.split("/")
        return {"id": abs(hash(r.full_name)) % 10**8, "node_id": "R_1", "name": name, "full_name": r.full_name,
                "private": False, "owner": {"login": owner, "id": 1, "type": "Organization",
                                            "url": f"{self.base}/users/{owner}"},
                "html_url": f"https://github.example/{r.full_name}", "url": f"{self.base}/repos/{r.full_name}",
                "clone_url": f"https://github.example/{r.full_name}.git", "default_branch": r.default_branch,
                "fork": False}

    def _pr_json(self, r: FakeRepo, pr: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base}/repos/{r.full_name}"
        n = pr["number"]
        owner = r.full_name.split("/")[0]
        return {"url": f"{url}/pulls/{n}", "id": pr["id"], "node_id": f"PR_{n}", "number": n,
                "html_url": f"https://github.example/{r.full_name}/pull/{n}", "issue_url": f"{url}/issues/{n}",
                "state": pr["state"], "title": pr["title"], "body": pr["body"], "draft": pr["draft"],
                "merged": pr.get("merged", False), "user": pr.get("user") or self._user(), "labels": list(pr["labels"]),
                "commits": 1,
                "head": {"label": f"{owner}:{pr['head']}", "ref": pr["head"], "sha": r.ref_sha(pr["head"]) or "",
                         "repo": self.repo_json(r), "user": self._user()},
                "base": {"label": f"{owner}:{pr['base']}", "ref": pr["base"], "sha": r.ref_sha(pr["base"]) or "",
                         "repo": self.repo_json(r)}}

    def _label_json(self, r: FakeRepo, name: str) -> dict[str, Any]:
        lab = r.labels[name]
        return {"id": lab["id"], "node_id": f"L_{lab['id']}", "url": f"{self.base}/repos/{r.full_name}/labels/{name}",
                "name": name, "color": lab["color"], "description": lab["description"], "default": False}

    # ------------------------------------------------------------------ auth

    def _auth(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        kind, _, value = header.partition(" ")
        if request.url.path.startswith(f"{PREFIX}/app/"):
            try:
                claims = jwt.decode(value, self.public_key, algorithms=["RS256"])
            except jwt.PyJWTError as e:
                self.requests.append((request.method, request.url.path, "bad-jwt"))
                return JSONResponse({"message": f"A JSON web token could not be decoded ({e})"}, 401)
            if kind != "Bearer" or str(claims.get("iss")) != str(self.app_id):
                self.requests.append((request.method, request.url.path, "bad-jwt"))
                return JSONResponse({"message": "'Issuer' claim ('iss') must be the app id"}, 401)
            self.requests.append((request.method, request.url.path, "jwt"))
            return None
        if kind.lower() not in ("token", "bearer") or value not in self.tokens:
            self.requests.append((request.method, request.url.path, "bad-token"))
            return JSONResponse({"message": "Bad credentials",
                                 "documentation_url": "https://docs.github.com/rest"}, 401)
        self.requests.append((request.method, request.url.path, "token"))
        return None

    def _repo(self, request: Request) -> FakeRepo | None:
        return self.repos.get(f"{request.path_params['owner']}/{request.path_params['repo']}")

    # ------------------------------------------------------------------ endpoints

    async def dispatch(self, request: Request) -> JSONResponse:
        denied = self._auth(request)
        if denied is not None:
            return denied
        handler = getattr(self, request.scope["endpoint_name"])
        with self._lock:
            return await handler(request)

    async def access_token(self, request: Request) -> JSONResponse:
        inst = int(request.path_params["installation"])
        if inst not in self.installations:
            return JSONResponse({"message": "Not Found"}, 404)
        token = "ghs_" + secrets.token_hex(18)
        self.tokens[token] = inst
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return JSONResponse({"token": token, "expires_at": expires, "permissions": {
            "contents": "write", "pull_requests": "write", "issues": "write"}, "repository_selection": "all"}, 201)

    async def get_repo(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        return JSONResponse(self.repo_json(r)) if r else JSONResponse({"message": "Not Found"}, 404)

    async def get_branch(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        sha = r.ref_sha(request.path_params["branch"]) if r else None
        if not sha:
            return JSONResponse({"message": "Branch not found"}, 404)
        return JSONResponse({"name": request.path_params["branch"], "protected": False,
                             "commit": {"sha": sha, "url": f"{self.base}/repos/{r.full_name}/commits/{sha}"}})

    async def pulls(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        if r is None:
            return JSONResponse({"message": "Not Found"}, 404)
        if request.method == "GET":
            q = request.query_params
            state, head = q.get("state", "open"), q.get("head")
            out = [p for p in r.pulls if state == "all" or p["state"] == state]
            if head:
                owner, _, ref = head.partition(":")
                out = [p for p in out if p["head"] == ref and owner == r.full_name.split("/")[0]]
            return JSONResponse([self._pr_json(r, p) for p in out])
        data = await request.json()
        missing = [k for k in ("head", "base") if not data.get(k)]
        if missing:
            return JSONResponse({"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "field": k, "code": "missing_field"} for k in missing]}, 422)
        if not r.ref_sha(data["head"]) or not r.ref_sha(data["base"]):
            return JSONResponse({"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "field": "head", "code": "invalid"}]}, 422)
        if any(p["head"] == data["head"] and p["state"] == "open" for p in r.pulls):
            return JSONResponse({"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {data['head']}."}]}, 422)
        pr = {"id": next(self._ids), "number": len(r.pulls) + 1, "state": "open", "title": data.get("title", ""),
              "body": data.get("body") or "", "draft": bool(data.get("draft")), "head": data["head"],
              "base": data["base"], "labels": []}
        r.pulls.append(pr)
        return JSONResponse(self._pr_json(r, pr), 201)

    async def pull(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        n = int(request.path_params["number"])
        if r is None or not 0 < n <= len(r.pulls):
            return JSONResponse({"message": "Not Found"}, 404)
        pr = r.pulls[n - 1]
        if request.method == "PATCH":
            data = await request.json()
            for k in ("title", "body", "state"):
                if k in data:
                    pr[k] = data[k]
        return JSONResponse(self._pr_json(r, pr))

    async def label(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        name = request.path_params["name"]
        if r is None or name not in r.labels:
            return JSONResponse({"message": "Not Found"}, 404)
        return JSONResponse(self._label_json(r, name))

    async def labels(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        data = await request.json()
        if r is None:
            return JSONResponse({"message": "Not Found"}, 404)
        if data.get("name") in r.labels:
            return JSONResponse({"message": "Validation Failed", "errors": [
                {"resource": "Label", "code": "already_exists", "field": "name"}]}, 422)
        r.labels[data["name"]] = {"id": next(self._ids), "color": data.get("color", "ededed"),
                                  "description": data.get("description")}
        return JSONResponse(self._label_json(r, data["name"]), 201)

    async def issue(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        n = int(request.path_params["number"])
        if r is None or not 0 < n <= len(r.pulls):
            return JSONResponse({"message": "Not Found"}, 404)
        pr = r.pulls[n - 1]
        url = f"{self.base}/repos/{r.full_name}/issues/{n}"
        return JSONResponse({"url": url, "id": pr["id"], "number": n, "state": pr["state"], "title": pr["title"],
                             "body": pr["body"], "user": self._user(), "labels": pr["labels"],
                             "html_url": f"https://github.example/{r.full_name}/pull/{n}",
                             "pull_request": {"url": f"{self.base}/repos/{r.full_name}/pulls/{n}"}})

    async def issue_labels(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        n = int(request.path_params["number"])
        names = await request.json()
        if isinstance(names, dict):
            names = names.get("labels", [])
        if r is None or not 0 < n <= len(r.pulls) or not isinstance(names, list):
            return JSONResponse({"message": "Not Found"}, 404)
        pr = r.pulls[n - 1]
        for name in names:  # GitHub creates labels that do not exist yet
            r.labels.setdefault(name, {"id": next(self._ids), "color": "ededed", "description": None})
            if all(lab["name"] != name for lab in pr["labels"]):
                pr["labels"].append(self._label_json(r, name))
        return JSONResponse(pr["labels"])

    async def issue_comments(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        n = int(request.path_params["number"])
        if r is None or not 0 < n <= len(r.pulls):
            return JSONResponse({"message": "Not Found"}, 404)
        return self._comment(r, await request.json(), issue=n)

    async def commit(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        sha = request.path_params["sha"]
        return JSONResponse({"sha": sha, "url": f"{self.base}/repos/{r.full_name}/commits/{sha}",
                             "html_url": f"https://github.example/{r.full_name}/commit/{sha}",
                             "commit": {"message": ""}})

    async def commit_comments(self, request: Request) -> JSONResponse:
        r = self._repo(request)
        return self._comment(r, await request.json(), commit=request.path_params["sha"])

    def _comment(self, r: FakeRepo, data: dict[str, Any], **where: Any) -> JSONResponse:
        cid = next(self._ids)
        c = {"id": cid, "body": data["body"], "user": self._user(), **where,
             "url": f"{self.base}/repos/{r.full_name}/issues/comments/{cid}",
             "html_url": f"https://github.example/{r.full_name}#comment-{cid}"}
        r.comments.append(c)
        return JSONResponse(c, 201)

    # ------------------------------------------------------------------ serving

    def asgi(self) -> Starlette:
        R = "/repos/{owner}/{repo}"
        table = [
            ("/app/installations/{installation:int}/access_tokens", "access_token", ["POST"]),
            (R, "get_repo", ["GET"]),
            (R + "/branches/{branch:path}", "get_branch", ["GET"]),
            (R + "/pulls", "pulls", ["GET", "POST"]),
            (R + "/pulls/{number:int}", "pull", ["GET", "PATCH"]),
            (R + "/labels", "labels", ["POST"]),
            (R + "/labels/{name}", "label", ["GET"]),
            (R + "/issues/{number:int}", "issue", ["GET"]),
            (R + "/issues/{number:int}/labels", "issue_labels", ["POST"]),
            (R + "/issues/{number:int}/comments", "issue_comments", ["POST"]),
            (R + "/commits/{sha}", "commit", ["GET"]),
            (R + "/commits/{sha}/comments", "commit_comments", ["POST"]),
        ]

        def route(path: str, name: str, methods: list[str]) -> Route:
            async def endpoint(request: Request) -> JSONResponse:
                request.scope["endpoint_name"] = name
                return await self.dispatch(request)
            return Route(PREFIX + path, endpoint, methods=methods)

        return Starlette(routes=[route(*t) for t in table])

    def start(self) -> str:
        self.server, self.thread, port = serve_in_thread(self.asgi())
        self.base = f"http://127.0.0.1:{port}{PREFIX}"
        return self.base

    def stop(self) -> None:
        if self.server:
            stop_server(self.server, self.thread)


def serve_in_thread(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    """uvicorn on a free 127.0.0.1 port in a thread; returns once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread, port


def stop_server(server: uvicorn.Server, thread: threading.Thread | None) -> None:
    server.should_exit = True
    if thread:
        thread.join(10)
