"""Node packages the tests use (clients/typescript's, axe-core), installed as each
directory's package-lock.json pins them: once per checkout, sessions beside each other
taking turns, again only when the lock file changed."""

from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path


def installed(directory: Path) -> Path:
    """``directory``'s node_modules, installed with ``npm ci`` if missing or older than
    its package-lock.json."""
    marker = directory / "node_modules" / ".package-lock.json"
    with (directory / ".npm-install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pinned = directory / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < pinned.stat().st_mtime:
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stdout + done.stderr
    return directory / "node_modules"
