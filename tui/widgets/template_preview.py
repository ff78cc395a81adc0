"""``TemplatePreview``: one language's wording rendered live on an invoice, as the recipient reads it.

It renders in the sandbox (``models.template_render``) on the UI thread: a template is small and
rendering it takes about a millisecond, no database involved (the invoice's values are read
once, by the editor's worker). A template that cannot be rendered shows why, with the line.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from locales import N_
from models.template_fields import FieldValues, field_context
from models.template_render import TemplateProblem, render
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

    def compose(self) -> ComposeResult:
        yield Static("", classes="preview-subject", markup=False)
        yield Static("", classes="preview-body", markup=False)

    def describe(self, source: str) -> None:
        """Say what the preview is on (``source``: "invoice CDP-2026-00042" or "a sample invoice")."""
        self.source = source
        self.border_title = self.session.tr.format(N_("Preview on {source}"), source=source)

    def show(self, subject: str, body: str) -> None:
        tr = self.session.tr
        subject_line, body_text = self.query(Static).results(Static)
        if self.values is None:
            subject_line.update("")
            body_text.update(tr.gettext(N_("Loading…")))
            return
        try:
            rendered = render(subject, body, field_context(self.values, self.language), self.language)
        except TemplateProblem as exc:
            self.add_class("-error")
            subject_line.update("")
            body_text.update(exc.render(tr))
            return
        self.remove_class("-error")
        subject_line.update(tr.format(N_("Subject: {subject}"), subject=rendered.subject))
        body_text.update(rendered.text.rstrip("\n"))
