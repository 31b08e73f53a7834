"""The `repair` core (kubectl_sts/core/repair.py): the diagnosis of one ordinal, table-driven."""

import pytest

from kubectl_sts.core.repair import diagnose

NOW = 1_800_000_000.0


def stamp(ago):
    import datetime
    return datetime.datetime.fromtimestamp(NOW - ago, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


STS = {"metadata": {"name": "web"}, "spec": {"replicas": 1}}


def node(name="n1", ready="True", since=600, taints=(), zone="a"):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone": zone}},
            "spec": {"taints": list(taints)},
            "status": {"conditions": [{"type": "Ready", "status": ready,
                                       "reason": "NodeStatusUnknown",
                                       "lastTransitionTime": stamp(since)}]}}


def pod(node_name="n1", ready=True, deleting=False, unschedulable=False):
    p = {"metadata": {"name": "web-0", "uid": "p0"}, "spec": {"nodeName": node_name},
         "status": {"phase": "Running", "conditions": [
             {"type": "Ready", "status": "True" if ready else "False"}]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = stamp(60)
    if unschedulable:
        p["spec"] = {}
        p["status"] = {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 node(s) had volume node affinity conflict."}]}
    return p


CLAIM = {"metadata": {"name": "data-web-0"}, "spec": {"volumeName": "pv-0"},
         "status": {"phase": "Bound"}}


def pv(host="n1"):
    return {"pv-0": {"spec": {"persistentVolumeReclaimPolicy": "Delete", "nodeAffinity": {
        "required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [host]}]}]}}}}}


@pytest.mark.parametrize("case, the_pod, nodes, pvs, min_down, problem, remedy", [
    ("healthy", pod(), [node()], pv(), 300, "healthy", None),
    ("node-down-long", pod(ready=False), [node(ready="Unknown", since=600)], pv(), 300,
     "node-down", "taint"),
    ("terminating-on-down-node", pod(deleting=True), [node(ready="Unknown", since=600)], pv(),
     300, "node-down", "taint"),
    ("node-down-recent", pod(ready=False), [node(ready="Unknown", since=60)], pv(), 300,
     "node-down-recent", None),
    ("node-gone", pod(ready=False), [node("n2")], {}, 300, "node-down", "taint"),
    ("already-out-of-service", pod(deleting=True), [node(ready="Unknown", taints=[
        {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}])], pv(), 300,
     "node-down", None),
    ("pinned-to-lost-node", pod(unschedulable=True), [node(ready="Unknown"), node("n2")],
     pv("n1"), 300, "volume-affinity", "fresh-volume"),
    ("pinned-to-a-gone-node", pod(unschedulable=True), [node("n2")], pv("n1"), 300,
     "volume-affinity", "fresh-volume"),
    ("not-ready-for-another-reason", pod(ready=False), [node()], pv(), 300, "unknown", None),
])
def test_diagnosis(case, the_pod, nodes, pvs, min_down, problem, remedy):
    found = diagnose(STS, 0, the_pod, [dict(CLAIM)], pvs, nodes, [], NOW, min_down)
    assert (found["problem"], found["remedy"]) == (problem, remedy), (case, found)


def test_the_trap_is_repaired_by_deleting_the_pod():
    trap = {"pod": "web-0", "message": "web-0 runs revision web-1, which is no longer the "
            "update revision"}
    found = diagnose(STS, 0, pod(ready=False), [], {}, [node()], [], NOW, 300, trap)
    assert (found["problem"], found["remedy"]) == ("trap", "delete-pod")


def test_the_evidence_follows_the_chain():
    found = diagnose(STS, 0, pod(deleting=True), [dict(CLAIM)], pv(),
                     [node(ready="Unknown", since=600)],
                     [{"reason": "NodeNotReady", "message": "Node is not ready"}], NOW, 300)
    assert found["evidence"] == [
        "pod web-0: Terminating, Ready, node n1",
        "node n1: Ready=Unknown for 10m00s (NodeStatusUnknown)",
        "PVC data-web-0: Bound, PV pv-0 (reclaimPolicy Delete); node affinity allows n1, "
        "usable: none",
        "event NodeNotReady: Node is not ready"]


def test_the_evidence_names_who_deleted_the_pod():
    evicted = pod(deleting=True, ready=False)
    evicted["status"]["conditions"].append({
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint"})
    found = diagnose(STS, 0, evicted, [], {}, [node(ready="Unknown", since=600)], [], NOW, 300)
    assert found["evidence"][0] == \
        "pod web-0: Terminating (DeletionByTaintManager), not Ready, node n1"
    assert found["remedy"] == "taint"
