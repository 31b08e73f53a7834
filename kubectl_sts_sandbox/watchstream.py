"""Serving a watch request: the chunked stream of events, bookmarks and the end of the watch
(its timeout, the listener closing, an injected fault). What each committed change sends is
watch.py's (the watch cache's rules, pure); this is the loop that follows the store."""

import io
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Protocol

from . import errors
from .errors import ApiError
from .faults import Plan
from .resources import ResourceType, api_version
from .routes import begin_stream
from .watch import bookmark, watch_event, watch_options

if TYPE_CHECKING:
    from .cluster import Cluster

Obj = Dict[str, Any]
Predicate = Callable[[Obj], bool]


class WatchServer(Protocol):
    """What a watch needs of the API server (server.ApiServer)."""
    @property
    def cluster(self) -> "Cluster": ...

    @property
    def stopping(self) -> threading.Event: ...

    @property
    def bookmark_seconds(self) -> float: ...


class WatchRequest(Protocol):
    """What a watch needs of its request's handler (server.Handler)."""
    close_connection: bool

    @property
    def server(self) -> WatchServer: ...

    @property
    def query(self) -> Dict[str, str]: ...

    @property
    def fault_plan(self) -> Optional[Plan]: ...

    @property
    def wfile(self) -> io.BufferedIOBase: ...

    def record(self, code: int) -> None: ...

    def send_response(self, code: int, message: Optional[str] = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...

    def wants_table(self) -> bool: ...

    def as_table(self, rt: ResourceType, objs: List[Obj]) -> Obj: ...


def serve_watch(handler: WatchRequest, rt: ResourceType, ns: Optional[str], name: Optional[str],
                predicate: Predicate) -> None:
    """One loop, correct by construction: `position` advances only through committed
    changes this watch has examined (sent or filtered out), and a BOOKMARK carries exactly
    `position`. The rules of what is sent live in watch.py."""
    if name is not None:                        # the legacy /watch/.../NAME form
        base = predicate
        predicate = lambda o: o["metadata"]["name"] == name and base(o)   # noqa: E731
    options = watch_options(handler.query)      # a bad query is refused before any event
    server = handler.server
    store = server.cluster.store
    if options.since is not None:
        # a resourceVersion the store has not reached: the watch cache waits up to 3 s
        # for it, then refuses (storage.NewTooLargeResourceVersionError: 504, retry in 1 s)
        since = options.since
        with store.cond:
            store.cond.wait_for(lambda: store.rv >= since, timeout=3.0)
            if store.rv < since:
                raise errors.too_large_resource_version(since, store.rv)
    timeout = float(handler.query.get("timeoutSeconds") or 1800)
    deadline = time.monotonic() + timeout
    table = handler.wants_table()
    stopping = server.stopping
    plan = handler.fault_plan
    close_after = plan.watch_close_after if plan is not None else None
    drop_after = plan.watch_drop_after if plan is not None else None
    if plan is not None and plan.watch_close_seconds is not None:
        deadline = min(deadline, time.monotonic() + plan.watch_close_seconds)
    sent = [0]
    begin_stream(handler, "application/json")
    wfile = handler.wfile

    def send(etype: str, obj: Obj) -> None:
        if drop_after is not None and sent[0] >= drop_after and \
                etype in ("ADDED", "MODIFIED", "DELETED"):
            return                                  # an injected fault: the event is lost
        if table and etype in ("ADDED", "MODIFIED", "DELETED"):
            obj = handler.as_table(rt, [obj])
        data = json.dumps({"type": etype, "object": obj}, separators=(",", ":")).encode() + b"\n"
        wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        wfile.flush()
        if etype in ("ADDED", "MODIFIED", "DELETED"):
            sent[0] += 1

    def closing() -> bool:      # an injected early close: after N events
        return close_after is not None and sent[0] >= close_after

    def send_bookmark(position: int, initial_end: bool = False) -> None:
        send("BOOKMARK", bookmark(rt.kind, api_version(rt), position, initial_end))

    try:
        if plan is not None and plan.watch_gone is not None:
            send("ERROR", errors.gone("too old resource version: %d (%d)"
                                      % (options.since or 0, store.rv)).status)
            wfile.write(b"0\r\n\r\n")
            wfile.flush()
            return
        if options.since is not None:
            position = options.since
        elif options.initial:
            items, position = store.list(rt, ns, predicate)     # one consistent snapshot
            for obj in items:
                if closing():
                    break
                send("ADDED", obj)
        else:
            with store.cond:
                position = store.rv
        if options.initial_end_bookmark and not closing():
            send_bookmark(position, initial_end=True)
        period = server.bookmark_seconds
        next_bookmark = time.monotonic() + period
        while not stopping.is_set() and not closing():
            now = time.monotonic()
            if now >= deadline:
                break
            due = options.bookmarks and now >= next_bookmark
            with store.cond:
                entries = store.events_since(position)      # 410 Gone when compacted
                if not entries and not due:
                    wake = min(deadline - now, 0.5)
                    if options.bookmarks:
                        wake = min(wake, next_bookmark - now)
                    store.cond.wait(timeout=max(wake, 0.001))
                    continue
            for entry in entries:
                if closing():
                    break
                event = watch_event(entry, rt, ns, predicate)
                if event is not None:
                    send(*event)
                position = entry.rv
            if options.bookmarks and time.monotonic() >= next_bookmark and not closing():
                send_bookmark(position)
                next_bookmark = time.monotonic() + period
        wfile.write(b"0\r\n\r\n")
        wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        handler.close_connection = True
    except ApiError as exc:
        send("ERROR", exc.status)
        wfile.write(b"0\r\n\r\n")
