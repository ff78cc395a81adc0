"""``PortalClient``: publications made together go in one ``POST /api/v1/links``, each with its own
outcome; an older portal (no batch endpoint) gets one PUT per link."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.channels.portal import ClinicContact, PortalClient, PortalDocument
from agent.errors import DeferredError, RejectedError, ReplacedError, ThrottledError
from models.links.download_links import LinkToRevoke
from models.messaging.outbox import Reply
from models.messaging.secure_link import link_key, new_token, pin_hash, token_hash
from tests.portal.conftest import API_TOKEN, PDF, RunningPortal, serve_in_thread

CLINIC = ClinicContact("Clinique du Parc", "+15145550100", "accueil@cliniqueduparc.example")
NOW = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)


def requests_of(client: PortalClient) -> list[str]:
    """Every request ``client`` makes from now on, as ``METHOD path``."""
    seen: list[str] = []
    http = client._http
    send = http.request

    async def record(method: str, url: str, **kwargs: Any) -> httpx.Response:
        seen.append(f"{method} {httpx.URL(http.base_url + url).path}")
        return await send(method, url, **kwargs)

    http.request = record  # type: ignore[method-assign]
    return seen


async def publish(client: PortalClient, token: str, now: dt.datetime = NOW) -> Reply:
    return await client.publish(
        token=token,
        link_key=link_key(token),
        pin_hash=pin_hash(token, "482913"),
        expires_at=now + dt.timedelta(days=14),
        language="fr",
        clinic=CLINIC,
        documents=[PortalDocument("facture.pdf", PDF)],
    )


async def publish_together(client: PortalClient, tokens: list[str], now: dt.datetime = NOW) -> list[object]:
    return list(await asyncio.gather(*(publish(client, t, now) for t in tokens), return_exceptions=True))


async def test_links_published_together_share_requests_and_each_opens(portal: RunningPortal) -> None:
    client = PortalClient(portal.url, API_TOKEN)
    seen = requests_of(client)
    tokens = [new_token() for _ in range(12)]
    try:
        replies = await publish_together(client, tokens, portal.clock.now)
    finally:
        await client.aclose()
    assert [(r.code, r.provider_id) for r in replies] == [("201", token_hash(t)) for t in tokens]  # type: ignore[attr-defined]
    assert seen == ["POST /api/v1/links"]  # twelve links, one request
    for token in (tokens[0], tokens[-1]):
        browser = portal.browser()
        assert "facture.pdf" in browser.post(f"/l/{token}", data={"pin": "482913"}).text
        assert browser.get(f"/l/{token}/documents/0").content == PDF


async def test_a_link_alone_goes_by_put_and_a_replaced_one_says_so(portal: RunningPortal) -> None:
    client = PortalClient(portal.url, API_TOKEN)
    seen = requests_of(client)
    token, other = new_token(), new_token()
    try:
        assert (await publish(client, token, portal.clock.now)).code == "201"
        replies = await publish_together(client, [token, other], portal.clock.now)
    finally:
        await client.aclose()
    assert [r.code for r in replies] == ["200", "201"]  # type: ignore[attr-defined]
    assert seen == [f"PUT /api/v1/links/{token_hash(token)}", "POST /api/v1/links"]


async def test_in_a_batch_a_revoked_link_is_refused_alone(portal: RunningPortal) -> None:
    client = PortalClient(portal.url, API_TOKEN)
    revoked, fine = new_token(), [new_token(), new_token()]
    try:
        await publish(client, revoked, portal.clock.now)
        await client.revoke(LinkToRevoke(token_hash(revoked), link_key(revoked)))
        outcomes = await publish_together(client, [fine[0], revoked, fine[1]], portal.clock.now)
    finally:
        await client.aclose()
    refused = outcomes[1]
    assert isinstance(refused, ReplacedError) and refused.code == "409"  # a newer send replaced it
    assert "revoked" in refused.reply
    assert [o.code for o in (outcomes[0], outcomes[2])] == ["201", "201"]  # type: ignore[attr-defined]


async def test_a_cancelled_caller_leaves_the_others_their_answers(portal: RunningPortal) -> None:
    client = PortalClient(portal.url, API_TOKEN)
    tokens = [new_token() for _ in range(3)]
    try:
        tasks = [asyncio.create_task(publish(client, t, portal.clock.now)) for t in tokens]
        await asyncio.sleep(0)
        tasks[1].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await client.aclose()
    assert isinstance(done[1], asyncio.CancelledError)
    assert [done[0].code, done[2].code] == ["201", "201"]  # type: ignore[union-attr]


@dataclass
class FakePortal:
    """A portal on loopback answering the batch endpoint with ``batch`` (a status, or a JSON body
    with 200), every PUT with 201; ``calls`` records ``METHOD path``."""

    batch: int | dict[str, object] = 404
    calls: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def fake_portal() -> Iterator[FakePortal]:
    fake = FakePortal()

    async def links(request: Request) -> Response:
        fake.calls.append("POST /api/v1/links")
        if isinstance(fake.batch, dict):
            return JSONResponse(fake.batch)
        return JSONResponse({"error": f"status {fake.batch}"}, status_code=fake.batch)

    async def put(request: Request) -> Response:
        fake.calls.append("PUT")
        json.loads(await request.body())
        return JSONResponse({"created": True}, status_code=201)

    app = Starlette(
        routes=[
            Route("/api/v1/links", links, methods=["POST"]),
            Route("/api/v1/links/{token_hash}", put, methods=["PUT"]),
        ]
    )
    server, thread, port = serve_in_thread(app)
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("status", [404, 405])
async def test_an_older_portal_gets_one_put_per_link(fake_portal: FakePortal, status: int) -> None:
    fake_portal.batch = status
    client = PortalClient(fake_portal.url, API_TOKEN)
    try:
        first = await publish_together(client, [new_token() for _ in range(3)])
        second = await publish_together(client, [new_token() for _ in range(2)])
    finally:
        await client.aclose()
    assert [r.code for r in first + second] == ["201"] * 5  # type: ignore[attr-defined]
    assert fake_portal.calls == ["POST /api/v1/links"] + ["PUT"] * 5  # asked once, then PUT only
    assert client.batches is False


async def test_a_batch_over_the_portals_limit_goes_link_by_link(fake_portal: FakePortal) -> None:
    fake_portal.batch = 413
    client = PortalClient(fake_portal.url, API_TOKEN)
    try:
        replies = await publish_together(client, [new_token() for _ in range(3)])
    finally:
        await client.aclose()
    assert [r.code for r in replies] == ["201"] * 3  # type: ignore[attr-defined]
    assert fake_portal.calls == ["POST /api/v1/links", "PUT", "PUT", "PUT"]
    assert client.batches is True  # a smaller batch may pass next time


@pytest.mark.parametrize(
    "answer",
    [503, 500, 429, {"results": []}, {"nothing": True}],
    ids=["503", "500", "429", "too-few-results", "no-results"],
)
async def test_a_batch_the_portal_did_not_take_is_deferred_for_each_link(
    fake_portal: FakePortal, answer: int | dict[str, object]
) -> None:
    fake_portal.batch = answer
    client = PortalClient(fake_portal.url, API_TOKEN)
    try:
        outcomes = await publish_together(client, [new_token() for _ in range(3)])
    finally:
        await client.aclose()
    assert all(isinstance(o, DeferredError) for o in outcomes), outcomes
    assert all(isinstance(o, ThrottledError) == (answer == 429) for o in outcomes), outcomes
    assert fake_portal.calls == ["POST /api/v1/links"]


async def test_results_that_do_not_match_their_links_are_deferred(fake_portal: FakePortal) -> None:
    tokens = [new_token() for _ in range(2)]
    fake_portal.batch = {
        "results": [
            {"token_hash": token_hash(tokens[1]), "status": 201},
            {"token_hash": token_hash(tokens[1]), "status": 201},
        ]
    }
    client = PortalClient(fake_portal.url, API_TOKEN)
    try:
        outcomes = await publish_together(client, tokens)
    finally:
        await client.aclose()
    assert isinstance(outcomes[0], DeferredError)
    assert isinstance(outcomes[1], Reply) and outcomes[1].code == "201"


async def test_a_bad_link_in_a_batch_is_rejected_with_the_portals_reason(fake_portal: FakePortal) -> None:
    tokens = [new_token() for _ in range(3)]
    proof_refused = {"status": 403, "error": "link_key does not prove it", "code": "link_proof_refused"}
    fake_portal.batch = {
        "results": [
            {"token_hash": token_hash(tokens[0]), "status": 400, "error": "expires_at is in the past"},
            {"token_hash": token_hash(tokens[1]), "status": 200},
            {"token_hash": token_hash(tokens[2]), **proof_refused},
        ]
    }
    client = PortalClient(fake_portal.url, API_TOKEN)
    try:
        outcomes = await publish_together(client, tokens)
    finally:
        await client.aclose()
    refused = outcomes[0]
    assert isinstance(refused, RejectedError) and refused.code == "400"
    assert refused.reply == "expires_at is in the past"
    assert isinstance(outcomes[1], Reply) and outcomes[1].code == "200"
    assert isinstance(outcomes[2], RejectedError) and outcomes[2].code == "403"  # that link alone fails


async def test_the_same_link_twice_goes_in_two_requests(portal: RunningPortal) -> None:
    """The portal refuses a batch naming a link twice: the client never sends one."""
    client = PortalClient(portal.url, API_TOKEN)
    seen = requests_of(client)
    token, other = new_token(), new_token()
    try:
        replies = await publish_together(client, [other, token, token], portal.clock.now)
    finally:
        await client.aclose()
    assert [r.code for r in replies] == ["201", "201", "200"]  # type: ignore[attr-defined]
    assert seen == ["POST /api/v1/links", f"PUT /api/v1/links/{token_hash(token)}"]
