"""Plain aligned text tables for the CLI's human output."""

from __future__ import annotations

from collections.abc import Sequence

from cli.context import Context


def print_table(
    ctx: Context, headers: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()
) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    ctx.print(line(headers))
    ctx.print("  ".join("-" * w for w in widths))
    for row in rows:
        ctx.print(line(row))
