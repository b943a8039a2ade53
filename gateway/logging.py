"""structlog set up once per process: JSON lines in production, readable lines in dev."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

_HANDLER_NAME = "parcours"


def configure_logging(
    level: str = "INFO", json: bool = False, stream: TextIO | None = None, cache: bool = True
) -> logging.Handler:
    """Route structlog and the standard library's logging to ``stream`` (stderr) at ``level``.

    Every line carries the context variables bound at the time, so the request middleware's
    ``request_id`` is on every line a request logs. ``cache=False`` lets a later call (a test)
    reconfigure loggers already used. Libraries logging through the standard library (aiohttp,
    strawberry, neo4j) go through the same processors, so their lines are JSON with the request
    id too. Returns the root handler installed (a second call replaces it).
    """
    target = stream or sys.stderr
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        # A plain traceback: rich's shows every frame's locals, which are customers' data.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=target),
        cache_logger_on_first_use=cache,
    )
    handler = logging.StreamHandler(target)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    # The request middleware writes the access line, with the route pattern; aiohttp's own
    # (wherever a runner leaves it on) has the raw path, whose customer ids a log must not hold.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    _drop_peer_addresses(logging.getLogger("aiohttp.server"))
    return handler


class _WithoutPeerAddress(logging.Filter):
    """aiohttp logs a request it could not parse (a bad header) as "Error handling request from
    <client address>", before any middleware: the address is personal data, so it goes. The
    request middleware answers handlers' errors itself, with the request id and route."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _AIOHTTP_ERROR_LINE:
            record.msg, record.args = "Error handling request", ()
        return True


_AIOHTTP_ERROR_LINE = "Error handling request from %s"


def _drop_peer_addresses(logger: logging.Logger) -> None:
    if not any(isinstance(f, _WithoutPeerAddress) for f in logger.filters):
        logger.addFilter(_WithoutPeerAddress())
