"""A small HTTP CONNECT proxy on 127.0.0.1, as a clinic's outgoing proxy: it tunnels TLS to the
host a client asks for, resolving the names it is given (``hosts``) so that a name only it knows
(``api.stripe.test``) is reachable through it alone. ``tunnels`` counts what it carried."""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading


class ConnectProxy:
    def __init__(self, hosts: dict[str, str], port: int = 0) -> None:
        self.hosts = hosts
        self.port = port
        self.tunnels: list[str] = []
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> ConnectProxy:
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._tunnel(self.connection, self.rfile)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _tunnel(self, client: socket.socket, reader: object) -> None:
        request = reader.readline().decode("latin-1").split()  # type: ignore[attr-defined]
        while reader.readline() not in (b"\r\n", b"\n", b""):  # type: ignore[attr-defined]
            pass
        if len(request) < 2 or request[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = request[1].rpartition(":")
        try:
            upstream = socket.create_connection((self.hosts.get(host, host), int(port)), timeout=5)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.tunnels.append(request[1])
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            sockets = [client, upstream]
            while True:
                ready, _, _ = select.select(sockets, [], [], 30)
                if not ready:
                    return
                for sock in ready:
                    data = b""
                    with contextlib.suppress(OSError):
                        data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
