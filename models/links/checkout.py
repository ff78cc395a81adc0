"""What a Checkout Session asks of Stripe, for the agent (the first session of an email) and the
portal (a fresh one when a patient clicks Pay later): one builder, so both send the same shape.

A session carries nothing but "Invoice <number>" (in the patient's language) and, as metadata,
the number, the request's idempotency key and, for the sessions the portal makes, the door's
tag and a signature by the door's key (``door_signature``): the agent counts a session as
Facteur's only when it made it or the signature holds (``models.workflow.reconcile``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from locales import N_, translator

INVOICE_KEY = "facteur_invoice"
REQUEST_KEY = "facteur_request"
DOOR_KEY = "facteur_door"
SIGNATURE_KEY = "facteur_sig"
# Checkout's own locales: Québec French for French (Checkout has no en-CA)
CHECKOUT_LOCALES = {"fr": "fr-CA", "en": "en"}


class DoorStatus(StrEnum):
    """What the portal's Pay page of an invoice does."""

    OPEN = "open"  # sends the patient to Checkout for the balance
    PENDING = "pending"  # a delayed payment (a bank debit) has not cleared: nothing more is asked
    PAID = "paid"  # says so: nothing is charged
    VOID = "void"
    CLOSED = "closed"  # staff took the payment link away: the patient is asked to contact the clinic


@dataclass(frozen=True)
class CheckoutRequest:
    number: str
    language: str
    currency: str
    amount_cents: int
    expires_at: datetime | None  # None: Stripe's own 24 hours, whatever this machine's clock says
    success_url: str
    cancel_url: str
    metadata: dict[str, str]
    kind: str = "invoice"  # or "statement": one payment for a statement of account (``DoorKind``)


class DoorKind(StrEnum):
    """What a Pay page is for: one invoice, or a statement of account (its invoices oldest first)."""

    INVOICE = "invoice"
    STATEMENT = "statement"


# what the page and Checkout call the document, by kind
DOCUMENT_NAME = {
    DoorKind.INVOICE: N_("Invoice {number}"),
    DoorKind.STATEMENT: N_("Statement of account {number}"),
}


def checkout_params(request: CheckoutRequest) -> dict[str, Any]:
    """The whole request: the balance as one line "Invoice <number>", the metadata (on the charge
    too, so Stripe's dashboard shows the number), Checkout in Québec French or English."""
    tr = translator(request.language)
    name = tr.format(DOCUMENT_NAME[DoorKind(request.kind)], number=request.number)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_cents,
                    "product_data": {"name": name},
                },
                "quantity": 1,
            }
        ],
        "payment_intent_data": {"description": name, "metadata": {INVOICE_KEY: request.number}},
        "metadata": request.metadata,
        "locale": CHECKOUT_LOCALES.get(tr.language, "auto"),
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
    }
    if request.expires_at is not None:
        params["expires_at"] = int(request.expires_at.timestamp())
    return params


def door_signature(sign_key: str, number: str, request_key: str) -> str:
    """The proof a session was made by the portal for this door: only the agent and the portal
    hold ``sign_key``."""
    message = f"{number}\n{request_key}".encode()
    return hmac.new(sign_key.encode(), message, hashlib.sha256).hexdigest()[:40]


def signature_holds(sign_key: str, metadata: dict[str, Any]) -> bool:
    expected = door_signature(sign_key, str(metadata.get(INVOICE_KEY)), str(metadata.get(REQUEST_KEY)))
    return hmac.compare_digest(expected, str(metadata.get(SIGNATURE_KEY) or ""))


def paid_url(base: str, door_tag: str, language: str) -> str:
    """Where Checkout sends the patient once done: with the door and Stripe's session id, the
    portal's ``/paid`` tells a payment received from a bank debit still pending."""
    if not door_tag:
        return base
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}door={door_tag}&lang={language}&session_id={{CHECKOUT_SESSION_ID}}"
