"""`status`: what one StatefulSet looks like, computed from the plain API objects.

Everything here is pure: `build_view` turns dicts (as the API serves them) into the
documented view structure (README, "status -o json"), and the render functions turn a view
into text. No I/O, no clock: `now` is passed in."""

import sys

from ..k8s import statefulset as facts
from ..k8s.statefulset import claim_ordinal
from .pods import FAILING_REASONS, is_ready
from ..k8s.humanreadable import age
from .pvc import claim_view
from ..k8s.humanreadable import pod_summary as _pod_summary

VIEW_VERSION = "kubectl-sts/v1"
# pod STATUS strings (as kubectl prints them) that mean "failing", not "starting"
FAILING_STATUSES = FAILING_REASONS | {"Error", "OOMKilled", "ContainerStatusUnknown"}
MAX_WARNINGS = 3          # warning lines in the text view (-o wide and -o json show all)


def status_reads(sts):
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
_POD_FIELDS = {
    "metadata": {"name": None, "namespace": None, "uid": None, "labels": None,
                 "creationTimestamp": None, "deletionTimestamp": None},
    "spec": {"nodeName": None,
             "containers": ("name", "image"),
             "initContainers": ("name", "image", "restartPolicy"),
             "volumes": ("name", "persistentVolumeClaim")},
    "status": {"phase": None, "reason": None, "podIP": None,
               "conditions": ("type", "status", "reason"),
               "containerStatuses": ("name", "image", "ready", "started", "restartCount",
                                     "state"),
               "initContainerStatuses": ("name", "image", "ready", "started", "restartCount",
                                         "state")},
}


# what status reads of a claim (pvc.claim_view; warnings match claims by uid)
_CLAIM_FIELDS = {
    "metadata": {"name": None, "namespace": None, "uid": None, "labels": None,
                 "resourceVersion": None, "creationTimestamp": None, "deletionTimestamp": None},
    "spec": {"accessModes": None, "resources": None, "storageClassName": None,
             "volumeName": None, "volumeMode": None},
    "status": {"phase": None, "capacity": None},
}


def _shared(value):
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


def _reduce(obj, fields):
    out = {}
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


def status_pod(pod):
    """A pod reduced to the fields build_view reads (_POD_FIELDS). Applied to each listed pod
    as it is decoded, so a large set's pods are never all in memory in full; build_view gives
    the same view for the reduced pods as for the full ones."""
    return _reduce(pod, _POD_FIELDS)


def status_claim(claim):
    """A claim reduced to the fields build_view reads (_CLAIM_FIELDS)."""
    return _reduce(claim, _CLAIM_FIELDS)


def strategy_of(sts):
    return {"type": facts.strategy_type(sts), "partition": facts.partition(sts),
            "maxUnavailable": facts.max_unavailable(sts)}


def _pod_view(pod, sts, revisions, now, wide):
    ready, total, reason, restarts, _ = _pod_summary(pod)
    meta, status = pod["metadata"], pod.get("status") or {}
    revision = (meta.get("labels") or {}).get("controller-revision-hash", "")
    view = {"pod": meta["name"], "exists": True, "uid": meta.get("uid"),
            "phase": status.get("phase", ""), "status": reason,
            "ready": "%d/%d" % (ready, total), "isReady": is_ready(pod),
            "terminating": bool(meta.get("deletionTimestamp")),
            "revision": revision, "revisionState": _revision_state(revision, revisions),
            "restarts": restarts, "age": age(meta.get("creationTimestamp"), now),
            "createdAt": meta.get("creationTimestamp"),
            "node": (pod.get("spec") or {}).get("nodeName") or ""}
    if wide:
        view["ip"] = status.get("podIP") or ""
        view["containers"] = [{
            "name": cs.get("name"), "image": cs.get("image"), "ready": bool(cs.get("ready")),
            "restarts": cs.get("restartCount", 0),
            "state": next(iter(cs.get("state") or {"unknown": {}})),
            "reason": next(iter((cs.get("state") or {}).values()), {}).get("reason", "")}
            for cs in status.get("containerStatuses") or []]
        if not view["containers"]:
            view["containers"] = [{"name": c["name"], "image": c.get("image"), "ready": False,
                                   "restarts": 0, "state": "waiting", "reason": reason}
                                  for c in (pod.get("spec") or {}).get("containers") or []]
    return view


def _revision_state(revision, revisions):
    if not revision:
        return "unknown"
    if revision == revisions["update"]:
        return "updated" if revisions["rolloutInProgress"] else "current"
    if revision == revisions["current"]:
        return "current"
    return "other"


def build_view(sts, pods, claims, service, events, now, domain="cluster.local", wide=False,
               unreadable=()):
    """The status of one StatefulSet. `pods`, `claims`, `events` are lists of API dicts (the
    caller may pass more than belong to the set: they are filtered here); `service` is the
    Service dict or None; `unreadable` names what could not be read (e.g. forbidden)."""
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
    claims_by_key = {}
    for claim in claims:
        for template in templates:
            ordinal = claim_ordinal(template, name, claim["metadata"]["name"])
            if ordinal is not None:
                claims_by_key[(template, ordinal)] = claim

    partition_ordinal = None
    if strategy["type"] == "RollingUpdate" and 0 < (strategy["partition"] or 0) < replicas:
        partition_ordinal = start + strategy["partition"]
    rows = []
    for ordinal in range(start, start + replicas):
        pod = by_ordinal.get(ordinal)
        pod_name = facts.pod_name(name, ordinal)
        if pod is None:
            row = {"pod": pod_name, "exists": False, "status": "Missing", "phase": "",
                   "ready": "0/%d" % len((spec.get("template", {}).get("spec") or {})
                                         .get("containers") or []),
                   "isReady": False, "terminating": False, "revision": "",
                   "revisionState": "none", "restarts": 0, "age": "", "createdAt": None,
                   "node": ""}
        else:
            row = _pod_view(pod, sts, revisions, now, wide)
        row["ordinal"] = ordinal
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
    view["stuck"] = diagnose_stuck(view)
    view["healthy"] = is_healthy(view)
    return view


def _event_time(ev):
    return ev.get("lastTimestamp") or ev.get("eventTime") or \
        (ev.get("metadata") or {}).get("creationTimestamp")


def current_warnings(sts, pods, claims, events, now):
    """Warning events of the objects that exist now: the set, its pods and its claims, each
    matched by uid when the event names one (so a pod replaced since, with the same name, does
    not count); newest first, with age and count."""
    objects = {("StatefulSet", sts["metadata"]["name"]): sts["metadata"].get("uid")}
    for kind, items in (("Pod", pods), ("PersistentVolumeClaim", claims)):
        for obj in items:
            objects[(kind, obj["metadata"]["name"])] = obj["metadata"].get("uid")
    warnings = []
    for ev in events:
        ref = ev.get("involvedObject") or {}
        key = (ref.get("kind"), ref.get("name"))
        if ev.get("type") != "Warning" or key not in objects:
            continue
        if ref.get("uid") and objects[key] and ref["uid"] != objects[key]:
            continue                            # an earlier object of the same name
        seen = _event_time(ev)
        warnings.append({"object": "%s/%s" % (key[0].lower(), key[1]),
                         "reason": ev.get("reason", ""), "message": ev.get("message", ""),
                         "count": ev.get("count") or 1, "lastSeen": seen,
                         "age": age(seen, now)})
    warnings.sort(key=lambda w: w["lastSeen"] or "", reverse=True)
    return warnings


def failing(status, restarts, phase):
    """A pod that is failing, not just starting: a failing STATUS, a restart, phase Failed."""
    return status in FAILING_STATUSES or restarts > 0 or phase == "Failed"


def diagnose_stuck(view):
    """The OrderedReady "forced rollback" case: the lowest unhealthy ordinal is failing (not
    just starting), so the controller will neither continue nor repair it by itself."""
    if view["podManagementPolicy"] != "OrderedReady":
        return None
    revisions = view["revisions"]
    for row in view["ordinals"]:
        if not row["exists"] or row["terminating"]:
            return None
        if row["isReady"]:
            continue
        if not failing(row["status"], row["restarts"], row["phase"]):
            return None
        at_update = row["revision"] == revisions["update"]
        # below a partition the current revision is the one the controller wants: deleting
        # such a pod brings it back at the same revision, so it only blocks progress
        at_expected = at_update or (row["belowPartition"] and
                                    row["revision"] == revisions["current"])
        if at_update and revisions["rolloutInProgress"]:
            why = ("%s runs the update revision %s and is not Ready (%s). Under OrderedReady "
                   "the controller will not touch any other pod until it is. Fix the template, "
                   "or undo the rollout and then delete %s so it is recreated from the "
                   "restored template." % (row["pod"], revisions["update"], row["status"],
                                           row["pod"]))
        elif not at_expected:
            why = ("%s runs revision %s, which is no longer the update revision, and is not "
                   "Ready (%s). The controller will not replace it by itself: delete it "
                   "(kubectl delete pod %s) so it is recreated from the current template."
                   % (row["pod"], row["revision"] or "?", row["status"], row["pod"]))
        else:
            why = ("%s is not Ready (%s); under OrderedReady the controller waits for it "
                   "before touching any higher ordinal." % (row["pod"], row["status"]))
        rollout = (at_update and revisions["rolloutInProgress"]) or not at_expected
        return {"pod": row["pod"], "ordinal": row["ordinal"], "status": row["status"],
                "revision": row["revision"], "atUpdateRevision": at_update,
                "kind": "rollout" if rollout else "progress", "message": why}
    return None


def is_healthy(view):
    """Every ordinal exists, is Ready, and runs the update revision (for `--check`)."""
    update = view["revisions"]["update"]
    return view["observed"] and all(
        row["exists"] and row["isReady"] and not row["terminating"] and row["revision"] == update
        for row in view["ordinals"])


# -- text -----------------------------------------------------------------------------------

def _revision_cell(row, revisions):
    state = row["revisionState"]
    if state in ("current", "updated"):
        return state
    if state == "other":
        return row["revision"].rsplit("-", 1)[-1]
    return "-"


def _pvc_cell(pvc, wide):
    if not pvc["exists"]:
        return "%s (missing)" % pvc["name"]
    parts = [pvc["status"], pvc["capacity"]] + ([pvc["storageClass"]] if wide else [])
    return "%s (%s)" % (pvc["name"], ", ".join(p for p in parts if p))


def ordinal_headers(view, wide):
    """The ordinal table's headers. The default fits 120 columns for `web` with one claim
    template; -o wide adds what is least needed (ordinal, node, storage class, IP, images)."""
    templates = [p["template"] for p in view["ordinals"][0]["pvcs"]] if view["ordinals"] else []
    headers = (["ORDINAL"] if wide else []) + ["POD", "STATUS", "REVISION", "RESTARTS", "AGE"]
    headers += ["NODE"] if wide else []
    headers += ["PVC" if len(templates) == 1 else "PVC %s" % t.upper() for t in templates]
    headers.append("DNS")
    return headers + (["IP", "CONTAINERS", "IMAGES"] if wide else [])


def ordinal_cells(row, revisions, wide):
    """One ordinal's cells, under ordinal_headers."""
    status = row["status"]
    if row["exists"] and status == "Running":
        status = "Running %s" % row["ready"]
    cells = ([row["ordinal"]] if wide else []) + [
        row["pod"], status, _revision_cell(row, revisions), row["restarts"], row["age"] or "-"]
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


def summary_line(view):
    """The replica counts in one line (also what `status -w` prints in a pipe when they change)."""
    r = view["replicas"]
    return ("%d desired | %d ready | %d available | %d updated | %d current"
            % (r["desired"], r["ready"], r["available"], r["updated"], r["atCurrentRevision"]))


def render_view(view, wide=False):
    from ..printers.table import table
    lines = []
    r, rev, strat = view["replicas"], view["revisions"], view["updateStrategy"]
    lines.append("StatefulSet %s/%s" % (view["namespace"], view["name"]))
    lines.append("Replicas:        %s" % summary_line(view))
    if rev["rolloutInProgress"]:
        lines.append("Revisions:       current %s, update %s (rollout in progress: %d of %d "
                     "updated)" % (rev["current"], rev["update"], r["updated"], r["desired"]))
    else:
        lines.append("Revision:        %s (up to date)" % (rev["update"] or "<none>"))
    strategy = strat["type"]
    if strat["type"] == "RollingUpdate":
        strategy += ", partition %d" % (strat["partition"] or 0)
        if strat["maxUnavailable"] is not None:
            strategy += ", maxUnavailable %s" % strat["maxUnavailable"]
    else:
        strategy += " (pods update only when deleted)"
    lines.append("Update strategy: %s" % strategy)
    lines.append("Pod management:  %s   minReadySeconds: %d   ordinals start: %d"
                 % (view["podManagementPolicy"], view["minReadySeconds"], view["ordinalsStart"]))
    svc = view["service"]
    if svc is None:
        lines.append("Service:         <none> (no serviceName: pods have no stable DNS names)")
    elif not svc["exists"]:
        lines.append("Service:         %s (MISSING: the headless Service does not exist, so the "
                     "DNS names below do not resolve)" % svc["name"])
    else:
        lines.append("Service:         %s%s" % (svc["name"], " (headless)" if svc["headless"]
                                                else " (NOT headless: clusterIP is set)"))
    pol = view["pvcRetentionPolicy"]
    lines.append("PVC retention:   whenDeleted=%s, whenScaled=%s"
                 % (pol["whenDeleted"], pol["whenScaled"]))
    if not view["observed"]:
        lines.append("Generation:      %d (observed %d: the controller has not caught up yet)"
                     % (view["generation"], view["observedGeneration"]))
    lines.append("")

    headers = ordinal_headers(view, wide)
    separator_at = None
    if strat["type"] == "RollingUpdate" and 0 < (strat["partition"] or 0) < r["desired"]:
        separator_at = view["ordinalsStart"] + strat["partition"]
    rows = []
    for row in view["ordinals"]:
        if row["ordinal"] == separator_at:
            rows.append("--- partition %d: ordinals above this line stay at the current "
                        "revision, ordinals below it update ---" % strat["partition"])
        rows.append(ordinal_cells(row, rev, wide))
    if rows:
        lines.append(table(headers, rows))
    else:
        lines.append("No ordinals: the StatefulSet is scaled to 0.")

    if view["stuck"]:
        lines.append("")
        heading = "ROLLOUT STUCK" if view["stuck"]["kind"] == "rollout" else "BLOCKED"
        lines.append("%s at %s: %s" % (heading, view["stuck"]["pod"], view["stuck"]["message"]))
    if view["leavingPods"]:
        lines.append("")
        lines.append("Pods leaving:")
        for p in view["leavingPods"]:
            lines.append("  %s (%s, %s)" % (p["pod"], p["status"], p["reason"]))
    if view["orphanedPVCs"]:
        lines.append("")
        lines.append("Orphaned PVCs (ordinals outside %d..%d, kept by the retention policy or "
                     "earlier scale-downs):" % (view["ordinalsStart"],
                                                view["ordinalsStart"] + r["desired"] - 1))
        orphans = table(["PVC", "ORDINAL", "STATUS", "CAPACITY", "STORAGECLASS", "AGE"],
                        [[p["name"], p["ordinal"], p["status"], p["capacity"], p["storageClass"],
                          p["age"]] for p in view["orphanedPVCs"]])
        lines.extend("  " + line for line in orphans.splitlines())
    if view["warnings"]:
        shown = view["warnings"] if wide else view["warnings"][:MAX_WARNINGS]
        lines.append("")
        lines.append("Recent warnings:")
        events = table(["LAST SEEN", "OBJECT", "REASON", "COUNT", "MESSAGE"],
                       [[w["age"] or "-", w["object"], w["reason"], w["count"], w["message"]]
                        for w in shown])
        lines.extend("  " + line for line in events.splitlines())
        if len(shown) < len(view["warnings"]):
            lines.append("  (%d older: -o wide shows them)" % (len(view["warnings"]) - len(shown)))
    for what in view["unreadable"]:
        lines.append("")
        lines.append("Not shown: %s" % what)
    return "\n".join(lines)


def list_row(sts, now=None):
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


def render_list(rows, all_namespaces=False, show_labels=False, no_headers=False):
    """The list view's table, or None when there are no rows."""
    from ..printers.formats import label_text, without_headers
    from ..printers.table import table
    if not rows:
        return None
    headers = (["NAMESPACE"] if all_namespaces else []) + [
        "NAME", "READY", "UPDATED", "REVISION", "PARTITION", "STRATEGY",
        "PVC POLICY (DELETED/SCALED)", "AGE"] + (["LABELS"] if show_labels else [])
    keys = (["namespace"] if all_namespaces else []) + [
        "name", "ready", "updated", "revision", "partition", "strategy", "pvcPolicy", "age"]
    text = table(headers, [[row[k] for k in keys] + ([label_text(row["labels"])]
                                                     if show_labels else []) for row in rows])
    return without_headers(text) if no_headers else text
