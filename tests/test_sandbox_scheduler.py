"""The sandbox's scheduler through the real kubectl: upstream's filters in upstream's order
(NodeUnschedulable, TaintToleration, NodeAffinity, VolumeBinding, VolumeZone), FitError's
message, PodScheduled False/Unschedulable and the FailedScheduling event, and the retries the
scheduling queue makes when a cluster event may let a pending pod fit (uncordon, a taint
removed, a label added), with its backoff and its five-minute flush; `kubectl drain` with a
PodDisruptionBudget; a node incident played to the end with no pod deleted by hand.

The node names and counts are the sandbox's (three nodes; -1 and -2 in zone-a, -3 in zone-b),
hence the `sandbox` fixture."""

import contextlib
import json
import re
from datetime import datetime
from typing import Any, Dict, List, Tuple

import helpers
import pytest
from builders import pdb, pod, statefulset
from helpers import create, hold, node_ready_is, pod_ready, settle, wait_for

NODES = ["sandbox-node-1", "sandbox-node-2", "sandbox-node-3"]
NO_PREEMPTION = " preemption: 0/3 nodes are available: 3 Preemption is not helpful for " \
                "scheduling."
STOP = "sandbox.kubectl-sts.io/kubelet=stopped"
UNREACHABLE = "node.kubernetes.io/unreachable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"


@contextlib.contextmanager
def restored(kubectl, taints=(), labels=()):
    """Uncordon every node and take off the given taint keys and labels, whatever happens."""
    try:
        yield
    finally:
        for node in NODES:
            kubectl("uncordon", node, namespaced=False)
            for key in taints:
                kubectl("taint", "node", node, key + "-", namespaced=False)
            for key in labels:
                kubectl("label", "node", node, key + "-", namespaced=False)


def ok(done):
    assert done.returncode == 0, done.stderr
    return done.stdout


def node_cmd(kubectl, *args):
    return ok(kubectl(*args, namespaced=False))


def run_pod(kubectl, name="solo", **spec):
    ok(kubectl("apply", "-f", "-", input=json.dumps(pod(name, image="nginx:1.27",
                                                        spec=spec or None))))


def scheduled(pods, name):
    """The PodScheduled condition of pod `name` in a wait_for's items, or {}."""
    for c in ((pods.get(name) or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == "PodScheduled":
            return c
    return {}


def unschedulable(core, namespace, name="solo"):
    """Wait until the scheduler has said why `name` cannot be placed; its condition."""
    pods = wait_for(core.list_namespaced_pod,
                    lambda pods: scheduled(pods, name).get("reason") == "Unschedulable",
                    namespace=namespace)
    return scheduled(pods, name)


def running_on(core, namespace, name, uid=None):
    """Wait until `name` (the same pod, when `uid` is given) is Ready; its node."""
    pods = wait_for(core.list_namespaced_pod, lambda pods: name in pods and pod_ready(
        pods[name]) and uid in (None, pods[name]["metadata"]["uid"]), namespace=namespace)
    return pods[name]["spec"]["nodeName"]


def failed_scheduling(kubectl, name="solo"):
    done = kubectl("get", "events", "--field-selector",
                   "involvedObject.name=%s,reason=FailedScheduling" % name, "-o", "json")
    return json.loads(ok(done))["items"]


def uid_of(kubectl, name):
    return json.loads(ok(kubectl("get", "pod", name, "-o", "json")))["metadata"]["uid"]


def seconds(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").timestamp()


# -- NodeUnschedulable ---------------------------------------------------------------------------

def test_pods_do_not_land_on_cordoned_nodes(sandbox, apps, core, namespace, kubectl):
    with restored(kubectl):
        node_cmd(kubectl, "cordon", NODES[0])
        node_cmd(kubectl, "cordon", NODES[1])
        create(apps, core, namespace, statefulset(replicas=3, claims=(),
                                                  pod_management="Parallel"))
        settle(apps, namespace, "web", 3)
        nodes = {p.spec.node_name for p in core.list_namespaced_pod(namespace).items}
        assert nodes == {NODES[2]}


def test_every_node_cordoned_leaves_a_pod_pending_until_one_is_uncordoned(
        sandbox, core, namespace, kubectl):
    message = "0/3 nodes are available: 3 node(s) were unschedulable." + NO_PREEMPTION
    with restored(kubectl):
        for node in NODES:
            node_cmd(kubectl, "cordon", node)
        run_pod(kubectl)
        condition = unschedulable(core, namespace)
        assert (condition["status"], condition["message"]) == ("False", message)
        assert "Pending" in ok(kubectl("get", "pod", "solo"))
        [event] = failed_scheduling(kubectl)
        assert (event["type"], event["message"], event["source"]["component"]) == (
            "Warning", message, "default-scheduler")
        uid = uid_of(kubectl, "solo")
        node_cmd(kubectl, "uncordon", NODES[1])
        # retried by the scheduling queue (the node became schedulable): the same pod runs
        assert running_on(core, namespace, "solo", uid) == NODES[1]


def test_every_reason_is_counted_per_node(sandbox, core, namespace, kubectl):
    """Each node gives the reason of the first filter that rejects it (NodeUnschedulable
    before TaintToleration), counted and sorted; each untolerated taint is its own reason."""
    with restored(kubectl, taints=("example.com/a", "example.com/b")):
        node_cmd(kubectl, "taint", "node", NODES[0], "example.com/a=1:NoSchedule")
        node_cmd(kubectl, "taint", "node", NODES[1], "example.com/b=2:NoExecute")
        node_cmd(kubectl, "taint", "node", NODES[2], "example.com/a=1:NoSchedule")
        node_cmd(kubectl, "cordon", NODES[2])
        run_pod(kubectl)
        assert unschedulable(core, namespace)["message"] == (
            "0/3 nodes are available: 1 node(s) had untolerated taint {example.com/a: 1}, "
            "1 node(s) had untolerated taint {example.com/b: 2}, "
            "1 node(s) were unschedulable." + NO_PREEMPTION)


# -- TaintToleration -------------------------------------------------------------------------------

def test_removing_a_taint_schedules_the_pending_pod(sandbox, core, namespace, kubectl):
    with restored(kubectl, taints=("example.com/maintenance",)):
        for node in NODES:
            node_cmd(kubectl, "taint", "node", node, "example.com/maintenance=yes:NoSchedule")
        run_pod(kubectl)
        assert unschedulable(core, namespace)["message"] == (
            "0/3 nodes are available: 3 node(s) had untolerated taint "
            "{example.com/maintenance: yes}." + NO_PREEMPTION)
        uid = uid_of(kubectl, "solo")
        node_cmd(kubectl, "taint", "node", NODES[2], "example.com/maintenance-")
        assert running_on(core, namespace, "solo", uid) == NODES[2]


# -- NodeAffinity ----------------------------------------------------------------------------------

def test_a_node_selector_matching_no_node_waits_for_a_label(sandbox, core, namespace, kubectl):
    with restored(kubectl, labels=("example.com/disk",)):
        run_pod(kubectl, nodeSelector={"example.com/disk": "ssd"})
        condition = unschedulable(core, namespace)
        assert condition["message"] == (
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
            + NO_PREEMPTION)
        uid = uid_of(kubectl, "solo")
        node_cmd(kubectl, "label", "node", NODES[1], "example.com/disk=ssd")
        assert running_on(core, namespace, "solo", uid) == NODES[1]


def _required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}


def test_required_node_affinity_operators(sandbox, core, namespace, kubectl):
    """In, NotIn, Exists, DoesNotExist, Gt, Lt and matchFields metadata.name, ANDed within a
    term and ORed across terms (component-helpers nodeaffinity)."""
    host = "kubernetes.io/hostname"
    cases: Dict[str, Tuple[List[Any], str]] = {
        "in": ([{"matchExpressions": [{"key": host, "operator": "In",
                                        "values": [NODES[2]]}]}], NODES[2]),
        "notin": ([{"matchExpressions": [{"key": host, "operator": "NotIn",
                                           "values": [NODES[0], NODES[1]]}]}], NODES[2]),
        "exists-gt": ([{"matchExpressions": [
            {"key": "example.com/rank", "operator": "Exists"},
            {"key": "example.com/rank", "operator": "Gt", "values": ["3"]}]}], NODES[1]),
        "lt-doesnotexist": ([{"matchExpressions": [
            {"key": "example.com/rank", "operator": "Lt", "values": ["3"]}]},
            {"matchExpressions": [{"key": "example.com/nope", "operator": "DoesNotExist"},
                                  {"key": host, "operator": "In", "values": [NODES[1]]}]}],
            NODES[1]),
        "fields": ([{"matchFields": [{"key": "metadata.name", "operator": "In",
                                      "values": [NODES[1]]}]}], NODES[1]),
    }
    with restored(kubectl, labels=("example.com/rank",)):
        node_cmd(kubectl, "label", "node", NODES[0], "example.com/rank=2x")
        node_cmd(kubectl, "label", "node", NODES[1], "example.com/rank=7")
        node_cmd(kubectl, "label", "node", NODES[2], "example.com/rank=3")
        for name, (terms, _) in cases.items():
            run_pod(kubectl, name, affinity=_required(*terms))
        for name, (_, node) in cases.items():
            assert running_on(core, namespace, name) == node, name


def test_node_affinity_to_a_node_that_does_not_exist(sandbox, core, namespace, kubectl):
    """A PreFilterResult of node names leaves the other nodes out of the Filters: they count
    as "didn't satisfy plugin(s) [NodeAffinity]"; conflicting names are "pod affinity terms
    conflict"; preemptionPolicy Never changes the PostFilter's message."""
    run_pod(kubectl, "gone", affinity=_required({"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["no-such-node"]}]}))
    assert unschedulable(core, namespace, "gone")["message"] == (
        "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity]."
        + NO_PREEMPTION)
    # a pod takes preemptionPolicy Never from its PriorityClass (Priority admission refuses one
    # written in the spec that the class does not give)
    ok(kubectl("apply", "-f", "-", namespaced=False, input=json.dumps({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "no-preemption-" + namespace}, "value": 0,
        "preemptionPolicy": "Never"})))
    try:
        run_pod(kubectl, "conflict", priorityClassName="no-preemption-" + namespace,
                affinity=_required({"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": [NODES[0]]},
                    {"key": "metadata.name", "operator": "In", "values": [NODES[1]]}]}))
        assert unschedulable(core, namespace, "conflict")["message"] == (
            "0/3 nodes are available: pod affinity terms conflict. "
            "preemption: not eligible due to preemptionPolicy=Never.")
    finally:
        kubectl("delete", "priorityclass", "no-preemption-" + namespace, namespaced=False)
    with restored(kubectl):
        node_cmd(kubectl, "cordon", NODES[0])
        run_pod(kubectl, "pinned", affinity=_required({"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [NODES[0]]}]}))
        assert unschedulable(core, namespace, "pinned")["message"] == (
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't satisfy "
            "plugin(s) [NodeAffinity]." + NO_PREEMPTION)


# -- VolumeBinding and VolumeZone --------------------------------------------------------------

def test_a_pinned_volume_waits_for_its_node(sandbox, apps, core, namespace, kubectl):
    """A bound PV's node affinity (VolumeBinding): the other nodes have a volume node
    affinity conflict; the pod goes back to its node when it is uncordoned."""
    create(apps, core, namespace, statefulset(replicas=1, storage_class="local"))
    settle(apps, namespace, "web", 1)
    node = running_on(core, namespace, "web-0")
    with restored(kubectl):
        node_cmd(kubectl, "cordon", node)
        ok(kubectl("delete", "pod", "web-0", "--wait=false"))
        pods = wait_for(core.list_namespaced_pod, lambda pods: scheduled(pods, "web-0").get(
            "reason") == "Unschedulable", namespace=namespace)
        assert scheduled(pods, "web-0")["message"] == (
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node "
            "affinity conflict." + NO_PREEMPTION)
        uid = pods["web-0"]["metadata"]["uid"]
        node_cmd(kubectl, "uncordon", node)
        assert running_on(core, namespace, "web-0", uid) == node


def test_a_zone_labelled_volume_keeps_its_pod_in_the_zone(sandbox, core, namespace, kubectl):
    """VolumeZone: a PV labelled topology.kubernetes.io/zone=zone-b takes its pod to the
    zone-b node only; relabelled, to the zone-a nodes."""
    pv_name = "zoned-" + namespace
    volume = {"apiVersion": "v1", "kind": "PersistentVolume",
              "metadata": {"name": pv_name, "labels": {"topology.kubernetes.io/zone": "zone-b"}},
              "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                       "hostPath": {"path": "/tmp/" + pv_name}, "storageClassName": "",
                       "persistentVolumeReclaimPolicy": "Retain",
                       "claimRef": {"namespace": namespace, "name": "data"}}}
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                      "volumeName": pv_name, "resources": {"requests": {"storage": "1Gi"}}}}
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    try:
        ok(kubectl("apply", "-f", "-", input=json.dumps(volume)))
        ok(kubectl("apply", "-f", "-", input=json.dumps(claim)))
        run_pod(kubectl, "web-0", volumes=volumes)
        assert running_on(core, namespace, "web-0") == NODES[2]
        with restored(kubectl):
            node_cmd(kubectl, "cordon", NODES[2])
            run_pod(kubectl, "web-1", volumes=volumes)
            assert unschedulable(core, namespace, "web-1")["message"] == (
                "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had no "
                "available volume zone." + NO_PREEMPTION)
            # a PV update that changes its zone is an event VolumeZone's hint queues it for
            uid = uid_of(kubectl, "web-1")
            node_cmd(kubectl, "label", "pv", pv_name, "--overwrite",
                     "topology.kubernetes.io/zone=zone-a")
            assert running_on(core, namespace, "web-1", uid) in NODES[:2]
    finally:
        kubectl("delete", "pod", "--all", "--wait=false")
        kubectl("delete", "pvc", "data", "--wait=false")
        kubectl("delete", "pv", pv_name, "--wait=false", namespaced=False)


# -- the queue -----------------------------------------------------------------------------------

@contextlib.contextmanager
def own_sandbox(**settings):
    """A Sandbox of the test's own with Config(**settings); yields (sandbox, kubectl, core)."""
    import subprocess

    from kubernetes import client
    with helpers.own_sandbox(**settings) as (sb, api):
        def kubectl(*args, input=None, namespaced=True):
            return subprocess.run(["kubectl", "--kubeconfig", sb.kubeconfig] + list(args),
                                  input=input, capture_output=True, text=True, timeout=60)
        yield sb, kubectl, client.CoreV1Api(api)


def _retried(backoff, pop_from_backoff):
    """Every node cordoned, a pod fails; one node uncordoned at once: the seconds between
    the failed attempt and the binding, on the server's clock."""
    with own_sandbox(pod_initial_backoff_seconds=backoff,
                     scheduler_pop_from_backoff=pop_from_backoff) as (sb, kubectl, core):
        for node in NODES:
            node_cmd(kubectl, "cordon", node)
        run_pod(kubectl)
        failed = unschedulable(core, "default")
        node_cmd(kubectl, "uncordon", NODES[0])
        running_on(core, "default", "solo")
        # the first failure: every node unschedulable; uncordoning can race the node lifecycle
        # controller's removal of the cordon taint, which fails one more attempt (as upstream)
        events = sorted(failed_scheduling(kubectl), key=lambda e: e["firstTimestamp"])
        assert "3 node(s) were unschedulable" in events[0]["message"] and events[0]["count"] == 1
        assert all("node.kubernetes.io/unschedulable" in e["message"] for e in events[1:])
        bound = json.loads(ok(kubectl("get", "pod", "solo", "-o", "json")))
        [now] = [c for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"]
        assert now["status"] == "True"
        return seconds(now["lastTransitionTime"]) - seconds(failed["lastTransitionTime"])


def test_a_retry_waits_for_the_backoff(sandbox, kubectl_bin):
    """v1.32: an event that lets the pod fit moves it to backoffQ while its backoff lasts: it
    is scheduled no sooner than podInitialBackoffSeconds after the failed attempt (here 4 s)."""
    assert _retried(4, pop_from_backoff=False) >= 4


def test_an_idle_scheduler_pops_from_backoff(sandbox, kubectl_bin):
    """SchedulerPopFromBackoffQ (on by default from 1.33): with activeQ empty the pod is
    tried at once, well within its 20 s backoff."""
    assert _retried(20, pop_from_backoff=True) < 20


def test_an_unschedulable_pod_is_retried_after_five_minutes(sandbox, kubectl_bin):
    """flushUnschedulablePodsLeftover: a pod no event concerns is tried again once it has been
    unschedulable for podMaxInUnschedulablePodsDuration (5 min, checked every 30 s)."""
    with own_sandbox() as (sb, kubectl, core):
        run_pod(kubectl, nodeSelector={"example.com/disk": "ssd"})
        unschedulable(core, "default")
        [event] = failed_scheduling(kubectl)
        assert event["count"] == 1
        sb.cluster.clock.advance(240)
        hold(core.list_namespaced_event, lambda events: any(
            e["reason"] == "FailedScheduling" and e.get("count", 1) > 1
            for e in events.values()), namespace="default")
        sb.cluster.clock.advance(95)
        events = wait_for(core.list_namespaced_event, lambda events: any(
            e["reason"] == "FailedScheduling" and e.get("count", 1) == 2
            for e in events.values()), namespace="default")
        [event] = [e for e in events.values() if e["reason"] == "FailedScheduling"]
        assert seconds(event["lastTimestamp"]) - seconds(event["firstTimestamp"]) > 300


# -- kubectl drain ---------------------------------------------------------------------------------

def allowing(api_client, namespace, disruptions):
    """Wait until the budget `web` allows `disruptions` disruptions."""
    from kubernetes import client
    wait_for(client.PolicyV1Api(api_client).list_namespaced_pod_disruption_budget,
             lambda pdbs: (pdbs.get("web", {}).get("status") or {}).get(
                 "disruptionsAllowed") == disruptions, namespace=namespace)


def with_budget(api_client, apps, core, namespace, kubectl, replicas, budget, allowed):
    """A set of `replicas` pods (no claims) and the PodDisruptionBudget `budget` over them,
    once it allows `allowed` disruptions; returns its last pod as served."""
    create(apps, core, namespace, statefulset(replicas=replicas, claims=(),
                                              pod_management="Parallel"))
    settle(apps, namespace, "web", replicas)
    ok(kubectl("apply", "-f", "-", input=json.dumps(budget)))
    allowing(api_client, namespace, allowed)
    return json.loads(ok(kubectl("get", "pod", "web-%d" % (replicas - 1), "-o", "json")))


def drain(kubectl, node, timeout):
    return kubectl("drain", node, "--ignore-daemonsets", "--timeout=" + timeout,
                   namespaced=False, timeout=90)


def test_drain_evicts_through_the_budget_and_the_pod_moves(sandbox, api_client, apps, core,
                                                           namespace, kubectl):
    old = with_budget(api_client, apps, core, namespace, kubectl, 2, pdb(max_unavailable=1), 1)
    node = old["spec"]["nodeName"]
    with restored(kubectl):
        done = drain(kubectl, node, "60s")
        assert done.returncode == 0, done.stderr
        out = done.stdout + done.stderr
        for line in ("node/%s cordoned" % node, "evicting pod %s/web-1" % namespace,
                     "pod/web-1 evicted", "node/%s drained" % node):
            assert line in out.splitlines(), out
        # the StatefulSet makes web-1 again, and the scheduler keeps it off the drained node
        assert running_on(core, namespace, "web-1") != node
        assert uid_of(kubectl, "web-1") != old["metadata"]["uid"]
        assert json.loads(node_cmd(kubectl, "get", "node", node, "-o", "json"))["spec"][
            "unschedulable"] is True
        settle(apps, namespace, "web", 2)
        assert node not in {p.spec.node_name for p in core.list_namespaced_pod(namespace).items}


def test_drain_reports_a_budget_that_allows_no_disruption(sandbox, api_client, apps, core,
                                                          namespace, kubectl):
    old = with_budget(api_client, apps, core, namespace, kubectl, 2, pdb(min_available=2), 0)
    node = old["spec"]["nodeName"]
    with restored(kubectl):
        done = drain(kubectl, node, "6s")
        assert done.returncode == 1
        err = done.stderr
        assert ('error when evicting pods/"web-1" -n "%s" (will retry after 5s): Cannot evict '
                "pod as it would violate the pod's disruption budget." % namespace) in err, err
        assert 'There are pending pods in node "%s" when an error occurred' % node in err, err
        assert 'error when evicting pods/"web-1" -n "%s": global timeout reached: 6s' % (
            namespace) in err, err
        assert uid_of(kubectl, "web-1") == old["metadata"]["uid"]


# -- a node incident, to the end -------------------------------------------------------------------

def test_a_node_incident_plays_to_the_end_without_deleting_a_pod(sandbox, apps, core, namespace,
                                                                 kubectl):
    """The kubelet of web-1's node stops; the taint manager evicts web-1 after its toleration
    (2 s); it stays Terminating; the out-of-service taint clears it; its node-local volume
    keeps the new web-1 Pending on the tainted node; the node comes back and the taint goes;
    web-1 runs there again and every ordinal is Ready, with no pod deleted by hand."""
    toleration = {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                  "tolerationSeconds": 2}
    create(apps, core, namespace, statefulset(
        replicas=3, storage_class="local", pod_management="Parallel",
        pod_spec={"tolerations": [toleration]}))
    settle(apps, namespace, "web", 3)
    old = json.loads(ok(kubectl("get", "pod", "web-1", "-o", "json")))
    node = old["spec"]["nodeName"]
    with restored(kubectl, taints=("node.kubernetes.io/out-of-service",)):
        try:
            node_cmd(kubectl, "annotate", "node", node, STOP)
            nodes = wait_for(core.list_node, lambda nodes: node_ready_is(node, "Unknown")(nodes)
                             and any(t["key"] == UNREACHABLE and t["effect"] == "NoExecute"
                                     for t in nodes[node]["spec"].get("taints") or []),
                             timeout=30)
            pods = wait_for(core.list_namespaced_pod, lambda pods: pods["web-1"]["metadata"].get(
                "deletionTimestamp"), timeout=30, namespace=namespace)
            added = [t["timeAdded"] for t in nodes[node]["spec"]["taints"]
                     if t["key"] == UNREACHABLE and t["effect"] == "NoExecute"][0]
            assert seconds(pods["web-1"]["metadata"]["deletionTimestamp"]) - seconds(added) >= 2
            hold(core.list_namespaced_pod, lambda pods: pods["web-1"]["metadata"]["uid"] !=
                 old["metadata"]["uid"], namespace=namespace)
            assert "Terminating" in ok(kubectl("get", "pod", "web-1"))
            node_cmd(kubectl, "taint", "node", node, OUT_OF_SERVICE)
            pods = wait_for(core.list_namespaced_pod, lambda pods: "web-1" in pods and pods[
                "web-1"]["metadata"]["uid"] != old["metadata"]["uid"] and scheduled(
                pods, "web-1").get("reason") == "Unschedulable", timeout=30, namespace=namespace)
            message = scheduled(pods, "web-1")["message"]
            assert re.fullmatch(
                r"0/3 nodes are available: 1 node\(s\) had untolerated taint "
                r"\{node\.kubernetes\.io/(unreachable: |out-of-service: nodeshutdown)\}, "
                r"2 node\(s\) had volume node affinity conflict\." + re.escape(NO_PREEMPTION),
                message), message
            new_uid = pods["web-1"]["metadata"]["uid"]
        finally:
            kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
        wait_for(core.list_node, lambda nodes: node_ready_is(node, "True")(nodes) and not any(
            t["key"] == UNREACHABLE for t in nodes[node]["spec"].get("taints") or []),
            timeout=30)
        node_cmd(kubectl, "taint", "node", node, "node.kubernetes.io/out-of-service-")
        assert running_on(core, namespace, "web-1", new_uid) == node
        settle(apps, namespace, "web", 3)


@pytest.mark.parametrize("attempts,seconds_", [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
def test_the_backoff_doubles_up_to_its_maximum(attempts, seconds_):
    """calculateBackoffDuration: 1 s doubled per attempt, at most 10 s (the queue itself; the
    integration test above sees its first step through kubectl)."""
    from kubectl_sts_sandbox.schedqueue import QueuedPod, SchedulingQueue
    queue = SchedulingQueue(1.0, 10.0, 300.0, 0.0)
    q = QueuedPod({"metadata": {"uid": "u", "namespace": "ns", "name": "p"}}, 0, 0.0)
    q.attempts = attempts
    assert queue.backoff_duration(q) == seconds_
