"""Which failed requests are repeated, and how long to wait: bounded exponential backoff
within a budget of seconds, or the server's Retry-After. The informer backs off the same way.

Failures that are safe to repeat:
- GET: 429, 500, 502, 503, 504, and a connection reset or closed mid-response;
- any method: 429 (the server refused before doing anything), and a connection that could
  not be opened (refused, connect timeout) once this process has reached the server (a
  restart); the first contact fails at once (a wrong address).
Writes are never repeated after a 5xx or a reset: the write may have been applied.

An API server that cannot be reached (refused, reset, timed out) is waited for at most
UNREACHABLE_BUDGET seconds, whatever the command's --timeout: a request's retries, and a wait
whose watches keep failing (client/watch.py), give up then with the connection's one line
(exit 5). A restart takes seconds; a server gone for a minute is not coming back soon."""

import time
from typing import Callable, Optional, TypeVar, Union

from ..errors import ApiError, StsError, TransportError, reworded

# The first wait, its doubling cap, the default budget of one request's retries (commands
# with a --timeout use that instead; read at run time: tests lower it), the longest
# Retry-After honoured, the answers worth repeating for a read, and how long an unreachable
# API server is waited for at most (by a request or a wait; read at run time too).
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 5.0
RETRY_BUDGET = 30.0
RETRY_AFTER_MAX = 30.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
UNREACHABLE_BUDGET = 60.0


class _Backoff:
    """The backoff's next wait (rather than a number of seconds the server asked for)."""


BACKOFF = _Backoff()
T = TypeVar("T")


def retry_wait(exc: StsError, method: str) -> Union[float, _Backoff, None]:
    """Seconds to wait before repeating the request that failed with `exc` (or BACKOFF for
    the backoff's next wait), or None when it must not be repeated."""
    if isinstance(exc, ApiError):
        if exc.status == 429 or (exc.status in RETRY_STATUSES and method == "GET"):
            return min(exc.retry_after, RETRY_AFTER_MAX) if exc.retry_after else BACKOFF
        return None
    if isinstance(exc, TransportError):
        if exc.phase == "connect" or (exc.phase == "sent" and method == "GET"):
            return BACKOFF
    return None


def unreachable_budget() -> float:
    """Seconds an unreachable API server is waited for, at most (UNREACHABLE_BUDGET, read now:
    tests lower it)."""
    return UNREACHABLE_BUDGET


def retrying(attempt: Callable[[], T], method: str, budget: Callable[[], Optional[float]],
             on_retry: Callable[[], None]) -> T:
    """`attempt()`, repeated while it fails in a way worth repeating, until `budget()`
    seconds have passed since the first failure (BACKOFF_FIRST doubling up to BACKOFF_MAX per
    wait, or the server's Retry-After). `on_retry` is told of each repetition. The last
    failure is raised, saying how many attempts were made in how long."""
    started = None
    delay = BACKOFF_FIRST
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt()
        except StsError as exc:
            wait = retry_wait(exc, method)
            if wait is None:
                raise
            now = time.monotonic()
            if started is None:
                started = now
            allowed = budget() or 0
            if isinstance(exc, TransportError):
                allowed = min(allowed, unreachable_budget())
            deadline = started + allowed
            left = deadline - now
            if left <= 0:
                if attempts > 1:
                    reworded(exc, "%s (gave up after %d attempts in %.1fs)" % (
                        exc.message, attempts, now - started))
                raise
            if isinstance(wait, _Backoff):
                wait = delay
                delay = min(delay * 2, BACKOFF_MAX)
            on_retry()
            time.sleep(min(wait, left))
