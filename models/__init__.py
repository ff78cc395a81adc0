"""Facteur's domain: the data, the database, and the rules that change them.

Subpackages by idea, each layer importing only those below it (the import-linter ``layers``
contract in ``pyproject.toml``), from the top: ``setup`` (create, upgrade, copy and fill a
database), ``views`` (read models for the screens and the CLI), ``admin`` (settings and
templates), ``workflow`` (what an invoice's life sets in motion), ``links``, ``messaging``,
``billing``, ``people``, ``database`` (the connection and the base model) and ``core`` (errors,
vocabularies, money, validation, the configuration). Nothing connects at import.
"""
