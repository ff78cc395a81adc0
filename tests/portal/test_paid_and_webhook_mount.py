"""The page Stripe Checkout returns the patient to, and the webhook mounted beside the portal's pages."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.app import create_app
from portal.services import PortalOptions
from tests.portal.conftest import portal_options


def options(tmp_path: Path) -> PortalOptions:
    return portal_options(tmp_path / "portal")


def test_the_paid_page_thanks_in_the_asked_language_with_the_security_headers(tmp_path: Path) -> None:
    """Without a Pay page and a session to ask Stripe about, it claims no payment was received."""
    with TestClient(create_app(options(tmp_path), sweep_seconds=None)) as client:
        french = client.get("/paid")
        english = client.get("/paid?lang=en")
        cancelled = client.get("/pay-cancelled?lang=fr")  # Checkout's back arrow
    assert french.status_code == english.status_code == cancelled.status_code == 200
    assert "Merci" in french.text and "dès que Stripe l’aura confirmé" in french.text
    assert "as soon as Stripe confirms it" in english.text and "received" not in english.text
    assert "Aucun paiement" in cancelled.text and "rien n’a été débité" in cancelled.text
    assert french.headers["cache-control"] == "no-store"
    assert french.headers["referrer-policy"] == "no-referrer"


def test_extra_routes_are_served_with_the_portal_s_headers(tmp_path: Path) -> None:
    async def hook(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = create_app(
        options(tmp_path), sweep_seconds=None, extra_routes=[Route("/stripe/webhook", hook, methods=["POST"])]
    )
    with TestClient(app) as client:
        reply = client.post("/stripe/webhook", content=b"{}")
    assert reply.status_code == 200 and reply.text == "ok"
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert isinstance(reply, httpx.Response)
