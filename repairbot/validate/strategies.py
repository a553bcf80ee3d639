"""Hypothesis strategies for one function's parameters, from what is known about them.

Three sources, as the issue asks: values the tests actually passed (and values near them:
the inputs a fix is most likely to change), the parameter's type hint through
`st.from_type`, and `st.from_type` of the observed values' types. A parameter with none of
these has no strategy, and the function is skipped with that reason.

Runs inside the project's interpreter (from `diffrun gen`).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

SearchStrategy = st.SearchStrategy


def draw_inputs(fn: Callable[..., Any], names: list[str], observed: dict[str, list[Any]],
                n: int) -> tuple[list[dict[str, Any]], str]:
    """Up to `n` distinct keyword-argument dicts, drawn deterministically; (inputs, why not)."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to observed values
        hints = {}
    last = ""
    for level in (2, 1, 0):  # 2: hints and types, 1: types of observed values, 0: observed values only
        per_param: dict[str, SearchStrategy[Any]] = {}
        for name in names:
            strat = param_strategy(hints.get(name) if level == 2 else None, observed.get(name, []), level > 0)
            if strat is None:
                return [], f"no type hint and no observed value for parameter {name!r}"
            per_param[name] = strat
        drawn: list[dict[str, Any]] = []
        try:
            _collect(st.fixed_dictionaries(per_param), n, drawn)
        except Exception as e:  # noqa: BLE001 - e.g. from_type cannot build a class: use less
            last = f"cannot generate inputs: {type(e).__name__}: {str(e)[:200]}"
            continue
        return drawn, ""
    return [], last


def _collect(strategy: SearchStrategy[dict[str, Any]], n: int, into: list[dict[str, Any]]) -> None:
    @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(kwargs: dict[str, Any]) -> None:
        into.append(kwargs)

    collect()


def param_strategy(hint: Any, values: list[Any], by_type: bool = True) -> SearchStrategy[Any] | None:
    options: list[SearchStrategy[Any]] = []
    if values:
        unique: list[Any] = []
        for v in values:
            if not any(v is u or _same(v, u) for u in unique):
                unique.append(v)
        options.append(st.sampled_from(unique))
        options.extend(_near(unique))
    if hint is not None and hint is not typing.Any:
        options.append(st.from_type(hint))
    elif values and by_type:
        for t in sorted({type(v) for v in values}, key=lambda t: t.__qualname__):
            options.append(_of_type(t, [v for v in values if type(v) is t]))
    return st.one_of(*options) if options else None


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _near(values: list[Any]) -> list[SearchStrategy[Any]]:
    """Numbers around the observed ones: boundaries move by one, and fixes live at boundaries."""
    ints = [v for v in values if type(v) is int]
    floats = [v for v in values if type(v) is float]
    out: list[SearchStrategy[Any]] = []
    if ints:
        out.append(st.integers(min(ints) - 10, max(ints) + 10))
    if floats:
        lo, hi = min(floats), max(floats)
        span = max(1.0, hi - lo)
        out.append(st.floats(lo - span, hi + span, allow_nan=False, allow_infinity=False))
    return out


def _of_type(t: type, examples: list[Any]) -> SearchStrategy[Any]:
    """A strategy for values like `examples`; containers take their elements' types."""
    if t in (list, tuple, set, frozenset) and examples:
        elems = [e for ex in examples for e in ex]
        inner = param_strategy(None, elems) if elems else st.nothing()
        inner = inner if inner is not None else st.nothing()
        lists = st.lists(inner, max_size=8)
        return lists if t is list else lists.map(t)
    if t is dict and examples:
        keys = [k for ex in examples for k in ex]
        vals = [v for ex in examples for v in ex.values()]
        ks, vs = param_strategy(None, keys), param_strategy(None, vals)
        if ks is None or vs is None:
            return st.just({})
        return st.dictionaries(ks, vs, max_size=8)
    try:
        return st.from_type(t)
    except Exception:  # noqa: BLE001 - some classes cannot be built from their type alone
        return st.sampled_from(examples)
