"""A fake SMS gateway on loopback: a real HTTP server speaking the generic JSON request and Twilio's.

Each POST is recorded (headers, body) and answered by the next scripted mode, then "accept":
``"accept"`` (201 with an id), ``"status:400"`` / ``"status:503"`` / … (that status, a JSON
error that echoes the text, as careless gateways do), ``"page"`` (200 with a web page: a URL that
is not the gateway's API), ``"stall"`` (answer only after
``STALL_SECONDS``: the client times out), ``"slow"`` (accept after ``SLOW_SECONDS``: a distant
gateway; ``most_at_once`` tells how many requests it had at the same time). It keeps
connections alive (HTTP/1.1), as real gateways do. ``python -m testbed.sms_gateway --port N``
serves it in a process of its own (the benchmarks do, so it does not share the agent's interpreter).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

STALL_SECONDS = 2.0
SLOW_SECONDS = 0.1


@dataclass
class SmsRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.body.get("text") or self.body.get("Body") or "")

    @property
    def to(self) -> str:
        return str(self.body.get("to") or self.body.get("To") or "")

    @property
    def pin(self) -> str:
        """The last word of the text: the PIN, as Facteur writes its SMS."""
        return self.text.split()[-1]


@dataclass
class SmsGateway:
    token: str = "gateway-token"  # noqa: S105 (a throwaway gateway's)
    modes: deque[str] = field(default_factory=deque)
    requests: list[SmsRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    at_once: int = 0  # requests being answered now
    most_at_once: int = 0
    _server: ThreadingHTTPServer | None = None

    def script(self, *modes: str) -> None:
        with self.lock:
            self.modes.extend(modes)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sent(self) -> list[SmsRequest]:
        return [request for request in self.requests if request.method == "POST"]

    def start(self, port: int = 0) -> SmsGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: one connection carries many requests
            disable_nagle_algorithm = True  # the body is a second write: not held back ~40 ms

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

            def do_HEAD(self) -> None:
                gateway._record(self, {})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                gateway._record(self, body)
                gateway._answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _record(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(
                SmsRequest(handler.command, handler.path, dict(handler.headers.items()), body)
            )

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        header = handler.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header == f"Bearer {self.token}"
        if header.startswith("Basic "):
            _, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return secret == self.token
        return False

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self.lock:
            mode = self.modes.popleft() if self.modes else "accept"
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            self._answer_as(handler, body, mode)
        finally:
            with self.lock:
                self.at_once -= 1

    def _answer_as(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], mode: str) -> None:
        twilio = handler.path.endswith("/Messages.json")
        if not self._authorized(handler):
            self._reply(handler, 401, {"error": "bad token"})
        elif mode == "stall":
            time.sleep(STALL_SECONDS)
            self._reply(handler, 201, {"id": "late"})

        elif mode == "page":
            page = b"<!doctype html><title>Welcome</title><p>It works!"
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(page)))
            handler.end_headers()
            handler.wfile.write(page)
        elif mode.startswith("status:"):
            status = int(mode.split(":")[1])
            text = body.get("text") or body.get("Body")
            if twilio:
                self._reply(handler, status, {"code": 21211, "message": f"Invalid 'To' for {text}"})
            else:
                self._reply(handler, status, {"error": f"refused: {text}"})
        else:
            if mode == "slow":
                time.sleep(SLOW_SECONDS)
            sms_id = f"{'SM' if twilio else 'sms-'}{next(self._ids)}"
            self._reply(handler, 201, {"sid": sms_id} if twilio else {"id": sms_id})

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def main() -> None:
    """Serve the gateway on ``--port`` until SIGTERM or SIGINT; it accepts every SMS."""
    parser = argparse.ArgumentParser(description="A fake SMS gateway on loopback.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default=SmsGateway.token)
    args = parser.parse_args()
    gateway = SmsGateway(token=args.token).start(args.port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    gateway.stop()


if __name__ == "__main__":
    main()
