"""`restart`: restart a StatefulSet's pods one ordinal at a time through the Eviction API,
without writing the template. Pure functions over plain API objects: which ordinals in which
order, the revision each pod comes back at, the budgets that select them, and when one
ordinal's new incarnation has settled."""

from typing import Any, Dict, List, Optional, Union

from ..k8s import statefulset as facts
from .labels import selector_matches
from ..k8s.statefulset import pod_revision
from .pods import is_ready, pod_failure, restarts

Obj = Dict[str, Any]


class PlanError(Exception):
    """The arguments cannot make a plan (a usage error)."""


def parse_ordinals(text: Optional[str]) -> Optional[List[int]]:
    """`--ordinals 3,1` -> [3, 1] (None: not given)."""
    if text is None:
        return None
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise PlanError('invalid ordinal "%s" in --ordinals %s' % (part, text))
        if int(part) not in out:
            out.append(int(part))
    if not out:
        raise PlanError("--ordinals needs at least one ordinal")
    return out


def comes_back_at(sts: Obj, ordinal: int) -> str:
    """The revision the controller recreates this ordinal's pod at: the update revision from
    the partition up (and under OnDelete), the current revision below it."""
    status = sts.get("status") or {}
    update = status.get("updateRevision") or ""
    if facts.strategy_type(sts) == "OnDelete":
        return update
    partition = facts.effective_partition(sts) or 0
    if ordinal >= facts.start(sts) + partition:
        return update
    return status.get("currentRevision") or update


def budgets(pdbs: List[Obj], pod: Obj) -> List[Obj]:
    return [p for p in pdbs if (p.get("spec") or {}).get("selector") is not None and
            selector_matches(p["spec"]["selector"], pod["metadata"].get("labels"))]


def never_allows(pdb: Obj) -> bool:
    """A budget that allows no disruption even with every pod healthy (maxUnavailable: 0,
    minAvailable: all): evictions would wait forever."""
    status = pdb.get("status") or {}
    return status.get("disruptionsAllowed", 0) <= 0 and \
        status.get("currentHealthy", 0) >= status.get("expectedPods", 0) > 0 and \
        status.get("desiredHealthy", 0) >= status.get("expectedPods", 0)


def parse_order(text: str) -> Union[str, List[int]]:
    """`--order desc|asc`, or an ordinal list (core/rollout/order.py, pflag's words)."""
    from .rollout.order import OrderError, parse_order as parse_list
    if text in ("desc", "asc"):
        return text
    try:
        return parse_list(text)
    except OrderError as exc:
        raise PlanError("%s (or desc, asc)" % exc)


def leader_last(rows: List[Obj], leader: int) -> List[Obj]:
    """The rows left with the leader's moved to the end."""
    return [r for r in rows if r["ordinal"] != leader] + \
        [r for r in rows if r["ordinal"] == leader]


def plan(sts: Obj, pods: List[Obj], pdbs: List[Obj], ordinals: Optional[List[int]] = None,
         order: Union[str, List[int]] = "desc") -> Obj:
    name = sts["metadata"]["name"]
    in_range = list(facts.ordinals(sts))
    by_ordinal = facts.pods_by_ordinal(name, pods)
    if ordinals is None and isinstance(order, list):
        from .rollout.order import order_problem
        problem = order_problem(order, in_range, in_range, name, verb="restart")
        if problem:
            raise PlanError(problem)
        chosen = list(order)
    elif ordinals is None:
        chosen = sorted(in_range, reverse=order == "desc")
    else:
        outside = [o for o in ordinals if o not in in_range]
        if outside:
            raise PlanError("ordinal %s is outside the range of %s (%d..%d)" % (
                ", ".join(map(str, outside)), name, in_range[0] if in_range else 0,
                in_range[-1] if in_range else -1))
        chosen = list(ordinals)
    rows, refusals = [], []
    seen_budgets: Dict[str, Obj] = {}
    for ordinal in chosen:
        pod = by_ordinal.get(ordinal)
        pod_name = facts.pod_name(name, ordinal)
        if pod is None:
            refusals.append("pod %s does not exist" % pod_name)
            continue
        back = comes_back_at(sts, ordinal)
        rows.append({"pod": pod_name, "ordinal": ordinal, "uid": pod["metadata"].get("uid"),
                     "revision": pod_revision(pod), "comesBackAt": back,
                     "revisionChanges": bool(back) and back != pod_revision(pod),
                     "budgets": [b["metadata"]["name"] for b in budgets(pdbs, pod)]})
        for b in budgets(pdbs, pod):
            seen_budgets[b["metadata"]["name"]] = b
    budget_rows = []
    for bname, pdb in sorted(seen_budgets.items()):
        status = pdb.get("status") or {}
        budget_rows.append({"name": bname, "disruptionsAllowed": status.get(
            "disruptionsAllowed", 0), "currentHealthy": status.get("currentHealthy", 0),
            "desiredHealthy": status.get("desiredHealthy", 0),
            "neverAllows": never_allows(pdb)})
        if never_allows(pdb):
            refusals.append("PodDisruptionBudget %s allows no disruption even with every pod "
                            "healthy (%s; disruptionsAllowed %d): no eviction can pass it "
                            "(--force deletes the pods instead)" % (
                                bname, _budget_spec(pdb), status.get("disruptionsAllowed", 0)))
    return {"apiVersion": "kubectl-sts/v1", "kind": "RestartPlan", "name": name,
            "namespace": sts["metadata"].get("namespace"), "pods": rows,
            "budgets": budget_rows, "refusals": refusals}


def _budget_spec(pdb: Obj) -> str:
    spec = pdb.get("spec") or {}
    if "maxUnavailable" in spec:
        return "maxUnavailable: %s" % spec["maxUnavailable"]
    return "minAvailable: %s" % spec.get("minAvailable")


def settled(old_uid: Optional[str], pod: Optional[Obj], ready_since: Optional[float],
            now: float, settle: float, baseline: Optional[int]) -> Obj:
    """Where one restarted ordinal stands: state "done" (a new incarnation, Ready, for
    `settle` seconds, no restart since first seen), "failed" (with the failure), or
    "waiting" (with why, and when to look again)."""
    if pod is None:
        return {"state": "waiting", "why": "being recreated", "wake": None}
    if pod["metadata"].get("uid") == old_uid:
        return {"state": "waiting", "why": "terminating" if pod["metadata"].get(
            "deletionTimestamp") else "not evicted yet", "wake": None}
    failure = pod_failure(pod, baseline)
    if failure:
        return {"state": "failed", "failure": failure, "why": failure["reason"], "wake": None}
    if pod["metadata"].get("deletionTimestamp"):
        return {"state": "waiting", "why": "terminating", "wake": None}
    if not is_ready(pod) or ready_since is None:
        return {"state": "waiting", "why": "not Ready", "wake": None}
    if now - ready_since < settle:
        return {"state": "waiting", "why": "settling (%.0fs left)" % (settle - (now -
                                                                            ready_since)),
                "wake": ready_since + settle}
    return {"state": "done", "why": "", "wake": None, "restarts": restarts(pod)}
