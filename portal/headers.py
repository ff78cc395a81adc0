"""Security headers on every response the portal sends: pages, errors, the API, the PDFs, the CSS.

A plain ASGI wrapper around the whole application, outside Starlette's own error
handling, so that even a 500 written by the server-error middleware carries them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
_NAMES = {name.encode("latin-1") for name, _ in SECURITY_HEADERS}
_ENCODED = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS]


class SecurityHeaders:
    """Sets (replacing any the inner app chose) the headers of ``SECURITY_HEADERS``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": kept + _ENCODED}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette answers 500 itself before re-raising; this is for anything that did not
            if not started:
                await send_with_headers(
                    {"type": "http.response.start", "status": 500, "headers": [(b"content-length", b"0")]}
                )
                await send({"type": "http.response.body", "body": b""})
            raise
