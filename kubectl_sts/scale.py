"""`scale` and `pvc`: which pods go, which claims are kept or deleted, and the risks, computed
by pure functions from the plain API objects."""

import datetime

from .labels import claim_ordinal, pod_ordinal, selector_matches
from .pods import is_ready
from .printers import age, canonical_quantity

def claims_of(sts, claims):
    """Claims that belong to the set by name: {(template, ordinal): claim}."""
    name = sts["metadata"]["name"]
    templates = [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates") or []]
    out = {}
    for claim in claims:
        for template in templates:
            ordinal = claim_ordinal(template, name, claim["metadata"]["name"])
            if ordinal is not None:
                out[(template, ordinal)] = claim
    return out


def _claim_entry(claim, template, ordinal, pvs, now):
    spec, status = claim.get("spec") or {}, claim.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage") or \
        ((spec.get("resources") or {}).get("requests") or {}).get("storage") or ""
    pv = pvs.get(spec.get("volumeName") or "") if pvs is not None else None
    return {"name": claim["metadata"]["name"], "uid": claim["metadata"].get("uid"),
            "resourceVersion": claim["metadata"].get("resourceVersion"),
            "template": template, "ordinal": ordinal,
            "phase": "Terminating" if claim["metadata"].get("deletionTimestamp")
            else status.get("phase", "Pending"),
            "capacity": canonical_quantity(capacity) if capacity else "",
            "storageClass": spec.get("storageClassName") or "",
            "age": age(claim["metadata"].get("creationTimestamp"), now),
            "createdAt": claim["metadata"].get("creationTimestamp"),
            "volume": spec.get("volumeName") or "",
            "reclaimPolicy": ((pv or {}).get("spec") or {}).get("persistentVolumeReclaimPolicy")
            if pvs is not None else "unknown"}


def plan_scale(sts, pods, claims, pvs, pdbs, replicas, now, min_replicas=None):
    """The plan of `scale NAME --replicas N`. `pvs` maps PV name -> PV (None when PVs could
    not be read); `pdbs` is a list of PodDisruptionBudgets of the namespace."""
    name, ns = sts["metadata"]["name"], sts["metadata"].get("namespace", "default")
    spec = sts["spec"]
    old = spec.get("replicas", 1)
    start = (spec.get("ordinals") or {}).get("start") or 0
    policy = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    when_scaled = policy.get("whenScaled", "Retain")
    by_ordinal = {}
    for pod in pods:
        ordinal = pod_ordinal(name, pod["metadata"]["name"])
        if ordinal is not None:
            by_ordinal[ordinal] = pod
    owned = claims_of(sts, claims)
    plan = {"apiVersion": "kubectl-sts/v1", "kind": "ScalePlan", "namespace": ns, "name": name,
            "from": old, "to": replicas,
            "direction": "down" if replicas < old else "up" if replicas > old else "none",
            "ordinalsStart": start,
            "retention": {"whenScaled": when_scaled,
                          "whenDeleted": policy.get("whenDeleted", "Retain")},
            "podManagementPolicy": spec.get("podManagementPolicy", "OrderedReady"),
            "resourceVersion": sts["metadata"].get("resourceVersion"),
            "podsLeaving": [], "podsComing": [], "claims": [], "risks": []}
    leaving = list(range(start + old - 1, start + replicas - 1, -1))
    coming = list(range(start + old, start + replicas))
    for ordinal in leaving:
        pod = by_ordinal.get(ordinal)
        plan["podsLeaving"].append({
            "ordinal": ordinal, "pod": "%s-%d" % (name, ordinal), "exists": pod is not None,
            "ready": bool(pod and is_ready(pod))})
    for ordinal in coming:
        plan["podsComing"].append({"ordinal": ordinal, "pod": "%s-%d" % (name, ordinal)})
    for (template, ordinal), claim in sorted(owned.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        if ordinal in leaving:
            entry = _claim_entry(claim, template, ordinal, pvs, now)
            entry["action"] = "delete" if when_scaled == "Delete" else "keep"
            entry["dataLoss"] = entry["action"] == "delete" and entry["reclaimPolicy"] != "Retain"
            plan["claims"].append(entry)
        elif ordinal in coming:
            entry = _claim_entry(claim, template, ordinal, pvs, now)
            entry["action"] = "reattach"
            entry["dataLoss"] = False
            plan["claims"].append(entry)
    templates = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []]
    for ordinal in coming:
        for template in templates:
            if (template, ordinal) not in owned:
                plan["claims"].append({"name": "%s-%s-%d" % (template, name, ordinal),
                                       "template": template, "ordinal": ordinal,
                                       "action": "create", "dataLoss": False})
    plan["risks"] = scale_risks(sts, by_ordinal, pdbs, replicas, min_replicas, plan)
    plan["refused"] = [r for r in plan["risks"] if r["refuses"]]
    return plan


def scale_risks(sts, by_ordinal, pdbs, replicas, min_replicas, plan):
    """Each risk is {kind, message, refuses}; a refusing risk needs --force."""
    name = sts["metadata"]["name"]
    spec, st = sts["spec"], sts.get("status") or {}
    start = plan["ordinalsStart"]
    old = plan["from"]
    risks = []
    if plan["direction"] == "down":
        unready = [o for o in range(start, start + replicas)
                   if o not in by_ordinal or not is_ready(by_ordinal[o])]
        if unready and plan["podManagementPolicy"] == "OrderedReady":
            risks.append({"kind": "unready", "refuses": False, "pods": [
                "%s-%d" % (name, o) for o in unready],
                "message": "%s not Ready: under OrderedReady the controller removes no pod "
                           "while a remaining ordinal is unhealthy, so the scale-down would "
                           "wait for it" % ", ".join("%s-%d" % (name, o) for o in unready)})
        if min_replicas is not None and replicas < min_replicas:
            risks.append({"kind": "min-replicas", "refuses": True,
                          "message": "%d replicas is below --min-replicas %d (quorum)"
                                     % (replicas, min_replicas)})
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        for pdb in pdbs:
            pspec = pdb.get("spec") or {}
            if pspec.get("selector") is None or not selector_matches(pspec["selector"], labels):
                continue
            pname = pdb["metadata"]["name"]
            allowed = (pdb.get("status") or {}).get("disruptionsAllowed")
            min_available = pspec.get("minAvailable")
            if isinstance(min_available, int) and replicas < min_available:
                risks.append({"kind": "pdb", "refuses": True, "pdb": pname,
                              "message": "PodDisruptionBudget %s requires minAvailable %d; "
                                         "%d replicas can never satisfy it"
                                         % (pname, min_available, replicas)})
            else:
                budget = ("minAvailable %s" % min_available if min_available is not None
                          else "maxUnavailable %s" % pspec.get("maxUnavailable"))
                risks.append({"kind": "pdb", "refuses": False, "pdb": pname,
                              "message": "PodDisruptionBudget %s selects these pods (%s, "
                                         "disruptions allowed now: %s); a scale-down does not "
                                         "go through it" % (pname, budget, allowed)})
        if replicas == 0:
            risks.append({"kind": "zero", "refuses": False,
                          "message": "scaling to 0 stops every pod of %s" % name})
    strategy = spec.get("updateStrategy") or {}
    partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
    if strategy.get("type", "RollingUpdate") == "RollingUpdate" and partition > 0 and \
            st.get("currentRevision") != st.get("updateRevision") and plan["direction"] != "none":
        if replicas <= partition:
            what = "no ordinal will run the update revision %s (partition %d >= %d replicas)" \
                   % (st.get("updateRevision"), partition, replicas)
        else:
            what = "ordinals %d..%d will run the update revision %s" % (
                start + partition, start + replicas - 1, st.get("updateRevision"))
        risks.append({"kind": "rollout", "refuses": False,
                      "message": "a rollout is in progress (partition %d, %d -> %d replicas): %s"
                                 % (partition, old, replicas, what)})
    return risks


def render_plan(plan):
    from .render import table
    lines = ["StatefulSet %s/%s: %d -> %d replicas" % (plan["namespace"], plan["name"],
                                                       plan["from"], plan["to"])]
    if plan["direction"] == "none":
        lines.append("Nothing to do: it already has %d replicas." % plan["to"])
        return "\n".join(lines)
    if plan["podsLeaving"]:
        lines.append("Pods removed, in this order: %s" % ", ".join(
            p["pod"] + ("" if p["exists"] else " (missing)") for p in plan["podsLeaving"]))
    if plan["podsComing"]:
        lines.append("Pods created, in this order: %s" % ", ".join(
            p["pod"] for p in plan["podsComing"]))
    lines.append("PVC retention policy: whenScaled=%s, whenDeleted=%s"
                 % (plan["retention"]["whenScaled"], plan["retention"]["whenDeleted"]))
    if plan["claims"]:
        rows = []
        for c in plan["claims"]:
            action = {"keep": "KEEP", "delete": "DELETE", "reattach": "REATTACH",
                      "create": "CREATE"}[c["action"]]
            note = ""
            if c["action"] in ("delete", "keep") and not c.get("volume"):
                note = "unbound: no PV, no data"
            elif c["action"] == "delete":
                note = "data gone for good (PV reclaimPolicy %s)" % c["reclaimPolicy"] \
                    if c["dataLoss"] else "PV kept (reclaimPolicy Retain)"
            elif c["action"] == "reattach":
                note = "existing data from %s ago is reused" % c["age"]
            elif c["action"] == "keep":
                note = "kept with its data (reclaimPolicy %s)" % c["reclaimPolicy"]
            rows.append([c["name"], action, c.get("capacity", ""), c.get("storageClass", ""),
                         c.get("age", ""), note])
        lines.append("")
        lines.append(table(["PVC", "ACTION", "CAPACITY", "STORAGECLASS", "AGE", "NOTE"], rows))
    if plan["risks"]:
        lines.append("")
        lines.append("Risks:")
        for r in plan["risks"]:
            lines.append("  %s %s" % ("REFUSED:" if r["refuses"] else "-", r["message"]))
    return "\n".join(lines)


# -- pvc housekeeping -----------------------------------------------------------------------------

def list_claims(sts, claims, pods, pvs, now):
    """Every claim of the set with its place: in-range, orphaned (outside the range), and
    whether it is bound and mounted."""
    start = (sts["spec"].get("ordinals") or {}).get("start") or 0
    replicas = sts["spec"].get("replicas", 1)
    mounted = {}
    for pod in pods:
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                mounted[claim] = pod["metadata"]["name"]
    out = []
    for (template, ordinal), claim in sorted(claims_of(sts, claims).items(),
                                             key=lambda kv: (kv[0][1], kv[0][0])):
        entry = _claim_entry(claim, template, ordinal, pvs, now)
        entry["inRange"] = start <= ordinal < start + replicas
        entry["orphaned"] = not entry["inRange"]
        entry["bound"] = entry["phase"] == "Bound"
        entry["mountedBy"] = mounted.get(entry["name"])
        out.append(entry)
    return out


def prunable(entries, ordinal=None):
    """Orphaned claims that may be deleted: outside the range, not mounted by any pod, not
    already terminating; optionally only those of one ordinal."""
    return [e for e in entries if e["orphaned"] and not e["mountedBy"] and
            e["phase"] != "Terminating" and (ordinal is None or e["ordinal"] == ordinal)]


def render_claims(entries):
    from .render import table
    rows = []
    for e in entries:
        place = "in range" if e["inRange"] else "ORPHANED"
        if not e["bound"]:
            place += ", unbound"
        rows.append([e["name"], e["ordinal"], place, e["phase"], e["capacity"],
                     e["storageClass"], e["reclaimPolicy"] or "-", e["mountedBy"] or "-",
                     e["age"]])
    return table(["PVC", "ORDINAL", "PLACE", "STATUS", "CAPACITY", "STORAGECLASS",
                  "RECLAIM", "MOUNTED BY", "AGE"], rows)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)
