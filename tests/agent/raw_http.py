"""Raw HTTP peers on loopback for the HTTP client's failure paths: a TCP listener (TLS if given a
context) whose every connection is handed to a function with the request's head (``silent``,
``hang_up``, ``cut_short``, ``slow_reader``, ``refuse_tunnel``, ``answer_ok``)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable


class RawServer:
    """A TCP listener on loopback whose every connection gets ``handle(connection, request head)``."""

    def __init__(
        self, handle: Callable[[socket.socket, bytes], None], tls: ssl.SSLContext | None = None
    ) -> None:
        self.handle = handle
        self.tls = tls
        self.heads: list[bytes] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self._connections.append(connection)
            head = b""
            connection.settimeout(5)
            if self.tls is not None:
                try:
                    connection = self.tls.wrap_socket(connection, server_side=True)
                except OSError:  # the client refused the certificate (an ssl.SSLError) or left
                    continue
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                head += chunk
            self.heads.append(head)
            self.handle(connection, head)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for connection in self._connections:
            connection.close()
        self.listener.close()


def silent(connection: socket.socket, head: bytes) -> None:
    """Read the request, never answer (the connection stays open until the test ends)."""


def hang_up(connection: socket.socket, head: bytes) -> None:
    connection.close()


def cut_short(connection: socket.socket, head: bytes) -> None:
    connection.sendall(
        b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{"id":'
    )
    connection.close()


def refuse_tunnel(connection: socket.socket, head: bytes) -> None:
    connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    connection.close()


def slow_reader(connection: socket.socket, head: bytes) -> None:
    """Take the body slowly but steadily (1 MB each 50 ms), then answer."""
    fields, _, started = head.partition(b"\r\n\r\n")
    length = int(
        next(line for line in fields.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:]
    )
    received = len(started)
    while received < length:
        time.sleep(0.05)
        taken = 0
        while taken < 1 << 20 and received < length:
            chunk = connection.recv(min(1 << 20, length - received))
            taken += len(chunk)
            received += len(chunk)
    answer_ok(connection, head)


def answer_ok(connection: socket.socket, head: bytes) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    connection.close()
