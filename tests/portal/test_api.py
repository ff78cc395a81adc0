"""The agent's API on the real portal: auth, bodies, limits, upsert, revoke, events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.messaging.secure_link import event_tag, new_token, pin_hash, token_hash
from tests.portal.conftest import PDF, RunningPortal, StartPortal, link_body, publish

ENDPOINTS = [
    ("GET", "/api/v1/health"),
    ("PUT", f"/api/v1/links/{'a' * 64}"),
    ("POST", "/api/v1/links"),
    ("POST", f"/api/v1/links/{'a' * 64}/revoke"),
    ("GET", "/api/v1/events"),
]


def body(portal: RunningPortal, token: str, **changes: Any) -> dict[str, Any]:
    value = link_body(token, "482913", [("f.pdf", PDF)], expires_at=portal.clock.now + dt.timedelta(days=14))
    value.update(changes)
    return value


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_configured_answers_503(start_portal: StartPortal, method: str, path: str) -> None:
    portal = start_portal(api_token=None)
    response = portal.api(method, path, json={})
    assert response.status_code == 503
    assert "FACTEUR_PORTAL_TOKEN" in response.json()["error"]
    assert response.json()["code"] == "api_token_not_configured"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_wrong_or_missing_token_answers_401(portal: RunningPortal, method: str, path: str) -> None:
    wrong = portal.http.request(method, path, headers={"Authorization": "Bearer nope"}, json={})
    assert wrong.status_code == 401
    assert portal.http.request(method, path, json={}).status_code == 401
    basic = portal.http.request(method, path, headers={"Authorization": "Basic eDp5"}, json={})
    assert basic.status_code == 401


def test_health(portal: RunningPortal) -> None:
    response = portal.api("GET", "/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def _bad_bodies(portal: RunningPortal, token: str) -> list[tuple[Any, str]]:
    now = portal.clock.now
    good = body(portal, token)
    clinic = good["clinic"]
    document = good["documents"][0]
    return [
        ({**good, "link_key": "xyz"}, "link_key"),
        ({**good, "pin_hash": "1234"}, "pin_hash"),
        ({**good, "pin_hash": None}, "pin_hash"),
        ({**good, "expires_at": "tomorrow"}, "expires_at"),
        ({**good, "expires_at": "2026-12-06T15:30:00"}, "time zone"),
        ({**good, "expires_at": (now - dt.timedelta(seconds=1)).isoformat()}, "past"),
        ({**good, "expires_at": (now + dt.timedelta(days=32)).isoformat()}, "31 days"),
        ({**good, "language": "de"}, "language"),
        ({**good, "clinic": "Clinique"}, "clinic"),
        ({**good, "clinic": {**clinic, "name": " "}}, "clinic.name"),
        ({**good, "clinic": {**clinic, "timezone": "Mars/Olympus"}}, "clinic.timezone"),
        ({**good, "clinic": {**clinic, "country": "CAN"}}, "clinic.country"),
        ({**good, "documents": []}, "documents"),
        ({**good, "documents": [document] * 11}, "documents"),
        ({**good, "documents": [{**document, "content": "not base64!"}]}, "base64"),
        ({**good, "documents": [{**document, "content": "AAAA"}]}, "too short"),
        ({**good, "documents": [{**document, "name": None}]}, "documents[0].name"),
        ({**good, "revokes": ["xyz"]}, "revokes"),
        ({**good, "revokes": "a" * 64}, "revokes"),
        ({**good, "revokes": [{"token_hash": "a" * 64}]}, "revokes[0].link_key"),
        ([good], "object"),
    ]


def test_bad_bodies_answer_400_with_the_reason(portal: RunningPortal) -> None:
    token = new_token()
    for bad, reason in _bad_bodies(portal, token):
        response = portal.api("PUT", f"/api/v1/links/{token_hash(token)}", json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert reason in response.json()["error"]
    not_json = portal.api("PUT", f"/api/v1/links/{token_hash(token)}", content=b"{not json")
    assert not_json.status_code == 400
    assert "JSON" in not_json.json()["error"]
    for path_hash in ("A" * 64, "a" * 63, "zz" * 32):
        response = portal.api("PUT", f"/api/v1/links/{path_hash}", json=body(portal, token))
        assert response.status_code == 400
    # nothing was stored by any of them
    assert portal.browser().get(f"/l/{token}").status_code == 404


def test_a_body_over_the_limit_answers_413(start_portal: StartPortal) -> None:
    portal = start_portal(max_body_bytes=4096)
    token = new_token()
    big = body(portal, token)
    big["documents"] = link_body(token, "1", [("f.pdf", b"x" * 8000)], expires_at=portal.clock.now)[
        "documents"
    ]
    path = f"/api/v1/links/{token_hash(token)}"
    assert portal.api("PUT", path, json=big).status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming too
        yield b'{"documents": "'
        for _ in range(10):
            yield b"A" * 1000

    streamed = portal.api("PUT", path, content=chunks())
    assert streamed.status_code == 413
    assert portal.api("PUT", path, json=body(portal, token)).status_code == 201


def test_a_re_put_replaces_but_keeps_the_attempts_and_the_lock(portal: RunningPortal) -> None:
    link = publish(portal)
    for _ in range(2):
        portal.browser().post(link.path, data={"pin": "000000", "lang": "en"})
    again = publish(portal, token=link.token, expect=200)
    assert again.token == link.token
    page = portal.browser().post(link.path, data={"pin": "000000", "lang": "en"})
    assert "2 attempts left" in page.text
    # a re-PUT with another PIN and documents: the old PIN no longer opens it
    publish(portal, token=link.token, pin="135790", documents=[("autre.pdf", PDF + b"%2")], expect=200)
    assert "1 attempt left" in portal.browser().post(link.path, data={"pin": link.pin, "lang": "en"}).text
    browser = portal.browser()
    opened = browser.post(link.path, data={"pin": "135790"})
    assert "autre.pdf" in opened.text
    assert "facture" not in opened.text
    assert browser.get(f"{link.path}/documents/0").content == PDF + b"%2"
    portal.browser().post(link.path, data={"pin": "000000"})  # the fifth
    publish(portal, token=link.token, expect=200)
    assert portal.browser().post(link.path, data={"pin": link.pin}).status_code == 403


def test_a_re_put_ends_the_grants_of_the_old_pin(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    browser.post(link.path, data={"pin": link.pin})
    publish(portal, token=link.token, pin="135790", expect=200)
    assert browser.get(f"{link.path}/documents/0").status_code == 303


def test_put_on_a_revoked_link_answers_409(portal: RunningPortal) -> None:
    link = publish(portal)
    proof = {"link_key": link.key}
    assert portal.api("POST", f"/api/v1/links/{link.hash}/revoke", json=proof).status_code == 200
    assert portal.api("POST", f"/api/v1/links/{link.hash}/revoke").status_code == 200  # again: fine
    publish(portal, token=link.token, expect=409)
    # revoked through a resend, even before it was ever published: it cannot come back later
    never_published = new_token()
    publish(portal, revokes=(never_published,))
    publish(portal, token=never_published, expect=409)
    assert portal.browser().get(f"/l/{never_published}").status_code == 410


def test_revoking_an_unknown_link_answers_404(portal: RunningPortal) -> None:
    response = portal.api("POST", f"/api/v1/links/{'b' * 64}/revoke")
    assert response.status_code == 404
    assert response.json() == {"error": "no such link"}


def test_a_revoked_link_loses_its_documents_at_once(portal: RunningPortal) -> None:
    link = publish(portal)
    blobs = portal.data_dir / "blobs"
    assert len(list(blobs.iterdir())) == 1
    portal.api("POST", f"/api/v1/links/{link.hash}/revoke", json={"link_key": link.key})
    assert list(blobs.iterdir()) == []


def test_events_page_by_id(portal: RunningPortal) -> None:
    links = [publish(portal) for _ in range(3)]
    for link in links:
        browser = portal.browser()
        browser.post(link.path, data={"pin": link.pin})
        browser.get(f"{link.path}/documents/0")
    portal.browser().post(links[0].path, data={"pin": "000000"})  # wrong: no event until the lock
    first = portal.api("GET", "/api/v1/events", params={"after": 0, "limit": 4}).json()
    assert [e["id"] for e in first["events"]] == [1, 2, 3, 4]
    assert first["last"] == 4
    assert first["events"][0] == {  # the link named by a tag the agent maps back, never its hash
        "id": 1,
        "tag": event_tag(links[0].hash),
        "kind": "opened",
        "document": None,
        "at": "2026-11-22T15:00:00Z",
    }
    everything = portal.api("GET", "/api/v1/events").text
    assert not any(link.hash in everything or link.key in everything for link in links)
    assert first["events"][1]["kind"] == "downloaded"
    assert first["events"][1]["document"] == 0
    rest = portal.api("GET", "/api/v1/events", params={"after": first["last"], "limit": 4}).json()
    assert [e["id"] for e in rest["events"]] == [5, 6]
    assert rest["last"] == 6
    empty = portal.api("GET", "/api/v1/events", params={"after": 6}).json()
    assert empty == {"events": [], "last": 6}
    for bad in ({"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "x"}):
        assert portal.api("GET", "/api/v1/events", params=bad).status_code == 400


def test_unknown_api_paths_and_methods_answer_json(portal: RunningPortal) -> None:
    missing = portal.api("GET", "/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such endpoint"}
    wrong_method = portal.api("DELETE", f"/api/v1/links/{'a' * 64}")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()


def test_the_pin_hash_given_is_the_one_checked(portal: RunningPortal) -> None:
    token = new_token()
    given = body(portal, token, pin_hash=pin_hash(token, "ZX-4471-Q"))
    assert portal.api("PUT", f"/api/v1/links/{token_hash(token)}", json=given).status_code == 201
    assert portal.browser().post(f"/l/{token}", data={"pin": "zx4471q"}).status_code == 200


def test_the_api_has_a_rate_limit_of_its_own(start_portal: StartPortal) -> None:
    portal = start_portal(rate_limit=2, api_rate_limit=60)
    assert [portal.api("GET", "/api/v1/health").status_code for _ in range(60)] == [200] * 60
    limited = portal.api("GET", "/api/v1/events")
    assert limited.status_code == 429
    assert limited.json()["error"].startswith("too many requests")
    assert limited.headers["retry-after"] == "1"
    assert portal.http.get("/api/v1/health").status_code == 429  # counted before the token is checked
    portal.monotonic.now += 1  # a second: one request back
    assert portal.api("GET", "/api/v1/health").status_code == 200
    assert portal.api("GET", "/api/v1/health").status_code == 429
    assert portal.browser().get(f"/l/{new_token()}").status_code == 404  # the pages' budget is theirs
