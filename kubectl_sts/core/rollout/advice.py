"""What a rollout says when it cannot go on: a failed step's diagnosis and what to do next,
and the advice after an interruption. Pure: data in, text out. (The ordinal table and the
plan: printers/rollout.py.)"""

from typing import Any, Dict, List, Optional

from .state import interrupted_target

Obj = Dict[str, Any]


def failure_text(state: Obj, failure: Obj, events: List[Obj], undoing: bool = False) -> str:
    """The diagnosis of a step that failed its health gate, and what to do next."""
    name = state["name"]
    lines = ["error: step failed: %s (ordinal %d) %s" % (failure["pod"], failure["ordinal"],
                                                        failure["reason"])]
    if failure.get("container"):
        lines[0] += " in container %s" % failure["container"]
    if failure.get("message"):
        lines.append("  %s" % failure["message"])
    if events:
        lines.append("  last events of %s:" % failure["pod"])
        lines.extend("    %s %s: %s" % (e.get("type"), e.get("reason"), e.get("message"))
                     for e in events[-5:])
    if state["strategy"] == "RollingUpdate":
        lines.append("The partition stays at %d; nothing below it was touched."
                     % state["effectivePartition"])
    else:
        lines.append("No other pod was deleted.")
    if undoing:
        lines.append("--on-failure=undo: undoing the rollout")
    elif failure.get("stuck") and state["updateRevision"] == state["currentRevision"]:
        lines.append("next: kubectl sts rollout %s --undo --yes   (deletes %s so the controller "
                     "recreates it from the current template)" % (name, failure["pod"]))
    else:
        lines.append("next: fix the template and stage it again, or undo: kubectl sts rollout "
                     "%s --undo" % name)
    return "\n".join(lines)


def interruption_advice(state: Obj, gating: Optional[int], dry_run: str) -> List[str]:
    """After Ctrl-C or SIGTERM: the lines that say where the set stands and how to go on.
    `state` is read again after the interrupt; `gating` is the partition whose health gate
    this run was waiting for (None between steps)."""
    name = state["name"]
    lines = ["interrupted: %s is at partition %s (update revision %s)"
             % (name, state["partition"], state["updateRevision"])]
    target = interrupted_target(state)
    if state["strategy"] != "RollingUpdate":
        lines.append("continue with: kubectl sts rollout %s --step" % name)
    elif target is not None:
        lines.append("continue with: kubectl sts rollout %s --to %d" % (name, target))
    elif gating is not None and state["effectivePartition"] == gating and dry_run == "none":
        lines.append("the step to partition %d is written; the controller updates its "
                     "ordinals on its own" % gating)
        lines.append("continue with: kubectl sts rollout %s --to %d   (waits for the step's "
                     "health gate)" % (name, gating))
    else:
        lines.append("see the plan with: kubectl sts rollout %s" % name)
    return lines
