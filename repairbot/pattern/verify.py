"""Every pattern carries before/after examples; this checks that it reproduces them.

Like Fixit's VALID/INVALID cases, the examples are both documentation and tests: applying
the pattern to an example's before code must yield that example's after code (compared as
trees, so formatting of the example does not matter).
"""

from __future__ import annotations

import libcst as cst

from repairbot.matching.apply import Failed, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.tree import PARSE_ERRORS, from_cst
from repairbot.types import Example, Pattern


def example_problem(p: Pattern, ex: Example) -> str | None:
    """None if the pattern turns ex.before into ex.after, else what went wrong."""
    try:
        compiled = compile_pattern(p)
        target = Target.parse(ex.before)
        want = from_cst(cst.parse_module(ex.after)).key
    except (*PARSE_ERRORS, ValueError) as e:
        return f"cannot parse: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    found = False
    for r in rewrites(target, [compiled]):
        if isinstance(r, Failed):
            continue
        found = True
        if from_cst(cst.parse_module(r.new_source)).key == want:
            return None
    return "no match rewrites the example into its after code" if found else "before side does not match the example"


def problems(p: Pattern) -> list[str]:
    if not p.examples:
        return ["pattern has no examples"]
    out = []
    for i, ex in enumerate(p.examples):
        why = example_problem(p, ex)
        if why:
            out.append(f"example {i}: {why}")
    return out
