"""The text of `resize`: the plan (core.resize.plan), what became of each claim
(core.resize.expansion), and what the user's manifest needs after the template changed."""

from typing import Any, Dict, List, Optional

from ..core.resize import DONE, RESTART, UNMOUNTED
from .table import table

Obj = Dict[str, Any]


def render_plan(plan: Obj, namespace: str, backup: str) -> List[str]:
    """The plan's lines: the claims table, the template change, warnings, refusals."""
    rows = [[r["name"], r["ordinal"], r["request"] or "-", r["capacity"] or "-",
             r["storageClass"] or "-", r["size"], r["action"]] for r in plan["claims"]]
    lines = ["Resize plan for statefulset %s/%s:" % (namespace, plan["statefulSet"]["name"]),
             table(["PVC", "ORDINAL", "REQUEST", "CAPACITY", "CLASS", "NEW", "ACTION"], rows)]
    change = plan["templateChange"]
    if change:
        lines.append("Template %s: storage %s -> %s, by deleting the StatefulSet with "
                     "--cascade=orphan (its pods keep running) and creating it again; backup: "
                     "%s" % (change["template"], change["from"], change["to"], backup))
    lines += ["Warning: %s" % w for w in plan["warnings"]]
    lines += ["Refused: %s" % r for r in plan["refusals"]]
    return lines


def claim_line(row: Obj, state: Obj, before: Optional[str], set_name: str) -> str:
    """What became of one claim the plan grew: its capacity from -> to, or why its file
    system has not grown yet and what makes it grow."""
    name, size = row["name"], row["size"]
    if state["state"] == DONE:
        return "%s: %s -> %s" % (name, before or "?", size)
    if state["state"] == RESTART:
        pods = ", ".join(state["pods"]) or "%s-%d" % (set_name, row["ordinal"])
        return ("%s: the volume has %s, its file system not yet: the driver grows it only "
                "offline (%s); it grows when %s starts again: kubectl sts restart %s "
                "--ordinals %d" % (name, size, state["message"], pods, set_name, row["ordinal"]))
    if state["state"] == UNMOUNTED:
        return ("%s: the volume has %s, its file system not yet: no running pod mounts it; "
                "the kubelet grows it when a pod mounts it" % (name, size))
    return "%s: %s (%s)" % (name, state["step"] or state["state"], state["message"])


def final_line(set_name: str, size: str, states: List[Obj]) -> str:
    """`resize of NAME complete` only when every file system has grown."""
    waiting = [s for s in states if s["state"] != DONE]
    if not waiting:
        return "resize of %s complete" % set_name
    restart = sum(1 for s in waiting if s["state"] == RESTART)
    what = []
    if restart:
        what.append("%d need%s a pod restart" % (restart, "s" if restart == 1 else ""))
    if len(waiting) > restart:
        what.append("%d grow%s when a pod mounts %s" % (
            len(waiting) - restart, "s" if len(waiting) - restart == 1 else "",
            "it" if len(waiting) - restart == 1 else "them"))
    return ("resize of %s: the volumes and the template have %s; %d file system%s not yet "
            "(%s, above)" % (set_name, size, len(waiting), "" if len(waiting) == 1 else "s",
                             "; ".join(what)))


def manifest_lines(change: Obj, applied_from: Optional[str]) -> List[str]:
    """After the template changed: kubectl's annotation (`applied_from`: the size it said
    before resize updated it; None: the set had none, or it was left as it was) and the one
    change the user's manifest needs. The API server refuses any other change of
    volumeClaimTemplates (apps validation ValidateStatefulSetUpdate)."""
    template, old, new = change["template"], change["from"], change["to"]
    lines = ["template %s: %s -> %s" % (template, old, new)]
    if applied_from is not None:
        lines.append("kubectl.kubernetes.io/last-applied-configuration: volumeClaimTemplates "
                     "%s storage %s -> %s (only that field)" % (template, applied_from, new))
    lines.append("in your manifest, set volumeClaimTemplates %s spec.resources.requests."
                 "storage to %s: `kubectl apply -f` of a manifest that still says %s is "
                 "refused (updates to statefulset spec for fields other than ... are "
                 "forbidden)" % (template, new, old))
    return lines
