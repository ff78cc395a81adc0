"""Templates on a budget: a render that loops or eats memory is refused, naming the part, and the
next render works; the sandbox refuses a huge string before building it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from models.messaging.template_budget import Budget, configure_budget
from models.messaging.template_render import TemplateProblem, check_wording, render

CONTEXT = {"patient_name": "Marie Tremblay", "clinic_name": "Clinique du Parc"}
SEVEN_LOOPS = (
    "{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}"
    "{% for d in 'x' * 1000 %}{% for e in 'x' * 1000 %}{% for f in 'x' * 1000 %}"
    "{% for g in 'x' * 1000 %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
    "{% endfor %}{% endfor %}"
)


@pytest.fixture(autouse=True)
def short_budget() -> Iterator[None]:
    configure_budget(Budget(seconds=1.0, memory_mb=256))
    yield
    configure_budget(Budget())


def test_a_template_that_loops_is_stopped_and_the_next_render_works() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateProblem) as refused:
        render("Facture", "Bonjour " + SEVEN_LOOPS, CONTEXT, "fr")
    assert time.monotonic() - started < 10  # stopped, not run to its end
    assert refused.value.field == "body_fr" and "too long" in str(refused.value)
    assert render("Facture", "Bonjour {{ patient_name }}", CONTEXT, "fr").text == "Bonjour Marie Tremblay\n"


def test_a_template_that_eats_memory_is_stopped() -> None:
    greedy = "{{ ('x' * 1000)|replace('x', 'x' * 1000)|replace('x', 'x' * 1000)|length }}"
    with pytest.raises(TemplateProblem) as refused:
        render("Facture", greedy, CONTEXT, "en")
    assert "memory" in str(refused.value)
    assert render("Invoice", "Hello {{ patient_name }}", CONTEXT, "en").subject == "Invoice"


def test_a_huge_string_is_refused_before_it_is_built() -> None:
    with pytest.raises(TemplateProblem) as refused:
        render("Facture", "{{ ((('x' * 1000) * 1000) * 1000)|length }}", CONTEXT, "fr")
    assert "not allowed" in str(refused.value)


def test_the_save_check_refuses_a_looping_template_naming_the_part() -> None:
    wording = {"subject_fr": "Facture", "body_fr": SEVEN_LOOPS, "subject_en": "Invoice", "body_en": "Hi"}
    (problem,) = check_wording(wording, {"fr": CONTEXT, "en": CONTEXT}, ["fr", "en"])
    assert "too long" in str(problem)


def test_it_renders_under_a_full_screen_app_whose_stderr_has_no_descriptor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Captured:  # what Textual puts in sys.stderr while it runs: fileno() is -1
        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

        def fileno(self) -> int:
            return -1

    configure_budget(Budget())  # a helper yet to start, under the app
    monkeypatch.setattr("sys.stderr", Captured())
    assert render("Facture", "Bonjour {{ patient_name }}", CONTEXT, "fr").text == "Bonjour Marie Tremblay\n"


def test_the_helper_s_start_is_not_the_template_s_time() -> None:
    """A fresh helper (an interpreter importing Jinja2: longer than this budget, more so on a loaded
    machine) still renders a quick template: its clock starts once the helper said it is ready."""
    configure_budget(Budget(seconds=0.05, memory_mb=256))
    try:
        assert (
            render("Facture", "Bonjour {{ patient_name }}", CONTEXT, "fr").text == "Bonjour Marie Tremblay\n"
        )
    finally:
        configure_budget(Budget())
