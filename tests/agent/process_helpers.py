"""Run ``facteur agent`` as a process against a config written for the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import peewee

CONCURRENCY = 4


def write_config(tmp_path: Path, database: peewee.Database, port: int, **agent: object) -> Path:
    settings = {
        "concurrency": CONCURRENCY,
        "poll_seconds": 0.2,
        "retry_base_seconds": 0.05,
        "cache_dir": '"pdf-cache"',  # beside the config: the PDF cache is shared by restarts
        **agent,
    }
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items())
    config = tmp_path / "agent.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{database.database}"\n'
        f'[email]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
        f'from_address = "facturation@clinique.example"\n[agent]\n{lines}\n',
        encoding="utf-8",
    )
    return config


def start_agent(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTEUR_CONFIG": str(config), "FACTEUR_LANG": "en"}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "facteur"), "agent", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
