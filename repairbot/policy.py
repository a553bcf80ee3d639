"""Remediation policies: what may be done with a patch of a given confidence, where.

`[tool.repairbot.policy.<environment>]` sets three thresholds (auto >= approval >= notify, each
in [0, 1]); files matching `critical` globs use the `critical_*` thresholds instead, which
default to the normal ones. A patch at or above `auto` may be applied (or opened as a ready
pull request), at or above `approval` goes out as a draft needing approval, at or above
`notify` is only reported, and below that nothing is done. A patch that can hide an error
(`repairbot.risk`: it adds an exception handler that does nothing or catches everything) gets at
most the `masking` action (default `approval`), whatever its confidence.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from repairbot.types import Decision

LEVELS = ("auto", "approval", "notify")


class PolicyError(ValueError):
    """Names the offending key; config.py adds the file."""


@dataclass(frozen=True)
class Thresholds:
    auto: float
    approval: float
    notify: float

    def as_tuple(self) -> tuple[tuple[str, float], ...]:
        return (("auto", self.auto), ("approval", self.approval), ("notify", self.notify))


@dataclass(frozen=True)
class Policy:
    name: str
    normal: Thresholds
    critical: Thresholds
    critical_paths: tuple[str, ...] = ()
    masking: str = "approval"  # the highest action a patch with risks may get

    def is_critical(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, g) for g in self.critical_paths)

    def decide(self, confidence: float, path: str, risks: tuple[str, ...] = ()) -> Decision:
        critical = self.is_critical(path)
        t = self.critical if critical else self.normal
        kind = "critical" if critical else "non-critical"
        for action, threshold in t.as_tuple():
            if confidence >= threshold:
                reason = f"confidence {confidence:.2f} >= {action} threshold {threshold:.2f} ({kind} path)"
                if risks and LEVELS.index(action) < LEVELS.index(self.masking):
                    action, reason = self.masking, f"{reason}; capped at {self.masking}: the patch {risks[0]}"
                return Decision(action, self.name, t.as_tuple(), reason)
        return Decision("none", self.name, t.as_tuple(),
                        f"confidence {confidence:.2f} < notify threshold {t.notify:.2f} ({kind} path)")


def parse_policies(table: Any, where: str) -> dict[str, Policy]:
    if not isinstance(table, dict):
        raise PolicyError(f"{where} must be a table of environments")
    return {env: _parse_one(env, spec, f"{where}.{env}") for env, spec in table.items()}


def _parse_one(env: str, spec: Any, where: str) -> Policy:
    if not isinstance(spec, dict):
        raise PolicyError(f"{where} must be a table")
    known = {*LEVELS, *(f"critical_{lv}" for lv in LEVELS), "critical", "masking"}
    for key in spec:
        if key not in known:
            raise PolicyError(f"{where}.{key}: unknown key (known: {', '.join(sorted(known))})")
    normal = _thresholds(spec, "", where, None)
    critical = _thresholds(spec, "critical_", where, normal)
    paths = spec.get("critical", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise PolicyError(f"{where}.critical: expected a list of path globs")
    masking = spec.get("masking", "approval")
    if masking not in LEVELS:
        raise PolicyError(f"{where}.masking: expected one of {', '.join(LEVELS)}, got {masking!r}")
    return Policy(env, normal, critical, tuple(paths), masking)


def _thresholds(spec: dict[str, Any], prefix: str, where: str, default: Thresholds | None) -> Thresholds:
    values: dict[str, float] = {}
    for level in LEVELS:
        key = prefix + level
        if key not in spec:
            if default is None:
                raise PolicyError(f"{where}.{key}: missing (each environment sets auto, approval and notify)")
            values[level] = getattr(default, level)
            continue
        v = spec[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
            raise PolicyError(f"{where}.{key}: must be a number in [0, 1], got {v!r}")
        values[level] = float(v)
    if not values["auto"] >= values["approval"] >= values["notify"]:
        raise PolicyError(f"{where}: thresholds must satisfy {prefix}auto >= {prefix}approval >= {prefix}notify "
                          f"(got {values['auto']}, {values['approval']}, {values['notify']})")
    return Thresholds(values["auto"], values["approval"], values["notify"])
