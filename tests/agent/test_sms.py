"""SMS against a real HTTP gateway on loopback (generic JSON and Twilio), and the file backend."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from agent.channels.sms import HttpSms
from agent.channels.sms_file import FileSms
from agent.delivery import build_sms
from agent.errors import BlockedError, DeferredError, OfflineError, RejectedError
from locales import translator
from models.core.config import parse_config
from models.core.errors import ConfigError
from testbed.sms_gateway import STALL_SECONDS, SmsGateway
from tui.transmission_text import detail_text

TEXT = "Clinique du Parc: your PIN to open the invoice we emailed you is 482913"


def json_client(gateway: SmsGateway, **changes: object) -> HttpSms:
    options: dict[str, object] = {
        "token": gateway.token,
        "token_env": "SMS_TOKEN",
        "sender": "CliniqueDP",
        "timeout": 1.0,
    }
    return HttpSms(gateway.url, **(options | changes))  # type: ignore[arg-type]


def twilio_client(gateway: SmsGateway, **changes: object) -> HttpSms:
    options: dict[str, object] = {
        "token": gateway.token,
        "token_env": "TWILIO_TOKEN",
        "sender": "+15145550199",
        "mode": "twilio",
        "account_sid": "AC123",
        "timeout": 1.0,
    }
    return HttpSms(gateway.url + "/", **(options | changes))  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_json_request_and_reply(sms_gateway: SmsGateway) -> None:
    client = json_client(sms_gateway)
    reply = await client.send("+15145551234", TEXT, "facteur-7", secret="482913")
    await client.close()
    (request,) = sms_gateway.sent
    assert request.path == "/"
    assert request.headers["Authorization"] == f"Bearer {sms_gateway.token}"
    assert request.body == {
        "to": "+15145551234",
        "from": "CliniqueDP",
        "text": TEXT,
        "reference": "facteur-7",
    }
    assert (reply.code, reply.provider_id) == ("201", "sms-1")
    assert "482913" not in (reply.text or "")


async def test_twilio_request_and_reply(sms_gateway: SmsGateway) -> None:
    client = twilio_client(sms_gateway)
    reply = await client.send("+15145551234", TEXT, "facteur-7", secret="482913")
    await client.close()
    (request,) = sms_gateway.sent
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.body == {"To": "+15145551234", "From": "+15145550199", "Body": TEXT}
    assert (reply.code, reply.provider_id) == ("201", "SM1")


@pytest.mark.parametrize("make", [json_client, twilio_client])
@pytest.mark.parametrize("status", [404, 405])
async def test_no_such_api_at_the_url_is_a_setting_to_fix(
    sms_gateway: SmsGateway, make: object, status: int
) -> None:
    sms_gateway.script(f"status:{status}")
    client = make(sms_gateway)  # type: ignore[operator]
    with pytest.raises(BlockedError) as blocked:
        await client.send("+15145551234", TEXT, "facteur-7", secret="482913")
    await client.close()
    assert blocked.value.code == str(status) and "[sms] url" in str(blocked.value.message)


@pytest.mark.parametrize("make", [json_client, twilio_client])
@pytest.mark.parametrize("status", [400, 422])
async def test_other_4xx_is_rejected_with_the_reason_and_without_the_pin(
    sms_gateway: SmsGateway, make: object, status: int
) -> None:
    sms_gateway.script(f"status:{status}")
    client = make(sms_gateway)  # type: ignore[operator]
    with pytest.raises(RejectedError) as refused:
        await client.send("+15145551234", TEXT, "facteur-7", secret="482913")
    await client.close()
    error = refused.value
    assert error.code == str(status)
    assert "refused" in error.reply or "Invalid" in error.reply  # the gateway's own words
    assert "482913" not in error.reply and "482913" not in str(error)  # the echoed text is scrubbed


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_busy_and_5xx_are_deferred(sms_gateway: SmsGateway, status: int) -> None:
    sms_gateway.script(f"status:{status}")
    client = json_client(sms_gateway)
    with pytest.raises(DeferredError) as deferred:
        await client.send("+15145551234", TEXT, "facteur-7", secret="482913")
    assert deferred.value.code == str(status) and "482913" not in deferred.value.reply
    assert (await client.send("+15145551234", TEXT, "facteur-7")).provider_id == "sms-1"  # then it goes
    await client.close()


async def test_a_timeout_is_deferred(sms_gateway: SmsGateway) -> None:
    sms_gateway.script("stall")
    client = json_client(sms_gateway, timeout=STALL_SECONDS / 4)
    with pytest.raises(DeferredError):
        await client.send("+15145551234", TEXT, "facteur-7")
    await client.close()


async def test_refused_connection_is_offline_and_the_probe_says_so() -> None:
    client = HttpSms(f"http://127.0.0.1:{free_port()}/sms", token="t", timeout=1.0)
    with pytest.raises(OfflineError):
        await client.send("+15145551234", TEXT, "facteur-7")
    with pytest.raises(OfflineError):
        await client.probe()
    await client.close()


async def test_a_bad_or_missing_token_is_a_setting_to_fix_not_a_failed_message(
    sms_gateway: SmsGateway,
) -> None:
    wrong = json_client(sms_gateway, token="nope")
    with pytest.raises(BlockedError) as refused:
        await wrong.send("+15145551234", TEXT, "facteur-7")
    assert "SMS_TOKEN" in str(refused.value)
    missing = twilio_client(sms_gateway, token=None)
    with pytest.raises(BlockedError) as unset:
        await missing.send("+15145551234", TEXT, "facteur-7")
    assert "TWILIO_TOKEN" in str(unset.value)
    assert len(sms_gateway.sent) == 1  # the unset token never left
    await wrong.close()
    await missing.close()


async def test_a_web_page_for_an_answer_is_a_setting_to_fix_not_a_pin_sent(sms_gateway: SmsGateway) -> None:
    sms_gateway.script("page")
    client = json_client(sms_gateway)
    with pytest.raises(BlockedError) as blocked:
        await client.send("+15145551234", TEXT, "facteur-7")
    assert "[sms] url" in str(blocked.value.render(translator("en")))
    await client.close()


async def test_the_probe_sends_nothing(sms_gateway: SmsGateway) -> None:
    client = twilio_client(sms_gateway)
    await client.probe()
    await client.close()
    assert sms_gateway.sent == [] and sms_gateway.requests[0].method == "HEAD"


async def test_the_file_backend_appends_one_owner_only_line_per_sms(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sms.log"
    backend = FileSms(path, "CliniqueDP")
    await backend.probe()
    first = await backend.send("+15145551234", TEXT, "facteur-1")
    second = await backend.send("+15145559876", "line one\nline two", "facteur-2")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["text"], line["id"]) for line in lines] == [
        ("+15145551234", TEXT, first.provider_id),
        ("+15145559876", "line one\nline two", second.provider_id),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # the transmission keeps Facteur's note as a msgid: each reader reads it in their language
    assert detail_text(first.text, translator("fr")) == "écrit dans le fichier des textos"
    assert detail_text(first.text, translator("en")) == "written to the SMS file"


async def test_the_file_backend_defers_when_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("not a folder", encoding="utf-8")
    backend = FileSms(blocker / "sms.log")
    with pytest.raises(DeferredError):
        await backend.send("+15145551234", TEXT, "facteur-1")
    with pytest.raises(OfflineError):
        await backend.probe()


def test_the_config_picks_the_backend_and_refuses_what_is_missing(tmp_path: Path) -> None:
    source = tmp_path / "facteur.toml"
    assert isinstance(build_sms(parse_config({}, source)), FileSms)
    with pytest.raises(ConfigError, match=r"\[sms\] url"):
        build_sms(parse_config({"sms": {"backend": "http"}}, source))
    with pytest.raises(ConfigError, match="account_sid"):
        build_sms(
            parse_config({"sms": {"backend": "http", "url": "https://x.example", "mode": "twilio"}}, source)
        )
    with pytest.raises(ConfigError, match="mode"):
        parse_config({"sms": {"mode": "smpp"}}, source)
    http = build_sms(parse_config({"sms": {"backend": "http", "url": "https://gw.example/sms"}}, source))
    assert isinstance(http, HttpSms) and http.endpoint == "https://gw.example/sms"
