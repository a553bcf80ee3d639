"""How fast the webhook receiver answers, beside the floor of the same HTTP stack doing nothing.

    python benchmarks/app_bench.py [--n 500] [--payload-kb 20]

Starts the app's receiver under uvicorn on 127.0.0.1 (a fresh state folder, no workers) and
posts N signed `workflow_run` deliveries (each a distinct id, a payload padded to about
--payload-kb, like GitHub's); then, on the same server, N posts of the same body to a route
that only reads the body and answers 202 (the floor: uvicorn + Starlette + the client).
Prints the median, p95 and p99 latency of both and their difference: the cost of the size
check, HMAC, JSON parsing, the event rules and the SQLite transaction that makes the delivery
durable (synchronous=FULL: one fsync per delivery). The same two again in process (Starlette's
TestClient, no sockets, no scheduler hops between threads) show the handler's own work.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from fakegithub import serve_in_thread, stop_server  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from repairbot.app.config import AppConfig  # noqa: E402
from repairbot.app.service import build as build_service  # noqa: E402

SECRET = "bench-secret"


def payload(i: int, pad_kb: int) -> bytes:
    doc = {"action": "completed", "repository": {"full_name": "acme/app", "html_url": "https://github.com/acme/app"},
           "sender": {"login": "octocat", "type": "User"}, "installation": {"id": 1},
           "workflow_run": {"id": i, "head_branch": "main", "head_sha": f"{i:040x}", "conclusion": "failure",
                            "html_url": f"https://github.com/acme/app/actions/runs/{i}", "pull_requests": [],
                            "head_repository": {"full_name": "acme/app"}, "padding": "x" * (pad_kb * 1024)}}
    return json.dumps(doc).encode()


def timed(client: http.client.HTTPConnection, path: str, bodies: list[bytes], event: str) -> list[float]:
    """http.client sends headers and a bytes body in one write (no Nagle / delayed-ACK stall)."""
    out = []
    for i, body in enumerate(bodies):
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": f"bench-{event}-{i}",
                   "Content-Type": "application/json",
                   "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
        t = time.perf_counter()
        client.request("POST", path, body=body, headers=headers)
        r = client.getresponse()
        r.read()
        out.append(time.perf_counter() - t)
        assert r.status == 202, r.status
    return out


def in_process(svc: object, bodies: list[bytes]) -> tuple[list[float], list[float]]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    def run(client: TestClient, path: str, event: str) -> list[float]:
        out = []
        for i, body in enumerate(bodies):
            headers = {"X-GitHub-Event": "workflow_run", "X-GitHub-Delivery": f"inproc-{event}-{i}",
                       "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
            t = time.perf_counter()
            r = client.post(path, content=body, headers=headers)
            out.append(time.perf_counter() - t)
            assert r.status_code == 202, r.text
        return out

    with TestClient(svc.asgi) as client:  # type: ignore[attr-defined]
        run(client, "/floor", "warm")
        return run(client, "/webhook", "app"), run(client, "/floor", "floor")


def summary(name: str, xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=100)
    return f"{name:10} median {statistics.median(xs) * 1000:6.2f} ms  p95 {q[94] * 1000:6.2f} ms  p99 {q[98] * 1000:6.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--payload-kb", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = Path(tmp) / "key.pem"
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
        svc = build_service(AppConfig(app_id=1, private_key_path=pem, webhook_secret=SECRET,
                                      state_dir=Path(tmp) / "state", workers=0))

        async def floor(request: Request) -> JSONResponse:
            await request.body()
            return JSONResponse({"status": "queued", "job": "fix"}, status_code=202)

        svc.asgi.router.routes.append(Route("/floor", floor, methods=["POST"]))
        server, thread, port = serve_in_thread(svc.asgi)
        bodies = [payload(i, args.payload_kb) for i in range(args.n)]
        try:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            timed(client, "/floor", bodies[:20], "warm")
            floor_t = timed(client, "/floor", bodies, "floor")
            app_t = timed(client, "/webhook", bodies, "workflow_run")
            client.close()
            counts = svc.queue.counts()
            inproc_app, inproc_floor = in_process(svc, bodies)
        finally:
            stop_server(server, thread)
            svc.close()
    print(f"{args.n} deliveries of {len(bodies[0]) / 1024:.0f} KiB, one client, keep-alive; queued: {counts}")
    print(summary("receiver", app_t))
    print(summary("floor", floor_t))
    print(f"receiver - floor, median: {(statistics.median(app_t) - statistics.median(floor_t)) * 1000:.2f} ms")
    print("in process (no sockets):")
    print(summary("receiver", inproc_app))
    print(summary("floor", inproc_floor))
    print(f"receiver - floor, median: {(statistics.median(inproc_app) - statistics.median(inproc_floor)) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
