"""``TemplatePreview``: one language's wording rendered live on an invoice, as the recipient reads it.

It renders in the sandbox (``models.messaging.template_render``) in a thread worker: a new source is
compiled by Jinja first (5-20 ms), which would make typing stutter on the UI thread. Only the
latest text's rendering is shown; no database is involved (the invoice's values are read once,
by the editor's worker). A template that cannot be rendered shows why, with the line.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from locales import N_
from models.messaging.template_fields import FieldValues, field_context
from models.messaging.template_render import TemplateProblem, render
from tui.session import StaffSession


class TemplatePreview(VerticalScroll):
    """Shows ``show(subject, body)`` rendered in ``language`` on ``values`` (set once loaded)."""

    DEFAULT_CSS = """
    TemplatePreview { border: round $primary 50%; padding: 0 1; }
    TemplatePreview .preview-subject { text-style: bold; }
    TemplatePreview .preview-body { margin-top: 1; }
    TemplatePreview.-error .preview-body { color: $text-error; }
    """

    def __init__(self, session: StaffSession, language: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.language = language
        self.values: FieldValues | None = None
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
        if self.values is None:
            self._shown(self.token, "", self.session.tr.gettext(N_("Loading…")), error=False)
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

    def _shown(self, token: int, subject: str, body: str, *, error: bool) -> None:
        if token != self.token:
            return  # typed again meanwhile: that text's preview is on its way
        subject_line, body_text = self.query(Static).results(Static)
        self.set_class(error, "-error")
        subject_line.update(subject)
        body_text.update(body)
