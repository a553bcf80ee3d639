"""One pytest process: started in its own session, watched through the plugin's event stream,
killed as a group on a hang, a deadline or a cancel. `runner.run_pytest` starts one per attempt
and folds the attempts into a `TestRun`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from repairbot.localize.traceback import parse_faulthandler
from repairbot.types import Frame, TestResult

_POLL = 0.02
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the directory holding `repairbot/`
_DUMP_WAIT = 0.5
# A parent pytest-cov (or coverage's subprocess hook) would start a second tracer in the child.
_DROP_ENV = ("COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE", "COVERAGE_PROCESS_START")


def die_with_parent(parent: int) -> None:
    """In the child, before exec: be killed when the thread that started us goes away.

    Children run in their own session so a hang can be killed as a group; the price is that
    killing repairbot's own group (Ctrl-C, a CI timeout, the app stopping a repair) would not
    reach them. Linux's parent-death signal closes that gap, even after a SIGKILL of repairbot.
    A parent killed between the fork and this call sends no signal: given the parent's pid, the
    child sees it has a new parent and ends itself.
    """
    if _PRCTL is not None:  # looked up in the parent: a child forked from a threaded parent must not dlopen
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)


def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


@dataclass
class _Attempt:
    """What one pytest process reported before it exited or was killed."""

    results: list[TestResult] = field(default_factory=list)
    returncode: int = 0
    collected: int | None = None
    collect_errors: int = 0
    collect_message: str = ""
    interrupted: str | None = None  # node id of the test that never finished
    killed: bool = False  # we killed the child over a hung test; the tests after it still need a run
    run_timed_out: bool = False
    output: str = ""
    unused: frozenset[str] | None = None  # plugins the session did not need (None: unknown)

    def ran_all(self) -> bool:
        return self.collected is not None and len(self.results) >= self.collected

    def collect_error(self) -> str:
        if self.collect_errors:
            more = f" (and {self.collect_errors - 1} more)" if self.collect_errors > 1 else ""
            return f"collection error: {self.collect_message or 'unknown'}{more}"
        if self.returncode in (2, 3, 4) and not self.results:
            return f"pytest exited with code {self.returncode}: {_output_message(self.output)}".rstrip(": ")
        return ""


def run_once(
    root: Path,
    args: Sequence[str],
    work: Path,
    *,
    python: str,
    coverage: bool,
    deadline: float | None,
    per_test_timeout: float | None,
    env: Mapping[str, str] | None,
    stop_first: bool,
    done: Sequence[str],
    cancel: threading.Event | None = None,
) -> _Attempt:
    work.mkdir()
    report, dump, deselect, output = (
        work / n for n in ("report.jsonl", "dump.txt", "deselect.txt", "out.txt")
    )
    deselect.write_text("".join(f"{nodeid}\n" for nodeid in done), "utf-8")
    cmd = [python, "-m", "pytest", "-p", "repairbot.localize.plugin", "-p", "no:cacheprovider", "-q"]
    cmd += ["-x"] if stop_first else []
    cmd += list(args)
    child_env = _child_env(root, env, report=report, dump=dump, deselect=deselect, coverage=coverage)
    attempt = _Attempt()
    reader = _ReportReader(report)
    running: tuple[str, float] | None = None  # (node id, wall-clock start) of the current test
    hung: str | None = None  # node id of the test we killed the child for
    with open(output, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=partial(die_with_parent, os.getpid()),
        )
        try:
            while True:
                returncode = proc.poll()
                running = _consume(reader.read(), attempt, running)
                if returncode is not None:
                    break
                if (deadline is not None and time.monotonic() > deadline) or (cancel is not None and cancel.is_set()):
                    attempt.run_timed_out = True
                    break
                if per_test_timeout is not None and running is not None:
                    if time.time() - running[1] > per_test_timeout:
                        hung = running[0]
                        break
                time.sleep(_POLL)
            if proc.poll() is None and running is not None:
                _request_dump(proc, dump)
        finally:
            _kill_group(proc)
    attempt.returncode = proc.returncode
    running = _consume(reader.read(), attempt, running)
    attempt.killed = hung is not None
    if running is not None and hung is not None and running[0] != hung:
        # The hung test finished just before the kill and the next one had barely started:
        # it is not at fault, and it will simply run again.
        running = None
    if running is not None:
        nodeid = running[0]
        if hung is not None or attempt.run_timed_out:
            limit = f"{per_test_timeout:g}s" if hung else "the run's time limit"
            outcome, message = "timeout", f"Timeout: test still running after {limit}"
        else:
            outcome, message = "error", f"test process died (exit code {proc.returncode})"
        frames = tuple(f for f in _relative_frames(parse_faulthandler(_read(dump)), root) if not _internal(f))
        attempt.results.append(
            TestResult(nodeid, outcome, duration=time.time() - running[1], message=message, frames=frames)
        )
        attempt.interrupted = nodeid
    attempt.output = _read(output)
    return attempt


def _consume(
    records: Iterable[dict[str, Any]], attempt: _Attempt, running: tuple[str, float] | None
) -> tuple[str, float] | None:
    """Fold plugin records into `attempt`; returns the test still running, if any."""
    for rec in records:
        event = rec.get("event")
        if event == "collect":
            attempt.collected = int(rec.get("count", 0))
            attempt.collect_errors = int(rec.get("errors", 0))
            attempt.collect_message = str(rec.get("message", ""))
        elif event == "session":
            attempt.unused = frozenset(str(name) for name in rec.get("unused", ()))
        elif event == "start":
            running = (str(rec["nodeid"]), float(rec.get("t", time.time())))
        elif event == "end":
            attempt.results.append(_result(rec))
            if running is not None and running[0] == rec["nodeid"]:
                running = None
    return running


def _result(rec: dict[str, Any]) -> TestResult:
    covered = rec.get("covered") or {}
    return TestResult(
        nodeid=str(rec["nodeid"]),
        outcome=str(rec.get("outcome") or "error"),
        duration=float(rec.get("duration", 0.0)),
        message=str(rec.get("message", "")),
        frames=tuple(Frame(str(f), int(line), str(fn)) for f, line, fn in rec.get("frames", ())),
        covered=tuple(sorted((str(f), int(line)) for f, lines in covered.items() for line in lines)),
    )


class _ReportReader:
    """Incrementally reads complete JSON lines appended by the plugin."""

    def __init__(self, path: Path):
        self._path = path
        self._pos = 0
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with open(self._path, "rb") as fh:
                fh.seek(self._pos)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        self._pos += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        records = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:  # a torn line from a killed child; the rest is still usable
                continue
            if isinstance(rec, dict):
                records.append(rec)
        return records


def project_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child in the project's interpreter that must import repairbot too:
    our package's parent goes last on the path so the project's own modules win; no parent
    coverage tracer; no bytecode written into the copy."""
    child = dict(os.environ)
    child.update(env or {})
    for name in _DROP_ENV:
        child.pop(name, None)
    ours = str(_PACKAGE_PARENT)
    paths = [p for p in child.get("PYTHONPATH", "").split(os.pathsep) if p]
    if ours not in paths:
        paths.append(ours)
    child.update(PYTHONPATH=os.pathsep.join(paths), PYTHONDONTWRITEBYTECODE="1")
    return child


def _child_env(
    root: Path, env: Mapping[str, str] | None, *, report: Path, dump: Path, deselect: Path, coverage: bool
) -> dict[str, str]:
    child = project_env(env)
    child.update(
        REPAIRBOT_REPORT=str(report),
        REPAIRBOT_ROOT=str(root),
        REPAIRBOT_DUMP=str(dump),
        REPAIRBOT_DESELECT=str(deselect),
        REPAIRBOT_COVERAGE="1" if coverage else "0",
    )
    return child


def _request_dump(proc: subprocess.Popen[bytes], dump: Path) -> None:
    """Ask the child's faulthandler (SIGUSR1) where it is stuck; wait briefly for the dump."""
    if not hasattr(signal, "SIGUSR1"):
        return
    try:
        os.kill(proc.pid, signal.SIGUSR1)
    except ProcessLookupError:
        return
    limit = time.monotonic() + _DUMP_WAIT
    size = -1
    while time.monotonic() < limit and proc.poll() is None:
        time.sleep(_POLL)
        now = dump.stat().st_size if dump.exists() else 0
        if now and now == size:
            return
        size = now


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it is its own session), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # group already gone
    proc.wait()


def _relative_frames(frames: Iterable[Frame], root: Path) -> list[Frame]:
    out = []
    for f in frames:
        path = Path(f.file)
        try:
            rel = path.resolve().relative_to(root).as_posix() if path.is_absolute() else f.file
        except ValueError:
            rel = f.file
        out.append(Frame(rel, f.line, f.function))
    return out


def _internal(frame: Frame) -> bool:
    parts = Path(frame.file).parts
    return (
        "_pytest" in parts
        or "pluggy" in parts
        or parts[-2:] == ("pytest", "__main__.py")
        or frame.file.startswith("<frozen runpy")
    )


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _output_message(output: str) -> str:
    """One line explaining a pytest failure from its console output."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for prefix in ("ERROR:", "E   ", "INTERNALERROR>"):
        hits = [line for line in lines if line.startswith(prefix)]
        if hits:
            return hits[-1][:300]
    return lines[-1][:300] if lines else ""
