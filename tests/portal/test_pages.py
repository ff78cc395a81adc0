"""The patient's side of the real portal on loopback: PIN, documents, lock, expiry, replaced, unknown."""

from __future__ import annotations

import datetime as dt
import re

from models.messaging.secure_link import new_token
from tests.portal.conftest import PDF, Clock, RunningPortal, StartPortal, publish


def main_text(html: str) -> str:
    """The visible words of the page's <main> (tags dropped), to compare wording."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_the_right_pin_gets_the_exact_pdf_bytes(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    page = browser.get(link.path)
    assert page.status_code == 200
    assert 'name="pin"' in page.text
    opened = browser.post(link.path, data={"pin": link.pin, "lang": "fr"})
    assert opened.status_code == 200
    assert "facture-CDP-2026-00042.pdf" in opened.text
    cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and f"path=/l/{link.token}".lower() in cookie
    pdf = browser.get(f"{link.path}/documents/0")
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="facture-CDP-2026-00042.pdf"')


def test_a_pin_is_read_as_typed_aloud(portal: RunningPortal) -> None:
    link = publish(portal, pin="482913")
    opened = portal.browser().post(link.path, data={"pin": " 482-913 "})
    assert "facture-CDP-2026-00042.pdf" in opened.text


def test_several_documents_each_can_be_picked(portal: RunningPortal) -> None:
    documents = [(f"facture-{n}.pdf", PDF + f"%{n}\n".encode()) for n in range(3)]
    link = publish(portal, documents=documents)
    browser = portal.browser()
    page = browser.post(link.path, data={"pin": link.pin})
    for slot, (name, content) in enumerate(documents):
        assert name in page.text
        assert f"{link.path}/documents/{slot}" in page.text
        got = browser.get(f"{link.path}/documents/{slot}")
        assert got.content == content
        assert name in got.headers["content-disposition"]
    assert browser.get(f"{link.path}/documents/3").status_code == 303  # no such slot: back to the link
    kinds = [(e["kind"], e["document"]) for e in portal.api("GET", "/api/v1/events").json()["events"]]
    assert kinds == [("opened", None), ("downloaded", 0), ("downloaded", 1), ("downloaded", 2)]


def test_no_download_without_the_grant(portal: RunningPortal) -> None:
    link = publish(portal)
    response = portal.browser().get(f"{link.path}/documents/0")
    assert response.status_code == 303
    assert response.headers["location"] == f"{link.path}?lang=fr"
    forged = portal.browser()
    forged.cookies.set("grant", "9999999999.AAAA", path=link.path)
    assert forged.get(f"{link.path}/documents/0").status_code == 303


def test_a_grant_opens_its_own_link_only(portal: RunningPortal) -> None:
    first, second = publish(portal), publish(portal)
    browser = portal.browser()
    browser.post(first.path, data={"pin": first.pin})
    grant = browser.cookies.get("grant")
    thief = portal.browser()
    thief.cookies.set("grant", grant, path=second.path)
    assert thief.get(f"{second.path}/documents/0").status_code == 303


def test_the_grant_ends_after_fifteen_minutes(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    browser.post(link.path, data={"pin": link.pin})
    portal.clock.advance(minutes=14, seconds=59)
    assert browser.get(f"{link.path}/documents/0").status_code == 200
    assert "facture-CDP-2026-00042.pdf" in browser.get(link.path).text  # the documents page again
    portal.clock.advance(seconds=1)
    assert browser.get(f"{link.path}/documents/0").status_code == 303
    assert 'name="pin"' in browser.get(link.path).text


def test_nothing_about_the_documents_before_the_pin(portal: RunningPortal) -> None:
    link = publish(portal)
    for response in (
        portal.browser().get(link.path),
        portal.browser().post(link.path, data={"pin": "999999"}),
    ):
        assert "CDP-2026" not in response.text
        assert "facture" not in response.text.lower()
        assert "Clinique du Parc" in response.text  # who sent it, and how to reach them
        assert "tel:+1-514-555-0100" in response.text
        assert "mailto:accueil@cliniqueduparc.example" in response.text


def test_pages_speak_the_link_language_and_switch(portal: RunningPortal) -> None:
    link = publish(portal, language="en")
    english = portal.browser().get(link.path)
    assert '<html lang="en">' in english.text
    assert "Open my documents" in english.text
    assert "December 6, 2026" in english.text  # 14 days after the test clock's start, with Babel
    assert f'href="{link.path}?lang=fr"' in english.text
    french = portal.browser().get(f"{link.path}?lang=fr")
    assert '<html lang="fr">' in french.text
    assert "Ouvrir mes documents" in french.text
    assert "6 décembre 2026" in french.text
    assert f'href="{link.path}?lang=en"' in french.text


def test_an_empty_pin_is_asked_again_and_not_counted(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    for _ in range(6):
        page = browser.post(link.path, data={"pin": "  ", "lang": "en"})
        assert "Type your PIN." in page.text
    assert "facture" in browser.post(link.path, data={"pin": link.pin}).text


def test_five_wrong_pins_lock_even_the_right_one(start_portal: StartPortal) -> None:
    portal = start_portal()
    link, other = publish(portal), publish(portal)
    browser = portal.browser()
    for left in (4, 3, 2, 1):
        page = browser.post(link.path, data={"pin": "000000", "lang": "en"})
        assert page.status_code == 200
        expected = f"{left} attempt{'s' if left > 1 else ''} left"
        assert expected in page.text
    locked = browser.post(link.path, data={"pin": "000000", "lang": "en"})
    assert locked.status_code == 403
    assert "This link is locked" in locked.text
    assert "+1 514-555-0100" in locked.text
    right = portal.browser().post(link.path, data={"pin": link.pin, "lang": "en"})
    assert right.status_code == 403
    assert "This link is locked" in right.text
    assert "facture" not in right.text
    assert "This link is locked" in portal.browser().get(f"{link.path}?lang=en").text
    # another link is untouched
    assert "facture-CDP-2026-00042.pdf" in portal.browser().post(other.path, data={"pin": other.pin}).text
    kinds = [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]]
    assert kinds == ["locked", "opened"]


def test_the_lock_survives_a_restart(start_portal: StartPortal) -> None:
    first = start_portal()
    link, other = publish(first), publish(first)
    for _ in range(5):
        first.browser().post(link.path, data={"pin": "111111"})
    first.stop()
    again = start_portal()
    assert again.data_dir == first.data_dir
    assert again.browser().post(link.path, data={"pin": link.pin}).status_code == 403
    assert again.browser().post(other.path, data={"pin": other.pin}).status_code == 200


def test_a_wrong_pin_race_counts_every_attempt(portal: RunningPortal) -> None:
    from concurrent.futures import ThreadPoolExecutor

    link = publish(portal)

    def wrong(_: int) -> int:
        return portal.browser().post(link.path, data={"pin": "000000"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(wrong, range(8)))
    assert codes.count(200) == 4  # the first four say "n attempts left"
    assert codes.count(403) == 4  # the fifth locks, and the rest find it locked
    assert [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]] == ["locked"]


def test_expiry_at_the_boundary(start_portal: StartPortal) -> None:
    clock = Clock()
    portal = start_portal(clock=clock)
    link = publish(portal, days=14)
    expiry = clock.now + dt.timedelta(days=14)
    browser = portal.browser()
    clock.now = expiry - dt.timedelta(seconds=1)
    opened = browser.post(link.path, data={"pin": link.pin})
    assert opened.status_code == 200
    assert browser.get(f"{link.path}/documents/0").content == PDF
    clock.now = expiry
    page = browser.get(link.path)
    assert page.status_code == 410
    assert "Ce lien a expiré" in page.text
    assert "6 décembre 2026" in page.text
    assert "Clinique du Parc" in page.text
    refused = browser.post(link.path, data={"pin": link.pin})
    assert refused.status_code == 410
    assert browser.get(f"{link.path}/documents/0").status_code == 303  # the grant no longer opens it
    kinds = [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]]
    assert kinds == ["opened", "downloaded", "expired_visit"]  # one per hour, not one per reload
    clock.advance(hours=1)
    browser.get(link.path)
    kinds = [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]]
    assert kinds[-2:] == ["expired_visit", "expired_visit"]


def test_a_resend_revokes_the_old_link(portal: RunningPortal) -> None:
    old = publish(portal)
    browser = portal.browser()
    browser.post(old.path, data={"pin": old.pin})
    new = publish(portal, revokes=(old.token,))
    page = browser.get(old.path)
    assert page.status_code == 410
    assert "Ce lien a été remplacé" in page.text
    assert browser.get(f"{old.path}/documents/0").status_code == 303
    assert portal.browser().post(old.path, data={"pin": old.pin}).status_code == 410
    assert portal.browser().post(new.path, data={"pin": new.pin}).status_code == 200


def test_an_unknown_token_gets_a_404_that_says_nothing(portal: RunningPortal) -> None:
    publish(portal)
    for path in (f"/l/{new_token()}", "/l/short", f"/l/{new_token()}/documents/0", "/nowhere"):
        response = portal.browser().get(path)
        assert response.status_code == 404, path
        assert "Clinique du Parc" not in response.text
        assert "Page introuvable" in response.text
    posted = portal.browser().post(f"/l/{new_token()}", data={"pin": "482913"})
    assert posted.status_code == 404
    english = portal.browser().get(
        f"/l/{new_token()}", headers={"Accept-Language": "en-CA,en;q=0.9,fr;q=0.5"}
    )
    assert "Page not found" in english.text


def test_a_form_too_large_or_garbled_is_refused_plainly(portal: RunningPortal) -> None:
    link = publish(portal)
    big = portal.browser().post(link.path, content=b"pin=" + b"1" * 10_000)
    assert big.status_code == 400
    garbled = portal.browser().post(
        link.path, content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert garbled.status_code == 400
    assert "attempt" not in garbled.text


def test_the_stylesheet_is_served(portal: RunningPortal) -> None:
    css = portal.browser().get("/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
