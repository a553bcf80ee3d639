"""Shared fixtures: the fixture repositories, built once per test session into a temp dir."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "repos"))

import build as fixture_build  # noqa: E402


@pytest.fixture(scope="session")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> path of each fixture repository (never modify these: copy with `copy_repo`)."""
    return fixture_build.build_all(tmp_path_factory.mktemp("fixture-repos"))


@pytest.fixture(scope="session")
def inventory_patterns(repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pattern set `repairbot mine` learns from the inventory fixture, mined once per session."""
    from repairbot.cli import main

    out = tmp_path_factory.mktemp("mined") / "inventory.json"
    assert main(["mine", str(repos["inventory"]), "--out", str(out), "--format", "json"]) == 0
    return out


def write_files(root: Path, files: dict[str, str]) -> Path:
    """A small project: each relative path gets its dedented text."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def partial_clone(repo: Path, sources: list[str]) -> str:
    """A git repository with one commit per source of `a.py` (each message a fix), whose first
    blob is then deleted, as in a partial snapshot: `git log --numstat` fails on it. Returns the
    missing blob's id."""
    repo.mkdir(parents=True)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    for i, text in enumerate(sources):
        (repo / "a.py").write_text(text)
        git("add", "a.py")
        git("commit", "-qm", f"fix comparison bug {i}")
    blob = git("rev-parse", f"HEAD~{len(sources) - 1}:a.py")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return blob


@pytest.fixture
def copy_repo(tmp_path: Path, repos: dict[str, Path]):
    def copy(name: str, as_name: str | None = None) -> Path:
        dest = tmp_path / (as_name or name)
        shutil.copytree(repos[name], dest, symlinks=True)
        return dest

    return copy


def tree_snapshot(root: Path, state: bool = True) -> dict[str, bytes]:
    """Every file under root (the .git folder included) and its bytes; with state=False, without
    repairbot's own state folder `.repairbot/` (the audit journal, ignored by git)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (state or p.relative_to(root).parts[0] != ".repairbot")}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A real redis-server on a loopback port, for the queue shared by several machines.

    Without redis-server on PATH the tests that need it are skipped with the reason, unless
    REPAIRBOT_REQUIRE_REDIS=1 (as `.ci/run` sets once it has installed the package): then they fail."""
    import os
    import socket

    exe = shutil.which("redis-server")
    if exe is None:
        why = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"
        if os.environ.get("REPAIRBOT_REQUIRE_REDIS") == "1":
            pytest.fail(why)
        pytest.skip(why)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        from repairbot.app.redisqueue import wait_until_up

        wait_until_up(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The server, emptied: each test starts with no jobs and no deliveries."""
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


def ranked_rewrites(code: str, guard: str, lines: set[int] | None = None) -> list[str]:
    """A procedural built-in's rewrites of `code`, best first, as the changed lines of each
    (stripped): what the operator tests compare."""
    from repairbot.matching.apply import Applied, rewrites
    from repairbot.matching.match import Target, compile_pattern
    from repairbot.pattern.builtin import builtin_patterns

    op = next(compile_pattern(p) for p in builtin_patterns() if p.guard == guard)
    out = [r for r in rewrites(Target.parse(code), [op], lines) if isinstance(r, Applied)]
    out.sort(key=lambda r: -r.weight)
    old = code.splitlines()
    return ["\n".join(ln.strip() for ln in r.new_source.splitlines() if ln not in old) for r in out]
