"""A fake SMS gateway on loopback: a real HTTP server speaking the generic JSON request and Twilio's.

Each POST (a text to send) and GET (what became of one) is recorded (headers, body) and answered
by the next scripted mode, then "accept":
``"accept"`` (201 with an id; a GET: the text's status), ``"status:400"`` / ``"status:503"`` / …
(that status, a JSON error that echoes the text, as careless gateways do), ``"page"`` (200 with a
web page: a URL that is not the gateway's API), ``"stall"`` (answer only after
``STALL_SECONDS``: the client times out), ``"slow"`` (accept after ``SLOW_SECONDS``: a distant
gateway; ``most_at_once`` tells how many requests it had at the same time). It keeps
connections alive (HTTP/1.1), as real gateways do. ``python -m testbed.sms_gateway --port N``
serves it in a process of its own (the benchmarks do, so it does not share the agent's interpreter).

What becomes of a text accepted (``GET /{id}``, Twilio's ``GET …/Messages/{sid}.json``) depends on
its number's last digit: ``0`` fails (``undelivered``, unknown subscriber: Twilio's 30005), ``9``
stays ``sent`` (a phone switched off: no receipt yet), any other is ``delivered``.
``set_status(id, status, error=…, code=…)`` changes it, ``forget(id)`` makes the gateway answer 404.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import re
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

STALL_SECONDS = 2.0
SLOW_SECONDS = 0.1
FAILS_ENDING = "0"  # a number ending so: the text is accepted, then undelivered
SILENT_ENDING = "9"  # a number ending so: the text stays "sent" (no receipt)
_TWILIO_STATUS = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/([^/]+)\.json$")


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
class Receipt:
    """What became of one accepted text: its ``status`` word, and for a failure ``error`` (the
    gateway's words) and ``code`` (Twilio's error code)."""

    to: str
    text: str
    status: str
    error: str = ""
    code: int | None = None


def fate(to: str) -> tuple[str, str, int | None]:
    """What becomes of a text to ``to`` (see the module's docstring): status, error, code."""
    if to.endswith(FAILS_ENDING):
        return "undelivered", "unknown subscriber", 30005
    if to.endswith(SILENT_ENDING):
        return "sent", "", None
    return "delivered", "", None


@dataclass
class SmsGateway:
    token: str = "gateway-token"  # noqa: S105 (a throwaway gateway's)
    modes: deque[str] = field(default_factory=deque)
    requests: list[SmsRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    receipts: dict[str, Receipt] = field(default_factory=dict)  # by the id given to each text
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

    @property
    def asked(self) -> list[SmsRequest]:
        """The status requests (GET), in order."""
        return [request for request in self.requests if request.method == "GET"]

    def set_status(self, sms_id: str, status: str, *, error: str = "", code: int | None = None) -> None:
        """What the gateway says from now on of the text ``sms_id``."""
        with self.lock:
            receipt = self.receipts[sms_id]
            receipt.status, receipt.error, receipt.code = status, error, code

    def forget(self, sms_id: str) -> None:
        """The gateway no longer knows ``sms_id`` (it answers 404), as gateways do after a while."""
        with self.lock:
            del self.receipts[sms_id]

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

            def do_GET(self) -> None:
                gateway._record(self, {})
                gateway._answer(self, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:
                    body = {key: values[0] for key, values in parse_qs(raw).items()}
                gateway._record(self, body)
                gateway._answer(self, body)

        self._server = _Server(("127.0.0.1", port), Handler)
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
            if handler.command == "GET":
                self._status_as(handler, mode)
            else:
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
            self._page(handler)
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
            to, text = (
                str(body.get("to") or body.get("To") or ""),
                str(body.get("text") or body.get("Body") or ""),
            )
            outcome, error, code = fate(to)
            with self.lock:
                self.receipts[sms_id] = Receipt(to, text, outcome, error, code)
            self._reply(handler, 201, {"sid": sms_id} if twilio else {"id": sms_id})

    def _status_as(self, handler: BaseHTTPRequestHandler, mode: str) -> None:
        """A status request: Twilio's ``…/Messages/{sid}.json`` or the generic ``/{id}``."""
        twilio = _TWILIO_STATUS.match(handler.path)
        sms_id = unquote(twilio.group(1) if twilio else handler.path.lstrip("/"))
        if not self._authorized(handler):
            self._reply(handler, 401, {"error": "bad token"})
        elif mode == "stall":
            time.sleep(STALL_SECONDS)
            self._reply(handler, 200, {"id": sms_id, "status": "sent"})
        elif mode == "page":
            self._page(handler)
        elif mode.startswith("status:"):
            status = int(mode.split(":")[1])
            with self.lock:
                known = self.receipts.get(sms_id)
            echoed = f"cannot tell about {known.text if known else sms_id}"  # careless: the text again
            self._reply(handler, status, {"code": 20005, "message": echoed} if twilio else {"error": echoed})
        else:
            if mode == "slow":
                time.sleep(SLOW_SECONDS)
            with self.lock:
                receipt = self.receipts.get(sms_id)
            if receipt is None:
                missing = {"code": 20404, "message": "not found", "status": 404}
                self._reply(handler, 404, missing if twilio else {"error": f"no such message: {sms_id}"})
            elif twilio:  # Twilio's message resource carries the text: the client must not keep it
                self._reply(
                    handler,
                    200,
                    {
                        "sid": sms_id,
                        "to": receipt.to,
                        "body": receipt.text,
                        "status": receipt.status,
                        "error_code": receipt.code,
                        "error_message": receipt.error or None,
                    },
                )
            else:
                answer: dict[str, Any] = {"id": sms_id, "status": receipt.status}
                if receipt.error:
                    answer["error"] = receipt.error
                self._reply(handler, 200, answer)

    @staticmethod
    def _page(handler: BaseHTTPRequestHandler) -> None:
        page = b"<!doctype html><title>Welcome</title><p>It works!"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (``"stall"``) is no error of the gateway's."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def main() -> None:
    """Serve the gateway on ``--port`` until SIGTERM or SIGINT; it accepts every SMS (and answers
    for each as the module's docstring says)."""
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
