"""One exclusive lock on a file, shared by the index writer and the upload manifest; and the
shared lease a reader holds on a generation it serves, which keeps it from being collected.

fcntl.flock by hand rather than the `filelock` package (installed with torch, not declared):
filelock 4 polls where flock blocks, raises a "Deadlock" RuntimeError where flock would wait
(a second lock object in the same thread) and may fall back to marker files, so the refusal
and the wait would no longer be those of the kernel's lock that both callers relied on.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path, wait: bool = False, busy: Exception | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created empty if missing; its folder must exist).

    With wait, block until the holder lets go. Without, refuse at once: raise `busy` (chained
    to the OS error) when another holder has it, or that OS error itself when busy is None.
    """
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            if busy is not None and exc.errno in (errno.EAGAIN, errno.EACCES):
                raise busy from exc
            raise
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Lease:
    """A shared lock held on a file for as long as a reader uses what it guards: an Engine on the
    manifest of the generation it loaded, so that later ingestions leave that generation on disk
    (a long-lived Engine's new threads still open its store). Released by `release` or when the
    object is collected."""

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - held for the Lease's life; read-only: flock needs no write
        fcntl.flock(self._fh, fcntl.LOCK_SH)

    def release(self) -> None:
        self._fh.close()


def in_use(path: Path) -> bool:
    """Does some reader hold a Lease on `path`? (Another open file's lock, in this process too.)"""
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return True
            raise
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False
