"""List-then-watch of one collection, kept current in memory (client-go's informer, small).

Watches resume from the last resourceVersion when a stream ends. After an ERROR event (410
Gone: the resourceVersion is too old), a stream broken in the middle, or a failed request, the
informer lists again and watches from there, with bounded exponential backoff, for as long as
it runs: an API server that restarts, or stays down, is waited for. Waiters read `error`
(the last failure, None once a list succeeded again) and `error_since` (when the failures
began) to say "API server unreachable since ..." and give up at their own deadline, or once
it has failed for retry.UNREACHABLE_BUDGET seconds in a row (client/watch.py). No
polling: changes arrive as watch events."""

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from ..errors import Forbidden, NotFound, StsError, TransportError, Unauthorized
from .retry import BACKOFF_FIRST, BACKOFF_MAX

if TYPE_CHECKING:
    from .connection import Connection

Obj = Dict[str, Any]

HOPELESS = (Forbidden, Unauthorized, NotFound)    # no retry can help: the informer stops


def _rv(obj: Obj) -> Optional[int]:
    """An object's resourceVersion as a number, or None (the API calls it opaque; every real
    server's is etcd's revision, a number)."""
    value = (obj.get("metadata") or {}).get("resourceVersion")
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Informer(threading.Thread):
    def __init__(self, conn: "Connection", path: str, notify: Callable[["Informer"], None],
                 watch_seconds: float = 60, **query: Any) -> None:
        super().__init__(daemon=True, name="informer %s" % path)
        self.conn, self.path, self.query = conn, path, query
        self.notify = notify                # called (from this thread) after every change
        self.watch_seconds = watch_seconds
        self.items: Dict[str, Obj] = {}
        self.synced = threading.Event()
        self.error: Optional[StsError] = None   # the last failure, None when healthy
        self.error_since: Optional[float] = None    # time.time() of the first failure in a row
        self.fatal = False                  # a 403/404: retrying cannot help; stopped
        self.lock = threading.Lock()        # guards items against replace() from a waiter
        self.floor: Optional[int] = None    # events at or below this rv are in `items` already
        self._halt = threading.Event()
        self._delay = BACKOFF_FIRST

    def stop(self) -> None:
        self._halt.set()

    @property
    def healthy(self) -> bool:
        return self.error is None

    def describe_error(self) -> Optional[str]:
        """`API server unreachable since 12:00:01 (REASON)`, or None while healthy."""
        error, since = self.error, self.error_since
        if error is None:
            return None
        when = time.strftime("%H:%M:%S", time.localtime(since)) if since else "?"
        reason = error.message
        if reason.startswith("error: "):
            reason = reason[len("error: "):]
        if isinstance(error, HOPELESS):
            return reason
        if isinstance(error, TransportError):
            return "API server unreachable since %s (%s)" % (when, reason)
        return "API server failing since %s (%s)" % (when, reason)

    def run(self) -> None:
        from .threads import leave_signals_to_main
        leave_signals_to_main()
        while not self._halt.is_set():
            try:
                rv = self._list()
                self._watch(rv)
            except StsError as exc:
                if self._failed(exc):
                    return
            except Exception as exc:     # never a traceback from a thread: record, back off
                from ..errors import redact
                first = redact(str(exc)).strip().splitlines()[0] if str(exc).strip() else ""
                if self._failed(StsError("error: reading %s: %s: %s"
                                         % (self.path, type(exc).__name__, first))):
                    return

    def _failed(self, exc: StsError) -> bool:
        """Record a failure and wait before the next list. True when the thread should end."""
        if self._halt.is_set():
            return True
        if self.error is None:
            self.error_since = time.time()
        self.error = exc
        if isinstance(exc, HOPELESS):
            self.fatal = True
            self.notify(self)
            return True               # retrying cannot help; the caller reports it
        self.notify(self)
        return self._backoff()

    def _backoff(self) -> bool:
        delay = self._delay
        self._delay = min(self._delay * 2, BACKOFF_MAX)
        return self._halt.wait(delay)

    def replace(self, listing: Obj) -> None:
        """Take a fresh list (read by a waiter) as the state: watch events it already reflects
        (resourceVersion at or below the list's) are not applied again."""
        items = {o["metadata"]["name"]: o for o in listing.get("items") or []}
        with self.lock:
            self.items = items
            self.floor = _rv(listing.get("metadata") or {})
        self.synced.set()

    def _list(self) -> Any:
        listing = self.conn.request("GET", self.path, self.query, retry=False)
        with self.lock:
            self.items = {o["metadata"]["name"]: o for o in listing.get("items") or []}
            self.floor = None
        self.error = self.error_since = None
        self._delay = BACKOFF_FIRST
        self.synced.set()
        self.notify(self)
        return listing["metadata"]["resourceVersion"]

    def _watch(self, rv: Any) -> None:
        """Watch from `rv` until an ERROR event (then return: the caller lists again); a
        stream the server ends is reopened from the last resourceVersion seen."""
        while not self._halt.is_set():
            opened = time.monotonic()
            events = 0
            for event in self.conn.watch(self.path, timeout_seconds=self.watch_seconds,
                                         retry=False, resourceVersion=rv, **self.query):
                if self._halt.is_set():
                    return
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    # 410 Gone (compaction) or another error: list again. A server that
                    # answers every watch this way is not hammered: back off a little.
                    if time.monotonic() - opened < 1.0 and events == 0:
                        self._backoff()
                    return
                events += 1
                rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                if kind == "BOOKMARK":
                    continue
                name = obj["metadata"]["name"]
                with self.lock:
                    at = _rv(obj)
                    if self.floor is not None and at is not None and at <= self.floor:
                        continue            # a fresh list already showed this change
                    if kind == "DELETED":
                        self.items.pop(name, None)
                    else:
                        self.items[name] = obj
                self.notify(self)
            if events == 0 and time.monotonic() - opened < 1.0:
                # closed at once, with nothing: do not spin on a server that does that
                if self._backoff():
                    return
            else:
                self._delay = BACKOFF_FIRST
