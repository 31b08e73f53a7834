"""A node's life as the kubelet and the node lifecycle controller write it, through the real
kubectl: the cordon taint (doNoScheduleTaintingPass), the labels and the four conditions the
kubelet registers, the Lease it renews in kube-node-lease, and the controller judging the node
by that Lease (tryUpdateNodeHealth). The stopped kubelet is sandbox only; the rest runs as
written on a real cluster."""

import json
from datetime import datetime

import pytest

from builders import pod
from helpers import hold, node_ready_is, pod_ready, wait_for

STOP = "sandbox.kubectl-sts.io/kubelet=stopped"
LEASES = "kube-node-lease"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
# pkg/kubelet/nodestatus/setters.go: what a healthy kubelet posts
KUBELET_CONDITIONS = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory",
                       "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}


@pytest.fixture(scope="module")
def coordination(api_client):
    from kubernetes import client
    return client.CoordinationV1Api(api_client)


def _json(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _node(kubectl, name):
    return _json(kubectl("get", "node", name, "-o", "json", namespaced=False))


def _lease(kubectl, name):
    return _json(kubectl("get", "lease", name, "-n", LEASES, "-o", "json", namespaced=False))


def _names(kubectl):
    items = _json(kubectl("get", "nodes", "-o", "json", namespaced=False))["items"]
    return sorted(n["metadata"]["name"] for n in items)


def _a_node(kubectl):
    """The last node by name (sandbox-node-3 on the sandbox)."""
    return _names(kubectl)[-1]


def _conditions(node):
    return {c["type"]: c for c in node["status"]["conditions"]}


def _micro(stamp):
    """A MicroTime (2006-01-02T15:04:05.000000Z) as epoch seconds."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _taints(node, key):
    return [t for t in node["spec"].get("taints") or [] if t["key"] == key]


def _node_events(node, reason, since=""):
    """A wait_for predicate over the Events of namespace default: those of `node` with this
    reason, last seen at or after `since` (an RFC 3339 stamp of the server's)."""
    def check(events):
        return [e for e in events.values() if e["involvedObject"].get("kind") == "Node" and
                e["involvedObject"]["name"] == node and e["reason"] == reason and
                e["lastTimestamp"] >= since]
    return check


def test_cordon_taints_the_node_unschedulable_and_uncordon_removes_the_taint(core, kubectl):
    node = _a_node(kubectl)
    try:
        assert kubectl("cordon", node, namespaced=False).returncode == 0
        wait_for(core.list_node, lambda nodes: _taints(nodes[node], UNSCHEDULABLE), timeout=30)
        doc = _node(kubectl, node)
        assert doc["spec"]["unschedulable"] is True
        [taint] = _taints(doc, UNSCHEDULABLE)
        assert taint["effect"] == "NoSchedule" and "value" not in taint
        assert taint["timeAdded"]           # SwapNodeControllerTaint stamps it
        assert "SchedulingDisabled" in kubectl("get", "node", node, namespaced=False).stdout
        assert UNSCHEDULABLE + ":NoSchedule" in kubectl(
            "describe", "node", node, namespaced=False).stdout
        # the kubelet notices (recordNodeSchedulableEvent)
        events = wait_for(core.list_namespaced_event, _node_events(node, "NodeNotSchedulable"),
                          timeout=30, namespace="default")
        assert ("Node %s status is now: NodeNotSchedulable" % node, "kubelet") in [
            (e["message"], e["source"]["component"])
            for e in _node_events(node, "NodeNotSchedulable")(events)]
    finally:
        assert kubectl("uncordon", node, namespaced=False).returncode == 0
    wait_for(core.list_node, lambda nodes: not _taints(nodes[node], UNSCHEDULABLE), timeout=30)
    doc = _node(kubectl, node)
    assert not doc["spec"].get("unschedulable") and not _taints(doc, UNSCHEDULABLE)
    wait_for(core.list_namespaced_event, _node_events(node, "NodeSchedulable"),
             timeout=30, namespace="default")


def test_a_node_has_the_kubelet_labels_and_conditions_and_describe_shows_its_lease(kubectl):
    node = _a_node(kubectl)
    doc = _node(kubectl, node)
    labels, info = doc["metadata"]["labels"], doc["status"]["nodeInfo"]
    # pkg/kubelet/kubelet_node_status.go initialNode
    assert labels["kubernetes.io/hostname"] == node
    assert labels["kubernetes.io/os"] == labels["beta.kubernetes.io/os"] == \
        info["operatingSystem"]
    assert labels["kubernetes.io/arch"] == labels["beta.kubernetes.io/arch"] == \
        info["architecture"]
    conditions = _conditions(doc)
    for ctype, (status, reason, message) in KUBELET_CONDITIONS.items():
        cond = conditions[ctype]
        assert (cond["status"], cond["reason"]) == (status, reason), cond
        assert cond["message"].startswith(message)      # real nodes may add ". AppArmor ..."
        assert cond["lastHeartbeatTime"] and cond["lastTransitionTime"]
    # the Ready condition comes last (setters.go ReadyCondition)
    assert [c["type"] for c in doc["status"]["conditions"]][-1] == "Ready"
    assert doc["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    described = kubectl("describe", "node", node, namespaced=False)
    assert described.returncode == 0, described.stderr
    text = described.stdout
    assert "Failed to get lease" not in text
    lease = [line.split() for line in text.splitlines()[text.splitlines().index("Lease:"):][1:4]]
    assert lease[0] == ["HolderIdentity:", node]
    assert lease[1] == ["AcquireTime:", "<unset>"]
    assert lease[2][0] == "RenewTime:" and lease[2][1] != "<unset>"
    for ctype, (status, reason, _) in KUBELET_CONDITIONS.items():
        row = [line.split() for line in text.splitlines() if line.split()[:1] == [ctype]]
        assert row and row[0][1] == status and reason in row[0], text
    assert "0001" not in text           # every condition has its times


def test_every_node_has_a_lease_its_kubelet_renews(core, coordination, kubectl):
    nodes = {n["metadata"]["name"]: n for n in
             _json(kubectl("get", "nodes", "-o", "json", namespaced=False))["items"]}
    table = kubectl("get", "lease", "-n", LEASES, namespaced=False)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "HOLDER", "AGE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    for name in nodes:
        assert rows[name][1] == name
    leases = {item["metadata"]["name"]: item for item in _json(kubectl(
        "get", "leases", "-n", LEASES, "-o", "json", namespaced=False))["items"]}
    for name, node in nodes.items():
        lease = leases[name]
        assert lease["apiVersion"] == "coordination.k8s.io/v1" and lease["kind"] == "Lease"
        assert lease["spec"]["holderIdentity"] == name
        assert lease["spec"]["leaseDurationSeconds"] == 40
        assert lease["metadata"]["ownerReferences"] == [{
            "apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}]
    name = sorted(nodes)[0]
    first = leases[name]["spec"]["renewTime"]
    wait_for(coordination.list_namespaced_lease,
             lambda items: items[name]["spec"]["renewTime"] != first, timeout=60,
             namespace=LEASES)
    assert _micro(_lease(kubectl, name)["spec"]["renewTime"]) > _micro(first)


def test_a_stopped_kubelet_stops_renewing_its_lease_and_the_node_goes_unknown_then_back(
        sandbox, core, coordination, namespace, kubectl):
    names = _names(kubectl)
    node, other = names[-1], names[0]
    done = kubectl("apply", "-f", "-", input=json.dumps(pod("pinned", image="nginx:1.27",
                                                            node=node)))
    assert done.returncode == 0, done.stderr
    wait_for(core.list_namespaced_pod, lambda pods: pod_ready(pods["pinned"]), timeout=30,
             namespace=namespace)
    try:
        assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
        nodes = wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)
        # tryUpdateNodeHealth: every kubelet condition Unknown, in the controller's words
        for ctype, cond in _conditions(_node(kubectl, node)).items():
            assert (cond["status"], cond["reason"], cond["message"]) == (
                "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."), ctype
        ready = _conditions(nodes[node])["Ready"]
        renewed = _lease(kubectl, node)["spec"]["renewTime"]
        # the controller gave up on the node after its last renewal (server timestamps)
        assert int(_micro(renewed)) <= _micro(ready["lastTransitionTime"])
        # the stopped kubelet renews no more while the others go on
        other_before = _lease(kubectl, other)["spec"]["renewTime"]
        hold(coordination.list_namespaced_lease,
             lambda items: items[node]["spec"]["renewTime"] != renewed, namespace=LEASES)
        assert _micro(_lease(kubectl, other)["spec"]["renewTime"]) > _micro(other_before)
        described = kubectl("describe", "node", node, namespaced=False).stdout
        assert "Kubelet stopped posting node status." in described
        assert "Failed to get lease" not in described
        # RecordNodeStatusChange
        events = wait_for(core.list_namespaced_event, _node_events(
            node, "NodeNotReady", ready["lastTransitionTime"]), timeout=30, namespace="default")
        assert ("Node %s status is now: NodeNotReady" % node, "node-controller") in [
            (e["message"], e["source"]["component"]) for e in _node_events(
                node, "NodeNotReady", ready["lastTransitionTime"])(events)]
        # MarkPodsNotReady: the pod's Ready condition only, and a Warning on the pod
        pinned = _json(kubectl("get", "pod", "pinned", "-o", "json"))
        pod_conditions = {c["type"]: c["status"] for c in pinned["status"]["conditions"]}
        assert (pod_conditions["Ready"], pod_conditions["ContainersReady"]) == ("False", "True")
        warnings = _json(kubectl("get", "events", "--field-selector",
                                 "involvedObject.name=pinned,reason=NodeNotReady", "-o",
                                 "json"))["items"]
        assert [(e["type"], e["message"], e["source"]["component"]) for e in warnings] == [
            ("Warning", "Node is not ready", "node-controller")]
    finally:
        kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    wait_for(core.list_node, node_ready_is(node, "True", untainted=True), timeout=30)
    wait_for(coordination.list_namespaced_lease,
             lambda items: _micro(items[node]["spec"]["renewTime"]) > _micro(renewed),
             timeout=30, namespace=LEASES)
    conditions = _conditions(_node(kubectl, node))
    for ctype, (status, reason, message) in KUBELET_CONDITIONS.items():
        assert (conditions[ctype]["status"], conditions[ctype]["reason"],
                conditions[ctype]["message"]) == (status, reason, message)
    # the kubelet's ReadyCondition setter records the transition
    events = wait_for(core.list_namespaced_event, _node_events(
        node, "NodeReady", ready["lastTransitionTime"]), timeout=30, namespace="default")
    assert ("Node %s status is now: NodeReady" % node, "kubelet") in [
        (e["message"], e["source"]["component"])
        for e in _node_events(node, "NodeReady", ready["lastTransitionTime"])(events)]
    wait_for(core.list_namespaced_pod, lambda pods: pod_ready(pods["pinned"]), timeout=30,
             namespace=namespace)
