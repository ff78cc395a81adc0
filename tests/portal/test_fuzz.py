"""Random input to the patient's routes and the API's JSON bodies: never a 500."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.conftest import RunningPortal, publish

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# what a path segment, a query value or a cookie can carry, other scripts' digits included
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture
def fuzzed(portal: RunningPortal) -> tuple[RunningPortal, str]:
    return portal, publish(portal).path


@FUZZ
@given(segment=text, slot=text, lang=text, cookie=header_text, pin=text)
def test_the_patient_routes_never_answer_500(
    fuzzed: tuple[RunningPortal, str], segment: str, slot: str, lang: str, cookie: str, pin: str
) -> None:
    portal, path = fuzzed
    cookie = cookie.strip(" \t")  # httpx refuses to send a header with a space at either end
    headers = {"cookie": f"grant={cookie}".encode("latin-1"), "accept-language": cookie.encode("latin-1")}
    with portal.browser() as browser:
        responses = [
            browser.get(f"/l/{quote(segment, safe='')}", params={"lang": lang}, headers=headers),
            browser.get(f"{path}/documents/{quote(slot, safe='')}", params={"lang": lang}, headers=headers),
            browser.post(path, data={"pin": pin, "lang": lang}, headers=headers),
        ]
    for response in responses:
        assert response.status_code < 500, (response.request.url, response.status_code)


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["link_key", "pin_hash", "expires_at", "language", "clinic", "documents", "revokes", "links", "x"]
        ),
        json_values,
        max_size=6,
    )
)
def test_the_api_never_answers_500_to_a_json_body(
    fuzzed: tuple[RunningPortal, str], body: dict[str, Any]
) -> None:
    portal, _ = fuzzed
    content = json.dumps(body).encode()
    for method, path in (("PUT", "/api/v1/links/" + "a" * 64), ("POST", "/api/v1/links")):
        response = portal.api(method, path, content=content, headers={"content-type": "application/json"})
        assert response.status_code < 500, (method, body, response.text)
