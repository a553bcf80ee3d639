"""Every pattern carries before/after examples; this checks that it reproduces them.

Like Fixit's VALID/INVALID cases, the examples are both documentation and tests: applying
the pattern to an example's before code must yield that example's after code (compared as
trees, so formatting of the example does not matter).
"""

from __future__ import annotations

import libcst as cst

from repairbot.matching.instantiate import InstantiationError, apply_match
from repairbot.matching.match import Target, compile_pattern, find_matches
from repairbot.tree import from_cst
from repairbot.types import Example, Pattern


def example_problem(p: Pattern, ex: Example) -> str | None:
    """None if the pattern turns ex.before into ex.after, else what went wrong."""
    try:
        compiled = compile_pattern(p)
        target = Target.parse(ex.before, positions=False)
        want = from_cst(cst.parse_module(ex.after)).key
    except (cst.ParserSyntaxError, ValueError) as e:
        return f"cannot parse: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    matches = find_matches(target, [compiled])
    if not matches:
        return "before side does not match the example"
    for m in matches:
        try:
            rewrite = apply_match(target.module, m)
        except InstantiationError:
            continue
        if from_cst(cst.parse_module(rewrite.new_source)).key == want:
            return None
    return "no match rewrites the example into its after code"


def problems(p: Pattern) -> list[str]:
    if not p.examples:
        return ["pattern has no examples"]
    out = []
    for i, ex in enumerate(p.examples):
        why = example_problem(p, ex)
        if why:
            out.append(f"example {i}: {why}")
    return out
