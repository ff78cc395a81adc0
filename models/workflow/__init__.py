"""What an invoice's life sets in motion: billing, sending, automatic emails, reminders, Stripe's payments."""
