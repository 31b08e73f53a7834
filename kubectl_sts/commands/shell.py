"""What the verbs share (a verb imports no other verb): the connection from the global flags,
the paths and the one GET of a set, the clock, the reads of a set for a plan (read_set), for
its status view (read_view) and for the one diagnosis (read_facts, diagnose_set),
confirmation, delete options, waiting for a new pod incarnation, and the progress line of a
wait."""

import datetime
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import click

from ..errors import Forbidden, NotFound, StsError, UsageError

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..client.watch import Outcome
    from ..core.diagnosis import Facts

Obj = Dict[str, Any]


def now_utc() -> datetime.datetime:
    """The one clock of the shells: what the core's `now` arguments are given (ages)."""
    return datetime.datetime.now(datetime.timezone.utc)


def connect(ctx: click.Context) -> "Connection":
    """The Connection for the global flags (kubeconfig is read here, not at start-up). The
    namespace, from a flag or the kubeconfig, must be a DNS label (never a path)."""
    from ..client.connection import Connection
    from ..core.names import FIELD_MANAGER, check_namespace
    conn = Connection(ctx.find_root().obj)
    conn.field_manager = FIELD_MANAGER
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
    """The status view of one set (core.status.build_view), from read_objects and the one
    diagnosis (commands/diagnose.py: the nodes, PVs and budgets it reads besides)."""
    from ..core.status import build_view
    from ..client import cache
    from ..client.connection import concurrently
    from ..client.paths import path
    from ..k8s.names import is_dns1123_subdomain
    # the nodes the pods ran on last time, read with the first round (a guess: a node not
    # guessed is read after the pods; the cache only ever names nodes to GET)
    entry = cache.entry_path(cache.cache_dir(conn.options.cache_dir), conn.server,
                             "statefulset-nodes", namespace, name)
    guess = cache.load(entry)
    guessed = sorted({n for n in guess if isinstance(n, str) and not is_dns1123_subdomain(n)}
                     )[:MAX_NODE_GETS] if isinstance(guess, list) else []
    from ..core.lock import holder_of, lease_name
    results = concurrently(lambda: read_objects(conn, namespace, name),
                           *first_reads(conn, namespace),
                           _attempt(get_or_none(conn, path("leases", namespace,
                                                           lease_name(name)))),
                           *[_attempt(get_or_none(conn, path("nodes", None, n)))
                             for n in guessed])
    sts, pods, claims, service, events, unreadable = results[0]
    lease_read, lease = results[3]
    known = {n: value for n, (ok, value) in zip(guessed, results[4:]) if ok}
    diagnosis, more = diagnose_set(conn, sts, pods, claims, events, early=results[1:3],
                                   known_nodes=known)
    now_on = sorted({str(p["spec"]["nodeName"]) for p in pods
                     if (p.get("spec") or {}).get("nodeName")})
    if now_on != guessed and len(now_on) <= MAX_NODE_GETS:
        cache.store(entry, now_on)
    view = build_view(sts, pods, claims, service, events, now_utc(), domain, wide,
                      sorted(set(unreadable + more)), diagnosis)
    from ..core.rollout.batches import status_honours    # maxUnavailable honoured (issue 29)
    view["maxUnavailableHonoured"] = status_honours(sts, results[2])
    # another kubectl-sts operation on the set (commands/locking.py): who, doing what
    view["lock"] = holder_of(lease, time.time()) if lease_read and lease else None
    return view


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


# -- the reads of the one diagnosis (core/diagnosis.py) ------------------------------------
# Shared by every view that renders it: status, rollout (the plan, --status, the gate), wait,
# repair and doctor. Given the set and its pods, one round of reads in flight together: the
# nodes of its pods (a GET each; one list when an ordinal is not Ready, since a pinned volume
# may name another node, or when the pods are on many nodes), the PVs of the claims of the
# ordinals that are not Ready, the namespace's PodDisruptionBudgets and the server's version
# (first_reads, which a caller may send with its own first round). What is forbidden is left
# out and named; nothing here fails a view.

MAX_NODE_GETS = 20          # more distinct nodes than this: one list instead


def first_reads(conn: "Connection", namespace: str) -> List[Callable[[], Any]]:
    """The reads that depend on nothing (the namespace's PodDisruptionBudgets, the server's
    version), for a caller to send with its own first round; their results go to read_facts
    as `early` (a 403 gives None)."""
    from ..client.paths import path
    return [_tolerant(lambda: conn.get(path("poddisruptionbudgets", namespace))["items"]),
            _tolerant(lambda: conn.get("/version"))]


def _tolerant(fn: Callable[[], Any]) -> Callable[[], Any]:
    def read() -> Any:
        try:
            return fn()
        except StsError:
            return None
    return read


def read_facts(conn: "Connection", sts: Obj, pods: List[Obj],
               claims: Optional[List[Obj]] = None, events: Optional[List[Obj]] = None,
               min_down: Optional[float] = None, early: Optional[List[Any]] = None,
               known_nodes: Optional[Dict[str, Optional[Obj]]] = None
               ) -> Tuple["Facts", List[str]]:
    """The diagnosis's Facts for `sts` and `pods`, and what could not be read. `early`: the
    results of first_reads, when the caller sent them already; `known_nodes`: nodes read
    already, by name (None: it does not exist)."""
    import time
    from ..client.connection import concurrently
    from ..client.paths import path
    from ..core.diagnosis import DEFAULT_MIN_DOWN, Facts
    from ..core.labels import selector_string
    from ..k8s import statefulset as facts
    from ..k8s.conditions import pod_ready
    ns = sts["metadata"].get("namespace") or conn.namespace
    unreadable: List[str] = []
    node_names = sorted({str((p.get("spec") or {}).get("nodeName"))
                         for p in pods if (p.get("spec") or {}).get("nodeName")})
    unready = {facts.pod_ordinal(sts["metadata"]["name"], p["metadata"]["name"])
               for p in pods if not pod_ready(p) or p["metadata"].get("deletionTimestamp")}
    by_ordinal = facts.pods_by_ordinal(sts["metadata"]["name"], pods)
    unready |= {o for o in facts.ordinals(sts) if o not in by_ordinal}
    list_nodes = bool(unready) or len(node_names) > MAX_NODE_GETS

    def optional(what: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def read() -> Any:
            try:
                return fn()
            except Forbidden:
                unreadable.append("%s (forbidden)" % what)
            except StsError:
                pass            # a view goes on without it
            return None
        return read

    calls: List[Callable[[], Any]] = [
        (lambda: early[0]) if early is not None else optional(
            "poddisruptionbudgets", lambda: conn.get(path("poddisruptionbudgets", ns))["items"]),
        (lambda: early[1]) if early is not None else optional(
            "version", lambda: conn.get("/version")),
        (lambda: claims) if claims is not None else optional(
            "persistentvolumeclaims", lambda: conn.get(
                core_path(ns, "persistentvolumeclaims"), labelSelector=selector_string(
                    {"matchLabels": (sts["spec"].get("selector") or {}).get("matchLabels")
                     or {}}))["items"] if facts.claim_templates(sts) else []),
        (lambda: events) if events is not None else optional(
            "events", lambda: conn.get(core_path(ns, "events"),
                                       fieldSelector="type=Warning")["items"])]
    if list_nodes:
        calls.append(optional("nodes", lambda: conn.get(path("nodes"))["items"]))
    else:
        calls += [optional("nodes", get_or_none(conn, path("nodes", None, name)))
                  for name in node_names if name not in (known_nodes or {})]
    results = concurrently(*calls)
    pdbs, version, claims, events = results[:4]
    nodes: Optional[Dict[str, Obj]] = None
    if "nodes (forbidden)" not in unreadable:
        found = results[4] if list_nodes else [n for n in results[4:] if n is not None] + [
            n for name, n in (known_nodes or {}).items() if name in node_names and n is not None]
        nodes = {n["metadata"]["name"]: n for n in found or []}
    mine = claims or []
    volumes = sorted({str((c.get("spec") or {}).get("volumeName")) for c in mine
                      if (c.get("spec") or {}).get("volumeName") and
                      _claim_ordinal(sts, c) in unready}) if unready else []
    pvs: Optional[Dict[str, Obj]] = {}
    if volumes:
        got = concurrently(*[optional("persistentvolumes", get_or_none(
            conn, path("persistentvolumes", None, v))) for v in volumes])
        pvs = None if "persistentvolumes (forbidden)" in unreadable else {
            p["metadata"]["name"]: p for p in got if p is not None}
    return Facts(sts=sts, pods=pods, claims=mine, pvs=pvs, nodes=nodes, events=events or [],
                 pdbs=pdbs, now=time.time(), server_minor=server_minor(version),
                 min_down=DEFAULT_MIN_DOWN if min_down is None else min_down), \
        list(dict.fromkeys(unreadable))         # one GET per node: each refusal said once


def get_or_none(conn: "Connection", where: str) -> Callable[[], Optional[Obj]]:
    """A GET of one object for `concurrently`: the object, or None when it does not exist."""
    def get() -> Optional[Obj]:
        try:
            return conn.get(where)
        except NotFound:
            return None
    return get


def _claim_ordinal(sts: Obj, claim: Obj) -> Optional[int]:
    from ..k8s import statefulset as facts
    for template in facts.claim_templates(sts):
        ordinal = facts.claim_ordinal(template, sts["metadata"]["name"],
                                      claim["metadata"]["name"])
        if ordinal is not None:
            return ordinal
    return None


def server_minor(version: Optional[Obj]) -> Optional[int]:
    """The minor version of a /version answer ("37", "37+"), or None."""
    digits = "".join(ch for ch in str((version or {}).get("minor") or "") if ch.isdigit())
    return int(digits) if digits else None


def diagnose_set(conn: "Connection", sts: Obj, pods: List[Obj],
                 claims: Optional[List[Obj]] = None, events: Optional[List[Obj]] = None,
                 min_down: Optional[float] = None, early: Optional[List[Any]] = None,
                 known_nodes: Optional[Dict[str, Optional[Obj]]] = None
                 ) -> Tuple[Obj, List[str]]:
    """Read (read_facts) and diagnose: the diagnosis and what could not be read."""
    from ..core.diagnosis import diagnose
    found, unreadable = read_facts(conn, sts, pods, claims, events, min_down, early,
                                   known_nodes)
    return diagnose(found), unreadable


# -- may I? ---------------------------------------------------------------------------------

def check_writes(conn: "Connection", variant: str, dry_run: str = "none") -> None:
    """Before the first write of `variant` (core/permissions.py): one SelfSubjectAccessReview
    per permission its writes need, in flight together; a Forbidden (exit 4) naming the first
    one missing, before anything is written. A client dry run asks nothing. A server that
    cannot answer (the review API absent or forbidden: 404, 403) is not asked again: the writes
    go on, and a write the authorizer refuses is refused cleanly all the same. The set's lock
    is taken after the check (the reviews are not the command's writes)."""
    from ..client.connection import concurrently
    from ..client.paths import ACCESS_REVIEW_PATH, WHOAMI_PATH
    from ..core.permissions import allowed, refusal, review, writes_needed
    needed = writes_needed(variant, conn.namespace, dry_run)
    if not needed:
        return
    hook, conn.before_write = conn.before_write, None      # the reviews take no lock
    try:
        try:
            answers = concurrently(*[
                (lambda p=p: conn.request("POST", ACCESS_REVIEW_PATH, body=review(p)))
                for p in needed])
        except (NotFound, Forbidden):
            return
        missing = [p for p, a in zip(needed, answers) if not allowed(a)]
        if not missing:
            return
        user = None
        try:
            user = (conn.request("POST", WHOAMI_PATH, body={
                "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
                .get("status", {}).get("userInfo", {}).get("username"))
        except StsError:
            pass
    finally:
        conn.before_write = hook
    raise Forbidden(refusal(variant.split()[0], missing, user), status=403, reason="Forbidden")
