"""One harness for every pattern, shipped or built in: each must reproduce its own examples."""

from __future__ import annotations

import json

import pytest

from repairbot.pattern import store
from repairbot.pattern.builtin import builtin_patterns
from repairbot.pattern.verify import problems

LIBRARY = store.load_many(store.library_paths())


def test_library_is_not_empty():
    assert store.library_paths(), "patterns/ holds no pattern file"
    assert len(LIBRARY) >= 30


@pytest.mark.parametrize("pattern", LIBRARY, ids=lambda p: f"{p.id}-{p.name or p.category}")
def test_pattern_reproduces_its_examples(pattern):
    assert pattern.examples, "every pattern carries at least one example"
    assert problems(pattern) == []


def test_builtin_json_is_in_sync_with_the_operator_list():
    shipped = {p.id for p in store.load(store.library_paths()[0].parent / "builtin.json")}
    assert shipped == {p.id for p in builtin_patterns()}, "run: python -m repairbot.pattern.builtin > patterns/builtin.json"


def test_store_round_trip(tmp_path):
    path = tmp_path / "set.json"
    store.save(path, LIBRARY, {"x": 1})
    again = store.load(path)
    assert sorted(again, key=lambda p: p.id) == sorted(LIBRARY, key=lambda p: p.id)


def test_a_pattern_that_does_not_reproduce_is_reported():
    p = builtin_patterns()[0]
    from dataclasses import replace

    from repairbot.types import Example
    bad = replace(p, examples=(Example("ok = i < n\n", "ok = i > n\n"),))
    assert problems(bad) == ["example 0: no match rewrites the example into its after code"]


@pytest.mark.parametrize("text,msg", [
    ("not json", "cannot read pattern file"),
    (json.dumps({"format": "other"}), "not a repairbot pattern file"),
    (json.dumps({"format": "repairbot-patterns", "patterns": [{"id": "x"}]}), r"pattern #0 \(x\)"),
])
def test_bad_pattern_files_name_the_file_and_entry(tmp_path, text, msg):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(store.PatternFileError, match=msg):
        store.load(path)


def test_every_measured_prior_names_a_built_in_operator():
    from repairbot.pattern.builtin import MEASURED, OPS

    assert set(MEASURED) <= {op.name for op in OPS}  # a renamed operator would silently lose its prior
