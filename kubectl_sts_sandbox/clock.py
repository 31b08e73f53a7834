"""Simulated time: the sandbox's clock can run faster than the wall clock, and can jump."""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any, Optional


class Clock:
    """Simulated seconds since the epoch. `speed` simulated seconds pass per real second;
    `advance(s)` jumps forward. Every timestamp the sandbox writes comes from here."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = float(speed)
        self._lock = threading.Lock()
        self._real0 = time.monotonic()
        self._sim0 = time.time()

    def now(self) -> float:
        with self._lock:
            return self._sim0 + (time.monotonic() - self._real0) * self.speed

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._sim0 += seconds

    def real_seconds(self, sim_seconds: float) -> float:
        """How long the wall clock takes for `sim_seconds` of simulated time."""
        return max(0.0, sim_seconds / self.speed)

    def stamp(self, at: Optional[float] = None) -> str:
        return rfc3339(self.now() if at is None else at)

    def datetime(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.now(), datetime.timezone.utc)


def time_to_step(loop: Any, now: float) -> bool:
    """A control loop's gate: run when something it watches changed (`loop.dirty`) or its
    next deadline (`loop.next_due()`) has come. Clears `dirty` when it says run."""
    due = loop.next_due()
    if not loop.dirty and (due is None or due > now):
        return False
    loop.dirty = False
    return True


def rfc3339(epoch_seconds: float) -> str:
    return datetime.datetime.fromtimestamp(int(epoch_seconds), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: Optional[str]) -> Optional[float]:
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()
