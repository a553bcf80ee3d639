"""`repairbot mine` end to end on the fixture repositories, and on odd repositories."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import fixture_build, tree_snapshot

from repairbot.cli import main
from repairbot.mining.miner import mine
from repairbot.pattern import store
from repairbot.pattern.verify import example_problem, problems
from repairbot.types import Example

# A canonical instance of each fix shape in the fixture histories: a mined pattern must turn
# the before snippet into the after snippet.
CANONICAL = {
    "none_guard": ("def f(p):\n    return p.name\n", "def f(p):\n    if p is None:\n        return None\n    return p.name\n"),
    "lt_to_le": [("if len(xs) < n: ...\n", "if len(xs) <= n: ...\n"), ("return a < b\n", "return a <= b\n")],
    "range_off_by_one": ("for i in range(n - 1): ...\n", "for i in range(n): ...\n"),
    "slice_off_by_one": ("y = xs[:n - 1]\n", "y = xs[:n]\n"),
    "dict_get_default0": ("v = d[k]\n", "v = d.get(k, 0)\n"),
    "dict_get_plain": ("return d[k]\n", "return d.get(k)\n"),
    "open_encoding": ("with open(path) as fh: ...\n", 'with open(path, encoding="utf-8") as fh: ...\n'),
    "json_sort_keys": ("s = json.dumps(data)\n", "s = json.dumps(data, sort_keys=True)\n"),
    "attr_colour": ("c = shape.colour\n", "c = shape.color\n"),
    "warn_to_warning": ("logger.warn('x')\n", "logger.warning('x')\n"),
    "except_tuple": ("try: ...\nexcept ValueError: ...\n", "try: ...\nexcept (ValueError, TypeError): ...\n"),
    "eq_none_is": ("if x.y == None: ...\n", "if x.y is None: ...\n"),
    "ne_none_is_not": ("if x.y != None: ...\n", "if x.y is not None: ...\n"),
    "missing_return": ("def f(a):\n    out = a + 1\n", "def f(a):\n    out = a + 1\n    return out\n"),
}
# Sub-variants that generalise together (their edits differ only in context).
MERGED = {"range_off_by_one": ("range_off_by_one", "slice_off_by_one"),
          "slice_off_by_one": ("range_off_by_one", "slice_off_by_one")}
# The none_guard fixtures guard either `return X.attr` or `name = X.attr`: two statement shapes.
AT_LEAST = {"none_guard": 2}


@pytest.fixture(scope="module")
def mined(repos):
    return {name: mine(str(path)) for name, path in repos.items()}


def _best_support(patterns, canonical) -> int:
    """Highest support among patterns that fix one of the kind's canonical forms."""
    forms = canonical if isinstance(canonical, list) else [canonical]
    return max((p.scores.support for p in patterns for before, after in forms
                if example_problem(p, Example(before, after)) is None), default=0)


@pytest.mark.parametrize("repo", fixture_build.REPOS)
def test_each_fix_kind_is_mined_with_its_support(mined, repo):
    result = mined[repo]
    expected = fixture_build.EXPECTED_FIXES[repo]
    for kind in expected:
        want = sum(expected.get(k, 0) for k in MERGED.get(kind, (kind,)))
        want = min(want, AT_LEAST.get(kind, want))
        if want < 2:
            continue  # a single edit is a leaf, not a pattern
        got = _best_support(result.patterns, CANONICAL[kind])
        assert got >= want, f"{repo}: {kind} mined with support {got}, expected {want}"


def test_every_mined_pattern_reproduces_its_examples_and_has_provenance(mined):
    for result in mined.values():
        assert result.patterns
        for p in result.patterns:
            assert problems(p) == []
            assert len(p.examples) == 2 and p.commits and p.files
            assert p.scores.support >= 2 and 0 < p.scores.specificity <= 1
            assert all(len(c) == 40 for c in p.commits)


def test_noise_and_non_fix_commits_are_counted_skips_not_patterns(mined, repos):
    result = mined["inventory"]
    skips = result.skip_counts()
    noise = fixture_build.NOISE["inventory"]
    assert skips["merge"] == noise["merge"]
    assert skips["syntax_error"] >= noise["syntax_error"]
    assert skips["undecodable"] >= noise["non_utf8"]
    assert skips["file_too_large"] >= noise["huge_file"]
    assert skips["too_many_files"] >= noise["too_many_files"]
    assert skips["no_python_changes"] >= noise["non_python_fix"]
    assert skips["not_a_fix_message"] > 0
    noise_commits = {s.where for s in result.skips if s.reason in
                     ("syntax_error", "undecodable", "file_too_large", "too_many_files", "merge")}
    for p in result.patterns:
        assert not any(c[:10] in {w.split(":")[0] for w in noise_commits} for c in p.commits)
        assert "legacy" not in " ".join(p.files) and "generated/" not in " ".join(p.files)


def test_region_parsing_gives_the_same_patterns_as_whole_files(repos):
    for path in repos.values():
        fast = mine(str(path))
        slow = mine(str(path), whole_files=True)
        assert sorted(p.id for p in fast.patterns) == sorted(p.id for p in slow.patterns)
        key = lambda e: (e.commit, e.file, e.line, e.before.key, e.after.key)  # noqa: E731
        assert sorted(map(key, fast.edits)) == sorted(map(key, slow.edits))


def test_parallel_mining_gives_the_same_result(repos):
    one = mine(str(repos["inventory"]), jobs=1)
    two = mine(str(repos["inventory"]), jobs=2)
    assert [p.id for p in one.patterns] == [p.id for p in two.patterns]


def test_cli_writes_pattern_file_and_lists_and_shows_it(repos, tmp_path, capsys):
    out = tmp_path / "p.json"
    before = tree_snapshot(repos["geometry"])
    assert main(["mine", str(repos["geometry"]), "--out", str(out), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fix_commits"] > 0 and summary["patterns"]
    assert tree_snapshot(repos["geometry"]) == before, "mining must not modify the repository"
    pats = store.load(out)
    assert {p.id for p in pats} == {p["id"] for p in summary["patterns"]}
    assert main(["patterns", "list", "--patterns", str(out)]) == 0
    listing = capsys.readouterr().out
    assert "->" in listing and f"{len(pats)} patterns" in listing
    assert main(["patterns", "show", pats[0].id[:8], "--patterns", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "before" in shown and "after" in shown and "example 1" in shown


def _git(*args, cwd=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize("setup,message", [
    ("missing", "no such directory"),
    ("plain", "not a git repository"),
    ("empty", "repository has no commits"),
])
def test_bad_repositories_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, setup, message):
    repo = tmp_path / "r"
    if setup != "missing":
        repo.mkdir()
        if setup == "empty":
            _git("init", "-q", str(repo))
    out = tmp_path / "out.json"
    assert main(["mine", str(repo), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def test_unknown_revision_range_exits_2(repos, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["mine", str(repos["textkit"]), "--rev-range", "nope..HEAD", "--out", str(out)]) == 2
    assert "unknown revision 'nope'" in capsys.readouterr().err
    assert not out.exists()


def test_rev_range_forms(repos):
    path = str(repos["textkit"])

    def count(spec: str) -> int:
        out = subprocess.run(["git", "rev-list", "--count", spec], cwd=path, capture_output=True, text=True)
        return int(out.stdout)

    full = mine(path)
    assert full.commits_seen == count("HEAD") == 41
    assert mine(path, "HEAD").commits_seen == full.commits_seen
    assert mine(path, "HEAD~10..HEAD").commits_seen == count("HEAD~10..HEAD") < full.commits_seen
    assert mine(path, "HEAD~10").commits_seen == count("HEAD~10")


def test_bare_repository_is_mined_like_any_other(repos, tmp_path):
    bare = tmp_path / "bare.git"
    _git("clone", "-q", "--bare", str(repos["geometry"]), str(bare))
    a, b = mine(str(repos["geometry"])), mine(str(bare))
    assert [p.id for p in a.patterns] == [p.id for p in b.patterns]


def test_shallow_clone_is_mined_as_far_as_it_goes_with_a_warning(repos, tmp_path, capsys):
    shallow = tmp_path / "shallow"
    _git("clone", "-q", "--depth", "15", f"file://{repos['inventory']}", str(shallow))
    result = mine(str(shallow))
    assert result.warnings and "shallow" in result.warnings[0]
    have = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=shallow, capture_output=True, text=True)
    assert result.commits_seen == int(have.stdout) < 59
    assert result.skip_counts()["root_commit"] >= 1  # the shallow boundary has no parent to diff against
    assert main(["mine", str(shallow)]) == 0
    assert "shallow" in capsys.readouterr().err


def test_cli_entry_point_runs_as_a_module(repos):
    proc = subprocess.run([sys.executable, "-m", "repairbot.cli", "mine", str(repos["textkit"]), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["commits"] == 41
