"""`status`: what one StatefulSet looks like, computed from the plain API objects.

Everything here is pure: `build_view` turns dicts (as the API serves them) into the
documented view structure (README, "status -o json"), and the render functions turn a view
into text. No I/O, no clock: `now` is passed in."""

from .k8s import statefulset as facts
from .k8s.statefulset import claim_ordinal, pod_ordinal
from .pods import FAILING_REASONS, is_ready
from .k8s.printers import age
from .pvc import claim_view
from .k8s.printers import pod_summary as _pod_summary

VIEW_VERSION = "kubectl-sts/v1"
# pod STATUS strings (as kubectl prints them) that mean "failing", not "starting"
FAILING_STATUSES = FAILING_REASONS | {"Error", "OOMKilled", "ContainerStatusUnknown"}
MAX_WARNINGS = 5


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

    pod_names = {p["metadata"]["name"] for p in pods}
    warnings = []
    for ev in events:
        obj = ev.get("involvedObject") or {}
        if ev.get("type") != "Warning":
            continue
        if (obj.get("kind") == "StatefulSet" and obj.get("name") == name) or \
                (obj.get("kind") == "Pod" and (obj.get("name") in pod_names or
                                               pod_ordinal(name, obj.get("name", "")) is not None)):
            warnings.append({"object": "%s/%s" % (obj.get("kind", "").lower(), obj.get("name")),
                             "reason": ev.get("reason", ""), "message": ev.get("message", ""),
                             "count": ev.get("count") or 1,
                             "lastSeen": ev.get("lastTimestamp") or ev.get("eventTime") or
                             (ev.get("metadata") or {}).get("creationTimestamp")})
    warnings.sort(key=lambda w: w["lastSeen"] or "")
    warnings = warnings[-MAX_WARNINGS:]

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
        failing = row["status"] in FAILING_STATUSES or row["restarts"] > 0 or \
            row["phase"] == "Failed"
        if not failing:
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


def _pvc_cell(pvc):
    if not pvc["exists"]:
        return "%s (missing)" % pvc["name"]
    parts = [pvc["status"], pvc["capacity"], pvc["storageClass"]]
    return "%s (%s)" % (pvc["name"], ", ".join(p for p in parts if p))


def render_view(view, wide=False):
    from .render import table
    lines = []
    r, rev, strat = view["replicas"], view["revisions"], view["updateStrategy"]
    lines.append("StatefulSet %s/%s" % (view["namespace"], view["name"]))
    lines.append("Replicas:        %d desired | %d ready | %d available | %d updated | %d current"
                 % (r["desired"], r["ready"], r["available"], r["updated"],
                    r["atCurrentRevision"]))
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

    templates = [p["template"] for p in view["ordinals"][0]["pvcs"]] if view["ordinals"] else []
    headers = ["ORDINAL", "POD", "STATUS", "REVISION", "RESTARTS", "AGE", "NODE"]
    headers += ["PVC" if len(templates) == 1 else "PVC %s" % t.upper() for t in templates]
    headers.append("DNS")
    if wide:
        headers += ["IP", "CONTAINERS", "IMAGES"]
    separator_at = None
    if strat["type"] == "RollingUpdate" and 0 < (strat["partition"] or 0) < r["desired"]:
        separator_at = view["ordinalsStart"] + strat["partition"]
    rows = []
    for row in view["ordinals"]:
        if row["ordinal"] == separator_at:
            rows.append("--- partition %d: ordinals above this line stay at the current "
                        "revision, ordinals below it update ---" % strat["partition"])
        status = row["status"]
        if row["exists"] and status == "Running":
            status = "Running %s" % row["ready"]
        cells = [row["ordinal"], row["pod"], status, _revision_cell(row, rev), row["restarts"],
                 row["age"] or "-", row["node"] or "-"]
        cells += [_pvc_cell(p) for p in row["pvcs"]]
        cells.append(row["dns"] or "-")
        if wide:
            containers = row.get("containers") or []
            cells += [row.get("ip") or "-",
                      ",".join("%s:%s" % (c["name"], "ready" if c["ready"] else
                                          (c["reason"] or c["state"])) for c in containers) or "-",
                      ",".join(c["image"] or "" for c in containers) or "-"]
        rows.append(cells)
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
        lines.append("")
        lines.append("Recent warnings:")
        for w in view["warnings"]:
            count = " (x%d)" % w["count"] if w["count"] > 1 else ""
            lines.append("  %s %s%s: %s" % (w["object"], w["reason"], count, w["message"]))
    for what in view["unreadable"]:
        lines.append("")
        lines.append("Not shown: %s" % what)
    return "\n".join(lines)


def list_row(sts):
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
            "pvcPolicy": "%s/%s" % (pol["whenDeleted"], pol["whenScaled"])}


def render_list(rows, all_namespaces=False):
    from .render import table
    if not rows:
        return None
    headers = (["NAMESPACE"] if all_namespaces else []) + [
        "NAME", "READY", "UPDATED", "REVISION", "PARTITION", "STRATEGY",
        "PVC POLICY (DELETED/SCALED)"]
    keys = (["namespace"] if all_namespaces else []) + [
        "name", "ready", "updated", "revision", "partition", "strategy", "pvcPolicy"]
    return table(headers, [[row[k] for k in keys] for row in rows])
