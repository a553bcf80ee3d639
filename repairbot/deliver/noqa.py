"""`# noqa` comments, as flake8 and ruff read them, for `repairbot check`.

A bare `# noqa` on any line of a finding silences it; `# noqa: CODE, ...` silences it when a
code names the pattern: its id (or its first 6+ characters), its category, `repairbot`, or a
linter code the pattern is equivalent to (`Pattern.codes`: `== None` is pycodestyle's E711, so
a line a project already marked `# noqa: E711` is not reported again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[\w-]+(?:[,\s]+[\w-]+)*))?", re.IGNORECASE)


def directives(lines: Sequence[str]) -> dict[int, frozenset[str] | None]:
    """Line number -> the codes its `# noqa` names (upper case), or None for a bare `# noqa`."""
    out: dict[int, frozenset[str] | None] = {}
    for i, text in enumerate(lines, start=1):
        if "noqa" not in text.lower() or "#" not in text:
            continue
        m = _NOQA.search(text)
        if m:
            codes = m["codes"]
            out[i] = frozenset(c.upper() for c in re.split(r"[,\s]+", codes) if c) if codes else None
    return out


def silenced(first: int, last: int, names: Sequence[str], marks: dict[int, frozenset[str] | None]) -> bool:
    """Whether a `# noqa` on lines first..last applies to a pattern known by `names`."""
    wanted = {n.upper() for n in names}
    for line in range(first, last + 1):
        if line not in marks:
            continue
        codes = marks[line]
        if codes is None or codes & wanted or any(len(c) >= 6 and n.startswith(c) for c in codes for n in wanted):
            return True
    return False
