"""Which partitions a rollout writes, which ordinals each step updates, and what to say next.

The partition P of a RollingUpdate set means ordinals >= start+P run the update revision and
ordinals below stay at the current revision (pkg/controller/statefulset/
stateful_set_control.go, updateStatefulSet). A step lowers P."""

from typing import Any, Dict, List, Optional

from ...k8s.statefulset import pods_by_ordinal
from ...k8s.statefulset import pod_revision
from .state import rollout_state

Obj = Dict[str, Any]


def next_partition(partition: int, replicas: int, step: int = 1) -> int:
    """The partition after one step of `step` ordinals (never below 0)."""
    if step < 1:
        raise ValueError("a step must update at least one ordinal")
    return max(0, min(partition, replicas) - step)


def step_target(state: Obj, step: int, to: Optional[int], all_: bool) -> int:
    """The partition `--step N`, `--to K` or `--all` drives toward; ValueError (the user's
    words) when it is outside 0..replicas or would move the partition up."""
    replicas, now = state["replicas"], state["effectivePartition"]
    target = 0 if all_ else to if to is not None else next_partition(now, replicas, step)
    if target < 0 or target > replicas:
        raise ValueError("--to %d is outside 0..%d (the replica count)" % (target, replicas))
    if target > now:
        raise ValueError("the partition is already %d; --to %d would move it up (use --hold "
                         "to stop a rollout, --undo to revert it)" % (now, target))
    return target


def plan_partitions(partition: int, replicas: int, target: int, step: int = 1) -> List[int]:
    """Every partition value written on the way from `partition` down to `target`."""
    if target < 0 or target > replicas:
        raise ValueError("the target partition must be between 0 and the replica count (%d)"
                         % replicas)
    values = []
    current = min(partition, replicas)
    while current > target:
        current = max(target, current - step)
        values.append(current)
    return values


def ordinals_between(start: int, new_partition: int, old_partition: int,
                     replicas: int) -> List[int]:
    """Ordinals a partition move from old to new covers, highest first (controller order)."""
    old = min(old_partition, replicas)
    return list(range(start + old - 1, start + new_partition - 1, -1))


def describe_plan(state: Obj, step: int = 1, target: int = 0) -> List[Obj]:
    """The plan `rollout NAME` prints: one entry per step with the ordinals it updates."""
    if state["strategy"] != "RollingUpdate":
        return []
    steps = []
    old = state["effectivePartition"]
    for value in plan_partitions(state["partition"], state["replicas"], target, step):
        steps.append({"partition": value,
                      "ordinals": ordinals_between(state["start"], value, old, state["replicas"])})
        old = value
    return steps


def step_line(state: Obj, pods: List[Obj], old: int, new: int) -> str:
    """What a step from partition `old` to `new` does, naming only the pods it changes: an
    ordinal whose pod already runs the update revision (an undo's lower ordinals) is not
    "updating"."""
    name = state["name"]
    by_ordinal = pods_by_ordinal(name, pods)
    covered = ordinals_between(state["start"], new, old, state["replicas"])
    changing = [o for o in covered if by_ordinal.get(o) is None or
                pod_revision(by_ordinal[o]) != state["updateRevision"]]
    head = "partition %d -> %d: " % (min(old, state["replicas"]), new)
    if changing:
        return head + "updating " + ", ".join("%s-%d" % (name, o) for o in changing)
    if covered:
        return head + "no pod changes (%s already at revision %s)" % (
            ", ".join("%s-%d" % (name, o) for o in covered), state["updateRevision"])
    return head + "no pod changes"


def ondelete_next(sts: Obj, pods: List[Obj]) -> Optional[Obj]:
    """Under OnDelete: the highest ordinal whose pod is not at the update revision (the one a
    `--step` deletes next), or None when every pod is updated."""
    state = rollout_state(sts)
    by_ordinal = pods_by_ordinal(state["name"], pods)
    for ordinal in range(state["start"] + state["replicas"] - 1, state["start"] - 1, -1):
        pod = by_ordinal.get(ordinal)
        if pod is not None and pod_revision(pod) != state["updateRevision"] and \
                not pod["metadata"].get("deletionTimestamp"):
            return pod
    return None


def next_command(state: Obj, finished: bool = False, undone: bool = False) -> str:
    """The line after a plan or a run: what is done, or what to type next. `finished`: this
    run's last step passed its health gate; `undone`: the run was an undo (it never says
    complete: the rollout it undid is not)."""
    name = state["name"]
    if undone and finished and state["effectivePartition"] == 0:
        return "rolled back %s: all %d ordinals run revision %s" % (
            name, state["replicas"], state["updateRevision"])
    if state["strategy"] != "RollingUpdate":
        if finished:
            return "rollout of %s complete: every pod runs revision %s" % (
                name, state["updateRevision"])
        return "next: kubectl sts rollout %s --step" % name
    if state["effectivePartition"] == 0 and finished:
        # every ordinal was updated and passed the gate; the controller may not yet have
        # moved currentRevision, which does not change the answer
        return "rollout of %s complete: all %d ordinals run revision %s" % (
            name, state["replicas"], state["updateRevision"])
    if state["updateRevision"] == state["currentRevision"] and \
            state["effectivePartition"] == 0:
        return "Nothing pending: stage a change with kubectl sts rollout %s --image " \
               "CONTAINER=IMAGE" % name
    if state["effectivePartition"] == 0:
        return "All ordinals are at partition 0; watch with: kubectl sts rollout %s " \
               "--status" % name
    if finished:
        return "partition %d reached; next: kubectl sts rollout %s --step   (or --all, " \
               "--undo)" % (state["effectivePartition"], name)
    return "next: kubectl sts rollout %s --step   (or --all, --undo)" % name
