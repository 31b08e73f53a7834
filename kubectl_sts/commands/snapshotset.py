"""Taking a snapshot set (shared by `snapshot` and `rollout --snapshot`): whether the server
serves the snapshot kinds (discovery), the reads a plan needs, the VolumeSnapshots created (or
the claims labelled and the VolumeGroupSnapshot created), the wait until every one is
readyToUse. The decisions are core/snapshots.py's."""

import datetime
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ..errors import Conflict, Forbidden, NotFound, Refused, StsError, WaitTimeout, reworded
from .shell import core_path

if TYPE_CHECKING:
    from ..client.connection import Connection

Obj = Dict[str, Any]
Say = Callable[[str], None]


class SnapshotFailed(StsError):
    """A snapshot the controller gave up on (status.error): exit 1."""


def require_served(conn: "Connection") -> None:
    """Refuse (exit 11) when the server does not serve snapshot.storage.k8s.io/v1."""
    from ..client.paths import SNAPSHOT_DISCOVERY_PATH
    from ..core.snapshots import not_served
    try:
        resources: Optional[Obj] = conn.request("GET", SNAPSHOT_DISCOVERY_PATH)
    except NotFound:
        resources = None
    why = not_served(resources)
    if why:
        raise Refused("error: refused: %s; nothing was changed" % why)


def group_version(conn: "Connection") -> str:
    """The served version of groupsnapshot.storage.k8s.io, or a refusal (exit 11)."""
    from ..client.paths import GROUP_SNAPSHOT_DISCOVERY_PATH
    from ..core.snapshots import GROUP_SNAPSHOT_GROUP, INSTALL, group_version as pick
    try:
        found = pick(conn.request("GET", GROUP_SNAPSHOT_DISCOVERY_PATH))
    except NotFound:
        found = None
    if not found:
        raise Refused("error: refused: the server does not serve %s (VolumeGroupSnapshot): "
                      "%s, or take one VolumeSnapshot per claim without --group; nothing was "
                      "changed" % (GROUP_SNAPSHOT_GROUP, INSTALL))
    return found


def read_plan(conn: "Connection", sts: Obj, ordinals: Optional[List[int]],
              given: Optional[str], now: datetime.datetime, group: Optional[str] = None
              ) -> Tuple[Obj, List[str]]:
    """The reads (claims; the set's pods, whose revisions the snapshots record; PVs and
    StorageClasses, optional; the snapshot classes) and the plan; `group`: the groupsnapshot
    version (--group). Returns (plan, notes)."""
    from ..client.connection import concurrently
    from ..client.paths import group_path, path
    from ..core.labels import selector_string
    from ..core.snapshots import plan
    notes: List[str] = []

    def optional(what: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def read() -> Any:
            try:
                return fn()
            except Forbidden:
                notes.append("%s not read (forbidden): the claims' drivers come from their "
                             "StorageClasses" % what if what == "PersistentVolumes" else
                             "%s not read (forbidden)" % what)
                return None
        return read
    claims, pods, pvs, classes, snapshot_classes, group_classes = concurrently(
        lambda: conn.get(core_path(conn.namespace, "persistentvolumeclaims"))["items"],
        lambda: conn.get(core_path(conn.namespace, "pods"), labelSelector=selector_string(
            (sts.get("spec") or {}).get("selector")))["items"],
        optional("PersistentVolumes", lambda: conn.get(path("persistentvolumes"))["items"]),
        optional("StorageClasses", lambda: conn.get(path("storageclasses"))["items"]),
        (lambda: []) if group else
        (lambda: conn.get(path("volumesnapshotclasses"))["items"]),
        (lambda: conn.get(group_path(group, "volumegroupsnapshotclasses"))["items"])
        if group else (lambda: []))
    by_name = {p["metadata"]["name"]: p for p in pvs} if pvs is not None else None
    return plan(sts, claims, by_name, classes, snapshot_classes, ordinals, given, now,
                group=bool(group), group_classes=group_classes, pods=pods), notes


def create_set(conn: "Connection", plan: Obj, server_dry_run: bool, say: Say,
               group: Optional[str] = None) -> List[Obj]:
    """Create the set's objects (dryRun=All for a server dry run): the VolumeSnapshots, or the
    claims labelled (metadata only) and the VolumeGroupSnapshot. Returns what was created."""
    from ..client.paths import group_path, path
    from ..core.snapshots import claim_labels, group_object, snapshot_objects
    query = {"dryRun": "All"} if server_dry_run else None
    ns = conn.namespace
    if group:
        for entry in plan["snapshots"]:
            conn.request("PATCH", core_path(ns, "persistentvolumeclaims", entry["claim"]),
                         query, body=claim_labels(plan),
                         content_type="application/merge-patch+json")
        body = group_object(plan, group)
        try:
            created = [conn.request("POST", group_path(group, "volumegroupsnapshots", ns),
                                    query, body=body)]
        except Conflict as exc:
            if exc.reason != "AlreadyExists":
                raise
            raise _exists(plan, exc)
        if not server_dry_run:
            say("volumegroupsnapshot.groupsnapshot.storage.k8s.io/%s created (claims %s)"
                % (plan["set"], ", ".join(e["claim"] for e in plan["snapshots"])))
        return created
    out: List[Obj] = []
    for body in snapshot_objects(plan):
        try:
            made = conn.request("POST", path("volumesnapshots", ns), query, body=body)
        except StsError as exc:
            if isinstance(exc, Conflict) and exc.reason == "AlreadyExists" and not out:
                raise _exists(plan, exc)
            if out and not server_dry_run:
                raise reworded(exc, "%s; created before it: %s (delete them with kubectl sts "
                               "snapshot %s --delete %s)" % (
                                   exc.message, ", ".join(o["metadata"]["name"] for o in out),
                                   plan["statefulSet"], plan["set"]))
            raise
        out.append(made)
        if not server_dry_run:
            spec = body["spec"]
            say("volumesnapshot.snapshot.storage.k8s.io/%s created (claim %s, class %s)"
                % (body["metadata"]["name"], spec["source"]["persistentVolumeClaimName"],
                   spec["volumeSnapshotClassName"]))
    return out


def _exists(plan: Obj, exc: Conflict) -> Conflict:
    return Conflict("error: snapshot set %s exists already (a set is named by the second it "
                    "is taken): run the command again; nothing was changed" % plan["set"],
                    status=409, reason=exc.reason)


def wait_ready(conn: "Connection", plan: Obj, timeout: float, say: Say,
               group: Optional[str] = None) -> Dict[str, Obj]:
    """Wait (client/watch.py) until every snapshot of the set is readyToUse; fail on a
    status.error (one line naming the snapshot and the controller's message). Returns the
    snapshots (or the group snapshot) by name, as last seen."""
    from ..client.paths import group_path, path
    from ..client.watch import Verdict, Watch, wait
    from ..core.labels import SNAPSHOT_SET_LABEL
    from ..core.snapshots import progress
    from .shell import Progress
    names = [plan["set"]] if group else [e["name"] for e in plan["snapshots"]]
    where = group_path(group, "volumegroupsnapshots", conn.namespace) if group else \
        path("volumesnapshots", conn.namespace)
    watch = Watch(conn, snapshots=(where, {"labelSelector": "%s=%s" % (SNAPSHOT_SET_LABEL,
                                                                        plan["set"])}))
    shown = Progress(err=True)
    started = watch.clock.now()
    ready_at: Dict[str, float] = {}         # when each was first seen ready (the wait's clock)

    def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        state = progress(names, snapshot["snapshots"])
        for name in state["ready"]:
            ready_at.setdefault(name, now)
        return Verdict(done=state["done"], failed=state["failed"], line=state["line"])
    with watch:
        outcome = wait(watch, judge, timeout, shown)
        shown(None)
        live = watch.snapshot()["snapshots"]
    if outcome.state == "unreachable":
        assert outcome.error is not None
        raise reworded(outcome.error, "%s; snapshot set %s was created: see it with kubectl "
                       "sts snapshot %s --list" % (outcome.error.message, plan["set"],
                                                   plan["statefulSet"]))
    if outcome.state == "failed":
        assert outcome.verdict is not None
        raise SnapshotFailed("error: %s" % outcome.verdict.failed)
    if outcome.state == "timeout":
        assert outcome.verdict is not None
        raise WaitTimeout("error: timed out after %s: %s" % (
            _seconds(timeout), (outcome.verdict.line or "")[len("waiting: "):]))
    for name in names:
        seconds = ready_at.get(name, started) - started
        # a group snapshot has no restoreSize: its members have (label_members)
        say("volumegroupsnapshot %s ready to use, after %.0fs" % (name, seconds) if group
            else ready_line(live[name], seconds))
    return live


def ready_line(snapshot: Obj, seconds: Optional[float]) -> str:
    """`NAME ready to use: restoreSize 1Gi, after 2s` (a group's member: `NAME (claim C) ready
    to use: restoreSize 1Gi`)."""
    status = snapshot.get("status") or {}
    claim = ((snapshot.get("spec") or {}).get("source") or {}).get("persistentVolumeClaimName")
    return "%s%s ready to use: restoreSize %s%s" % (
        snapshot["metadata"]["name"], " (claim %s)" % claim if seconds is None else "",
        status.get("restoreSize") or "<unknown>",
        ", after %.0fs" % seconds if seconds is not None else "")


def _seconds(value: float) -> str:
    return "%gs" % value


def take_before(conn: "Connection", sts: Obj, timeout: float, say: Say,
                dry_run: str = "none") -> str:
    """`rollout --snapshot`: take a set of every claim of every ordinal before the rollout's
    first write and wait until it is ready; refuse (exit 11) before any write where it cannot
    be taken (a dry run checks as much and takes none). Returns the set's name."""
    from .shell import check_writes, now_utc
    require_served(conn)
    plan, notes = read_plan(conn, sts, None, None, now_utc())
    for note in notes:
        say("Note: %s" % note)
    if plan["refused"]:
        raise Refused("error: refused: --snapshot: %s; nothing was changed" % plan["refused"])
    if dry_run != "none":
        say("dry-run (%s): would take snapshot set %s (%d snapshot(s)) first" % (
            dry_run, plan["set"], len(plan["snapshots"])))
        return str(plan["set"])
    check_writes(conn, "snapshot --wait")
    started = time.monotonic()
    say("snapshot set %s: %d snapshot(s) of statefulset %s before the rollout" % (
        plan["set"], len(plan["snapshots"]), plan["statefulSet"]))
    create_set(conn, plan, False, say)
    wait_ready(conn, plan, max(1.0, timeout - (time.monotonic() - started)), say)
    return str(plan["set"])


def label_members(conn: "Connection", plan: Obj, group: Obj, timeout: float, say: Say
                  ) -> Dict[str, Obj]:
    """--group: wait until the controller has made a member VolumeSnapshot of every claim and
    each is ready to use, then label each as one of the set (what `restore` reads). The
    members are the snapshot controller's (external-snapshotter pkg/common-controller/
    groupsnapshot_controller_helper.go, createSnapshotsForGroupSnapshotContent: named
    `snapshot-<sha256(group uid + volume handle)>` by
    getSnapshotNameForVolumeGroupSnapshotContent, owned by the group through
    BuildVolumeGroupSnapshotOwnerReference, spec.source.persistentVolumeClaimName the claim
    of the volume's PV): found by owner uid and claim (core group_members). Returns the
    labelled members by claim."""
    from ..client.paths import path
    from ..client.watch import Verdict, Watch, wait
    from ..core.snapshots import group_members, member_patch, progress
    uid = (group.get("metadata") or {}).get("uid")
    wanted = len(plan["snapshots"])
    watch = Watch(conn, snapshots=(path("volumesnapshots", conn.namespace), {}))

    def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        found = group_members(plan, uid, list(snapshot["snapshots"].values()))
        names = [m["metadata"]["name"] for m in found.values()]
        state = progress(names, snapshot["snapshots"])
        if state["failed"]:
            return Verdict(failed=state["failed"])
        return Verdict(done=len(found) == wanted and state["done"], result=found,
                       line="waiting: %d/%d member snapshots made, %d ready" % (
                           len(found), wanted, len(state["ready"])))
    with watch:
        outcome = wait(watch, judge, timeout)
    if outcome.state == "failed" and outcome.verdict is not None:
        raise SnapshotFailed("error: %s" % outcome.verdict.failed)
    if outcome.state != "done" or outcome.verdict is None:
        if outcome.error is not None:
            raise outcome.error
        raise WaitTimeout("error: timed out after %s: %s; the group snapshot %s is ready but "
                          "its members are not labelled as the set" % (
                              _seconds(timeout), ((outcome.verdict.line if outcome.verdict
                                                   else "") or "")[len("waiting: "):],
                              plan["set"]))
    out: Dict[str, Obj] = {}
    for claim, member in sorted(outcome.verdict.result.items()):
        out[claim] = conn.request("PATCH", path("volumesnapshots", conn.namespace,
                                                member["metadata"]["name"]),
                                  body=member_patch(plan, claim),
                                  content_type="application/merge-patch+json")
        say("%s, labelled as set %s" % (ready_line(out[claim], None), plan["set"]))
    return out
