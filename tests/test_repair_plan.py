"""The `repair` core (kubectl_sts/core/repair.py): the diagnosis of one ordinal, table-driven."""

from functools import partial

import pytest

from kubectl_sts.core.repair import diagnose

import builders

NOW = 1_800_000_000.0


def stamp(ago):
    import datetime
    return datetime.datetime.fromtimestamp(NOW - ago, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


STS = builders.statefulset(replicas=1, service=None, claims=None, selector=None, template=None)
node = partial(builders.node, transition=stamp(600), reason="NodeStatusUnknown", zone="a")
pod = partial(builders.pod, "web-0", uid="p0", node="n1", ready=True)
unplaced = partial(pod, node=None, spec={}, unschedulable="0/3 nodes are available: 3 node(s) "
                   "had volume node affinity conflict.")
CLAIM = builders.claim("data-web-0", None, access_modes=None, volume="pv-0", phase="Bound")
PVS = {"pv-0": builders.volume("pv-0", host="n1")}     # pinned to n1


@pytest.mark.parametrize("case, the_pod, nodes, pvs, min_down, problem, remedy", [
    ("healthy", pod(), [node()], PVS, 300, "healthy", None),
    ("node-down-long", pod(ready=False), [node(ready="Unknown", transition=stamp(600))], PVS,
     300, "node-down", "taint"),
    ("terminating-on-down-node", pod(deleting=stamp(60)),
     [node(ready="Unknown", transition=stamp(600))], PVS, 300, "node-down", "taint"),
    ("node-down-recent", pod(ready=False), [node(ready="Unknown", transition=stamp(60))], PVS, 300,
     "node-down-recent", None),
    ("node-gone", pod(ready=False), [node("n2")], {}, 300, "node-down", "taint"),
    ("already-out-of-service", pod(deleting=stamp(60)), [node(ready="Unknown", taints=[
        {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}])], PVS, 300,
     "node-down", None),
    ("pinned-to-lost-node", unplaced(), [node(ready="Unknown"), node("n2")], PVS, 300,
     "volume-affinity", "fresh-volume"),
    ("pinned-to-a-gone-node", unplaced(), [node("n2")], PVS, 300, "volume-affinity",
     "fresh-volume"),
    ("not-ready-for-another-reason", pod(ready=False), [node()], PVS, 300, "unknown", None),
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
    found = diagnose(STS, 0, pod(deleting=stamp(60)), [dict(CLAIM)], PVS,
                     [node(ready="Unknown", transition=stamp(600))],
                     [{"reason": "NodeNotReady", "message": "Node is not ready"}], NOW, 300)
    assert found["evidence"] == [
        "pod web-0: Terminating, Ready, node n1",
        "node n1: Ready=Unknown for 10m00s (NodeStatusUnknown)",
        "PVC data-web-0: Bound, PV pv-0 (reclaimPolicy Delete); node affinity allows n1, "
        "usable: none",
        "event NodeNotReady: Node is not ready"]


def test_the_evidence_names_who_deleted_the_pod():
    evicted = pod(deleting=stamp(60), ready=False)
    evicted["status"]["conditions"].append({
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint"})
    found = diagnose(STS, 0, evicted, [], {}, [node(ready="Unknown", transition=stamp(600))], [],
                     NOW, 300)
    assert found["evidence"][0] == \
        "pod web-0: Terminating (DeletionByTaintManager), not Ready, node n1"
    assert found["remedy"] == "taint"
