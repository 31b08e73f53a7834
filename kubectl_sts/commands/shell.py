"""What the verbs share (a verb imports no other verb): the connection from the global flags,
the paths and the one GET of a set, the clock, the reads of a set for a plan (read_set) and for
its status view (read_view), confirmation, delete options, waiting for a new pod incarnation,
and the progress line of a wait."""

import datetime
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import click

from ..errors import Forbidden, NotFound, UsageError

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..client.watch import Outcome

Obj = Dict[str, Any]


def now_utc() -> datetime.datetime:
    """The one clock of the shells: what the core's `now` arguments are given (ages)."""
    return datetime.datetime.now(datetime.timezone.utc)


def connect(ctx: click.Context) -> "Connection":
    """The Connection for the global flags (kubeconfig is read here, not at start-up). The
    namespace, from a flag or the kubeconfig, must be a DNS label (never a path)."""
    from ..client.connection import Connection
    from ..core.names import check_namespace
    conn = Connection(ctx.find_root().obj)
    check_namespace(conn.namespace)
    return conn


def sts_path(namespace: Optional[str], name: Optional[str] = None) -> str:
    from ..client.paths import path
    return path("statefulsets", namespace, name)


def core_path(namespace: Optional[str], plural: str, name: Optional[str] = None) -> str:
    from ..client.paths import path
    return path(plural, namespace, name)


def get_statefulset(conn: "Connection", namespace: Optional[str], name: str,
                    **request: Any) -> Obj:
    """GET one StatefulSet; a 404 names the namespace too (exit 3)."""
    try:
        return conn.request("GET", sts_path(namespace, name), **request)
    except NotFound as exc:
        raise NotFound('Error from server (NotFound): statefulsets.apps "%s" not found in '
                       'namespace "%s"' % (name, namespace), status=404,
                       reason="NotFound") from exc


def delete_options(uid: Optional[str] = None, resource_version: Optional[str] = None,
                   grace: Optional[int] = None, propagation: Optional[str] = None) -> Obj:
    """A v1 DeleteOptions body: preconditions on what was read (the uid, the resourceVersion),
    the grace period, the propagation policy; only what is given."""
    body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
    preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version))
                     if v is not None}
    if preconditions:
        body["preconditions"] = preconditions
    if grace is not None:
        body["gracePeriodSeconds"] = grace
    if propagation is not None:
        body["propagationPolicy"] = propagation
    return body


def confirm(question: str, yes: bool) -> bool:
    """True to go on: --yes, or the user's answer at a terminal. Without a terminal and without
    --yes: a UsageError (asked before any write)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("error: refusing to ask \"%s\": stdin is not a terminal; pass --yes"
                         % question)
    return click.confirm(question, default=False)


# -- reading a set ------------------------------------------------------------------------------

def read_set(conn: "Connection", name: str) -> Tuple[Obj, List[Obj], List[Obj],
                                                     Optional[Dict[str, Obj]], List[Obj],
                                                     List[str]]:
    """The set and what scale/pvc plans need: (sts, pods, claims, pvs or None, pdbs, notes)."""
    from ..client.paths import path
    from ..core.labels import selector_string
    ns = conn.namespace
    sts = get_statefulset(conn, ns, name)
    pods = conn.get(core_path(ns, "pods"),
                    labelSelector=selector_string(sts["spec"]["selector"]))["items"]
    claims = conn.get(core_path(ns, "persistentvolumeclaims"))["items"] \
        if sts["spec"].get("volumeClaimTemplates") else []
    notes = []
    pvs: Optional[Dict[str, Obj]]
    try:
        pvs = {pv["metadata"]["name"]: pv
               for pv in conn.get(path("persistentvolumes"))["items"]}
    except Forbidden:
        pvs = None
        notes.append("PV reclaim policies unknown (persistentvolumes: forbidden)")
    try:
        pdbs = conn.get(path("poddisruptionbudgets", ns))["items"]
    except Forbidden:
        pdbs = []
        notes.append("PodDisruptionBudgets not checked (forbidden)")
    return sts, pods, claims, pvs, pdbs, notes


# -- status's reads (the status view, and demo's) -----------------------------------------------

def read_view(conn: "Connection", namespace: str, name: str, domain: str,
              wide: bool = False) -> Obj:
    """The status view of one set (core.status.build_view), from read_objects."""
    from ..core.status import build_view
    sts, pods, claims, service, events, unreadable = read_objects(conn, namespace, name)
    return build_view(sts, pods, claims, service, events, now_utc(), domain, wide, unreadable)


def read_objects(conn: "Connection", namespace: str, name: str) -> Tuple[
        Obj, List[Obj], List[Obj], Optional[Obj], List[Obj], List[str]]:
    """The API objects status needs, in a fixed number of requests: the StatefulSet, the
    Warning events, its pods, claims and Service. The last three depend on the set (selector,
    service name), so a first run needs two round trips; it caches what they depend on
    (status_reads) and later runs send all five at once, then check the guess against the
    set they got and read again only if it was wrong. Returns
    (sts, pods, claims, service, events, unreadable)."""
    from ..client import cache
    from ..client.connection import concurrently
    from ..core.status import status_claim, status_reads
    entry = cache.entry_path(cache.cache_dir(conn.options.cache_dir), conn.server,
                             "statefulsets", namespace, name)
    guess = cache.load(entry)
    unreadable: List[str] = []
    calls = [lambda: get_statefulset(conn, namespace, name),
             lambda: _optional(conn, core_path(namespace, "events"), "events", unreadable,
                               fieldSelector="type=Warning") or []]
    guessed_unreadable: List[str] = []
    if isinstance(guess, dict):
        calls += [_attempt(call) for call in _collection_reads(conn, namespace, guess,
                                                               guessed_unreadable)]
    results = concurrently(*calls)
    sts, events = results[0], results[1]
    reads = status_reads(sts)
    if reads == guess:
        pods, claims, service = (_outcome(result) for result in results[2:])
        unreadable += guessed_unreadable
    else:
        pods, claims, service = concurrently(*_collection_reads(conn, namespace, reads,
                                                                unreadable))
        cache.store(entry, reads)
    if claims is not None and not claims and reads["claims"]:
        # claims made by hand or relabelled: fall back to their names (one more list)
        claims = _optional(conn, core_path(namespace, "persistentvolumeclaims"),
                           "persistentvolumeclaims", unreadable, project=status_claim)
    return sts, pods, claims or [], service, events, sorted(unreadable)   # one order always


def _collection_reads(conn: "Connection", namespace: str, reads: Obj,
                      unreadable: List[str]) -> List[Callable[[], Any]]:
    """The three reads that depend on the set: pods, claims, Service (see status_reads);
    pods and claims are reduced as they are decoded (status_pod, status_claim)."""
    from ..core.status import status_claim, status_pod
    claims = reads.get("claims")
    return [
        lambda: conn.get_items(core_path(namespace, "pods"), status_pod,
                               labelSelector=reads.get("pods")),
        lambda: [] if claims is None else _optional(
            conn, core_path(namespace, "persistentvolumeclaims"), "persistentvolumeclaims",
            unreadable, project=status_claim, labelSelector=claims or None),
        lambda: _service(conn, namespace, reads.get("service"), unreadable)]


def _attempt(call: Callable[[], Any]) -> Callable[[], Tuple[bool, Any]]:
    """A read sent on a guess: its failure matters only if the guess was right."""
    def run() -> Tuple[bool, Any]:
        try:
            return (True, call())
        except Exception as exc:
            return (False, exc)
    return run


def _outcome(result: Tuple[bool, Any]) -> Any:
    ok, value = result
    if not ok:
        raise value
    return value


def _service(conn: "Connection", namespace: str, name: Optional[str],
             unreadable: List[str]) -> Optional[Obj]:
    if not name:
        return None
    try:
        return conn.get(core_path(namespace, "services", name))
    except Forbidden:
        unreadable.append("service %s (forbidden)" % name)
    except NotFound:
        pass
    return None


def _optional(conn: "Connection", path: str, what: str, unreadable: List[str],
              project: Optional[Callable[[Obj], Any]] = None,
              **query: Any) -> Optional[List[Any]]:
    """A list the view can live without: a 403 is noted, not fatal."""
    try:
        if project is not None:
            return conn.get_items(path, project, **query)
        return conn.get(path, **query)["items"]
    except Forbidden as exc:
        unreadable.append("%s (forbidden: %s)" % (what, exc.message))
        return None


# -- waiting ------------------------------------------------------------------------------------

def wait_new_incarnation(conn: "Connection", namespace: str, pod_name: str,
                         old_uid: Optional[str], settle: float, timeout: Optional[float],
                         progress: Optional[Callable[[str], None]] = None,
                         count_restarts: bool = True) -> "Outcome":
    """Watch pod POD_NAME until an incarnation other than `old_uid` is Ready and has stayed
    Ready for `settle` (restart.settled judges; the gate's bookkeeping tracks it). A restart
    meanwhile fails it when `count_restarts`. Returns the wait's Outcome; its verdict's result
    is the pod."""
    from ..client.watch import Verdict, Watch, wait
    from ..core.restart import settled
    from ..core.rollout.gate import new_book, track_pods
    book = [new_book()]

    def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        pod = snapshot["pods"].get(pod_name)
        uid = (pod or {}).get("metadata", {}).get("uid")
        if pod is not None and uid != old_uid:
            book[0] = track_pods(book[0], [pod], now)
        state = settled(old_uid, pod, book[0]["readySince"].get(uid), now,
                        settle, book[0]["baseline"].get(uid) if count_restarts else None)
        if state["state"] == "failed":
            return Verdict(failed=state["failure"])
        return Verdict(done=state["state"] == "done", wake=state["wake"], result=pod,
                       line="%s: %s" % (pod_name, state["why"]))
    watch = Watch(conn, pods=(core_path(namespace, "pods"),
                              {"fieldSelector": "metadata.name=%s" % pod_name}))
    with watch:
        return wait(watch, judge, timeout, progress)


class Progress:
    """The progress line of a wait (the one wait primitive's `progress`): rewritten in place on
    a terminal, a line per change in a pipe. `err`: on stderr, so stdout carries only the
    result."""

    def __init__(self, err: bool = False) -> None:
        self.err = err
        self.tty = (sys.stderr if err else sys.stdout).isatty()
        self.shown: Optional[str] = None

    def __call__(self, line: Optional[str]) -> None:
        """Show `line`; None clears it (on a terminal) when the wait is over."""
        if line == self.shown:
            return
        if self.tty:
            click.echo("\r\x1b[K" + (line or "")[:200], nl=False, err=self.err, color=True)
        elif line is not None:
            click.echo(line, err=self.err)
        self.shown = line
