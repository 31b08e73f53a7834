"""The text of `rollout`: the ordinal table a step prints (which ordinals run which revision)
and the plan. (A failed step's diagnosis and the advice after an interruption are decisions:
core/rollout/advice.py.)"""

from typing import Any, Dict, List, Optional

from ..core.pods import restarts
from ..core.status import PROBLEMS
from ..k8s.statefulset import pod_revision
from ..core.rollout.state import interrupted_target, rollout_state
from ..k8s.humanreadable import pod_status_reason
from ..k8s.statefulset import pods_by_ordinal
from .table import Row, table

Obj = Dict[str, Any]


def render_ordinals(sts: Obj, pods: List[Obj], partition: Optional[int] = None,
                    diagnosis: Optional[Obj] = None) -> str:
    """The ordinal table a step prints: which ordinals run which revision; with the one
    diagnosis (core.diagnosis), an ordinal that is failing, blocked, down or stuck says so."""
    verdicts = {row["ordinal"]: row["verdict"] for row in (diagnosis or {}).get("ordinals", [])}
    state = rollout_state(sts)
    partition = state["effectivePartition"] if partition is None else partition
    by_ordinal = pods_by_ordinal(state["name"], pods)
    rows: List[Row] = []   # a row, or a "--- partition N ---" line
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
        status = pod_status_reason(pod)
        if verdicts.get(ordinal) in PROBLEMS:
            status += " " + verdicts[ordinal].upper()
        rows.append([ordinal, pod["metadata"]["name"], status, label, restarts(pod)])
    return table(["ORDINAL", "POD", "STATUS", "REVISION", "RESTARTS"], rows)


def render_plan(state: Obj, steps: List[Obj], diff: List[str],
                max_unavailable: Optional[str] = None, batch: int = 1) -> str:
    """The plan of `rollout` without flags: the revisions, the partition, the steps a run
    takes (core.rollout.describe_plan) and the template change (a unified diff)."""
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
    if max_unavailable is not None:
        lines.append("maxUnavailable:   %s" % max_unavailable)
    target = interrupted_target(state)
    if target is not None:
        lines.append("Interrupted:      a rollout toward partition %d was under way; continue "
                     "with: kubectl sts rollout %s --to %d" % (target, state["name"], target))
    if pending and steps:
        lines.append("")
        lines.append("Steps (one ordinal each):" if batch == 1 else
                     "Steps (batches of %d ordinals: the controller replaces each batch "
                     "together; a step waits for the whole batch):" % batch)
        for s in steps:
            lines.append("  partition %d: updates %s" % (
                s["partition"], ", ".join("%s-%d" % (state["name"], o) for o in s["ordinals"])))
    if diff:
        lines.append("")
        lines.append("Template change:")
        lines.extend("  " + line for line in diff)
    return "\n".join(lines)
