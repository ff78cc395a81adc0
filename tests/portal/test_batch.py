"""``POST /api/v1/links`` on the real portal: many PUTs in one request, each with its own outcome."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.messaging.secure_link import new_token, token_hash
from portal.blobs import BlobStore
from portal.links import LinkStore, Publication
from tests.portal.conftest import PDF, RunningPortal, StartPortal, link_body, publish

REVOKED = "this link was revoked; publish a new link instead"


def entry(
    portal: RunningPortal,
    token: str,
    *,
    pin: str = "482913",
    documents: list[tuple[str, bytes]] | None = None,
    revokes: tuple[str, ...] = (),
) -> dict[str, Any]:
    value = link_body(
        token,
        pin,
        documents or [("facture.pdf", PDF)],
        expires_at=portal.clock.now + dt.timedelta(days=14),
        revokes=revokes,
    )
    return {"token_hash": token_hash(token), **value}


def post(portal: RunningPortal, entries: list[Any]) -> list[dict[str, Any]]:
    response = portal.api("POST", "/api/v1/links", json={"links": entries})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    assert [r["token_hash"] for r in results] == [e["token_hash"] for e in entries]
    return results


def blob_files(portal: RunningPortal) -> set[str]:
    return {path.name for path in (portal.data_dir / "blobs").iterdir()}


def opens(portal: RunningPortal, token: str, pin: str, name: str, content: bytes) -> bool:
    browser = portal.browser()
    page = browser.post(f"/l/{token}", data={"pin": pin})
    return (
        page.status_code == 200
        and name in page.text
        and browser.get(f"/l/{token}/documents/0").content == content
    )


def test_a_batch_of_new_links_publishes_each_as_a_put_would(
    portal: RunningPortal, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = [new_token() for _ in range(4)]
    entries = [
        entry(portal, t, pin=f"48291{i}", documents=[(f"facture-{i}.pdf", PDF + bytes([i]))])
        for i, t in enumerate(tokens)
    ]
    with caplog.at_level(logging.INFO, logger="facteur.portal"):
        results = post(portal, entries)
    assert results == [{"token_hash": token_hash(t), "status": 201} for t in tokens]
    for i, token in enumerate(tokens):
        assert opens(portal, token, f"48291{i}", f"facture-{i}.pdf", PDF + bytes([i]))
    assert len(blob_files(portal)) == 4
    logged = [r.getMessage() for r in caplog.records if r.name == "facteur.portal"]
    for token in tokens:  # one line per link, as PUT logs it
        assert sum(token_hash(token)[:8] in line for line in logged) == 1


def test_a_batch_replaces_one_link_and_creates_others(portal: RunningPortal) -> None:
    old = publish(portal)
    portal.browser().post(old.path, data={"pin": "000000"})  # a wrong PIN: counted, as after a re-PUT
    fresh = new_token()
    results = post(
        portal,
        [
            entry(portal, fresh),
            entry(portal, old.token, pin="135790", documents=[("autre.pdf", PDF + b"%2")]),
        ],
    )
    assert [r["status"] for r in results] == [201, 200]
    assert opens(portal, old.token, "135790", "autre.pdf", PDF + b"%2")
    assert "3 attempts left" in portal.browser().post(old.path, data={"pin": old.pin, "lang": "en"}).text
    assert opens(portal, fresh, "482913", "facture.pdf", PDF)
    assert len(blob_files(portal)) == 2  # the replaced document's file is gone


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"pin_hash": "1234"}, "pin_hash must be 64 lowercase hex digits"),
        ({"language": "de"}, "language must be 'fr' or 'en'"),
        ({"expires_at": "tomorrow"}, "expires_at is not an ISO 8601 time"),
        ({"clinic": "Clinique"}, "clinic must be an object"),
        ({"documents": []}, "documents must be a list of 1 to 10 documents"),
        ({"revokes": ["xyz"]}, "revokes[0] must be an object with token_hash and link_key"),
    ],
)
def test_a_bad_entry_fails_alone_with_the_reason_put_gives(
    portal: RunningPortal, change: dict[str, Any], reason: str
) -> None:
    bad_token, before, after = new_token(), new_token(), new_token()
    bad = {**entry(portal, bad_token), **change}
    put = portal.api("PUT", f"/api/v1/links/{bad['token_hash']}", json=bad)
    assert put.status_code == 400
    assert put.json()["error"] == reason
    results = post(portal, [entry(portal, before), bad, entry(portal, after)])
    assert results[1] == {"token_hash": token_hash(bad_token), "status": 400, "error": reason}
    assert [results[0]["status"], results[2]["status"]] == [201, 201]
    assert opens(portal, before, "482913", "facture.pdf", PDF)
    assert opens(portal, after, "482913", "facture.pdf", PDF)
    assert portal.browser().get(f"/l/{bad_token}").status_code == 404
    assert len(blob_files(portal)) == 2


def test_a_revoked_link_answers_409_and_the_others_publish(portal: RunningPortal) -> None:
    revoked = publish(portal)
    proof = {"link_key": revoked.key}
    assert portal.api("POST", f"/api/v1/links/{revoked.hash}/revoke", json=proof).status_code == 200
    first, last = new_token(), new_token()
    results = post(
        portal,
        [
            entry(portal, first),
            entry(portal, revoked.token, documents=[("a.pdf", PDF), ("b.pdf", PDF)]),
            entry(portal, last),
        ],
    )
    assert results[1] == {"token_hash": revoked.hash, "status": 409, "error": REVOKED}
    assert [results[0]["status"], results[2]["status"]] == [201, 201]
    assert portal.browser().get(revoked.path).status_code == 410
    assert opens(portal, first, "482913", "facture.pdf", PDF)
    assert opens(portal, last, "482913", "facture.pdf", PDF)
    assert len(blob_files(portal)) == 2  # the refused entry's two files were written, then deleted


def test_an_entry_revokes_a_link_published_earlier_in_the_batch(portal: RunningPortal) -> None:
    older, newer, never, late = new_token(), new_token(), new_token(), new_token()
    results = post(
        portal,
        [
            entry(portal, older),
            entry(portal, newer, revokes=(older, never)),
            entry(portal, never),  # revoked by the entry before it, as with PUTs in this order
            entry(portal, late),
        ],
    )
    assert [r["status"] for r in results] == [201, 201, 409, 201]
    assert results[2]["error"] == REVOKED
    assert portal.browser().get(f"/l/{older}").status_code == 410
    assert portal.browser().get(f"/l/{never}").status_code == 410
    assert opens(portal, newer, "482913", "facture.pdf", PDF)
    assert len(blob_files(portal)) == 2  # newer's and late's: older's was deleted with its revocation


def test_a_token_hash_twice_refuses_the_whole_batch(portal: RunningPortal) -> None:
    one, two = new_token(), new_token()
    entries = [entry(portal, one), entry(portal, two), entry(portal, one)]
    response = portal.api("POST", "/api/v1/links", json={"links": entries})
    assert response.status_code == 400
    assert response.json() == {"error": "links[2].token_hash repeats links[0]: send a link once"}
    assert portal.browser().get(f"/l/{one}").status_code == 404
    assert portal.browser().get(f"/l/{two}").status_code == 404
    assert blob_files(portal) == set()


def _bad_batches(portal: RunningPortal) -> list[tuple[Any, str]]:
    good = entry(portal, new_token())
    return [
        ({"links": []}, "links must be a list of 1 to 50 links"),
        ({"links": [entry(portal, new_token()) for _ in range(51)]}, "links must be a list of 1 to 50 links"),
        ({}, "links must be a list of 1 to 50 links"),
        ({"links": good}, "links must be a list of 1 to 50 links"),
        ([good], "the body must be a JSON object"),
        ({"links": [good, "x"]}, "links[1] must be an object"),
        (
            {"links": [{**good, "token_hash": "A" * 64}]},
            "links[0].token_hash must be 64 lowercase hex digits",
        ),
        ({"links": [{k: v for k, v in good.items() if k != "token_hash"}]}, "links[0].token_hash must be"),
        ({"links": [{**good, "token_hash": 7}]}, "links[0].token_hash must be"),
    ]


def test_a_bad_batch_answers_400_and_publishes_nothing(portal: RunningPortal) -> None:
    for bad, reason in _bad_batches(portal):
        response = portal.api("POST", "/api/v1/links", json=bad)
        assert response.status_code == 400, (reason, response.text)
        assert response.json()["error"].startswith(reason)
    for raw in (b"{not json", b"\xff\xfe"):
        not_json = portal.api("POST", "/api/v1/links", content=raw)
        assert not_json.status_code == 400
        assert not_json.json()["error"].startswith("the body is not JSON")
    assert blob_files(portal) == set()


def test_fifty_entries_are_accepted(portal: RunningPortal) -> None:
    results = post(portal, [entry(portal, new_token()) for _ in range(50)])
    assert {r["status"] for r in results} == {201}
    assert len(blob_files(portal)) == 50


def test_a_batch_over_the_body_limit_answers_413(start_portal: StartPortal) -> None:
    portal = start_portal(max_body_bytes=8192)
    token = new_token()
    big = entry(portal, token, documents=[("f.pdf", b"x" * 9000)])
    assert portal.api("POST", "/api/v1/links", json={"links": [big]}).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming too
        yield b'{"links": "'
        for _ in range(10):
            yield b"A" * 1000

    assert portal.api("POST", "/api/v1/links", content=chunks()).status_code == 413
    assert blob_files(portal) == set()
    assert post(portal, [entry(portal, token)])[0]["status"] == 201


def test_an_error_inside_the_transaction_rolls_back_the_batch_and_its_files(
    portal: RunningPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = publish(portal)
    files_before = blob_files(portal)
    first, failing = new_token(), new_token()
    upsert = LinkStore._upsert

    def failing_upsert(self: LinkStore, p: Publication, names: Any, now: dt.datetime) -> Any:
        if p.token_hash == token_hash(failing):
            raise RuntimeError("disk gone")
        return upsert(self, p, names, now)

    monkeypatch.setattr(LinkStore, "_upsert", failing_upsert)
    entries = [
        entry(portal, first, revokes=(kept.token,)),
        entry(portal, failing, documents=[("a.pdf", PDF), ("b.pdf", PDF)]),
    ]
    response = portal.api("POST", "/api/v1/links", json={"links": entries})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    # nothing of the batch stayed: not the first entry, not its revocation, not a file of either
    assert blob_files(portal) == files_before
    assert portal.browser().get(f"/l/{first}").status_code == 404
    assert portal.browser().get(f"/l/{failing}").status_code == 404
    assert opens(portal, kept.token, kept.pin, "facture", PDF)
    monkeypatch.undo()
    assert [r["status"] for r in post(portal, entries)] == [201, 201]
    assert portal.browser().get(kept.path).status_code == 410


def test_write_many_syncs_the_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    names = blobs.write_many([b"one", b"two", b"three"])
    assert len(synced) == 4  # three files, one folder
    assert [blobs.read(n) for n in names] == [b"one", b"two", b"three"]
    assert blobs.write_many([]) == []


def test_write_many_removes_its_files_when_one_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    real_fsync = os.fsync
    calls = 0

    def failing_fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        blobs.write_many([b"one", b"two", b"three"])
    assert list(blobs.root.iterdir()) == []  # not the two written, not the partial third
