"""The doors' cost: the TUI ready for input through the SSH door and the sudo door, beside a
plain start of the same install in the same run (``tests/doors`` shows what they let through).

Facteur is installed by ``deploy/install.sh`` as a clinic would (``testbed/doors.py``), with the
demo data, a staff member with an SSH key and a real sshd on loopback. Each start runs in a real
pseudo-terminal until the patient list's first rows are drawn. The goal: each door adds at most
0.3 s. Needs root (users, a sudo rule); says so otherwise.
"""

from __future__ import annotations

from bench.common import Result, limit_row, median
from bench.startup import _time_until
from testbed import doors

MARKER = b"Tremblay"  # the demo's first patient, in the patient list


def run(rounds: int = 9) -> list[Result]:  # 5 left one run at 0.31 s for SSH: sshd varies
    reason = doors.unavailable()
    if reason:
        return [Result("doors", f"skipped: {reason}", float("nan"), "s")]
    install = doors.ClinicInstall()
    try:
        install.install(first_admin=f"{install.owner}-desk")
        staff = install.add_user("desk", staff_group=True)
        install.facteur("db", "init", "--demo")
        key = install.ssh_key(staff)
        install.facteur("staff", "key", staff, "-", stdin=key.read_text())
        install.start_sshd()
        env = {"TERM": "xterm-256color", "LANG": "en_CA.UTF-8", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        as_staff = ["runuser", "-u", staff, "--"]
        plain = [str(install.program), "tui", "--staff", staff]  # root: runs as the owner, no door
        ssh = [*as_staff, *install.ssh_command(key, "-tt")]
        sudo = [*as_staff, str(install.program), "tui"]
        times: dict[str, list[float]] = {"plain": [], "ssh": [], "sudo": []}
        for _ in range(rounds):  # interleaved: a slower moment of the machine weighs on all three
            for name, command in (("plain", plain), ("ssh", ssh), ("sudo", sudo)):
                times[name].append(_time_until(command, MARKER, env))
    finally:
        install.remove()
    base = median(times["plain"])
    return [
        Result("doors", "facteur tui ready, plain start (median s)", base, "s"),
        limit_row(
            "doors",
            "added by the SSH door (median s)",
            median(times["ssh"]) - base,
            "s",
            at_most=0.3,
            baseline=base,
        ),
        limit_row(
            "doors",
            "added by the sudo door (median s)",
            median(times["sudo"]) - base,
            "s",
            at_most=0.3,
            baseline=base,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
