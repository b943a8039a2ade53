"""The store console at ``/console`` and its journey analytics at ``/console/analytics``: static
pages (plain ES modules, no build step) for store assistants, contact-centre agents and their
managers.

The gateway only serves its files; the page itself talks to the public ``/graphql`` API (HTTP and
``graphql-transport-ws``) like any other front end. This module must never grow private endpoints
for the console: what the page needs goes in the public schema.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"

# Scripts, styles and connections from the gateway itself only: data shown on the page can never
# load or run anything (the page also renders all data as text, never as markup).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


async def _console_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == "/console" or request.path.startswith("/console/"):
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-cache")


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def analytics_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "analytics.html")


def add_console(app: web.Application) -> None:
    """Serve the console at ``/console``, journey analytics at ``/console/analytics`` and their
    assets under ``/console/static/``.

    Example:
        >>> app = web.Application()
        >>> add_console(app)
        >>> sorted(r.canonical for r in app.router.resources())
        ['/console', '/console/analytics', '/console/static']
    """
    app.on_response_prepare.append(_console_headers)
    app.router.add_get("/console", console_page)
    app.router.add_get("/console/analytics", analytics_page)
    app.router.add_static("/console/static", STATIC_DIR, follow_symlinks=False)
