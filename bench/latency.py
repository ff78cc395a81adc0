"""A TCP relay that puts a network between a client and a server on loopback: every byte reaches
the other side ``one_way`` seconds after it was sent, in order, both ways, and a connection is
set up after one round trip. A request and its answer then cost one round trip (``2 * one_way``),
as across the internet; the relay adds no limit of its own (any number of connections, bytes
forwarded as they come).

    python -m bench.latency --listen 8025 --to 8026 --one-way 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import suppress

from bench.common import Server, free_port


async def _carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, one_way: float) -> None:
    """Bytes from ``reader`` written to ``writer`` ``one_way`` seconds after they came, in order."""
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            when, data = await due.get()
            await asyncio.sleep(max(0.0, when - loop.time()))
            if not data:
                with suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            due.put_nowait((loop.time() + one_way, data))
    except OSError:
        pass
    due.put_nowait((loop.time() + one_way, b""))
    with suppress(OSError):
        await delivering


async def _relay(
    client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, port: int, one_way: float
) -> None:
    await asyncio.sleep(2 * one_way)  # the handshake's round trip
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        _carry(client_reader, server_writer, one_way),
        _carry(server_reader, client_writer, one_way),
    )
    for writer in (client_writer, server_writer):
        writer.close()


async def serve(listen: int, port: int, one_way: float) -> None:
    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _relay(reader, writer, port, one_way)

    server = await asyncio.start_server(accept, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


class Distant(Server):
    """``port`` on loopback seen from ``round_trip`` seconds away: connect to ``self.port``."""

    def __init__(self, port: int, round_trip: float) -> None:
        listen = free_port()
        relay = ["-m", "bench.latency", "--listen", str(listen), "--to", str(port)]
        super().__init__([sys.executable, *relay, "--one-way", str(round_trip / 2)], listen)
        self.round_trip = round_trip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--to", type=int, required=True)
    parser.add_argument("--one-way", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(serve(args.listen, args.to, args.one_way))


if __name__ == "__main__":
    main()
