"""The wait primitive (kubectl_sts/client/watch.py) and the informer under it, without a server:
scripted informer states and event streams, a fake clock. Table-driven where the cases are
alike, as kubectl's rollout_status_test.go is."""

import threading
from typing import List, Optional, cast

import pytest

from kubectl_sts.errors import Forbidden, StsError, TransportError
from kubectl_sts.client.connection import Connection
from kubectl_sts.client.informer import Informer
from kubectl_sts.client.watch import Clock, Verdict, Watch, wait


class FakeClock(Clock):
    """Time moves only when the waiter waits; `script` runs at each wait (time, event) and may
    change the world and set the event, as a watch event would."""

    def __init__(self, script=None):
        self.t = 1000.0
        self.waits = []
        self.script = script or (lambda clock, event: None)

    def now(self):
        return self.t

    def wait(self, event, seconds):
        self.waits.append(seconds)
        if len(self.waits) > 1000:
            raise AssertionError("the wait never ended")
        self.script(self, event)
        if event.is_set():
            return True
        self.t += seconds
        return False


class FakeInformer:
    def __init__(self, items=None, synced=True, error=None, fatal=False):
        self.items = dict(items or {})
        self.synced = threading.Event()
        if synced:
            self.synced.set()
        self.error, self.fatal = error, fatal
        self.lock = threading.Lock()
        self.replaced = None

    def describe_error(self):
        return None if self.error is None else "API server unreachable since 12:00:00 (down)"

    def replace(self, listing):
        self.replaced = listing
        self.items = {o["metadata"]["name"]: o for o in listing["items"]}
        self.synced.set()

    def stop(self):
        pass


class FakeConn:
    """Answers the fresh list of a wait: `lists` maps a path to a listing or an exception."""

    def __init__(self, lists=None):
        self.lists = lists or {}
        self.requests = []

    def request(self, method, path, query=None, **kwargs):
        self.requests.append((method, path, query))
        answer = self.lists[path]
        if isinstance(answer, Exception):
            raise answer
        return answer


def pod(name, ready):
    return {"metadata": {"name": name, "resourceVersion": "5"}, "ready": ready}


def make_watch(clock, conn=None, **informers):
    watch = Watch(cast(Connection, conn or FakeConn()), clock=clock,
                  **{key: ("/" + key, {}) for key in informers})
    watch.informers = dict(informers)
    watch.started = True
    return watch


def all_ready(snapshot, now):
    pods = snapshot["pods"]
    waiting = sorted(name for name, p in pods.items() if not p["ready"])
    return Verdict(done=bool(pods) and not waiting,
                   line="waiting: %s not Ready" % ", ".join(waiting) if waiting else "waiting")


def listing(*pods_):
    return {"metadata": {"resourceVersion": "9"}, "items": list(pods_)}


@pytest.mark.parametrize("name, informer, fresh, want_state, want_fresh, want_line", [
    ("done at once", FakeInformer({"a": pod("a", True)}), None, "done", False, None),
    ("a lost event: the fresh read shows it done", FakeInformer({"a": pod("a", False)}),
     listing(pod("a", True)), "done", True, None),
    ("a timeout describes the fresh state, not the stale one",
     FakeInformer({"a": pod("a", False), "b": pod("b", False)}),
     listing(pod("a", True), pod("b", False)), "timeout", True, "waiting: b not Ready"),
    ("never synced, then the server answers: judged on the fresh read",
     FakeInformer(synced=False), listing(pod("a", True)), "done", True, None),
    ("down until the deadline, and still down", FakeInformer(
        synced=False, error=TransportError("error: connection refused")),
     TransportError("error: connection refused"), "unreachable", False, None),
])
def test_outcomes(name, informer, fresh, want_state, want_fresh, want_line):
    clock = FakeClock()
    conn = FakeConn({"/pods": fresh if fresh is not None else listing()})
    watch = make_watch(clock, conn, pods=informer)
    outcome = wait(watch, all_ready, timeout=30)
    assert outcome.state == want_state, name
    assert outcome.fresh == want_fresh, name
    if want_line is not None:
        assert outcome.verdict is not None, name
        assert outcome.verdict.line == want_line, name
    if want_state == "unreachable":
        assert outcome.why == "API server unreachable since 12:00:00 (down)"
        assert isinstance(outcome.error, TransportError)
    if want_fresh:
        assert informer.replaced is fresh        # later reads agree with the judged state


def test_waits_for_the_event_and_judges_each_change_with_progress_once_per_change():
    informer = FakeInformer({"a": pod("a", False), "b": pod("b", False)})
    steps = iter([{"a": pod("a", False), "b": pod("b", False)},     # an event, nothing new
                  {"a": pod("a", True), "b": pod("b", False)},
                  {"a": pod("a", True), "b": pod("b", True)}])

    def script(clock, event):
        informer.items = next(steps)
        event.set()
    clock = FakeClock(script)
    lines: List[str] = []
    outcome = wait(make_watch(clock, pods=informer), all_ready, timeout=30,
                   progress=lines.append)
    assert outcome.state == "done" and not outcome.fresh
    assert lines == ["waiting: a, b not Ready", "waiting: b not Ready"]
    assert clock.t == 1000.0                  # no time passed: woken by events only


def test_a_failed_verdict_ends_the_wait_at_once():
    clock = FakeClock()
    watch = make_watch(clock, pods=FakeInformer({"a": pod("a", False)}))
    outcome = wait(watch, lambda s, now: Verdict(failed="crash loop"), timeout=30)
    assert outcome.state == "failed" and outcome.verdict is not None
    assert outcome.verdict.failed == "crash loop"
    assert clock.waits == []


def test_a_forbidden_watch_is_raised():
    denied = Forbidden("error: pods is forbidden", status=403)
    watch = make_watch(FakeClock(), pods=FakeInformer(synced=False, error=denied, fatal=True))
    with pytest.raises(StsError) as info:
        wait(watch, all_ready, timeout=30)
    assert info.value is denied


def test_wake_judges_again_without_an_event_and_the_deadline_is_kept():
    calls = []

    def judge(snapshot, now):
        calls.append(now)
        return Verdict(line="waiting: settling", wake=now + 2.0)
    clock = FakeClock()
    conn = FakeConn({"/pods": listing(pod("a", True))})
    outcome = wait(make_watch(clock, conn, pods=FakeInformer({"a": pod("a", True)})), judge,
                   timeout=5)
    assert outcome.state == "timeout"
    assert clock.waits == [2.0, 2.0, 1.0]
    assert calls == [1000.0, 1002.0, 1004.0, 1005.0, 1005.0]   # the last on the fresh read


def test_judge_failing_shows_what_it_can_while_a_watch_fails():
    seen = []

    def judge(snapshot, now):
        seen.append(sorted(snapshot))
        return Verdict(failed="stop")
    broken = FakeInformer(synced=False, error=TransportError("error: boom"))
    watch = make_watch(FakeClock(), pods=FakeInformer({"a": pod("a", True)}), events=broken)
    assert wait(watch, judge, None, judge_failing=True).state == "failed"
    assert seen == [["events", "pods"]]


@pytest.mark.parametrize("timeout, judge_failing, want_waited", [
    (None, True, 60.0),         # status --watch: no deadline, the budget ends it
    (600, False, 60.0),         # a long --timeout: the budget first
    (20, False, 20.0),          # a short --timeout: the deadline first
])
def test_a_watch_failing_for_the_unreachable_budget_ends_the_wait(timeout, judge_failing,
                                                                  want_waited):
    clock = FakeClock()
    down = TransportError("error: cannot reach the cluster at https://h:6443: connection "
                          "refused")
    conn = FakeConn({"/pods": TransportError("error: cannot reach the cluster at "
                                             "https://h:6443: connection refused")})
    watch = make_watch(clock, conn, pods=FakeInformer({"a": pod("a", False)}, error=down))
    ended = []
    runner = threading.Thread(target=lambda: ended.append(
        wait(watch, all_ready, timeout=timeout, judge_failing=judge_failing)), daemon=True)
    runner.start()
    runner.join(10)                             # without the budget, it waits forever
    assert ended, "the wait did not end"
    outcome = ended[0]
    assert outcome.state == "unreachable"
    assert clock.t == 1000.0 + want_waited
    assert isinstance(outcome.error, TransportError)
    assert outcome.error.message.startswith("error: cannot reach the cluster at https://h:6443: "
                                            "connection refused (unreachable since ")
    assert outcome.error.message.endswith(", gave up after %gs)" % want_waited)


# ---------------------------------------------------------------------------------------------
# the informer, with scripted list and watch answers
# ---------------------------------------------------------------------------------------------

class ScriptedConn:
    """Each list() and watch() call takes the next answer of its script: a listing / a list
    of events, or an exception. When a script runs out, the informer is stopped."""

    def __init__(self, lists, watches):
        self.lists, self.watches = list(lists), list(watches)
        self.watch_calls = []
        self.informer: Optional[Informer] = None

    def request(self, method, path, query=None, **kwargs):
        if not self.lists:
            assert self.informer is not None
            self.informer.stop()
            raise TransportError("error: script over")
        answer = self.lists.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def watch(self, path, timeout_seconds=60, retry=True, **query):
        self.watch_calls.append(query.get("resourceVersion"))
        if not self.watches:
            assert self.informer is not None
            self.informer.stop()
            return
        answer = self.watches.pop(0)
        if isinstance(answer, Exception):
            raise answer
        for event in answer:
            yield event


def obj(name, rv):
    return {"metadata": {"name": name, "resourceVersion": str(rv)}}


def run_informer(lists, watches):
    conn = ScriptedConn(lists, watches)
    informer = Informer(cast(Connection, conn), "/api/v1/namespaces/x/pods", lambda _: None)
    conn.informer = informer
    informer._delay = 0.0
    setattr(informer, "_backoff", lambda: informer._halt.is_set())      # no real sleeping
    informer.run()
    return informer, conn


@pytest.mark.parametrize("name, lists, watches, want_items, want_watch_rvs", [
    ("events applied after the list",
     [listing(obj("a", 3))],
     [[{"type": "ADDED", "object": obj("b", 4)}, {"type": "MODIFIED", "object": obj("a", 5)},
       {"type": "DELETED", "object": obj("b", 6)}]],
     {"a": "5"}, ["9"]),
    ("a stream that ends is reopened from the last resourceVersion seen, bookmarks included",
     [listing(obj("a", 3))],
     [[{"type": "ADDED", "object": obj("b", 10)}],
      [{"type": "BOOKMARK", "object": obj("", 12)}],
      [{"type": "MODIFIED", "object": obj("b", 13)}]],
     {"a": "3", "b": "13"}, ["9", "10", "12"]),
    ("410 Gone: list again and watch from the new list",
     [listing(obj("a", 3)), {"metadata": {"resourceVersion": "50"}, "items": [obj("c", 40)]}],
     [[{"type": "ERROR", "object": {"code": 410}}],
      [{"type": "ADDED", "object": obj("d", 51)}]],
     {"c": "40", "d": "51"}, ["9", "50"]),
    ("a broken stream: list again",
     [listing(obj("a", 3)), listing(obj("a", 7))],
     [TransportError("error: connection reset"), []],
     {"a": "7"}, ["9", "9"]),
])
def test_informer_streams(name, lists, watches, want_items, want_watch_rvs):
    informer, conn = run_informer(lists, watches)
    assert {k: v["metadata"]["resourceVersion"] for k, v in informer.items.items()} == \
        want_items, name
    assert conn.watch_calls[:len(want_watch_rvs)] == want_watch_rvs, name


def test_informer_stops_on_forbidden_and_says_so():
    denied = Forbidden("error: pods is forbidden", status=403)
    informer, _ = run_informer([denied], [])
    assert informer.fatal and informer.error is denied


def test_informer_ignores_events_a_fresh_list_already_reflects():
    conn = ScriptedConn([listing(obj("a", 3))], [])
    informer = Informer(cast(Connection, conn), "/p", lambda _: None)
    conn.informer = informer
    informer._list()
    informer.replace({"metadata": {"resourceVersion": "20"}, "items": [obj("a", 18)]})
    conn.watches = [[{"type": "MODIFIED", "object": obj("a", 15)},       # older: ignored
                     {"type": "MODIFIED", "object": obj("a", 21)}]]
    informer._watch("9")
    assert informer.items["a"]["metadata"]["resourceVersion"] == "21"
