"""Argument types whose complaints are localized like every other CLI message."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date

from locales import N_, Translator


def command_group(commands: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """``facteur NAME ACTION …``: a command whose actions are required subcommands."""
    group = commands.add_parser(name, help=help)
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=type(group))
    actions.required = True
    return actions


def iso_date(tr: Translator) -> Callable[[str], date]:
    def parse(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                tr.format(N_("{value} is not a date (YYYY-MM-DD)"), value=text)
            ) from None

    return parse


def count(tr: Translator, maximum: int = 10_000_000) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) > maximum:
            raise argparse.ArgumentTypeError(
                tr.format(N_("{value} is not a whole number between 0 and {max}"), value=text, max=maximum)
            )
        return int(text)

    return parse
