"""``testbed/install_postgres.sh``: installs PostgreSQL when it can, otherwise says why without failing."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "testbed" / "install_postgres.sh"


def run(tmp_path: Path, path: str, **extra: object) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "FACTEUR_PG_LIB": str(tmp_path / "none")}  # as if nothing were installed
    return subprocess.run(
        ["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False, **extra
    )


def test_already_installed_is_a_no_op(tmp_path: Path) -> None:
    (tmp_path / "lib" / "15" / "bin").mkdir(parents=True)
    (tmp_path / "lib" / "15" / "bin" / "initdb").touch()
    env = {"PATH": "/usr/bin:/bin", "FACTEUR_PG_LIB": str(tmp_path / "lib")}
    done = subprocess.run(["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_without_apt_get_it_says_why_and_goes_on(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # a PATH with the shell's tools but no apt-get
    bin_dir.mkdir()
    for tool in ("ls", "id"):
        (bin_dir / tool).symlink_to(f"/bin/{tool}" if Path(f"/bin/{tool}").exists() else f"/usr/bin/{tool}")
    done = run(tmp_path, str(bin_dir))
    assert done.returncode == 0
    assert "no apt-get" in done.stderr and "will be skipped" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as another user")
def test_without_root_it_says_why_and_goes_on(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    tmp_path.chmod(0o755)
    done = run(tmp_path, "/usr/sbin:/usr/bin:/sbin:/bin", user=nobody.pw_uid, group=nobody.pw_gid, cwd="/")
    assert done.returncode == 0
    assert "needs root" in done.stderr and "will be skipped" in done.stderr
