"""Remembers what was already handled, so a Slack retry or a replayed request is answered once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class SeenKeys:
    """A thread-safe set of keys that forgets them after `ttl` seconds (and beyond `max_keys`).

    `first(key)` is True exactly once per key within the window: the check and the insert are
    one step under a lock, so two deliveries racing each other cannot both win.
    The default window (10 min) is longer than Slack's 5-minute timestamp tolerance, so a replay
    that still passes the signature check is always remembered.
    """

    def __init__(
        self, ttl: float = 600.0, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._clock = clock
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._keys:
                return False
            self._keys[key] = now
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
            return True

    def _expire(self, now: float) -> None:
        while self._keys:
            key, seen = next(iter(self._keys.items()))
            if now - seen < self.ttl:
                break
            self._keys.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)
