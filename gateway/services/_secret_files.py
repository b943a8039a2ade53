"""Files holding a secret (a generated password), readable by their owner only from the start.

Writing the file and narrowing its mode afterwards leaves an instant in which any local user may
read it; here the file is created with mode 0600, so it never exists with broader permissions.
This module must never write a secret through a path that could be created otherwise.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY = 0o600


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, a file only its owner may read or write.

    Example:
        >>> write_secret(state_dir / "password", secrets.token_urlsafe(18))  # doctest: +SKIP
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, OWNER_ONLY)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        # A file that already existed keeps its mode through O_CREAT: narrow it before writing.
        if stat.S_IMODE(os.fstat(fd).st_mode) != OWNER_ONLY:
            os.fchmod(fd, OWNER_ONLY)
        file.write(text)
