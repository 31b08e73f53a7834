"""Batches: whether the server honours `spec.updateStrategy.rollingUpdate.maxUnavailable`
(KEP-961, the MaxUnavailableStatefulSet gate), how many ordinals one step updates, and when
`--step --batch N` (this tool deleting N pods at once) may run.

Upstream:
- kube-apiserver drops the field on write when its gate is off and the stored object does not
  use it (pkg/registry/apps/statefulset/strategy.go, dropStatefulSetDisabledFields), and with
  the gate on defaults it to 1 (pkg/apis/apps/v1/defaults.go, SetDefaults_StatefulSet). So a
  dry-run update that leaves the field out and reads the answer back tells the API server's
  gate: the answer carries maxUnavailable (defaulted) iff the gate is on.
- the controller-manager's gate is the one that acts (pkg/controller/statefulset/
  stateful_set_control.go, updateStatefulSet: with the gate on, the rolling update deletes up
  to maxUnavailable pods at or above the partition at once; off, one at a time). It is not
  observable by a client: both components ship the same defaults per release, so the API
  server's gate is taken for the controller's, and the output says so.
"""

from typing import Any, Dict, List, Optional

from ...k8s.statefulset import resolve_max_unavailable

Obj = Dict[str, Any]

CONTROLLER_CAVEAT = "the controller-manager's gate is not observable; taken to match"


def stored_uses_field(sts: Obj) -> bool:
    """The set as read carries maxUnavailable."""
    ru = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    return ru.get("maxUnavailable") is not None


def probe_body(sts: Obj) -> Obj:
    """The object a dry-run PUT sends to ask the API server: the set with maxUnavailable
    left out (the server defaults it back iff MaxUnavailableStatefulSet is on)."""
    import copy
    new = copy.deepcopy(sts)
    strategy = new.setdefault("spec", {}).setdefault("updateStrategy", {})
    ru = strategy.get("rollingUpdate")
    if isinstance(ru, dict):
        ru.pop("maxUnavailable", None)
    new.pop("status", None)
    return new


def release_default(git_version: Optional[str]) -> Optional[bool]:
    """MaxUnavailableStatefulSet's default in the release `git_version` (/version): off up to
    1.34, on in 1.35.0-1.35.3, off from 1.35.4 and in 1.36, on from 1.37 (pkg/features/
    kube_features.go; kubectl_sts_sandbox/versions.py cites the pull requests). None when the
    version cannot be read."""
    import re
    found = re.match(r"v?1\.(\d+)(?:\.(\d+))?", git_version or "")
    if not found:
        return None
    minor, patch = int(found.group(1)), int(found.group(2) or 0)
    if minor == 35:
        return patch < 4
    return minor >= 37


def verdict(state: Obj, stored: bool, probe: Optional[Obj],
            default: Optional[bool] = None, version: str = "") -> Obj:
    """Whether maxUnavailable is honoured: {"honoured": True/False/None, "why": str}.
    `stored`: the set as read carries the field; `probe`: {"kept": bool} from the dry-run
    update (its answer carries the field), {"error": str} when it could not be sent, or None
    when not asked; `default`: the gate's default in the server's release `version`
    (release_default), the guess where no dry run tells."""
    if state["strategy"] != "RollingUpdate":
        return {"honoured": None, "why": "%s: maxUnavailable does not apply" % state["strategy"]}
    if probe is not None and "kept" in probe:
        if probe["kept"]:
            return {"honoured": True, "why": "the API server defaults and keeps it "
                    "(MaxUnavailableStatefulSet on; %s)" % CONTROLLER_CAVEAT}
        return {"honoured": False, "why": "the API server drops it (MaxUnavailableStatefulSet "
                "off): the controller replaces one ordinal at a time"}
    if not stored:
        # with the gate on, the server would have defaulted the field (on write and on read)
        return {"honoured": False, "why": "the API server did not default it "
                "(MaxUnavailableStatefulSet off): the controller replaces one ordinal at a time"}
    reason = (probe or {}).get("error") or "not asked"
    if default:
        return {"honoured": True, "why": "the set carries it and %s turns "
                "MaxUnavailableStatefulSet on by default (no dry-run update confirmed it: %s; "
                "%s)" % (version, reason, CONTROLLER_CAVEAT)}
    return {"honoured": None, "why": "unknown: the dry-run update that tells could not be made "
            "(%s)" % reason}


def batch_size(state: Obj, honoured: Optional[bool]) -> int:
    """The ordinals the controller replaces together in one step: maxUnavailable resolved
    against the replicas where honoured, else 1."""
    if honoured:
        return resolve_max_unavailable(state["maxUnavailable"], state["replicas"])
    return 1


def describe_line(state: Obj, result: Obj) -> str:
    """`maxUnavailable: 2 (honoured: ...)` for the plan and status."""
    value = state["maxUnavailable"]
    shown = "<unset>" if value is None else str(value)
    word = {True: "honoured", False: "not honoured", None: "unknown"}[result["honoured"]]
    if result["honoured"] is None and result["why"].endswith("does not apply"):
        word = "n/a"
    why = result["why"]
    if why.startswith("unknown: "):
        why = why[len("unknown: "):]
    # the plan's line is the verdict; the caveats stay in -o json's `why`
    why = why.replace("; " + CONTROLLER_CAVEAT, "")
    cut = why.find(" (no dry-run update confirmed it")
    return "%s (%s: %s)" % (shown, word, why if cut < 0 else why[:cut])


def batch_refusal(state: Obj, honoured: Optional[bool], batch: int) -> Optional[str]:
    """Why `--step --batch N` may not run on this set (the user's words), or None."""
    if state["strategy"] != "RollingUpdate":
        return "--batch applies to RollingUpdate sets (%s uses %s)" % (
            state["name"], state["strategy"])
    if state["podManagementPolicy"] != "Parallel":
        return "--batch deletes pods together, which podManagementPolicy %s forbids: the " \
               "controller recreates them one at a time (%s)" % (
                   state["podManagementPolicy"], state["name"])
    if honoured:
        return "the server honours maxUnavailable: set spec.updateStrategy.rollingUpdate." \
               "maxUnavailable to %d and step with --step (the controller replaces the " \
               "batch itself)" % batch
    return None


def batch_victims(state: Obj, pods: List[Obj], new_partition: int) -> List[Obj]:
    """The pods `--batch` deletes when the partition goes to `new_partition`: those at or
    above it, not at the update revision and not terminating, highest ordinal first."""
    from ...k8s.statefulset import pod_revision, pods_by_ordinal
    by_ordinal = pods_by_ordinal(state["name"], pods)
    victims = []
    for ordinal in range(state["start"] + state["replicas"] - 1,
                         state["start"] + new_partition - 1, -1):
        pod = by_ordinal.get(ordinal)
        if pod is not None and pod_revision(pod) != state["updateRevision"] and \
                not pod["metadata"].get("deletionTimestamp"):
            victims.append(pod)
    return victims


def pdb_refusal(pdbs: List[Obj], victims: List[Obj]) -> Optional[str]:
    """Why deleting `victims` together would break a PodDisruptionBudget that covers them
    (its status.disruptionsAllowed below the number it covers), or None."""
    from ..restart import budgets
    counted: Dict[str, List[str]] = {}
    by_name: Dict[str, Obj] = {}
    for pod in victims:
        for pdb in budgets(pdbs, pod):
            counted.setdefault(pdb["metadata"]["name"], []).append(pod["metadata"]["name"])
            by_name[pdb["metadata"]["name"]] = pdb
    for name in sorted(counted):
        allowed = (by_name[name].get("status") or {}).get("disruptionsAllowed", 0)
        if allowed < len(counted[name]):
            return "PodDisruptionBudget %s allows %d disruption(s) now; --batch would delete " \
                   "%d of its pods (%s) together" % (name, allowed, len(counted[name]),
                                                      ", ".join(counted[name]))
    return None


def status_honours(sts: Obj, version: Optional[Obj]) -> Optional[Obj]:
    """What `status` says of maxUnavailable (it only reads: no dry-run update): the verdict
    from the set as read and the release's default (`version`, the /version answer), or
    None for a set whose strategy is not RollingUpdate."""
    from .state import rollout_state
    state = rollout_state(sts)
    if state["strategy"] != "RollingUpdate":
        return None
    git = str((version or {}).get("gitVersion") or "")
    return verdict(state, stored_uses_field(sts), None,
                   release_default(git) if git else None, git)


def status_words(result: Optional[Obj]) -> str:
    """The words after `maxUnavailable N` on status's strategy line."""
    if not result:
        return ""
    if result["honoured"] is True:
        return " (honoured)"
    if result["honoured"] is False:
        return " (not honoured: MaxUnavailableStatefulSet off, one pod at a time)"
    return " (honoured: unknown, MaxUnavailableStatefulSet off by default in this release)"
