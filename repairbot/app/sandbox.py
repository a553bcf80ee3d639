"""Running the repair apart from the app: a scrubbed environment, resource limits, a wall clock.

The project's tests run inside the repair subprocess, so they inherit exactly this
environment: an allow-list (no webhook secret, key path, token or anything else of the app's),
a fresh HOME, and RLIMIT_AS / RLIMIT_CPU, which every child inherits. The wall-clock limit
kills the whole process group.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        timed_out = True
    try:  # anything the repair left running in its group goes too
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return Completed(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out,
                     time.monotonic() - t)
