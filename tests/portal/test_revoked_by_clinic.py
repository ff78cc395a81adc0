"""A link the clinic revoked says so, apart from a link a newer one replaced: its own page in French
and English, the first reason kept either way, tombstones, and the upgrade of an older portal.db."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

from agent.channels.portal import PortalClient
from models.links.download_links import LinkToRevoke
from models.messaging.secure_link import link_key, new_token, token_hash
from portal.app import build_portal
from portal.links import REVOKED_REASON, ClinicInfo, EncryptedDocument, LinkState, Publication, Revocation
from portal.storage import SCHEMA_VERSION, close_portal_database
from tests.portal.conftest import (
    API_TOKEN,
    START,
    Clock,
    PublishedLink,
    RunningPortal,
    link_body,
    portal_options,
    publish,
)
from tests.portal.test_pages import main_text

REVOKED_FR = (
    "Ce lien a été révoqué Clinique du Parc a révoqué ce lien. "
    "Communiquez avec la clinique si vous avez encore besoin de ces documents."
)
REVOKED_EN = (
    "This link was revoked Clinique du Parc revoked this link. "
    "Contact the clinic if you still need these documents."
)
REPLACED_FR = (
    "Ce lien a été remplacé Clinique du Parc vous a envoyé un lien plus récent vers ces documents : "
    "utilisez celui du courriel le plus récent. Si vous ne le trouvez pas, communiquez avec Clinique du Parc."
)
REPLACED_EN = (
    "This link was replaced Clinique du Parc sent you a newer link to these documents: use the one in "
    "the most recent email. If you cannot find it, contact Clinique du Parc."
)


def revoke(portal: RunningPortal, link: PublishedLink, key: str | None = None) -> int:
    """The clinic's revoke call (``POST …/revoke``), with the link's proof; its status."""
    response = portal.api("POST", f"/api/v1/links/{link.hash}/revoke", json={"link_key": key or link.key})
    if response.status_code == 200:
        assert response.json() == {"token_hash": link.hash, "revoked": True}  # what the agent's client reads
    return response.status_code


def page_text(portal: RunningPortal, link: PublishedLink, language: str) -> tuple[int, str]:
    page = portal.browser().get(f"{link.path}?lang={language}")
    return page.status_code, main_text(page.text)


CONTACT = {
    "fr": "Joindre Clinique du Parc Téléphone : +1 514-555-0100 Courriel : accueil@cliniqueduparc.example",
    "en": "Contact Clinique du Parc Phone: +1 514-555-0100 Email: accueil@cliniqueduparc.example",
}


def assert_contact_shown(html: str, language: str) -> None:
    """The clinic's phone and email under the text, as the other closed-link pages give them."""
    footer = html[html.index('<footer class="contact">') : html.index("</footer>")]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", footer)).strip() == CONTACT[language]
    assert 'href="tel:+1-514-555-0100"' in footer
    assert 'href="mailto:accueil@cliniqueduparc.example"' in footer


def test_a_link_the_clinic_revoked_says_so_in_french(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    assert browser.post(link.path, data={"pin": link.pin}).status_code == 200  # a grant in hand
    assert revoke(portal, link) == 200
    page = browser.get(link.path)
    assert page.status_code == 410  # as the replaced page
    assert main_text(page.text) == REVOKED_FR
    assert '<html lang="fr">' in page.text
    assert_contact_shown(page.text, "fr")
    assert "remplacé" not in page.text
    # neither the grant, nor the right PIN, nor a wrong one gets near the documents
    assert browser.get(f"{link.path}/documents/0").status_code == 303
    for pin in (link.pin, "000000"):
        tried = portal.browser().post(link.path, data={"pin": pin})
        assert tried.status_code == 410
        assert main_text(tried.text) == REVOKED_FR
        assert "facture" not in tried.text
    assert list((portal.data_dir / "blobs").iterdir()) == []  # the documents are gone already
    kinds = [e["kind"] for e in portal.api("GET", "/api/v1/events").json()["events"]]
    assert kinds == ["opened"]  # the wrong PIN on a revoked link counted nothing, locked nothing


def test_a_link_the_clinic_revoked_says_so_in_english(portal: RunningPortal) -> None:
    link = publish(portal, language="en")
    assert revoke(portal, link) == 200
    page = portal.browser().get(link.path)
    assert page.status_code == 410
    assert main_text(page.text) == REVOKED_EN
    assert '<html lang="en">' in page.text
    assert_contact_shown(page.text, "en")
    assert f'href="{link.path}?lang=fr"' in page.text  # the switch, as on the other pages
    assert page_text(portal, link, "fr") == (410, REVOKED_FR)
    posted = portal.browser().post(link.path, data={"pin": link.pin, "lang": "en"})
    assert (posted.status_code, main_text(posted.text)) == (410, REVOKED_EN)


def test_the_replaced_page_is_unchanged(portal: RunningPortal) -> None:
    old = publish(portal)
    publish(portal, revokes=(old.token,))
    assert page_text(portal, old, "fr") == (410, REPLACED_FR)
    assert page_text(portal, old, "en") == (410, REPLACED_EN)
    assert_contact_shown(portal.browser().get(old.path).text, "fr")


def test_revoking_a_replaced_link_keeps_it_replaced(portal: RunningPortal) -> None:
    old = publish(portal)
    publish(portal, revokes=(old.token,))
    assert revoke(portal, old) == 200
    assert revoke(portal, old, key=link_key(new_token())) == 200  # revoked: no proof asked, nothing changes
    assert page_text(portal, old, "en") == (410, REPLACED_EN)


def test_a_link_the_clinic_revoked_stays_revoked_when_a_resend_names_it(portal: RunningPortal) -> None:
    old = publish(portal)
    assert revoke(portal, old) == 200
    new = publish(portal, revokes=(old.token,))
    assert page_text(portal, old, "en") == (410, REVOKED_EN)
    assert revoke(portal, old) == 200  # again: still the clinic's
    assert page_text(portal, old, "en") == (410, REVOKED_EN)
    # a late PUT of it is refused as before, with the reason the agent's client reads
    body = link_body(old.token, old.pin, old.documents, expires_at=portal.clock.now + dt.timedelta(days=14))
    late = portal.api("PUT", f"/api/v1/links/{old.hash}", json=body)
    assert (late.status_code, late.json()) == (409, {"error": REVOKED_REASON})
    assert page_text(portal, old, "en") == (410, REVOKED_EN)
    assert portal.browser().post(new.path, data={"pin": new.pin}).status_code == 200


def test_a_tombstone_of_a_resend_says_replaced_and_keeps_it(portal: RunningPortal) -> None:
    never_published = PublishedLink(new_token(), "482913", [])
    publish(portal, revokes=(never_published.token,))
    assert page_text(portal, never_published, "en") == (410, REPLACED_EN)
    assert revoke(portal, never_published) == 200  # the clinic revokes it after: it stays replaced
    assert page_text(portal, never_published, "en") == (410, REPLACED_EN)
    publish(portal, token=never_published.token, expect=409)


def test_revoking_a_link_the_portal_never_had_leaves_no_tombstone(portal: RunningPortal) -> None:
    """404, as the agent's client expects (``unknown_link``): the call carries no clinic nor language
    a page could show, so nothing is remembered, and the link can still be published."""
    unknown = PublishedLink(new_token(), "482913", [])
    assert revoke(portal, unknown) == 404
    assert portal.browser().get(unknown.path).status_code == 404
    published = publish(portal, token=unknown.token)
    assert portal.browser().post(published.path, data={"pin": published.pin}).status_code == 200


async def test_the_agents_revoke_reads_the_reply_and_the_patient_sees_the_clinics_page(
    portal: RunningPortal,
) -> None:
    link = publish(portal, language="en")
    client = PortalClient(portal.url, API_TOKEN)
    try:
        reply = await client.revoke(LinkToRevoke(link.hash, link.key))
        again = await client.revoke(LinkToRevoke(link.hash, link.key))
    finally:
        await client.aclose()
    assert (reply.code, reply.provider_id) == ("200", link.hash)
    assert again.code == "200"
    assert page_text(portal, link, "en") == (410, REVOKED_EN)


def _publication(token: str, revokes: tuple[str, ...] = ()) -> Publication:
    return Publication(
        token_hash=token_hash(token),
        link_key=link_key(token),
        pin_hash="0" * 64,
        expires_at=START + dt.timedelta(days=14),
        language="fr",
        clinic=ClinicInfo("Clinique du Parc"),
        documents=(EncryptedDocument(b"n" * 40, b"c" * 40),),
        revokes=tuple(Revocation(token_hash(t), link_key(t)) for t in revokes),
    )


def test_an_older_portal_database_upgrades_in_place(tmp_path: Path) -> None:
    options = portal_options(tmp_path / "portal-data")
    live, replaced, by_hand, resend, never_published = (new_token() for _ in range(5))
    portal = build_portal(options, Clock())
    try:
        for token in (live, replaced, by_hand):
            portal.store.publish(_publication(token), START)
        portal.store.publish(_publication(resend, revokes=(replaced, never_published)), START)
        portal.store.revoke(token_hash(by_hand), link_key(by_hand), START)  # an operator, before schema 7
    finally:
        close_portal_database()
    database = options.data_dir / "portal.db"
    with sqlite3.connect(database) as connection:  # as schema 6 left it: no reason kept
        connection.execute("ALTER TABLE link DROP COLUMN revoked_reason")
        connection.execute("PRAGMA user_version = 6")

    portal = build_portal(options, Clock())
    try:
        for token, state in (
            (live, LinkState.OPEN),
            (resend, LinkState.OPEN),
            (replaced, LinkState.REVOKED),  # what every revoked link's page said before: replaced
            (never_published, LinkState.REVOKED),
            (by_hand, LinkState.REVOKED),
        ):
            view = portal.store.find(token_hash(token), START)
            assert view is not None and view.state is state, token
        assert portal.store.revoke(token_hash(live), link_key(live), START)  # the upgraded table works
        view = portal.store.find(token_hash(live), START)
        assert view is not None and view.state is LinkState.REVOKED_BY_CLINIC
    finally:
        close_portal_database()
    with sqlite3.connect(database) as connection:
        reasons = dict(connection.execute("SELECT token_hash, revoked_reason FROM link").fetchall())
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    assert reasons == {
        token_hash(live): "clinic",
        token_hash(replaced): "replaced",
        token_hash(by_hand): "replaced",
        token_hash(resend): None,
        token_hash(never_published): "replaced",
    }
    fresh = portal_options(tmp_path / "fresh")
    build_portal(fresh, Clock())
    close_portal_database()
    shapes = []
    for path in (database, fresh.data_dir / "portal.db"):  # the upgraded table is a new one's
        with sqlite3.connect(path) as connection:
            shapes.append(sorted(row[1:4] for row in connection.execute("PRAGMA table_info(link)")))
    assert shapes[0] == shapes[1]
