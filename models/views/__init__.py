"""Read models for the screens and the CLI: History, an invoice's detail, the outbox and scheduled lists,
JSON records.
"""
