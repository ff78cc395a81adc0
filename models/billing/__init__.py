"""Invoices: their lines and totals, gapless numbers, billing, payments, voiding."""
