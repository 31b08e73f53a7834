"""The text of `scale`: its plan (core.scale.plan_scale) and what became of each claim."""

from typing import Any, Dict, List

from .table import Row, table

Obj = Dict[str, Any]
TABLE_ROWS = 200        # claims shown in the plan's table; the rest are counted
POD_NAMES = 20          # pods named on a line; the rest are counted


def _first(names: List[str], omitted: int) -> str:
    """The first POD_NAMES names, and how many more."""
    more = len(names) - POD_NAMES + omitted if len(names) > POD_NAMES else omitted
    return ", ".join(names[:POD_NAMES]) + (", ... and %d more" % more if more else "")


def render_plan(plan: Obj) -> str:
    """The plan of `scale` (core.scale.plan_scale) as text: the pods that go or come, what
    happens to each claim, and the risks."""
    lines = ["StatefulSet %s/%s: %d -> %d replicas" % (plan["namespace"], plan["name"],
                                                       plan["from"], plan["to"])]
    if plan["direction"] == "none":
        lines.append("Nothing to do: it already has %d replicas." % plan["to"])
        return "\n".join(lines)
    omitted = plan.get("omitted") or {}
    if plan["podsLeaving"]:
        lines.append("Pods removed, in this order: %s" % _first(
            [p["pod"] + ("" if p["exists"] else " (missing)") for p in plan["podsLeaving"]],
            omitted.get("podsLeaving", 0)))
    if plan["podsComing"]:
        lines.append("Pods created, in this order: %s" % _first(
            [p["pod"] for p in plan["podsComing"]], omitted.get("podsComing", 0)))
    lines.append("PVC retention policy: whenScaled=%s, whenDeleted=%s"
                 % (plan["retention"]["whenScaled"], plan["retention"]["whenDeleted"]))
    if plan["claims"]:
        rows: List[Row] = []
        for c in plan["claims"][:TABLE_ROWS]:
            action = {"keep": "KEEP", "delete": "DELETE", "reattach": "REATTACH",
                      "create": "CREATE"}[c["action"]]
            note = ""
            if c["action"] in ("delete", "keep") and not c.get("volume"):
                note = "unbound: no PV, no data"
            elif c["action"] == "delete":
                note = "data gone for good (PV reclaimPolicy %s)" % c["reclaimPolicy"] \
                    if c["dataLoss"] else "PV kept (reclaimPolicy Retain)"
            elif c["action"] == "reattach":
                note = "reused with the data it holds (claim created %s ago)" % c["age"]
            elif c["action"] == "keep":
                note = "kept with its data (reclaimPolicy %s)" % c["reclaimPolicy"]
            rows.append([c["name"], action, c.get("capacity", ""), c.get("storageClass", ""),
                         c.get("age", ""), note])
        lines.append("")
        lines.append(table(["PVC", "ACTION", "CAPACITY", "STORAGECLASS", "AGE", "NOTE"], rows))
        left = len(plan["claims"]) - len(rows) + omitted.get("claims", 0)
        if left:
            lines.append("... and %d more PVCs not shown" % left)
    if plan["risks"]:
        lines.append("")
        lines.append("Risks:")
        for r in plan["risks"]:
            lines.append("  %s %s" % ("REFUSED:" if r["refuses"] else "-", r["message"]))
    return "\n".join(lines)


def render_claims_report(plan: Obj, live_claims: Dict[str, Obj]) -> List[str]:
    """What became of every claim of the plan once the controller is done (`live_claims`:
    name -> claim as it is now). A retained claim names the plugin's safe way to remove it
    (`pvc NAME --prune`: only orphans no pod mounts, after a confirmation)."""
    lines = []
    for c in plan["claims"]:
        live = live_claims.get(c["name"])
        if c["action"] == "keep":
            if live is None:
                lines.append("  %s: GONE although the plan kept it (deleted by someone "
                             "else?)" % c["name"])
            else:
                lines.append("  %s: retained (%s); remove it with: kubectl sts pvc %s --prune "
                             "--ordinal %d -n %s" % (c["name"], c.get("capacity") or "?",
                                                     plan["name"], c["ordinal"],
                                                     plan["namespace"]))
        elif c["action"] == "delete":
            lines.append("  %s: %s" % (c["name"], "deleted" if live is None else
                                       "still terminating (deleted after its pod is gone)"))
        elif c["action"] == "reattach":
            lines.append("  %s: reattached (the claim created %s ago, with the data it holds)"
                         % (c["name"], c["age"]))
    return lines
