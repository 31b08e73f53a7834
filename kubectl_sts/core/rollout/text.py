"""What a rollout prints: the ordinal table, the plan, a failed step's diagnosis and the
advice after an interruption. Pure: data in, text out."""

from typing import Any, Dict, List, Optional

from ...k8s.statefulset import pods_by_ordinal
from ..pods import pod_revision, restarts
from .state import interrupted_target, rollout_state

Obj = Dict[str, Any]


def render_ordinals(sts: Obj, pods: List[Obj], partition: Optional[int] = None) -> str:
    """The ordinal table a step prints: which ordinals run which revision."""
    from ...printers.table import table
    from ...k8s.humanreadable import pod_status_reason
    state = rollout_state(sts)
    partition = state["effectivePartition"] if partition is None else partition
    by_ordinal = pods_by_ordinal(state["name"], pods)
    rows: List[Any] = []   # a row, or a "--- partition N ---" line
    for ordinal in range(state["start"], state["start"] + state["replicas"]):
        if partition is not None and state["strategy"] == "RollingUpdate" and \
                ordinal == state["start"] + partition and 0 < partition:
            rows.append("--- partition %d ---" % partition)
        pod = by_ordinal.get(ordinal)
        if pod is None:
            rows.append([ordinal, "%s-%d" % (state["name"], ordinal), "Missing", "-", "-"])
            continue
        rev = pod_revision(pod)
        label = "updated" if rev == state["updateRevision"] and \
            state["updateRevision"] != state["currentRevision"] else \
            "current" if rev in (state["currentRevision"], state["updateRevision"]) else \
            rev.rsplit("-", 1)[-1]
        rows.append([ordinal, pod["metadata"]["name"], pod_status_reason(pod), label,
                     restarts(pod)])
    return table(["ORDINAL", "POD", "STATUS", "REVISION", "RESTARTS"], rows)


def render_plan(state: Obj, steps: List[Obj], diff: List[str]) -> str:
    lines = ["StatefulSet %s/%s" % (state["namespace"], state["name"])]
    pending = state["updateRevision"] != state["currentRevision"]
    lines.append("Current revision: %s" % (state["currentRevision"] or "<none>"))
    lines.append("Update revision:  %s%s" % (state["updateRevision"] or "<none>",
                                             "" if pending else " (nothing pending)"))
    if state["strategy"] != "RollingUpdate":
        lines.append("Strategy:         OnDelete: partitions do not apply; pods take the update "
                     "revision only when deleted. `--step` deletes them one at a time, highest "
                     "ordinal first.")
    else:
        lines.append("Partition:        %d of %d replicas (ordinals >= %d update)"
                     % (state["partition"], state["replicas"],
                        state["start"] + state["effectivePartition"]))
    target = interrupted_target(state)
    if target is not None:
        lines.append("Interrupted:      a rollout toward partition %d was under way; continue "
                     "with: kubectl sts rollout %s --to %d" % (target, state["name"], target))
    if pending and steps:
        lines.append("")
        lines.append("Steps (one ordinal each):")
        for s in steps:
            lines.append("  partition %d: updates %s" % (
                s["partition"], ", ".join("%s-%d" % (state["name"], o) for o in s["ordinals"])))
    if diff:
        lines.append("")
        lines.append("Template change:")
        lines.extend("  " + line for line in diff)
    return "\n".join(lines)


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
