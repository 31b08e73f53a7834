"""Simulated time: the sandbox's clock can run faster than the wall clock, and can jump."""

import datetime
import threading
import time


class Clock:
    """Simulated seconds since the epoch. `speed` simulated seconds pass per real second;
    `advance(s)` jumps forward. Every timestamp the sandbox writes comes from here."""

    def __init__(self, speed=1.0):
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = float(speed)
        self._lock = threading.Lock()
        self._real0 = time.monotonic()
        self._sim0 = time.time()

    def now(self):
        with self._lock:
            return self._sim0 + (time.monotonic() - self._real0) * self.speed

    def advance(self, seconds):
        with self._lock:
            self._sim0 += seconds

    def real_seconds(self, sim_seconds):
        """How long the wall clock takes for `sim_seconds` of simulated time."""
        return max(0.0, sim_seconds / self.speed)

    def stamp(self, at=None):
        return rfc3339(self.now() if at is None else at)

    def datetime(self):
        return datetime.datetime.fromtimestamp(self.now(), datetime.timezone.utc)


def time_to_step(loop, now):
    """A control loop's gate: run when something it watches changed (`loop.dirty`) or its
    next deadline (`loop.next_due()`) has come. Clears `dirty` when it says run."""
    due = loop.next_due()
    if not loop.dirty and (due is None or due > now):
        return False
    loop.dirty = False
    return True


def rfc3339(epoch_seconds):
    return datetime.datetime.fromtimestamp(int(epoch_seconds), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()
