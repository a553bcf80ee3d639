"""The built-in operator record, shared by the modules that list built-ins by family."""

from __future__ import annotations

from dataclasses import dataclass

from repairbot.types import EditKind


@dataclass(frozen=True)
class Op:
    """A built-in fix as a before/after template with one example (docs and test in one)."""

    name: str
    category: str
    before: str
    after: str
    example: tuple[str, str]
    kind: EditKind = EditKind.EXPR
    at_block_end: bool = False
    guard: str | None = None  # a procedural operator in repairbot.matching.operators
    codes: tuple[str, ...] = ()  # the linter rules it is equivalent to (E711); a noqa comment for them silences it


E, S = EditKind.EXPR, EditKind.STMTS
