"""Configuration from `[tool.repairbot]` in the project's pyproject.toml.

Unknown keys and wrong types are errors that name the file and the key: a setting that is
silently ignored is worse than one that fails loudly.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from repairbot.policy import Policy, PolicyError, parse_policies

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_FIX_MESSAGE = (
    r"(?i)\b(fix(e[sd]|ing)?|bug(fix)?s?|crash(es|ed)?|errors?|issues?|hotfix|repair(s|ed)?|"
    r"resolve[sd]?|close[sd]?|regression)\b|#\d+|\bGH-\d+\b"
)


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class MineConfig:
    fix_message: str = DEFAULT_FIX_MESSAGE
    max_files: int = 5  # Python files a fix commit may touch before it counts as tangled
    max_changed_lines: int = 60
    max_file_bytes: int = 1_000_000
    min_support: int = 2
    max_rejection: float = 0.97  # prune patterns whose before side almost only matches unchanged code
    min_specificity: float = 0.25

    def fix_regex(self) -> re.Pattern[str]:
        return re.compile(self.fix_message)


@dataclass(frozen=True)
class CheckConfig:
    """`[tool.repairbot.check]`: which patterns `repairbot check` uses besides the default ones."""

    select: tuple[str, ...] = ()  # built-in categories or pattern ids to check as well
    ignore: tuple[str, ...] = ()  # categories or ids to leave out


@dataclass(frozen=True)
class Config:
    mine: MineConfig = MineConfig()
    policies: dict[str, Policy] = field(default_factory=dict)
    source: str = ""
    audit: str = ".repairbot/audit.db"  # relative to the project; "" = no journal
    check: CheckConfig = CheckConfig()


TOP_KEYS = ("audit", "check", "mine", "policy")


def load_config(project: Path) -> Config:
    """Read `repairbot.toml` (its top level is the section) or else `[tool.repairbot]` in pyproject.toml."""
    own, py = project / "repairbot.toml", project / "pyproject.toml"
    path = own if own.is_file() else py
    if not path.is_file():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    section = data if path is own else data.get("tool", {}).get("repairbot", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.repairbot] must be a table")
    for key in section:
        if key not in TOP_KEYS:
            raise ConfigError(f"{path}: {_prefix(path)}{key}: unknown key (known: {', '.join(TOP_KEYS)})")
    audit = section.get("audit", Config.audit)
    if audit is False:
        audit = ""
    if not isinstance(audit, str) or audit is True:
        raise ConfigError(f"{path}: {_prefix(path)}audit: expected a path or false, got {type(audit).__name__}")
    mine = _typed(MineConfig(), section.get("mine", {}), f"{path}: {_prefix(path)}mine")
    try:
        mine.fix_regex()
    except re.error as e:
        raise ConfigError(f"{path}: {_prefix(path)}mine.fix_message: bad regular expression: {e}") from None
    try:
        policies = parse_policies(section.get("policy", {}), f"{_prefix(path)}policy")
    except PolicyError as e:
        raise ConfigError(f"{path}: {e}") from None
    check = _check_config(section.get("check", {}), f"{path}: {_prefix(path)}check")
    return Config(mine=mine, policies=policies, source=str(path), audit=audit, check=check)


def _check_config(values: Any, where: str) -> CheckConfig:
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a table")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in values.items():
        if key not in ("select", "ignore"):
            raise ConfigError(f"{where}.{key}: unknown key (known: ignore, select)")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}.{key}: expected a list of categories or pattern ids")
        out[key] = tuple(value)
    return CheckConfig(**out)


def _prefix(path: Path) -> str:
    """How keys are named in messages: as written in that file."""
    return "" if path.name == "repairbot.toml" else "tool.repairbot."


def _typed(default: Any, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a table")
    known = {f.name: f for f in fields(default)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(sorted(known))})")
        want = type(getattr(default, name))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
            raise ConfigError(f"{where}.{key}: expected {want.__name__}, got {type(value).__name__}")
        changes[name] = value
    return replace(default, **changes)
