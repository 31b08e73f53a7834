"""Fault injection for the sandbox API server: `sandbox.faults` (one `Faults` per server).

    sb.faults.add(status=503, retry_after=1, method="GET", path_regex=r"/pods$", times=2)
    sb.faults.add(status=429, retry_after=2)                  # next request of any kind
    sb.faults.add(latency=0.2, path_regex=r"/statefulsets")    # delay, then answer normally
    sb.faults.add(reset=True, method="GET", path_regex=r"/pods$")
    sb.faults.add(watch_close_after=2)                        # watch ends after 2 events
    sb.faults.add(watch_close_seconds=0.5)                    # ... or after 0.5 s
    sb.faults.add(watch_gone=True)                            # 200 + ERROR event, 410 Expired
    sb.faults.add(watch_drop_after=0, path_regex=r"/pods$")   # a broken watch: events lost
    sb.faults.conflict_next_write("statefulsets", "default", "web")   # next PUT/PATCH: 409
    sb.faults.add(status=500, probability=0.1, seed=7)         # soak: 10% of all requests
    sb.faults.injected                                        # what fired, in order
    sb.faults.clear()

A rule matches on `method` (a verb or a list of them), `path_regex` (re.search on the URL
path), `query` (a dict of parameter -> exact value, True for "present"; or a regex searched in
the raw query string) and `watch` (True: watch requests only, False: never watches; watch
faults imply True). It fires `times` times (default 1; None = every time), or, with
`probability`, on that share of matching requests drawn from `random.Random(seed)` (then
unlimited unless `times` is given). Faults are applied after authentication and authorization
(as kube-apiserver's priority-and-fairness filter is) and after `server.fault_hook`; rules are
tried in the order they were added: every matching latency rule adds its delay, the first
matching answering rule (status, reset, conflict) answers, and watch rules shape the stream.

- `status=500|503|429|504|...`: the real Status body for that code (500 InternalError
  "Internal error occurred: MESSAGE", 503 ServiceUnavailable, 429 TooManyRequests "the server
  has received too many requests and has asked us to try again later" with
  details.retryAfterSeconds, 504 Timeout); `message=` replaces the message; `retry_after=N`
  adds the `Retry-After: N` header (and details.retryAfterSeconds for 429 and 504).
- `latency=S`: sleeps S seconds before the request is served (or before its fault answers).
- `reset=True`: the request is served (a write takes effect), then only the headers and half
  the body are sent and the connection is shut down: the client sees a protocol error
  (IncompleteRead). On a watch: the headers and half of a first chunk.
- `watch_close_after=N`: the watch stream ends cleanly after N events (ADDED, MODIFIED,
  DELETED; 0 = no events); `watch_close_seconds=S`: it ends cleanly after S seconds.
- `watch_drop_after=N`: a broken server, for testing clients' defences: the watch sends N
  events, then silently loses every later one while its bookmarks go on advancing (no real
  API server does this; the sandbox did, before issue 11).
- `watch_gone=True`: the watch answers 200 with one ERROR event holding the 410 Expired Status
  ("too old resource version: RV (CURRENT)") and ends, as kube-apiserver does after compaction.
- `conflict_next_write(resource, namespace, name)`: the next PUT or PATCH of that object (or
  of its subresources) gets the real 409 Conflict ("Operation cannot be fulfilled on
  statefulsets.apps "web": the object has been modified; please apply your changes to the
  latest version and try again"), without writing; the write after it goes through.

Every firing is appended to `injected` as a dict: `rule` (the rule's name), `fault`
(`status`, `latency`, `reset`, `watch_close`, `watch_gone`, `conflict`), `code` (or None),
`method`, `path`, `query`, `time` (wall clock). The request log entry of an answered request
carries `fault` too.
"""

import random
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Pattern, Sequence, Set, Tuple, Union

from . import errors
from .errors import ApiError

if TYPE_CHECKING:
    from .auth import Attributes

Method = Union[None, str, Sequence[str]]
Query = Union[None, str, Dict[str, Any]]

_UNSET = object()
WRITE_METHODS = ("PUT", "PATCH")


class Rule:
    """One fault rule (see the module docstring); `fired` counts its firings."""

    def __init__(self, name: str, method: Method = None, path_regex: Optional[str] = None,
                 query: Query = None, watch: Optional[bool] = None, status: Optional[int] = None,
                 message: Optional[str] = None, retry_after: Optional[float] = None,
                 latency: Optional[float] = None, reset: bool = False,
                 watch_close_after: Optional[int] = None,
                 watch_close_seconds: Optional[float] = None, watch_gone: bool = False,
                 watch_drop_after: Optional[int] = None,
                 conflict: Optional[Tuple[str, Optional[str], Optional[str], str]] = None,
                 times: Optional[int] = 1, probability: Optional[float] = None,
                 seed: Any = None) -> None:
        if isinstance(method, str):
            method = [method]
        self.name = name
        self.methods: Optional[Set[str]] = {m.upper() for m in method} if method else None
        self.path = re.compile(path_regex) if path_regex else None
        self.query: Union[None, Pattern[str], Dict[str, Any]] = \
            re.compile(query) if isinstance(query, str) else query
        self.status, self.message, self.retry_after = status, message, retry_after
        self.latency, self.reset = latency, reset
        self.watch_close_after, self.watch_close_seconds = watch_close_after, watch_close_seconds
        self.watch_gone = watch_gone
        self.watch_drop_after = watch_drop_after
        self.conflict = conflict                # (resource, group or None, namespace, name)
        self.watch_fault = watch_gone or watch_close_after is not None or \
            watch_close_seconds is not None or watch_drop_after is not None
        self.watch = True if self.watch_fault else watch
        self.times = times
        self.probability = probability
        self.rng = random.Random(seed) if probability is not None else None
        self.fired = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def __repr__(self) -> str:
        return "<fault rule %s fired %d/%s>" % (self.name, self.fired, self.times)

    def matches(self, method: str, path: str, query: Dict[str, str], raw_query: str,
                attrs: Optional["Attributes"]) -> bool:
        if self.methods and method not in self.methods:
            return False
        if self.path and not self.path.search(path):
            return False
        if self.watch is not None and bool(attrs is not None and attrs.watch) != self.watch:
            return False
        if isinstance(self.query, dict):
            for key, want in self.query.items():
                if want is True:
                    if key not in query:
                        return False
                elif query.get(key) != str(want):
                    return False
        elif self.query is not None and not self.query.search(raw_query):
            return False
        if self.conflict is not None:
            resource, group, namespace, name = self.conflict
            if attrs is None or not attrs.is_resource or method not in WRITE_METHODS:
                return False
            if (attrs.resource, attrs.namespace, attrs.name) != (resource, namespace or "",
                                                                name):
                return False
            if group is not None and attrs.group != group:
                return False
        return True


class Plan:
    """What the faults do to one request (built under the lock, carried out by the server)."""

    def __init__(self) -> None:
        self.latency = 0.0
        self.answer: Optional[Tuple[Rule, Optional[ApiError]]] = None   # None error: reset
        self.watch_close_after: Optional[int] = None
        self.watch_close_seconds: Optional[float] = None
        self.watch_gone: Optional[Rule] = None
        self.watch_drop_after: Optional[int] = None
        self.fired: List[Rule] = []             # rules that fired


class Faults:
    """The fault rules of one API server, and the record of what fired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self.rules: List[Rule] = []
        self.injected: List[Dict[str, Any]] = []

    def add(self, status: Optional[int] = None, *, retry_after: Optional[float] = None,
            message: Optional[str] = None, latency: Optional[float] = None, reset: bool = False,
            watch_close_after: Optional[int] = None, watch_close_seconds: Optional[float] = None,
            watch_gone: bool = False, watch_drop_after: Optional[int] = None,
            method: Method = None, path_regex: Optional[str] = None, query: Query = None,
            watch: Optional[bool] = None, times: Any = _UNSET,
            probability: Optional[float] = None, seed: Any = None,
            name: Optional[str] = None) -> Rule:
        """Add a rule (see the module docstring); returns it (`rule.fired` counts firings)."""
        kinds = sum(bool(x) for x in (status is not None, reset, watch_gone,
                                      watch_close_after is not None or
                                      watch_close_seconds is not None,
                                      watch_drop_after is not None))
        if kinds == 0 and latency is None:
            raise ValueError("a fault needs status=, latency=, reset=, watch_close_after=, "
                             "watch_close_seconds=, watch_drop_after= or watch_gone=")
        if kinds > 1:
            raise ValueError("status=, reset=, watch_gone= and watch_close_* are exclusive")
        if probability is not None and not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        if times is _UNSET:
            times = None if probability is not None else 1
        return self._add(name, dict(
            method=method, path_regex=path_regex, query=query, watch=watch, status=status,
            message=message, retry_after=retry_after, latency=latency, reset=reset,
            watch_close_after=watch_close_after, watch_close_seconds=watch_close_seconds,
            watch_gone=watch_gone, watch_drop_after=watch_drop_after, times=times,
            probability=probability, seed=seed))

    def conflict_next_write(self, resource: str, namespace: Optional[str], name: str,
                            times: Optional[int] = 1) -> Rule:
        """The next `times` PUT/PATCH requests to the object get 409 Conflict.
        `resource`: a plural ("statefulsets"), optionally with its group ("statefulsets.apps");
        `namespace`: None or "" for cluster-scoped objects."""
        plural, _, group = resource.partition(".")
        return self._add(None, dict(method=list(WRITE_METHODS), times=times,
                                    conflict=(plural, group or None, namespace, name)))

    def _add(self, name: Optional[str], kwargs: Dict[str, Any]) -> Rule:
        with self._lock:
            self._count += 1
            rule = Rule(name or "fault-%d" % self._count, **kwargs)
            self.rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self._lock:
            if rule in self.rules:
                self.rules.remove(rule)

    def clear(self, record: bool = True) -> None:
        """Remove every rule (and, unless record=False, the record of what fired)."""
        with self._lock:
            self.rules = []
            if record:
                self.injected = []

    # -- used by the server -------------------------------------------------------------------
    def plan(self, method: str, path: str, query: Dict[str, str], raw_query: str,
             attrs: Optional["Attributes"]) -> Optional[Plan]:
        """The faults for one request, or None (the common case: no rules)."""
        if not self.rules:
            return None
        plan = Plan()
        with self._lock:
            for rule in list(self.rules):
                if rule.spent or not rule.matches(method, path, query, raw_query, attrs):
                    continue
                answers = rule.status is not None or rule.reset or rule.conflict is not None
                if answers and plan.answer is not None:
                    continue
                if rule.watch_fault and (plan.watch_gone or plan.watch_close_after is not None
                                         or plan.watch_close_seconds is not None
                                         or plan.watch_drop_after is not None):
                    continue
                if rule.rng is not None and rule.probability is not None and \
                        rule.rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.spent:
                    self.rules.remove(rule)
                plan.fired.append(rule)
                if rule.latency:
                    plan.latency += rule.latency
                    self._record(rule, "latency", None, method, path, raw_query)
                if rule.status is not None:
                    plan.answer = (rule, errors.fault_status(rule.status, rule.message,
                                                             rule.retry_after))
                    self._record(rule, "status", rule.status, method, path, raw_query)
                elif rule.conflict is not None:
                    assert attrs is not None        # a conflict rule matches resources only
                    plan.answer = (rule, errors.conflict(_Named(attrs.resource, attrs.group),
                                                         attrs.name))
                    self._record(rule, "conflict", 409, method, path, raw_query)
                elif rule.reset:
                    plan.answer = (rule, None)
                    self._record(rule, "reset", None, method, path, raw_query)
                elif rule.watch_gone:
                    plan.watch_gone = rule
                    self._record(rule, "watch_gone", 410, method, path, raw_query)
                elif rule.watch_drop_after is not None:
                    plan.watch_drop_after = rule.watch_drop_after
                    self._record(rule, "watch_drop", None, method, path, raw_query)
                elif rule.watch_fault:
                    plan.watch_close_after = rule.watch_close_after
                    plan.watch_close_seconds = rule.watch_close_seconds
                    self._record(rule, "watch_close", None, method, path, raw_query)
        return plan if plan.fired else None

    def _record(self, rule: Rule, fault: str, code: Optional[int], method: str, path: str,
                raw_query: str) -> None:
        self.injected.append({"rule": rule.name, "fault": fault, "code": code, "method": method,
                              "path": path, "query": raw_query, "time": time.time()})


class _Named:
    """Enough of a ResourceType for errors.conflict() (a resources.Named)."""

    def __init__(self, plural: str, group: str) -> None:
        self.plural, self.group = plural, group
