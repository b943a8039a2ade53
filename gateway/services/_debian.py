"""Install a missing tool from Debian's packages, when we are root and ``apt-get`` exists.

Used for what the local stack and the tests need on a fresh machine (redis-server, Chromium). It
never installs anything when the binary is already there, and never runs a shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from gateway.services._errors import ServiceError

_APT_TIMEOUT_S = 600


def ensure_debian_binary(binary: str, packages: tuple[str, ...], default_path: str) -> str:
    """Path of ``binary``, installing Debian ``packages`` first when it is missing."""
    found = shutil.which(binary) or (default_path if Path(default_path).exists() else None)
    if found:
        return found
    command = f"sudo apt-get install -y {' '.join(packages)}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ServiceError(f"{binary} is not installed", hint=f"install it: {command}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=_APT_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            raise ServiceError(
                f"`{' '.join(argv)}` failed (exit {done.returncode})",
                hint=f"install by hand ({command}), then run the command again",
                detail=(done.stdout + done.stderr)[-2000:],
            )
    found = shutil.which(binary) or default_path
    if not Path(found).exists():
        raise ServiceError(f"the {packages[0]} package installed but {binary} is not on PATH")
    return found


def ensure_chromium() -> str:
    """Path of Debian's Chromium (and its driver), which the console's browser tests drive."""
    return ensure_debian_binary("chromium", ("chromium", "chromium-driver"), "/usr/bin/chromium")
