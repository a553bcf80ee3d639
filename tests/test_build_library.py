"""scripts/build_library.py on the fixture repositories (no network), and the shipped library's shape."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from repairbot.pattern import store
from repairbot.pattern.kinds import KIND_NAMES, classify

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_library  # noqa: E402

NAMES = ("geometry", "inventory", "textkit")
HELD_OUT = {"tornadoweb/tornado", "benoitc/gunicorn", "PyCQA/pyflakes", "bottlepy/bottle", "httpie/cli",
            "arrow-py/arrow", "more-itertools/more-itertools", "python-humanize/humanize", "jazzband/tablib",
            "sqlfluff/sqlfluff", "pypa/pip"}


def head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def sources(repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("lib") / "sources.txt"
    f.write_text("# test sources\n" + "".join(f"https://example.invalid/fixtures/{n} {head(repos[n])}\n"
                                              for n in NAMES))
    return f


def test_rebuild_is_deterministic_and_filtered(repos: dict[str, Path], sources: Path, tmp_path: Path) -> None:
    mirrors = next(iter(repos.values())).parent  # <tmp>/geometry, <tmp>/inventory, ...
    outs = []
    for i in range(2):
        out = tmp_path / f"lib{i}"
        args = ["--mirrors", str(mirrors), "--sources", str(sources), "--out", str(out), "--jobs", "1",
                "--min-commits", "2", "--cache", str(tmp_path / "cache")]
        assert build_library.main(args) == 0
        outs.append({f.name: f.read_bytes() for f in sorted(out.glob("*.json"))})
    assert outs[0] and outs[0] == outs[1]  # the second run reads the cache: same bytes
    pats = [p for f in (tmp_path / "lib0").glob("*.json") for p in store.load(f)]
    for p in pats:
        assert p.projects >= 2 and p.scores.commits >= 2 and p.scores.rejection <= 0.9
        assert p.category == classify(p)
        assert set(p.commit_repos) <= {f"fixtures/{n}" for n in NAMES}


def test_missing_mirror_is_reported(tmp_path: Path, sources: Path) -> None:
    with pytest.raises(SystemExit, match="no clone of https://example.invalid/fixtures/geometry"):
        build_library.main(["--mirrors", str(tmp_path), "--sources", str(sources), "--out", str(tmp_path / "o")])


def test_range_must_end_at_the_recorded_commit(repos: dict[str, Path], tmp_path: Path) -> None:
    f = tmp_path / "sources.txt"
    f.write_text(f"https://example.invalid/fixtures/textkit {head(repos['textkit'])} HEAD~3..HEAD~1\n")
    with pytest.raises(SystemExit, match="must end at the recorded commit"):
        build_library.main(["--mirrors", str(repos["textkit"].parent), "--sources", str(f),
                            "--out", str(tmp_path / "o")])


def test_shipped_library_matches_its_sources() -> None:
    lib = ROOT / "patterns" / "library"
    files = sorted(lib.glob("*.json"))
    if not files:
        pytest.fail("patterns/library/ is empty: run scripts/build_library.py")
    sources = build_library.read_sources(ROOT / "patterns" / "sources.txt")
    names = {build_library.short_name(url) for url, _, _ in sources}
    assert len(names) >= 20 and not names & HELD_OUT
    assert all(re.fullmatch(r"[0-9a-f]{40}", commit) for _, commit, _ in sources)
    total = 0
    for f in files:
        assert f.stem in KIND_NAMES
        for p in store.load(f):
            total += 1
            assert p.category == f.stem == classify(p)
            assert p.projects >= 2 and p.scores.commits >= 2
            assert len(p.commit_repos) == len(p.commits) and set(p.commit_repos) <= names
            assert all(re.fullmatch(r"[0-9a-f]{40}", c) for c in p.commits)
            assert all(ex.repo in names and ex.commit in p.commits for ex in p.examples)
    assert 50 <= total <= 2000


@pytest.mark.parametrize(("before", "after", "dropped"), [
    ("from collections import Mapping\n", "from collections.abc import Mapping\n", False),  # moved module
    ("import mock\n", "from unittest import mock\n", False),
    ("from a import x, y\n", "from a import y, x\n", True),  # rearranged
    ("from a import x\n", "from a import x, z\n", True),  # another name from the same module
    ("import os as o\n", "import os\n", True),
    ("try:\n    import a\nexcept ImportError:\n    a = None\nx = 1\n", "x = 1\n", True),  # fallback removed
    ("try:\n    from a import b\nexcept ImportError:\n    from c import b\n", "from a import b\n", True),
    ("import tomli\n", "if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\n", False),
    ("x = 'a message'\n", "x = 'a better message'\n", True),  # text, not code
    ("x = f(a)\n", "x = f(a, b)\n", False),
])
def test_not_a_code_fix_drops_text_and_rearranged_imports_only(before, after, dropped):
    from repairbot.types import EditKind, Pattern, Scores

    p = Pattern("p", EditKind.STMTS, before, after, (), None, False, Scores(2, 2, 2, 1.0), ())
    assert build_library.not_a_code_fix(p) is dropped


def test_operator_bench_runs_on_the_fixture_histories(repos: dict[str, Path], sources: Path, capsys) -> None:
    """benchmarks/operator_bench.py on the fixtures: samples come from the collected edits, and
    the figures it prints are consistent (found <= in the file <= sample)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import operator_bench

    mirrors = next(iter(repos.values())).parent
    assert operator_bench.main(["--mirrors", str(mirrors), "--sources", str(sources), "--jobs", "1",
                                "--n", "50"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"(\d+) fixes; human's name at rank 1: (\d+), top 3: (\d+), top 5: (\d+); "
                      r"new name in the parent file at all: (\d+)", out)
    assert len(rows) == 2
    for n, t1, t3, t5, in_file in (map(int, r) for r in rows):
        assert t1 <= t3 <= t5 <= n and t5 <= in_file <= n
    n_attr, first_attr = int(rows[1][0]), int(rows[1][1])
    assert n_attr > 0 and first_attr > 0  # the fixtures' attribute-name fixes, some found
