"""Delivery errors render their reply code where the message shows it."""

from __future__ import annotations

from agent.errors import DeferredError, RejectedError
from locales import N_, translator


def test_a_message_showing_the_code_renders_in_both_languages() -> None:
    exc = RejectedError(N_("the SMTP server refused the user name or password ({code})"), code=535)
    assert exc.render(translator("en")) == "the SMTP server refused the user name or password (535)"
    assert "535" in exc.render(translator("fr")) and exc.code == "535"
    assert "535" in str(exc)


def test_an_error_without_a_code_renders_without_one() -> None:
    exc = DeferredError(N_("the SMTP server replied {code}"))
    assert exc.render(translator("en")) == "the SMTP server replied "
    assert exc.code is None
