"""Files that hold answers are private: the data folder 0700, database, log, backups and
copies 0600, whatever the umask (issue 17: they were 0755 and 0644, readable by any user)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = 0o700
FILE = 0o600


def private_folder(path: Path) -> None:
    """Make the folder (and its parents, with the usual modes) and leave it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    _tighten(path, FOLDER)


def private_file(path: Path) -> None:
    """Create the file empty if missing, and leave it 0600. SQLite gives the -wal and -shm
    files it makes the mode of the database file, so this on the database covers them."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE)
    except FileExistsError:
        _tighten(path, FILE)
        return
    try:
        os.fchmod(fd, FILE)  # the umask may have taken bits away; it cannot add any
    finally:
        os.close(fd)


def tighten_if_present(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        _tighten(path, FILE)


def loose(path: Path) -> bool:
    """True if anyone but the owner may read, write or enter it."""
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def _tighten(path: Path, wanted: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current != wanted:
        path.chmod(wanted)
        log.info("%s was %o, now %o", path, current, wanted)
