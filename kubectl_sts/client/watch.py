"""One way to wait: informers over the collections a command depends on, a judgement over
their items, a deadline, progress, and one fresh read before a timeout is declared.

    watch = Watch(conn, pods=(path, {"labelSelector": sel}), sts=(path, {...}))
    with watch:
        outcome = wait(watch, judge, timeout=300, progress=print)

`judge(snapshot, now)` is a function of plain data: `snapshot` maps each name given to Watch
to {object name: object}; it returns a Verdict (done, failed, a progress line, when to judge
again without an event). The wait wakes on every watch event (no polling), and at the
verdict's `wake` time. When the deadline passes, the collections are listed once more, fresh
from the API server, and judged again, as client-go's wait helpers do: a timeout message
always describes the state the cluster is really in, and a condition that holds in the fresh
read is success, not a timeout (a lost watch event cannot make a wait lie).

An API server that cannot be reached ends a wait as "unreachable" at its deadline, or sooner:
once a watch has failed without a break for retry.UNREACHABLE_BUDGET seconds, whatever the
deadline (none, for `status --watch`). The outcome's `error` is then the one message every
command prints: the connection's line (`error: cannot reach the cluster at URL: REASON`), since
when, and how long it was waited for.
"""

import re
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple

from ..errors import StsError, TransportError, reworded

if TYPE_CHECKING:
    from .connection import Connection
    from .informer import Informer

Items = Dict[str, Dict[str, Any]]
Snapshot = Dict[str, Items]


class Verdict:
    """What a judge says of one snapshot."""

    __slots__ = ("done", "failed", "line", "wake", "result")

    def __init__(self, done: bool = False, failed: Any = None, line: Optional[str] = None,
                 wake: Optional[float] = None, result: Any = None) -> None:
        self.done = done            # the condition holds
        self.failed = failed        # a failure the caller reports (fail fast); None if none
        self.line = line            # progress text (printed when it changes)
        self.wake = wake            # judge again at this clock time even without an event
        self.result = result        # anything the caller wants back

    def __repr__(self) -> str:
        return "Verdict(done=%r, failed=%r, line=%r)" % (self.done, self.failed, self.line)


class Outcome:
    """How a wait ended: "done", "failed", "timeout" (the verdict on the fresh read), or
    "unreachable" (the API server failed until the deadline, or for UNREACHABLE_BUDGET;
    `error` says how, in the one message of server loss: commands raise it, perhaps with
    their advice appended)."""

    __slots__ = ("state", "verdict", "error", "fresh", "why")

    def __init__(self, state: str, verdict: Optional[Verdict] = None,
                 error: Optional[StsError] = None, fresh: bool = False,
                 why: Optional[str] = None) -> None:
        self.state, self.verdict, self.error, self.fresh = state, verdict, error, fresh
        self.why = why              # "unreachable": the failure in words, with since when

    @property
    def ok(self) -> bool:
        return self.state == "done"

    def __repr__(self) -> str:
        return "Outcome(%s, %r, fresh=%s)" % (self.state, self.verdict, self.fresh)


class Clock:
    """Monotonic time and waiting on an event; tests inject a fake."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds))


CLOCK = Clock()


class Watch:
    """Informers on named collections, sharing one `changed` event."""

    def __init__(self, conn: "Connection", clock: Clock = CLOCK,
                 **collections: Tuple[str, Mapping[str, str]]) -> None:
        from .informer import Informer
        self.conn = conn
        self.clock = clock
        self.changed = threading.Event()
        from .threads import wake_on_interrupt
        wake_on_interrupt(self.changed)         # a deferred Ctrl-C wakes the wait (threads.py)
        self.specs: Dict[str, Tuple[str, Dict[str, Any]]] = {
            key: (path, dict(query)) for key, (path, query) in collections.items()}
        self.informers = {key: Informer(conn, path, self._notify, **query)
                          for key, (path, query) in self.specs.items()}
        self.started = False

    def _notify(self, _informer: "Informer") -> None:
        self.changed.set()

    def start(self) -> "Watch":
        if not self.started:
            for informer in self.informers.values():
                informer.start()
            self.started = True
        return self

    def stop(self) -> None:
        for informer in self.informers.values():
            informer.stop()

    def __enter__(self) -> "Watch":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def snapshot(self) -> Snapshot:
        out = {}
        for key, informer in self.informers.items():
            with informer.lock:
                out[key] = dict(informer.items)
        return out

    def fresh(self, retry_budget: float = 5) -> Snapshot:
        """Every collection listed again now; the informers take the fresh state too (so what
        a command reads after the wait agrees with what the wait judged)."""
        listings = {key: self.conn.request("GET", path, query, retry_budget=retry_budget)
                    for key, (path, query) in self.specs.items()}
        for key, listing in listings.items():
            self.informers[key].replace(listing)
        return self.snapshot()

    def fatal(self) -> Optional[StsError]:
        """A 403/404 on a collection: no retry can help."""
        for informer in self.informers.values():
            if informer.fatal:
                return informer.error
        return None

    def trouble(self, starting_only: bool = False) -> Optional["Informer"]:
        """The first informer that is not synced or is failing, or None when all are fresh.
        starting_only: only one that has neither listed nor failed yet."""
        for informer in self.informers.values():
            if starting_only:
                if informer.error is None and not informer.synced.is_set():
                    return informer
            elif informer.error is not None or not informer.synced.is_set():
                return informer
        return None

    def failing(self) -> Optional["Informer"]:
        """The first informer whose last list or watch failed (not yet listed again)."""
        for informer in self.informers.values():
            if informer.error is not None:
                return informer
        return None

    def errors(self) -> Dict[str, StsError]:
        """The collections whose watch is failing now, and how."""
        return {key: i.error for key, i in self.informers.items() if i.error is not None}


Judge = Callable[[Snapshot, float], Verdict]


def wait(watch: Watch, judge: Judge, timeout: Optional[float],
         progress: Optional[Callable[[str], None]] = None,
         judge_failing: bool = False) -> Outcome:
    """Judge every change until the verdict is done or failed, or `timeout` seconds pass
    (None: forever), or a watch has failed for retry.UNREACHABLE_BUDGET seconds in a row
    ("unreachable"). Progress lines are passed on when they change. A 403/404 on a watch is
    raised (StsError). judge_failing: judge also while a watch fails (the judge shows what
    it can, e.g. a status view listing what could not be read), once each has started."""
    from .threads import forget
    try:
        return _wait(watch, judge, timeout, progress, judge_failing)
    except KeyboardInterrupt:
        forget()                                # raised here: never again by the next wait
        raise


def _wait(watch: Watch, judge: Judge, timeout: Optional[float],
          progress: Optional[Callable[[str], None]], judge_failing: bool) -> Outcome:
    from .retry import unreachable_budget
    from .threads import take_deferred
    clock = watch.clock
    watch.start()
    deadline = None if timeout is None else clock.now() + timeout
    last_line = None
    failing_since: Optional[float] = None       # clock time the watches began to fail
    while True:
        watch.changed.clear()
        interrupted = take_deferred()
        if interrupted is not None:
            raise interrupted
        fatal = watch.fatal()
        if fatal is not None:
            raise fatal
        now = clock.now()
        failing = watch.failing()
        if failing is None:
            failing_since = None
        elif failing_since is None:
            failing_since = now
        give_up = None if failing_since is None else failing_since + unreachable_budget()
        trouble = watch.trouble(starting_only=judge_failing)
        wake = None
        if trouble is None:
            verdict = judge(watch.snapshot(), now)
            if verdict.done:
                return Outcome("done", verdict)
            if verdict.failed is not None:
                return Outcome("failed", verdict)
            line, wake = verdict.line, verdict.wake
        else:
            why = trouble.describe_error()
            line = "waiting: %s" % why if why else None
        if line is not None and line != last_line and progress is not None:
            progress(line)
            last_line = line
        if deadline is not None and now >= deadline:
            return _last_look(watch, judge, now, trouble, timeout or 0)
        if failing is not None and give_up is not None and now >= give_up \
                and failing.error is not None:
            return Outcome("unreachable", error=given_up(failing.error, _since(failing),
                                                         unreachable_budget()),
                           why=failing.describe_error())
        until = min([t for t in (deadline, wake, give_up) if t is not None], default=None)
        if until is None:
            watch.changed.wait()
        else:
            clock.wait(watch.changed, until - now)


def given_up(error: StsError, since: Optional[float], waited: float) -> StsError:
    """The one message of server loss: `error: cannot reach the cluster at URL: REASON
    (unreachable since 12:00:01, gave up after 60s)` (a copy of `error`, of its type: the
    same exit code). `since`: time.time() of the first failure."""
    import copy
    head = re.sub(r" \(gave up after \d+ attempts in [0-9.]+s\)$", "", error.message)
    when = time.strftime("%H:%M:%S", time.localtime(since if since else time.time()))
    state = "unreachable" if isinstance(error, TransportError) else "failing"
    return reworded(copy.copy(error), "%s (%s since %s, gave up after %s)"
                    % (head, state, when, _seconds(waited)))


def _since(informer: "Informer") -> Optional[float]:
    since: Optional[float] = getattr(informer, "error_since", None)
    return since


def _seconds(seconds: float) -> str:
    return "%gs" % round(seconds, 1) if seconds < 120 else "%gm" % round(seconds / 60, 1)


def _last_look(watch: Watch, judge: Judge, now: float,
               trouble: Optional["Informer"], waited: float) -> Outcome:
    """The deadline passed: judge a fresh read, so the answer is about the cluster as it is."""
    failing = watch.failing()
    try:
        # one attempt when the watches are failing: the wait ends at its deadline, not later
        snapshot = watch.fresh(retry_budget=0 if failing is not None else 5)
    except StsError as exc:
        if trouble is not None and trouble.error is not None:
            return Outcome("unreachable", error=given_up(trouble.error, _since(trouble),
                                                         waited),
                           why=trouble.describe_error())
        reason = exc.message[len("error: "):] if exc.message.startswith("error: ") else \
            exc.message
        since = _since(failing) if failing is not None else None
        return Outcome("unreachable", error=given_up(exc, since, waited), why=reason)
    verdict = judge(snapshot, now)
    if verdict.done:
        return Outcome("done", verdict, fresh=True)
    if verdict.failed is not None:
        return Outcome("failed", verdict, fresh=True)
    return Outcome("timeout", verdict, fresh=True)
