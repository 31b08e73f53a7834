"""Ctrl-C and SIGTERM reach the main thread: every background thread the plugin starts blocks
them (client/threads.py), so the kernel never hands a process-directed signal to a thread
whose CPython handler would only set a flag while the main thread sleeps in its wait."""

import signal
import threading

import pytest

from kubectl_sts.client import informer as informer_module
from kubectl_sts.client.connection import concurrently

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"),
                                reason="no pthread_sigmask")


def blocked() -> set:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_concurrent_requests_leave_the_signals_to_the_main_thread():
    masks = concurrently(blocked, blocked, blocked)
    assert signal.SIGINT not in masks[0]            # the first call runs in the caller
    for mask in masks[1:]:
        assert {signal.SIGINT, signal.SIGTERM} <= mask
    assert signal.SIGINT not in blocked()           # the caller's own mask is unchanged


def test_an_informer_leaves_the_signals_to_the_main_thread(monkeypatch):
    seen = []

    def listing(self):
        seen.append(blocked())
        self.stop()
        raise RuntimeError("stop")
    monkeypatch.setattr(informer_module.Informer, "_list", listing)
    monkeypatch.setattr(informer_module.Informer, "_failed", lambda self, exc: True)
    thread = informer_module.Informer(None, "/api/v1/pods", lambda _: None)  # type: ignore[arg-type]
    thread.start()
    thread.join(10)
    assert seen and {signal.SIGINT, signal.SIGTERM} <= seen[0]


def test_the_lock_renewal_leaves_the_signals_to_the_main_thread(monkeypatch):
    from kubectl_sts.client import threads
    from kubectl_sts.commands import locking
    seen = []
    real = threads.leave_signals_to_main

    def recording():
        real()
        seen.append(blocked())
    monkeypatch.setattr(threads, "leave_signals_to_main", recording)
    stop = threading.Event()
    stop.set()
    thread = threading.Thread(target=locking._renew, args=(None, [None], stop))
    thread.start()
    thread.join(10)
    assert seen and {signal.SIGINT, signal.SIGTERM} <= seen[0]


class _Interrupted:
    """An object whose finalizer is where Ctrl-C's handler runs, as it does when the signal
    arrives while the garbage collector closes an unreferenced HTTP response: CPython drops
    the KeyboardInterrupt raised there."""

    def __del__(self):
        from kubectl_sts.cli import app
        app._on_sigint(signal.SIGINT, None)


def test_an_interruption_a_finalizer_drops_still_ends_the_wait(monkeypatch):
    import sys
    from kubectl_sts.client import threads
    from kubectl_sts.client.watch import Verdict, Watch, wait
    dropped = []                                    # what CPython hands the unraisable hook
    monkeypatch.setattr(sys, "unraisablehook", lambda info: dropped.append(info.exc_type))
    watch = Watch(None)                             # type: ignore[arg-type]  # no collections

    def interrupt_inside_a_finalizer():
        obj = _Interrupted()
        del obj                                     # the KeyboardInterrupt is dropped
    timer = threading.Timer(0.2, interrupt_inside_a_finalizer)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            wait(watch, lambda snapshot, now: Verdict(line="waiting"), 30)
        assert dropped == [KeyboardInterrupt]       # the finalizer did drop it
        assert threads.take_deferred() is None      # raised once, not again
    finally:
        timer.cancel()
        threads.forget()


def test_an_interruption_raised_where_it_is_handled_is_not_raised_again():
    from kubectl_sts.client import threads
    from kubectl_sts.client.watch import Verdict, Watch, wait
    watch = Watch(None)                             # type: ignore[arg-type]

    def judge(snapshot, now):
        from kubectl_sts.cli import app
        app._on_sigint(signal.SIGINT, None)         # raised in the wait itself
        return Verdict(line="waiting")
    with pytest.raises(KeyboardInterrupt):
        wait(watch, judge, 30)
    assert threads.take_deferred() is None
    outcome = wait(Watch(None), lambda snapshot, now: Verdict(done=True), 30)  # type: ignore
    assert outcome.ok


def test_the_main_thread_keeps_the_signals():
    from kubectl_sts.client.threads import leave_signals_to_main
    before = blocked()
    try:
        leave_signals_to_main()         # e.g. an informer's run() called directly
        assert not {signal.SIGINT, signal.SIGTERM} & blocked()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
