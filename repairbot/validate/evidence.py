"""Evidence beyond the project's tests, for a plausible patch: a regression test and a
differential run of the original against the patched function.

Per patch, in an isolated copy:
1. the failing tests (and the passing tests that cover the change) run once more with the
   call recorder (`repairbot.validate.calls`) on the patched function: the arguments the
   tests really pass;
2. `diffrun gen` draws inputs from those values, the type hints and `st.from_type`;
3. `diffrun run` calls the original and then the patched function on the same inputs;
4. inputs seen in failing tests whose result the patch changed become a regression test,
   which must fail on the original copy and pass on the patched one to ship.

Everything runs in the project's interpreter, in subprocesses with time and memory limits.
"""

from __future__ import annotations

import ast
import json
import os
import re
import resource
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from repairbot.localize.process import die_with_parent, project_env
from repairbot.localize.runner import run_pytest
from repairbot.types import Candidate, Differential, GeneratedTest
from repairbot.validate.validator import Baseline, changed_lines
from repairbot.validate.workspace import Workspace, write_atomic

INPUTS = 150
CHILD_TIMEOUT = 60.0
MEMORY_LIMIT = 2 << 30


@dataclass(frozen=True)
class Target:
    file: str
    module: str
    qualname: str


def target_of(c: Candidate) -> Target | str:
    """The function enclosing the change, importable by module and qualified name; or why not."""
    try:
        tree = ast.parse(c.old_source)
    except SyntaxError:
        return "the original file does not parse"
    best: tuple[str, ast.AST] | None = None

    def visit(node: ast.AST, prefix: str, local: bool) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                end = child.end_lineno or child.lineno
                inside = child.lineno <= c.line <= end
                name = f"{prefix}{child.name}"
                if inside and not isinstance(child, ast.ClassDef):
                    best = ("<locals>" if local else name, child)
                visit(child, name + ".", local or not isinstance(child, ast.ClassDef))
            else:
                visit(child, prefix, local)

    visit(tree, "", False)
    if best is None:
        return "the change is not inside a function"
    qualname, node = best
    if "<locals>" in qualname:
        return "the change is inside a nested function"
    if isinstance(node, ast.AsyncFunctionDef):
        return "the changed function is a coroutine"
    module = module_name(c.file)
    if module is None:
        return f"{c.file} is not importable as a module"
    return Target(c.file, module, qualname)


def module_name(rel: str) -> str | None:
    """The dotted module a project file imports as (`src/` layouts too), or None."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def gather(ws: Workspace, c: Candidate, base: Baseline, python: str,
           inputs: int = INPUTS) -> tuple[Differential, tuple[GeneratedTest, ...]]:
    """Differential results and verified regression tests for one candidate (original copy `ws`)."""
    target = target_of(c)
    if isinstance(target, str):
        return Differential("", skipped=target), ()
    with tempfile.TemporaryDirectory(prefix="repairbot-diff-") as tmp:
        work = Path(tmp)
        observed = work / "calls.pkl"
        changed = changed_lines(c)
        covering = [t for t in base.passing if base.coverage.get(t, frozenset()) & changed][:20]
        run_pytest(ws.path, ["-p", "repairbot.validate.calls", *base.options, *base.args, *base.failing, *covering],
                   python=python, per_test_timeout=base.per_test_timeout,
                   timeout=base.per_test_timeout * (len(base.failing) + len(covering) + 2),
                   env={"REPAIRBOT_CALLS": f"{target.file}::{target.qualname}",
                        "REPAIRBOT_CALLS_OUT": str(observed)})
        spec = {"module": target.module, "qualname": target.qualname, "observed": str(observed),
                "failing": list(base.failing), "n": inputs, "inputs": str(work / "inputs.pkl"),
                "out": str(work / "gen.json")}
        err = _child(python, ws.path, "gen", spec, work)
        if err:
            return Differential(target.qualname, skipped=err), ()
        gen_info = json.loads((work / "gen.json").read_text("utf-8"))
        before, err = _outcomes(python, ws.path, spec, work, "before")
        if err:
            return Differential(target.qualname, skipped=err), ()
        with ws.patched(c.file, c.new_source):
            after, err = _outcomes(python, ws.path, spec, work, "after")
        if err:
            return Differential(target.qualname, skipped=err), ()
        diff = compare(target.qualname, before, after, gen_info.get("skipped", ""))
        tests = _regression_tests(ws, c, target, base, before, after, python)
    return diff, tests


def compare(qualname: str, before: list[dict[str, Any]], after: list[dict[str, Any]],
            skipped: str = "") -> Differential:
    """Agreement on inputs beyond the failing tests; the failing inputs are counted apart."""
    agree = differ = new_errors = failing = failing_changed = 0
    examples: list[str] = []
    for b, a in zip(before, after, strict=True):
        same = (b["status"], b["repr"], b.get("after")) == (a["status"], a["repr"], a.get("after"))
        if b["origin"] == "failing":
            failing += 1
            failing_changed += not same
            continue
        if same:
            agree += 1
        elif a["status"] == "raise" and b["status"] == "ok":
            new_errors += 1
            if len(examples) < 3:
                examples.append(f"now raises {a['repr']} where it returned {b['repr'][:80]}")
        else:
            differ += 1
            if len(examples) < 3:
                examples.append(f"{b['repr'][:60]} -> {a['repr'][:60]}")
    n = agree + differ + new_errors
    reason = "" if n or failing else (skipped or "no input could be generated")
    return Differential(qualname, n, agree, differ, new_errors, tuple(examples), reason, failing, failing_changed)


def _outcomes(python: str, path: Path, spec: dict[str, Any], work: Path,
              side: str) -> tuple[list[dict[str, Any]], str]:
    out = work / f"{side}.json"
    err = _child(python, path, "run", {**spec, "out": str(out)}, work)
    if err:
        return [], err
    return json.loads(out.read_text("utf-8")), ""


def _limits(parent: int) -> None:
    die_with_parent(parent)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _child(python: str, cwd: Path, mode: str, spec: dict[str, Any], work: Path) -> str:
    """Run `diffrun MODE` in the project's interpreter; '' on success, else why not (one line)."""
    spec_path = work / f"{mode}-spec.json"
    spec_path.write_text(json.dumps(spec), "utf-8")
    proc = subprocess.Popen([python, "-m", "repairbot.validate.diffrun", mode, str(spec_path)], cwd=cwd,
                            env=project_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=partial(_limits, os.getpid()))
    try:
        _, stderr = proc.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"differential {mode} timed out after {CHILD_TIMEOUT:.0f}s"
    if proc.returncode != 0:
        last = (stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        return f"differential {mode} failed: {last[:200]}"
    return ""


def _regression_tests(ws: Workspace, c: Candidate, t: Target, base: Baseline, before: Sequence[dict[str, Any]],
                      after: Sequence[dict[str, Any]], python: str) -> tuple[GeneratedTest, ...]:
    cases = []
    for b, a in zip(before, after, strict=True):
        if b["origin"] != "failing" or a["status"] != "ok" or (b["status"], b["repr"]) == ("ok", a["repr"]):
            continue
        args = a.get("args_code") or {}
        if a.get("code") is None or not args or any(v is None for v in args.values()):
            continue
        cases.append((args, a["code"], a.get("imports") or [], b))
        if len(cases) == 3:
            break
    if not cases:
        return ()
    source = render_test(c, t, base.failing[0], cases)
    rel = test_path(base.failing[0], c)
    target = ws.path / rel
    if target.exists():
        return ()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic_new(target, source)
        fails_before = _runs(ws.path, rel, python, base) == "failed"
        with ws.patched(c.file, c.new_source):
            passes_after = _runs(ws.path, rel, python, base) == "passed"
    finally:
        target.unlink(missing_ok=True)
    return (GeneratedTest(rel, source, fails_before and passes_after),)


def _runs(root: Path, rel: str, python: str, base: Baseline) -> str:
    run = run_pytest(root, [*base.options, rel], python=python, per_test_timeout=base.per_test_timeout,
                     timeout=base.per_test_timeout * 3)
    if run.collect_error or not run.results:
        return "error"
    return "passed" if all(r.outcome == "passed" for r in run.results) else "failed"


def write_atomic_new(path: Path, text: str) -> None:
    path.touch(exist_ok=False)
    write_atomic(path, text.encode("utf-8"))


def test_path(failing_nodeid: str, c: Candidate) -> str:
    """Beside the failing test, as `test_repairbot_<module>_<fingerprint>.py`."""
    folder = Path(failing_nodeid.split("::", 1)[0]).parent
    stem = re.sub(r"\W", "_", Path(c.file).stem)
    return str(folder / f"test_repairbot_{stem}_{c.fingerprint[:8]}.py")


def render_test(c: Candidate, t: Target, failing: str,
                cases: Sequence[tuple[dict[str, str], str, list[list[str]], dict[str, Any]]]) -> str:
    top, _, rest = t.qualname.partition(".")
    imports = {(t.module, top)}
    for _, _, imps, _ in cases:
        imports |= {(m, n) for m, n in imps}
    callee = t.qualname
    lines = [f'"""Regression test written by repairbot for patch {c.fingerprint[:12]} ({c.file}:{c.line}).',
             "",
             f"Reproduces {failing}: before the patch, {t.qualname} gave a different result here.",
             '"""', ""]
    lines += [f"from {m} import {n}" for m, n in sorted(imports)]
    name = re.sub(r"\W", "_", t.qualname).lower()
    lines += ["", "", f"def test_{name}_repairbot_{c.fingerprint[:8]}() -> None:"]
    for args, expected, _, b in cases:
        call = ", ".join(f"{k}={v}" for k, v in args.items())
        was = f"raised {b['repr']}" if b["status"] == "raise" else f"returned {b['repr'][:60]}"
        was = was.replace("\n", " ")
        lines.append(f"    assert {callee}({call}) == {expected}  # before the patch: {was}")
    return "\n".join(lines) + "\n"


def collect(root: Path, candidates: Sequence[Candidate], base: Baseline, python: str,
            inputs: int = INPUTS) -> dict[str, tuple[Differential, tuple[GeneratedTest, ...]]]:
    """Evidence for each candidate, by fingerprint; a failure is that candidate's skip, not the run's."""
    from repairbot.validate.workspace import workspaces

    out: dict[str, tuple[Differential, tuple[GeneratedTest, ...]]] = {}
    with workspaces(root, 1) as (ws,):
        for c in candidates:
            try:
                out[c.fingerprint] = gather(ws, c, base, python, inputs)
            except Exception as e:  # noqa: BLE001 - per-candidate boundary
                out[c.fingerprint] = (Differential("", skipped=f"internal error: {type(e).__name__}: {e}"), ())
    return out
