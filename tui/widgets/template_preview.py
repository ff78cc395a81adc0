"""``TemplatePreview``: one language's wording rendered live on an invoice, as the recipient reads it;
``sms_counter`` says what a text costs.

It renders in the sandbox (``models.messaging.template_render``) on the render budget, in a thread
worker: a new source is compiled by Jinja first (5-20 ms), which would make typing stutter on the UI
thread. Only the latest text's rendering is shown; no database is involved (the invoice's values are
read once, by the editor's worker). A template that cannot be rendered shows why, with the line. A
text message's template (``texting``) shows the text as the patient's phone gets it, with a Pay page
address as long as a real one, and posts it (``TextShown``) for the editor's counter.
"""

from __future__ import annotations

from dataclasses import replace

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from locales import N_, Translator
from models.core.errors import ValidationError
from models.messaging.sms_text import MAX_SEGMENTS, count_sms, first_ucs2, too_long
from models.messaging.template_fields import FieldValues, field_context
from models.messaging.template_render import TemplateProblem, render
from models.messaging.text_templates import SAMPLE_PAY_URL, budgeted_text
from tui.session import StaffSession


def sms_counter(text: str, tr: Translator) -> tuple[str, bool]:
    """ "152 characters · 1 SMS (GSM-7)", with the character that forces UCS-2 when one does, and
    whether the text takes more SMS than a template may (``MAX_SEGMENTS``)."""
    count = count_sms(text)
    line = tr.nformat(
        "{count} character · {segments} SMS ({encoding})",
        "{count} characters · {segments} SMS ({encoding})",
        len(text),
        count=len(text),
        segments=count.segments,
        encoding=count.encoding,
    )
    char = first_ucs2(text)
    if char is not None:
        shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
        line = tr.format(N_("{counter}: {char} forces UCS-2"), counter=line, char=shown)
    over = too_long(count)
    if over:
        line = tr.format(N_("{counter}; too long: at most {max} SMS"), counter=line, max=MAX_SEGMENTS)
    return line, over


class TemplatePreview(VerticalScroll):
    """Shows ``show(subject, body)`` rendered in ``language`` on ``values`` (set once loaded)."""

    DEFAULT_CSS = """
    TemplatePreview { border: round $primary 50%; padding: 0 1; }
    TemplatePreview .preview-subject { text-style: bold; }
    TemplatePreview .preview-body { margin-top: 1; }
    TemplatePreview.-texting .preview-body { margin-top: 0; }
    TemplatePreview.-error .preview-body { color: $text-error; }
    """

    class TextShown(Message):
        """A text message's preview was rendered: ``text`` as the phone gets it, or None when the
        wording cannot be rendered (the preview says why)."""

        def __init__(self, preview: TemplatePreview, text: str | None) -> None:
            super().__init__()
            self.preview = preview
            self.text = text

        @property
        def control(self) -> TemplatePreview:
            return self.preview

    def __init__(self, session: StaffSession, language: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.language = language
        self.values: FieldValues | None = None
        self.texting = False  # a text message's template: the body alone, on one line
        self.source = ""
        self.token = 0

    def compose(self) -> ComposeResult:
        yield Static("", classes="preview-subject", markup=False)
        yield Static("", classes="preview-body", markup=False)

    def describe(self, source: str) -> None:
        """Say what the preview is on (``source``: "invoice CDP-2026-00042" or "a sample invoice")."""
        self.source = source
        self.border_title = self.session.tr.format(N_("Preview on {source}"), source=source)

    def show(self, subject: str, body: str) -> None:
        """Render ``subject`` and ``body`` off the UI thread; the latest call's result is shown."""
        self.token += 1
        self.set_class(self.texting, "-texting")
        if self.values is None:
            self._shown(self.token, "", self.session.tr.gettext(N_("Loading…")), error=False)
            return
        if self.texting:
            self.render_text_preview(self.token, replace(self.values, payment_url=SAMPLE_PAY_URL), body)
            return
        self.render_preview(self.token, self.values, subject, body)

    @work(thread=True, exclusive=True, group="template-preview")
    def render_preview(self, token: int, values: FieldValues, subject: str, body: str) -> None:
        tr = self.session.tr
        try:
            rendered = render(subject, body, field_context(values, self.language), self.language, html=False)
        except TemplateProblem as exc:
            self.app.call_from_thread(self._shown, token, "", exc.render(tr), error=True)
            return
        title = tr.format(N_("Subject: {subject}"), subject=rendered.subject)
        self.app.call_from_thread(self._shown, token, title, rendered.text.rstrip("\n"), error=False)

    @work(thread=True, exclusive=True, group="template-preview")
    def render_text_preview(self, token: int, values: FieldValues, body: str) -> None:
        tr = self.session.tr
        try:  # on the render budget, as an email's preview: a looping template costs its helper only
            text = budgeted_text(body, values, self.language)
        except ValidationError as exc:  # a template problem, or over the budget
            self.app.call_from_thread(self._shown, token, "", exc.render(tr), error=True, text=True)
            return
        self.app.call_from_thread(self._shown, token, "", text, error=False, text=True)

    def _shown(self, token: int, subject: str, body: str, *, error: bool, text: bool = False) -> None:
        """Show a rendering unless a newer one is on its way; a text message's is posted too."""
        if token != self.token:
            return  # typed again meanwhile: that text's preview is on its way
        subject_line, body_text = self.query(Static).results(Static)
        self.set_class(error, "-error")
        subject_line.display = bool(subject)
        subject_line.update(subject)
        body_text.update(body)
        if text:
            self.post_message(self.TextShown(self, None if error else body))
