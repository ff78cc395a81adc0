"""A clinic's history at scale: ``fill_history`` writes 100,000 invoices for 20,000 patients
(or fewer) straight into SQLite, for the History tests and the TUI benchmark."""

from __future__ import annotations

import peewee

INVOICES = 100_000
PATIENTS = 20_000


def fill_history(
    database: peewee.Database, company_id: int, invoices: int = INVOICES, patients: int = PATIENTS
) -> None:
    """``patients`` patients (NomN Prenom) and ``invoices`` invoices, generated inside SQLite (a second
    or so for 100,000): invoice i is CDP-2025-000000i, issued 2023-01-01 + i // 100 days."""
    database.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO patient (last_name, first_name, search_name, receive_reminders, receive_statements, "
        "consent_email_attachments, consent_sms, email_withdrawn, created_at, updated_at) "
        "SELECT 'Nom' || i, 'Prenom', 'nom' || i || ' prenom', 1, 0, 0, 0, 0, '2026-01-01', '2026-01-01' "
        "FROM n",
        (patients,),
    )
    database.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO invoice (number, billing_company_id, patient_id, third_party, billed_to_name, status, "
        "currency, issue_date, subtotal_cents, tax_cents, total_cents, paid_cents, credited_cents, version, "
        "created_at, updated_at) "
        "SELECT 'CDP-2025-' || substr('0000000' || i, -7), ?, 1 + (i * 7919) % ?, 0, 'X', "
        "CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'billed' WHEN 2 THEN 'void' ELSE 'billed' END, 'CAD', "
        "date('2023-01-01', '+' || (i / 100) || ' days'), i % 50000, 0, i % 50000, 0, 0, 1, "
        "'2026-01-01', '2026-01-01' FROM n",
        (invoices, company_id, patients),
    )
    database.execute_sql("ANALYZE")
