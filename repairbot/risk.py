"""Patches that can make a failing test pass by hiding the error instead of fixing it.

A validated patch that wraps the failing statement in `try: ... except E: pass` passes the
tests it was validated against and still loses the error. Such a patch is named by what it
adds (not by the pattern that made it, so mined patterns are judged the same way), and the
policy (`masking`, default `approval`) caps the action it may get: never applied or opened as
a ready pull request without a person looking at it.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter

BROAD = frozenset({"Exception", "BaseException"})


@functools.lru_cache(maxsize=16)  # every candidate of a file shares its original source: parsed once
def _handlers(source: str) -> Counter[tuple[str, str]] | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    out: Counter[tuple[str, str]] = Counter()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler):
            continue
        caught = ast.unparse(node.type) if node.type is not None else ""
        names = {n.id if isinstance(n, ast.Name) else n.attr
                 for n in ast.walk(node.type) if isinstance(n, (ast.Name, ast.Attribute))} if node.type else set()
        if not caught or names & BROAD:
            out[("catches everything", caught or "bare except")] += 1
        if all(_inert(s) for s in node.body):
            out[("does nothing", caught or "bare except")] += 1
    return out


def _inert(stmt: ast.stmt) -> bool:
    """A handler statement that neither handles nor reports: `pass`, `...`, a string, `continue`."""
    if isinstance(stmt, (ast.Pass, ast.Continue)):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def masking(old_source: str, new_source: str) -> tuple[str, ...]:
    """How the patch can hide an error: each exception handler it adds that swallows or is broad."""
    old, new = _handlers(old_source), _handlers(new_source)
    if old is None or new is None:
        return ()
    added = new - old  # (Counter subtraction makes a new Counter: the cached ones stay as they are)
    said = []
    for (what, caught), n in sorted(added.items(), key=lambda kv: (kv[0][0] != "does nothing", kv[0][1])):
        if what == "does nothing":
            said.append(f"adds a handler for {caught} that does nothing" + (f" (x{n})" if n > 1 else ""))
        else:
            said.append(f"adds a handler that catches everything ({caught})" + (f" (x{n})" if n > 1 else ""))
    return tuple(said)
