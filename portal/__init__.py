"""The patient download portal: a small ASGI app (``portal.app.create_app``) run by ``facteur portal``.

It needs no clinic database: the agent publishes each link to its API (``portal.api``)
with the document already encrypted; patients open it with their PIN (``portal.pages``).
"""
