"""A trivial aiohttp server (``GET /ok``) for the generator self-check; it does nothing else.

python -m bench.trivial --port 8099
"""

from __future__ import annotations

import argparse

import uvloop
from aiohttp import web


async def ok(_: web.Request) -> web.Response:
    return web.Response(body=b'{"status":"ok"}', content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/ok", ok)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
