"""The QR codes an invoice PDF prints, as SVG images the page embeds (``data:`` URIs): the pay code
to the invoice's Pay page (segno) and the Swiss QR-bill's payment part (qrbill).

Both are vectors: sharp at any print resolution, a few kilobytes, and what PDF/A-3b takes as
drawing (no image with transparency to flatten). The payment part's words are in Arial, which
the system's fonts stand in for (Liberation Sans, as SIX allows), embedded like the page's own.
"""

from __future__ import annotations

import base64
import io

from models.billing.swiss_bill import SwissBill


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def pay_code_svg(url: str) -> str:
    """``url`` as a QR code (error correction M, the quiet zone of four modules) in an SVG whose
    size the page sets."""
    import segno

    code = segno.make_qr(url, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, svgns=True, border=4, omitsize=True, dark="#000000")
    return out.getvalue().decode("utf-8")


def swiss_bill_svg(bill: SwissBill) -> str:
    """The QR-bill's payment part and receipt at the foot of an A4 page, with "separate before
    paying in" above its perforation line, as qrbill draws it."""
    from qrbill import QRBill

    out = io.StringIO()
    QRBill(**bill.qrbill_arguments()).as_svg(out, full_page=True)
    return out.getvalue()


def swiss_bill_payload(bill: SwissBill) -> str:
    """The text the payment part's QR code carries (SIX's Swiss Payments Code)."""
    from qrbill import QRBill

    return str(QRBill(**bill.qrbill_arguments()).qr_data())
