"""``facteur portal`` as users run it: a process of its own, its folder, its restarts, its log."""

from __future__ import annotations

import datetime as dt
import signal
import stat
from pathlib import Path

import httpx

from models.messaging.secure_link import new_token, token_hash
from tests.portal.conftest import API_TOKEN, free_port, link_body, start_portal_process


def write_config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "portal.toml"
    config.write_text(
        f'[portal]\nlisten = "127.0.0.1:{port}"\ndata_dir = "portal-data"\n[locales]\nwatch = false\n',
        encoding="utf-8",
    )
    return config


def stop(process) -> str:  # type: ignore[no-untyped-def]
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    # uvicorn finishes the requests in flight, then ends by the signal it caught (systemd: a clean stop)
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err, err
    return err


def test_the_lock_survives_a_restart_of_the_process(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    env = {"FACTEUR_PORTAL_TOKEN": API_TOKEN}
    process = start_portal_process(config, port, env)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    tokens = [new_token(), new_token()]
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
    for token in tokens:
        body = link_body(token, "482913", [("f.pdf", b"%PDF-1.7 test")], expires_at=expires)
        response = httpx.put(f"{base}/api/v1/links/{token_hash(token)}", json=body, headers=auth)
        assert response.status_code == 201
    for _ in range(5):
        httpx.post(f"{base}/l/{tokens[0]}", data={"pin": "000000"})
    first_log = stop(process)

    process = start_portal_process(config, port, env)
    try:
        assert httpx.post(f"{base}/l/{tokens[0]}", data={"pin": "482913"}).status_code == 403
        assert httpx.post(f"{base}/l/{tokens[1]}", data={"pin": "482913"}).status_code == 200
    finally:
        second_log = stop(process)
    for log in (first_log, second_log):
        assert tokens[0] not in log and tokens[1] not in log  # no access log: a token is a secret
    data = tmp_path / "portal-data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("portal.db", "secret"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600


def test_without_a_token_the_api_answers_503_and_the_log_says_why(tmp_path: Path) -> None:
    port = free_port()
    process = start_portal_process(write_config(tmp_path, port), port, {"FACTEUR_PORTAL_TOKEN": ""})
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
        assert response.status_code == 503
    finally:
        log = stop(process)
    assert "FACTEUR_PORTAL_TOKEN" in log


def test_a_bad_listen_address_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("portal", "--listen", "nowhere")
    assert result.code == 2
    assert "--listen must be host:port" in result.err


def test_the_portal_needs_no_clinic_database(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    config.write_text(
        config.read_text() + '[database]\nurl = "sqlite:////nonexistent/folder/facteur.db"\n',
        encoding="utf-8",
    )
    process = start_portal_process(config, port, {"FACTEUR_PORTAL_TOKEN": API_TOKEN})
    try:
        health = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/health", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        assert health.json() == {"ok": True}
    finally:
        stop(process)
    assert not Path("/nonexistent").exists()


def test_a_client_sending_its_headers_a_byte_at_a_time_is_cut_off(tmp_path: Path) -> None:
    """Slowloris: each byte would reset uvicorn's keep-alive timer; the portal's header deadline
    (``header_timeout``, 1 s here) closes such connections while others are served."""
    import socket
    import time

    port = free_port()
    config = write_config(tmp_path, port)
    text = config.read_text().replace("[portal]\n", "[portal]\nheader_timeout = 1\n")
    config.write_text(text, encoding="utf-8")
    process = start_portal_process(config, port, {"FACTEUR_PORTAL_TOKEN": API_TOKEN})
    slow = []
    try:
        for _ in range(8):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(b"GET /l/abcdefabcdefabcdef HTTP/1.1\r\nHost: portal\r\n")
            slow.append(client)
        closed, started = set(), time.monotonic()
        while len(closed) < len(slow) and time.monotonic() - started < 8:  # bounded by the trickle
            for number, client in enumerate(slow):
                if number in closed:
                    continue
                try:
                    client.sendall(b"X")  # one more byte of a header that never ends
                    client.settimeout(0.05)
                    if client.recv(1024) == b"":
                        closed.add(number)
                except TimeoutError:
                    pass
                except OSError:  # reset or broken pipe: the portal closed it
                    closed.add(number)
            time.sleep(0.1)  # the trickle's pace
        assert len(closed) == len(slow), f"{len(slow) - len(closed)} slow connections still open"
        served = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/health", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        assert served.json() == {"ok": True}
    finally:
        for client in slow:
            client.close()
        stop(process)
