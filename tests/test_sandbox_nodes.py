"""Nodes that fail on the sandbox, through the real kubectl: a stopped kubelet (sandbox only),
the node lifecycle controller's Unknown and unreachable taints, pods stuck Terminating, the
out-of-service taint (KEP-2268), zonal and node-local volumes."""

import json

from helpers import create_settled, node_ready_is, pod_ready, wait_for

STOP = "sandbox.kubectl-sts.io/kubelet=stopped"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"


def _set(apps, core, namespace, storage_class=None, replicas=3):
    create_settled(apps, core, namespace, replicas=replicas, pod_management="Parallel",
                   storage_class=storage_class)


def _node_of(core, namespace, pod):
    return core.read_namespaced_pod(pod, namespace).spec.node_name


def _node(kubectl, name):
    return json.loads(kubectl("get", "node", name, "-o", "json", namespaced=False).stdout)


def _restore(kubectl, node):
    kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    kubectl("taint", "node", node, "node.kubernetes.io/out-of-service-", namespaced=False)


def test_a_stopped_kubelet_leaves_a_deleted_pod_terminating_until_out_of_service(
        sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    node = _node_of(core, namespace, "web-0")
    try:
        assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
        wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)
        doc = _node(kubectl, node)
        assert {(t["key"], t["effect"]) for t in doc["spec"]["taints"]} == {
            ("node.kubernetes.io/unreachable", "NoSchedule"),
            ("node.kubernetes.io/unreachable", "NoExecute")}
        ready = [c for c in doc["status"]["conditions"] if c["type"] == "Ready"][0]
        assert ready["reason"] == "NodeStatusUnknown"
        assert ready["message"] == "Kubelet stopped posting node status."
        assert "NotReady" in kubectl("get", "node", node, namespaced=False).stdout
        pod = core.read_namespaced_pod("web-0", namespace)
        assert [c.status for c in pod.status.conditions if c.type == "Ready"] == ["False"]
        # deleted, it stays Terminating: no kubelet confirms it
        assert kubectl("delete", "pod", "web-0", "--wait=false").returncode == 0
        wait_for(core.list_namespaced_pod, lambda pods: pods["web-0"]["metadata"].get(
            "deletionTimestamp"), timeout=30, namespace=namespace)
        table = kubectl("get", "pod", "web-0").stdout
        assert "Terminating" in table
        # the non-graceful shutdown taint: pod GC force-deletes it, the set makes it again on
        # another node of the zone (the volume is zonal)
        assert kubectl("taint", "node", node, OUT_OF_SERVICE, namespaced=False).returncode == 0
        pods = wait_for(core.list_namespaced_pod, lambda pods: "web-0" in pods and
                        pods["web-0"]["metadata"]["uid"] != pod.metadata.uid and
                        pod_ready(pods["web-0"]), timeout=60, namespace=namespace)
        assert pods["web-0"]["spec"]["nodeName"] != node
    finally:
        _restore(kubectl, node)
    wait_for(core.list_node, node_ready_is(node, "True", untainted=True), timeout=30)


def test_a_node_local_volume_pins_its_pod(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace, storage_class="local", replicas=1)
    node = _node_of(core, namespace, "web-0")
    claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
    pv = json.loads(kubectl("get", "pv", claim.spec.volume_name, "-o", "json",
                            namespaced=False).stdout)
    expr = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert (expr["key"], expr["values"]) == ("kubernetes.io/hostname", [node])
    try:
        kubectl("annotate", "node", node, STOP, namespaced=False)
        kubectl("taint", "node", node, OUT_OF_SERVICE, namespaced=False)
        wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)
        pods = wait_for(core.list_namespaced_pod, lambda pods: any(
            c.get("reason") == "Unschedulable"
            for c in ((pods.get("web-0") or {}).get("status") or {}).get("conditions") or []),
            timeout=60, namespace=namespace)
        message = [c for c in pods["web-0"]["status"]["conditions"]
                   if c["type"] == "PodScheduled"][0]["message"]
        assert "1 node(s) had untolerated taint {node.kubernetes.io/out-of-service: " \
            "nodeshutdown}" in message or "untolerated taint" in message
        assert "2 node(s) had volume node affinity conflict" in message
    finally:
        _restore(kubectl, node)


def test_zonal_volumes_follow_the_node_zone(apps, core, namespace, kubectl):
    _set(apps, core, namespace, replicas=1)
    node = _node(kubectl, _node_of(core, namespace, "web-0"))
    claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
    pv = json.loads(kubectl("get", "pv", claim.spec.volume_name, "-o", "json",
                            namespaced=False).stdout)
    expr = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert (expr["key"], expr["values"]) == (
        "topology.kubernetes.io/zone", [node["metadata"]["labels"]["topology.kubernetes.io/zone"]])
