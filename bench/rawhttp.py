"""A lean HTTP/1.1 client for the load generator: keep-alive connections, pre-built requests.

aiohttp's client costs a few hundred microseconds of CPU per request, which caps one generator
core near the cached gateway's own rate: the generator, not the gateway, would be measured. This
client writes request bytes built once per body and reads the status line, ``Content-Length`` and
body, nothing more (no redirects, no chunked bodies: the gateway and the bench's trivial server
always send a length). One request at a time per connection; connections are reused.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class RawHttpPool:
    """Up to ``size`` keep-alive connections to one ``host:port``."""

    def __init__(self, host: str, port: int, size: int = 256, timeout_s: float = 5.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(size)
        self._all: set[asyncio.StreamWriter] = set()

    @classmethod
    def for_url(cls, url: str, size: int = 256, timeout_s: float = 5.0) -> RawHttpPool:
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, size, timeout_s)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send one pre-built request; the status and the body. Raises on timeout or I/O error."""
        async with self._slots:
            async with asyncio.timeout(self.timeout_s):
                if self._idle:
                    reader, writer = self._idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    self._all.add(writer)
                try:
                    writer.write(raw)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status, length, close = _parse_head(head)
                    body = await reader.readexactly(length)
                except BaseException:
                    self._all.discard(writer)
                    writer.close()
                    raise
                if close:
                    self._all.discard(writer)
                    writer.close()
                else:
                    self._idle.append((reader, writer))
                return status, body

    async def close(self) -> None:
        for writer in list(self._all):
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        self._all.clear()
        self._idle.clear()


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes, from a response head.

    Example:
        >>> _parse_head(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n")
        (200, 2, False)
    """
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"connection" and value.strip().lower() == b"close":
            close = True
    return status, length, close


def post_bytes(url: str, body: bytes, content_type: str = "application/json") -> bytes:
    """The bytes of a keep-alive POST of ``body`` to ``url``."""
    parts = urlsplit(url)
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: {content_type}\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get_bytes(url: str) -> bytes:
    """The bytes of a keep-alive GET of ``url``."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"GET {parts.path or '/'}{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
