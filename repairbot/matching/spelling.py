"""A misspelt word in a message, spelt as the file, or else Python's standard library, spells it.

Many single-statement fix commits only correct a message: "An error occured" -> "occurred",
"update juputer" -> "jupyter". No pattern writes new text, but a typo is one edit away from a
word the same file writes correctly (in a name, a comment, another message) or from a word of
English as programmers write it. A word of a message on the flagged statement that the file
writes nowhere else is replaced by the words at Damerau-Levenshtein distance 1 (a letter added,
dropped, changed, or two swapped): the file's own first, most written first, then, if the word is
not one the standard library writes (`words.txt`, built by scripts/build_words.py), the standard
library's. An English word is only replaced by one the file writes more than once ("parenthesis"
-> "parentheses" beside `use_parentheses`). Only natural-language text counts: a string with a space
in it (in triple quotes too, unless it is a docstring), and lower-case or capitalised words of
four letters or more, never a format field or an escape; the flagged line's words come first,
and an English word's corrections weigh half. A word written twice in a row ("mark the the
test") loses its second copy. A statement with several words English does not know also gets
one candidate correcting them all (each its first correction), as people fix a message's typos
in one go. On the development set (842 fixes) its candidates among the first 50 were 67, and 12
of them the human fix (before the doubled words: 11 of 65; with session 10's triple quotes and
joint corrections, 16 of 146); the file's words alone gave 5 of 75, and an English dictionary
(`pyspellchecker`) 7 of 269 proposals, at the price of a 72 ms load per call.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from repairbot.matching.analogy import Splice, line_starts, span_tokens, window
from repairbot.matching.match import Target

MAX_CORRECTIONS = 2  # per misspelt word
MIN_LENGTH = 4

_WORD = re.compile(r"[A-Za-z]+")
# a word of a message: not part of a name, a format field (`{name}`, `%(name)s`) or an escape
_MESSAGE_WORD = re.compile(r"(?<![\w%{\\])(?<!%\()[A-Za-z][a-z]{3,}(?![\w}])")  # MIN_LENGTH letters
_PREFIX = re.compile(r"[rRbBuUfF]*")
_DOUBLED = re.compile(r"(?<![\w%{\\])([A-Za-z]+) (?i:\1)(?![\w}])")
_OFTEN_DOUBLED = frozenset({"that", "had"})  # "that that", "had had" are English


def word_counts(target: Target) -> Counter[str]:
    """How often the file writes each word (lower case; names split at `_` and digits)."""
    got = target.__dict__.get("_word_counts")
    if got is None:
        got = target.__dict__["_word_counts"] = Counter(w.lower() for w in _WORD.findall(target.source))
    return got


def known_words() -> dict[str, int]:
    """The words Python's standard library writes (words.txt, scripts/build_words.py) and their
    rank, most written first; read once per process, and only when a message is flagged."""
    global _KNOWN
    if _KNOWN is None:
        text = (Path(__file__).with_name("words.txt")).read_text("utf-8")
        _KNOWN = {w: i for i, w in enumerate(ln for ln in text.splitlines() if ln and not ln.startswith("#"))}
    return _KNOWN


_KNOWN: dict[str, int] | None = None
_BY_LENGTH: dict[int, list[str]] = {}


def _known_of_length(n: int) -> list[str]:
    got = _BY_LENGTH.get(n)
    if got is None:
        got = _BY_LENGTH[n] = [w for w in known_words() if len(w) == n]
    return got


def corrections(word: str, counts: Counter[str]) -> list[tuple[str, float]]:
    """Words one edit from `word` (lower case), with a weight: the file's own words first, most
    written first; then, for a word English does not know, the standard library's, most written
    first. A word English knows ("parenthesis") is corrected only towards a word the file writes
    more than once ("parentheses" in `use_parentheses`)."""
    known = known_words()
    english = word in known
    out: dict[str, float] = {}
    near = [v for v, n in counts.items()
            if abs(len(v) - len(word)) <= 1 and len(v) >= MIN_LENGTH and v != word and (n > 1 or not english)
            and DamerauLevenshtein.distance(word, v, score_cutoff=1) == 1]
    for v in sorted(near, key=lambda v: (-counts[v], v)):
        # an English word is rarely a typo: its corrections weigh half
        out[v] = (0.5 + 0.5 * min(counts[v], 4) / 4) * (0.5 if english else 1.0)
    if not english:
        pool = [w for n in (len(word) - 1, len(word), len(word) + 1) if n >= MIN_LENGTH for w in _known_of_length(n)]
        for v, _, _ in sorted(process.extract(word, pool, scorer=DamerauLevenshtein.distance, score_cutoff=1,
                                              limit=None), key=lambda x: known[x[0]]):
            if v != word and v not in out:
                out[v] = 0.5 * (1 - known[v] / (2 * len(known)))
    return sorted(out.items(), key=lambda kv: -kv[1])[:MAX_CORRECTIONS]


def message_spelling(target: Target, lines: set[int] | None) -> Iterator[Splice]:
    whole = lines is None
    if lines is None:  # a whole (small) file: every statement
        lines = {s.lineno for s in ast.walk(target.file_ast()) if isinstance(s, ast.stmt)}
    starts = line_starts(target)
    done: set[int] = set()  # statements read: several flagged lines may share one
    for line in sorted(lines):
        toks = window(target, line)
        span = span_tokens(target, toks, line)
        if span is None or toks.start[span[0]] in done:
            continue
        done.add(toks.start[span[0]])
        typos: list[Splice] = []  # the best correction of each word English does not know
        for k in range(*span):
            text = toks.text[k]
            body = text[len(_PREFIX.match(text).group()):]  # type: ignore[union-attr]
            if body[:1] not in ("'", '"') or " " not in body:
                continue
            for m in _DOUBLED.finditer(text):  # "the the": the second written once more by mistake
                start, end = toks.start[k] + m.end(1), toks.start[k] + m.end()
                first = bisect.bisect_right(starts, start)
                weight = 0.5 if m.group(1).lower() in _OFTEN_DOUBLED else 1.0
                yield Splice(start, end, "", first, first, weight * (1.0 if whole or first in lines else 0.5))
            for m in _MESSAGE_WORD.finditer(text):
                word = m.group().lower()
                counts = word_counts(target)
                if counts[word] > 1:
                    continue  # the file writes it elsewhere: not a typo it would repeat
                start, end = toks.start[k] + m.start(), toks.start[k] + m.end()
                first = bisect.bisect_right(starts, start)
                # the flagged line's own words first: a long dict of messages has many others
                here = 1.0 if whole or first in lines else 0.5
                for i, (v, weight) in enumerate(corrections(word, counts)):
                    new = v.capitalize() if m.group()[0].isupper() else v
                    yield Splice(start, end, new, first, first, round(weight * here, 6))
                    if i == 0 and word not in known_words():
                        typos.append(Splice(start, end, new, first, first, weight * here))
        if len(typos) > 1:  # a message with several typos: people correct them in one go
            yield _together(target.source, typos)


def _together(source: str, typos: list[Splice]) -> Splice:
    """One splice making every correction, the text between them kept; it weighs their mean."""
    parts: list[str] = []
    for a, b in zip(typos, typos[1:]):
        parts += [a.text, source[a.end:b.start]]
    parts.append(typos[-1].text)
    weight = sum(t.weight for t in typos) / len(typos)
    return Splice(typos[0].start, typos[-1].end, "".join(parts), typos[0].line, typos[-1].end_line, round(weight, 6))
