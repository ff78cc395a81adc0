"""What the agent sends and records: the outbox queue, transmissions, templates and their fields,
schedules, PINs, notices.
"""
