"""An imported name the file never uses, taken out of its import (pyflakes F401).

Histories are full of `from ._compat import string_types, text_type, PY2` -> without `PY2`: a
refactoring stopped using a name and the import kept it, which linters then flag (and which
fails outright once the imported module stops providing it). The rewrite only drops a name the
rest of the file never spells, not even in a string (`__all__`, a string annotation, a doctest),
so a re-export or a name used where `ast` cannot see it is left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import libcst as cst

from repairbot.matching.match import Target
from repairbot.matching.structural import Rewrite, nodes, on_lines, unparsed

_WORD = re.compile(r"(?<![\w.])\w+")


def _bound(alias: cst.ImportAlias) -> str | None:
    """The name an alias binds; None for `import a.b` (binds `a`, used as `a.b`: not one name)."""
    if alias.asname is not None:
        name = alias.asname.name
        return name.value if isinstance(name, cst.Name) else None
    return alias.name.value if isinstance(alias.name, cst.Name) else None


def _without(aliases: list[cst.ImportAlias], drop: set[int]) -> list[cst.ImportAlias]:
    kept = [a for i, a in enumerate(aliases) if i not in drop]
    if kept and len(aliases) - 1 in drop:  # the old last one carried no comma (or a trailing one)
        kept[-1] = kept[-1].with_changes(comma=aliases[-1].comma)
    return kept


def unused_import(target: Target, lines: set[int] | None) -> Iterator[Rewrite]:
    source = target.source
    everywhere: Counter[str] | None = None  # the file's words, not after a dot (an attribute name)
    for t, _, _ in nodes(target):
        if t.kind not in ("Import", "ImportFrom") or not on_lines(target, t, lines):
            continue
        node: cst.Import | cst.ImportFrom = t.node
        if isinstance(node.names, cst.ImportStar) or len(node.names) < 2:
            continue  # one name: dropping it drops the statement, not this operator's one-statement fix
        if isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None and \
                unparsed(node.module) == "__future__":
            continue
        if everywhere is None:
            everywhere = Counter(_WORD.findall(source))
        here = Counter(_WORD.findall(target.module.code_for_node(node)))
        unused = [i for i, alias in enumerate(node.names)
                  if (name := _bound(alias)) is not None and everywhere[name] <= here[name]]
        if len(unused) == len(node.names):
            continue  # nothing used at all: the statement goes, which is more than a one-name fix
        for i in unused:
            yield t, node.with_changes(names=_without(list(node.names), {i})), 1.0
        if len(unused) > 1:
            yield t, node.with_changes(names=_without(list(node.names), set(unused))), 0.9


IMPORTS = {"unused_import": unused_import}
