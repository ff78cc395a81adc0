"""The link secrets: hashes keyed by the token, documents that only the token opens."""

from __future__ import annotations

import pytest

from models.messaging import secure_link as sl


def test_tokens_are_long_random_and_hashed() -> None:
    tokens = {sl.new_token() for _ in range(200)}
    assert len(tokens) == 200
    token = tokens.pop()
    assert len(token) >= 43  # 256 bits in URL-safe base64
    assert sl.token_hash(token) == sl.token_hash(token) and token not in sl.token_hash(token)
    assert len(sl.token_hash(token)) == 64


def test_pins_have_six_digits_and_cover_the_range() -> None:
    pins = [sl.new_pin() for _ in range(2000)]
    assert all(len(p) == 6 and p.isdigit() for p in pins)
    assert len({p[0] for p in pins}) == 10  # leading zeros kept, every first digit drawn


def test_pin_hash_depends_on_the_token_and_ignores_spacing() -> None:
    token, other = sl.new_token(), sl.new_token()
    stored = sl.pin_hash(token, "123456")
    assert sl.pin_matches(token, "123 456", stored)
    assert sl.pin_matches(token, "123-456", stored)
    assert not sl.pin_matches(token, "123457", stored)
    assert not sl.pin_matches(other, "123456", stored)
    assert "123456" not in stored
    assert sl.pin_matches(token, "ab12cd", sl.pin_hash(token, "AB12CD"))


def test_documents_open_only_with_their_token_and_place() -> None:
    token = sl.new_token()
    digest = sl.token_hash(token)
    blob = sl.encrypt(token, b"%PDF-1.7 invoice", sl.document_aad(digest, 0))
    assert b"invoice" not in blob
    assert sl.decrypt(token, blob, sl.document_aad(digest, 0)) == b"%PDF-1.7 invoice"
    with pytest.raises(sl.LinkDecryptError):
        sl.decrypt(sl.new_token(), blob, sl.document_aad(digest, 0))
    with pytest.raises(sl.LinkDecryptError):
        sl.decrypt(token, blob, sl.document_aad(digest, 1))
    with pytest.raises(sl.LinkDecryptError):
        sl.decrypt(token, blob[:-1] + bytes([blob[-1] ^ 1]), sl.document_aad(digest, 0))
    with pytest.raises(sl.LinkDecryptError):
        sl.decrypt(token, b"short", sl.document_aad(digest, 0))


def test_the_link_key_proves_the_token_and_opens_nothing() -> None:
    token = sl.new_token()
    key = sl.link_key(token)
    assert key == sl.link_key(token) and len(key) == 64 and key != sl.link_key(sl.new_token())
    verifier = sl.link_key_verifier(key)
    assert sl.link_key_matches(key, verifier) and not sl.link_key_matches(
        sl.link_key(sl.new_token()), verifier
    )
    assert key not in (sl.token_hash(token), sl.pin_hash(token, "123456"), verifier)
    legacy = sl.legacy_link_key(sl.pin_hash(token, "123456"))
    assert legacy != key and sl.link_key_matches(legacy, sl.link_key_verifier(legacy))


def test_the_event_tag_is_not_the_hash_the_api_takes() -> None:
    digest = sl.token_hash(sl.new_token())
    tag = sl.event_tag(digest)
    assert tag == sl.event_tag(digest) and tag != digest and len(tag) == 64
