"""Links handed to patients: secure download links and Stripe payment links, with what the portal and
Stripe report back.
"""
