"""Watch conformance over real HTTP: what the API server's watch cache promises (issue 11).

- every ADDED/MODIFIED/DELETED after the watch's resourceVersion arrives, once, in
  resourceVersion order, also while several writers commit at irregular intervals that straddle
  the bookmark period;
- a BOOKMARK is never ahead of an undelivered matching event (a client that resumes from it
  loses nothing);
- with a label selector, a change of labels is ADDED/DELETED for the watcher
  (staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go, convertToWatchEvent);
- `sendInitialEvents` (WatchList, beta and on in 1.32) ends its synthetic ADDED events with a
  bookmark annotated `k8s.io/initial-events-end`.

Writes and watches go through the plugin's own connection (one code path on every client
version); the tests run against a real cluster too, except the one that holds the sandbox's
store lock (it needs the sandbox's internals)."""

import json
import random
import threading
import time
from typing import Any, Dict, List

import pytest

from builders import service
from kubectl_sts.errors import StsError
from kubectl_sts.client.connection import Connection
from kubectl_sts.client.kubeconfig import ConnectionOptions

MERGE = "application/merge-patch+json"


@pytest.fixture
def conn(kubeconfig):
    return Connection(ConnectionOptions(kubeconfig=kubeconfig))


def services(ns):
    return "/api/v1/namespaces/%s/services" % ns


def rv(obj):
    return int(obj["metadata"]["resourceVersion"])


class Watcher(threading.Thread):
    """One watch request read to its end (or until `stop`), every event kept."""

    def __init__(self, conn, path, since, seconds, **query):
        super().__init__(daemon=True)
        self.conn, self.path, self.since, self.seconds = conn, path, since, seconds
        self.query = query
        self.events = []
        self.error = None
        self.stop = threading.Event()
        self.seen = threading.Condition()

    def run(self):
        try:
            for event in self.conn.watch(self.path, timeout_seconds=self.seconds, retry=False,
                                         resourceVersion=self.since, **self.query):
                with self.seen:
                    self.events.append(event)
                    self.seen.notify_all()
                if self.stop.is_set():
                    return
        except StsError as exc:
            self.error = exc
        finally:
            with self.seen:
                self.stop.set()
                self.seen.notify_all()

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.seen:
            while not predicate(self.events):
                left = deadline - time.monotonic()
                if left <= 0 or (self.stop.is_set() and not predicate(self.events)):
                    return False
                self.seen.wait(left)
        return True


def expected_for(writes, group=None):
    """The (type, name, rv) a watcher selecting `group=GROUP` (None: everything) must see,
    from the writes made: (rv, op, name, group before, group after)."""
    out = []
    for rv_, op, name, before, after in sorted(writes):
        if group is None:
            out.append(({"create": "ADDED", "patch": "MODIFIED", "delete": "DELETED"}[op],
                        name, rv_))
            continue
        was, now = before == group, after == group and op != "delete"
        if now and not was:
            out.append(("ADDED", name, rv_))
        elif now and was:
            out.append(("MODIFIED", name, rv_))
        elif was:
            out.append(("DELETED", name, rv_))
    return out


def delivered(events):
    return [(e["type"], e["object"]["metadata"]["name"], rv(e["object"]))
            for e in events if e["type"] in ("ADDED", "MODIFIED", "DELETED")]


def check_bookmarks(events):
    """No bookmark ahead of an event delivered after it; positions never go back."""
    position = 0
    for event in events:
        if event["type"] == "ERROR":
            raise AssertionError("watch ended with an error: %s" % event["object"])
        at = rv(event["object"])
        assert at >= position, "resourceVersion went back: %s after %d" % (
            (event["type"], at), position)
        if event["type"] != "BOOKMARK":
            assert at > position, "an event at or behind a bookmark: %s %d <= %d" % (
                event["type"], at, position)
        position = at


def test_every_watcher_sees_every_event_in_order_from_concurrent_writers(conn, namespace):
    path = services(namespace)
    since = conn.get(path)["metadata"]["resourceVersion"]
    watchers = [Watcher(conn, path, since, 60) for _ in range(3)] + \
        [Watcher(conn, path, since, 60, labelSelector="group=a") for _ in range(2)]
    for w in watchers:
        w.start()
    writes: List[Any] = []          # [rv, op, name, before, after] rows, then tuples
    lock = threading.Lock()
    failures = []

    def writer(index, seed):
        rng = random.Random(seed)
        live: Dict[str, str] = {}   # name -> group
        try:
            for step in range(14):
                time.sleep(rng.choice((0.0, 0.05, 0.3, 0.9, 1.0, 1.1)))   # around the period
                if not live or (rng.random() < 0.45 and len(live) < 4):
                    name = "w%d-%d" % (index, step)
                    group = rng.choice("ab")
                    obj = conn.request("POST", path, body=service(name, labels={"group": group}))
                    op, before, after = "create", None, group
                    live[name] = group
                elif rng.random() < 0.6:
                    name = rng.choice(sorted(live))
                    group = rng.choice("ab")
                    obj = conn.request("PATCH", path + "/" + name, content_type=MERGE,
                                       body={"metadata": {"labels": {"group": group},
                                                          "annotations": {"step": str(step)}}})
                    op, before, after = "patch", live[name], group
                    live[name] = group
                else:
                    name = rng.choice(sorted(live))
                    obj = conn.request("DELETE", path + "/" + name)
                    op, before, after = "delete", live.pop(name), None
                    obj = None
                with lock:
                    writes.append([rv(obj) if obj else None, op, name, before, after])
        except Exception as exc:        # reported by the test thread
            failures.append(exc)
    threads = [threading.Thread(target=writer, args=(i, 1000 + i)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    # a last write every watcher selects: once it arrived, everything before it has too
    marker = conn.request("POST", path, body=service("marker", labels={"group": "a"}))
    for w in watchers:
        assert w.wait_for(lambda evs: any(e["type"] != "ERROR" and rv(e["object"]) >= rv(marker)
                                          for e in evs), 30), \
            "a watcher never reached the marker: %s" % delivered(w.events)[-5:]
        w.stop.set()
    # a deletion's resourceVersion is the one its DELETED event carries: take it from an
    # unfiltered watcher (the checks below still demand that every deletion arrives, in order)
    deletions = {}
    for type_, name, at in delivered(watchers[0].events):
        if type_ == "DELETED":
            deletions[name] = at
    for write in writes:
        if write[1] == "delete":
            assert write[2] in deletions, "deletion of %s never delivered" % write[2]
            write[0] = deletions[write[2]]
    writes = [tuple(w) for w in writes]
    full = expected_for(writes) + [("ADDED", "marker", rv(marker))]
    for w in watchers[:3]:
        check_bookmarks(w.events)
        assert delivered(w.events)[:len(full)] == full
    selected = expected_for(writes, "a") + [("ADDED", "marker", rv(marker))]
    for w in watchers[3:]:
        check_bookmarks(w.events)
        assert delivered(w.events)[:len(selected)] == selected
    assert len(full) > 30     # the scenario really wrote


def test_a_label_change_is_added_or_deleted_for_a_selecting_watch(conn, namespace):
    path = services(namespace)
    since = conn.get(path)["metadata"]["resourceVersion"]
    conn.request("POST", path, body=service("s", labels={"group": "a"}))
    conn.request("PATCH", path + "/s", content_type=MERGE,
                 body={"metadata": {"labels": {"group": "b"}}})
    conn.request("PATCH", path + "/s", content_type=MERGE,
                 body={"metadata": {"labels": {"group": "a"}}})
    conn.request("DELETE", path + "/s")
    w = Watcher(conn, path, since, 10, labelSelector="group=a")
    w.start()
    assert w.wait_for(lambda evs: len(delivered(evs)) >= 4, 10), delivered(w.events)
    w.stop.set()
    events = [e for e in w.events if e["type"] != "BOOKMARK"]
    assert [(e["type"], e["object"]["metadata"]["labels"]["group"]) for e in events[:4]] == \
        [("ADDED", "a"), ("DELETED", "a"), ("ADDED", "a"), ("DELETED", "a")]
    # the DELETED for the label change carries the object as it was, at the change's version
    assert rv(events[1]["object"]) < rv(events[2]["object"])


def test_send_initial_events_ends_with_an_annotated_bookmark(conn, namespace):
    path = services(namespace)
    for name in ("i1", "i2"):
        conn.request("POST", path, body=service(name, labels={"group": "a"}))
    head = conn.get(path)["metadata"]["resourceVersion"]
    w = Watcher(conn, path, "", 10, sendInitialEvents="true",
                resourceVersionMatch="NotOlderThan")
    w.start()
    assert w.wait_for(lambda evs: any(e["type"] == "BOOKMARK" for e in evs), 10)
    w.stop.set()
    first = [e for e in w.events]
    names = [e["object"]["metadata"]["name"] for e in first if e["type"] == "ADDED"]
    end = next(e for e in first if e["type"] == "BOOKMARK")
    assert sorted(names) == ["i1", "i2"]
    assert first.index(end) == 2
    assert end["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert rv(end["object"]) >= int(head)


def test_send_initial_events_without_not_older_than_is_invalid(conn, namespace):
    with pytest.raises(StsError) as info:
        for _ in conn.watch(services(namespace), timeout_seconds=2, retry=False,
                            sendInitialEvents="true"):
            break
    assert "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in \
        info.value.message


def test_a_bookmark_never_skips_an_event_committed_while_the_watch_waits(conn, namespace,
                                                                        sandbox):
    """Deterministic: the store's lock is held across a bookmark tick while a change is
    committed (as the cluster loop does when it commits a whole step). The watch must send
    the change before any bookmark at or past its resourceVersion."""
    from kubectl_sts_sandbox.resources import BY_KIND
    path = services(namespace)
    since = conn.get(path)["metadata"]["resourceVersion"]
    server = sandbox.server
    period, server.bookmark_seconds = server.bookmark_seconds, 0.2
    try:
        w = Watcher(conn, path, since, 20)
        w.start()
        assert w.wait_for(lambda evs: any(e["type"] == "BOOKMARK" for e in evs), 10)
    finally:
        server.bookmark_seconds = period
    store = sandbox.store
    with store.cond:                      # the watch now waits on the condition
        created = store.create(BY_KIND["Service"], service("held", labels={"group": "a"}),
                               namespace=namespace)
        time.sleep(0.6)                   # hold the lock across the next bookmark tick
    assert w.wait_for(lambda evs: any(e["type"] == "BOOKMARK" and rv(e["object"]) >= rv(created)
                                      for e in evs), 10), w.events
    w.stop.set()
    check_bookmarks(w.events)
    assert ("ADDED", "held", rv(created)) in delivered(w.events)


def test_a_watch_from_a_compacted_version_is_gone_and_a_list_resumes(conn, namespace, sandbox):
    path = services(namespace)
    since = conn.get(path)["metadata"]["resourceVersion"]
    conn.request("POST", path, body=service("c1", labels={"group": "a"}))
    sandbox.store.compact()
    events = list(conn.watch(path, timeout_seconds=2, retry=False, resourceVersion=since))
    assert [e["type"] for e in events] == ["ERROR"]
    assert events[0]["object"]["code"] == 410
    listing = conn.get(path)
    assert [o["metadata"]["name"] for o in listing["items"]] == ["c1"]
    conn.request("POST", path, body=service("c2", labels={"group": "a"}))
    w = Watcher(conn, path, listing["metadata"]["resourceVersion"], 10)
    w.start()
    assert w.wait_for(lambda evs: delivered(evs), 10)
    w.stop.set()
    assert [d[:2] for d in delivered(w.events)] == [("ADDED", "c2")]


def test_watch_events_are_json_lines(conn, namespace):
    """Each event is one JSON document on its own line (kubectl's decoder reads frames)."""
    path = services(namespace)
    since = conn.get(path)["metadata"]["resourceVersion"]
    conn.request("POST", path, body=service("j", labels={"group": "a"}))
    response = conn.request("GET", path, {"watch": "true", "resourceVersion": since,
                                          "timeoutSeconds": "1"}, stream=True, retry=False)
    data = b"".join(response.stream(65536, decode_content=False))
    response.release_conn()
    lines = [line for line in data.split(b"\n") if line.strip()]
    assert [json.loads(line)["type"] for line in lines] == ["ADDED"]


def test_a_watch_from_a_version_the_server_has_not_reached_is_refused(conn, namespace):
    path = services(namespace)
    head = int(conn.get(path)["metadata"]["resourceVersion"])
    started = time.monotonic()
    with pytest.raises(StsError) as info:
        for _ in conn.watch(path, timeout_seconds=10, retry=False,
                            resourceVersion=str(head + 10 ** 9)):
            break
    assert "Too large resource version" in info.value.message
    assert time.monotonic() - started < 8
