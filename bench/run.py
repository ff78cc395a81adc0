"""``make bench``: every benchmark in its own process, one table, and the table as JSON.

    python -m bench.run [--only drain,pdf] [--json var/bench.json] [--quick]

Each figure is a ratio to a baseline measured in the same run (these machines are shared and
noisy), or an absolute ceiling where the goal is one (startup, memory). Exit 1 when a goal fails.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT

# name -> (module, full-size arguments, quick arguments)
BENCHES: dict[str, tuple[str, dict[str, int], dict[str, int]]] = {
    "backlog": ("bench.backlog", {"count": 5000}, {"count": 400}),
    "send": ("bench.send_to_accepted", {"sends": 10}, {"sends": 3}),
    "pace": (
        "bench.pace",
        {"count": 1000, "per_minute": 30, "learning": 120, "learning_per_minute": 60},
        {"count": 40, "per_minute": 600, "learning": 40, "learning_per_minute": 600},
    ),
    "pdf": ("bench.pdf", {"count": 200}, {"count": 40}),
    "tui": ("bench.tui", {}, {"invoices": 20_000, "patients": 4_000}),
    "contention": ("bench.contention", {"count": 2000}, {"count": 300}),
    "memory": ("bench.memory", {"count": 10_000}, {"count": 1000}),
    "startup": ("bench.startup", {}, {"rounds": 2}),
    "doors": ("bench.doors", {}, {"rounds": 2}),
    "pay": ("bench.pay", {"clicks": 20}, {"clicks": 5}),
}


def run_one(name: str, quick: bool) -> list[dict[str, Any]]:
    module, full, small = BENCHES[name]
    arguments = small if quick else full
    code = (
        "import json, importlib, sys\n"
        f"rows = importlib.import_module({module!r}).run(**{arguments!r})\n"
        "print('BENCH-JSON ' + json.dumps([row.as_dict() for row in rows]))\n"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return list(json.loads(line.removeprefix("BENCH-JSON ")))
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    return [
        {
            "bench": name,
            "figure": "did not finish",
            "value": float("nan"),
            "unit": "",
            "baseline": None,
            "ratio": None,
            "goal": "runs",
            "ok": False,
            "error": " | ".join(tail),
        }
    ]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "n/a"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def table(rows: list[dict[str, Any]]) -> str:
    header = ("bench", "figure", "value", "baseline", "ratio", "goal", "ok")
    lines = [
        (
            row["bench"],
            row["figure"],
            _number(row["value"], row["unit"]),
            _number(row.get("baseline"), row["unit"]),
            "" if row.get("ratio") is None else f"{row['ratio']:.2f}",
            row.get("goal", ""),
            {True: "yes", False: "NO", None: "-"}[row.get("ok")],
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = [" | ".join(str(cell).ljust(width) for cell, width in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * width for width in widths))
    out += [
        " | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines
    ]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHES))
    parser.add_argument("--json", default="var/bench.json", help="where to write the table as JSON")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the benchmarks run")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name] or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(unknown)}")
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        rows += run_one(name, args.quick)
        print(f"{name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print(table(rows))
    errors = [row for row in rows if row.get("error")]
    for row in errors:
        print(f"{row['bench']}: {row['error']}", file=sys.stderr)
    target = Path(args.json)
    target.parent.mkdir(parents=True, exist_ok=True)
    report = {"seconds": round(time.perf_counter() - started, 1), "quick": args.quick, "rows": rows}
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\n{len(rows)} figures in {report['seconds']:.0f} s, written to {target}")
    return 0 if all(row.get("ok") is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
