"""One plugin operation at a time per StatefulSet (core/lock.py): the writing commands hold
the set's Lease while they run. Shared by the verbs, as shell.py is.

`holding(conn, sts, operation, ...)` takes the lock (a Lease created, or taken over when it
expired or with `--force`), renews it every DURATION/3 seconds from a daemon thread while the
command runs, and deletes it at the end (uid and resourceVersion preconditions: never one
another run took over). Held by another live run: a Conflict (exit 6) naming the holder and
the operation, or, with `--wait-lock`, a wait (watch) until it is released or expires. A dry
run takes no lock (it writes nothing). Leases a Role forbids: a warning, and the command goes
on without the lock."""

import contextlib
import os
import socket
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional, TYPE_CHECKING, Tuple

import click

from ..errors import Conflict, Forbidden, NotFound, StsError, WaitTimeout
from .shell import delete_options

if TYPE_CHECKING:
    from ..client.connection import Connection

Obj = Dict[str, Any]


def _lease_path(namespace: str, name: Optional[str] = None) -> str:
    from ..client.paths import path
    return path("leases", namespace, name)


def holder_identity() -> str:
    """Who holds it: the plugin, the host and the process (what a refusal names)."""
    return "kubectl-sts@%s/%d" % (socket.gethostname(), os.getpid())


def read_lock(conn: "Connection", namespace: str, set_name: str) -> Optional[Obj]:
    """The set's lease, or None (absent; or unreadable: the lock is advisory)."""
    from ..core.lock import lease_name
    try:
        return conn.get(_lease_path(namespace, lease_name(set_name)))
    except (NotFound, Forbidden):
        return None


@contextlib.contextmanager
def holding(conn: "Connection", name: str, operation: str, force: bool = False,
            wait_lock: Optional[float] = None, dry_run: str = "none") -> Iterator[None]:
    """Hold the lock of set NAME around a writing command (see the module's docstring)."""
    from .shell import get_statefulset
    if dry_run != "none":
        yield
        return
    try:
        sts = get_statefulset(conn, conn.namespace, name)
    except NotFound:
        # no set, no lock (the lease is owned by the set): the command says what a missing
        # set means to it (resize: finish an interrupted run with --resume, which its own
        # backup guards against a second run)
        yield
        return
    # refuse (or wait) now, before the command reads and plans; write the lease only before
    # the command's first write (Connection.before_write), so a command that refuses its
    # plan writes nothing at all
    refused: list = []
    if not _free(conn, sts, force, wait_lock, refused.append)[0]:
        # leases forbidden: said before the first write, once the command's own permission
        # check passed (a command refused for its writes says only that)
        def warn() -> None:
            if refused:
                _no_lock(refused.pop(), name)
        conn.before_write = warn
        try:
            yield
        finally:
            conn.before_write = None
        return
    stop = threading.Event()
    current: list = []
    guard = threading.Lock()

    def take() -> None:
        with guard:
            if current:
                return
            lease = _acquire(conn, sts, operation, force, wait_lock)
            if lease is None:
                current.append(None)
                return
            current.append(lease)
            threading.Thread(target=_renew, args=(conn, current, stop), daemon=True).start()
    conn.before_write = take
    try:
        yield
    finally:
        conn.before_write = None
        stop.set()
        if current and current[0] is not None:
            _release(conn, current[0])


def _no_lock(message: str, name: str) -> None:
    click.echo("warning: %s: no lock is held, another kubectl-sts may change statefulset %s at "
               "the same time" % (message, name), err=True)


def _free(conn: "Connection", sts: Obj, force: bool, wait_lock: Optional[float],
          forbidden: Optional[Callable[[str], None]] = None) -> Tuple[bool, Optional[Obj]]:
    """Whether this run may take the lock, and the lease as read: (True, lease or None) when
    free (or --force), after waiting with --wait-lock; a Conflict when another live run holds
    it; (False, None) when leases are forbidden (`forbidden` gets the refusal, else it is
    warned: the command goes on without a lock)."""
    from ..core.lock import held_text, holder_of, lease_name
    ns, name = sts["metadata"].get("namespace") or conn.namespace, sts["metadata"]["name"]
    deadline = None if wait_lock is None else time.monotonic() + wait_lock
    while True:
        try:
            lease = conn.get(_lease_path(ns, lease_name(name)))
        except NotFound:
            return True, None
        except Forbidden as exc:
            (forbidden or (lambda message: _no_lock(message, name)))(exc.message)
            return False, None
        state = holder_of(lease, time.time())
        if state is None or force:
            return True, lease
        if deadline is None:
            raise Conflict("error: statefulset %s is being changed by another kubectl-sts: "
                           "%s (the lock: lease %s/%s); wait for it with --wait-lock "
                           "DURATION, or take it over with --force"
                           % (name, held_text(name, state), ns, lease_name(name)), 409)
        if time.monotonic() >= deadline:
            raise WaitTimeout("error: timed out after %gs waiting for the lock of %s: %s"
                              % (wait_lock or 0, name, held_text(name, state)))
        _wait_change(conn, ns, lease_name(name), lease, min(
            state["expiresIn"] + 0.5, max(0.1, deadline - time.monotonic())))


def _acquire(conn: "Connection", sts: Obj, operation: str, force: bool,
             wait_lock: Optional[float]) -> Optional[Obj]:
    """Write the lease (create, or take over a free or --force'd one); None when leases are
    forbidden. A race with another run (409) reads and judges again."""
    from ..core.lock import acquired, lease_name
    ns, name = sts["metadata"].get("namespace") or conn.namespace, sts["metadata"]["name"]
    me = holder_identity()
    for _ in range(100):
        free, lease = _free(conn, sts, force, wait_lock)
        if not free:
            return None
        body = acquired(sts, lease, me, operation, time.time())
        try:
            if lease is None:
                return conn.request("POST", _lease_path(ns), body=body)
            return conn.request("PUT", _lease_path(ns, lease_name(name)), body=body)
        except Conflict:
            continue                 # another run took it (or created it) meanwhile: again
        except Forbidden as exc:
            _no_lock(exc.message, name)
            return None
    raise Conflict("error: the lock of %s kept changing under us; run the command again"
                   % name, 409)


def _wait_change(conn: "Connection", ns: str, lease: str, seen: Optional[Obj],
                 seconds: float) -> None:
    """Until the lease changes (released, renewed, taken) or `seconds` pass: a watch."""
    from ..client.watch import Verdict, Watch, wait
    version = (seen or {}).get("metadata", {}).get("resourceVersion")

    def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        got = snapshot["lease"].get(lease)
        return Verdict(done=(got or {}).get("metadata", {}).get("resourceVersion") != version)
    with Watch(conn, lease=(_lease_path(ns), {"fieldSelector": "metadata.name=%s" % lease})) \
            as watch:
        wait(watch, judge, seconds)


def _renew(conn: "Connection", current: list, stop: threading.Event) -> None:
    from ..client.threads import leave_signals_to_main
    from ..core.lock import DURATION, renewed
    leave_signals_to_main()
    while not stop.wait(DURATION / 3):
        lease = current[0]
        try:
            try:
                current[0] = conn.request("PUT", _lease_path(lease["metadata"]["namespace"],
                                                             lease["metadata"]["name"]),
                                          body=renewed(lease, time.time()))
            except Conflict:
                fresh = _still_ours(conn, lease)
                if fresh is not None:
                    current[0] = conn.request("PUT", _lease_path(
                        lease["metadata"]["namespace"], lease["metadata"]["name"]),
                        body=renewed(fresh, time.time()))
        except StsError:
            # taken over (--force) or the server is away: the run goes on; the lease
            # expires by itself if nobody renews it
            continue


def _still_ours(conn: "Connection", lease: Obj) -> Optional[Obj]:
    """The lease read again when only its metadata changed under us (the same object, still
    held by this run), else None. The garbage collector writes it when resize deletes the set
    with --cascade=orphan: it strips the owner reference (kubernetes/kubernetes
    pkg/controller/garbagecollector/garbagecollector.go, orphanDependents), so the
    resourceVersion this run kept is stale though the lock is still its own."""
    meta = lease["metadata"]
    try:
        fresh = conn.get(_lease_path(meta["namespace"], meta["name"]))
    except StsError:
        return None
    if fresh["metadata"].get("uid") != meta.get("uid") or \
            (fresh.get("spec") or {}).get("holderIdentity") != \
            (lease.get("spec") or {}).get("holderIdentity"):
        return None
    return fresh


def _release(conn: "Connection", lease: Obj) -> None:
    for _ in range(3):
        meta = lease["metadata"]
        try:
            conn.request("DELETE", _lease_path(meta["namespace"], meta["name"]),
                         body=delete_options(meta.get("uid"), meta.get("resourceVersion")))
            return
        except Conflict:
            fresh = _still_ours(conn, lease)
            if fresh is None:
                return               # taken over: not ours to delete
            lease = fresh
        except StsError:
            return                   # gone, or the server is away: it expires by itself
