"""The one diagnosis (kubectl_sts/core/diagnosis.py), table-driven: each ordinal's verdict, its
cause and the remedies that can work, from plain API objects, as status, rollout, wait,
repair and doctor render it. What the controller does is upstream's stateful_set_control.go
(updateStatefulSet, processReplica); the cases name the rule they check."""

import datetime

import pytest

import builders
from builders import REV_A, REV_B, REV_C
from kubectl_sts.core.diagnosis import Facts, diagnose, fails_fast, remedy_line
from kubectl_sts.core.events import current_events
from kubectl_sts.core.rollout.stuck import rollout_verdict, stuck_pods

NOW = 1_800_000_000.0


def stamp(ago):
    return datetime.datetime.fromtimestamp(NOW - ago, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def sts(replicas=3, current=REV_A, update=REV_A, **kwargs):
    kwargs.setdefault("claims", None)
    return builders.statefulset(replicas=replicas, namespace="ns", observed=True,
                                current=current, update=update, strategy="RollingUpdate",
                                service=None, **kwargs)


def pod(ordinal, revision=REV_A, node="n1", **kwargs):
    kwargs.setdefault("ready", True)
    return builders.pod(ordinal, revision, labels={"app": "web"}, uid="u%d" % ordinal,
                        node=node, statuses=True, **kwargs)


def failing_pod(ordinal, revision, **kwargs):
    return pod(ordinal, revision, waiting="ErrImagePull", message="no such tag", **kwargs)


def node(name="n1", ready="True", down_for=600, **kwargs):
    return builders.node(name, ready, transition=stamp(down_for), reason="NodeStatusUnknown"
                         if ready != "True" else None, **kwargs)


NODES = {n["metadata"]["name"]: n for n in (node("n1"), node("n2"), node("n3"))}
DOWN = dict(NODES, n1=node("n1", "Unknown"))


def diagnosed(the_sts, pods, nodes=None, **facts):
    return diagnose(Facts(sts=the_sts, pods=pods, nodes=nodes, now=NOW, **facts))


def verdicts(result):
    return [(r["pod"], r["verdict"]) for r in result["ordinals"]]


HEALTHY = [pod(0), pod(1), pod(2)]


@pytest.mark.parametrize("case, the_sts, pods, nodes, minor, expected", [
    ("every ordinal Ready", sts(), HEALTHY, NODES, 37,
     ["healthy", "healthy", "healthy"]),
    ("a missing ordinal is made by the controller", sts(), HEALTHY[:2], NODES, 37,
     ["healthy", "healthy", "progressing"]),
    ("a pod still creating its container", sts(),
     [pod(0), pod(1), pod(2, waiting="ContainerCreating", phase="Pending")], NODES, 37,
     ["healthy", "healthy", "progressing"]),
    ("a pod Running on a node that stopped reporting is down, Ready or not", sts(),
     [pod(0), pod(1, node="n2"), pod(2, node="n3")], DOWN, 37,
     ["down", "healthy", "healthy"]),
    ("a pod on a node that is gone is down", sts(),
     [pod(0, node="n9"), pod(1), pod(2)], NODES, 37, ["down", "healthy", "healthy"]),
    ("a failing pod at the update revision fails: fixing the template fixes it",
     sts(current=REV_A, update=REV_B), [pod(0), pod(1), failing_pod(2, REV_B)], NODES, 37,
     ["healthy", "healthy", "failing"]),
    ("OrderedReady: a failing pod of a revision no longer wanted is stuck (processReplica "
     "waits for it forever)", sts(), [pod(0), pod(1), failing_pod(2, REV_B)], NODES, 37,
     ["healthy", "healthy", "stuck"]),
    ("OrderedReady, maxUnavailable 2: every failing old pod is stuck, not only the lowest",
     sts(6, max_unavailable=2), [pod(0), pod(1), pod(2), pod(3), failing_pod(4, REV_B),
                                 failing_pod(5, REV_B)], NODES, 37,
     ["healthy"] * 4 + ["stuck", "stuck"]),
    ("Parallel, gate off: the rolling update deletes a failing old pod by itself",
     sts(pod_management="Parallel"), [pod(0), pod(1), failing_pod(2, REV_B)], NODES, 35,
     ["healthy", "healthy", "failing"]),
    ("Parallel, maxUnavailable 1 spent by the broken pod, 1.36: stuck",
     sts(pod_management="Parallel", max_unavailable=1), [pod(0), pod(1),
                                                          failing_pod(2, REV_B)], NODES, 36,
     ["healthy", "healthy", "stuck"]),
    ("Parallel, maxUnavailable 1, 1.37 replaces broken old pods first (#137666)",
     sts(pod_management="Parallel", max_unavailable=1), [pod(0), pod(1),
                                                          failing_pod(2, REV_B)], NODES, 37,
     ["healthy", "healthy", "failing"]),
    ("Parallel, maxUnavailable 1, server version unknown: assume the older controller",
     sts(pod_management="Parallel", max_unavailable=1), [pod(0), pod(1),
                                                          failing_pod(2, REV_B)], NODES, None,
     ["healthy", "healthy", "stuck"]),
    ("below the partition a pod of another revision is never replaced",
     sts(current=REV_A, update=REV_B, partition=2, pod_management="Parallel"),
     [failing_pod(0, REV_C), pod(1), pod(2, REV_B)], NODES, 37,
     ["stuck", "healthy", "healthy"]),
    ("phase Failed is deleted and made again by processReplica: not stuck", sts(),
     [pod(0), pod(1), pod(2, REV_B, phase="Failed", ready=False)], NODES, 37,
     ["healthy", "healthy", "failing"]),
    ("OrderedReady: an ordinal above a pod that is not Ready waits for it", sts(),
     [pod(0, waiting="ContainerCreating", phase="Pending")], NODES, 37,
     ["progressing", "progressing", "progressing"]),
])
def test_verdicts(case, the_sts, pods, nodes, minor, expected):
    result = diagnosed(the_sts, pods, nodes, server_minor=minor)
    assert [v for _, v in verdicts(result)] == expected, case


def test_a_higher_missing_ordinal_names_the_pod_the_controller_waits_for():
    result = diagnosed(sts(), [pod(0), pod(1, waiting="ContainerCreating", phase="Pending")],
                       NODES)
    assert result["waitsOn"] == "web-1"
    assert result["ordinals"][2]["cause"] == "not created yet: the controller makes it after " \
        "web-1 is Ready (OrderedReady)"


def test_a_readiness_probe_that_keeps_failing_is_failing_not_starting():
    probe = {"exec": {"command": ["false"]}, "periodSeconds": 1, "failureThreshold": 3}

    def never_ready(started_ago):
        p = pod(2, REV_B, ready=False, created=stamp(started_ago))
        p["spec"]["containers"] = [{"name": "app", "readinessProbe": probe}]
        return p
    starting = diagnosed(sts(), [pod(0), pod(1), never_ready(2)], NODES)
    assert starting["ordinals"][2]["verdict"] == "progressing"
    stuck = diagnosed(sts(), [pod(0), pod(1), never_ready(60)], NODES)
    assert stuck["ordinals"][2]["verdict"] == "stuck"
    assert "ReadinessProbeFailing" in stuck["ordinals"][2]["cause"]
    assert [r["pod"] for r in stuck_pods(sts(), [pod(0), pod(1), never_ready(60)],
                                         now=NOW)] == ["web-2"]


# -- down nodes and the remedies that can work -----------------------------------------------

def remedies(row):
    return {r["kind"]: r["works"] for r in row["remedies"]}


def test_a_node_down_past_min_down_can_be_tainted():
    row = diagnosed(sts(), [pod(0, ready=False), pod(1, node="n2"), pod(2, node="n3")],
                    DOWN)["ordinals"][0]
    assert row["verdict"] == "down"
    assert row["cause"] == "node n1 is not Ready (Unknown for 10m: NodeStatusUnknown)"
    assert remedies(row) == {"wait": True, "taint": True, "force-delete": True}
    assert str(remedy_line(row)).startswith("kubectl sts repair web --ordinal 0   (taint node n1 ")


def test_a_node_down_for_less_than_min_down_may_come_back():
    nodes = dict(NODES, n1=node("n1", "Unknown", down_for=20))
    row = diagnosed(sts(), [pod(0, ready=False)], nodes)["ordinals"][0]
    assert remedies(row) == {"wait": True, "taint": False, "force-delete": False}
    assert "it may come back" in next(r["why"] for r in row["remedies"] if r["kind"] == "taint")
    assert remedy_line(row) == "wait for node n1 to come back (or, once it has been down for " \
        "5m: kubectl sts repair web --ordinal 0)"


def test_a_node_already_out_of_service_needs_nothing_more():
    tainted = node("n1", "Unknown", taints=[{"key": "node.kubernetes.io/out-of-service",
                                             "effect": "NoExecute"}])
    row = diagnosed(sts(), [pod(0, deleting=stamp(30), ready=False)],
                    dict(NODES, n1=tainted))["ordinals"][0]
    assert row["verdict"] == "down" and "no kubelet confirms its deletion" in row["cause"]
    assert remedies(row) == {"wait": True, "taint": False}


CLAIM = builders.claim("data-web-0", None, namespace="ns", labels={"app": "web"},
                       access_modes=None, volume="pv-0", phase="Bound")
PINNED = {"pv-0": builders.volume("pv-0", host="n1")}
CLAIMED = sts(claims=("data",))


def test_a_volume_pinned_to_the_down_node_gets_no_taint_only_fresh_volume_or_waiting():
    row = diagnosed(CLAIMED, [pod(0, ready=False)], DOWN, claims=[dict(CLAIM)],
                    pvs=PINNED)["ordinals"][0]
    assert row["verdict"] == "down"
    assert "its volume data-web-0 (PV pv-0) is pinned to n1, which is not Ready" in row["cause"]
    assert remedies(row) == {"wait": True, "taint": False, "force-delete": False,
                             "fresh-volume": True}
    # never a destructive command first
    assert remedy_line(row) == "wait for node n1 to come back; or, giving up its data: " \
        "kubectl sts repair web --ordinal 0 --fresh-volume"


def test_a_pod_left_pending_on_volume_node_affinity_is_blocked():
    pending = builders.pod(0, REV_A, labels={"app": "web"}, uid="u0",
                           unschedulable="0/3 nodes are available: 3 node(s) had volume node "
                           "affinity conflict.")
    row = diagnosed(CLAIMED, [pending], DOWN, claims=[dict(CLAIM)], pvs=PINNED)["ordinals"][0]
    assert row["verdict"] == "blocked" and "pinned to n1" in row["cause"]
    assert remedies(row) == {"wait": True, "taint": False, "fresh-volume": True}


def test_a_zonal_volume_with_another_node_in_its_zone_is_not_pinned():
    zonal = {"pv-0": {"metadata": {"name": "pv-0"}, "spec": {"nodeAffinity": {"required": {
        "nodeSelectorTerms": [{"matchExpressions": [{
            "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]}]}}}}}
    nodes = {"n1": node("n1", "Unknown", zone="a"), "n2": node("n2", zone="a")}
    row = diagnosed(CLAIMED, [pod(0, ready=False)], nodes, claims=[dict(CLAIM)],
                    pvs=zonal)["ordinals"][0]
    assert "pinned" not in row["cause"] and remedies(row)["taint"] is True


def test_a_cordoned_node_with_a_budget_at_zero_blocks_its_drain():
    cordoned = node("n2")
    cordoned["spec"]["unschedulable"] = True
    budget = builders.pdb("web-pdb", min_available=3, allowed=0, healthy=3, desired=3,
                          expected=3)
    result = diagnosed(sts(), [pod(0), pod(1, node="n2"), pod(2, node="n3")],
                       dict(NODES, n2=cordoned), pdbs=[budget])
    row = result["ordinals"][1]
    assert row["verdict"] == "blocked"
    assert "node n2 is cordoned and PodDisruptionBudget web-pdb allows no disruption" in \
        row["cause"]
    assert str(remedy_line(row)).startswith("kubectl uncordon n2")


def test_nodes_unread_conclude_nothing_about_nodes():
    row = diagnosed(sts(), [pod(0, ready=False)], None)["ordinals"][0]
    assert row["verdict"] == "progressing" and "node" not in row["cause"]


# -- fail fast, and the set's verdict -----------------------------------------------------------

@pytest.mark.parametrize("case, the_sts, pods, nodes, expected", [
    ("an updated pod that fails", sts(current=REV_A, update=REV_B),
     [pod(0), pod(1), failing_pod(2, REV_B)], NODES, "web-2"),
    ("a stuck pod", sts(), [pod(0), pod(1), failing_pod(2, REV_B)], NODES, "web-2"),
    ("a down node is waited for (it may come back)", sts(), [pod(0, ready=False)], DOWN, None),
    ("a starting pod", sts(), [pod(0, waiting="ContainerCreating", phase="Pending")], NODES,
     None),
])
def test_fails_fast(case, the_sts, pods, nodes, expected):
    row = fails_fast(diagnosed(the_sts, pods, nodes))
    assert (row or {}).get("pod") == expected, case


def test_the_sets_verdict_names_the_plugins_undo_mid_rollout():
    result = diagnosed(sts(current=REV_A, update=REV_B), [pod(0), pod(1),
                                                           failing_pod(2, REV_B)], NODES)
    verdict = rollout_verdict("web", {"current": REV_A, "update": REV_B,
                                      "rolloutInProgress": True}, result)
    assert verdict is not None
    assert verdict["kind"] == "rollout" and verdict["pod"] == "web-2"
    assert "kubectl sts rollout web --undo (restores the template and deletes web-2)" in \
        verdict["message"]


# -- evidence that still describes the present --------------------------------------------------

def test_a_warning_from_before_the_pod_became_ready_is_history():
    ready = builders.pod(0, REV_A, uid="u0", ready=True)
    ready["status"]["conditions"][0]["lastTransitionTime"] = stamp(60)
    old = builders.event("Pod", "web-0", "Failed", 'Error: secret "s" not found', stamp(120))
    new = builders.event("Pod", "web-0", "Unhealthy", "Readiness probe failed", stamp(10))
    other = builders.event("Pod", "web-0", "Failed", "from an earlier pod", stamp(5))
    other["involvedObject"]["uid"] = "another"
    assert [e["reason"] for e in current_events(ready, "Pod", [old, new, other])] == \
        ["Unhealthy"]
