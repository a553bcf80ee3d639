"""App settings: a TOML file (`[app]` table) and `REPAIRBOT_*` environment variables, which win.

Required: app id, private key path, webhook secret. The key is read from its file only when
needed and never kept in the settings' repr, so printing or journalling them leaks nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from repairbot.config import ConfigError
from repairbot.policy import Policy, Thresholds

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENV_PREFIX = "REPAIRBOT_"


@dataclass(frozen=True)
class AppConfig:
    app_id: int = 0
    private_key_path: Path = Path()
    webhook_secret: str = field(default="", repr=False)
    base_url: str = "https://api.github.com"  # GitHub Enterprise: https://HOST/api/v3
    clone_url: str = "https://github.com/{repo}.git"  # {repo} is owner/name
    state_dir: Path = Path(".repairbot-app")  # queue.db, audit.db and work/ live here
    # redis://[:PASSWORD@]HOST:6379/0: one queue for receivers and workers on several machines
    queue_url: str = field(default="", repr=False)
    policy: str = "github"  # [tool.repairbot.policy.<this>] in the project, else the defaults below
    auto: float = 0.9  # default thresholds: ready pull request / draft / comment only
    approval: float = 0.5
    notify: float = 0.3
    max_open_prs: int = 5  # open bot pull requests per repository
    max_prs_per_hour: int = 3  # pull requests opened per repository per hour
    max_body_bytes: int = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
    workers: int = 1
    job_attempts: int = 3
    lease_seconds: float = 1800.0  # a claimed job not finished by then is taken again
    retry_delay: float = 30.0  # seconds before a failed job's next attempt (times the attempts so far)
    repair_timeout: float = 900.0  # wall clock for one repair subprocess
    memory_mb: int = 4096  # RLIMIT_AS of the repair subprocess and the project's tests
    cpu_seconds: int = 1800  # RLIMIT_CPU, likewise
    repair_jobs: int = 2  # --jobs of the repair
    labels: tuple[str, ...] = ("repairbot", "automated-fix")
    retention_days: float = 30.0  # finished jobs and seen deliveries are forgotten after this
    python: str = sys.executable

    @property
    def queue_db(self) -> Path:
        return self.state_dir / "queue.db"

    @property
    def journal_db(self) -> Path:
        return self.state_dir / "audit.db"

    @property
    def work_dir(self) -> Path:
        return self.state_dir / "work"

    @property
    def mirrors_dir(self) -> Path:
        """Bare mirrors of the repositories, fetched into by each job (a clone is made once)."""
        return self.state_dir / "mirrors"

    def private_key(self) -> str:
        try:
            return self.private_key_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"private_key_path {self.private_key_path}: cannot read: {e}") from None

    def default_policy(self) -> Policy:
        t = Thresholds(self.auto, self.approval, self.notify)
        return Policy(f"{self.policy} (app default)", t, t)


def load_app_config(path: Path | None = None, environ: Mapping[str, str] | None = None,
                    **overrides: Any) -> AppConfig:
    """File, then environment, then explicit overrides (command-line options); checks the result."""
    env = os.environ if environ is None else environ
    types = {f.name: f.type for f in fields(AppConfig)}
    values: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: cannot read: {e}") from None
        table = data.get("app", data)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [app] must be a table")
        for key, raw in table.items():
            if key not in types:
                raise ConfigError(f"{path}: app.{key}: unknown key (known: {', '.join(sorted(types))})")
            values[key] = _coerce(raw, str(types[key]), f"{path}: app.{key}")
    for name, typ in types.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(raw, str(typ), f"${ENV_PREFIX}{name.upper()}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    cfg = replace(AppConfig(), **values)
    cfg = replace(cfg, state_dir=cfg.state_dir.expanduser().resolve())  # jobs run in other folders
    _check(cfg)
    return cfg


def _coerce(raw: Any, typ: str, where: str) -> Any:
    try:
        if typ == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if typ == "float":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if typ == "Path":
            return Path(str(raw)).expanduser()
        if typ == "tuple[str, ...]":
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError(raw)
            return tuple(i.strip() for i in items if i.strip())
        if not isinstance(raw, str):
            raise ValueError(raw)
        return raw
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {typ}, got {raw!r}") from None


def _check(cfg: AppConfig) -> None:
    missing = [name for name, ok in (("app_id", cfg.app_id > 0), ("private_key_path", str(cfg.private_key_path)
                                     not in ("", ".")), ("webhook_secret", bool(cfg.webhook_secret))) if not ok]
    if missing:
        raise ConfigError("missing " + ", ".join(missing) + " (set REPAIRBOT_" + "/REPAIRBOT_".join(
            m.upper() for m in missing) + " or the [app] table of --config)")
    if not cfg.private_key_path.is_file():
        raise ConfigError(f"private_key_path {cfg.private_key_path}: no such file")
    if not 1.0 >= cfg.auto >= cfg.approval >= cfg.notify >= 0.0:
        raise ConfigError("thresholds must satisfy 1 >= auto >= approval >= notify >= 0")
    if cfg.lease_seconds <= cfg.repair_timeout:
        raise ConfigError("lease_seconds must exceed repair_timeout (or a running repair would be taken twice)")
    if cfg.retention_days < 1:
        raise ConfigError("retention_days must be at least 1 (a redelivered event must still be recognised)")
    if cfg.queue_url and not cfg.queue_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"queue_url {cfg.queue_url!r}: expected redis://, rediss:// or unix:// (or empty: SQLite)")
    if "{repo}" not in cfg.clone_url:
        raise ConfigError("clone_url must contain {repo}")
    for name in ("max_open_prs", "max_prs_per_hour", "max_body_bytes", "workers", "job_attempts", "memory_mb",
                 "cpu_seconds", "repair_jobs"):
        if getattr(cfg, name) < (0 if name == "workers" else 1):
            raise ConfigError(f"{name} must be at least {0 if name == 'workers' else 1}")
