"""Who is who: the clinic, its billing companies and staff, and the patients."""
