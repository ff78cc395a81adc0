"""The email as the bytes that go on the wire, written directly rather than through ``EmailMessage``.

An invoice email always has the same shape: a text and an HTML body (``multipart/alternative``),
and the PDF beside them (``multipart/mixed``) when it is attached. Building an ``EmailMessage``
and flattening it parses and refolds every header through the header registry (a few
milliseconds per message, most of a big drain's time), so this module writes that shape itself:

- headers: plain ASCII values that fit a line are written as they are; anything else (accents,
  long lines) goes through the standard library's folding (``email.policy.SMTP``), cached, since
  the subject and the sender repeat from one message to the next; a recipient's accented name is
  one RFC 2047 encoded word when it fits in one;
- bodies: UTF-8, quoted-printable; the PDF: base64, 76-character lines;
- boundaries start with ``=_``, which neither encoding can produce, so no part can contain one.

Lines end with CRLF. Parse the result with ``email.message_from_bytes(data, policy=policy.default)``
to read it as an ``EmailMessage`` (``agent.compose.Composer.compose`` does, for its callers).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.charset import Charset
from email.utils import encode_rfc2231, formataddr
from functools import lru_cache

CRLF = "\r\n"
MAX_LINE = 78  # RFC 5322's recommended line length, header name included
_SMTP = policy.SMTP  # CRLF line endings, RFC 2047 encoded words for anything beyond ASCII
_UTF8 = Charset("utf-8")
_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    """A composed email: its Message-ID and the whole message (headers and body, CRLF)."""

    message_id: str
    data: bytes


def header(name: str, value: str) -> str:
    """``Name: value`` and its CRLF, folded and encoded as RFC 5322 and RFC 2047 want."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"a line break in the {name} header")
    line = f"{name}: {value}"
    if value.isascii() and len(line) <= MAX_LINE:
        return line + CRLF
    return _folded(name, value)


@lru_cache(maxsize=512)
def _folded(name: str, value: str) -> str:
    # the registry parses the value as its kind of header (address, unstructured) and folds it
    return _SMTP.fold(*_SMTP.header_store_parse(name, value))


def address_header(name: str, display_name: str, address: str) -> str:
    """``To: Marie Côté <marie@example.org>``, encoded; ``address`` must be ASCII (checked by the caller)."""
    if display_name and not display_name.isascii():
        word = _UTF8.header_encode(display_name)
        if len(word) <= 75:  # RFC 2047's longest encoded word: one word, never split inside a name
            line = f"{name}: {word} <{address}>"
            return line + CRLF if len(line) <= MAX_LINE else f"{name}: {word}{CRLF} <{address}>{CRLF}"
        return _folded(name, formataddr((display_name, address)))
    return header(name, formataddr((display_name, address)))


def quoted_printable(text: str) -> bytes:
    """``text`` as UTF-8 quoted-printable with CRLF line ends (soft breaks keep lines under 77)."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


def _boundary() -> str:
    return "=_" + secrets.token_hex(12)


def _text_part(subtype: str, text: str) -> bytes:
    head = f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: quoted-printable'
    return (head + CRLF + CRLF).encode("ascii") + quoted_printable(text)


def _attachment_part(attachment: Attachment) -> bytes:
    if _FILENAME.fullmatch(attachment.filename):
        disposition = f'attachment; filename="{attachment.filename}"'
    else:  # RFC 2231: any characters, percent-encoded
        disposition = f"attachment; filename*={encode_rfc2231(attachment.filename, 'utf-8')}"
    head = (
        f"Content-Type: {attachment.maintype}/{attachment.subtype}{CRLF}"
        f"Content-Disposition: {disposition}{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
    )
    return head.encode("ascii") + base64.encodebytes(attachment.content).replace(b"\n", b"\r\n")


def _multipart(subtype: str, parts: Sequence[bytes]) -> tuple[str, bytes]:
    """The ``Content-Type`` value and the body of a multipart holding ``parts``."""
    boundary = _boundary()
    delimiter = f"--{boundary}{CRLF}".encode("ascii")
    # the line break before a delimiter belongs to the delimiter: one more keeps a part's last one
    body = b"".join(delimiter + part + b"\r\n" for part in parts)
    return f'multipart/{subtype}; boundary="{boundary}"', body + f"--{boundary}--{CRLF}".encode("ascii")


def build_email(headers: str, text: str, html: str, attachments: Sequence[Attachment] = ()) -> bytes:
    """The whole message: ``headers`` (already folded lines, see ``header``), then the bodies and
    the attachments."""
    content_type, body = _multipart("alternative", [_text_part("plain", text), _text_part("html", html)])
    if attachments:
        alternative = f"Content-Type: {content_type}{CRLF}{CRLF}".encode("ascii") + body
        content_type, body = _multipart(
            "mixed", [alternative, *(_attachment_part(item) for item in attachments)]
        )
    top = f"MIME-Version: 1.0{CRLF}Content-Type: {content_type}{CRLF}{CRLF}"
    return headers.encode("ascii") + top.encode("ascii") + body
