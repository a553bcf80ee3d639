"""The accuracy benchmark's harness on a fixture repository: fix selection, counting, comparison.

The benchmark itself runs on real mirrors (benchmarks/accuracy_bench.py); here it runs on the
bundled `inventory` history so that the parts that decide its figures are checked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import accuracy_bench  # noqa: E402
from heldout_fixes import later_fixes, split_commit  # noqa: E402

from repairbot.config import MineConfig  # noqa: E402
from repairbot.mining.history import open_repo  # noqa: E402
from repairbot.pattern.kinds import KIND_LABELS  # noqa: E402


@pytest.fixture(scope="module")
def inventory_fixes(repos):
    repo = open_repo(str(repos["inventory"]))
    split = split_commit(repo, None, 0.5)
    fixes, skips, considered = later_fixes(repo, "inventory", split, MineConfig())
    yield repo, split, fixes, skips, considered
    repo.close()


def test_every_later_commit_is_kept_or_skipped_with_a_reason(inventory_fixes):
    repo, split, fixes, skips, considered = inventory_fixes
    assert considered == len(repo.git.rev_list(f"{split}..HEAD").split())
    assert considered == len(fixes) + sum(skips.values())
    assert fixes, "the fixture history has single-statement fixes after its midpoint"
    assert all(f.kind in KIND_LABELS and f.line >= 1 for f in fixes)


def test_the_human_after_file_matches_itself_and_not_the_parent(inventory_fixes):
    repo, _, fixes, _, _ = inventory_fixes
    for f in fixes:
        after = repo.git.show(f"{f.commit}:{f.file}") + "\n"
        reformatted = "# a comment the comparison ignores\n" + after
        assert accuracy_bench._rank_of(f, [f.before_source, reformatted]) == 2
        assert accuracy_bench._rank_of(f, [f.before_source]) is None
        assert f.before_source.splitlines()[f.line - 1].strip()  # the flagged line holds code


def test_report_counts_add_up(repos, capsys):
    assert accuracy_bench.main([str(repos["inventory"]), "--split-fraction", "0.5", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (repo_doc,) = doc["repos"]
    for cfg in doc["configs"].values():
        overall = cfg["overall"]
        assert overall["n"] == repo_doc["kept"] == sum(k["n"] for k in cfg["kinds"].values())
        assert overall["top1"] <= overall["top5"] <= overall["n"]
        assert cfg["ms_per_prediction"]["median"] > 0
    # the fixture repeats its fix kinds, so history before the split predicts some later fixes
    assert doc["configs"]["mined + library"]["overall"]["top5"] > 0


def test_within_reach_is_an_upper_bound_on_what_patterns_can_write():
    from dataclasses import replace

    from repairbot.types import EditKind, Pattern, Scores

    fix = accuracy_bench.HeldOutFix("r", "c", "m.py", 1, "x = f(a, 3)\n", (), (), "x = f(a, 3)\n",
                                    "x = f(a, 4) or None\n", "other", False, ("4", "None", "or"))
    before = accuracy_bench.words(fix.before_source)
    template = Pattern(id="p", kind=EditKind.EXPR, before="{h0}", after="{h0} or None", holes=("h0",),
                       context=None, at_block_end=False, scores=Scores(2, 2, 2, 0.5), examples=(),
                       commits=(), files=())
    vocab = accuracy_bench.vocabulary([template])
    assert vocab == {"or", "None"}  # holes are not words
    assert accuracy_bench.within_reach(fix, before, vocab, {"int_step"})  # 4 is 3 + 1
    assert not accuracy_bench.within_reach(fix, before, vocab, set())
    assert not accuracy_bench.within_reach(replace(fix, new_words=("7",)), before, vocab, {"int_step"})
    assert not accuracy_bench.within_reach(fix, before, set(), {"int_step"})


def test_text_only_fixes_and_new_words_are_recorded(inventory_fixes):
    import libcst as cst
    from heldout_fixes import _text_only

    from repairbot.mining.edits import Where, extract_edits
    from repairbot.mining.lines import statement_lines

    def edit(before: str, after: str):
        mb = cst.parse_module(before)
        (e,) = extract_edits(mb, cst.parse_module(after), Where("c", "m.py"), statement_lines(mb, before))
        return e

    assert _text_only(edit("log('no such user')\n", "log('no such user: %s' % name)\n")) is False
    assert _text_only(edit("log('no such usr')\n", "log('no such user')\n")) is True
    assert _text_only(edit("x = {'a': 'b', 'c': 1}\n", "x = {'a': 'B', 'c': 1}\n")) is True
    assert _text_only(edit("x = {'a': 'b', 'c': 1}\n", "x = {'a': 'b', 'c': 2}\n")) is False
    _, _, fixes, _, _ = inventory_fixes
    for f in fixes:
        assert set(f.new_words) <= accuracy_bench.words(f.after_stmt)
        assert not set(f.new_words) & accuracy_bench.words(f.before_source)


def test_a_broken_clone_is_skipped_with_one_line_and_the_others_still_count(repos, tmp_path, capsys):
    from conftest import partial_clone

    broken = tmp_path / "broken"
    partial_clone(broken, [f"def f(a, b):\n    return a < b + {i}\n" for i in range(4)])
    assert accuracy_bench.main([str(broken), str(repos["inventory"]), "--split-fraction", "0.5",
                                "--format", "json"]) == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert [r["repo"] for r in doc["repos"]] == ["inventory"]
    assert len(doc["unreadable_repos"]) == 1 and "git cannot read its history" in doc["unreadable_repos"][0]
    assert "skipped" in out.err
