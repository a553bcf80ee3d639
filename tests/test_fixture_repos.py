"""The fixture repositories built by fixtures/repos/build.py are what their metadata says.

The history checks read the repositories back with plain git and classify every commit from
its diff alone, independently of the specs that generated it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "repos"))

import build  # noqa: E402

FIX_MESSAGE = re.compile(r"\b(fix(e[sd])?|bug(fix)?|closes|handles?)\b|#\d+", re.IGNORECASE)

# One-line fix shapes: (regex on the old line, replacement) -> the new line, for one match.
ONE_LINE_SHAPES: dict[str, tuple[str, str]] = {
    "lt_to_le": (r" < ", " <= "),
    "range_off_by_one": (r"range\((.+?) - 1\)", r"range(\1)"),
    "slice_off_by_one": (r"\[:(.+?) - 1\]", r"[:\1]"),
    "dict_get_default0": (r"(?<=[\w)\]])\[([^\[\]:]+)\]", r".get(\1, 0)"),
    "dict_get_plain": (r"(?<=[\w)\]])\[([^\[\]:]+)\]", r".get(\1)"),
    "open_encoding": (r"\bopen\(([^()]*)\)", r'open(\1, encoding="utf-8")'),
    "json_sort_keys": (r"\bjson\.dumps\(([^()]*)\)", r"json.dumps(\1, sort_keys=True)"),
    "attr_colour": (r"\.colour\b", ".color"),
    "warn_to_warning": (r"\b(logger|log)\.warn\(", r"\1.warning("),
    "except_tuple": (r"^except ValueError:$", "except (ValueError, TypeError):"),
    "eq_none_is": (r" == None\b", " is None"),
    "ne_none_is_not": (r" != None\b", " is not None"),
}
BRIEF_COUNTS_FIRST_REPO = {  # sub-variant -> allowed counts in the first repository
    "none_guard": {3},
    "lt_to_le": {3},
    "dict_get_default0": {3},
    "dict_get_plain": {2, 3},
    "open_encoding": {3},
    "json_sort_keys": {2, 3},
    "attr_colour": {3},
    "warn_to_warning": {2, 3},
    "except_tuple": {3},
    "eq_none_is": {2, 3},
    "ne_none_is_not": {2, 3},
    "missing_return": {3},
}


# ---------------------------------------------------------------------------- helpers


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout.decode(
        "utf-8", "replace"
    )


def git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


@dataclass
class CommitInfo:
    sha: str
    parents: list[str]
    subject: str
    numstat: list[tuple[str, str, str]] = field(default_factory=list)  # (added, deleted, path)
    hunks: dict[str, list[list[str]]] = field(default_factory=dict)  # path -> hunks -> lines

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def paths(self) -> list[str]:
        return [path for _, _, path in self.numstat]

    @property
    def py_paths(self) -> list[str]:
        return [p for p in self.paths if p.endswith(".py")]


def read_history(repo: Path) -> list[CommitInfo]:
    """Every commit reachable from HEAD, oldest first, with its file stats and hunks."""
    fmt = "--format=%x00%H %P%x1f%s"
    commits: dict[str, CommitInfo] = {}
    for record in git(repo, "log", "--reverse", "--topo-order", "--numstat", fmt).split("\0")[1:]:
        header, _, body = record.partition("\n")
        ids, subject = header.split("\x1f")
        sha, *parents = ids.split()
        info = commits[sha] = CommitInfo(sha, parents, subject)
        for line in body.splitlines():
            if line.strip():
                added, deleted, path = line.split("\t")
                info.numstat.append((added, deleted, path))
    for record in git(repo, "log", "-p", "-U3", "--no-merges", fmt).split("\0")[1:]:
        header, _, body = record.partition("\n")
        info = commits[header.split()[0]]
        path, hunk = None, None
        for line in body.splitlines():
            if line.startswith("diff --git "):
                path, hunk = line.split(" b/", 1)[1], None
            elif line.startswith("@@") and path is not None:
                hunk = []
                info.hunks.setdefault(path, []).append(hunk)
            elif hunk is not None and line[:1] in (" ", "-", "+"):
                hunk.append(line)
    return list(commits.values())


def _one_line_shape(old: str, new: str) -> str | None:
    for kind, (pattern, replacement) in ONE_LINE_SHAPES.items():
        for m in re.finditer(pattern, old):
            if old[: m.start()] + m.expand(replacement) + old[m.end() :] == new:
                return kind
    return None


def classify_hunk(lines: list[str]) -> str | None:
    """The fix shape of a single diff hunk, or None."""
    removed = [line[1:].strip() for line in lines if line[0] == "-"]
    added = [line[1:].strip() for line in lines if line[0] == "+"]
    if len(removed) == 1 and len(added) == 1:
        return _one_line_shape(removed[0], added[0])
    if removed:
        return None
    first = next(i for i, line in enumerate(lines) if line[0] == "+")
    before = lines[first - 1][1:].strip() if first else ""
    after = lines[first + len(added)][1:].strip() if first + len(added) < len(lines) else ""
    guard = re.fullmatch(r"if (\w+) is None:", added[0]) if len(added) == 2 else None
    if guard and added[1] == "return None" and re.search(rf"\b{guard[1]}\.\w+", after):
        return "none_guard"
    returned = re.fullmatch(r"return (\w+)", added[0]) if len(added) == 1 else None
    if returned and re.match(rf"{returned[1]} = ", before):
        return "missing_return"
    return None


def fix_shape(commit: CommitInfo) -> str | None:
    """The shape of a commit that changes one hunk of one non-test Python module."""
    code = {p: h for p, h in commit.hunks.items() if p.endswith(".py") and not p.startswith("tests/")}
    if commit.is_merge or len(code) != 1:
        return None
    (hunks,) = code.values()
    return classify_hunk(hunks[0]) if len(hunks) == 1 else None


def adds_test(commit: CommitInfo) -> bool:
    return any(
        line.startswith("+def test_")
        for path, hunks in commit.hunks.items()
        if path.startswith("tests/")
        for hunk in hunks
        for line in hunk
    )


def _source(repo: Path, rev: str, path: str) -> bytes | None:
    try:
        return git_bytes(repo, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None


def _unparsable(source: bytes | None) -> bool:
    try:
        compile(source.decode("utf-8"), "<fixture>", "exec")  # type: ignore[union-attr]
    except SyntaxError:
        return True
    except (AttributeError, UnicodeDecodeError):
        return False
    return False


def noise_kinds(repo: Path, commit: CommitInfo) -> list[str]:
    """The kinds of noise a commit is, judged from its content."""
    if commit.is_merge:
        return ["merge"]
    kinds = []
    if any(added == "-" and deleted == "-" for added, deleted, _ in commit.numstat):
        kinds.append("binary")
    if not FIX_MESSAGE.search(commit.subject):
        return kinds
    py = commit.py_paths
    parent = commit.parents[0] if commit.parents else None
    if not py:
        kinds.append("non_python_fix")
    elif len(py) >= 300:
        kinds.append("too_many_files")
    else:
        after = {p: _source(repo, commit.sha, p) for p in py}
        if any(data is not None and len(data) > 2_000_000 for data in after.values()):
            kinds.append("huge_file")
        if any(data is not None and not _is_utf8(data) for data in after.values()):
            kinds.append("non_utf8")
        if parent and any(_unparsable(after[p]) and _unparsable(_source(repo, parent, p)) for p in py):
            kinds.append("syntax_error")
    return kinds


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def run_pytest(repo: Path) -> tuple[int, list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, re.MULTILINE)
    return proc.returncode, failed, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build.build_all(tmp_path_factory.mktemp("fixture-repos"))


@pytest.fixture(scope="session")
def histories(repos: dict[str, Path]) -> dict[str, list[CommitInfo]]:
    return {name: read_history(path) for name, path in repos.items()}


# ------------------------------------------------------------------------------ tests


def test_imported_the_fixture_builder() -> None:
    assert Path(build.__file__).resolve() == ROOT / "fixtures" / "repos" / "build.py"
    assert len(build.REPOS) == 3 and build.REPOS[0] == "inventory"
    assert set(build.EXPECTED_FIXES) == set(build.NOISE) == set(build.CHECKED_IN_BUGS) == set(build.REPOS)


def test_building_twice_gives_identical_commits(repos: dict[str, Path], tmp_path: Path) -> None:
    again = build.build_all(tmp_path)
    for name in build.REPOS:
        first = git(repos[name], "rev-list", "--all")
        second = git(again[name], "rev-list", "--all")
        assert first == second, name
        assert git(repos[name], "rev-parse", "HEAD") == git(again[name], "rev-parse", "HEAD")


def test_rebuild_replaces_target(tmp_path: Path) -> None:
    dest = tmp_path / "textkit"
    dest.mkdir()
    (dest / "stale.txt").write_text("left over")
    build.build_repo("textkit", dest)
    assert not (dest / "stale.txt").exists()
    assert git(dest, "status", "--porcelain") == ""


def test_ensure_built_skips_when_stamp_matches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = build.ensure_built(tmp_path)
    assert set(paths) == set(build.REPOS)
    heads = {name: git(path, "rev-parse", "HEAD") for name, path in paths.items()}

    def no_rebuild(out: Path) -> dict[str, Path]:
        raise AssertionError("rebuilt although the stamp matched")

    monkeypatch.setattr(build, "build_all", no_rebuild)
    assert build.ensure_built(tmp_path) == paths
    (tmp_path / build.STAMP_FILE).write_text("stale\n")
    monkeypatch.undo()
    build.ensure_built(tmp_path)
    assert {name: git(path, "rev-parse", "HEAD") for name, path in paths.items()} == heads


def test_command_line(tmp_path: Path) -> None:
    script = ROOT / "fixtures" / "repos" / "build.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "geometry"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(proc.stdout.splitlines()) == 1 and proc.stdout.startswith("geometry: ")
    assert (tmp_path / "geometry" / ".git").is_dir()
    assert not (tmp_path / "inventory").exists()


@pytest.mark.parametrize("name", build.REPOS)
def test_history_shape(name: str, repos: dict[str, Path], histories: dict[str, list[CommitInfo]]) -> None:
    history = histories[name]
    assert 30 <= len(history) <= 60
    assert len({git(repos[name], "log", "-1", "--format=%an", c.sha) for c in history[:5]}) >= 2
    merges = [c for c in history if c.is_merge]
    assert len(merges) == build.NOISE[name]["merge"] >= 1
    for merge in merges:
        branch_only = git(repos[name], "rev-list", f"{merge.parents[0]}..{merge.parents[1]}").split()
        assert 1 <= len(branch_only) <= 2
        assert any(fix_shape(c) for c in history if c.sha in branch_only), "the merged branch has a fix"
    assert git(repos[name], "status", "--porcelain") == ""


@pytest.mark.parametrize("name", build.REPOS)
def test_expected_fixes_match_history(name: str, histories: dict[str, list[CommitInfo]]) -> None:
    fixes = [(c, fix_shape(c)) for c in histories[name]]
    fixes = [(c, shape) for c, shape in fixes if shape]
    assert dict(Counter(shape for _, shape in fixes)) == build.EXPECTED_FIXES[name]
    for commit, _ in fixes:
        assert FIX_MESSAGE.search(commit.subject), commit.subject
    with_tests = sum(adds_test(c) for c, _ in fixes)
    assert 0.4 <= with_tests / len(fixes) <= 0.7  # about half come with a test


@pytest.mark.parametrize("name", build.REPOS)
def test_fix_counts_cover_every_kind(name: str) -> None:
    expected = build.EXPECTED_FIXES[name]
    per_kind = Counter({build.KIND_OF[sub]: 0 for sub in expected})
    for sub, count in expected.items():
        per_kind[build.KIND_OF[sub]] += count
    minimum = 3 if name == build.REPOS[0] else 2
    assert {kind: per_kind[kind] >= minimum for kind in build.KINDS} == dict.fromkeys(build.KINDS, True)
    if name == build.REPOS[0]:
        for sub, allowed in BRIEF_COUNTS_FIRST_REPO.items():
            assert expected.get(sub) in allowed, sub


@pytest.mark.parametrize("name", build.REPOS)
def test_noise_matches_history(
    name: str, repos: dict[str, Path], histories: dict[str, list[CommitInfo]]
) -> None:
    found: Counter[str] = Counter()
    for commit in histories[name]:
        kinds = noise_kinds(repos[name], commit)
        found.update(kinds)
        fix_like = bool(FIX_MESSAGE.search(commit.subject))
        if not commit.is_merge and not fix_shape(commit) and set(kinds) <= {"binary"}:
            assert not fix_like, f"non-fix commit with a fix-like message: {commit.subject}"
    assert dict(found) == build.NOISE[name]


def test_first_repo_has_every_noise_kind() -> None:
    expected = {
        "syntax_error",
        "non_utf8",
        "huge_file",
        "too_many_files",
        "binary",
        "non_python_fix",
        "merge",
    }
    assert set(build.NOISE[build.REPOS[0]]) == expected


@pytest.mark.parametrize("name", build.REPOS)
def test_head_fails_only_the_checked_in_test(name: str, repos: dict[str, Path], tmp_path: Path) -> None:
    bug = build.CHECKED_IN_BUGS[name]
    repo = repos[name]
    lines = (repo / str(bug["file"])).read_text("utf-8").split("\n")
    line = lines[int(bug["line"]) - 1]
    assert line.strip() == bug["buggy"]

    code, failed, output = run_pytest(repo)
    assert code == 1 and failed == [bug["test"]], output
    assert re.search(r"\b1 failed, \d+ passed\b", output), output
    assert git(repo, "status", "--porcelain") == "", "running the tests dirtied the tree"

    fixed_repo = tmp_path / name
    shutil.copytree(repo, fixed_repo)
    lines[int(bug["line"]) - 1] = line.replace(str(bug["buggy"]), str(bug["fixed"]))
    (fixed_repo / str(bug["file"])).write_text("\n".join(lines), "utf-8")
    code, failed, output = run_pytest(fixed_repo)
    assert code == 0 and not failed, output


@pytest.mark.parametrize("name", build.REPOS)
def test_checked_in_bug_has_a_learned_shape(name: str, histories: dict[str, list[CommitInfo]]) -> None:
    bug = build.CHECKED_IN_BUGS[name]
    assert _one_line_shape(str(bug["buggy"]), str(bug["fixed"])) == bug["kind"]
    assert build.EXPECTED_FIXES[name].get(str(bug["kind"]), 0) >= 2
    head = histories[name][-1]
    assert not FIX_MESSAGE.search(head.subject) and str(bug["file"]) in head.paths
