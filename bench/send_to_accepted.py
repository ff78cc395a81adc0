"""Send in the TUI to the email accepted: a receptionist sends an invoice (Ctrl+S in the send dialog
of the real app) while a real ``facteur agent`` idles, its SMTP relay, portal and SMS gateway a
network away (``bench.backlog.far_away``: 100 ms round trips). The time runs from the key to the
relay's answer to the email's last byte. Goal: at most 2 s (the median of a few sends, each
invoice sent for the first time: its PDF rendered then).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench.backlog import far_away
from bench.common import Result, demo_database, facteur_env, free_port, limit_row, median, scratch
from bench.outbox_load import settings_toml

SENDER = "dr.roy"  # the demo's provider, who bills and sends


class _Accepting:
    """An SMTP server's handler that takes every message and notes when it did."""

    def __init__(self) -> None:
        self.accepted: list[float] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.accepted.append(time.perf_counter())
        self.arrived.set()
        return "250 OK"


def _sendable(count: int) -> list[int]:
    """Billed invoices with nothing sent yet, whose patient has an email and a cell phone."""
    from models.billing.invoice import Invoice
    from models.core.enums import InvoiceStatus
    from models.messaging.tables import OutboxMessage
    from models.people.patient import Patient

    sent = OutboxMessage.select(OutboxMessage.invoice)
    query = (
        Invoice.select(Invoice.id)
        .join(Patient)
        .where(
            Invoice.status == InvoiceStatus.BILLED,
            Patient.email.is_null(False),
            Patient.cell_phone.is_null(False),  # the PIN goes by text
            Invoice.id.not_in(sent),
        )
        .order_by(Invoice.id)
        .limit(count)
    )
    return [invoice.id for invoice in query]


def _idle(timeout: float = 60.0) -> None:
    """Wait until the agent has beaten once and nothing is left to send (the demo's own queue)."""
    from models.messaging.agent_state import AgentState, agent_summary

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = agent_summary()
        if summary.state is AgentState.ONLINE and summary.pending == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("the agent did not come online with an empty queue")


async def _send_each(config: Any, invoices: list[int], server: _Accepting) -> list[float]:
    from tui.app import build_app
    from tui.screens.invoice_detail import InvoiceDetailScreen
    from tui.screens.send_invoice import SendInvoiceScreen

    app = build_app(config, SENDER, watch_catalogs=False)
    seconds = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        for invoice_id in invoices:
            app.push_screen(InvoiceDetailScreen(app.session, invoice_id))
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not isinstance(app.screen, SendInvoiceScreen):
                raise RuntimeError(f"no send dialog for invoice {invoice_id}: {app.screen}")
            server.arrived.clear()
            pressed = time.perf_counter()
            await pilot.press("ctrl+s")
            if not await asyncio.to_thread(server.arrived.wait, 30):
                raise RuntimeError(f"the email of invoice {invoice_id} never arrived")
            seconds.append(server.accepted[-1] - pressed)
            await app.workers.wait_for_complete()
            app.pop_screen()  # back from the invoice to the main screen
            await pilot.pause()
    return seconds


def run(sends: int = 10) -> list[Result]:
    from models.core.config import load_config
    from models.database.db import close_database

    work = scratch("send")
    url = demo_database(work, patients=0, invoices=0)
    invoices = _sendable(sends)
    handler = _Accepting()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with far_away(work, url, smtp.port) as (settings, _portal):
            config_file = work / "facteur.toml"
            config_file.write_text(settings_toml(settings), encoding="utf-8")
            facteur = str(Path(sys.executable).with_name("facteur"))
            agent = subprocess.Popen(  # noqa: S603 (our own program)
                [facteur, "agent"],
                env={**facteur_env(config_file), **os.environ},
                stdout=subprocess.DEVNULL,
                stderr=(work / "agent.log").open("wb"),
            )
            try:
                _idle()
                seconds = asyncio.run(_send_each(load_config(config_file), invoices, handler))
            finally:
                agent.terminate()
                agent.wait()
    finally:
        smtp.stop()
        close_database()
    return [
        limit_row(
            "send",
            f"Send to email accepted, 100 ms away (median of {sends}, s)",
            median(seconds),
            "s",
            at_most=2,
        ),
        Result("send", "  the slowest (s)", max(seconds), "s"),
    ]
