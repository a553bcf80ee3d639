"""The message-spelling operator (repairbot/matching/spelling.py): a typo in a message, spelt as
the file spells the word elsewhere."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.pattern.builtin import builtin_patterns

OP = next(compile_pattern(p) for p in builtin_patterns() if p.guard == "message_spelling")


def _sources(code: str, line: int) -> list[str]:
    out = [r for r in rewrites(Target.parse(code), [OP], {line}) if isinstance(r, Applied)]
    return [r.new_source for r in sorted(out, key=lambda r: -r.weight)]


def test_a_typo_takes_the_spelling_the_file_writes_most():
    code = ("# the occurred errors, all that occurred\n"
            "def f(x):\n"
            "    raise ValueError('An error occured while reading %s' % x)\n")
    got = _sources(code, 3)
    assert got[0] == code.replace("occured", "occurred")
    # "error" is written once too, and "errors" is one edit away: a weaker rewrite of one word
    assert got[1:] == [code.replace("An error", "An errors")]


def test_capitalised_words_stay_capitalised():
    code = "def f(v):\n    # unexpected input\n    raise ValueError(f'Unxpected value: {v!r}')\n"
    assert _sources(code, 3) == [code.replace("Unxpected", "Unexpected")]


def test_names_format_fields_escapes_docstrings_and_known_words_are_left_alone():
    cases = [
        # a word the file writes twice is not a typo
        "def f():\n    log('cannot open the conf file')\n    log('cannot open the conf file')\n    conf = 1\n",
        # a one-word string is a key or a name, not a message
        "def f(d):\n    configuration = 1\n    return d['configuation']\n",
        # format fields and %-keys are code
        "def f(configuation):\n    configuration = 1\n    return f'a {configuation} b' % {}\n",
        "def f(d):\n    configuration = 1\n    return 'a %(configuation)s b' % d\n",
        # a docstring, and a triple-quoted text
        'def f():\n    """Read the configuation."""\n    configuration = 1\n',
        "def f():\n    configuration = 1\n    return '''a configuation b'''\n",
        # an escape glued to the word
        "def f():\n    configuration = 1\n    return 'a \\nconfiguation b'\n",
    ]
    for code in cases:
        lines = range(1, code.count("\n") + 1)
        assert all(_sources(code, ln) == [] for ln in lines), code


def test_only_the_flagged_statement_is_read():
    code = "def f():\n    configuration = 1\n    x = 'no configuation'\n    y = 'no configuation here'\n"
    assert _sources(code, 3) == []  # the word is written twice (lines 3 and 4)
    code = "def f():\n    configuration = 1\n    x = 'no configuation'\n    y = 2\n"
    assert _sources(code, 4) == []
    assert _sources(code, 3) == [code.replace("configuation", "configuration")]


_WORDS = ("configuration", "repository", "separators", "occurred", "unexpected", "branch")


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(_WORDS), st.integers(0, 200), st.sampled_from(["drop", "swap", "change", "add"]))
def test_any_one_edit_typo_of_a_word_the_file_writes_is_corrected(word: str, at: int, how: str) -> None:
    i = at % (len(word) - 1)
    typo = {"drop": word[:i] + word[i + 1:], "swap": word[:i] + word[i + 1] + word[i] + word[i + 2:],
            "change": word[:i] + ("z" if word[i] != "z" else "q") + word[i + 1:],
            "add": word[:i] + "x" + word[i:]}[how]
    if typo == word or len(typo) < 4:
        return
    code = f"# {word}\ndef f():\n    raise OSError('the {typo} went wrong')\n"
    got = _sources(code, 3)
    assert code.replace(f"the {typo}", f"the {word}") in got
    for g in got:
        compile(g, "<rewrite>", "exec")  # every rewrite parses
