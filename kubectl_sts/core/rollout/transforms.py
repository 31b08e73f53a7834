"""The writes of a rollout as pure transforms: fresh StatefulSet in, the object to PUT out.
Each re-checks the plan on the object it is given, so a write retried after a 409 (with the
re-read object) never applies a plan the set no longer allows."""

import copy
from typing import Any, Dict, Optional

from ...errors import Conflict, Refused
from .state import STATE_ANNOTATION, annotation, rollout_state

Obj = Dict[str, Any]


def _rolling(new: Obj) -> Obj:
    return new["spec"].setdefault("updateStrategy", {"type": "RollingUpdate"}) \
        .setdefault("rollingUpdate", {})


def with_partition(fresh: Obj, expected_old: int, value: int, target: Optional[int],
                   undo: bool = False) -> Obj:
    """Set the partition to `value`, recording the run's target for the update revision."""
    state = rollout_state(fresh)
    name = state["name"]
    if state["strategy"] != "RollingUpdate":
        raise Refused("error: %s is no longer a RollingUpdate StatefulSet" % name)
    if state["partition"] != expected_old and state["partition"] != value:
        raise Conflict("error: someone changed the partition of %s from %d to %d while this "
                       "rollout ran; run `kubectl sts rollout %s` to see the plan"
                       % (name, expected_old, state["partition"], name))
    new = copy.deepcopy(fresh)
    _rolling(new)["partition"] = value
    new["metadata"].setdefault("annotations", {})[STATE_ANNOTATION] = annotation(
        target, state["updateRevision"], undo, value)
    return new


def staged(fresh: Obj, template: Obj) -> Obj:
    """The new pod template, with the partition held at the replica count (no pod restarts).
    A target this tool recorded for an earlier change is dropped: it does not describe this
    one."""
    new = copy.deepcopy(fresh)
    new["spec"]["template"] = template
    rolling = _rolling(new)
    rolling["partition"] = max(rolling.get("partition") or 0, new["spec"].get("replicas", 1))
    (new["metadata"].get("annotations") or {}).pop(STATE_ANNOTATION, None)
    return new


def restored(fresh: Obj, template: Obj, expected_update: str, restored_revision: str) -> Obj:
    """Undo: the template of `restored_revision`, the partition held, the target 0."""
    state = rollout_state(fresh)
    if state["updateRevision"] != expected_update:
        raise Conflict("error: the template of %s changed while undoing; run `kubectl sts "
                       "rollout %s` to see the plan" % (state["name"], state["name"]))
    new = copy.deepcopy(fresh)
    new["spec"]["template"] = template
    _rolling(new)["partition"] = new["spec"].get("replicas", 1)
    new["metadata"].setdefault("annotations", {})[STATE_ANNOTATION] = annotation(
        0, restored_revision, True, _rolling(new)["partition"])
    return new


def applied(live: Obj, wanted: Obj) -> bool:
    """Whether the object read back already carries the write computed from it."""
    def annotations(obj: Obj) -> Obj:
        return obj["metadata"].get("annotations") or {}
    return live.get("spec") == wanted.get("spec") and annotations(live) == annotations(wanted)
