"""NoExecute taints on the sandbox, through the real kubectl: the default tolerations every pod
gets at admission (DefaultTolerationSeconds), and the taint eviction controller deleting the
pods that do not tolerate a taint, or no longer (tolerationSeconds). The stopped kubelet is
sandbox only; the rest runs as written on a real cluster."""

import json

from builders import pod, statefulset
from helpers import create, hold, node_ready_is, pod_ready, settle, wait_for

STOP = "sandbox.kubectl-sts.io/kubelet=stopped"
DRAIN = "example.com/drain=now:NoExecute"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def _set(apps, core, namespace, tolerations=None, replicas=2):
    manifest = statefulset(replicas=replicas, claims=(), pod_management="Parallel")
    if tolerations:
        manifest["spec"]["template"]["spec"]["tolerations"] = tolerations
    create(apps, core, namespace, manifest)
    settle(apps, namespace, "web", replicas)


def _pod(kubectl, name):
    done = kubectl("get", "pod", name, "-o", "json")
    return json.loads(done.stdout) if done.returncode == 0 else None


def _events(kubectl):
    done = kubectl("get", "events", "--field-selector", "reason=TaintManagerEviction", "-o",
                   "json")
    return [e["message"] for e in json.loads(done.stdout)["items"]]


def _ready_elsewhere(old_uid, node):
    def check(pods):
        pod = pods.get("web-0")
        return pod is not None and pod["metadata"]["uid"] != old_uid and \
            pod["spec"].get("nodeName") != node and pod_ready(pod)
    return check


def _seconds(stamp):
    from datetime import datetime
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").timestamp()


def test_every_pod_gets_the_default_tolerations_unless_it_has_its_own(
        apps, core, namespace, kubectl):
    _set(apps, core, namespace, replicas=1)
    assert _pod(kubectl, "web-0")["spec"]["tolerations"] == [
        {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}]
    own = {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
           "tolerationSeconds": 5}
    done = kubectl("apply", "-f", "-", input=json.dumps(pod(
        "solo", image="nginx:1.27", spec={"tolerations": [own]})))
    assert done.returncode == 0, done.stderr
    assert _pod(kubectl, "solo")["spec"]["tolerations"] == [own, {
        "key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]


def test_a_noexecute_taint_evicts_the_pods_that_do_not_tolerate_it(
        apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    old = _pod(kubectl, "web-0")
    node = old["spec"]["nodeName"]
    try:
        assert kubectl("taint", "node", node, DRAIN, namespaced=False).returncode == 0
        wait_for(core.list_namespaced_pod, _ready_elsewhere(old["metadata"]["uid"], node),
                 timeout=60, namespace=namespace)
        assert "Marking for deletion Pod %s/web-0" % namespace in _events(kubectl)
    finally:
        kubectl("taint", "node", node, "example.com/drain-", namespaced=False)


def test_a_dead_node_evicts_its_pods_after_their_toleration_and_they_stay_terminating(
        apps, core, namespace, kubectl):
    seconds = 3
    _set(apps, core, namespace, tolerations=[{"key": UNREACHABLE, "operator": "Exists",
                                              "effect": "NoExecute",
                                              "tolerationSeconds": seconds}])
    old = _pod(kubectl, "web-0")
    node = old["spec"]["nodeName"]
    try:
        assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
        # the controller writes the Unknown status, then the taints (node_lifecycle_controller.go)
        nodes = wait_for(core.list_node, lambda nodes: node_ready_is(node, "Unknown")(nodes) and
                         any(t["key"] == UNREACHABLE and t["effect"] == "NoExecute"
                             for t in nodes[node]["spec"].get("taints") or []), timeout=30)
        # within the toleration the pod is only NotReady
        assert not _pod(kubectl, "web-0")["metadata"].get("deletionTimestamp")
        pods = wait_for(core.list_namespaced_pod, lambda pods: pods["web-0"]["metadata"].get(
            "deletionTimestamp"), timeout=30, namespace=namespace)
        # on the server's clock (whole seconds): deleted no sooner than the toleration after
        # the taint; the deletionTimestamp adds the pod's grace period (1 s) on top
        added = [t["timeAdded"] for t in nodes[node]["spec"]["taints"]
                 if t["key"] == UNREACHABLE and t["effect"] == "NoExecute"][0]
        assert _seconds(pods["web-0"]["metadata"]["deletionTimestamp"]) - _seconds(added) >= \
            seconds
        disruption = [c for c in pods["web-0"]["status"]["conditions"]
                      if c["type"] == "DisruptionTarget"]
        assert [(c["status"], c["reason"], c["message"]) for c in disruption] == [
            ("True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")]
        assert "Marking for deletion Pod %s/web-0" % namespace in _events(kubectl)
        # no kubelet confirms the delete: it stays Terminating, and its ordinal is down
        hold(core.list_namespaced_pod, lambda pods: pods.get("web-0", {}).get(
            "metadata", {}).get("uid") != old["metadata"]["uid"], namespace=namespace)
        assert "Terminating" in kubectl("get", "pod", "web-0").stdout
        assert _pod(kubectl, "web-0")["metadata"]["uid"] == old["metadata"]["uid"]
    finally:
        kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    # the kubelet back, the delete completes and the set makes the ordinal again
    wait_for(core.list_namespaced_pod, lambda pods: "web-0" in pods and
             pods["web-0"]["metadata"]["uid"] != old["metadata"]["uid"], timeout=60,
             namespace=namespace)
    wait_for(core.list_node, node_ready_is(node, "True", untainted=True), timeout=30)


def test_a_scheduled_eviction_is_cancelled_when_the_node_comes_back(
        apps, core, namespace, kubectl):
    _set(apps, core, namespace, tolerations=[{"key": UNREACHABLE, "operator": "Exists",
                                              "effect": "NoExecute",
                                              "tolerationSeconds": 60}])
    old = _pod(kubectl, "web-0")
    node = old["spec"]["nodeName"]
    try:
        assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
        wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)
    finally:
        kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    wait_for(core.list_node, node_ready_is(node, "True", untainted=True), timeout=30)
    cancelled = "Cancelling deletion of Pod %s/web-0" % namespace
    wait_for(core.list_namespaced_event, lambda events: any(
        e["reason"] == "TaintManagerEviction" and e["message"] == cancelled
        for e in events.values()), timeout=30, namespace=namespace)
    assert cancelled in _events(kubectl)
    pod = _pod(kubectl, "web-0")
    assert pod["metadata"]["uid"] == old["metadata"]["uid"]
    assert not pod["metadata"].get("deletionTimestamp")
