"""The child side of differential testing: runs inside the project's interpreter and copy.

    python -m repairbot.validate.diffrun gen SPEC.json   generate inputs for one function
    python -m repairbot.validate.diffrun run SPEC.json   call it on those inputs, record outcomes

`gen` builds a hypothesis strategy per parameter from the arguments the tests passed
(recorded by `repairbot.validate.calls`), from the parameter's type hint
(`st.from_type`), and from the types of the observed values, and draws inputs
deterministically. `run` is executed once in the original copy and once in the patched
copy on the same pickled inputs; the parent compares the two outcome lists. Each call has
a time limit; outcomes are compared by `repr` with object addresses masked. For inputs
seen in failing tests it also writes the arguments and result as Python source, when they
round-trip through `repr`, so the parent can write a regression test.

Standard library only at import time (hypothesis is imported by `gen`).
"""

from __future__ import annotations

import builtins
import copy
import importlib
import json
import os
import pickle
import re
import signal
import sys
from collections.abc import Callable
from typing import Any

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _Timeout(BaseException):
    pass


def resolve(module: str, qualname: str) -> tuple[Callable[..., Any], list[str], set[str]]:
    """The function object, its parameter names in order, and which are keyword-only."""
    for extra in (os.getcwd(), os.path.join(os.getcwd(), "src")):
        if extra not in sys.path:
            sys.path.insert(0, extra)
    obj: Any = importlib.import_module(module)
    parts = qualname.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    raw = obj.__dict__[parts[-1]] if isinstance(obj, type) else getattr(obj, parts[-1])
    raw = getattr(raw, "__func__", raw)  # staticmethod / classmethod: the plain function
    code = raw.__code__
    names = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    return raw, names, set(names[code.co_argcount:])


def call(fn: Callable[..., Any], names: list[str], kwonly: set[str], kwargs: dict[str, Any]) -> Any:
    positional = [kwargs[n] for n in names if n not in kwonly and n in kwargs]
    return fn(*positional, **{n: kwargs[n] for n in kwonly if n in kwargs})


def outcome_repr(value: Any) -> str:
    try:
        return _ADDRESS.sub(" at 0x?", repr(value))[:2000]
    except Exception as e:  # noqa: BLE001 - a broken __repr__ is an outcome too
        return f"<unrepresentable {type(e).__name__}>"


def to_code(value: Any, imports: set[tuple[str, str]], depth: int = 0) -> str | None:
    """`repr(value)` when it evaluates back to an equal value with the right imports."""
    names: dict[str, Any] = {}
    for t in _types_in(value, 0):
        if t.__module__ != "builtins":
            top = t.__qualname__.split(".")[0]
            mod = sys.modules.get(t.__module__)
            if mod is None or not hasattr(mod, top) or "<locals>" in t.__qualname__:
                return None
            names[top] = getattr(mod, top)
            imports.add((t.__module__, top))
    try:
        text = repr(value)
        back = eval(text, {"__builtins__": builtins, **names})  # noqa: S307 - our own repr, our own copy
        same = back == value
    except Exception:  # noqa: BLE001 - anything that does not round-trip has no source form
        return None
    return text if same is True and "\n" not in text and len(text) < 500 else None


def _types_in(value: Any, depth: int) -> set[type]:
    out = {type(value)}
    if depth > 4:
        return out
    items: list[Any] = []
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        items = list(vars(value).values())
    for item in items[:50]:
        out |= _types_in(item, depth + 1)
    return out


def _alarm(_sig: int, _frame: Any) -> None:
    raise _Timeout


def run(spec: dict[str, Any]) -> None:
    fn, names, kwonly = resolve(spec["module"], spec["qualname"])
    with open(spec["inputs"], "rb") as f:
        inputs: list[tuple[str, bytes]] = pickle.load(f)
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for origin, blob in inputs:
        kwargs = pickle.loads(blob)
        argcopy = copy.deepcopy(kwargs) if origin == "failing" else None
        rec: dict[str, Any] = {"origin": origin}
        signal.setitimer(signal.ITIMER_REAL, spec.get("per_call", 1.0))
        try:
            value = call(fn, names, kwonly, kwargs)
            signal.setitimer(signal.ITIMER_REAL, 0)
            rec.update(status="ok", repr=outcome_repr(value), after=outcome_repr(kwargs))
            if origin == "failing":
                imports: set[tuple[str, str]] = set()
                rec["code"] = to_code(value, imports)
                rec["args_code"] = {n: to_code(v, imports) for n, v in (argcopy or {}).items()}
                rec["imports"] = sorted(imports)
        except _Timeout:
            rec.update(status="timeout", repr="")
        except Exception as e:  # noqa: BLE001 - the project's exception is the outcome
            signal.setitimer(signal.ITIMER_REAL, 0)
            rec.update(status="raise", repr=type(e).__name__)
        results.append(rec)
    with open(spec["out"], "w", encoding="utf-8") as f:
        json.dump(results, f)


def gen(spec: dict[str, Any]) -> None:
    from repairbot.validate.strategies import draw_inputs

    fn, names, _kwonly = resolve(spec["module"], spec["qualname"])
    observed: list[tuple[str, dict[str, bytes]]] = []
    if spec.get("observed") and os.path.exists(spec["observed"]):
        with open(spec["observed"], "rb") as f:
            observed = pickle.load(f)
    failing = set(spec.get("failing", ()))
    out: list[tuple[str, bytes]] = []
    seen: set[bytes] = set()
    values: dict[str, list[Any]] = {n: [] for n in names}
    for nodeid, args in observed:
        if set(args) != set(names):
            continue
        blob = pickle.dumps({n: pickle.loads(args[n]) for n in names})
        if blob in seen:
            continue
        seen.add(blob)
        out.append(("failing" if nodeid in failing else "passing", blob))
        for n in names:
            values[n].append(pickle.loads(args[n]))
    generated, reason = draw_inputs(fn, names, values, spec.get("n", 100))
    for kwargs in generated:
        try:
            blob = pickle.dumps(kwargs)
        except Exception:  # noqa: BLE001 - an unpicklable draw is dropped
            continue
        if blob not in seen:
            seen.add(blob)
            out.append(("generated", blob))
    with open(spec["inputs"], "wb") as f:
        pickle.dump(out, f)
    with open(spec["out"], "w", encoding="utf-8") as f:
        json.dump({"inputs": len(out), "skipped": reason}, f)


def main(argv: list[str]) -> int:
    mode, path = argv
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    {"gen": gen, "run": run}[mode](spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
