"""Walking a repository's history and choosing the fix commits worth mining.

One `git log --raw --numstat` process (through GitPython) lists every commit with its
changed files and line counts, so selection costs no per-commit subprocess; blobs are read
later through GitPython's persistent `cat-file` object database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import git

from repairbot.config import MineConfig

_COMMIT = "\x1e@@rb@@"
_SEP = "\x1f"


class RepoError(Exception):
    """A usage or input problem with the repository or revision range (exit code 2)."""


@dataclass(frozen=True)
class FileChange:
    path: str
    old_blob: str
    new_blob: str
    status: str  # git's letter: M, A, D, T...
    added: int  # -1 for binary
    deleted: int


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    message: str
    changes: tuple[FileChange, ...]

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""


def repo_at(path: str) -> git.Repo:
    """GitPython's Repo, pinned to its git directory.

    A bare mirror without a `config` file is taken by GitPython for a work tree's `.git`;
    GIT_DIR makes every git command read the right repository whatever its layout. Mining
    only reads objects and refs, so no work tree is needed.
    """
    repo = git.Repo(path, search_parent_directories=False)
    repo.git.update_environment(GIT_DIR=repo.git_dir)
    return repo


def open_repo(path: str) -> git.Repo:
    try:
        repo = repo_at(path)
    except git.NoSuchPathError:
        raise RepoError(f"{path}: no such directory") from None
    except git.InvalidGitRepositoryError:
        raise RepoError(f"{path}: not a git repository") from None
    try:
        repo.git.rev_parse("--verify", "--quiet", "HEAD^{commit}")
    except git.GitCommandError as e:
        stderr = (e.stderr or "").strip().replace("\n", " ")
        if "dubious ownership" in stderr:
            raise RepoError(f"{path}: git refuses to read it (dubious ownership; see git's safe.directory)") from None
        raise RepoError(f"{path}: repository has no commits") from None
    return repo


def is_shallow(repo: git.Repo) -> bool:
    return repo.git.rev_parse("--is-shallow-repository").strip() == "true"


def resolve_range(repo: git.Repo, rev_range: str | None) -> tuple[list[str], str]:
    """Arguments for `git log` and the revision whose tree counts as the head."""
    spec = rev_range or "HEAD"
    end = spec.split("..")[-1] or "HEAD"
    start = spec.split("..")[0] if ".." in spec else None
    for rev in filter(None, (start, end)):
        try:
            repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")
        except git.GitCommandError:
            raise RepoError(f"unknown revision {rev!r} in range {spec!r}") from None
    return [spec], end


def git_failure(e: git.GitCommandError) -> str:
    """git's own one-line reason (its `fatal:` line), for an input error message."""
    text = str(e.stderr or "")
    return text[text.index("fatal:"):].splitlines()[0].strip("' ") if "fatal:" in text else f"exit {e.status}"


def walk(repo: git.Repo, rev_range: str | None) -> Iterator[CommitInfo]:
    args, _ = resolve_range(repo, rev_range)
    out = repo.git.log(*args, "--raw", "--numstat", "--no-renames", "--no-abbrev", "--reverse",
                       "--topo-order", f"--format={_COMMIT}%H{_SEP}%P{_SEP}%B{_SEP}")
    for chunk in out.split(_COMMIT)[1:]:
        sha, parents, message, rest = chunk.split(_SEP, 3)
        yield CommitInfo(sha, tuple(parents.split()), message, _parse_changes(rest))


def _parse_changes(text: str) -> tuple[FileChange, ...]:
    raw: dict[str, tuple[str, str, str]] = {}
    counts: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        if line.startswith(":"):
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) >= 5:
                raw[_unquote(path)] = (parts[2], parts[3], parts[4][0])
        elif "\t" in line:
            a, d, path = line.split("\t", 2)
            counts[_unquote(path)] = (-1 if a == "-" else int(a), -1 if d == "-" else int(d))
    return tuple(FileChange(p, o, n, s, *counts.get(p, (0, 0))) for p, (o, n, s) in raw.items())


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", "replace")
    return path


def skip_reason(c: CommitInfo, cfg: MineConfig, fix_re: re.Pattern[str]) -> str | None:
    """Why a commit is not mined, or None when it is a fix commit of mineable shape."""
    if len(c.parents) > 1:
        return "merge"
    if not c.parents:
        return "root_commit"
    if not fix_re.search(c.message):
        return "not_a_fix_message"
    py = [f for f in c.changes if f.path.endswith(".py")]
    if not py:
        return "no_python_changes"
    if len(py) > cfg.max_files:
        return "too_many_files"
    if sum(max(f.added, 0) + max(f.deleted, 0) for f in py) > cfg.max_changed_lines:
        return "too_many_lines"
    return None
