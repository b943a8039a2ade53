"""How a webhook request proves who sent it and when: a signed timestamp, as Stripe and Slack do.

The sender puts the Unix time it sends the request at (whole seconds, digits only) in
``X-Parcours-Timestamp`` and ``sha256=<hex>`` in ``X-Parcours-Signature``, the HMAC-SHA256 under
the channel's key (any of its keys while one is rotated) of ``<timestamp>.<raw body>`` (the
header's value exactly as sent, a dot, then the body's bytes). A request whose timestamp is more
than the tolerance away from the gateway's clock, either way, is refused: a request captured once
cannot be posted again later (after a customer's erasure, say), and a sender's retry is signed
again with its own time. A signature of the body alone (the scheme before the timestamp) is
refused, and the answer says so. Digests are compared in constant time. This module never logs a
key or a signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

from pydantic import SecretStr

SIGNATURE_HEADER = "X-Parcours-Signature"
TIMESTAMP_HEADER = "X-Parcours-Timestamp"
_SIGNATURE_PREFIX = "sha256="
_WHOLE_SECONDS = re.compile(r"[0-9]{1,12}")


class SignatureRefused(Exception):
    """The request is not signed as the webhook contract says; the message says what is wrong.

    Example:
        >>> str(SignatureRefused("the X-Parcours-Signature header is missing"))
        'the X-Parcours-Signature header is missing'
    """


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Parcours-Signature`` value of ``body`` sent at ``timestamp`` under ``secret``.

    Example:
        >>> signature("key", "1765000000", b"{}")[:15]
        'sha256=ce1b3030'
    """
    message = timestamp.encode("ascii") + b"." + body
    return _SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _body_only_signature(secret: str, body: bytes) -> str:
    return _SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _matches(expected: str, given: bytes) -> bool:
    return hmac.compare_digest(expected.encode(), given)


def check_signature(
    secrets: Sequence[SecretStr],
    body: bytes,
    signature_header: str | None,
    timestamp_header: str | None,
    *,
    tolerance_s: int,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureRefused` unless the headers sign ``body`` with one of ``secrets``
    (a channel's keys: more than one while a key is rotated) at a time within ``tolerance_s``
    seconds of ``now`` (the gateway's clock), either way."""
    if not secrets:
        raise SignatureRefused("this channel has no webhook secret")
    if not signature_header:
        raise SignatureRefused(f"the {SIGNATURE_HEADER} header is missing")
    if not timestamp_header:
        raise SignatureRefused(
            f"the {TIMESTAMP_HEADER} header is missing: send the Unix time of the request in it"
            f" and sign '<timestamp>.<body>'; a signature of the body alone is no longer accepted"
        )
    timestamp = timestamp_header.strip()
    if not _WHOLE_SECONDS.fullmatch(timestamp):
        raise SignatureRefused(
            f"the {TIMESTAMP_HEADER} must be the Unix time in whole seconds (digits only),"
            f" got {timestamp[:32]!r}"
        )
    keys = [secret.get_secret_value() for secret in secrets]
    given = signature_header.strip().lower().encode("utf-8", "replace")
    # Every key is tried (no early exit): how long the check takes says nothing of which matched.
    signed = [_matches(signature(key, timestamp, body), given) for key in keys]
    if not any(signed):
        if any(_matches(_body_only_signature(key, body), given) for key in keys):
            raise SignatureRefused(
                f"the {SIGNATURE_HEADER} signs the body alone, which is no longer accepted:"
                f" sign '<{TIMESTAMP_HEADER}>.<body>'"
            )
        raise SignatureRefused(
            f"the {SIGNATURE_HEADER} does not match: it must be sha256=<hex HMAC-SHA256 of"
            f" '<{TIMESTAMP_HEADER}>.<body>' under the channel's key>"
        )
    skew = int(timestamp) - int(time.time() if now is None else now)
    if abs(skew) > tolerance_s:
        side = "ahead of" if skew > 0 else "behind"
        raise SignatureRefused(
            f"the {TIMESTAMP_HEADER} is {abs(skew)} s {side} the gateway's clock, more than"
            f" {tolerance_s} s: sign each post, retries included, with the time it is sent"
        )
