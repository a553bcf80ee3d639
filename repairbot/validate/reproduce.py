"""A failing test rebuilt from a production traceback, where the failing call can be rebuilt.

A traceback in a log carries no arguments, but the source line of a caller often does: in
`total = parse_price("12,50", currency="EUR")` every argument is a literal. When the caller's
line (read from the project as it is now) calls the next frame's function with literals only
(or module constants bound to literals), and that function is a module-level `def` the tests
can import, the call becomes a pytest test that fails as the log did. `repairbot fix --trace`
then has a failing test to localise with and to validate every candidate against, and the test
ships with the patch as its regression test (`GeneratedTest`).

The test asserts only that the call no longer raises the logged exception: that is all a
traceback says. A patch that swallows the error would pass it, which `repairbot.risk` names and
the policy caps.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from repairbot.localize.rank import project_paths
from repairbot.localize.traceback import parse_traceback
from repairbot.types import Frame
from repairbot.validate.evidence import module_name

_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|Iteration|Failure))"
                        r"(?::\s?(?P<message>.*))?$")


@dataclass(frozen=True)
class Reproduction:
    path: str  # where the test goes, relative to the project root
    source: str
    exception: str  # the logged exception's type, as printed ("" if the log lost it)
    call: str  # the rebuilt call, for the report


def exception_of(text: str) -> tuple[str, str]:
    """The type and message of the exception the traceback ends with (("", "") if none)."""
    lines = text.splitlines()
    last_frame = max((i for i, ln in enumerate(lines) if 'File "' in ln and ", line " in ln), default=-1)
    for ln in lines[last_frame + 1:]:
        m = _EXCEPTION.match(ln.strip())
        if m:
            return m["type"], (m["message"] or "").strip()
    return "", ""


def build(root: Path, trace_text: str, tests_dir: str = "tests") -> Reproduction | str:
    """The reproduction test for the innermost rebuildable call of the trace, or why there is none."""
    frames = parse_traceback(trace_text)
    if len(frames) < 2:
        return "the traceback has fewer than two frames: no caller to read the call from"
    code, tests = project_paths(root, include_tests=False), project_paths(root, include_tests=True)
    exc_type, exc_message = exception_of(trace_text)
    reasons: list[str] = []
    for caller, callee in reversed(list(zip(frames, frames[1:]))):
        got = _rebuild(root, tests.foreign(caller), code.foreign(callee), callee)
        if isinstance(got, str):
            reasons.append(f"{callee.function}: {got}")
            continue
        module, function, call = got
        return _render(root, tests_dir, caller, module, function, call, exc_type, exc_message)
    return "no call of the traceback could be rebuilt (" + "; ".join(reasons[:3]) + ")"


def _rebuild(root: Path, caller: tuple[str, int] | None, callee: tuple[str, int] | None,
             frame: Frame) -> tuple[str, str, str] | str:
    if caller is None or callee is None:
        return "not in the project"
    module = module_name(callee[0])
    if module is None:
        return "not importable"
    try:
        callee_tree = ast.parse((root / callee[0]).read_text("utf-8"))
        caller_tree = ast.parse((root / caller[0]).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return "unreadable"
    if not any(isinstance(n, ast.FunctionDef) and n.name == frame.function for n in callee_tree.body):
        return "not a module-level function"
    constants = _constants(caller_tree)
    for node in ast.walk(_statement_at(caller_tree, caller[1]) or ast.Module([], [])):
        if isinstance(node, ast.Call) and _last_name(node.func) == frame.function:
            call = _literal_call(node, frame.function, constants)
            if call is not None:
                return module, frame.function, call
    return "its arguments are not literals"


def _statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost simple statement spanning `line` (or a compound statement's header)."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _last_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound once to a literal (`LIMIT = 10`), as source."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in seen:
                out.pop(name, None)
                continue
            seen.add(name)
            text = _literal(node.value, {})
            if text is not None:
                out[name] = text
    return out


def _literal(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return ast.unparse(node)


def _literal_call(node: ast.Call, function: str, constants: dict[str, str]) -> str | None:
    parts: list[str] = []
    for a in node.args:
        text = None if isinstance(a, ast.Starred) else _literal(a, constants)
        if text is None:
            return None
        parts.append(text)
    for k in node.keywords:
        text = _literal(k.value, constants) if k.arg else None
        if text is None:
            return None
        parts.append(f"{k.arg}={text}")
    call = f"{function}({', '.join(parts)})"
    return call if len(call) <= 2000 else None


def _render(root: Path, tests_dir: str, caller: Frame, module: str, function: str, call: str, exc_type: str,
            exc_message: str) -> Reproduction:
    digest = hashlib.sha256(f"{module}:{call}:{exc_type}".encode()).hexdigest()[:8]
    name = re.sub(r"\W", "_", f"{module.rsplit('.', 1)[-1]}_{function}").lower()
    raised = f"{exc_type}: {exc_message}".strip(": ")[:200] or "an exception"
    source = "\n".join([
        f'"""Regression test written by repairbot from a logged traceback: {function} raised here.',
        "",
        f"The call is the one at {Path(caller.file).name}:{caller.line} (in {caller.function}), rebuilt from its literals.",
        f"Logged: {raised}",
        '"""',
        "",
        f"from {module} import {function}",
        "",
        "",
        f"def test_{name}_from_trace_{digest}() -> None:",
        f"    {call}  # raised in the log: the fix must make this call succeed",
        "",
    ])
    folder = tests_dir if (root / tests_dir).is_dir() else "."
    return Reproduction(str(Path(folder) / f"test_repairbot_trace_{name}_{digest}.py"), source, exc_type, call)
