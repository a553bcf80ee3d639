"""The message-spelling operator (repairbot/matching/spelling.py): a typo in a message, spelt as
the file spells the word elsewhere."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from repairbot.matching.apply import Applied, rewrites
from repairbot.matching.match import Target, compile_pattern
from repairbot.matching.spelling import known_words
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
    assert got == [code.replace("occured", "occurred")]  # "error" is English: "errors" is no fix


def test_a_word_english_does_not_know_takes_the_standard_librarys_spelling():
    code = "def f(value):\n    assert '/' not in value, 'May not contain path seperators'\n"
    assert "seperators" not in known_words() and "separators" in known_words()
    assert _sources(code, 2)[0] == code.replace("seperators", "separators")


def test_an_english_word_is_corrected_only_towards_a_spelling_the_file_repeats():
    code = ("def f(parser, use_parentheses):\n"
            "    parser.add_argument('--up', dest='use_parentheses',\n"
            "                        help='Use parenthesis for line continuation')\n")
    assert "parenthesis" in known_words()
    assert _sources(code, 2) == [code.replace("Use parenthesis", "Use parentheses")]
    once = code.replace(", use_parentheses", "")
    assert _sources(once, 2) == []  # the file writes "parentheses" once: English wins


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
        # a docstring, and a bare string statement in triple quotes
        'def f():\n    """Read the configuation."""\n    configuration = 1\n',
        "def f():\n    configuration = 1\n    '''a configuation b'''\n",
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
    code = f"# {word}, {word}\ndef f():\n    raise OSError('the {typo} went wrong')\n"
    got = _sources(code, 3)
    assert code.replace(f"the {typo}", f"the {word}") in got
    for g in got:
        compile(g, "<rewrite>", "exec")  # every rewrite parses


def test_the_shipped_words_are_what_the_build_script_reads_from_the_standard_library():
    """words.txt is data derived from the standard library (scripts/build_words.py); another
    patch release of Python may count a few words differently, so nearly all must agree."""
    import sys
    import sysconfig
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import build_words

    shipped = list(known_words())
    assert len(shipped) == len(set(shipped)) > 10_000
    assert all(w.isalpha() and w.islower() and len(w) >= 3 for w in shipped)
    counts = build_words.words(Path(sysconfig.get_paths()["stdlib"]))
    rebuilt = {w for w, n in counts.items() if n >= build_words.MIN_COUNT}
    assert len(rebuilt & set(shipped)) >= 0.95 * len(shipped)
    assert {"occurred", "separators", "repository", "unexpected"} <= set(shipped)
    assert not {"occured", "seperators", "respository", "unxpected"} & set(shipped)


def test_the_flagged_lines_words_come_before_the_rest_of_the_statement():
    code = ("HELP = {\n"
            "    'a': 'no seperators here',\n"
            "    'b': 'an error occured here',\n"
            "}\n")
    assert _sources(code, 3)[0] == code.replace("occured", "occurred")
    assert _sources(code, 2)[0] == code.replace("seperators", "separators")
    # the other line's typo still comes after it, alone and with this one
    assert _sources(code, 2)[1:] == [code.replace("seperators", "separators").replace("occured", "occurred"),
                                     code.replace("occured", "occurred")]


def test_a_word_written_twice_in_a_row_loses_its_second_copy():
    code = 'def f(p):\n    p.add("--strict", help="mark the the test as failed")\n'
    assert _sources(code, 2) == [code.replace("the the", "the")]
    # "that that" is English: still offered, below a plain typo's weight; names and fields are not words
    code = 'def f(p):\n    p.add(help="so that that works")\n'
    got = [r for r in rewrites(Target.parse(code), [OP], {2}) if isinstance(r, Applied)]
    assert [r.weight for r in got] == [0.5]
    assert _sources('x = "%(name)s %(name)s"\n', 1) == []


def test_a_text_in_triple_quotes_that_is_not_a_docstring_is_read_too():
    # help texts and message templates (session 10: 3 of the 842 development fixes)
    code = ('HELP = """\\\nUsage: serve [OPTIONS]\n\n    --threads=INT\n'
            '        Number of threads that proces requests.\n"""\n')
    assert "proces" not in known_words()
    assert _sources(code, 1)[0] == code.replace("proces ", "process ")


def test_several_typos_in_one_message_are_also_corrected_together():
    code = "def f():\n    raise ValueError('the seperator is not suported here')\n"
    both = code.replace("seperator", "separator").replace("suported", "supported")
    assert set(_sources(code, 2)) == {both, code.replace("seperator", "separator"),
                                      code.replace("suported", "supported")}
    # a word English knows is corrected alone, never as part of the joint correction
    one = ("def f(use_parentheses):\n    parentheses = use_parentheses\n"
           "    raise ValueError('a seperator in the parenthesis')\n")
    assert "parenthesis" in known_words()
    got = _sources(one, 3)
    assert one.replace("parenthesis'", "parentheses'") in got and one.replace("seperator", "separator") in got
    assert all("separator" not in s or "parentheses'" not in s for s in got)
