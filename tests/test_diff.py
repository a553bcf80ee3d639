"""Candidate diffs: difflib runs on the changed window only; `git apply` must still accept them."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from repairbot.matching.candidates import unified_diff

LINES = st.lists(st.sampled_from(["\n", "x = 1\n", "    pass\n", "def f():\n", "# c\n", "return y\n"]),
                 min_size=0, max_size=60)


@settings(max_examples=60, deadline=None)
@given(LINES, st.integers(0, 60), st.integers(0, 4), LINES.map(lambda xs: xs[:3]), st.booleans())
# difflib placed the new `x = 1` after the repeated ones, at the window's cut: no context there
@example(["\n", "\n", "x = 1\n", "x = 1\n", "x = 1\n", "\n"], 0, 2, ["x = 1\n"], False)
def test_windowed_diff_applies_with_git_and_gives_the_new_file(lines, at, cut, insert, strip_end):
    old = "".join(lines)
    at = min(at, len(lines))
    new_lines = lines[:at] + insert + lines[at + cut:]
    new = "".join(new_lines)
    if strip_end:
        new = new.rstrip("\n")
    diff = unified_diff("m.py", old, new)
    assert (diff == "") == (old == new)
    if not diff:
        return
    header = [ln for ln in diff.splitlines() if ln.startswith("@@")]
    assert header and all(ln.endswith("@@") for ln in header)
    with tempfile.TemporaryDirectory() as d:
        Path(d, "m.py").write_text(old)
        r = subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=d,
                           capture_output=True)
        assert r.returncode == 0, (r.stderr, diff)
        assert Path(d, "m.py").read_text() == new


def test_hunk_line_numbers_are_file_line_numbers():
    old = "".join(f"line{i}\n" for i in range(1, 101))
    new = old.replace("line50\n", "LINE50\n")
    diff = unified_diff("m.py", old, new)
    assert "@@ -47,7 +47,7 @@" in diff and "-line50\n+LINE50\n" in diff


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab\n", max_size=30), st.text(alphabet="ab\n", max_size=30),
       st.text(alphabet="ab\n\r", max_size=6))
def test_same_ends_counts_lines_like_the_line_by_line_comparison(a: str, b: str, mid: str) -> None:
    from repairbot.matching.candidates import _same_ends, same_ends

    for old, new in ((a, b), (a + mid + b, a + b), (a + b, a + mid + b), (a, a)):
        assert same_ends(old, new) == _same_ends(old.splitlines(keepends=True), new.splitlines(keepends=True))
