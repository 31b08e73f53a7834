"""Ctrl-C and SIGTERM, which only the main thread handles, reaching the one wait primitive.

1. Both signals are process-directed: the kernel delivers them to any thread that does not
   block them. CPython runs Python signal handlers in the main thread only; when the signal
   lands on another thread (an informer reading its watch, a parallel request, the lock's
   renewal) it only sets a flag, and a main thread blocked in a lock's timed wait (the wait
   primitive's Condition) sees it when that wait ends, up to the whole --timeout later. So
   every thread the plugin starts blocks both signals first (pthread_sigmask), and the kernel
   wakes the main thread instead.
2. A handler that runs while the main thread is inside a finalizer (a `__del__`, or an
   unreferenced HTTP response closed by the garbage collector) raises KeyboardInterrupt there,
   and CPython drops exceptions from finalizers, so the interruption would be lost. So
   cli/app.py's handlers also record the interruption (interrupt()), which wakes every wait
   (client/watch.py registers their events); a wait raises a recorded interruption, and forgets
   it when one leaves it."""

import signal
import threading
import weakref
from typing import List, Optional

SIGNALS = frozenset(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
                    if s is not None)

_deferred: List[BaseException] = []
_wakers: "weakref.WeakSet[threading.Event]" = weakref.WeakSet()


def leave_signals_to_main() -> None:
    """Called first in each background thread (no-op in the main thread, which must keep
    receiving them, and where pthread_sigmask is missing)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is not None and threading.current_thread() is not threading.main_thread():
        mask(signal.SIG_BLOCK, SIGNALS)


def wake_on_interrupt(event: threading.Event) -> None:
    """`event` is set when an interruption is deferred (a wait's `changed` event)."""
    _wakers.add(event)


def interrupt(exc: BaseException) -> None:
    """A signal handler's interruption, recorded in case a finalizer drops it: raised by the
    next wait."""
    _deferred[:] = [exc]
    for event in list(_wakers):
        event.set()


def take_deferred() -> Optional[BaseException]:
    return _deferred.pop(0) if _deferred else None


def forget() -> None:
    """The interruption has been raised where it can be handled (or the command is over)."""
    del _deferred[:]
