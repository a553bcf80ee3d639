"""The webhook receiver: a Starlette app that verifies, records and queues, then answers 202.

Order matters: the size limit and the signature come before any parsing, so an unsigned or
oversized body costs no JSON work. The delivery id and its job are written in one transaction,
so a redelivery is answered 200 "duplicate" and queues nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from repairbot.app.events import Ignored, classify, job_payload
from repairbot.app.queue import Queue

log = logging.getLogger("repairbot.app")


class TooLarge(Exception):
    pass


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the raw body; compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace"))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(secret: str, queue: Queue, max_body_bytes: int,
               on_queued: Callable[[], None] | None = None) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        try:
            body = await _read_body(request, max_body_bytes)
        except TooLarge:
            return JSONResponse({"error": f"body larger than {max_body_bytes} bytes"}, status_code=413)
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            log.warning("webhook rejected: bad or missing signature")
            return JSONResponse({"error": "bad or missing X-Hub-Signature-256"}, status_code=401)
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not event or not delivery or len(delivery) > 200:
            return JSONResponse({"error": "missing X-GitHub-Event or X-GitHub-Delivery"}, status_code=400)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        decided = classify(event, payload)
        job = None if isinstance(decided, Ignored) else job_payload(decided)
        outcome = decided.reason if isinstance(decided, Ignored) else f"queued {decided.kind}"
        if not await run_in_threadpool(queue.receive, delivery, event, job, outcome):
            log.info("delivery %s (%s): duplicate, ignored", delivery, event)
            return JSONResponse({"status": "duplicate", "delivery": delivery}, status_code=200)
        log.info("delivery %s (%s): %s", delivery, event, outcome)
        if job is None:
            return JSONResponse({"status": "ignored", "reason": outcome}, status_code=200)
        if on_queued:
            on_queued()
        return JSONResponse({"status": "queued", "job": decided.kind}, status_code=202)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "jobs": queue.counts()})

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"]), Route("/", webhook, methods=["POST"]),
                             Route("/healthz", health, methods=["GET"])])
