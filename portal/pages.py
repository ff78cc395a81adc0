"""The patient's pages: the PIN form, the documents, the PDF, and the pages that say why not.

- ``GET /l/{token}``: the PIN page in the link's language (``?lang=`` switches); with a
  valid grant, the documents page directly (the language switch and the back button);
- ``POST /l/{token}``: the PIN; right: the documents page and a grant cookie; wrong: the
  PIN page with the attempts left; the fifth wrong one locks the link;
- ``GET /l/{token}/documents/{slot}``: the decrypted PDF, with a valid grant only.

Nothing about the documents shows before the right PIN; an unknown token gets a 404
page that says nothing more.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from locales import N_, normalize_language
from models.messaging.secure_link import LinkDecryptError, decrypt, document_aad, token_hash
from portal.grants import COOKIE_NAME, GRANT_SECONDS
from portal.links import LinkState, LinkView, PinOutcome
from portal.render import PageContext, accepted_language, page_context
from portal.services import Portal, log_tr, services

log = logging.getLogger("facteur.portal")

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
SLOT_PATTERN = re.compile(r"[0-9]{1,2}")  # a link holds at most 10; ASCII digits, as int() takes others too
MAX_FORM_BYTES = 4096


def request_language(request: Request, fallback: str | None = None) -> str:
    """``?lang=``, else ``fallback`` (the link's), else the browser's, else French."""
    return (
        normalize_language(request.query_params.get("lang"))
        or normalize_language(fallback)
        or accepted_language(request.headers.get("accept-language"))
        or "fr"
    )


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def context(request: Request, language: str, view: LinkView | None, *, switch: bool = True) -> PageContext:
    options = services(request).options
    return page_context(
        language,
        root=_root(request),
        switch_path=_root(request) + request.url.path if switch else None,
        clinic=view.clinic if view else None,
        default_timezone=options.default_timezone,
        default_country=options.default_country,
    )


def message_page(ctx: PageContext, title: str, paragraphs: list[str], status: int) -> Response:
    return ctx.render("message.html", status, title=title, paragraphs=paragraphs)


NOT_FOUND_TEXT = N_(
    "This address does not lead to any document. Check that you used the whole link from your email."
)
REPLACED_TEXT = N_("{clinic} sent you a newer link to these documents: use the one in the most recent email.")
REVOKED_TEXT = N_("{clinic} revoked this link. Contact the clinic if you still need these documents.")
LOCKED_TEXT = N_(
    "The PIN was typed wrong too many times, so this link no longer opens, even with the right PIN."
)


def not_found_page(request: Request) -> Response:
    ctx = context(request, request_language(request), None)
    tr = ctx.tr
    return message_page(ctx, tr.gettext(N_("Page not found")), [tr.gettext(NOT_FOUND_TEXT)], 404)


async def pay_cancelled_page(request: Request) -> Response:
    """Where Stripe Checkout's back arrow takes the patient: nothing was charged."""
    ctx = context(request, request_language(request), None)
    tr = ctx.tr
    return message_page(
        ctx,
        tr.gettext(N_("No payment was made")),
        [
            tr.gettext(N_("You left the payment page before paying: nothing was charged.")),
            tr.gettext(N_("You can pay later with the button in the email, while it is valid.")),
        ],
        200,
    )


def too_many_requests_page(request: Request, retry_after: int) -> Response:
    ctx = context(request, request_language(request), None, switch=False)
    tr = ctx.tr
    response = message_page(
        ctx,
        tr.gettext(N_("Too many attempts")),
        [tr.gettext(N_("Please wait a minute, then try again."))],
        429,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def error_page(request: Request, status: int = 500) -> Response:
    ctx = context(request, request_language(request), None, switch=False)
    tr = ctx.tr
    if status == 400:
        title = tr.gettext(N_("This request could not be read"))
        text = tr.gettext(N_("Go back to the link in your email and try again."))
    else:
        title = tr.gettext(N_("Something went wrong"))
        text = tr.gettext(N_("Try again in a few minutes. If it keeps happening, contact the clinic."))
    return message_page(ctx, title, [text], status)


async def _find(request: Request) -> tuple[Portal, str, str, LinkView | None]:
    portal = services(request)
    token = request.path_params["token"]
    if not TOKEN_PATTERN.fullmatch(token):
        return portal, token, "", None
    th = token_hash(token)
    return portal, token, th, await run_in_threadpool(portal.store.find, th, portal.now())


async def _closed_page(request: Request, portal: Portal, view: LinkView, language: str) -> Response:
    """The page of a link that does not open: replaced, revoked by the clinic, expired or locked; each
    ends with the clinic's phone and email (``base.html``)."""
    ctx = context(request, language, view)
    tr, clinic = ctx.tr, view.clinic.name
    contact = tr.format(N_("To receive a new link, contact {clinic}."), clinic=clinic)
    if view.state is LinkState.REVOKED:
        title = tr.gettext(N_("This link was replaced"))
        text = [
            tr.format(REPLACED_TEXT, clinic=clinic),
            tr.format(N_("If you cannot find it, contact {clinic}."), clinic=clinic),
        ]
        return message_page(ctx, title, text, 410)
    if view.state is LinkState.REVOKED_BY_CLINIC:
        title = tr.gettext(N_("This link was revoked"))
        return message_page(ctx, title, [tr.format(REVOKED_TEXT, clinic=clinic)], 410)
    if view.state is LinkState.EXPIRED:
        await run_in_threadpool(portal.store.note_expired_visit, view.token_hash, portal.now())
        title = tr.gettext(N_("This link has expired"))
        ended = ctx.format_expiry(view.expires_at)
        until = tr.format(N_("This link stopped working on {date}, for your security."), date=ended)
        return message_page(ctx, title, [until, contact], 410)
    return message_page(ctx, tr.gettext(N_("This link is locked")), [tr.gettext(LOCKED_TEXT), contact], 403)


def _pin_page(
    request: Request, view: LinkView, token: str, language: str, error: str | None = None
) -> Response:
    ctx = context(request, language, view)
    return ctx.render(
        "pin.html",
        title=ctx.tr.gettext(N_("Your documents")),
        action=f"{_root(request)}/l/{token}",
        error=error,
        expiry=ctx.format_expiry(view.expires_at),
    )


def _documents_page(request: Request, view: LinkView, token: str, language: str) -> Response:
    ctx = context(request, language, view)
    documents = []
    for document in view.documents:
        try:
            name = decrypt(token, document.name, document_aad(view.token_hash, document.slot, "name"))
            shown = name.decode("utf-8")
        except (LinkDecryptError, UnicodeDecodeError):
            log.warning(
                log_tr().format(
                    N_("a document name of link {link}… does not decrypt"), link=view.token_hash[:8]
                )
            )
            shown = f"document-{document.slot + 1}.pdf"
        documents.append(
            {
                "slot": document.slot,
                "name": shown,
                "size": ctx.format_size(max(0, document.size - 28)),  # nonce and tag are not the PDF's
                "url": f"{_root(request)}/l/{token}/documents/{document.slot}?lang={language}",
            }
        )
    return ctx.render(
        "documents.html",
        title=ctx.tr.gettext(N_("Your documents")),
        documents=documents,
        grant_minutes=GRANT_SECONDS // 60,
        expiry=ctx.format_expiry(view.expires_at),
    )


def _has_grant(request: Request, portal: Portal, view: LinkView) -> bool:
    value = request.cookies.get(COOKIE_NAME)
    return portal.grants.valid(value, view.token_hash, view.pin_hash, portal.now().timestamp())


async def link_page(request: Request) -> Response:
    portal, token, _, view = await _find(request)
    if view is None:
        return not_found_page(request)
    language = request_language(request, view.language)
    if view.state is not LinkState.OPEN:
        return await _closed_page(request, portal, view, language)
    if _has_grant(request, portal, view):
        return _documents_page(request, view, token, language)
    return _pin_page(request, view, token, language)


async def _read_form(request: Request) -> dict[str, str] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in parsed.items()}


async def submit_pin(request: Request) -> Response:
    portal, token, th, view = await _find(request)
    if view is None:
        return not_found_page(request)
    form = await _read_form(request)
    if form is None:
        return error_page(request, 400)
    language = normalize_language(form.get("lang")) or request_language(request, view.language)
    if view.state is not LinkState.OPEN:
        return await _closed_page(request, portal, view, language)
    pin = form.get("pin", "")
    if not pin.strip():
        return _pin_page(
            request, view, token, language, context(request, language, view).tr.gettext(N_("Type your PIN."))
        )
    outcome = await run_in_threadpool(portal.store.check_pin, token, th, pin, portal.now())
    if outcome is None:
        return not_found_page(request)
    return await _pin_outcome_page(request, portal, token, language, outcome)


async def _pin_outcome_page(
    request: Request, portal: Portal, token: str, language: str, outcome: PinOutcome
) -> Response:
    """Right: the documents and a grant; wrong: the PIN page with the attempts left; else why not."""
    view = outcome.link
    if outcome.opened:
        response = _documents_page(request, view, token, language)
        response.set_cookie(
            COOKIE_NAME,
            portal.grants.issue(view.token_hash, view.pin_hash, portal.now().timestamp()),
            max_age=GRANT_SECONDS,
            path=f"{_root(request)}/l/{token}",
            secure=portal.options.secure_cookies,
            httponly=True,
            samesite="strict",
        )
        return response
    if outcome.state is not LinkState.OPEN:
        return await _closed_page(request, portal, view, language)
    error = context(request, language, view).tr.nformat(
        "This is not the right PIN. {n} attempt left before the link locks.",
        "This is not the right PIN. {n} attempts left before the link locks.",
        outcome.attempts_left,
    )
    return _pin_page(request, view, token, language, error)


def _attachment(filename: str) -> str:
    """A ``Content-Disposition`` for ``filename``: an ASCII fallback and the UTF-8 original."""
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch not in '/\\"') or "document.pdf"
    ascii_name = cleaned.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


async def download(request: Request) -> Response:
    portal, token, th, view = await _find(request)
    slot_text = request.path_params["slot"]
    if view is None or not SLOT_PATTERN.fullmatch(slot_text):
        return not_found_page(request)
    language = request_language(request, view.language)
    back = f"{_root(request)}/l/{token}?lang={language}"
    if view.state is not LinkState.OPEN or not _has_grant(request, portal, view):
        return RedirectResponse(back, status_code=303)
    slot = int(slot_text)
    found = await run_in_threadpool(portal.store.document_blob, th, slot, portal.now())
    if found is None:
        return RedirectResponse(back, status_code=303)
    current, blob = found
    try:
        content = decrypt(token, blob, document_aad(th, slot, "content"))
        names = {d.slot: d.name for d in current.documents}
        filename = decrypt(token, names[slot], document_aad(th, slot, "name")).decode("utf-8")
    except (LinkDecryptError, KeyError, UnicodeDecodeError):
        log.error(
            log_tr().format(N_("document {slot} of link {link}… does not decrypt"), slot=slot, link=th[:8])
        )
        return error_page(request, 500)
    await run_in_threadpool(portal.store.note_download, th, slot, portal.now())
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": _attachment(filename)},
    )
