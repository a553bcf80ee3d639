"""Rebuild repairbot/matching/words.txt: the words Python's own standard library writes.

The message-spelling operator (repairbot/matching/spelling.py) needs to know which words of a
message are English as programmers write it, without a dictionary dependency that costs 70 ms to
load. The standard library's sources (code, comments, docstrings, messages) are such a corpus, on
every machine that runs Python: a word (letters only, three or more, lower-cased) written at least
MIN_COUNT times there is known. The file lists them most written first, with the Python version
they came from on its first line; the same Python gives the same file.

    python scripts/build_words.py > repairbot/matching/words.txt
"""

from __future__ import annotations

import re
import sys
import sysconfig
from collections import Counter
from pathlib import Path

MIN_COUNT = 3
_WORD = re.compile(r"[A-Za-z]+")


def words(stdlib: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(stdlib.rglob("*.py")):
        parts = set(path.relative_to(stdlib).parts)
        if parts & {"site-packages", "dist-packages", "test", "tests", "idlelib"}:
            continue  # installed packages are not the standard library; tests misspell on purpose
        try:
            text = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        counts.update(w.lower() for w in _WORD.findall(text) if len(w) >= 3)
    return counts


def main() -> int:
    counts = words(Path(sysconfig.get_paths()["stdlib"]))
    known = sorted((w for w, n in counts.items() if n >= MIN_COUNT), key=lambda w: (-counts[w], w))
    print(f"# words of the Python {sys.version_info.major}.{sys.version_info.minor} standard library, "
          f"written {MIN_COUNT}+ times, most first (scripts/build_words.py)")
    print("\n".join(known))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
