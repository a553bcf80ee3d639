"""pytest plugin that streams per-test events to a JSON-lines file for `runner.run_pytest`.

Loaded in the child pytest with `-p repairbot.localize.plugin`; inert unless the
`REPAIRBOT_REPORT` environment variable names the report file. One line is appended and
flushed per event, so the parent can watch a live run (to spot a hanging test) and keeps
everything recorded before a crash or a kill:

    {"event": "collect", "errors": 1, "message": "...", "count": 12}
    {"event": "start", "nodeid": "...", "t": 1700000000.0}
    {"event": "end", "nodeid": "...", "outcome": "failed", "duration": 0.01, "message": "...",
     "frames": [["src/m.py", 3, "f"]], "covered": {"src/m.py": [2, 3]}}
    {"event": "session", "unused": ["hypothesispytest", "anyio"]}

The last names the plugins of repairbot's own dependencies that the session did not need
(`unused_plugins`). hypothesis's plugin imports all of hypothesis (0.4 s) at the end of every
session, even when no test uses it, and anyio's costs 0.13 s to load; validation runs pytest once
per candidate, so it leaves out those the baseline run did not need (`Baseline.options`).

Other variables: `REPAIRBOT_ROOT` (project root; paths below it are recorded relative to it),
`REPAIRBOT_COVERAGE=1` (per-test line coverage of setup + call via coverage.py dynamic
contexts), `REPAIRBOT_DESELECT` (file of node ids to drop, matched exactly -- pytest's own
`--deselect` matches prefixes, which would also drop `test_a1` when deselecting `test_a`),
`REPAIRBOT_DUMP` (file that receives a faulthandler stack dump on SIGUSR1, so the parent
learns where a hanging test was stuck before killing it).

Keep this module importable with only the standard library and pytest: it runs inside the
project's own interpreter.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any

import pluggy
import pytest

_INTERNAL_DIRS = tuple(
    os.path.dirname(os.path.realpath(m.__file__)) + os.sep
    for m in (pytest, pluggy, __import__("_pytest"))
    if m.__file__
)
_IDLE = "repairbot-idle"
_RECORDER = "repairbot-recorder"


def pytest_configure(config: pytest.Config) -> None:
    report = os.environ.get("REPAIRBOT_REPORT")
    if not report or config.pluginmanager.has_plugin(_RECORDER):
        return
    root = os.environ.get("REPAIRBOT_ROOT") or str(config.rootpath)
    recorder = _Recorder(
        Path(report),
        Path(root),
        coverage=os.environ.get("REPAIRBOT_COVERAGE") == "1",
        deselect=os.environ.get("REPAIRBOT_DESELECT") or None,
        dump=os.environ.get("REPAIRBOT_DUMP") or None,
    )
    config.pluginmanager.register(recorder, _RECORDER)


class _Recorder:
    """Per-session state; registered as a plugin object so its methods are hooks."""

    def __init__(self, report: Path, root: Path, *, coverage: bool, deselect: str | None, dump: str | None):
        self._out: IO[str] = open(report, "a", encoding="utf-8")  # open for the whole session
        self._root = os.path.realpath(root)
        self._rel_cache: dict[str, str] = {}
        self._want_coverage = coverage
        self._cov: Any = None
        self._ctx_serial = 0
        self._ctx: dict[str, str] = {}
        self._deselect: set[str] = set()
        if deselect:
            self._deselect = {line for line in Path(deselect).read_text("utf-8").splitlines() if line}
        self._dump: IO[str] | None = None
        if dump and hasattr(signal, "SIGUSR1"):
            self._dump = open(dump, "w", encoding="utf-8")  # faulthandler writes to its fd
            faulthandler.register(signal.SIGUSR1, file=self._dump, all_threads=False, chain=False)
        self._collect_errors = 0
        self._collect_message = ""
        # nodeid -> accumulated state of the test currently running
        self._outcome: dict[str, str] = {}
        self._message: dict[str, str] = {}
        self._frames: dict[str, list[list[Any]]] = {}
        self._duration: dict[str, float] = {}
        self._exc: dict[tuple[str, str], tuple[str, list[list[Any]]]] = {}

    # ------------------------------------------------------------------ output

    def _emit(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._out.flush()

    def _rel(self, path: str) -> str:
        """Root-relative posix path when under the root, otherwise the absolute path."""
        cached = self._rel_cache.get(path)
        if cached is None:
            real = os.path.realpath(path)
            if real.startswith(self._root + os.sep):
                cached = Path(os.path.relpath(real, self._root)).as_posix()
            else:
                cached = real
            self._rel_cache[path] = cached
        return cached

    # ------------------------------------------------------------------ collection

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not self._deselect:
            return
        kept = [it for it in items if it.nodeid not in self._deselect]
        dropped = [it for it in items if it.nodeid in self._deselect]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        self._collect_errors += 1
        if not self._collect_message:
            where = report.nodeid or str(getattr(report, "fspath", ""))
            error = _last_error_line(str(report.longrepr))
            self._collect_message = ": ".join(part for part in (where, error) if part)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._emit(
            {
                "event": "collect",
                "errors": self._collect_errors,
                "message": self._collect_message,
                "count": len(session.items),
            }
        )
        if self._want_coverage and session.items:
            self._start_coverage()

    def _start_coverage(self) -> None:
        try:
            import coverage  # only needed when asked for; the project's interpreter may lack it
        except ImportError as exc:
            self._emit({"event": "warning", "message": f"no per-test coverage: {exc}"})
            return

        cov = coverage.Coverage(
            data_file=None,
            include=[os.path.join(self._root, "*")],
            omit=["*/site-packages/*", "*/dist-packages/*"],
            config_file=False,
        )
        cov.set_option("run:disable_warnings", ["no-data-collected", "module-not-measured"])
        cov.start()
        cov.switch_context(_IDLE)
        self._cov = cov

    # ------------------------------------------------------------------ tests

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._outcome[nodeid] = ""
        self._duration[nodeid] = 0.0
        self._emit({"event": "start", "nodeid": nodeid, "t": time.time()})
        if self._cov is not None:
            self._ctx_serial += 1
            ctx = f"repairbot-{self._ctx_serial}"
            self._ctx[nodeid] = ctx
            self._cov.switch_context(ctx)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        # Coverage of setup + call only: teardown code says little about the test's verdict.
        if self._cov is not None:
            self._cov.switch_context(_IDLE)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        excinfo = call.excinfo
        if excinfo is None or excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception)):
            return
        message = excinfo.exconly().strip().splitlines()
        self._exc[(item.nodeid, call.when)] = (message[0] if message else excinfo.typename, self._tb(excinfo))

    def _tb(self, excinfo: pytest.ExceptionInfo[BaseException]) -> list[list[Any]]:
        """All frames of the raised exception except pytest's and pluggy's own machinery."""
        frames: list[list[Any]] = []
        tb = excinfo.tb
        while tb is not None:
            code = tb.tb_frame.f_code
            path = code.co_filename
            if not (path.startswith("<") or os.path.realpath(path).startswith(_INTERNAL_DIRS)):
                frames.append([self._rel(path), tb.tb_lineno, code.co_name])
            tb = tb.tb_next
        return frames

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if nodeid not in self._outcome:
            return
        self._duration[nodeid] = self._duration.get(nodeid, 0.0) + (report.duration or 0.0)
        current = self._outcome[nodeid]
        if report.when == "setup":
            if report.failed:
                self._set(nodeid, "error", report)
            elif report.skipped:
                self._set(nodeid, "skipped", report)
        elif report.when == "call":
            self._set(nodeid, "passed" if report.passed else "failed" if report.failed else "skipped", report)
        elif report.failed and current in ("", "passed", "skipped"):  # teardown
            self._set(nodeid, "error", report)

    def _set(self, nodeid: str, outcome: str, report: pytest.TestReport) -> None:
        self._outcome[nodeid] = outcome
        exc = self._exc.pop((nodeid, report.when), None)
        if exc is not None and outcome in ("failed", "error"):
            self._message[nodeid], self._frames[nodeid] = exc
        elif outcome == "skipped":
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
            wasxfail = getattr(report, "wasxfail", None)
            self._message[nodeid] = f"xfail: {wasxfail}".rstrip(": ") if wasxfail is not None else str(reason)
            self._frames[nodeid] = []
        elif outcome in ("failed", "error"):
            self._message[nodeid] = _last_error_line(report.longreprtext)
            self._frames[nodeid] = []

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        record: dict[str, Any] = {
            "event": "end",
            "nodeid": nodeid,
            "outcome": self._outcome.pop(nodeid, "") or "error",
            "duration": round(self._duration.pop(nodeid, 0.0), 6),
            "message": self._message.pop(nodeid, ""),
            "frames": self._frames.pop(nodeid, []),
        }
        for key in [k for k in self._exc if k[0] == nodeid]:
            del self._exc[key]
        ctx = self._ctx.pop(nodeid, None)
        if ctx is not None:
            record["covered"] = self._covered(ctx)
        self._emit(record)

    def _covered(self, ctx: str) -> dict[str, list[int]]:
        data = self._cov.get_data()
        data.set_query_context(ctx)
        try:
            covered: dict[str, list[int]] = {}
            for path in data.measured_files():
                lines = data.lines(path)
                if lines:
                    covered[self._rel(path)] = sorted(lines)
            return covered
        finally:
            data.set_query_contexts(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before the terminal summary, where hypothesis's plugin imports hypothesis anyway."""
        self._emit({"event": "session", "unused": unused_plugins(session)})

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._cov is not None:
            self._cov.stop()
            self._cov = None
        if self._dump is not None and hasattr(signal, "SIGUSR1"):
            faulthandler.unregister(signal.SIGUSR1)
            self._dump.close()
        self._out.close()


def unused_plugins(session: pytest.Session) -> list[str]:
    """The plugins of repairbot's own dependencies (hypothesis, anyio) that this session did not
    need: none of its tests used what they provide. Together they cost a small project's pytest
    run more than half its time, on every validation run."""
    pm, items = session.config.pluginmanager, session.items
    unused = []
    if (pm.has_plugin("hypothesispytest") and "hypothesis" not in sys.modules
            and not any(item.get_closest_marker("hypothesis") is not None for item in items)):
        unused.append("hypothesispytest")
    if pm.has_plugin("anyio") and not _uses_anyio(session):
        unused.append("anyio")
    return unused


def _uses_anyio(session: pytest.Session) -> bool:
    """An anyio mode, marker or fixture anywhere (its fixtures found by their module, through
    pytest's private fixture info: when that is not there, the answer is yes)."""
    config = session.config
    try:
        if "anyio_mode" in config.inicfg or config.getoption("anyio_mode", None) is not None:
            return True
        for item in session.items:
            if item.get_closest_marker("anyio") is not None:
                return True
            info = getattr(item, "_fixtureinfo", None)
            if info is None and isinstance(item, pytest.Function):
                return True
            defs = info.name2fixturedefs.values() if info is not None else ()
            if any(getattr(d.func, "__module__", "").startswith("anyio") for ds in defs for d in ds):
                return True
    except Exception:  # noqa: BLE001 - pytest internals moved: keep the plugin
        return True
    return False


def _last_error_line(text: str) -> str:
    """The exception line of pytest's long repr (`E   ValueError: x`), else its last line."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors:
        # The exception line is the last `E` line that looks like `Name: message` or a bare name.
        for line in reversed(errors):
            head = line.split(":", 1)[0]
            if head and head.replace(".", "").replace("_", "").isalnum() and not line.startswith("^"):
                return line
        return errors[-1]
    return lines[-1].strip() if lines else ""
