"""`resize`: grow the volumes of a StatefulSet's ordinals, then make its claim template match.

Pure functions over plain API objects: the plan (which claims grow, what refuses it, what to
warn about), the progress of one claim's expansion, the body the set is created again with,
and the check that the new set adopted every pod without restarting one."""

from typing import Any, Dict, Iterable, List, Optional

from ..k8s import statefulset as facts
from .fieldowners import FIELDS, markers, other_writers, refusal
from .fieldowners import LAST_APPLIED as _LAST_APPLIED
from ..k8s.conditions import find_condition, is_condition_true
from ..k8s.quantity import canonical_quantity, quantity_capped, quantity_value
from ..k8s.storage import (NODE_RESIZE_IN_PROGRESS, NODE_RESIZE_PENDING, claim_capacity,
                           claim_request, class_of, storage_of)

Obj = Dict[str, Any]
# metadata the API server sets; a created object must not carry them
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation",
                   "managedFields", "selfLink", "deletionTimestamp",
                   "deletionGracePeriodSeconds")


# kubectl apply's annotation (k8s.io/api core/v1 annotation_key_constants.go
# LastAppliedConfigAnnotation): one home, core.fieldowners
LAST_APPLIED = _LAST_APPLIED


class PlanError(Exception):
    """The arguments cannot make a plan (a usage error: the message says why)."""


class PlanRefused(Exception):
    """No plan is shown: what was asked can never be done (a volume cannot shrink)."""


def parse_size(size: str) -> str:
    """SIZE in its canonical form; PlanError unless it is a positive quantity."""
    wanted = quantity_value(size)
    if wanted is None or wanted <= 0:
        raise PlanError('invalid size "%s": use a quantity such as 20Gi' % size)
    if quantity_capped(size):       # resource.ParseQuantity would store 2^63-1 instead
        raise PlanError('invalid size "%s": larger than a quantity holds (at most '
                        '9223372036854775807, about 8Ei)' % size)
    return canonical_quantity(size)


def template_of(sts: Obj, name: Optional[str]) -> Obj:
    """The claim template `name`, or the only one when name is None."""
    templates = facts.spec(sts).get("volumeClaimTemplates") or []
    names = [str((t.get("metadata") or {}).get("name")) for t in templates]
    if not templates:
        raise PlanError("StatefulSet %s has no volumeClaimTemplates: nothing to resize"
                        % sts["metadata"]["name"])
    if name is None:
        if len(templates) > 1:
            raise PlanError("StatefulSet %s has %d claim templates (%s): choose one with "
                            "--claim" % (sts["metadata"]["name"], len(names), ", ".join(names)))
        return templates[0]
    for template in templates:
        if (template.get("metadata") or {}).get("name") == name:
            return template
    raise PlanError('StatefulSet %s has no claim template "%s" (templates: %s)'
                    % (sts["metadata"]["name"], name, ", ".join(names)))


def managers(sts: Obj) -> List[str]:
    """The tools whose marks the set carries (they re-apply its source manifest): the labels
    and annotations core.fieldowners.markers reads."""
    return [who for _, who in markers(sts)]


# the plan's actions whose claims are waited for and reported: "expand" is patched first,
# "growing" was asked for already (an earlier run) and is only waited for
GROWING = ("expand", "growing")


def plan(sts: Obj, claims: List[Obj], classes: List[Obj], size: str,
         template_name: Optional[str] = None, include_orphans: bool = False,
         force: bool = False) -> Obj:
    """What `resize` would do. `claims`: the namespace's claims (any); `classes`: the
    StorageClasses. Returns the plan document; `refusals` non-empty means it must not run.
    PlanRefused, before any plan, when SIZE is below a claim's capacity."""
    parse_size(size)
    wanted = quantity_value(size)
    assert wanted is not None
    template = template_of(sts, template_name)
    tname = template["metadata"]["name"]
    name = sts["metadata"]["name"]
    in_range = set(facts.ordinals(sts))
    by_name = {c["metadata"]["name"]: c for c in claims}
    class_by_name = {c["metadata"]["name"]: c for c in classes}
    refusals: List[str] = []
    shrinks: List[str] = []
    rows = []
    ordinals = sorted(in_range)
    if include_orphans:
        ordinals += sorted(o for o in (facts.claim_ordinal(tname, name, c) for c in by_name)
                           if o is not None and o not in in_range)
    for ordinal in ordinals:
        cname = facts.claim_name(tname, name, ordinal)
        claim = by_name.get(cname)
        row = {"name": cname, "ordinal": ordinal, "inRange": ordinal in in_range,
               "request": None, "capacity": None, "storageClass": None,
               "size": canonical_quantity(size), "action": "expand"}
        rows.append(row)
        if claim is None:
            refusals.append("PVC %s of ordinal %d does not exist" % (cname, ordinal))
            row["action"] = "missing"
            continue
        row["request"], row["capacity"] = claim_request(claim), claim_capacity(claim)
        # a bound claim keeps the class it was made with: admission
        # (PersistentVolumeClaimResize allowResize) refuses one without a class, whatever
        # the default class is now
        sc_name = class_of(claim)
        row["storageClass"] = sc_name or None
        phase = (claim.get("status") or {}).get("phase")
        if phase != "Bound":
            refusals.append("PVC %s is %s, not Bound" % (cname, phase or "Pending"))
        capacity = quantity_value(row["capacity"])
        if capacity is not None and wanted < capacity:
            shrinks.append("%s (%s)" % (cname, canonical_quantity(row["capacity"])))
            continue
        if capacity is not None and wanted == capacity:
            row["action"] = "done"
            continue
        if quantity_value(row["request"]) == wanted:
            # asked for already (an earlier run): wait for it, do not write it again
            row["action"] = "growing"
        sc = class_by_name.get(sc_name or "")
        if sc is None:
            refusals.append("PVC %s: StorageClass %s does not exist" % (cname, sc_name)
                            if sc_name else "PVC %s has no StorageClass: the API server "
                            "expands only claims of a class that allows it" % cname)
        elif sc.get("allowVolumeExpansion") is not True:
            refusals.append("StorageClass %s of PVC %s does not allow volume expansion "
                            "(allowVolumeExpansion is not true)" % (sc_name, cname))
    if shrinks:
        raise PlanRefused("%s is smaller than the capacity of PVC %s: volumes cannot shrink"
                          % (canonical_quantity(size), ", ".join(shrinks)))
    owner = next((r for r in (sts["metadata"].get("ownerReferences") or [])
                  if r.get("controller")), None)
    if owner is not None and not force:
        refusals.append("StatefulSet %s is controlled by %s %s, which would undo the change "
                        "(--force to go ahead)" % (name, owner.get("kind"), owner.get("name")))
    status = sts.get("status") or {}
    if status.get("currentRevision") and status.get("updateRevision") and \
            status["currentRevision"] != status["updateRevision"]:
        refusals.append("a rollout is in progress (current revision %s, update revision %s): "
                        "recreating the set now would restart the ordinals below the "
                        "partition; finish or undo it first"
                        % (status["currentRevision"], status["updateRevision"]))
    old = storage_of(template, "spec", "resources", "requests", "storage")
    template_change = None
    if quantity_value(old) != wanted:
        template_change = {"template": tname, "from": old, "to": canonical_quantity(size)}
    # who else writes the claim templates (managedFields, else the tools' marks): a
    # controller that puts them back refuses the plan (--force goes ahead), any of them warns
    writers = other_writers(sts, [FIELDS["claims"]]) if template_change else []
    blocked = refusal(writers)
    if blocked and not force:
        refusals.append(blocked.split("\n")[0])
    warnings = ["%s manages %s: change the source too (volumeClaimTemplates[%s] storage: "
                "%s -> %s), or its next sync fails on the immutable template or puts the old "
                "one back%s" % (w.who, name, tname, old, canonical_quantity(size),
                                "; to pause it: " + "; ".join(w.pause) if w.reverts else "")
                for w in writers]
    return {"apiVersion": "kubectl-sts/v1", "kind": "ResizePlan",
            "statefulSet": {"namespace": sts["metadata"].get("namespace"), "name": name,
                            "uid": sts["metadata"].get("uid")},
            "template": tname, "size": canonical_quantity(size), "claims": rows,
            "templateChange": template_change, "refusals": refusals, "warnings": warnings,
            "nothingToDo": not refusals and template_change is None and
            all(r["action"] == "done" for r in rows)}


# where one claim's expansion stands (expansion()); SETTLED: resize goes on (the file system
# has grown, or will grow only when a pod starts or mounts it: nothing to wait for)
DONE, EXPANDING, RESTART, UNMOUNTED, FAILED = "done", "expanding", "needs-restart", \
    "unmounted", "failed"
SETTLED = (DONE, RESTART, UNMOUNTED)
# the gRPC code a CSI driver answers NodeExpandVolume with when it grows only unmounted file
# systems: kubernetes pkg/volume/csi/expander.go NodeExpand (inUseError) turns it into a
# FailedPreconditionError, which operationexecutor/node_expander.go expandOnPlugin records on
# the claim (resize_util.go MarkNodeExpansionFailedCondition: condition NodeResizeError,
# "failed to expand pvc with ... code = FailedPrecondition ..."), then marks the mounted volume
# (actual_state_of_world MarkForInUseExpansionError) so the kubelet does not retry while it
# stays mounted: the file system grows at the next mount, when a pod starts again
OFFLINE_ONLY = "FailedPrecondition"


def running_mounts(claim_name: str, pods: Iterable[Obj]) -> List[Obj]:
    """The pods that mount the claim and run (phase Running, not being deleted): a kubelet
    expands the file system of a mounted volume online (volumemanager reconciler ->
    operation_generator GenerateExpandInUseVolumeFunc)."""
    return [p for p in pods if (p.get("status") or {}).get("phase") == "Running" and
            not (p.get("metadata") or {}).get("deletionTimestamp") and
            any((v.get("persistentVolumeClaim") or {}).get("claimName") == claim_name
                for v in (p.get("spec") or {}).get("volumes") or [])]


def expansion(claim: Obj, size: str, pods: Iterable[Obj] = ()) -> Obj:
    """Where one claim's expansion to `size` stands: {"state", "step", "message", "pods"}.

    state: DONE (status.capacity reached); FAILED (an ...Infeasible resource status: the
    resizer or the kubelet gave up); RESTART (the driver refused to grow the mounted file
    system, FailedPrecondition: it grows when the pod starts again); UNMOUNTED (only the
    node's step is left and no running pod mounts the claim: the kubelet grows it when a pod
    mounts it); EXPANDING, with step "requested" (the resizer has not marked it yet),
    "resizing" (ControllerResizeInProgress: the volume grows) or "file-system" (the node's
    step: FileSystemResizePending, NodeResizePending/InProgress, which the kubelet of the
    running pod finishes online). `pods`: the namespace's pods (those that mount it count)."""
    status = claim.get("status") or {}
    capacity = quantity_value(claim_capacity(claim))
    wanted = quantity_value(size)
    mounted = [p["metadata"]["name"] for p in running_mounts(claim["metadata"]["name"], pods)] \
        if claim.get("metadata") else []
    out = {"state": EXPANDING, "step": "requested", "message": "", "pods": mounted}
    if capacity is not None and wanted is not None and capacity >= wanted:
        return dict(out, state=DONE, step="")
    resource = storage_of(status, "allocatedResourceStatuses", "storage") or ""
    node_error = find_condition(claim, "NodeResizeError") or {}
    node_error = node_error if node_error.get("status") == "True" else {}
    if resource.endswith("Infeasible"):
        error = node_error or find_condition(claim, "ControllerResizeError") or {}
        return dict(out, state=FAILED, step="", message=error.get("message") or resource)
    node_step = is_condition_true(claim, "FileSystemResizePending") or resource in (
        NODE_RESIZE_PENDING, NODE_RESIZE_IN_PROGRESS)
    if node_step:
        message = node_error.get("message", "")
        if OFFLINE_ONLY in message:
            return dict(out, state=RESTART, step="file-system", message=message)
        if not mounted:
            return dict(out, state=UNMOUNTED, step="file-system", message=message)
        return dict(out, step="file-system", message=message)
    if is_condition_true(claim, "Resizing") or resource.startswith("Controller"):
        return dict(out, step="resizing")
    return out


def failed_events(events: Iterable[Obj], baseline: Dict[str, int]) -> Dict[str, str]:
    """{claim name: message} of the VolumeResizeFailed events that are new since `baseline`
    ({event name: count} when the wait began) or counted again since: the resizer's failures
    (external-resizer controller.go resizePVC: Warning VolumeResizeFailed on the claim)."""
    out = {}
    for event in events:
        target = event.get("involvedObject") or {}
        if event.get("reason") != "VolumeResizeFailed" or \
                target.get("kind", "PersistentVolumeClaim") != "PersistentVolumeClaim":
            continue
        key, count = event["metadata"]["name"], event.get("count") or 1
        if key not in baseline or count > baseline[key]:
            out[str(target.get("name"))] = str(event.get("message") or "")
    return out


def expansion_verdict(states: Dict[str, Obj], failures: Dict[str, str]) -> Obj:
    """The wait over every claim: {"done", "failed", "line"}. Done when each claim is DONE,
    RESTART or UNMOUNTED; failed (a message) when one is FAILED, or has a new failure event
    and is not done."""
    failed = ["%s: %s" % (name, s["message"]) for name, s in states.items()
              if s["state"] == FAILED]
    failed += ["%s: %s" % (name, failures[name]) for name, s in states.items()
               if name in failures and s["state"] not in (DONE, FAILED)]
    growing = ["%s %s" % (name, s["step"]) + (" (%s)" % s["message"] if s["message"] else "")
               for name, s in states.items() if s["state"] not in SETTLED + (FAILED,)]
    return {"done": not failed and not growing, "failed": "; ".join(failed) or None,
            "line": "expanding: %s" % ", ".join(growing)}


def recreated(live: Obj, template_name: str, size: Optional[str]) -> Obj:
    """The StatefulSet to create again: `live` as it was (spec, labels, annotations,
    finalizers, owner references), without what the server sets, with the claim template's
    storage request at `size` (None: as it was)."""
    import copy
    body = copy.deepcopy(live)
    body.pop("status", None)
    meta = body.setdefault("metadata", {})
    for key in SERVER_METADATA:
        meta.pop(key, None)
    body["apiVersion"], body["kind"] = "apps/v1", "StatefulSet"
    for template in body["spec"].get("volumeClaimTemplates") or []:
        if size is not None and (template.get("metadata") or {}).get("name") == template_name:
            template.setdefault("spec", {}).setdefault("resources", {}).setdefault(
                "requests", {})["storage"] = canonical_quantity(size)
    return body


def applied_configuration(live: Obj, template_name: str, size: str) -> Optional[Obj]:
    """kubectl's last-applied-configuration of the set (what the last `kubectl apply` sent,
    which the next one computes its three-way patch from: kubectl apply/patcher.go,
    util.GetOriginalConfiguration) with only volumeClaimTemplates[template_name]
    spec.resources.requests.storage set to `size`: {"document": the new document (the caller
    encodes it as kubectl does, Go's JSON), "from": the size it said}. None: no annotation,
    not a JSON object, or no such template in it (then it is left as it is)."""
    import json
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        return None
    spec = doc.get("spec") if isinstance(doc, dict) else None
    templates = spec.get("volumeClaimTemplates") if isinstance(spec, dict) else None
    for template in templates if isinstance(templates, list) else []:
        if not isinstance(template, dict) or \
                (template.get("metadata") or {}).get("name") != template_name:
            continue
        old = storage_of(template, "spec", "resources", "requests", "storage")
        requests: Any = template.setdefault("spec", {})
        for key in ("resources", "requests"):
            requests = requests.setdefault(key, {}) if isinstance(requests, dict) else None
        if not isinstance(requests, dict):
            return None
        requests["storage"] = canonical_quantity(size)
        return {"document": doc, "from": old}
    return None


def adoption_problems(new_sts: Obj, pods_before: Dict[str, str], pods_now: List[Obj],
                      old_current_revision: Optional[str]) -> List[str]:
    """What is not (yet) as it should be after the set was created again: every pod that
    existed (name -> uid) still exists with the same uid and is controlled by the new set,
    and the current revision is the old one. Empty: done."""
    problems = []
    uid = new_sts["metadata"].get("uid")
    now = {p["metadata"]["name"]: p for p in pods_now}
    for name, old_uid in sorted(pods_before.items()):
        pod = now.get(name)
        if pod is None:
            problems.append("pod %s is gone" % name)
            continue
        if pod["metadata"].get("uid") != old_uid:
            problems.append("pod %s was replaced" % name)
            continue
        owner = next((r for r in pod["metadata"].get("ownerReferences") or []
                      if r.get("controller")), None)
        if owner is None or owner.get("uid") != uid:
            problems.append("pod %s is not adopted yet" % name)
    current = (new_sts.get("status") or {}).get("currentRevision")
    if old_current_revision and current != old_current_revision:
        problems.append("current revision is %s, not %s" % (current or "not set yet",
                                                              old_current_revision))
    return problems


# the state a backup records (commands/resize/__init__.py save_backup): its run is going on, the run
# ended before the set was created again (`--resume` finishes it), or it is of no further use
RUNNING, INTERRUPTED, SPENT = "running", "interrupted", "spent"


def backup_verdict(doc: Optional[Obj], live_uid: Optional[str], own_run: str,
                   writer_alive: bool) -> str:
    """What a backup found when a run starts means. `doc`: the backup (None: none, or not
    this set's); `live_uid`: the set's uid (None: the set is missing); `writer_alive`: the
    process that wrote it still runs. Returns "none" (nothing to use: none, or spent),
    "busy" (another run that still runs holds it: refuse, naming it), "stale" (the set exists:
    the backup is of no use to this run, which writes its own), or "resumable" (the set is
    missing and the run that deleted it ended: only --resume, or a confirmation, uses it).
    A backup without a state (written before states were recorded) counts as interrupted."""
    if doc is None or doc.get("state") == SPENT:
        return "none"
    if doc.get("state") == RUNNING and doc.get("run") != own_run and writer_alive:
        return "busy"
    return "stale" if live_uid is not None else "resumable"


def lost_delete(current: Optional[Obj], uid: str) -> bool:
    """Whether the orphan DELETE of the set of uid `uid`, whose answer was lost, was applied,
    from a fresh read (`current`: the set of that name now, or None): gone, another set, or
    being deleted (its orphan finalizer pending)."""
    if current is None:
        return True
    meta = current.get("metadata") or {}
    return meta.get("uid") != uid or bool(meta.get("deletionTimestamp"))


def lost_create(current: Optional[Obj], old_uid: str, template_name: str,
                size: Optional[str]) -> str:
    """After a POST of the set whose answer was lost (or AlreadyExists), from a fresh read:
    "created" (a new set whose claim template asks for `size`; None: any size), "absent"
    (not created: the POST may be sent again), or "other" (a set that is not the one sent: the
    old one, or another size)."""
    if current is None:
        return "absent"
    if current["metadata"].get("uid") == old_uid or \
            current["metadata"].get("deletionTimestamp"):
        return "other"
    if size is None:
        return "created"
    try:
        template = template_of(current, template_name)
    except PlanError:
        return "other"
    asked = storage_of(template, "spec", "resources", "requests", "storage")
    return "created" if quantity_value(asked) == quantity_value(size) else "other"
