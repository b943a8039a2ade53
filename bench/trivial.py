"""A trivial HTTP server (any ``GET`` → ``{"status":"ok"}``) for the generator self-check.

It must cost far less per request than the generator, or the check would measure this server:
an aiohttp app runs out of one core near the cached gateway's own rate. So it is a bare asyncio
protocol answering each request head with one fixed keep-alive response (requests without a body
only, which is all the check sends).

python -m bench.trivial --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

import uvloop

_BODY = b'{"status":"ok"}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class _Answer(asyncio.Protocol):
    def __init__(self) -> None:
        self._transport: asyncio.WriteTransport | None = None
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio's, hence a cast rather than a check.
        self._transport = cast(asyncio.WriteTransport, transport)

    def data_received(self, data: bytes) -> None:
        self._pending += data
        complete = self._pending.count(b"\r\n\r\n")
        if complete and self._transport is not None:
            self._pending = self._pending.rsplit(b"\r\n\r\n", 1)[1]
            self._transport.write(_RESPONSE * complete)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Answer, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
