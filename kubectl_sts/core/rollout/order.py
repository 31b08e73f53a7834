"""The order of ordinals a run updates when this tool deletes (or evicts) the pods itself:
OnDelete sets (`rollout --step/--all`) and `restart`. `--order 2,0,1` names the order;
`--leader-last` names a command whose output is the leader's pod name, updated last. Under
RollingUpdate the controller fixes the order (highest ordinal first, down to the partition:
kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go,
updateStatefulSet's loop over `replicas` from the highest ordinal), so both are refused there
and the plan names the OnDelete route. Pure functions; the shells are
commands/rollout/ondelete.py and commands/restart.py; the leader command runs in
client/leader.py."""

import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ...k8s.statefulset import pod_ordinal, pod_revision

Obj = Dict[str, Any]


class OrderError(Exception):
    """A bad --order list or a leader that cannot be used: the one line to print."""


def parse_order(text: str, flag: str = "--order") -> List[int]:
    """`2,0,1` -> [2, 0, 1], in pflag's words for a bad list (spf13/pflag int_slice.go
    intSliceValue.Set: strconv.Atoi of each comma-separated part); an ordinal named twice
    or a negative one is refused in the same shape."""
    out: List[int] = []
    for part in text.split(","):
        item = part.strip()
        if item.lstrip("+").isdigit() and len(item.lstrip("+").lstrip("0")) > 9:
            # an ordinal is an int32 (the API's); Atoi's words for a number out of its range
            raise OrderError('invalid argument "%s" for "%s" flag: strconv.Atoi: parsing '
                             '"%s": value out of range' % (text, flag, item))
        if not item.lstrip("+").isdigit():
            if item.startswith("-") and item[1:].isdigit():
                raise OrderError('invalid argument "%s" for "%s" flag: ordinal %s is negative'
                                 % (text, flag, item))
            raise OrderError('invalid argument "%s" for "%s" flag: strconv.Atoi: parsing '
                             '"%s": invalid syntax' % (text, flag, item))
        number = int(item)
        if number in out:
            raise OrderError('invalid argument "%s" for "%s" flag: ordinal %d is named twice'
                             % (text, flag, number))
        out.append(number)
    return out


def outdated(state: Obj, pods: Iterable[Obj]) -> List[int]:
    """The ordinals whose pod is not at the update revision and not being deleted (those an
    OnDelete run deletes), as plan.ondelete_next sees them."""
    out = []
    for pod in pods:
        ordinal = pod_ordinal(state["name"], pod["metadata"]["name"])
        if ordinal is not None and pod_revision(pod) != state["updateRevision"] and \
                not pod["metadata"].get("deletionTimestamp"):
            out.append(ordinal)
    return sorted(out)


def order_problem(order: Sequence[int], in_range: Sequence[int],
                  outdated: Iterable[int], name: str, verb: str = "update") -> Optional[str]:
    """Why `order` cannot drive this set (read): an ordinal outside the set's range, or an
    ordinal to update that it does not name. None: it can."""
    outside = [o for o in order if o not in in_range]
    if outside:
        return "--order %s: ordinal %s is outside the range of %s (%s)" % (
            ",".join(map(str, order)), ", ".join(map(str, outside)), name,
            "%d..%d" % (in_range[0], in_range[-1]) if in_range else "no ordinals")
    missing = sorted(set(outdated) - set(order), reverse=True)
    if missing:
        return "--order %s does not name %s, which %s to %s (name every ordinal to " \
               "%s, each once)" % (",".join(map(str, order)),
                                   ", ".join("%s-%d" % (name, o) for o in missing),
                                   "needs" if len(missing) == 1 else "need", verb, verb)
    return None


def arranged(order: Optional[Sequence[int]], in_range: Sequence[int],
             leader: Optional[int]) -> List[int]:
    """The ordinals in the order they are updated: `order`, or highest first (the
    controller's order), with the leader moved to the end."""
    base = list(order) if order is not None else sorted(in_range, reverse=True)
    if leader is not None and leader in base:
        base = [o for o in base if o != leader] + [leader]
    return base


def next_ordinal(order: Optional[Sequence[int]], in_range: Sequence[int],
                 leader: Optional[int], outdated: Iterable[int]) -> Optional[int]:
    """The ordinal updated next: the first of arranged() still outdated; None: done."""
    left = set(outdated)
    for ordinal in arranged(order, in_range, leader):
        if ordinal in left:
            return ordinal
    return None


def leader_ordinal(output: str, name: str, pod_names: Iterable[str]) -> int:
    """The leader's ordinal from its command's output: the last line that is not blank,
    a pod name (`web-1`, or `pod/web-1`) of the set's pods."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        raise OrderError("the leader command printed nothing (it must print the leader's "
                         "pod name, such as %s-0)" % name)
    said = lines[-1].split("/", 1)[1] if lines[-1].startswith("pod/") else lines[-1]
    names = sorted(pod_names)
    ordinal = pod_ordinal(name, said)
    if said not in names or ordinal is None:
        raise OrderError('the leader command printed "%s", which is not a pod of %s (%s)'
                         % (said[:80], name, ", ".join(names) or "no pods"))
    return ordinal


def leader_spec(local: Optional[str], in_pod: Optional[str], pod: Optional[str],
                container: Optional[str]) -> Optional[Obj]:
    """The leader command as recorded on the set (and run again by a resumed run); None
    without one."""
    if local:
        return {"local": local}
    if in_pod:
        return {"exec": in_pod, "pod": pod, "container": container}
    return None


def describe_leader(leader: Optional[Obj]) -> Optional[str]:
    if not leader:
        return None
    if leader.get("local"):
        return leader["local"]
    return "%s (in pod %s)" % (leader.get("exec"), leader.get("pod") or
                               "the lowest-ordinal Ready pod")


def leader_answer(code: int, output: str, name: str, pod_names: Iterable[str],
                  leader: Obj) -> int:
    """The leader's ordinal from its command's exit code and output; OrderError (the line
    to print) when it failed or named no pod of the set."""
    what = describe_leader(leader)
    if code != 0:
        last = [line.strip() for line in output.splitlines() if line.strip()][-1:]
        raise OrderError("the leader command `%s` failed (exit %d): %s"
                         % (what, code, last[0][:200] if last else "no output"))
    try:
        return leader_ordinal(output, name, pod_names)
    except OrderError as exc:
        raise OrderError("%s (leader command `%s`)" % (exc, what))


def reconcile_leader(was: Optional[int], now: int, outdated: Iterable[int],
                     name: str, done: str = "updated",
                     finished: Optional[Iterable[int]] = None) -> Tuple[int, Optional[str]]:
    """The leader asked again (at its turn, or when a run resumes): the leader to keep last
    and the line that says it moved (None: it did not)."""
    if was is None or was == now:
        return now, None
    if now in set(outdated):
        return now, "the leader moved: %s-%d (was %s-%d) goes last among those left" % (
            name, now, name, was)
    if finished is not None and now not in set(finished):
        return now, "the leader moved: %s-%d (was %s-%d) is not among those to %s" % (
            name, now, name, was, {"updated": "update", "restarted": "restart"}.get(done, done))
    return now, "the leader moved: %s-%d (was %s-%d) is already %s" % (name, now, name, was,
                                                                      done)


def rolling_refusal(name: str, flags: Sequence[str]) -> str:
    """--order/--leader-last on a RollingUpdate set: the controller's order, and the
    OnDelete route."""
    return ("error: %s uses RollingUpdate: the controller updates the highest ordinal first, "
            "down to the partition, so %s cannot apply; to choose the order, switch it to "
            "OnDelete (rollingUpdate removed: OnDelete allows none): kubectl patch sts %s -p "
            "'{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\",\"rollingUpdate\":null}}}' "
            "then: kubectl sts rollout %s --step --order ..."
            % (name, " and ".join(flags), name, name))


def plan_lines(state: Obj, pods_outdated: Sequence[int], in_range: Sequence[int],
               order: Optional[Sequence[int]], leader_cmd: Optional[str]) -> List[str]:
    """What the plan says of the order."""
    name = state["name"]
    if state["strategy"] == "RollingUpdate":
        return ["Order: the controller's (RollingUpdate): highest ordinal first, down to the "
                "partition; --order and --leader-last need OnDelete"]
    left = [o for o in arranged(order, in_range, None) if o in set(pods_outdated)]
    lines = ["Order: %s%s" % (", ".join("%s-%d" % (name, o) for o in left) or "none left",
                              " (recorded: --order %s)" % ",".join(map(str, order))
                              if order is not None else " (highest ordinal first)")]
    if leader_cmd:
        lines.append("Leader last: the pod that `%s` names goes last" % leader_cmd)
    return lines


def recorded(saved: Optional[Obj], update_revision: str) -> Obj:
    """The order and leader command recorded on the set for this update revision ({}:
    none): a resumed --step follows them."""
    saved = saved or {}
    if not update_revision or saved.get("updateRevision") != update_revision:
        return {}
    return {k: saved[k] for k in ("order", "leader", "leaderOrdinal") if saved.get(k) is not None}


def with_order(sts: Obj, order: Optional[Sequence[int]], leader: Optional[Obj],
               leader_ordinal_: Optional[int]) -> Obj:
    """The set with the order recorded on its annotation (state.STATE_ANNOTATION), for its
    update revision."""
    from .state import STATE_ANNOTATION
    new = json.loads(json.dumps(sts))
    update = (sts.get("status") or {}).get("updateRevision", "")
    data: Obj = {"target": None, "updateRevision": update, "undo": False,
                 "order": list(order) if order is not None else None, "leader": leader,
                 "leaderOrdinal": leader_ordinal_}
    new["metadata"].setdefault("annotations", {})[STATE_ANNOTATION] = json.dumps(
        {k: v for k, v in data.items() if v is not None or k == "target"}, sort_keys=True)
    return new
