"""The portal's settings: read from the configuration file and the environment, checked like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from locales import translator
from models.core.config import load_config
from models.core.errors import ConfigError
from portal.render import accepted_language
from portal.server import split_listen
from portal.services import PortalOptions


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "facteur.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_options_come_from_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_PORTAL_TOKEN", "t" * 32)
    monkeypatch.setenv("CLINIC_PORTAL_SECRET", "s" * 40)
    monkeypatch.setenv("CLINIC_PORTAL_PEPPER", "1:" + "ab" * 32)
    config = load_config(
        write(
            tmp_path,
            '[portal]\nurl = "https://factures.clinique.example"\ndata_dir = "portal"\n'
            'token_env = "CLINIC_PORTAL_TOKEN"\nsecret_env = "CLINIC_PORTAL_SECRET"\nrate_limit = 12\n'
            "trust_forwarded = true\nmax_body_mb = 2.5\napi_rate_limit = 600\n"
            'pepper_env = "CLINIC_PORTAL_PEPPER"\npepper_file = "keys/pepper"\n'
            '[clinic]\ntimezone = "Europe/Paris"\ncountry = "FR"\n',
        )
    )
    options = PortalOptions.from_config(config)
    assert options.data_dir == tmp_path / "portal"  # beside the file
    assert (options.api_token, options.secret, options.token_env) == (
        "t" * 32,
        "s" * 40,
        "CLINIC_PORTAL_TOKEN",
    )
    assert (options.rate_limit, options.trust_forwarded, options.api_rate_limit) == (12, True, 600)
    assert (options.pepper, options.pepper_path) == ("1:" + "ab" * 32, tmp_path / "keys" / "pepper")
    assert options.max_body_bytes == int(2.5 * 1024 * 1024)
    assert options.secure_cookies
    assert (options.default_timezone, options.default_country) == ("Europe/Paris", "FR")


def test_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACTEUR_PORTAL_TOKEN", raising=False)
    monkeypatch.delenv("FACTEUR_PORTAL_SECRET", raising=False)
    monkeypatch.delenv("FACTEUR_PORTAL_PEPPER", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FACTEUR_CONFIG", raising=False)
    options = PortalOptions.from_config(load_config())
    assert options.data_dir == tmp_path / "var" / "portal"
    assert options.api_token is None and options.secret is None
    assert (options.rate_limit, options.trust_forwarded, options.secure_cookies) == (30, False, False)
    assert options.max_body_bytes == 20 * 1024 * 1024
    assert (options.api_rate_limit, options.pepper) == (3000, None)
    assert options.pepper_path == tmp_path / "var" / "portal" / "pepper"  # beside the signing secret


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[portal]\nrate_limit = 0\n", "portal.rate_limit"),
        ("[portal]\napi_rate_limit = 10\n", "portal.api_rate_limit"),
        ('[portal]\npepper_env = "MY PEPPER"\n', "portal.pepper_env"),
        ("[portal]\nmax_body_mb = 501\n", "portal.max_body_mb"),
        ('[portal]\ntrust_forwarded = "yes"\n', "portal.trust_forwarded"),
        ('[portal]\nsecret_env = "MY-SECRET"\n', "portal.secret_env"),
        ("[portal]\ndata_dir = 3\n", "portal.data_dir"),
    ],
)
def test_bad_portal_settings_are_refused(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert key in str(caught.value)


def test_a_short_api_token_is_refused_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIC_PORTAL_TOKEN", "t" * 31)
    config = load_config(write(tmp_path, '[portal]\ntoken_env = "CLINIC_PORTAL_TOKEN"\n'))
    with pytest.raises(ConfigError) as caught:
        PortalOptions.from_config(config)
    assert "CLINIC_PORTAL_TOKEN" in str(caught.value) and "32" in str(caught.value)
    assert "CLINIC_PORTAL_TOKEN" in caught.value.render(translator("fr"))
    monkeypatch.setenv("CLINIC_PORTAL_TOKEN", "a")
    with pytest.raises(ConfigError):
        PortalOptions.from_config(config)


def test_listen_addresses() -> None:
    assert split_listen("127.0.0.1:8088") == ("127.0.0.1", 8088)
    assert split_listen("[::1]:9000") == ("::1", 9000)
    for bad in ("8088", "host:", "host:99999", ":80"):
        with pytest.raises(ValueError):
            split_listen(bad)


def test_the_browser_language_is_a_fallback() -> None:
    assert accepted_language("en-CA,en;q=0.9,fr;q=0.8") == "en"
    assert accepted_language("de-DE,fr;q=0.5,en;q=0.7") == "en"
    assert accepted_language("de, it") is None
    assert accepted_language("fr;q=0, en;q=0.1") == "en"
    assert accepted_language(None) is None
