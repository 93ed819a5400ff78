"""Secret random whole numbers for the release (rules 6 and 8), read from the operating
system in blocks: two `secrets.randbelow` calls per response cost more than checking its
answers, and one 4 KiB block serves about two thousand responses."""

from __future__ import annotations

import os
from collections.abc import Callable

_BLOCK = 4096


class SecretDraws:
    """`draw(n)`: a whole number from 0 to n - 1, each equally likely, from os.urandom (what
    `secrets` uses). A value at or above the largest multiple of n that the bytes can hold
    is thrown away and another taken, so no number is favoured. Kept by one event loop: not
    for sharing between threads. A forked child starts a block of its own, so parent and
    child never draw the same numbers."""

    def __init__(self, source: Callable[[int], bytes] = os.urandom, block: int = _BLOCK):
        self._source, self._block = source, block
        self._bytes, self._at, self._pid = b"", 0, os.getpid()
        self._shapes: dict[int, tuple[int, int]] = {}  # n -> (bytes per value, limit)

    def __call__(self, n: int) -> int:
        size, limit = self._shapes.get(n) or self._shape(n)
        while True:
            value = int.from_bytes(self._take(size))
            if value < limit:
                return value % n

    def _shape(self, n: int) -> tuple[int, int]:
        if n < 1:
            raise ValueError("a draw needs at least one value to choose from")
        size = max(1, ((n - 1).bit_length() + 7) // 8)
        span = 1 << (8 * size)
        self._shapes[n] = (size, span - span % n)
        return self._shapes[n]

    def _take(self, size: int) -> bytes:
        if self._at + size > len(self._bytes) or self._pid != os.getpid():
            self._bytes, self._at = self._source(max(self._block, size)), 0
            self._pid = os.getpid()
        self._at += size
        return self._bytes[self._at - size : self._at]
