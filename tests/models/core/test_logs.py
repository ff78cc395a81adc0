"""``models.core.logs``: a value cannot forge a log line or hide what a line says."""

from __future__ import annotations

import logging
import sys

import pytest

from models.core.logs import OneLineFormatter, escape_controls


def test_controls_are_escaped_and_french_spacing_is_kept() -> None:
    forged = "a@b.example\r\nINFO facteur.agent: message 9 sent"
    assert escape_controls(forged) == "a@b.example\\r\\nINFO facteur.agent: message 9 sent"
    assert escape_controls("Lucas\u202egnp.exe") == "Lucas\\u202egnp.exe"  # a bidi override
    assert escape_controls("\x1b[31mred") == "\\x1b[31mred"
    french = "envoi impossible\u00a0: facture\u202fno 4"  # non-breaking spaces are text
    assert escape_controls(french) == french


def test_one_event_is_one_line_but_a_traceback_keeps_its_lines(capsys: pytest.CaptureFixture[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("facteur.test-logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("message to %s deferred", "x@y.example\nERROR facteur.agent: forged")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("unexpected")
    finally:
        log.removeHandler(handler)
    lines = capsys.readouterr().err.splitlines()
    assert (
        lines[0] == "WARNING facteur.test-logs: message to x@y.example\\nERROR facteur.agent: forged deferred"
    )
    assert lines[1] == "ERROR facteur.test-logs: unexpected"
    assert lines[2].startswith("Traceback") and lines[-1] == "ValueError: boom"
