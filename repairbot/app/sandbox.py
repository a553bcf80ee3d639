"""Running the repair apart from the app: a scrubbed environment, resource limits, a wall clock.

The project's tests run inside the repair subprocess, so they inherit exactly this
environment: an allow-list (no webhook secret, key path, token or anything else of the app's),
a fresh HOME, and RLIMIT_AS / RLIMIT_CPU, which every child inherits. The wall-clock limit
(and shutdown) kills the whole process tree: the repair runs the project's tests in sessions of
their own, which a process-group kill would miss, so descendants are found through /proc,
stopped (so none forks past the sweep), then killed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_running: set[int] = set()  # process groups of repairs in progress, for `kill_all` at shutdown
_running_lock = threading.Lock()

ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT")


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float


def scrubbed_env(home: Path, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the allow-listed variables of `source`, HOME and TMPDIR inside the job's folder."""
    src = os.environ if source is None else source
    env = {k: src[k] for k in ALLOWED if k in src}
    env["HOME"] = str(home)
    env["TMPDIR"] = str(home)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _limits(memory_mb: int, cpu_seconds: int) -> None:  # runs in the child, before exec
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


def run_limited(cmd: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, memory_mb: int,
                cpu_seconds: int) -> Completed:
    import time

    t = time.monotonic()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=lambda: _limits(memory_mb, cpu_seconds))
    with _running_lock:
        _running.add(proc.pid)
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            out, err = proc.communicate()
            timed_out = True
    finally:
        with _running_lock:
            _running.discard(proc.pid)
    try:  # anything the repair left running in its group goes too
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return Completed(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out,
                     time.monotonic() - t)


def kill_all() -> int:
    """Kill every repair in progress (its whole process group): the app is shutting down and
    must not leave a repair running with nobody to read its result. Returns how many."""
    with _running_lock:
        groups = list(_running)
    for pid in groups:
        kill_tree(pid)
    return len(groups)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree(pid: int) -> set[int]:
    kids, seen, stack = _children(), set(), [pid]
    while stack:
        p = stack.pop()
        if p not in seen:
            seen.add(p)
            stack.extend(kids.get(p, ()))
    return seen


def _signal(pids: set[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(pid: int) -> None:
    """SIGKILL `pid`, its process group and every descendant, whatever session they moved to."""
    procs: set[int] = set()
    if os.path.isdir("/proc"):
        for _ in range(5):  # stop what we see; look again until nothing new appeared
            found = _tree(pid) - procs
            if not found:
                break
            _signal(found, signal.SIGSTOP)
            procs |= found
    _signal(procs | {pid}, signal.SIGKILL)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
