"""Headers on every response, the per-address rate limit, and what the portal keeps at rest."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from models.messaging.secure_link import new_token
from portal.headers import CSP
from tests.portal.conftest import PDF, RunningPortal, StartPortal, publish

EXPECTED = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, response.status_code, name)


def test_the_policy_is_the_contract_s() -> None:
    assert CSP == (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def test_every_response_carries_the_security_headers(start_portal: StartPortal) -> None:
    portal = start_portal(rate_limit=40)
    link = publish(portal)
    browser = portal.browser()
    responses = [
        browser.get(link.path),  # the PIN page
        browser.post(link.path, data={"pin": "000000"}),  # a wrong PIN
        browser.post(link.path, data={"pin": link.pin}),  # the documents
        browser.get(f"{link.path}/documents/0"),  # the PDF
        portal.browser().get(f"{link.path}/documents/0"),  # a redirect
        browser.get("/static/portal.css"),
        browser.get(f"/l/{new_token()}"),  # 404 page
        browser.get("/favicon.ico"),
        browser.put(link.path),  # 405
        browser.post(link.path, content=b"x" * 5000),  # 400 page
        portal.api("GET", "/api/v1/health"),
        portal.api("GET", "/api/v1/events", params={"limit": 0}),  # 400
        portal.http.get("/api/v1/health"),  # 401
        portal.api("GET", "/api/v1/nothing"),  # 404 JSON
    ]
    assert responses[3].content == PDF
    for response in responses:
        assert_secured(response)
    limited = [portal.browser().get(link.path) for _ in range(40)][-1]
    assert limited.status_code == 429
    assert_secured(limited)


def test_a_500_carries_them_too(portal: RunningPortal, monkeypatch: pytest.MonkeyPatch) -> None:
    link = publish(portal)

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(portal.services.store, "find", broken)
    monkeypatch.setattr(portal.services.store, "events", broken)
    page = portal.browser().get(link.path)
    assert page.status_code == 500
    assert "Un problème est survenu" in page.text
    assert "disk on fire" not in page.text
    assert_secured(page)
    api = portal.api("GET", "/api/v1/events")
    assert api.status_code == 500
    assert api.json() == {"error": "internal error"}
    assert_secured(api)


def test_a_document_that_does_not_decrypt_is_an_error_page(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    browser.post(link.path, data={"pin": link.pin})
    (blob,) = (portal.data_dir / "blobs").iterdir()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    response = browser.get(f"{link.path}/documents/0")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert_secured(response)
    assert [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]] == ["opened"]


def test_the_rate_limit_answers_429_per_address(start_portal: StartPortal) -> None:
    portal = start_portal(rate_limit=3)
    link = publish(portal)
    browser = portal.browser()
    codes = [browser.get(link.path).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = browser.post(link.path, data={"pin": link.pin})
    assert limited.status_code == 429
    assert "Trop de tentatives" in limited.text
    assert "Too many attempts" in browser.get(f"{link.path}?lang=en").text
    assert int(limited.headers["retry-after"]) >= 1
    assert "facture" not in limited.text  # the PIN was not even tried
    assert browser.get("/static/portal.css").status_code == 200  # the stylesheet does not count
    # the address is the peer's: a forged X-Forwarded-For does not buy a fresh budget
    assert browser.get(link.path, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    portal.monotonic.now += 20  # a third of the minute: one request back
    assert browser.get(link.path).status_code == 200
    assert browser.get(link.path).status_code == 429
    portal.monotonic.now += 60
    assert [browser.get(link.path).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_behind_a_proxy_the_forwarded_address_counts(start_portal: StartPortal) -> None:
    portal = start_portal(rate_limit=2, trust_forwarded=True)
    link = publish(portal)
    browser = portal.browser()

    def visit(chain: str) -> int:
        return browser.get(link.path, headers={"X-Forwarded-For": chain}).status_code

    assert [visit("198.51.100.7") for _ in range(3)] == [200, 200, 429]
    assert visit("203.0.113.5") == 200  # another patient behind the same proxy
    # what the client wrote itself comes first; the proxy appends the address it saw, last
    assert visit("203.0.113.5, 198.51.100.7") == 429


def _every_byte(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_at_rest_nothing_readable(portal: RunningPortal) -> None:
    secret_pdf = PDF.replace(b"Marie Tremblay", b"Josephine Quenneville-Zurbriggen")
    pin = "K7Q2X9"
    link = publish(portal, pin=pin, documents=[("facture-CDP-2026-77731-quenneville.pdf", secret_pdf)])
    browser = portal.browser()
    browser.post(link.path, data={"pin": "WRONG1"})
    browser.post(link.path, data={"pin": pin})
    assert browser.get(f"{link.path}/documents/0").content == secret_pdf
    portal.services.store.sweep(portal.clock.now)  # housekeeping touched it too
    stored = _every_byte(portal.data_dir).lower()
    assert stored  # the database, its WAL, the blob and the secret are there
    for needle in (
        link.token,
        link.token[:20],
        pin,
        "WRONG1",
        "facture-CDP-2026-77731",
        "quenneville",
        "77731",
        "%PDF",
    ):
        assert needle.lower().encode() not in stored, needle


def test_the_data_folder_is_its_owner_s_only(portal: RunningPortal) -> None:
    publish(portal)
    root = portal.data_dir
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "blobs").stat().st_mode) == 0o700
    files = [path for path in root.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {"portal.db", "secret"} <= names
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_signing_secret_is_kept_or_taken_from_the_environment(
    start_portal: StartPortal, tmp_path: Path
) -> None:
    first = start_portal()
    secret = (first.data_dir / "secret").read_bytes()
    assert len(secret.strip()) >= 64
    link = publish(first)
    browser = first.browser()
    browser.post(link.path, data={"pin": link.pin})
    first.stop()
    second = start_portal()  # the same secret: a grant given before the restart still opens
    assert (second.data_dir / "secret").read_bytes() == secret
    restarted = httpx.Client(base_url=second.url, cookies=browser.cookies)
    assert restarted.get(f"{link.path}/documents/0").status_code == 200
    second.stop()
    third = start_portal(secret="from-the-environment-" + "x" * 40)
    moved = httpx.Client(base_url=third.url, cookies=browser.cookies)
    assert moved.get(f"{link.path}/documents/0").status_code == 303
    assert os.environ.get("FACTEUR_PORTAL_SECRET") is None
