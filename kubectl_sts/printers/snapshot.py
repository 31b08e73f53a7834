"""The text of `snapshot`: the set about to be taken, the sets of a StatefulSet (`--list`, in
kubectl's table style), the snapshots a `--delete` removes."""

from typing import Any, Dict, List, Optional

from ..core.snapshots import SET_HEADERS, set_rows
from .table import table

Obj = Dict[str, Any]


def render_plan(plan: Obj) -> str:
    """`snapshot set NAME of statefulset web (revision R, ordinals 0,1,2): N snapshot(s)`
    (R: the revision of the ordinals' pods, `web-abc (0,1), web-def (2)` when they differ),
    then one line per claim."""
    lines = ["snapshot set %s of statefulset %s (revision %s, ordinals %s): %s" % (
        plan["set"], plan["statefulSet"], plan["revision"],
        ",".join(str(o) for o in plan["ordinals"]),
        "one VolumeGroupSnapshot of %d claim(s), class %s" % (
            len(plan["snapshots"]), plan.get("groupClass") or "<none>") if plan["group"]
        else "%d VolumeSnapshot(s)" % len(plan["snapshots"]))]
    for e in plan["snapshots"]:
        driver = "driver %s" % e["driver"] if e["driver"] else \
            "not a CSI volume" if e.get("csi") is False else "driver <unknown>"
        if plan["group"]:   # its member's name is the snapshot controller's (snapshot-<hash>)
            lines.append("  claim %s  %s" % (e["claim"], driver))
            continue
        lines.append("  %s  claim %s  %s  class %s" % (
            e["name"], e["claim"], driver, e["class"] or "<none>"))
    return "\n".join(lines)


def render_sets(sets: List[Obj]) -> str:
    return table(SET_HEADERS, set_rows(sets))


def render_members(set_: str, members: List[Obj], groups: Optional[List[Obj]] = None) -> str:
    """What --delete removes: the set's snapshots; a group set's VolumeGroupSnapshot, whose
    deletion deletes its members."""
    if groups:
        lines = ["snapshot set %s: %s: deleting %s deletes its member snapshots" % (
            set_, "; ".join("one VolumeGroupSnapshot %s of %d snapshot(s)" % (
                g["name"], len(g["members"])) for g in groups),
            "it" if len(groups) == 1 else "each")]
    else:
        lines = ["snapshot set %s: %d snapshot(s)" % (set_, len(members))]
    lines += ["  %s  (claim %s%s)" % (m["name"], m["claim"] or "<unknown>",
                                      ", group %s" % m["group"]["name"] if m.get("group")
                                      else "") for m in members]
    return "\n".join(lines)
