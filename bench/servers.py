"""What the servers of a secure delivery sustain on their own: the portal, the SMS gateway and aiosmtpd
fed by a client that costs next to nothing (raw HTTP/1.1 over kept-alive connections, bodies
encrypted ahead), one PUT, one SMS and one email per message, as many at once as the agent.

It is the ceiling of the drain's secure half on this machine: however fast the agent, its secure
messages cannot go out faster than the three servers take them (they share the cores with it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta

import aiosmtplib
import h11

from bench.common import Portal, SinkSmtp, SmsGateway


class _Http:
    """One kept-alive HTTP/1.1 connection, the least a client can do per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.state = h11.Connection(h11.CLIENT)

    async def request(self, method: str, path: str, token: str, body: bytes) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        headers = [
            ("Host", "127.0.0.1"),
            ("Authorization", f"Bearer {token}"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        out = self.state.send(h11.Request(method=method, target=path, headers=headers))
        self.writer.write(out + self.state.send(h11.Data(data=body)) + self.state.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self.state.next_event()
            if event is h11.NEED_DATA:
                self.state.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                self.state.start_next_cycle()
                return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _publication(token: str, pdf: bytes) -> bytes:
    from models.messaging.secure_link import document_aad, encrypt, pin_hash, token_hash

    th = token_hash(token)
    expires = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    sealed = [
        {
            "name": base64.b64encode(encrypt(token, b"facture.pdf", document_aad(th, 0, "name"))).decode(),
            "content": base64.b64encode(encrypt(token, pdf, document_aad(th, 0, "content"))).decode(),
        }
    ]
    body = {
        "pin_hash": pin_hash(token, "123456"),
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
        "language": "fr",
        "clinic": {"name": "Clinique du Parc", "phone": "", "email": ""},
        "documents": sealed,
    }
    return json.dumps(body).encode()


async def _secure_flow(
    portal: Portal, sms: SmsGateway, smtp: SinkSmtp, emails: list[bytes], pdf: bytes, *, concurrency: int
) -> float:
    from models.messaging.secure_link import new_token, token_hash

    tokens = [new_token() for _ in emails]
    bodies = [_publication(token, pdf) for token in tokens]
    text = json.dumps({"to": "+15145551234", "from": "Clinique", "text": "PIN 123456"}).encode()
    portals, gateways, mailers = (
        asyncio.Queue[_Http](),
        asyncio.Queue[_Http](),
        asyncio.Queue[aiosmtplib.SMTP](),
    )
    for _ in range(concurrency):
        portals.put_nowait(_Http(portal.port))
        gateways.put_nowait(_Http(sms.port))
        mailer = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp.port, start_tls=False)
        await mailer.connect()
        mailers.put_nowait(mailer)

    async def deliver(n: int) -> None:
        http = await portals.get()
        status = await http.request("PUT", f"/api/v1/links/{token_hash(tokens[n])}", portal.token, bodies[n])
        portals.put_nowait(http)
        gateway = await gateways.get()
        sent = await gateway.request("POST", "/", sms.token, text)
        gateways.put_nowait(gateway)
        if status != 201 or sent != 201:
            raise RuntimeError(f"portal {status}, SMS gateway {sent}")
        mailer = await mailers.get()
        await mailer.sendmail("facturation@clinique.example", [f"patient{n}@example.org"], emails[n])
        mailers.put_nowait(mailer)

    started = time.perf_counter()
    await asyncio.gather(*(deliver(n) for n in range(len(emails))))
    elapsed = time.perf_counter() - started
    while not portals.empty():
        portals.get_nowait().close()
        gateways.get_nowait().close()
        await mailers.get_nowait().quit()
    return elapsed


def secure_ceiling(
    portal: Portal, sms: SmsGateway, smtp: SinkSmtp, emails: list[bytes], pdf: bytes, *, concurrency: int = 8
) -> float:
    """Messages per second the three servers take, one PUT, SMS and email (``emails``) each."""
    return len(emails) / asyncio.run(_secure_flow(portal, sms, smtp, emails, pdf, concurrency=concurrency))
