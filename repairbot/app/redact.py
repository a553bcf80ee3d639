"""Keep the private key, installation tokens and the webhook secret out of logs and the journal.

Secrets are registered as they become known (the key and webhook secret at start, a token when
it is minted); shapes are masked even before that (GitHub tokens, JWTs, PEM blocks, a "token"
field in JSON), because PyGithub logs the token response before the app has seen the token.
`install` wraps the log record factory, so every record is cleaned once, whichever handler
(added before or after) writes it; `scrub` cleans anything journalled.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "***"
SHAPES = (
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"), MASK),  # a JWT
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
    (re.compile(r"""(["']token["']\s*:\s*["'])[^"']+"""), r"\g<1>" + MASK),
    (re.compile(r"(?i)(authorization:\s*(?:basic|bearer|token)\s+)\S+"), r"\g<1>" + MASK),
)
_installed: list[Redactor] = []


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
            for shape, repl in SHAPES:
                value = shape.sub(repl, value)
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

    def install(self) -> None:
        """Clean every log record of this process as it is made (idempotent)."""
        if self in _installed:
            return
        _installed.append(self)
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            self.filter(record)
            return record

        logging.setLogRecordFactory(factory)
