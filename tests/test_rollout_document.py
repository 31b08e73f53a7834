"""`kubectl sts rollout NAME -o json|yaml`: the plan as a RolloutPlan document, with the
steps (batches where maxUnavailable is honoured), the order of ordinals and the checks a step
runs (this run's flags or those recorded on the set). Table tests of the pure parts, then the
document from the session sandbox (a 1.37 sandbox honours maxUnavailable)."""

import json

import pytest
import yaml

from helpers import create_settled
from kubectl_sts.core.rollout.document import order_document, plan_document

NEW = "nginx:1.28"


def _state(strategy="RollingUpdate", partition=4, current="web-a", update="web-b"):
    return {"name": "web", "namespace": "ns", "replicas": 4, "start": 0,
            "strategy": strategy, "partition": partition, "effectivePartition": partition,
            "maxUnavailable": 2, "podManagementPolicy": "Parallel", "minReadySeconds": 0,
            "currentRevision": current, "updateRevision": update}


@pytest.mark.parametrize("strategy,outdated,arranged,order,leader,want", [
    ("RollingUpdate", [3, 2], [3, 2, 1, 0], None, None,
     {"by": "controller", "ordinals": [], "leaderCommand": None}),
    ("OnDelete", [3, 1, 0], [3, 2, 1, 0], None, None,
     {"by": "highest-first", "ordinals": [3, 1, 0], "leaderCommand": None}),
    ("OnDelete", [2, 0, 1], [2, 0, 1, 3], [2, 0, 1, 3], "echo web-1",
     {"by": "recorded", "ordinals": [2, 0, 1], "leaderCommand": "echo web-1"}),
])
def test_order_document(strategy, outdated, arranged, order, leader, want):
    assert order_document(_state(strategy), outdated, arranged, order, leader) == want


def test_plan_document_fields():
    steps = [{"partition": 2, "ordinals": [3, 2]}, {"partition": 0, "ordinals": [1, 0]}]
    checks = [{"kind": "local", "command": "true"}]
    doc = plan_document(_state(), steps, 2, {"honoured": True, "why": "kept"},
                        {"by": "controller", "ordinals": [], "leaderCommand": None}, checks,
                        60.0, "flags", None, "next: kubectl sts rollout web --step")
    assert (doc["apiVersion"], doc["kind"], doc["name"], doc["namespace"]) == \
        ("kubectl-sts/v1", "RolloutPlan", "web", "ns")
    assert doc["revisions"] == {"current": "web-a", "update": "web-b",
                                "rolloutInProgress": True}
    assert doc["maxUnavailable"] == {"value": 2, "honoured": True, "why": "kept"}
    assert (doc["batchSize"], doc["steps"]) == (2, steps)
    assert doc["checks"] == {"source": "flags", "timeoutSeconds": 60.0, "items": checks}
    checks.append({"kind": "http"})            # the document holds copies
    assert len(doc["checks"]["items"]) == 1


def test_the_plan_document_shows_batches_and_the_recorded_checks(cli, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=4, max_unavailable=2,
                   pod_management="Parallel")
    assert cli("rollout", "web", "--image", "app=" + NEW)[0] == 0
    code, out, err = cli("rollout", "web", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "RolloutPlan" and doc["partition"] == 4
    assert doc["maxUnavailable"]["value"] == 2 and doc["maxUnavailable"]["honoured"] is True
    assert doc["batchSize"] == 2
    assert doc["steps"] == [{"partition": 2, "ordinals": [3, 2]},
                            {"partition": 0, "ordinals": [1, 0]}]
    assert doc["order"]["by"] == "controller" and doc["checks"]["items"] == []
    assert doc["revisions"]["rolloutInProgress"] is True
    # a step with a check records it on the set: the next plan's document shows it
    code, out, err = cli("rollout", "web", "--step", "--check", "true", "--check-timeout",
                         "30s")
    assert code == 0, err
    code, out, err = cli("rollout", "web", "-o", "yaml")
    assert code == 0, err
    doc = yaml.safe_load(out)
    assert doc["checks"] == {"source": "recorded", "timeoutSeconds": 30.0,
                             "items": [{"kind": "local", "command": "true"}]}
    assert doc["steps"] == [{"partition": 0, "ordinals": [1, 0]}]


def test_o_goes_with_the_plan_only(cli, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=1)
    code, out, err = cli("rollout", "web", "--step", "-o", "json")
    assert code == 2 and err.strip() == \
        "error: -o applies to the plan (kubectl sts rollout NAME), not to --step"
