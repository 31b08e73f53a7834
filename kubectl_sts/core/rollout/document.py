"""The plan `kubectl sts rollout NAME -o json|yaml` prints (`kind: RolloutPlan`): what the
text plan says, as data, from the same decisions (plan.py, batches.py, order.py, checks.py)."""

from typing import Any, Dict, List, Optional, Sequence

Obj = Dict[str, Any]


def plan_document(state: Obj, steps: List[Obj], batch: int, honours: Obj,
                  order: Obj, checks: Sequence[Obj], check_timeout: float,
                  checks_source: Optional[str], verdict: Optional[Obj], next_line: str) -> Obj:
    """`state`: rollout_state; `steps`: describe_plan's; `batch`: the ordinals a step
    replaces; `honours`: batches.verdict ({"honoured", "why"}); `order`: order_document's;
    `checks`: the checks a step runs (checks_from_flags' shape), from `checks_source`
    ("flags", "recorded" or None); `verdict`: the set's stuck verdict or None."""
    return {
        "apiVersion": "kubectl-sts/v1", "kind": "RolloutPlan",
        "namespace": state["namespace"], "name": state["name"],
        "strategy": state["strategy"], "replicas": state["replicas"],
        "partition": state["partition"],
        "podManagementPolicy": state["podManagementPolicy"],
        "revisions": {"current": state["currentRevision"], "update": state["updateRevision"],
                      "rolloutInProgress":
                          state["currentRevision"] != state["updateRevision"]},
        "maxUnavailable": {"value": state["maxUnavailable"],
                           "honoured": honours.get("honoured"), "why": honours.get("why")},
        "batchSize": batch,
        "steps": [{"partition": s["partition"], "ordinals": list(s["ordinals"])}
                  for s in steps],
        "order": order,
        "checks": {"source": checks_source, "timeoutSeconds": check_timeout,
                   "items": [dict(c) for c in checks]},
        "verdict": verdict,
        "next": next_line,
    }


def order_document(state: Obj, outdated: Sequence[int], arranged: Sequence[int],
                   order: Optional[Sequence[int]], leader: Optional[str]) -> Obj:
    """The order of ordinals: the controller's under RollingUpdate; under OnDelete the pods
    left to update, in the order a `--step` follows (`arranged`), recorded or highest first."""
    if state["strategy"] == "RollingUpdate":
        return {"by": "controller", "ordinals": [], "leaderCommand": None}
    left = [o for o in arranged if o in set(outdated)]
    return {"by": "recorded" if order is not None else "highest-first", "ordinals": left,
            "leaderCommand": leader}
