"""Putting the app together: queue, journal, GitHub client, worker threads and the ASGI app.
`repairbot serve` runs it under uvicorn; tests build it the same way on a loopback port."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.applications import Starlette

from repairbot.app import sandbox
from repairbot.app.config import AppConfig
from repairbot.app.github import GitHubApp
from repairbot.app.queue import Queue, make_queue
from repairbot.app.redact import Redactor
from repairbot.app.server import create_app
from repairbot.app.worker import Worker
from repairbot.audit import Journal


@dataclass
class Service:
    cfg: AppConfig
    redactor: Redactor
    queue: Queue
    journal: Journal
    worker: Worker
    asgi: Starlette
    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    closed: bool = False

    def start_workers(self) -> None:
        for i in range(self.cfg.workers):
            t = threading.Thread(target=self.worker.run_forever, args=(self.stop, self.wake),
                                 name=f"repairbot-worker-{i}", daemon=True)
            t.start()
            self.threads.append(t)

    def close(self, timeout: float = 30.0) -> None:
        """Stop the workers: a repair in progress is killed and its job released (queued again,
        the attempt not counted), so a restart takes it up at once. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.stop.set()
        self.worker.stopping.set()
        self.wake.set()
        deadline = time.monotonic() + timeout
        while any(t.is_alive() for t in self.threads) and time.monotonic() < deadline:
            sandbox.kill_all()  # a repair may start between two looks
            for t in self.threads:
                t.join(0.2)
        self.queue.close()
        self.journal.close()


def build(cfg: AppConfig, redactor: Redactor | None = None) -> Service:
    redactor = redactor or Redactor()
    redactor.add(cfg.webhook_secret)
    redactor.add(urlsplit(cfg.queue_url).password or "")
    redactor.install()
    queue = make_queue(cfg.queue_url, cfg.queue_db, cfg.job_attempts, cfg.lease_seconds, cfg.retry_delay)
    journal = Journal(cfg.journal_db)
    app = GitHubApp(cfg.app_id, cfg.private_key(), cfg.base_url, redactor)
    worker = Worker(cfg, queue, journal, app, redactor)
    svc = Service(cfg, redactor, queue, journal, worker, asgi=Starlette())
    svc.asgi = create_app(cfg.webhook_secret, queue, cfg.max_body_bytes, on_queued=svc.wake.set)
    return svc
