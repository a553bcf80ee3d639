"""`repairbot serve`: the GitHub App: webhook receiver under uvicorn plus worker threads."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from repairbot.cli.common import EXIT_OK, UsageError


def register(sub: Any) -> None:
    s = sub.add_parser("serve", help="run the GitHub App (webhooks -> queue -> pull requests)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--config", type=Path, help="TOML file with an [app] table (REPAIRBOT_* variables win)")
    s.add_argument("--state-dir", type=Path, help="where queue.db, audit.db and work/ live")
    s.add_argument("--workers", type=int, help="worker threads (0: only receive and queue)")
    s.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    s.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from repairbot.app.config import load_app_config
    from repairbot.app.service import build

    if args.config is not None and not args.config.is_file():
        raise UsageError(f"{args.config}: no such config file")
    if not 0 < args.port < 65536:
        raise UsageError("--port must be in 1..65535")
    cfg = load_app_config(args.config, state_dir=args.state_dir, workers=args.workers)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("github").setLevel(logging.INFO if args.log_level != "debug" else logging.DEBUG)
    svc = build(cfg)
    svc.start_workers()
    from repairbot.app.queue import redact_url

    queue = redact_url(cfg.queue_url) if cfg.queue_url else f"{cfg.queue_db} (SQLite)"
    logging.getLogger("repairbot.app").info("repairbot serve on %s:%d, %d worker(s), state in %s, queue %s",
                                            args.host, args.port, cfg.workers, cfg.state_dir, queue)
    try:
        uvicorn.run(svc.asgi, host=args.host, port=args.port, log_config=None, log_level=args.log_level)
    finally:
        svc.close()
    return EXIT_OK
