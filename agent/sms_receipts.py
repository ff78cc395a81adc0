"""The SMS receipts pass: ask the gateway what became of the texts it accepted, and record the answers.

The agent asks rather than being called back (why: ``agent.channels.sms``). One pass takes at most
``BATCH`` texts still waiting (``models.messaging.sms_receipts``: sent in the last 72 hours, no
receipt yet, oldest first) and asks about them one at a time, so a gateway never has more than one
of these requests from the agent at once. A final answer is recorded (delivered, failed with the
gateway's reason, or unknown); a text still on its way is asked about again next pass. The gateway
offline, or refusing the agent's settings, ends the pass quietly (the sending side reports that);
asked to slow down, the pass ends too; a gateway busy for one text goes on to the next. The file
backend has no receipts: with it a pass does nothing.

``SmsReceiptsJob`` runs the pass as one of the agent's sync jobs (``agent.steps.SyncJob``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from agent.channels.sms import SmsChannel, SmsState, SmsStatus, SmsStatusChannel
from agent.errors import DeferredError, OfflineError, RejectedError, ThrottledError
from agent.steps import DbRunner
from locales import translator
from models.core.enums import TransmissionStatus
from models.database.base import utcnow
from models.messaging.sms_receipts import CHECK_WINDOW, receipts_to_check, record_receipt

log = logging.getLogger("facteur.agent")

BATCH = 50  # texts asked about in one pass
INTERVAL_SECONDS = 300.0  # between passes: most texts are delivered within a minute or two
# a text still on its way is asked about again after this, not every pass: texts a carrier never
# gives a receipt for would otherwise take the pass's 50 places for 72 hours, and the newer ones
# (a PIN text that failed) would never be asked about
ASK_AGAIN = timedelta(minutes=30)
CANDIDATES = 10  # the pass reads this many times its batch, skipping those asked lately

_RECORDED = {
    SmsState.DELIVERED: TransmissionStatus.DELIVERED,
    SmsState.FAILED: TransmissionStatus.FAILED,
    SmsState.UNKNOWN: TransmissionStatus.UNKNOWN,
}


async def check_sms_receipts(
    sms: SmsChannel,
    db: DbRunner,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    log_language: str | None = None,
    asked: dict[int, datetime] | None = None,
) -> int:
    """One pass (see the module's docstring); how many receipts it recorded. ``db`` runs the
    database work on the agent's database thread; it raises nothing the gateway answers. ``asked``
    (the job's, kept between passes) says when each text was last asked about."""
    if not isinstance(sms, SmsStatusChannel):
        return 0
    now = now or utcnow()
    asked = asked if asked is not None else {}
    for key in [key for key, at in asked.items() if now - at > CHECK_WINDOW]:
        del asked[key]  # past the window: it is no longer a candidate
    candidates = await db(receipts_to_check, now, limit * CANDIDATES)
    due = [sent for sent in candidates if now - asked.get(sent.id, now - ASK_AGAIN) >= ASK_AGAIN][:limit]
    recorded = 0
    busy: list[DeferredError] = []
    for sent in due:
        asked[sent.id] = now
        try:
            status = await sms.status(str(sent.provider_id))
        except (OfflineError, ThrottledError):
            break
        except DeferredError as exc:  # this one again next pass; the others may answer
            busy.append(exc)
            continue
        except RejectedError as exc:  # it will not say about this one: it never will
            status = SmsStatus(SmsState.UNKNOWN, exc.reply, exc.code)
        if status.final and await db(
            record_receipt, sent, _RECORDED[status.state], status.reason, now, code=status.code
        ):
            recorded += 1
    if busy:
        tr = translator(log_language)
        log.info(
            tr.nformat(
                "SMS receipts: the gateway did not answer about {n} text; asked again next time: {reason}",
                "SMS receipts: the gateway did not answer about {n} texts; asked again next time: {reason}",
                len(busy),
                reason=busy[0],
            )
        )
    return recorded


class SmsReceiptsJob:
    """``check_sms_receipts`` every ``interval_seconds`` while online, and once more at the end of
    ``facteur agent --once``; it closes ``sms`` (a channel of its own) when the agent stops."""

    name = "sms-receipts"

    def __init__(
        self,
        sms: SmsChannel,
        *,
        interval_seconds: float = INTERVAL_SECONDS,
        limit: int = BATCH,
        clock: Callable[[], datetime] = utcnow,
        log_language: str | None = None,
    ) -> None:
        self.sms = sms
        self.interval_seconds = interval_seconds
        self.limit = limit
        self.clock = clock
        self.log_language = log_language
        self.last = 0  # receipts recorded by the last pass
        self._asked: dict[int, datetime] = {}  # text (its transmission's id) -> last asked

    async def run(self, db: DbRunner) -> None:
        self.last = await check_sms_receipts(
            self.sms,
            db,
            now=self.clock(),
            limit=self.limit,
            log_language=self.log_language,
            asked=self._asked,
        )
        if self.last:
            tr = translator(self.log_language)
            log.info(tr.nformat("{n} SMS receipt recorded", "{n} SMS receipts recorded", self.last))

    async def close(self) -> None:
        await self.sms.close()
