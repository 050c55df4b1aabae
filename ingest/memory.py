"""Keeping an ingestion's resident memory flat while the model runs batch after batch (glibc only).

Each forward pass allocates and frees tensors of up to ~100 MB. glibc serves a large block with
mmap and hands it back when freed, but raises that threshold to the size of each mmapped block
freed: after the first batches every tensor came from the heap, whose free space fragments, and
the resident size crept up chunk after chunk (1,015 MB after 6 chunks of 512 Python-docs passages,
777 MB with the threshold held at 1 MiB; nothing more was alive). Elsewhere these are no-ops.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD = 1 << 20  # blocks from 1 MiB up are mmapped, and unmapped when freed


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    # musl and other C libraries have neither call
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_LIBC = _libc()
_bounded = False


def bound_allocator() -> None:
    """Hold glibc's mmap threshold fixed, once per process, before the model's first batch."""
    global _bounded
    if _LIBC is not None and not _bounded:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _bounded = True


def release_freed_memory() -> None:
    """Hand memory freed by the last chunk back to the system (what the heap still holds free)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
