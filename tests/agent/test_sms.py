"""SMS against a real HTTP gateway on loopback (generic JSON and Twilio), and the file backend."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from agent.channels.sms import FORGOTTEN, HttpSms, SmsState, SmsStatus, SmsStatusChannel
from agent.channels.sms_file import FileSms
from agent.delivery import build_sms
from agent.errors import BlockedError, DeferredError, OfflineError, RejectedError, ThrottledError
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


# What became of a text (``status``) ------------------------------------------------------------


async def sent_id(client: HttpSms, to: str = "+15145551234") -> str:
    reply = await client.send(to, TEXT, "facteur-7", secret="482913")
    assert reply.provider_id is not None
    return reply.provider_id


async def test_json_status_request_and_answers(sms_gateway: SmsGateway) -> None:
    client = json_client(sms_gateway)
    delivered = await sent_id(client)
    failed = await sent_id(client, "+15145551230")  # the test gateway: a number ending in 0 fails
    silent = await sent_id(client, "+15145551239")  # ending in 9: no receipt yet
    assert await client.status(delivered) == SmsStatus(SmsState.DELIVERED)
    assert await client.status(failed) == SmsStatus(SmsState.FAILED, "unknown subscriber")
    pending = await client.status(silent)
    assert pending == SmsStatus(SmsState.PENDING) and not pending.final
    request = sms_gateway.asked[0]
    assert (request.path, request.headers["Authorization"]) == ("/sms-1", f"Bearer {sms_gateway.token}")
    sms_gateway.set_status(silent, "undelivered")  # no reason given: the gateway's word for it
    assert await client.status(silent) == SmsStatus(SmsState.FAILED, "undelivered")
    sms_gateway.set_status(silent, "enroute")  # a word not in the API: still on its way
    assert (await client.status(silent)).state is SmsState.PENDING
    await client.close()


async def test_twilio_status_request_and_answers(sms_gateway: SmsGateway) -> None:
    client = twilio_client(sms_gateway)
    delivered = await sent_id(client)
    failed = await sent_id(client, "+15145551230")
    assert await client.status(delivered) == SmsStatus(SmsState.DELIVERED)
    # Twilio's answer carries the text (and its PIN): only the error is kept
    assert await client.status(failed) == SmsStatus(SmsState.FAILED, "unknown subscriber", "30005")
    request = sms_gateway.asked[0]
    assert request.path == "/2010-04-01/Accounts/AC123/Messages/SM1.json"
    assert request.headers["Authorization"].startswith("Basic ")
    for word, state in [
        ("accepted", SmsState.PENDING),
        ("sending", SmsState.PENDING),
        ("read", SmsState.DELIVERED),
    ]:
        sms_gateway.set_status(delivered, word)
        assert (await client.status(delivered)).state is state
    sms_gateway.set_status(delivered, "canceled", code=30001)
    assert await client.status(delivered) == SmsStatus(SmsState.FAILED, "", "30001")
    await client.close()


@pytest.mark.parametrize("make", [json_client, twilio_client])
async def test_a_text_the_gateway_forgot_is_unknown_for_good_not_an_error(
    sms_gateway: SmsGateway, make: object
) -> None:
    client = make(sms_gateway)  # type: ignore[operator]
    sms_id = await sent_id(client)
    sms_gateway.forget(sms_id)
    status = await client.status(sms_id)
    assert status == SmsStatus(SmsState.UNKNOWN, FORGOTTEN, "404") and status.final
    await client.close()


async def test_a_pin_echoed_in_a_status_reply_is_not_kept(sms_gateway: SmsGateway) -> None:
    client = json_client(sms_gateway)
    sms_id = await sent_id(client, "+15145551239")
    sms_gateway.set_status(sms_id, "failed", error=f"could not deliver: {TEXT}")
    status = await client.status(sms_id)
    assert status.state is SmsState.FAILED and "482913" not in status.reason
    assert status.reason.startswith("could not deliver: Clinique du Parc")
    sms_gateway.script("status:400")  # a refusal that echoes the text too
    with pytest.raises(RejectedError) as refused:
        await client.status(sms_id)
    assert refused.value.code == "400" and "482913" not in refused.value.reply + str(refused.value)
    await client.close()


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("status:503", DeferredError),
        ("status:408", DeferredError),
        ("status:429", ThrottledError),
        ("status:405", BlockedError),  # no status API at that address
        ("page", BlockedError),
        ("stall", DeferredError),
    ],
)
async def test_status_errors_are_classified_as_sending_ones(
    sms_gateway: SmsGateway, mode: str, error: type[Exception]
) -> None:
    client = json_client(sms_gateway, timeout=STALL_SECONDS / 4)
    sms_id = await sent_id(client)
    sms_gateway.script(mode)
    with pytest.raises(error):
        await client.status(sms_id)
    assert (await client.status(sms_id)).state is SmsState.DELIVERED  # then it answers
    await client.close()


async def test_status_offline_or_with_a_bad_token(sms_gateway: SmsGateway) -> None:
    offline = HttpSms(f"http://127.0.0.1:{free_port()}/sms", token="t", timeout=1.0)
    with pytest.raises(OfflineError):
        await offline.status("sms-1")
    await offline.close()
    wrong = twilio_client(sms_gateway, token="nope")
    with pytest.raises(BlockedError) as refused:
        await wrong.status("SM1")
    assert "TWILIO_TOKEN" in str(refused.value)
    await wrong.close()


def test_the_id_asked_about_is_quoted_and_only_the_gateway_has_receipts(tmp_path: Path) -> None:
    json_sms = HttpSms("https://gw.example/sms/", token="t")
    assert json_sms.status_url("a/../b c") == "https://gw.example/sms/a%2F..%2Fb%20c"
    twilio = HttpSms("https://api.twilio.com/", token="t", mode="twilio", account_sid="AC1")
    assert twilio.status_url("SM9") == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM9.json"
    assert isinstance(json_sms, SmsStatusChannel)
    assert not isinstance(FileSms(tmp_path / "sms.log"), SmsStatusChannel)
