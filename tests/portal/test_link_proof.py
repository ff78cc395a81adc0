"""The API token alone cannot hijack a link: a change to a link the portal has (its contact details,
its PIN, its documents, its revocation) needs the proof of the link's token, its link key."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from models.messaging.secure_link import link_key, new_token, token_hash
from tests.portal.conftest import PDF, PublishedLink, RunningPortal, link_body, publish

PHISHING = {"name": "Clinique du Parc", "phone": "+15145559999", "email": "paiement@phishing.example"}
ORIGINAL_PHONE, PHISHING_PHONE = "tel:+1-514-555-0100", "tel:+1-514-555-9999"


def hijack(portal: RunningPortal, link: PublishedLink, **changes: Any) -> dict[str, Any]:
    """A re-PUT of ``link`` by a holder of the API token only: another PIN, the phishing contact."""
    body = link_body(
        link.token,
        "000000",
        [("paiement.pdf", PDF + b"%evil")],
        expires_at=portal.clock.now + dt.timedelta(days=30),
    )
    return {**body, "clinic": PHISHING, **changes}


def assert_untouched(portal: RunningPortal, link: PublishedLink) -> None:
    """The patient's page shows the clinic's contact, and the right PIN opens the right document at
    the first try."""
    browser = portal.browser()
    page = browser.get(link.path)
    assert ORIGINAL_PHONE in page.text and PHISHING_PHONE not in page.text
    opened = browser.post(link.path, data={"pin": link.pin, "lang": "en"})
    assert opened.status_code == 200 and "facture-CDP-2026-00042.pdf" in opened.text
    assert browser.get(f"{link.path}/documents/0").content == PDF


def test_a_re_put_without_or_with_a_wrong_proof_changes_neither_contact_nor_pin(
    portal: RunningPortal, caplog: pytest.LogCaptureFixture
) -> None:
    link = publish(portal)
    path = f"/api/v1/links/{link.hash}"
    without = {k: v for k, v in hijack(portal, link).items() if k != "link_key"}
    with caplog.at_level(logging.INFO, logger="facteur.portal"):
        missing = portal.api("PUT", path, json=without)
        wrong = portal.api("PUT", path, json=hijack(portal, link, link_key=link_key(new_token())))
    assert (missing.status_code, missing.json()["code"]) == (403, "link_key_required")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "link_proof_refused")
    assert "link_key" in wrong.json()["error"]
    assert_untouched(portal, link)  # the patient's PIN opened at the first try: not counted as wrong
    forgers_pin = portal.browser().post(link.path, data={"pin": "000000", "lang": "en"})
    assert "4 attempts left" in forgers_pin.text  # the forger's PIN opens nothing
    refused = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refused) == 2 and all(link.hash[:8] in r.getMessage() for r in refused)  # once each
    assert not any(link.hash in r.getMessage() or link.key in r.getMessage() for r in caplog.records)
    # its maker, with the proof, still can
    assert portal.api("PUT", path, json=hijack(portal, link, link_key=link.key)).status_code == 200


def test_a_revocation_needs_the_proof(portal: RunningPortal) -> None:
    link = publish(portal)
    path = f"/api/v1/links/{link.hash}/revoke"
    assert portal.api("POST", path).json()["code"] == "link_proof_refused"
    assert portal.api("POST", path, json={"link_key": link_key(new_token())}).status_code == 403
    assert portal.api("POST", path, json={"link_key": "nope"}).status_code == 400
    assert portal.api("POST", path, content=b"{not json").status_code == 400
    # nor can a new link revoke it by naming it
    other = new_token()
    naming = link_body(other, "482913", [("f.pdf", PDF)], expires_at=portal.clock.now + dt.timedelta(days=14))
    naming["revokes"] = [{"token_hash": link.hash, "link_key": link_key(other)}]
    refused = portal.api("PUT", f"/api/v1/links/{token_hash(other)}", json=naming)
    assert refused.status_code == 403 and link.hash[:8] in refused.json()["error"]
    assert portal.browser().get(f"/l/{other}").status_code == 404  # the refused link was not made either
    assert_untouched(portal, link)
    assert portal.api("POST", path, json={"link_key": link.key}).status_code == 200
    assert portal.browser().get(link.path).status_code == 410


def test_a_batch_refuses_each_unproven_entry_alone(portal: RunningPortal) -> None:
    link = publish(portal)
    fresh, keyless = new_token(), new_token()
    expires = portal.clock.now + dt.timedelta(days=14)
    good = {
        "token_hash": token_hash(fresh),
        **link_body(fresh, "482913", [("f.pdf", PDF)], expires_at=expires),
    }
    forged = {"token_hash": link.hash, **hijack(portal, link, link_key="f" * 64)}
    results = portal.api("POST", "/api/v1/links", json={"links": [forged, good]}).json()["results"]
    assert [(r["status"], r.get("code")) for r in results] == [(403, "link_proof_refused"), (201, None)]
    assert_untouched(portal, link)
    # a batch without keys comes from an agent older than the portal: refused whole, so it waits
    bare = link_body(keyless, "482913", [("f.pdf", PDF)], expires_at=expires)
    bare = {"token_hash": token_hash(keyless), **{k: v for k, v in bare.items() if k != "link_key"}}
    whole = portal.api("POST", "/api/v1/links", json={"links": [bare]})
    assert (whole.status_code, whole.json()["code"]) == (403, "link_key_required")
    assert portal.browser().get(f"/l/{keyless}").status_code == 404
