"""`repair`: why one ordinal is down (its pod, node, claims, volumes, events) and the remedy.
Pure: `diagnose` looks at plain API objects; `now` is the caller's (epoch seconds)."""

from typing import Any, Dict, List, Optional

from ..k8s.conditions import find_condition
from ..k8s.humanreadable import parse_timestamp
from ..k8s.taints import OUT_OF_SERVICE
from .pods import is_ready

Obj = Dict[str, Any]


def down_for(node: Optional[Obj], now: float) -> Optional[float]:
    """Seconds the node has not been Ready (None: it is Ready)."""
    cond = find_condition(node, "Ready")
    if cond is not None and cond.get("status") == "True":
        return None
    since = parse_timestamp((cond or {}).get("lastTransitionTime"))
    return max(0.0, now - since.timestamp()) if since is not None else 0.0


def out_of_service(node: Optional[Obj]) -> bool:
    return any(t.get("key") == OUT_OF_SERVICE for t in ((node or {}).get("spec") or {}).get(
        "taints") or [])


def pinned_nodes(pv: Optional[Obj], nodes: List[Obj]) -> List[str]:
    """The nodes a PV's node affinity allows (the names of those that exist)."""
    required = []
    for term in ((((pv or {}).get("spec") or {}).get("nodeAffinity") or {}).get("required")
                 or {}).get("nodeSelectorTerms") or []:
        required += [(e.get("key"), e.get("values") or [])
                     for e in term.get("matchExpressions") or []]
    return [n["metadata"]["name"] for n in nodes
            if all((n["metadata"].get("labels") or {}).get(k) in v for k, v in required)]


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return "%dm%02ds" % (seconds // 60, seconds % 60) if seconds >= 60 else "%ds" % seconds


def diagnose(sts: Obj, ordinal: int, pod: Optional[Obj], claims: List[Obj],
             pvs: Dict[str, Obj], nodes: List[Obj], events: List[Obj], now: float,
             min_down: float, trap: Optional[Obj] = None) -> Obj:
    """{problem, evidence (lines), remedy (kind or None), text}. Problems: healthy,
    node-down, node-down-recent, volume-affinity, trap, unknown."""
    name = "%s-%d" % (sts["metadata"]["name"], ordinal)
    by_node = {n["metadata"]["name"]: n for n in nodes}
    evidence = []
    if pod is not None:
        meta = pod["metadata"]
        state = "Terminating" if meta.get("deletionTimestamp") else \
            (pod.get("status") or {}).get("phase", "?")
        # who deleted it (the taint eviction controller, a preemption, an eviction...)
        target = find_condition(pod, "DisruptionTarget")
        if target is not None and target.get("status") == "True" and target.get("reason"):
            state += " (%s)" % target["reason"]
        evidence.append("pod %s: %s, %s, node %s" % (
            name, state, "Ready" if is_ready(pod) else "not Ready",
            (pod.get("spec") or {}).get("nodeName") or "(none)"))
    else:
        evidence.append("pod %s does not exist" % name)
    node_name = ((pod or {}).get("spec") or {}).get("nodeName")
    node = by_node.get(node_name or "")
    if node_name:
        down = down_for(node, now)
        if node is None:
            evidence.append("node %s: gone" % node_name)
        else:
            cond = find_condition(node, "Ready") or {}
            evidence.append("node %s: Ready=%s%s%s" % (
                node_name, cond.get("status", "Unknown"),
                " for %s (%s)" % (_fmt(down), cond.get("reason", "")) if down is not None
                else "", ", out-of-service taint" if out_of_service(node) else ""))
    usable_of: Dict[str, Optional[List[str]]] = {}
    for claim in claims:
        volume = (claim.get("spec") or {}).get("volumeName") or ""
        pv = pvs.get(volume)
        allowed = pinned_nodes(pv, nodes) if pv is not None else []
        usable = [n for n in allowed if down_for(by_node[n], now) is None and
                  not out_of_service(by_node[n])]
        evidence.append("PVC %s: %s, PV %s%s%s" % (
            claim["metadata"]["name"], (claim.get("status") or {}).get("phase", "?"),
            volume or "(none)", " (reclaimPolicy %s)" % ((pv or {}).get("spec") or {}).get(
                "persistentVolumeReclaimPolicy") if pv else "",
            "; node affinity allows %s, usable: %s" % (", ".join(allowed) or "no node",
                                                       ", ".join(usable) or "none")
            if pv is not None and (pv.get("spec") or {}).get("nodeAffinity") else ""))
        usable_of[claim["metadata"]["name"]] = usable if pv is not None else None
    for ev in events[-3:]:
        evidence.append("event %s: %s" % (ev.get("reason"), (ev.get("message") or "")[:160]))

    def result(problem: str, remedy: Optional[str], text: str) -> Obj:
        return {"pod": name, "ordinal": ordinal, "problem": problem, "evidence": evidence,
                "remedy": remedy, "text": text}

    if pod is not None and is_ready(pod) and not pod["metadata"].get("deletionTimestamp") and \
            (node is None or down_for(node, now) is None):
        return result("healthy", None, "%s is Ready: nothing to repair" % name)
    if node_name and (node is None or down_for(node, now) is not None):
        down = down_for(node, now) if node is not None else None
        if node is not None and out_of_service(node):
            return result("node-down", None, "node %s already has the out-of-service taint: "
                          "its pods are being force-deleted" % node_name)
        if node is None or (down is not None and down >= min_down):
            return result("node-down", "taint", "node %s %s: taint it %s=nodeshutdown:"
                          "NoExecute (make sure it is really off first), so its pods are "
                          "force-deleted and %s is made again elsewhere; or --force-delete %s"
                          % (node_name, "is gone" if node is None else "has not been Ready "
                             "for %s" % _fmt(down or 0), OUT_OF_SERVICE, name, name))
        return result("node-down-recent", None, "node %s has not been Ready for %s only "
                      "(--min-down %s): it may come back; wait, or lower --min-down" % (
                          node_name, _fmt(down or 0), _fmt(min_down)))
    stuck_claims = [c for c in claims if usable_of.get(c["metadata"]["name"]) == []]
    unschedulable = pod is not None and not node_name and any(
        "volume node affinity conflict" in (c.get("message") or "")
        for c in (pod.get("status") or {}).get("conditions") or [])
    if stuck_claims and (unschedulable or pod is None):
        return result("volume-affinity", "fresh-volume", "%s cannot be scheduled: %s pinned to "
                      "nodes that are down or gone. --fresh-volume deletes %s (the PV is kept, "
                      "Retain, unless --no-keep-volume) and the pod, so %s starts on an empty "
                      "volume: THE DATA OF %s IS NOT ON THE NEW VOLUME" % (
                          name, ", ".join("the volume of %s is" % c["metadata"]["name"]
                                          for c in stuck_claims),
                          ", ".join(c["metadata"]["name"] for c in stuck_claims), name,
                          ", ".join(c["metadata"]["name"] for c in stuck_claims)))
    if trap is not None and trap.get("pod") == name:
        return result("trap", "delete-pod", "%s; deleting %s brings it back at the revision the "
                      "controller wants" % (trap["message"], name))
    return result("unknown", None, "%s is not Ready, but not for a reason repair can fix; see "
                  "the evidence above and kubectl sts status %s" % (name, sts["metadata"]["name"]))
