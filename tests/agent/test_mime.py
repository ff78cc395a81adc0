"""The email written as bytes: what any mail reader parses out of it is exactly what was put in."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest

from agent.mime import Attachment, address_header, build_email, header

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line ends with CRLF, no bare LF or CR
    return data[:-2].split(b"\r\n")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Subject", "Clinique du Parc"),
        ("Subject", "Clinique Santé Plus — Montréal"),
        ("Subject", "Clinique du Parc — facture CDP-2026-00042, " * 4),  # long: folded
        ("Message-ID", "<177.facteur.42@clinique.example>"),
        ("Content-Language", "fr"),
    ],
)
def test_a_header_reads_back_as_given_on_short_ascii_lines(name: str, value: str) -> None:
    text = header(name, value)
    for line in lines(text.encode("ascii")):
        assert len(line) <= 78
    assert parse(text.encode("ascii") + b"\r\n")[name] == value


def test_a_header_refuses_a_line_break() -> None:
    with pytest.raises(ValueError, match="line break"):
        header("Subject", "Clinique\r\nBcc: everyone@example.org")


@pytest.mark.parametrize(
    "display_name",
    [
        "Marie Tremblay",
        "Marie-Ève Côté-Bélanger",
        "Côté, Marie (Jr.)",  # specials inside an encoded word
        'Dre "Julie" Roy',
        "Émilie " * 15,  # too long for one encoded word
        "",
    ],
)
def test_an_address_reads_back_with_its_display_name(display_name: str) -> None:
    text = address_header("To", display_name, "marie.tremblay@example.org")
    for line in lines(text.encode("ascii")):
        assert len(line) <= 78 or display_name.isascii()
    to = parse(text.encode("ascii") + b"\r\n")["To"]
    (address,) = to.addresses
    assert address.addr_spec == "marie.tremblay@example.org"
    if display_name.isascii():
        assert address.display_name == display_name
    else:  # as RFC 2047 readers join encoded words (Python's address parser puts spaces between them)
        phrase = text.partition(": ")[2].rpartition("<")[0].replace("\r\n", "")
        assert str(make_header(decode_header(phrase))).strip() == display_name.strip()


TEXT = (
    "Bonjour Marie Tremblay,\n\n"
    ".a line starting with a dot\n"
    "trailing spaces   \n" + "Montant dû : 1\u00a0234,56\u00a0$ " * 8 + "\n\n--=_not a boundary\n"
)
HTML = '<html lang="fr"><body><p>Bonjour Marie, montant dû : 85,00 $</p></body></html>'


def test_bodies_and_attachment_read_back_exactly() -> None:
    headers = header("Subject", "Clinique du Parc") + address_header("To", "Marie Côté", "m@example.org")
    data = build_email(headers, TEXT, HTML, [Attachment("facture-CDP-2026-00042.pdf", PDF)])
    assert all(len(line) <= 78 for line in lines(data))
    email = parse(data)
    assert email.get_content_type() == "multipart/mixed"
    assert email["MIME-Version"] == "1.0"
    assert email.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT  # type: ignore[union-attr]
    assert email.get_body(("html",)).get_content().rstrip("\r\n") == HTML  # type: ignore[union-attr]
    (attachment,) = email.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"  # type: ignore[attr-defined]
    assert attachment.get_filename() == "facture-CDP-2026-00042.pdf"  # type: ignore[attr-defined]
    assert attachment.get_content() == PDF  # type: ignore[attr-defined]
    assert not email.defects and all(not part.defects for part in email.walk())


def test_without_attachment_the_message_is_the_two_bodies() -> None:
    email = parse(build_email(header("Subject", "x"), "Bonjour\n", "<p>Bonjour</p>"))
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    assert email.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Bonjour\n"  # type: ignore[union-attr]


def test_a_file_name_beyond_plain_letters_is_encoded() -> None:
    email = parse(build_email("", "x", "<p>x</p>", [Attachment('facture "été" 2026.pdf', PDF)]))
    (attachment,) = email.iter_attachments()
    assert attachment.get_filename() == 'facture "été" 2026.pdf'  # type: ignore[attr-defined]


def test_each_message_has_its_own_boundaries() -> None:
    first, second = (build_email("", "x", "<p>x</p>", [Attachment("a.pdf", PDF)]) for _ in range(2))
    assert parse(first).get_boundary() != parse(second).get_boundary()
