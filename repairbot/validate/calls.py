"""pytest plugin that records the arguments of every call to one function while tests run.

Loaded with `-p repairbot.validate.calls` next to the localisation plugin; inert unless
`REPAIRBOT_CALLS` names the target as `relative/file.py::Qual.name` and `REPAIRBOT_CALLS_OUT`
the output file. The arguments seen by the tests are the best seeds for generated inputs
and the only way to rebuild the failing call for a regression test.

A profile hook (not a wrapper) sees the calls: a wrapper would miss every reference taken
before it was installed (`from .m import f` in a package `__init__`). Arguments are pickled
at call time, before the function can mutate them; unpicklable ones are dropped. Output is
one pickle of `[(nodeid, {param: pickled bytes}), ...]`, capped per test and in total.

Standard library and pytest only: this runs inside the project's interpreter.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Generator
from typing import Any

import pytest

PER_TEST, TOTAL = 20, 400


class _Calls:
    def __init__(self, filename: str, qualname: str, out: str) -> None:
        self.filename, self.qualname, self.out = filename, qualname, out
        self.records: list[tuple[str, dict[str, bytes]]] = []
        self.nodeid = ""
        self.in_test = 0

    def _profile(self, frame: Any, event: str, _arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if code.co_qualname != self.qualname or not code.co_filename.endswith(self.filename):
            return
        if self.in_test >= PER_TEST or len(self.records) >= TOTAL:
            return
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        args: dict[str, bytes] = {}
        for name in names:
            try:
                args[name] = pickle.dumps(frame.f_locals[name])
            except Exception:  # noqa: BLE001 - an unpicklable argument is simply not recorded
                return
        self.in_test += 1
        self.records.append((self.nodeid, args))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        self.nodeid, self.in_test = item.nodeid, 0
        previous = sys.getprofile()
        sys.setprofile(self._profile)
        try:
            yield
        finally:
            sys.setprofile(previous)

    def pytest_sessionfinish(self) -> None:
        with open(self.out, "wb") as f:
            pickle.dump(self.records, f)


def pytest_configure(config: pytest.Config) -> None:
    target, out = os.environ.get("REPAIRBOT_CALLS"), os.environ.get("REPAIRBOT_CALLS_OUT")
    if not target or not out or "::" not in target:
        return
    filename, qualname = target.split("::", 1)
    config.pluginmanager.register(_Calls(os.sep + filename.replace("/", os.sep), qualname, out), "repairbot-calls")
