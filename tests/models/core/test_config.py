"""Tests for models.core.config: every kind of bad value, the search order, relative paths, the CLI's exit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from models.core.config import CONFIG_ENV, Config, find_config_path, load_config, parse_config
from models.core.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No $FACTEUR_CONFIG from the outside, and an empty working directory."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, toml: str) -> str:
    """Load ``toml`` from a file expecting a ConfigError; its message must name the file."""
    path = write(tmp_path / "conf" / "clinic.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path.resolve()) in message or str(path) in message
    assert "{" not in message  # every placeholder filled
    return message


# --- Each kind of mistake names the file, the key and what is expected ---------------------------


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ("[email]\nport = true\n", "email.port", "an integer"),  # bool is not an int
        ("[email]\nport = 587.0\n", "email.port", "an integer"),
        ('[email]\nport = "587"\n', "email.port", "an integer"),
        ("[agent]\nconcurrency = false\n", "agent.concurrency", "an integer"),
        ("[agent]\npoll_seconds = true\n", "agent.poll_seconds", "a number"),  # bool is not a float
        ('[agent]\npoll_seconds = "30"\n', "agent.poll_seconds", "a number"),
        ("[database]\nurl = 5\n", "database.url", "a string"),
        ("[locales]\nwatch = 1\n", "locales.watch", "true or false"),
        ('[locales]\nwatch = "yes"\n', "locales.watch", "true or false"),
        ('[clinic]\nname = ["a"]\n', "clinic.name", "a string"),
    ],
)
def test_wrong_type(tmp_path: Path, toml: str, key: str, expected: str) -> None:
    message = refused(tmp_path, toml)
    assert key in message
    assert expected in message


@pytest.mark.parametrize(
    ("toml", "key", "choices"),
    [
        ('[email]\nbackend = "sendmail"\n', "email.backend", "maildir, smtp"),
        ('[email]\nsecurity = "ssl"\n', "email.security", "none, starttls, tls"),
        ('[sms]\nbackend = "twilio"\n', "sms.backend", "file, http"),
        ('[clinic]\nlanguage = "de"\n', "clinic.language", "fr, en"),
    ],
)
def test_bad_choice(tmp_path: Path, toml: str, key: str, choices: str) -> None:
    message = refused(tmp_path, toml)
    assert key in message
    assert choices in message
    assert toml.split('"')[1] in message  # the value that was given


@pytest.mark.parametrize(
    ("toml", "key", "bounds"),
    [
        ("[email]\nport = 0\n", "email.port", ("1", "65535")),
        ("[email]\nport = 70000\n", "email.port", ("1", "65535")),
        ("[email]\ntimeout = 0.5\n", "email.timeout", ("1", "600")),
        ("[portal]\nlink_days = 31\n", "portal.link_days", ("1", "30")),
        ("[agent]\npoll_seconds = 0\n", "agent.poll_seconds", ("0.1", "3600")),
        ("[agent]\npoll_seconds = nan\n", "agent.poll_seconds", ("0.1", "3600")),
        ("[agent]\nconcurrency = -1\n", "agent.concurrency", ("1", "64")),
        ("[agent]\nin_flight = 0\n", "agent.in_flight", ("1", "256")),
        ("[agent]\nin_flight = 1000\n", "agent.in_flight", ("1", "256")),
    ],
)
def test_out_of_range(tmp_path: Path, toml: str, key: str, bounds: tuple[str, str]) -> None:
    message = refused(tmp_path, toml)
    assert key in message
    assert all(bound in message for bound in bounds)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[portal]\nurl = "127.0.0.1:8088"\n', "portal.url"),
        ('[portal]\nurl = "ftp://portal.example"\n', "portal.url"),
        ('[stripe]\napi_base = "localhost:12111"\n', "stripe.api_base"),
        ('[sms]\nurl = "gateway.example/send"\n', "sms.url"),
    ],
)
def test_bad_url(tmp_path: Path, toml: str, key: str) -> None:
    message = refused(tmp_path, toml)
    assert key in message
    assert "http://" in message


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[email]\npassword_env = "s3cr3t password"\n', "email.password_env"),
        ('[sms]\ntoken_env = "$SMS_TOKEN"\n', "sms.token_env"),
        ('[portal]\ntoken_env = "PORTAL-TOKEN"\n', "portal.token_env"),
        ('[stripe]\napi_key_env = "sk_test_abc=="\n', "stripe.api_key_env"),
    ],
)
def test_bad_environment_variable_name(tmp_path: Path, toml: str, key: str) -> None:
    message = refused(tmp_path, toml)
    assert key in message
    assert "environment variable" in message


@pytest.mark.parametrize("name", ["1PASSWORD", "MOT_DE_PASSÉ", "A.B"])
def test_environment_variable_name_is_a_portable_shell_name(tmp_path: Path, name: str) -> None:
    assert "email.password_env" in refused(tmp_path, f'[email]\npassword_env = "{name}"\n')


@pytest.mark.parametrize("listen", ["8088", ":8088", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:0", "h:65536"])
def test_bad_listen(tmp_path: Path, listen: str) -> None:
    message = refused(tmp_path, f'[portal]\nlisten = "{listen}"\n')
    assert "portal.listen" in message
    assert "host:port" in message


def test_good_listen_and_env_names_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.toml",
        '[portal]\nlisten = "[::1]:9000"\ntoken_env = "PORTAL_TOKEN_2"\n[email]\npassword_env = ""\n',
    )
    config = load_config(path)
    assert config.portal.listen == "[::1]:9000"
    assert config.portal.token_env == "PORTAL_TOKEN_2"
    assert config.email.password_env == ""


def test_unknown_section(tmp_path: Path) -> None:
    message = refused(tmp_path, '[mail]\nhost = "smtp.example"\n')
    assert "[mail]" in message
    assert "email" in message  # what is expected


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    message = refused(tmp_path, 'email = "smtp"\n')
    assert "email" in message
    assert "table" in message


def test_unknown_key(tmp_path: Path) -> None:
    message = refused(tmp_path, '[email]\nhots = "smtp.example"\n')
    assert "hots" in message
    assert "[email]" in message
    assert "host" in message  # the expected keys are listed


def test_invalid_toml(tmp_path: Path) -> None:
    message = refused(tmp_path, "[email]\nport = \n")
    assert "TOML" in message
    assert "line 2" in message  # tomllib's position is passed on


def test_missing_file_is_an_error_not_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "facteur.toml"
    with pytest.raises(ConfigError, match="no such configuration file") as info:
        load_config(missing)
    assert str(missing) in str(info.value)
    monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config()


def test_parse_config_without_a_file_says_so() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"email": {"port": "x"}})
    assert str(info.value).startswith("<config>: email.port")


# --- Good files, defaults and the search order ---------------------------------------------------


def test_full_file_is_read_and_typed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.toml",
        """
[database]
url = "sqlite:///data/f.db"
[clinic]
name = "Clinique du Parc"
language = "en"
[email]
backend = "smtp"
host = "smtp.example.org"
port = 465
security = "tls"
password_env = "SMTP_PASSWORD"
timeout = 10
[sms]
backend = "http"
url = "https://sms.example/send"
[portal]
url = "https://portal.example"
link_days = 7
[agent]
poll_seconds = 5
concurrency = 2
in_flight = 12
[locales]
watch = false
""",
    )
    config = load_config(path)
    assert config.database.url == "sqlite:///data/f.db"
    assert (config.clinic.name, config.clinic.language, config.clinic.country) == (
        "Clinique du Parc",
        "en",
        "CA",
    )
    assert (config.email.backend, config.email.port, config.email.security) == ("smtp", 465, "tls")
    assert config.email.timeout == 10.0
    assert isinstance(config.email.timeout, float)  # an integer is accepted where a number is expected
    assert isinstance(config.agent.poll_seconds, float)
    assert (config.agent.concurrency, config.agent.in_flight) == (2, 12)
    assert config.sms.url == "https://sms.example/send"
    assert config.portal.link_days == 7
    assert config.portal.listen == "127.0.0.1:8088"  # untouched keys keep their default
    assert config.locales.watch is False
    assert config.source == path.resolve()


def test_secret_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config()
    monkeypatch.setenv("FACTEUR_TEST_SECRET", "hunter2")
    monkeypatch.delenv("FACTEUR_TEST_UNSET", raising=False)
    assert config.secret("FACTEUR_TEST_SECRET") == "hunter2"
    assert config.secret("FACTEUR_TEST_UNSET") is None
    assert config.secret("") is None
    monkeypatch.setenv("FACTEUR_TEST_SECRET", "")
    assert config.secret("FACTEUR_TEST_SECRET") is None


def test_defaults_when_nothing_is_found(tmp_path: Path) -> None:
    assert find_config_path(None) is None
    config = load_config()
    assert config == Config()
    assert config.source is None
    assert config.database.url == "sqlite:///var/facteur.db"
    assert config.email.backend == "maildir"
    assert config.base_dir == tmp_path  # the defaults resolve from the working directory
    assert config.resolve("var/mail") == tmp_path / "var" / "mail"


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = write(tmp_path / "facteur.toml", '[clinic]\nname = "local"\n')
    from_env = write(tmp_path / "env" / "facteur.toml", '[clinic]\nname = "env"\n')
    explicit = write(tmp_path / "explicit" / "facteur.toml", '[clinic]\nname = "explicit"\n')

    assert load_config().clinic.name == "local"
    assert find_config_path(None) == local.resolve()
    monkeypatch.setenv(CONFIG_ENV, str(from_env))
    assert load_config().clinic.name == "env"
    assert load_config(explicit).clinic.name == "explicit"
    assert load_config(str(explicit)).source == explicit.resolve()
    monkeypatch.setenv(CONFIG_ENV, "")  # an empty variable does not count
    assert load_config().clinic.name == "local"


def test_relative_paths_resolve_from_the_file_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc" / "facteur"
    write(folder / "facteur.toml", '[email]\npath = "mail"\n[sms]\npath = "../sms.log"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config("../etc/facteur/facteur.toml")  # relative to the working directory
    assert config.base_dir == folder
    assert config.resolve(config.email.path) == folder / "mail"
    assert config.resolve(config.sms.path).resolve() == tmp_path / "etc" / "sms.log"
    assert config.resolve("/srv/facteur/mail") == Path("/srv/facteur/mail")
    assert config.resolve("~/mail") == Path.home() / "mail"


def test_database_url_resolves_from_the_file_folder(tmp_path: Path) -> None:
    from models.core.database_url import parse_url

    folder = tmp_path / "site"
    config = load_config(write(folder / "facteur.toml", '[database]\nurl = "sqlite:///data/f.db"\n'))
    assert parse_url(config.database.url, config.base_dir).path == folder / "data" / "f.db"


# --- The CLI with a broken configuration ---------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    from cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ("[email]\nport = true\n", "email.port"),
        ('[portal]\nlisten = "nowhere"\n', "portal.listen"),
        ("[agent]\nconcurrency = 0\n", "agent.concurrency"),
        ('[emial]\nhost = "x"\n', "[emial]"),
        ("[email\n", "TOML"),
    ],
)
def test_cli_with_a_broken_config_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, names: str
) -> None:
    monkeypatch.setenv("FACTEUR_LANG", "en")
    path = write(tmp_path / "broken.toml", toml)
    for args in (("--config", str(path), "invoice", "list", "--json"), ("--config", str(path), "db", "init")):
        code, out, err = run_cli(*args)
        assert code == 2
        assert out == ""
        assert err.startswith("facteur: ")
        assert err.count("\n") == 1
        assert str(path) in err or str(path.resolve()) in err
        assert names in err
        assert "Traceback" not in err
    assert not (tmp_path / "var").exists()  # nothing was created from a config that was refused


def test_cli_with_a_missing_config_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTEUR_LANG", "en")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "gone.toml"))
    code, _, err = run_cli("staff", "list")
    assert code == 2
    assert err == f"facteur: {tmp_path / 'gone.toml'}: no such configuration file\n"


def test_bad_database_url_is_a_config_error_naming_file_and_key(tmp_path: Path) -> None:
    message = refused(tmp_path, '[database]\nurl = "mysql://localhost/facteur"\n')
    assert "database.url" in message
