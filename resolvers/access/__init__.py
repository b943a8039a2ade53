"""Access control of the schema: principals, scopes as permission classes, consent, audit.

It never imports ``aiohttp.web`` nor the gateway; the gateway authenticates callers and hands the
principal in through the request's ``Context``.
"""

from resolvers.access.guard import Access, NoLimits, RateLimited, WriteLimiter
from resolvers.access.principal import SCOPES, Principal

__all__ = ["SCOPES", "Access", "NoLimits", "Principal", "RateLimited", "WriteLimiter"]
