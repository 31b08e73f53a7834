"""The text of `snapshot`: the set about to be taken, the sets of a StatefulSet (`--list`, in
kubectl's table style), the snapshots a `--delete` removes."""

from typing import Any, Dict, List

from ..core.snapshots import SET_HEADERS, set_rows
from .table import table

Obj = Dict[str, Any]


def render_plan(plan: Obj) -> str:
    """`snapshot set NAME of statefulset web (revision R, ordinals 0,1,2): N snapshot(s)`,
    then one line per claim."""
    lines = ["snapshot set %s of statefulset %s (revision %s, ordinals %s): %s" % (
        plan["set"], plan["statefulSet"], plan["revision"] or "<none>",
        ",".join(str(o) for o in plan["ordinals"]),
        "one VolumeGroupSnapshot of %d claim(s), class %s" % (
            len(plan["snapshots"]), plan.get("groupClass") or "<none>") if plan["group"]
        else "%d VolumeSnapshot(s)" % len(plan["snapshots"]))]
    for e in plan["snapshots"]:
        lines.append("  %s  claim %s  driver %s  class %s" % (
            e["name"], e["claim"], e["driver"] or "<unknown>",
            e["class"] or ("(the group's)" if plan["group"] else "<none>")))
    return "\n".join(lines)


def render_sets(sets: List[Obj]) -> str:
    return table(SET_HEADERS, set_rows(sets))


def render_members(set_: str, members: List[Obj]) -> str:
    lines = ["snapshot set %s: %d snapshot(s)" % (set_, len(members))]
    lines += ["  %s  (claim %s)" % (m["name"], m["claim"] or "<unknown>") for m in members]
    return "\n".join(lines)
