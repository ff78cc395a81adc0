"""``facteur tax``: a company's taxes listed, added, ended and loaded from presets; ``invoice show
--json`` gives each tax of an invoice."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import Cli, Invoices, act_as, as_json, demo, failed, ok, show

__all__ = ["demo"]  # the fixture, used by name


def test_the_demo_companies_have_quebec_s_gst_and_qst(cli: Cli, demo: Invoices) -> None:
    taxes = as_json(cli("tax", "list", "--company", "cdp", "--json"))
    assert [(t["code"], t["name_fr"], t["rate"], t["registration"]) for t in taxes] == [
        ("GST", "TPS", "5", "123456789 RT0001"),
        ("QST", "TVQ", "9.975", "1234567890 TQ0001"),
    ]
    text = ok(cli("tax", "list"))
    assert "GST" in text and "PPL" in text and "9.975 %" in text


def test_invoice_show_json_lists_each_tax_with_its_base(cli: Cli, demo: Invoices) -> None:
    taxed = [show(cli, i["number"]) for i in demo if i["status"] == "billed" and i["tax_cents"]]
    assert taxed
    for detail in taxed:
        taxes = detail["taxes"]
        assert [t["code"] for t in taxes] == ["GST", "QST"]
        assert {"name", "rate", "base_cents", "tax_cents", "registration"} <= set(taxes[0])
        assert sum(t["tax_cents"] for t in taxes) == detail["tax_cents"]
        named = [line for line in detail["lines"] if line["tax_codes"]]
        assert all(t["base_cents"] == sum(line["subtotal_cents"] for line in named) for t in taxes)
        language = "en" if detail["billed_to_language"] == "en" else "fr"
        assert taxes[0]["name"] == {"fr": "TPS", "en": "GST"}[language]
        assert [t["rate"] for t in taxes] == ["5", "9.975"]


def test_an_admin_adds_ends_and_loads_taxes(cli: Cli, demo: Invoices) -> None:
    assert "GST already applies from … to …" in failed(
        cli(
            "tax",
            "add",
            "--company",
            "CDP",
            "--code",
            "gst",
            "--name-fr",
            "TPS",
            "--name-en",
            "GST",
            "--rate",
            "5",
        )
    )
    assert "between 0 and 100" in failed(
        cli(
            "tax",
            "add",
            "--company",
            "CDP",
            "--code",
            "X",
            "--name-fr",
            "X",
            "--name-en",
            "X",
            "--rate",
            "120",
        )
    )
    assert "name the billing company" in failed(cli("tax", "preset", "on"))
    pst = as_json(
        cli(
            "tax", "add", "--company", "PPL", "--code", "pst", "--name-fr", "TVP", "--name-en", "PST",
            "--rate", "7", "--from", "2026-01-01", "--not-on-new-lines", "--json",
        )
    )  # fmt: skip
    assert (pst["code"], pst["valid_from"], pst["on_new_lines"], pst["registration"]) == (
        "PST",
        "2026-01-01",
        False,
        None,
    )
    assert "until 2026-12-31" in ok(cli("tax", "end", str(pst["id"]), "2026-12-31"))
    assert "cannot end before it starts" in failed(cli("tax", "end", str(pst["id"]), "2025-12-31"))
    added = as_json(cli("tax", "preset", "ch", "--company", "PPL", "--json"))
    assert [(t["code"], t["rate"]) for t in added] == [
        ("VAT", "7.7"),
        ("VAT", "8.1"),
        ("VAT-RED", "2.5"),
        ("VAT-RED", "2.6"),
        ("VAT-ACC", "3.7"),
        ("VAT-ACC", "3.8"),
    ]
    assert "nothing was added" in ok(cli("tax", "preset", "ch", "--company", "PPL"))
    on_new_year = as_json(cli("tax", "list", "--company", "PPL", "--on", "2024-01-01", "--json"))
    assert {t["code"]: t["rate"] for t in on_new_year} == {
        "GST": "5",
        "QST": "9.975",
        "VAT": "8.1",
        "VAT-RED": "2.6",
        "VAT-ACC": "3.8",
    }
    assert "invalid choice" in failed(cli("tax", "preset", "xx", "--company", "PPL"), code=2)


@pytest.mark.sqlite_only  # who may change taxes is the CLI's rule, whatever the database
def test_only_admins_change_taxes(cli: Cli, demo: Invoices, monkeypatch: pytest.MonkeyPatch) -> None:
    act_as(monkeypatch, "dr.roy")  # the demo's provider, who also bills
    assert len(as_json(cli("tax", "list", "--json"))) == 4  # codes billing staff type on lines
    assert "admin role" in failed(cli("tax", "preset", "on", "--company", "PPL"))
    assert "admin role" in failed(
        cli(
            "tax", "add", "--company", "PPL", "--code", "X", "--name-fr", "X", "--name-en", "X", "--rate", "1"
        )
    )
