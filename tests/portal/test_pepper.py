"""The PIN pepper: a copy of portal.db and one email are not enough to try PINs; the upgrade keeps old
links' PINs; a rotation keeps old links and wraps new ones with the new version; a pepper that
cannot serve the live links stops the portal at its start. Through the store, without a server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from models.core.errors import ConfigError
from models.messaging.secure_link import legacy_link_key, link_key, new_token, pin_hash, token_hash
from portal.app import build_portal
from portal.links import ClinicInfo, EncryptedDocument, LinkProofError, Publication, Revocation
from portal.pepper import read_pepper_file
from portal.pepper_rotation import prune_peppers, rotate_pepper, unused_peppers
from portal.services import Portal, PortalOptions
from portal.storage import close_portal_database
from tests.portal.conftest import START, Clock, portal_options

PIN = "482913"


@pytest.fixture
def options(tmp_path: Path) -> PortalOptions:
    return portal_options(tmp_path / "portal-data")


@contextmanager
def started(options: PortalOptions, now: dt.datetime = START) -> Iterator[Portal]:
    portal = build_portal(options, Clock(now))
    try:
        yield portal
    finally:
        close_portal_database()


def publication(
    token: str, *, days: float = 14, key: str | None = None, revokes: tuple[str, ...] = ()
) -> Publication:
    return Publication(
        token_hash=token_hash(token),
        link_key=key or link_key(token),
        pin_hash=pin_hash(token, PIN),
        expires_at=START + dt.timedelta(days=days),
        language="fr",
        clinic=ClinicInfo("Clinique du Parc"),
        documents=(EncryptedDocument(b"n" * 40, b"c" * 40),),
        revokes=tuple(Revocation(token_hash(t), link_key(t)) for t in revokes),
    )


def opens(portal: Portal, token: str) -> bool:
    outcome = portal.store.check_pin(token, token_hash(token), PIN, START)
    return outcome is not None and outcome.opened


def rows(options: PortalOptions) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(options.data_dir / "portal.db") as connection:
        found = connection.execute("SELECT token_hash, pin_hash, pin_pepper FROM link").fetchall()
    return {row[0]: row[1:] for row in found}


def test_the_stored_hash_cannot_be_recomputed_from_token_and_pin(options: PortalOptions) -> None:
    token = new_token()
    with started(options) as portal:
        portal.store.publish(publication(token), START)
        assert opens(portal, token)
    stored, version = rows(options)[token_hash(token)]
    assert (version, options.pepper_path) == (1, options.data_dir / "pepper")
    assert stored != pin_hash(token, PIN)  # portal.db and the email are not enough
    pepper = read_pepper_file(options.pepper_path).by_version[1]
    assert stored == hmac.new(pepper, pin_hash(token, PIN).encode(), hashlib.sha256).hexdigest()
    assert pepper.hex().encode() not in (options.data_dir / "portal.db").read_bytes()


def test_the_upgrade_wraps_the_hashes_of_live_links_and_their_pins_keep_working(
    options: PortalOptions, tmp_path: Path
) -> None:
    token = new_token()
    with started(options) as portal:
        portal.store.publish(publication(token), START)
        portal.store.publish(publication(new_token(), revokes=(new_token(),)), START)  # and a tombstone
    # the database as a portal before the pepper left it: the agent's hash as is, no pepper file
    with sqlite3.connect(options.data_dir / "portal.db") as connection:
        connection.execute(
            "UPDATE link SET pin_hash = ? WHERE token_hash = ?", (pin_hash(token, PIN), token_hash(token))
        )
        connection.execute("ALTER TABLE link DROP COLUMN pin_pepper")
        connection.execute("ALTER TABLE link DROP COLUMN key_verifier")
        connection.execute("ALTER TABLE link DROP COLUMN revoked_reason")  # schema 7's
        connection.execute("DROP TABLE pepper_check")
        connection.execute("PRAGMA user_version = 1")
    options.pepper_path.unlink()
    with started(options) as portal:
        assert opens(portal, token)  # the PIN the patient holds still opens it
        with pytest.raises(LinkProofError):  # its maker's proof is now the legacy key of its PIN hash
            portal.store.publish(publication(token), START)
        legacy = legacy_link_key(pin_hash(token, PIN))
        assert portal.store.publish(publication(token, key=legacy), START) is False
        assert opens(portal, token)
    assert rows(options)[token_hash(token)][1] == 1
    with started(portal_options(tmp_path / "fresh")):  # the upgraded table is a new one's
        pass
    shapes = []
    for folder in (options.data_dir, tmp_path / "fresh"):
        with sqlite3.connect(folder / "portal.db") as connection:
            shapes.append(sorted(row[1:4] for row in connection.execute("PRAGMA table_info(link)")))
    assert shapes[0] == shapes[1]


def test_a_rotation_keeps_old_links_and_wraps_new_ones_with_the_new_version(options: PortalOptions) -> None:
    old, new = new_token(), new_token()
    with started(options) as portal:
        portal.store.publish(publication(old, days=1), START)
    assert rotate_pepper(options) == 2
    assert options.pepper_path.stat().st_mode & 0o777 == 0o600
    with started(options) as portal:
        portal.store.publish(publication(new), START)
        assert opens(portal, old) and opens(portal, new)
    assert {version for _, version in rows(options).values()} == {1, 2}
    assert prune_peppers(options, START) == []  # the old link is live: its version stays
    assert prune_peppers(options, START + dt.timedelta(days=2)) == [1]  # once it has ended, it goes
    assert read_pepper_file(options.pepper_path).versions == {2}
    with pytest.raises(ConfigError) as missing:  # a live link whose version is gone: refused at the start
        build_portal(options, Clock(START))
    close_portal_database()
    assert "1" in missing.value.params["versions"] and str(options.pepper_path) in str(missing.value)


def test_a_pepper_that_cannot_serve_stops_the_portal_at_its_start(options: PortalOptions) -> None:
    with started(options) as portal:
        portal.store.publish(publication(new_token()), START)
    path = options.pepper_path
    good = path.read_text()
    secret = good.split(":")[1].strip()
    cases: list[tuple[str, int, str]] = [
        ("1:abcd\n", 0o600, "hex digits"),  # too short
        ("one:" + secret + "\n", 0o600, "hex digits"),
        ("", 0o600, "no PIN pepper"),
        (good, 0o644, "chmod 600"),
        (f"1:{'ab' * 32}\n", 0o600, "not the one"),  # made anew by hand: every PIN would be wrong
    ]
    for text, mode, expected in cases:
        path.write_text(text)
        path.chmod(mode)
        with pytest.raises(ConfigError) as caught:
            build_portal(options, Clock(START))
        close_portal_database()
        assert expected in str(caught.value) and str(path) in str(caught.value)
        assert secret not in str(caught.value)
    path.unlink()
    path.mkdir()  # cannot be read as a file
    with pytest.raises(ConfigError, match="cannot be read"):
        build_portal(options, Clock(START))
    close_portal_database()
    path.rmdir()  # missing, while a live link needs it: not made anew
    with pytest.raises(ConfigError, match="versions 1"):
        build_portal(options, Clock(START))
    close_portal_database()
    assert not path.exists()


def test_a_pepper_from_the_environment_is_used_and_no_file_is_made(options: PortalOptions) -> None:
    token = new_token()
    entries = f"1:{'ab' * 32}, 2:{'cd' * 32}"
    with started(PortalOptions(**{**options.__dict__, "pepper": entries})) as portal:
        portal.store.publish(publication(token), START)
        assert opens(portal, token)
    assert not options.pepper_path.exists()
    assert rows(options)[token_hash(token)][1] == 2
    from_env = PortalOptions(**{**options.__dict__, "pepper": entries})
    with pytest.raises(ConfigError, match="FACTEUR_PORTAL_PEPPER"):
        rotate_pepper(from_env)
    assert unused_peppers(from_env, START) == [1]  # to take out of the variable by hand
