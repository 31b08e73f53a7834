"""List-then-watch of one collection, kept current in memory (client-go's informer, small).

Watches resume from the last resourceVersion when a stream ends, and re-list after 410 Gone
or a dropped connection. No polling: changes arrive as watch events."""

import threading

from .errors import EXIT_FORBIDDEN, EXIT_NOT_FOUND, StsError


class Informer(threading.Thread):
    def __init__(self, conn, path, notify, watch_seconds=60, **query):
        super().__init__(daemon=True, name="informer %s" % path)
        self.conn, self.path, self.query = conn, path, query
        self.notify = notify                # called (from this thread) after every change
        self.watch_seconds = watch_seconds
        self.items = {}
        self.synced = threading.Event()
        self.error = None
        self._stop = threading.Event()

    def stop(self):
        self._stop.set()

    def run(self):
        while not self._stop.is_set():
            try:
                rv = self._list()
                self._watch(rv)
            except StsError as exc:
                self.error = exc
                self.notify(self)
                if exc.code in (EXIT_FORBIDDEN, EXIT_NOT_FOUND):
                    return               # retrying cannot help; the caller reports it
                if self._stop.wait(1.0):
                    return

    def _list(self):
        listing = self.conn.get(self.path, **self.query)
        self.items = {o["metadata"]["name"]: o for o in listing.get("items") or []}
        self.error = None
        self.synced.set()
        self.notify(self)
        return listing["metadata"]["resourceVersion"]

    def _watch(self, rv):
        while not self._stop.is_set():
            for event in self.conn.watch(self.path, timeout_seconds=self.watch_seconds,
                                         resourceVersion=rv, **self.query):
                if self._stop.is_set():
                    return
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return                   # 410 Gone or another error: re-list
                rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                if kind == "BOOKMARK":
                    continue
                name = obj["metadata"]["name"]
                if kind == "DELETED":
                    self.items.pop(name, None)
                else:
                    self.items[name] = obj
                self.notify(self)
