"""Facteur's domain: the data, the database, and the rules that change them."""

from models.clinic import BillingCompany, Clinic, Staff
from models.invoice import Invoice, InvoiceLine, InvoiceSequence, Payment
from models.links import DownloadLink, PaymentLink
from models.messaging import Notification, OutboxMessage, ScheduledMessage, Template, Transmission
from models.patient import Patient

__all__ = [
    "BillingCompany",
    "Clinic",
    "DownloadLink",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "Notification",
    "OutboxMessage",
    "Patient",
    "Payment",
    "PaymentLink",
    "ScheduledMessage",
    "Staff",
    "Template",
    "Transmission",
]
