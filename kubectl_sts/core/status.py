"""`status`: what one StatefulSet looks like, computed from the plain API objects.

Everything here is pure: `build_view` turns dicts (as the API serves them) into the
documented view structure (README, "status -o json"), with the cells of each ordinal's row;
printers/status.py lays the view out as text. No I/O, no clock: `now` is passed in."""

import datetime
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.statefulset import REVISION_LABEL
from ..k8s.humanreadable import age
from ..k8s.humanreadable import pod_summary as _pod_summary
from .events import describes, event_time, ready_since
from .pods import is_ready
from .pvc import claim_view, claims_of

Obj = Dict[str, Any]
View = Dict[str, Any]
# which fields of an object status keeps: part -> field -> None (the whole value) or the keys
# to keep of each item of a list
Fields = Mapping[str, Mapping[str, Optional[Tuple[str, ...]]]]

VIEW_VERSION = "kubectl-sts/v1"


def status_reads(sts: Obj) -> Dict[str, Optional[str]]:
    """What status lists besides the set itself, decided by the set: the pods' label selector,
    the claims' (None: no claim templates, nothing to list; the StatefulSet controller labels
    its claims with the selector's matchLabels) and the Service's name (None: none to read).
    Plain data, so a run can cache it and the next run send every request at once."""
    from .labels import selector_string
    spec = sts.get("spec") or {}
    selector = spec.get("selector") or {}
    claims = selector_string({"matchLabels": selector.get("matchLabels") or {}}) \
        if spec.get("volumeClaimTemplates") else None
    return {"pods": selector_string(selector), "claims": claims,
            "service": spec.get("serviceName") or None}


# What status reads of a pod (the kubectl pod printer's READY/STATUS/RESTARTS, readiness,
# revision, node, IP, images; claims are matched to pods by their volumes): field -> None to
# keep it whole, or the keys to keep of each item of a list
_POD_FIELDS: Fields = {
    "metadata": {"name": None, "namespace": None, "uid": None, "labels": None,
                 "creationTimestamp": None, "deletionTimestamp": None},
    "spec": {"nodeName": None,
             "containers": ("name", "image", "readinessProbe"),
             "initContainers": ("name", "image", "restartPolicy"),
             "volumes": ("name", "persistentVolumeClaim")},
    "status": {"phase": None, "reason": None, "message": None, "podIP": None,
               "conditions": ("type", "status", "reason", "message", "lastTransitionTime"),
               "containerStatuses": ("name", "image", "ready", "started", "restartCount",
                                     "state"),
               "initContainerStatuses": ("name", "image", "ready", "started", "restartCount",
                                         "state")},
}


# what status reads of a claim (pvc.claim_view; warnings match claims by uid)
_CLAIM_FIELDS: Fields = {
    "metadata": {"name": None, "namespace": None, "uid": None, "labels": None,
                 "resourceVersion": None, "creationTimestamp": None, "deletionTimestamp": None},
    "spec": {"accessModes": None, "resources": None, "storageClassName": None,
             "volumeName": None, "volumeMode": None},
    "status": {"phase": None, "capacity": None},
}


def _shared(value: Any) -> Any:
    """`value` with its strings interned: the JSON decoder makes new strings for every item,
    so 10 000 pods hold 10 000 copies of "Ready", "True", their label keys and image. Interned
    strings are freed with their last user (CPython's interning is mortal)."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is dict:
        return {sys.intern(k): _shared(v) for k, v in value.items()}
    if kind is list:
        return [_shared(v) for v in value]
    return value


def _reduce(obj: Obj, fields: Fields) -> Obj:
    out: Obj = {}
    for part, keys in fields.items():
        whole = obj.get(part) or {}
        slim = out[part] = {}
        for field, keep in keys.items():
            if field in whole:
                value = whole[field]
                slim[field] = _shared(value) if keep is None or type(value) is not list else [
                    {k: _shared(item[k]) for k in keep if k in item} if type(item) is dict
                    else item for item in value]
    return out


def status_pod(pod: Obj) -> Obj:
    """A pod reduced to the fields build_view reads (_POD_FIELDS). Applied to each listed pod
    as it is decoded, so a large set's pods are never all in memory in full; build_view gives
    the same view for the reduced pods as for the full ones."""
    return _reduce(pod, _POD_FIELDS)


def status_claim(claim: Obj) -> Obj:
    """A claim reduced to the fields build_view reads (_CLAIM_FIELDS)."""
    return _reduce(claim, _CLAIM_FIELDS)


def strategy_of(sts: Obj) -> Obj:
    """The update strategy as the view shows it (type, partition, maxUnavailable)."""
    return {"type": facts.strategy_type(sts), "partition": facts.partition(sts),
            "maxUnavailable": facts.max_unavailable(sts)}


def _pod_view(pod: Obj, revisions: Obj, now: Optional[datetime.datetime], wide: bool) -> Obj:
    ready, total, reason, restarts, _ = _pod_summary(pod)
    meta, status = pod["metadata"], pod.get("status") or {}
    revision = (meta.get("labels") or {}).get(REVISION_LABEL, "")
    view: Obj = {"pod": meta["name"], "exists": True, "uid": meta.get("uid"),
            "phase": status.get("phase", ""), "status": reason,
            "ready": "%d/%d" % (ready, total), "isReady": is_ready(pod),
            "terminating": bool(meta.get("deletionTimestamp")),
            "revision": revision, "revisionState": _revision_state(revision, revisions),
            "restarts": restarts, "age": age(meta.get("creationTimestamp"), now),
            "createdAt": meta.get("creationTimestamp"),
            "node": (pod.get("spec") or {}).get("nodeName") or ""}
    if wide:
        view["ip"] = status.get("podIP") or ""
        view["containers"] = [_container_view(cs)
                              for cs in status.get("containerStatuses") or []]
        if not view["containers"]:
            view["containers"] = [{"name": c["name"], "image": c.get("image"), "ready": False,
                                   "restarts": 0, "state": "waiting", "reason": reason}
                                  for c in (pod.get("spec") or {}).get("containers") or []]
    return view


def _container_view(cs: Obj) -> Obj:
    """A container of -o wide: its state ("running", "waiting", ...) and that state's reason."""
    state: Obj = cs.get("state") or {}
    return {"name": cs.get("name"), "image": cs.get("image"), "ready": bool(cs.get("ready")),
            "restarts": cs.get("restartCount", 0), "state": next(iter(state), "unknown"),
            "reason": (next(iter(state.values()), None) or {}).get("reason", "")}


def _revision_state(revision: str, revisions: Obj) -> str:
    if not revision:
        return "unknown"
    if revision == revisions["update"]:
        return "updated" if revisions["rolloutInProgress"] else "current"
    if revision == revisions["current"]:
        return "current"
    return "other"


def build_view(sts: Obj, pods: List[Obj], claims: List[Obj], service: Optional[Obj],
               events: List[Obj], now: Optional[datetime.datetime], domain: str = "cluster.local",
               wide: bool = False, unreadable: Iterable[str] = (),
               diagnosis: Optional[Obj] = None) -> View:
    """The status of one StatefulSet. `pods`, `claims`, `events` are lists of API dicts (the
    caller may pass more than belong to the set: they are filtered here); `service` is the
    Service dict or None; `unreadable` names what could not be read (e.g. forbidden);
    `diagnosis` is core.diagnosis.diagnose's for the set (None: made here from the pods,
    claims and events alone, without nodes, PVs or budgets)."""
    if diagnosis is None:
        from .diagnosis import Facts, diagnose
        diagnosis = diagnose(Facts(sts=sts, pods=pods, claims=claims, events=events,
                                   now=now.timestamp() if now is not None else None))
    verdicts = {row["ordinal"]: row for row in diagnosis["ordinals"]}
    meta, spec, st = sts["metadata"], sts["spec"], sts.get("status") or {}
    name, ns = meta["name"], meta.get("namespace", "default")
    replicas = facts.replicas(sts)
    start = facts.start(sts)
    strategy = strategy_of(sts)
    current_rev, update_rev = st.get("currentRevision", ""), st.get("updateRevision", "")
    revisions = {"current": current_rev, "update": update_rev,
                 "rolloutInProgress": bool(update_rev and current_rev != update_rev)}
    service_name = spec.get("serviceName") or ""
    templates = facts.claim_templates(sts)
    by_ordinal = facts.pods_by_ordinal(name, pods)
    claims_by_key = claims_of(sts, claims)

    partition_ordinal = None
    if strategy["type"] == "RollingUpdate" and 0 < (strategy["partition"] or 0) < replicas:
        partition_ordinal = start + strategy["partition"]
    rows = []
    for ordinal in range(start, start + replicas):
        pod = by_ordinal.get(ordinal)
        pod_name = facts.pod_name(name, ordinal)
        row: Obj
        if pod is None:
            row = {"pod": pod_name, "exists": False, "status": "Missing", "phase": "",
                   "ready": "0/%d" % len((spec.get("template", {}).get("spec") or {})
                                         .get("containers") or []),
                   "isReady": False, "terminating": False, "revision": "",
                   "revisionState": "none", "restarts": 0, "age": "", "createdAt": None,
                   "node": ""}
        else:
            row = _pod_view(pod, revisions, now, wide)
        row["ordinal"] = ordinal
        verdict = verdicts.get(ordinal) or {}
        row["verdict"] = verdict.get("verdict", "healthy")
        row["cause"] = verdict.get("cause", "")
        row["next"] = next_step(verdict) if verdict else None
        row["belowPartition"] = partition_ordinal is not None and ordinal < partition_ordinal
        row["pvcs"] = []
        for template in templates:
            claim = claims_by_key.get((template, ordinal))
            if claim is None:
                row["pvcs"].append({"name": facts.claim_name(template, name, ordinal),
                                    "template": template, "ordinal": ordinal, "exists": False,
                                    "status": "Missing", "phase": "Missing", "capacity": "",
                                    "storageClass": "", "volume": "", "age": ""})
            else:
                row["pvcs"].append(claim_view(claim, template, ordinal, None, now))
        row["dns"] = "%s.%s.%s.svc.%s" % (pod_name, service_name, ns, domain) \
            if service_name else ""
        rows.append(row)

    in_range = facts.ordinals(sts)
    orphaned = [claim_view(claim, template, ordinal, None, now)
                for (template, ordinal), claim in sorted(claims_by_key.items(),
                                                         key=lambda kv: (kv[0][1], kv[0][0]))
                if ordinal not in in_range]
    leaving = [{"pod": p["metadata"]["name"], "ordinal": o,
                "status": _pod_summary(p)[2],
                "reason": "outside the ordinal range" if o not in in_range else "being deleted"}
               for o, p in sorted(by_ordinal.items())
               if o not in in_range or p["metadata"].get("deletionTimestamp")]

    warnings = current_warnings(sts, [by_ordinal[o] for o in sorted(by_ordinal)],
                                list(claims_by_key.values()), events, now)

    generation = meta.get("generation", 1)
    observed = st.get("observedGeneration", 0)
    view = {
        "apiVersion": VIEW_VERSION, "kind": "StatefulSetStatus",
        "namespace": ns, "name": name,
        "replicas": {"desired": replicas, "current": st.get("replicas", 0),
                     "ready": st.get("readyReplicas", 0),
                     "available": st.get("availableReplicas", 0),
                     "updated": st.get("updatedReplicas", 0),
                     "atCurrentRevision": st.get("currentReplicas", 0)},
        "revisions": revisions,
        "updateStrategy": strategy,
        "podManagementPolicy": facts.pod_management(sts),
        "minReadySeconds": facts.min_ready_seconds(sts),
        "ordinalsStart": start,
        "service": {"name": service_name, "exists": service is not None,
                    "headless": bool(service and (service.get("spec") or {}).get("clusterIP")
                                     == "None")} if service_name else None,
        "pvcRetentionPolicy": facts.retention(sts),
        "generation": generation, "observedGeneration": observed,
        "observed": observed >= generation,
        "ordinals": rows,
        "orphanedPVCs": orphaned,
        "leavingPods": leaving,
        "warnings": warnings,
        "unreadable": list(unreadable),
    }
    view["problems"] = [{"pod": r["pod"], "ordinal": r["ordinal"], "verdict": r["verdict"],
                         "cause": r["cause"], "next": r["next"]}
                        for r in rows if r["verdict"] in PROBLEMS]
    view["stuck"] = stuck_summary(view, diagnosis)
    view["healthy"] = is_healthy(view)
    return view


def current_warnings(sts: Obj, pods: List[Obj], claims: List[Obj], events: List[Obj],
                     now: Optional[datetime.datetime]) -> List[Obj]:
    """Warning events of the objects that exist now: the set, its pods and its claims, each
    matched by uid when the event names one (so a pod replaced since, with the same name, does
    not count), and, for a pod that is Ready, seen after it became Ready (a `secret not
    found` from before the secret was created is history); newest first, with age and
    count."""
    objects = {("StatefulSet", sts["metadata"]["name"]): sts["metadata"].get("uid")}
    ready_at = {("Pod", p["metadata"]["name"]): at for p, at in
                ((p, ready_since(p)) for p in pods) if at is not None}
    for kind, items in (("Pod", pods), ("PersistentVolumeClaim", claims)):
        for obj in items:
            objects[(kind, obj["metadata"]["name"])] = obj["metadata"].get("uid")
    warnings = []
    for ev in events:
        ref = ev.get("involvedObject") or {}
        key = (str(ref.get("kind")), ref.get("name"))
        if ev.get("type") != "Warning" or key not in objects:
            continue
        if not describes(ev, objects[key], ready_at.get(key)):
            continue                            # an earlier object, or history
        seen = event_time(ev)
        warnings.append({"object": "%s/%s" % (key[0].lower(), key[1]),
                         "reason": ev.get("reason", ""), "message": ev.get("message", ""),
                         "count": ev.get("count") or 1, "lastSeen": seen,
                         "age": age(seen, now)})
    warnings.sort(key=lambda w: w["lastSeen"] or "", reverse=True)
    return warnings


# the verdicts (core.diagnosis) a status view lists under its table, with what to do
PROBLEMS = ("failing", "blocked", "down", "stuck")


def next_step(verdict: Obj) -> Optional[str]:
    """The command of the first remedy of a verdict that can work, or None."""
    from .diagnosis import remedy_line
    return remedy_line(verdict) if verdict.get("verdict") in PROBLEMS else None


def stuck_summary(view: View, diagnosis: Obj) -> Optional[Obj]:
    """The set-level verdict under the table (core.diagnosis.rollout_verdict), or None."""
    from .rollout.stuck import rollout_verdict
    return rollout_verdict(view["name"], view["revisions"], diagnosis)


def is_healthy(view: View) -> bool:
    """Every ordinal exists, is Ready, and runs the update revision (for `--check`)."""
    update = view["revisions"]["update"]
    return view["observed"] and all(
        row["exists"] and row["isReady"] and not row["terminating"] and row["revision"] == update
        for row in view["ordinals"])


# -- the cells of an ordinal's row (laid out by printers/status.py) ------------------------

def _revision_cell(row: Obj) -> str:
    state = row["revisionState"]
    if state in ("current", "updated"):
        return state
    if state == "other":
        return row["revision"].rsplit("-", 1)[-1]
    return "-"


def _pvc_cell(pvc: Obj, wide: bool) -> str:
    if not pvc["exists"]:
        return "%s (missing)" % pvc["name"]
    parts = [pvc["status"], pvc["capacity"]] + ([pvc["storageClass"]] if wide else [])
    return "%s (%s)" % (pvc["name"], ", ".join(p for p in parts if p))


def ordinal_headers(view: View, wide: bool) -> List[str]:
    """The ordinal table's headers. The default fits 120 columns for `web` with one claim
    template; -o wide adds what is least needed (ordinal, node, storage class, IP, images)."""
    templates = [p["template"] for p in view["ordinals"][0]["pvcs"]] if view["ordinals"] else []
    headers = (["ORDINAL"] if wide else []) + ["POD", "STATUS", "REVISION", "RESTARTS", "AGE"]
    headers += ["NODE"] if wide else []
    headers += ["PVC" if len(templates) == 1 else "PVC %s" % t.upper() for t in templates]
    headers.append("DNS")
    return headers + (["IP", "CONTAINERS", "IMAGES"] if wide else [])


def ordinal_cells(row: Obj, wide: bool) -> List[Any]:
    """One ordinal's cells, under ordinal_headers."""
    status = row["status"]
    if row["exists"] and status == "Running":
        status = "Running %s" % row["ready"]
        ready, _, total = row["ready"].partition("/")
        if not row["isReady"] and ready == total:
            status += " not Ready"          # the node lifecycle controller's mark, a probe
    if row.get("verdict") in PROBLEMS:
        status += " " + row["verdict"].upper()
    cells = ([row["ordinal"]] if wide else []) + [
        row["pod"], status, _revision_cell(row), row["restarts"], row["age"] or "-"]
    cells += [row["node"] or "-"] if wide else []
    cells += [_pvc_cell(p, wide) for p in row["pvcs"]]
    cells.append(row["dns"] or "-")
    if wide:
        containers = row.get("containers") or []
        cells += [row.get("ip") or "-",
                  ",".join("%s:%s" % (c["name"], "ready" if c["ready"] else
                                      (c["reason"] or c["state"])) for c in containers) or "-",
                  ",".join(c["image"] or "" for c in containers) or "-"]
    return cells


def list_row(sts: Obj, now: Optional[datetime.datetime] = None) -> Obj:
    """One line of `status` without a name: a StatefulSet at a glance."""
    st = sts.get("status") or {}
    replicas = facts.replicas(sts)
    strat = strategy_of(sts)
    current, update = st.get("currentRevision"), st.get("updateRevision")
    if not update:
        revision = "unknown"
    elif current != update:
        revision = "rolling (%d/%d updated)" % (st.get("updatedReplicas", 0), replicas)
    else:
        revision = "up to date"
    pol = facts.retention(sts)
    return {"namespace": sts["metadata"].get("namespace", ""), "name": sts["metadata"]["name"],
            "ready": "%d/%d" % (st.get("readyReplicas", 0), replicas),
            "updated": "%d/%d" % (st.get("updatedReplicas", 0), replicas),
            "revision": revision,
            "partition": strat["partition"] if strat["partition"] is not None else "-",
            "strategy": strat["type"],
            "pvcPolicy": "%s/%s" % (pol["whenDeleted"], pol["whenScaled"]),
            "replicas": replicas, "readyReplicas": st.get("readyReplicas", 0),
            "labels": dict(sts["metadata"].get("labels") or {}),
            "createdAt": sts["metadata"].get("creationTimestamp"),
            "age": age(sts["metadata"].get("creationTimestamp"), now)}
