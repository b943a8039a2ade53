"""Loopback port helpers: pick a free port for tests, refuse a busy one with a clear message."""

from __future__ import annotations

import socket

from gateway.services._errors import ServiceError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def is_listening(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, service: str, setting: str) -> None:
    """Raise a :class:`ServiceError` naming the setting to change when ``port`` is taken."""
    if is_listening(port):
        raise ServiceError(
            f"{service} cannot start: port {port} on 127.0.0.1 is already in use",
            hint=f"stop what listens there (`ss -ltnp 'sport = :{port}'`) or set {setting}",
        )
