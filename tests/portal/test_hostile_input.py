"""Crafted input gets a 4xx, never a 500: a page on the patient's routes, a JSON error on the API;
and no redirect follows the request's ``Host`` header."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from models.messaging.secure_link import new_token
from tests.portal.conftest import PDF, RunningPortal, link_body, publish

FORGED_GRANTS = [
    b"grant=\xb2\xb3.x",  # superscript digits (latin-1 in a header): isdigit() says yes, int() says no
    b"grant=" + b"9" * 5000 + b".x",  # past int()'s 4,300 digits
    b"grant=99999999999." + "é".encode() * 43,  # a non-ASCII MAC: compare_digest() refuses it
    b"grant=.",
    b"grant=" + b"1" * 12 + b"." + b"A" * 43,  # well formed, but not signed by the portal
]


@pytest.mark.parametrize(
    "cookie", FORGED_GRANTS, ids=["superscript", "5000-digits", "non-ascii-mac", "dot", "unsigned"]
)
def test_a_forged_grant_cookie_is_no_grant(portal: RunningPortal, cookie: bytes) -> None:
    link = publish(portal)
    browser = portal.browser()
    page = browser.get(link.path, headers={"cookie": cookie})
    assert page.status_code == 200
    assert 'name="pin"' in page.text  # the PIN page, not the documents
    document = browser.get(f"{link.path}/documents/0", headers={"cookie": cookie})
    assert document.status_code == 303
    assert document.headers["location"] == f"{link.path}?lang=fr"


@pytest.mark.parametrize(
    "slot", ["99999999999999999999999", "9" * 5000, "100", "²", "-1"], ids=["23", "5000", "100", "sup", "neg"]
)
def test_a_document_number_out_of_bounds_is_a_404_page(portal: RunningPortal, slot: str) -> None:
    link = publish(portal)
    browser = portal.browser()
    assert browser.post(link.path, data={"pin": link.pin}).status_code == 200  # with a grant
    response = browser.get(f"{link.path}/documents/{slot}")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_a_missing_document_sends_back_to_the_link(portal: RunningPortal) -> None:
    link = publish(portal)
    browser = portal.browser()
    browser.post(link.path, data={"pin": link.pin})
    response = browser.get(f"{link.path}/documents/9")
    assert response.status_code == 303
    assert response.headers["location"] == f"{link.path}?lang=fr"


def _valid_body(portal: RunningPortal) -> str:
    """A body the portal would take, to spoil."""
    expires_at = portal.clock.now + dt.timedelta(days=14)
    return json.dumps(link_body(new_token(), "482913", [("facture.pdf", PDF)], expires_at=expires_at))


@pytest.mark.parametrize("route", ["put", "post"])
def test_deeply_nested_json_is_a_400(portal: RunningPortal, route: str) -> None:
    for depth in (8, 100_000):  # one past the limit once inside the body's object; far past it
        nested = b"[" * depth + b"]" * depth
        for content in (nested, b'{"pin_hash": ' + nested + b"}", b'{"links": ' + nested + b"}"):
            if content == nested and depth == 8:
                continue  # a list, not too deep: refused as not an object
            response = _send(portal, route, content)
            assert response.status_code == 400, (depth, content[:20], response.text)
            assert "nested more than 8 levels deep" in response.json()["error"]


@pytest.mark.parametrize("route", ["put", "post"])
@pytest.mark.parametrize(
    "number", ["1" * 5000, "1" * 21, "1." + "1" * 5000, "1e" + "9" * 5000], ids=["int", "21", "float", "exp"]
)
def test_a_huge_number_in_the_body_is_a_400(portal: RunningPortal, route: str, number: str) -> None:
    body = _valid_body(portal).replace('"language": "fr"', f'"language": {number}')
    content = body.encode() if route == "put" else b'{"links": [' + body.encode() + b"]}"
    response = _send(portal, route, content)
    assert response.status_code == 400, response.text
    assert "number longer than 20 characters" in response.json()["error"]


def test_nan_is_not_json(portal: RunningPortal) -> None:
    response = _send(portal, "put", b'{"pin_hash": NaN}')
    assert response.status_code == 400
    assert "NaN is not a JSON value" in response.json()["error"]


def _send(portal: RunningPortal, route: str, content: bytes) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if route == "put":
        return portal.api("PUT", "/api/v1/links/" + "a" * 64, content=content, headers=headers)
    return portal.api("POST", "/api/v1/links", content=content, headers=headers)


@pytest.mark.parametrize(
    "query",
    ["limit=²", "limit=٣", "after=²", "after=" + "9" * 5000, "limit=1_0", "limit=+5", "limit= 5"],
    ids=["sup", "arabic", "after-sup", "after-5000", "underscore", "plus", "space"],
)
def test_events_query_numbers_are_ascii_digits(portal: RunningPortal, query: str) -> None:
    response = portal.api("GET", f"/api/v1/events?{query}")
    assert response.status_code == 400
    assert "must be an integer" in response.json()["error"]


@pytest.mark.parametrize("path", ["/l/{token}/", "/static", "/api/v1/health/", "/paid/"])
def test_no_redirect_follows_a_forged_host(portal: RunningPortal, path: str) -> None:
    link = publish(portal)
    response = portal.api("GET", path.format(token=link.token), headers={"host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers


def test_the_download_redirect_is_a_relative_path(portal: RunningPortal) -> None:
    link = publish(portal)
    response = portal.browser().get(f"{link.path}/documents/0", headers={"host": "evil.example"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{link.path}?lang=fr"
