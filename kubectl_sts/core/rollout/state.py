"""What a rollout decision reads from the StatefulSet, and the annotation this tool keeps on
it (`kubectl-sts.io/rollout`: the target it was driving toward, for the update revision it
was driving), so an interrupted run can be explained and continued."""

import json
from typing import Any, Dict, Optional

from ...k8s import statefulset as facts

Obj = Dict[str, Any]
STATE_ANNOTATION = "kubectl-sts.io/rollout"


def rollout_state(sts: Obj) -> Obj:
    """The facts a rollout plan depends on, from the StatefulSet alone."""
    st = sts.get("status") or {}
    return {
        "name": sts["metadata"]["name"],
        "namespace": sts["metadata"].get("namespace", "default"),
        "replicas": facts.replicas(sts),
        "start": facts.start(sts),
        "strategy": facts.strategy_type(sts),
        "partition": facts.partition(sts),
        "effectivePartition": facts.effective_partition(sts),
        "maxUnavailable": facts.max_unavailable(sts),
        "podManagementPolicy": facts.pod_management(sts),
        "minReadySeconds": facts.min_ready_seconds(sts),
        "currentRevision": st.get("currentRevision", ""),
        "updateRevision": st.get("updateRevision", ""),
        "observed": st.get("observedGeneration", 0) >= sts["metadata"].get("generation", 1),
        "resourceVersion": sts["metadata"].get("resourceVersion"),
        "saved": saved_target(sts),
    }


def saved_target(sts: Obj) -> Optional[Obj]:
    """The annotation as this tool last wrote it, or None (absent or not ours)."""
    raw = (sts["metadata"].get("annotations") or {}).get(STATE_ANNOTATION)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def annotation(target: Optional[int], update_revision: str, undo: bool = False,
               partition: Optional[int] = None) -> str:
    """The record: the target, the update revision it is for, whether an undo, and the
    partition written with it (core/drift.py: a partition the record does not match was
    written by someone else)."""
    data: Obj = {"target": target, "updateRevision": update_revision, "undo": undo}
    if partition is not None:
        data["partition"] = partition
    return json.dumps(data, sort_keys=True)


def interrupted_target(state: Obj) -> Optional[int]:
    """The partition an interrupted run of this tool was driving toward, when that run is
    still what the set shows: the annotation names the set's current update revision, a
    target, and the partition has not reached it. None otherwise (a finished rollout, or one
    superseded by a newer template: its target says nothing about the new change)."""
    saved = state["saved"] or {}
    target = saved.get("target")
    if state["strategy"] != "RollingUpdate" or not isinstance(target, int) or \
            isinstance(target, bool):
        return None
    if not state["updateRevision"] or saved.get("updateRevision") != state["updateRevision"]:
        return None
    return target if state["effectivePartition"] > target else None
