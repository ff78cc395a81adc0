"""``PortalClient`` against the real portal on loopback, and its failures sorted by type."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.channels.portal import ClinicContact, PortalClient, PortalDocument
from agent.errors import (
    BlockedError,
    DeferredError,
    OfflineError,
    RejectedError,
    ReplacedError,
    ThrottledError,
)
from locales import translator
from models.core.errors import DeliveryError
from models.links.download_links import LinkToRevoke
from models.messaging.secure_link import event_tag, link_key, new_token, pin_hash, token_hash
from tests.portal.conftest import API_TOKEN, PDF, RunningPortal, StartPortal, free_port, serve_in_thread

CLINIC = ClinicContact("Clinique du Parc", "+15145550100", "accueil@cliniqueduparc.example")


def client_for(portal: RunningPortal, token: str | None = API_TOKEN, **kwargs: float) -> PortalClient:
    return PortalClient(portal.url, token, **kwargs)


async def publish(client: PortalClient, portal: RunningPortal, token: str, pin: str = "482913", **kw):  # type: ignore[no-untyped-def]
    return await client.publish(
        token=token,
        link_key=kw.pop("link_key", link_key(token)),
        pin_hash=pin_hash(token, pin),
        expires_at=portal.clock.now + dt.timedelta(days=14),
        language="fr",
        clinic=CLINIC,
        documents=kw.pop("documents", [PortalDocument("facture-CDP-2026-00042.pdf", PDF)]),
        **kw,
    )


def mine(token: str) -> LinkToRevoke:
    """A link of ours to revoke, with its proof."""
    return LinkToRevoke(token_hash(token), link_key(token))


def assert_renders(exc: DeliveryError) -> None:
    """The message reads in both languages, placeholders filled."""
    for language in ("fr", "en"):
        text = exc.render(translator(language))
        assert "{" not in text, text


async def test_publish_then_the_patient_gets_the_exact_pdf(portal: RunningPortal) -> None:
    client = client_for(portal)
    token = new_token()
    try:
        await client.probe()
        reply = await publish(client, portal, token)
        assert (reply.code, reply.provider_id) == ("201", token_hash(token))
        again = await publish(client, portal, token)
        assert again.code == "200"
    finally:
        await client.aclose()
    url = client.link_url(token, "en")
    assert url == f"{portal.url}/l/{token}?lang=en"
    browser = portal.browser()
    page = browser.post(url, data={"pin": "482 913"})
    assert "facture-CDP-2026-00042.pdf" in page.text
    assert browser.get(f"/l/{token}/documents/0").content == PDF


async def test_several_documents_timezone_and_revokes(portal: RunningPortal) -> None:
    client = client_for(portal)
    old, new = new_token(), new_token()
    documents = [PortalDocument("facture-1.pdf", PDF), PortalDocument("reçu-2.pdf", PDF + b"%2")]
    try:
        await publish(client, portal, old)
        clinic = ClinicContact("Clinique du Parc", "", "", timezone="Europe/Paris", country="FR")
        await client.publish(
            token=new,
            link_key=link_key(new),
            pin_hash=pin_hash(new, "135790"),
            expires_at=portal.clock.now + dt.timedelta(days=14),
            language="en",
            clinic=clinic,
            documents=documents,
            revokes=[mine(old), mine(new)],  # its own hash is left out
        )
    finally:
        await client.aclose()
    assert portal.browser().get(f"/l/{old}").status_code == 410
    browser = portal.browser()
    page = browser.post(f"/l/{new}", data={"pin": "135790"})
    assert "reçu-2.pdf" in page.text
    assert "4:00\u202fp.m." in page.text or "16:00" in page.text  # Paris time, not Toronto's
    assert browser.get(f"/l/{new}/documents/1").content == PDF + b"%2"


async def test_revoke_and_events(portal: RunningPortal) -> None:
    client = client_for(portal)
    token = new_token()
    try:
        await publish(client, portal, token)
        browser = portal.browser()
        browser.post(f"/l/{token}", data={"pin": "482913"})
        browser.get(f"/l/{token}/documents/0")
        events, last = await client.events(0)
        assert [(e.kind, e.document) for e in events] == [("opened", None), ("downloaded", 0)]
        assert events[0].tag == event_tag(token_hash(token))
        assert events[0].at == portal.clock.now
        assert last == events[-1].id
        assert await client.events(last) == ([], last)
        one, cursor = await client.events(0, limit=1)
        assert len(one) == 1 and cursor == one[0].id
        with pytest.raises(RejectedError) as unproven:  # not this link's key: that message fails alone
            await client.revoke(LinkToRevoke(token_hash(token), link_key(new_token())))
        assert unproven.value.code == "403" and "link_key" in unproven.value.reply
        with pytest.raises(RejectedError):  # a change too
            await publish(client, portal, token, link_key="e" * 64)
        reply = await client.revoke(mine(token))
        assert (reply.code, reply.provider_id) == ("200", token_hash(token))
        with pytest.raises(RejectedError) as unknown:
            await client.revoke(LinkToRevoke("c" * 64, "d" * 64))
        assert unknown.value.code == "404"
        with pytest.raises(ReplacedError) as revoked:  # a newer send replaced it
            await publish(client, portal, token)
        assert revoked.value.code == "409"
        assert "revoked" in revoked.value.reply
        assert_renders(revoked.value)
    finally:
        await client.aclose()


async def test_a_bad_request_is_rejected(portal: RunningPortal) -> None:
    client = client_for(portal)
    token = new_token()
    try:
        with pytest.raises(RejectedError) as caught:
            await client.publish(
                token=token,
                link_key=link_key(token),
                pin_hash="not-a-hash",
                expires_at=portal.clock.now + dt.timedelta(days=14),
                language="fr",
                clinic=CLINIC,
                documents=[PortalDocument("f.pdf", PDF)],
            )
    finally:
        await client.aclose()
    assert caught.value.code == "400"
    assert "pin_hash" in caught.value.reply
    assert_renders(caught.value)


async def test_portal_down_is_offline() -> None:
    client = PortalClient(f"http://127.0.0.1:{free_port()}", API_TOKEN, timeout=2)
    try:
        for call in (client.probe(), client.events(0), client.revoke(mine(new_token()))):
            with pytest.raises(OfflineError) as caught:
                await call
            assert_renders(caught.value)
    finally:
        await client.aclose()


async def test_a_wrong_token_is_offline_naming_the_variable(portal: RunningPortal) -> None:
    client = PortalClient(
        portal.url, "a-wrong-token-of-the-right-length-0123", token_env="CLINIC_PORTAL_TOKEN"
    )
    try:
        with pytest.raises(OfflineError) as caught:
            await publish(client, portal, new_token())
        assert caught.value.code == "401"
        assert "CLINIC_PORTAL_TOKEN" in str(caught.value)
        assert_renders(caught.value)
        with pytest.raises(OfflineError):
            await client.probe()
    finally:
        await client.aclose()


async def test_no_token_on_either_side_is_offline(start_portal: StartPortal) -> None:
    bare = start_portal(api_token=None)
    client = client_for(bare)
    unset = PortalClient(bare.url, None)
    try:
        with pytest.raises(OfflineError) as on_portal:
            await client.events(0)
        assert on_portal.value.code == "503"
        with pytest.raises(OfflineError) as on_agent:
            await unset.events(0)
        assert "FACTEUR_PORTAL_TOKEN" in str(on_agent.value)
        assert_renders(on_agent.value)
    finally:
        await client.aclose()
        await unset.aclose()


async def test_a_500_is_deferred(portal: RunningPortal, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(portal.services.store, "publish", broken)
    client = client_for(portal)
    try:
        with pytest.raises(DeferredError) as caught:
            await publish(client, portal, new_token())
    finally:
        await client.aclose()
    assert caught.value.code == "500"
    assert "disk full" not in caught.value.reply
    assert_renders(caught.value)


@pytest.fixture
def answering() -> Iterator[tuple[str, list[int]]]:
    """A tiny HTTP server on loopback answering the status last put in the list."""
    statuses = [200]

    async def any_call(request: Request) -> Response:
        status = statuses[-1]
        if status == 200:
            return Response(b"<html>not json</html>", media_type="text/html")
        return JSONResponse({"error": f"status {status}"}, status_code=status)

    app = Starlette(routes=[Route("/{path:path}", any_call, methods=["GET", "PUT", "POST"])])
    server, thread, port = serve_in_thread(app)
    yield f"http://127.0.0.1:{port}", statuses
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (408, DeferredError),
        (429, ThrottledError),  # the portal's api_rate_limit: the channel slows
        (502, DeferredError),
        (503, DeferredError),
        (403, BlockedError),
        (404, RejectedError),
        (422, RejectedError),
    ],
)
async def test_replies_are_sorted_by_status(
    answering: tuple[str, list[int]], status: int, expected: type[DeliveryError]
) -> None:
    url, statuses = answering
    statuses.append(status)
    client = PortalClient(url, API_TOKEN)
    try:
        with pytest.raises(expected) as caught:
            await client.revoke(mine(new_token()))
        assert type(caught.value) is expected
        assert caught.value.code == str(status)  # type: ignore[attr-defined]
        assert_renders(caught.value)
    finally:
        await client.aclose()


async def test_a_short_token_is_a_setting_to_fix(portal: RunningPortal) -> None:
    """A guessable token is refused before it leaves: no request is made with it."""
    for short in ("a", API_TOKEN[:31]):
        client = PortalClient(portal.url, short, token_env="CLINIC_PORTAL_TOKEN")
        try:
            with pytest.raises(BlockedError) as blocked:
                await client.events(0)
            assert "CLINIC_PORTAL_TOKEN" in str(blocked.value) and "32" in str(blocked.value)
            assert_renders(blocked.value)
        finally:
            await client.aclose()


async def test_no_portal_api_at_the_url_is_a_setting_to_fix(answering: tuple[str, list[int]]) -> None:
    """A 404 to a publish is a wrong ``[portal] url`` (every link would meet it), not one link's fault."""
    url, statuses = answering
    statuses.append(404)
    client = PortalClient(url, API_TOKEN)
    try:
        with pytest.raises(BlockedError) as blocked:
            await client.publish(
                token=new_token(),
                link_key="0" * 64,
                pin_hash="x" * 64,
                expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                language="fr",
                clinic=ClinicContact("Clinique", "", "", "", ""),
                documents=[],
            )
        assert blocked.value.code == "404" and "[portal] url" in blocked.value.message
    finally:
        await client.aclose()


async def test_an_unreadable_answer_is_deferred(answering: tuple[str, list[int]]) -> None:
    url, _ = answering
    client = PortalClient(url, API_TOKEN)
    try:
        with pytest.raises(DeferredError):
            await client.events(0)
    finally:
        await client.aclose()


async def test_a_silent_server_is_deferred() -> None:
    """Connected, then no answer: the portal may be busy; try again later, not offline."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    client = PortalClient(f"http://127.0.0.1:{listener.getsockname()[1]}", API_TOKEN, timeout=0.5)
    try:
        with pytest.raises(DeferredError) as caught:
            await client.events(0)
        assert_renders(caught.value)
    finally:
        await client.aclose()
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


async def test_a_probe_says_offline_whatever_went_wrong(answering: tuple[str, list[int]]) -> None:
    url, statuses = answering
    statuses.append(502)
    client = PortalClient(url, API_TOKEN)
    try:
        with pytest.raises(OfflineError) as caught:
            await client.probe()
    finally:
        await client.aclose()
    assert caught.value.code == "502"
    assert_renders(caught.value)
