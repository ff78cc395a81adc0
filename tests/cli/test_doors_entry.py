"""Who acts, by which door: ``cli.doors`` decided from the install file, the uid and sudo's and
sshd's variables (the real users, sudo and sshd are in tests/doors), and the SSH door's keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import UsageError, build_parser, doors, ssh_door
from locales import translator
from models.core.errors import ConfigError, ValidationError

OWNER_UID = 990


def through(argv: list[str]) -> doors.Entry:
    """The entry for ``argv``, checked on the words as the CLI's parser reads them."""
    entry = doors.enter(argv)
    doors.check_parsed(entry, build_parser(translator("en")).parse_args(entry.argv))
    return entry


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> doors.Installation:
    """An install owned by uid 990, this process running as that owner."""
    install = doors.Installation(tmp_path, "facteur", tmp_path / "facteur.toml", "facteur-staff")
    monkeypatch.setattr(doors, "installation", lambda: install)
    monkeypatch.setattr(doors.Installation, "owner_uid", property(lambda self: OWNER_UID))
    monkeypatch.setattr(doors.os, "geteuid", lambda: OWNER_UID)
    monkeypatch.setattr(doors, "kernel_login", lambda: "facteur")
    for name in ("SUDO_USER", "SSH_CONNECTION", "SSH_ORIGINAL_COMMAND", "FACTEUR_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return install


def test_the_owner_is_the_system_and_sudo_names_a_staff_member(
    installed: doors.Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = doors.enter(["agent"])
    assert (owner.login, owner.door, owner.system, owner.config) == ("facteur", None, True, installed.config)
    monkeypatch.setenv("SUDO_USER", "alice")
    staff = doors.enter(["invoice", "list"])
    assert (staff.login, staff.door, staff.system) == ("alice", doors.SUDO, False)
    refused = (
        ["agent"],
        ["db", "migrate"],
        ["backup", "x.db"],
        ["--config", "x.toml", "patient", "list"],
        ["--config=x.toml", "tui"],
    )
    for argv in refused:
        with pytest.raises(doors.DoorRefused):
            through(argv)
    with pytest.raises(doors.DoorRefused, match="SSH door"):
        through(["tui", "--staff", "claire"])
    for abbreviated in (["--conf", "x.toml", "db", "copy", "a", "b"], ["tui", "--sta", "claire"]):
        with pytest.raises(UsageError):  # argparse takes no prefix of an option for the option
            through(abbreviated)


def test_the_ssh_door_runs_the_asked_command_as_words_never_a_shell(
    installed: doors.Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "127.0.0.1 5000 127.0.0.1 22")
    assert doors.enter(["tui", "--staff", "alice"]).argv == ["tui"]  # an interactive login
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "invoice show 'CDP-2026-00001'; rm -rf /")
    entry = doors.enter(["tui", "--staff", "alice"])
    assert (entry.login, entry.door, entry.argv) == (
        "alice",
        doors.SSH,
        ["invoice", "show", "CDP-2026-00001;", "rm", "-rf", "/"],
    )
    for asked in ("portal", "tui --staff claire", "--config=/tmp/x.toml invoice list", "invoice 'show"):
        monkeypatch.setenv("SSH_ORIGINAL_COMMAND", asked)
        with pytest.raises(doors.DoorRefused):
            through(["tui", "--staff", "alice"])


def test_an_install_file_others_may_write_is_refused(tmp_path: Path) -> None:
    (tmp_path / doors.INSTALL_FILE).write_text('owner = "root"\nconfig = "/x.toml"\n')
    (tmp_path / doors.INSTALL_FILE).chmod(0o666)
    with pytest.raises(ConfigError):
        doors.installation(tmp_path)


def test_staff_keys_live_in_a_block_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / ".ssh" / "authorized_keys"
    path.parent.mkdir()
    path.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwnerOwnKey owner@laptop\n")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIFZNiBa9+Yhkzs+NBDSx9l1WNV/K2xLpjhg6xRBywfF alice@desk"
    ssh_door.set_keys("alice", ssh_door.parse_public_keys(key), path)
    ssh_door.set_keys("bob", ssh_door.parse_public_keys(key.replace("alice", "bob")), path)
    assert ssh_door.keys_by_login(path) == {"alice": 1, "bob": 1}
    lines = path.read_text().splitlines()
    assert lines[0].endswith("owner@laptop")  # the owner's own lines are kept
    assert any(
        line.startswith('command="') and 'tui --staff alice",restrict,pty ssh-ed25519' in line
        for line in lines
    )
    ssh_door.set_keys("alice", [], path)
    assert ssh_door.keys_by_login(path) == {"bob": 1}
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    bad = [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        'command="sh" ' + key,
        "ssh-ed25519 not-base64!",
        "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ",  # an RSA key's body under another type
        "",
    ]
    for text in bad:
        with pytest.raises(ValidationError):
            ssh_door.parse_public_keys(text)
