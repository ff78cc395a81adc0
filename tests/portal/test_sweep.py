"""Housekeeping: expired links lose their documents (the row stays to say so), orphans and old events go."""

from __future__ import annotations

import os
import time

from portal.storage import Document, Event, Link
from tests.portal.conftest import Clock, RunningPortal, StartPortal, publish


def blob_files(portal: RunningPortal) -> set[str]:
    return {path.name for path in (portal.data_dir / "blobs").iterdir()}


def test_the_sweep_deletes_expired_documents_and_keeps_the_row(portal: RunningPortal) -> None:
    short = publish(portal, days=1, documents=[("a.pdf", b"%PDF-a" * 10), ("b.pdf", b"%PDF-b" * 10)])
    long = publish(portal, days=14)
    assert len(blob_files(portal)) == 3
    store = portal.services.store
    assert store.sweep(portal.clock.now) == 0
    portal.clock.advance(days=1)
    assert store.sweep(portal.clock.now) == 1
    assert len(blob_files(portal)) == 1
    row = Link.get(Link.token_hash == short.hash)
    assert row.swept_at == portal.clock.now
    assert Document.select().where(Document.link == row).count() == 0
    page = portal.browser().get(short.path)
    assert page.status_code == 410
    assert "Ce lien a expiré" in page.text
    assert portal.browser().post(long.path, data={"pin": long.pin}).status_code == 200
    assert store.sweep(portal.clock.now) == 0  # done once


def test_the_sweep_runs_by_itself(start_portal: StartPortal) -> None:
    clock = Clock()
    portal = start_portal(clock=clock, sweep_seconds=0.05)
    publish(portal, days=1)
    clock.advance(days=1, seconds=1)
    deadline = time.monotonic() + 5
    while blob_files(portal) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert blob_files(portal) == set()


def test_orphan_files_go_once_old(portal: RunningPortal) -> None:
    publish(portal)
    blobs = portal.data_dir / "blobs"
    old, fresh = blobs / "0123abcd.bin", blobs / "4567ef00.bin.partial"
    old.write_bytes(b"left by a crash")
    fresh.write_bytes(b"a publish in flight")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    portal.services.store.sweep(portal.clock.now)
    names = blob_files(portal)
    assert "0123abcd.bin" not in names
    assert "4567ef00.bin.partial" in names
    assert len(names) == 2  # the published one stays


def test_old_events_are_pruned_and_ids_never_come_back(portal: RunningPortal) -> None:
    link = publish(portal, days=30)
    for _ in range(3):
        portal.browser().post(link.path, data={"pin": link.pin})
    last = portal.api("GET", "/api/v1/events").json()["last"]
    assert last == 3
    portal.clock.advance(days=91)
    portal.services.store.sweep(portal.clock.now)
    assert Event.select().count() == 0
    assert portal.api("GET", "/api/v1/events", params={"after": last}).json() == {"events": [], "last": 3}
    again = publish(portal)
    portal.browser().post(again.path, data={"pin": again.pin})
    events = portal.api("GET", "/api/v1/events", params={"after": last}).json()
    assert [e["id"] for e in events["events"]] == [4]
