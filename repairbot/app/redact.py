"""Keep the private key, installation tokens and the webhook secret out of logs and the journal.

Secrets are registered as they become known (a token when it is minted); a logging filter on
every handler rewrites records that contain one, and `scrub` cleans anything journalled.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "***"


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        """Register a secret; for multi-line ones (a PEM key) every long line is registered too."""
        if not secret:
            return
        with self._lock:
            self._secrets.add(secret)
            for line in secret.splitlines():
                line = line.strip()
                if len(line) >= 16 and not line.startswith("-----"):
                    self._secrets.add(line)

    def scrub(self, value: Any) -> Any:
        """The value with every registered secret replaced by ***, recursively through containers."""
        if isinstance(value, str):
            with self._lock:
                secrets = sorted(self._secrets, key=len, reverse=True)
            for s in secrets:
                if s in value:
                    value = value.replace(s, MASK)
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        clean = self.scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True

    def install(self, logger: logging.Logger | None = None) -> None:
        """Attach to every handler of `logger` (default: the root logger)."""
        for h in (logger or logging.getLogger()).handlers:
            if self not in h.filters:
                h.addFilter(self)
