"""A misspelt word in a message, spelt as the file spells it elsewhere.

Many single-statement fix commits only correct a message: "An error occured" -> "occurred",
"update juputer" -> "jupyter". No pattern writes new text, but a typo is usually one edit away
from a word the same file writes correctly in a name, a comment or another message. A word of a
message on the flagged statement that occurs nowhere else in the file is replaced by the file's
words at Damerau-Levenshtein distance 1 (a letter added, dropped, changed or two swapped), the
ones the file writes most often first. Only natural-language text counts: a one-line string
with a space in it, and lower-case or capitalised words of four letters or more, never a
format field or an escape. On the development set (842 fixes) it proposed 142 rewrites on 51
flagged lines, and 6 were the human fix; an English dictionary found 7 others, at the price of
a 72 ms load per call, so it is not used.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections import Counter
from collections.abc import Iterator

from rapidfuzz.distance import DamerauLevenshtein

from repairbot.matching.analogy import Splice, line_starts, span_tokens, window
from repairbot.matching.match import Target

MAX_CORRECTIONS = 2  # per misspelt word
MIN_LENGTH = 4

_WORD = re.compile(r"[A-Za-z]+")
# a word of a message: not part of a name, a format field (`{name}`, `%(name)s`) or an escape
_MESSAGE_WORD = re.compile(r"(?<![\w%{\\])(?<!%\()[A-Za-z][a-z]{3,}(?![\w}])")  # MIN_LENGTH letters
_PREFIX = re.compile(r"[rRbBuUfF]*")


def word_counts(target: Target) -> Counter[str]:
    """How often the file writes each word (lower case; names split at `_` and digits)."""
    got = target.__dict__.get("_word_counts")
    if got is None:
        got = target.__dict__["_word_counts"] = Counter(w.lower() for w in _WORD.findall(target.source))
    return got


def corrections(word: str, counts: Counter[str]) -> list[str]:
    """The file's words one edit from `word` (lower case), most written first."""
    near = [v for v, n in counts.items()
            if abs(len(v) - len(word)) <= 1 and len(v) >= MIN_LENGTH and v != word
            and DamerauLevenshtein.distance(word, v, score_cutoff=1) == 1]
    near.sort(key=lambda v: (-counts[v], v))
    return near[:MAX_CORRECTIONS]


def message_spelling(target: Target, lines: set[int] | None) -> Iterator[Splice]:
    if lines is None:  # a whole (small) file: every statement
        lines = {s.lineno for s in ast.walk(target.file_ast()) if isinstance(s, ast.stmt)}
    starts = line_starts(target)
    for line in sorted(lines):
        toks = window(target, line)
        span = span_tokens(target, toks, line)
        if span is None:
            continue
        counts: Counter[str] | None = None
        for k in range(*span):
            text = toks.text[k]
            body = text[len(_PREFIX.match(text).group()):]  # type: ignore[union-attr]
            if body[:1] not in ("'", '"') or body[:3] in ("'''", '"""') or " " not in body:
                continue
            for m in _MESSAGE_WORD.finditer(text):
                word = m.group().lower()
                counts = counts if counts is not None else word_counts(target)
                if counts[word] > 1:
                    continue  # the file writes it elsewhere: not a typo it would repeat
                start, end = toks.start[k] + m.start(), toks.start[k] + m.end()
                first = bisect.bisect_right(starts, start)
                for v in corrections(word, counts):
                    new = v.capitalize() if m.group()[0].isupper() else v
                    yield Splice(start, end, new, first, first, round(0.5 + 0.5 * min(counts[v], 4) / 4, 6))
