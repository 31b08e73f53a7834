"""`scale`: which pods go, which claims are kept or deleted, and the risks, computed by pure
functions from the plain API objects. (The claims' view and `pvc`'s decisions: pvc.py; the
plan's text: printers/scale.py.)"""

import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.humanreadable import pod_status_reason
from .labels import selector_matches
from .pods import is_ready
from .pvc import claim_view, claims_of

Obj = Dict[str, Any]
PLAN_LIMIT = 500        # entries per list of a plan document; the rest are counted
NAMED = 20              # pods named in one message or progress line; the rest are counted


def plan_scale(sts: Obj, pods: List[Obj], claims: List[Obj], pvs: Optional[Dict[str, Obj]],
               pdbs: List[Obj], replicas: int, now: Optional[datetime.datetime],
               min_replicas: Optional[int] = None) -> Obj:
    """The plan of `scale NAME --replicas N`. `pvs` maps PV name -> PV (None when PVs could
    not be read); `pdbs` is a list of PodDisruptionBudgets of the namespace."""
    name, ns = sts["metadata"]["name"], sts["metadata"].get("namespace", "default")
    old = facts.replicas(sts)
    start = facts.start(sts)
    policy = facts.retention(sts)
    when_scaled = policy["whenScaled"]
    by_ordinal = facts.pods_by_ordinal(name, pods)
    owned = claims_of(sts, claims)
    plan: Obj = {"apiVersion": "kubectl-sts/v1", "kind": "ScalePlan", "namespace": ns, "name": name,
            "from": old, "to": replicas,
            "direction": "down" if replicas < old else "up" if replicas > old else "none",
            "ordinalsStart": start,
            "retention": {"whenScaled": when_scaled, "whenDeleted": policy["whenDeleted"]},
            "podManagementPolicy": facts.pod_management(sts),
            "resourceVersion": sts["metadata"].get("resourceVersion"),
            "podsLeaving": [], "podsComing": [], "claims": [], "risks": []}
    # ranges, never lists: a set scaled to a million (or 2^31-1) replicas costs what is
    # listed (PLAN_LIMIT entries per list, the rest counted in "omitted"), not its size
    leaving = range(start + old - 1, start + replicas - 1, -1)
    coming = range(start + old, start + replicas)
    plan["omitted"] = {"podsLeaving": max(0, len(leaving) - PLAN_LIMIT),
                       "podsComing": max(0, len(coming) - PLAN_LIMIT), "claims": 0}
    for ordinal in leaving[:PLAN_LIMIT]:
        pod = by_ordinal.get(ordinal)
        plan["podsLeaving"].append({
            "ordinal": ordinal, "pod": facts.pod_name(name, ordinal), "exists": pod is not None,
            "ready": bool(pod and is_ready(pod))})
    for ordinal in coming[:PLAN_LIMIT]:
        plan["podsComing"].append({"ordinal": ordinal, "pod": facts.pod_name(name, ordinal)})
    for (template, ordinal), claim in sorted(owned.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        if ordinal in leaving:
            entry = claim_view(claim, template, ordinal, pvs, now)
            entry["action"] = "delete" if when_scaled == "Delete" else "keep"
            entry["dataLoss"] = entry["action"] == "delete" and entry["reclaimPolicy"] != "Retain"
            plan["claims"].append(entry)
        elif ordinal in coming:
            entry = claim_view(claim, template, ordinal, pvs, now)
            entry["action"] = "reattach"
            entry["dataLoss"] = False
            plan["claims"].append(entry)
    templates = facts.claim_templates(sts)
    to_create = len(coming) * len(templates) - sum(
        1 for (template, ordinal) in owned if ordinal in coming and template in templates)
    created = 0
    for ordinal in coming:
        if created >= PLAN_LIMIT:
            break
        for template in templates:
            if (template, ordinal) not in owned and created < PLAN_LIMIT:
                plan["claims"].append({"name": facts.claim_name(template, name, ordinal),
                                       "template": template, "ordinal": ordinal,
                                       "action": "create", "dataLoss": False})
                created += 1
    plan["omitted"]["claims"] = to_create - created
    plan["risks"] = scale_risks(sts, by_ordinal, pdbs, replicas, min_replicas, plan)
    plan["refused"] = [r for r in plan["risks"] if r["refuses"]]
    return plan


def scale_risks(sts: Obj, by_ordinal: Dict[int, Obj], pdbs: List[Obj], replicas: int,
                min_replicas: Optional[int], plan: Obj) -> List[Obj]:
    """Each risk is {kind, message, refuses}; a refusing risk needs --force."""
    name = sts["metadata"]["name"]
    spec, st = sts["spec"], sts.get("status") or {}
    start = plan["ordinalsStart"]
    old = plan["from"]
    risks: List[Obj] = []
    if plan["direction"] == "down":
        unready, count = _unready(by_ordinal, start, replicas, PLAN_LIMIT)
        if unready and plan["podManagementPolicy"] == "OrderedReady":
            risks.append({"kind": "unready", "refuses": False, "pods": [
                "%s-%d" % (name, o) for o in unready],
                "message": "%s not Ready: under OrderedReady the controller removes no pod "
                           "while a remaining ordinal is unhealthy, so the scale-down would "
                           "wait for it" % _names(name, unready, count)})
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
    partition = facts.partition(sts) or 0
    if partition > 0 and \
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




def _unready(by_ordinal: Dict[int, Obj], start: int, count: int,
             limit: int) -> Tuple[List[int], int]:
    """The first LIMIT ordinals of [start, start+count) without a Ready pod, and how many
    there are in all: the cost is the pods that exist plus LIMIT, not COUNT."""
    first: List[int] = []
    for ordinal in range(start, start + count):
        if len(first) >= limit:
            break
        pod = by_ordinal.get(ordinal)
        if pod is None or not is_ready(pod):
            first.append(ordinal)
    ready = sum(1 for o, p in by_ordinal.items()
                if o is not None and start <= o < start + count and is_ready(p))
    return first, count - ready


def _names(name: str, ordinals: List[int], count: int) -> str:
    """The first NAMED pods, and how many more."""
    names = ", ".join(facts.pod_name(name, o) for o in ordinals[:NAMED])
    return names + (" and %d more" % (count - NAMED) if count > NAMED else "")


def scale_progress(plan: Obj, pods: Iterable[Obj]) -> Obj:
    """Where a scale stands while the controller works (the judge of scale's wait):
    {"done", "leaving": ordinals of pods still there above the range, highest first,
    "unready": ordinals of the range without a Ready pod, "line": the progress text}.

    The line names only pods that exist (with their kubectl STATUS) and those the controller
    creates next: under Parallel every missing ordinal at once; under OrderedReady only the
    lowest missing one, which it creates once every pod below it is Running and Ready
    (stateful_set_control.go updateStatefulSet: with monotonic it stops at the first pod that
    is not)."""
    name, start, to = plan["name"], plan["ordinalsStart"], plan["to"]
    current = facts.pods_by_ordinal(name, list(pods))
    leaving = sorted((o for o in current if not start <= o < start + to), reverse=True)
    unready, waiting = _unready(current, start, to, PLAN_LIMIT)
    parts = ["%s leaving" % facts.pod_name(name, o) for o in leaving[:NAMED]]
    ordered = plan["podManagementPolicy"] == "OrderedReady"
    named_next = False
    for ordinal in unready:
        if len(parts) >= NAMED:
            break
        pod = current.get(ordinal)
        if pod is not None:
            parts.append("%s not Ready (%s)" % (facts.pod_name(name, ordinal),
                                                pod_status_reason(pod)))
        elif not (ordered and named_next):      # under OrderedReady the rest come after it
            first = unready[0]                  # the lowest unready ordinal, below this one?
            parts.append("%s next, once %s is Ready" % (
                facts.pod_name(name, ordinal), facts.pod_name(name, first))
                if ordered and first < ordinal else
                "%s not created yet" % facts.pod_name(name, ordinal))
            named_next = True
    more = len(leaving) + waiting - len(parts)
    if more > 0 and len(parts) >= NAMED:
        parts.append("%d more pods" % more)
    return {"done": not leaving and not waiting, "leaving": leaving, "unready": unready,
            "line": "waiting: %s" % "; ".join(parts)}
