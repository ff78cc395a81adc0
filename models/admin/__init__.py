"""What admins change: the clinic's settings, staff, and the email templates."""
