"""The token-analogy operator (repairbot/matching/analogy.py): the statement as its file writes it."""

from __future__ import annotations

import io
import tokenize as std_tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching import analogy
from repairbot.matching.analogy import NL, file_analogy, tokenize
from repairbot.matching.apply import Applied, Failed, rewrites
from repairbot.matching.candidates import generate, suggest
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns
from repairbot.types import Location

OP = next(compile_pattern(p) for p in builtin_patterns() if p.guard == "file_analogy")


def _sources(code: str, lines: set[int] | None = None) -> list[str]:
    out = [r for r in rewrites(Target.parse(code), [OP], lines) if isinstance(r, Applied)]
    return [r.new_source for r in sorted(out, key=lambda r: -r.weight)]


def _std_tokens(source: str) -> list[str]:
    drop = {std_tokenize.COMMENT, std_tokenize.NL, std_tokenize.NEWLINE, std_tokenize.INDENT,
            std_tokenize.DEDENT, std_tokenize.ENDMARKER}
    return [t.string for t in std_tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in drop]


def test_tokens_are_the_standard_tokenizers_on_the_projects_own_sources():
    files = sorted(Path(__file__).resolve().parents[1].joinpath("repairbot").rglob("*.py"))
    assert len(files) > 20
    for f in files:
        src = f.read_text("utf-8")
        assert [x for x in tokenize(src).text if x != NL] == _std_tokens(src), f


_PIECES = ("x = f(a, b)  # note\n", 'y = r"\\d+" + b\'\\x00\' + f"{x!r}"\n', "if a[1:] and (b or\n        c):\n    pass\n",
           's = """two\nlines"""\n', "z = 1.5e-3 + 0x1F + 10_000j\n", "w = a ** 2 // 3 @ m\n",
           "def g(*args, **kw) -> None:\n    return ...\n", "t = (\n    1,\n    2,\n)\n", "u = x \\\n    + y\n")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6))
def test_tokens_agree_with_the_standard_tokenizer_and_mark_line_ends_outside_brackets(parts: list[str]) -> None:
    src = "".join(parts)
    toks = tokenize(src)
    assert [x for x in toks.text if x != NL] == _std_tokens(src)
    logical = [t for t in std_tokenize.generate_tokens(io.StringIO(src).readline) if t.type == std_tokenize.NEWLINE]
    assert toks.text.count(NL) == len(logical)  # a line end outside brackets is a logical line's end
    assert all(src[a:b] == x or x == NL for x, a, b in zip(toks.text, toks.start, toks.end))


def test_a_call_in_a_chain_is_dropped_where_the_file_writes_the_chain_without_it():
    code = "root = path.parent\nname = path.resolve().name\n"
    assert _sources(code, {2})[0] == "root = path.parent\nname = path.name\n"


def test_a_returned_call_stops_being_returned_as_the_file_calls_it_elsewhere():
    code = "def close(self):\n    if self.open:\n        return self.raw.close()\n\n" \
           "def reset(self):\n    self.raw.close()\n    self.raw = None\n"
    assert code.replace("return self.raw.close()", "self.raw.close()") in _sources(code, {3})


def test_a_call_gets_the_argument_the_file_passes_at_the_same_place():
    code = "a = load(path, encoding='utf-8')\nb = open(other)\nc = load(path)\n"
    assert _sources(code, {3})[0] == code.replace("c = load(path)", "c = load(path, encoding='utf-8')")


def test_a_header_is_edited_but_never_its_keyword_or_body():
    code = "if isinstance(data, (str, bytes)):\n    pass\nif isinstance(value, str):\n    use(value)\n"
    out = _sources(code, {3})
    assert code.replace("(value, str)", "(value, (str, bytes))") in out
    for new in out:
        assert new.endswith("    use(value)\n") and new.splitlines()[2].startswith("if ")


def test_layout_moves_as_one_space_and_the_edit_keeps_the_files_formatting():
    code = "x = call(a,  # why\n         b=1)\ny = call(a)\n"
    new = _sources(code, {3})[0]
    assert new == "x = call(a,  # why\n         b=1)\ny = call(a, b=1)\n"


def test_nothing_for_a_docstring_a_lone_statement_or_a_file_without_the_context():
    assert _sources('def f():\n    """Doc."""\n    return 1\n', {2}) == []
    assert _sources("import os\nx = 1\n", {2}) == []
    assert _sources("x = compute(a)\n", {1}) == []


def test_a_splice_that_does_not_parse_is_dropped_quietly(tmp_path: Path):
    code = "def f(a: int, b):\n    pass\nf(a, b)\n"  # `f(a: int, b)` balances its brackets, and is no call
    failed = [r for r in rewrites(Target.parse(code), [OP], {3}) if isinstance(r, Failed)]
    assert failed and all(r.quiet and r.reason == "splice does not parse" for r in failed)
    path = tmp_path / "m.py"
    path.write_text(code)
    cset = generate(tmp_path, [Location("m.py", 3, 1.0, ("flagged",))], [OP])
    assert cset.skips == ()  # filtered, not reported as a failure of the user's file
    for c in cset.candidates:
        compile(c.new_source, "m.py", "exec")


def test_the_search_stays_within_a_window_of_the_line_in_a_long_module(tmp_path: Path):
    far = "value = parse(text, strict=True)\n"
    filler = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(400))  # 1,200 lines
    code = far + filler + "other = parse(text)\n"
    path = tmp_path / "m.py"
    path.write_text(code)
    line = code.count("\n")
    assert suggest(path, line, [OP], top=5) == []
    old = analogy.WINDOW
    try:
        analogy.WINDOW = 2000
        got = suggest(path, line, [OP], top=5)
    finally:
        analogy.WINDOW = old
    assert got and got[0].new_source.endswith("other = parse(text, strict=True)\n")


def test_file_analogy_reads_every_statement_of_a_small_file_without_lines():
    target = Target.parse("a = p.parent\nb = p.resolve().parent\n")
    assert any(s.text == "" for s in file_analogy(target, None))


def test_agreement_prefers_the_rewrite_that_writes_what_the_file_writes(tmp_path: Path):
    from repairbot.matching.candidates import agreement
    from repairbot.types import Candidate

    code = "a = items.get(key)\nb = items.get(key)\nc = items[key]\n"
    target = Target.parse(code)

    def cand(new: str) -> Candidate:
        return Candidate("p", "m.py", 3, code, code.replace("c = items[key]", new), "", 1.0, 1.0, "f")

    familiar, strange = agreement(target, cand("c = items.get(key)")), agreement(target, cand("c = items.pop(key)"))
    assert 0.5 < strange < familiar <= 1.5
    assert familiar == 1.5  # every pair it adds (`. get`, `get (`) is in the file


def test_the_rerank_reorders_only_the_head_and_a_top_k_run_equals_a_full_one(tmp_path: Path, monkeypatch):
    from repairbot.matching import candidates

    code = "def f(items, key, n):\n    a = items.get(key)\n    b = items.get(key)\n    return items[key] + n - 1 if n > 0 else None\n"
    path = tmp_path / "m.py"
    path.write_text(code)
    patterns = [compile_pattern(p) for p in builtin_patterns()]
    where = [Location("m.py", 4, 1.0, ("flagged",))]
    full = generate(tmp_path, where, patterns).candidates
    assert len(full) > candidates.RERANK_DEPTH
    for k in (1, 3, 5, 8):
        assert [c.new_source for c in suggest(path, 4, patterns, top=k)] == [c.new_source for c in full[:k]]
    head, tail = full[:candidates.RERANK_DEPTH], full[candidates.RERANK_DEPTH:]
    assert min(c.prior for c in head) > max(c.prior for c in tail)
    monkeypatch.setattr(candidates, "RERANK_DEPTH", 0)  # no rerank: every prior is halved, none reordered
    raw = {c.new_source: c.prior * 2 for c in generate(tmp_path, where, patterns).candidates}
    target = Target.parse(code)
    for c in head:
        assert c.prior == pytest.approx(raw[c.new_source] * candidates.agreement(target, c), abs=2e-6)
    assert [c.prior for c in tail] == [pytest.approx(raw[c.new_source] / 2, abs=2e-6) for c in tail]
    by_raw = sorted(raw, key=lambda s: -raw[s])
    assert {c.new_source for c in head} == set(by_raw[:len(head)])  # the same head, reordered


def test_blanks_at_the_end_of_a_text_are_read_once_not_backtracked_over():
    # `(?:[ \t]+|...)*` before a token that never comes took 2^n steps over n trailing blanks:
    # 33 of them (a diff line, a file saved without its last line end) hung the tokenizer.
    assert tokenize(" " * 40).text == []
    assert tokenize("x = 1  # note\n" + " " * 5000).text == ["x", "=", "1", NL]
    assert tokenize("a = b \\\n   + c  \t\f").text == ["a", "=", "b", "+", "c"]
    code = "path = p.parent\nname = p.resolve().parent\n" + " " * 60
    assert "name = p.parent\n" in _sources(code, {2})[0]
