"""Properties of anti-unification, matching and instantiation over generated expressions."""

from __future__ import annotations

import libcst as cst
from hypothesis import example, given, settings
from hypothesis import strategies as st

from repairbot.abstraction.antiunify import HoleMap, antiunify, instantiate, rename_holes
from repairbot.abstraction.cluster import Node, merge
from repairbot.matching.match import match_tree
from repairbot.tree import from_cst, parse_template, render
from repairbot.types import EditKind

NAMES = st.sampled_from(["a", "b", "x", "items", "self.size", "obj.attr"])
LEAVES = st.one_of(NAMES, st.integers(0, 3).map(str), st.sampled_from(["None", "'k'"]))


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "//"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.sampled_from(["<", "<=", "==", "is not"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["f", "len", "obj.get"]), st.lists(children, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        children.map(lambda c: f"(not {c})"),
    )


EXPRS = st.recursive(LEAVES, _combine, max_leaves=8)


def T(code: str):
    return from_cst(cst.parse_expression(code))


def _au(x, y):
    holes = HoleMap()
    return antiunify(x, y, holes), holes


@settings(max_examples=150, deadline=None)
@given(EXPRS, EXPRS)
def test_generalises_both_inputs(x, y):
    x, y = T(x), T(y)
    g, holes = _au(x, y)
    assert instantiate(g, {h: pair[0] for h, pair in holes.bindings.items()}) == x
    assert instantiate(g, {h: pair[1] for h, pair in holes.bindings.items()}) == y


@settings(max_examples=100, deadline=None)
@given(EXPRS)
def test_idempotent(x):
    x = T(x)
    g, holes = _au(x, x)
    assert g == x
    assert not g.has_holes and not holes.bindings


@settings(max_examples=150, deadline=None)
@given(EXPRS, EXPRS)
def test_commutative_up_to_hole_names(x, y):
    x, y = T(x), T(y)
    a, _ = _au(x, y)
    b, _ = _au(y, x)
    assert rename_holes([a])[0] == rename_holes([b])[0]


@settings(max_examples=150, deadline=None)
@given(EXPRS, EXPRS)
def test_generalisation_matches_both_and_binds_what_it_abstracted(x, y):
    x, y = T(x), T(y)
    g, holes = _au(x, y)
    for side, target in ((0, x), (1, y)):
        bindings: dict = {}
        assert match_tree(g, target, bindings)
        assert {k: v.key for k, v in bindings.items()} == {k: p[side].key for k, p in holes.bindings.items()}


@settings(max_examples=150, deadline=None)
@given(EXPRS, EXPRS)
def test_rendered_template_parses_back_to_the_same_tree(x, y):
    x, y = T(x), T(y)
    g, _ = _au(x, y)
    g = rename_holes([g])[0]
    assert parse_template(render(g), "expr") == g


@settings(max_examples=150, deadline=None)
@given(EXPRS, EXPRS, st.sampled_from(["len({})", "({} or 0)", "max({}, 0)", "({}).strip()"]))
def test_joint_holes_stay_consistent_between_before_and_after(x, y, wrap):
    """The same transformation applied to two inputs generalises to one pattern whose after holes
    are bound by its before side, and which maps each before to its own after."""
    x, y = T(x), T(y)
    ax = from_cst(cst.parse_expression(wrap.format(render(x))))
    ay = from_cst(cst.parse_expression(wrap.format(render(y))))
    nx = Node(EditKind.EXPR, x, ax, None, False, [])
    ny = Node(EditKind.EXPR, y, ay, None, False, [])
    m = merge(nx, ny)
    if m is None:  # only when the generalised before side is a bare hole (too general)
        assert _au(x, y)[0].is_hole
        return
    assert set(m.after.holes()) <= set(m.before.holes())
    for before, after in ((x, ax), (y, ay)):
        bindings: dict = {}
        assert match_tree(m.before, before, bindings)
        assert instantiate(m.after, bindings) == after


def test_hole_positions_are_expressions_only():
    x = from_cst(cst.parse_expression("a + b"))
    y = from_cst(cst.parse_expression("a - b"))
    g, _ = _au(x, y)
    assert g.is_hole  # the operator differs and cannot be a hole, so the whole expression is one
    x = from_cst(cst.parse_expression("f(a).close()"))
    y = from_cst(cst.parse_expression("g.shutdown()"))
    g, _ = _au(x, y)
    assert render(rename_holes([g])[0]) == "{h0}.{h1}()"


@settings(max_examples=100, deadline=None)
@given(EXPRS, EXPRS, st.sampled_from(["({}) * 2", "{} + 1", "-{}", "not {}", "f({})", "{}.x"]))
@example("0", "a", "{}.x")  # `0.x` does not parse: a number needs parentheses before an attribute
def test_instantiating_a_learned_pattern_in_code_keeps_precedence(x, y, wrap):
    """Mine `e -> wrap(e)` from two edits, apply it to a third statement: the result must be the
    wrapped expression as a tree (parentheses added where precedence needs them)."""
    from repairbot.matching.instantiate import apply_match
    from repairbot.matching.match import Target, compile_pattern, find_matches
    from repairbot.types import Pattern, Scores

    after = wrap.format("{h0}")
    p = Pattern("t", EditKind.EXPR, "{h0}", after, ("h0",), None, False, Scores(2, 2, 2, 0.0), ())
    bare = x[1:-1] if x.startswith("(") and x.endswith(")") else x
    try:
        cst.parse_expression(bare)
    except cst.ParserSyntaxError:
        bare = x
    source = f"v = {bare}\n"  # no parentheses of its own: instantiation must add them
    target = Target.parse(source)
    value = target.module.body[0].body[0].value
    matches = [m for m in find_matches(target, [compile_pattern(p)]) if m.node.node is value]
    assert len(matches) == 1
    new = apply_match(target.module, matches[0]).new_source
    want = T(wrap.format("(" + x + ")"))
    got = from_cst(cst.parse_module(new).body[0].body[0].value)
    assert got == want
