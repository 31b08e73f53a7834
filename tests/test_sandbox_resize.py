"""Volume expansion on the sandbox, as on a v1.32 cluster with an expandable CSI class: the
admission plugin's 403, validation's 422, the resizer's and the kubelet's conditions, events
and capacities, and no pod restart. Through the real kubectl where a user would type it.
The failure switch and the class without expansion are the sandbox's."""

import json

from helpers import create_settled, hold, wait_for

GROW = json.dumps({"spec": {"resources": {"requests": {"storage": "2Gi"}}}})


def _set(apps, core, namespace, replicas=1, storage_class=None):
    create_settled(apps, core, namespace, replicas=replicas, pod_management="Parallel",
                   storage_class=storage_class)


def _claim(kubectl, name="data-web-0"):
    out = kubectl("get", "pvc", name, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _reasons(kubectl, name="data-web-0"):
    out = kubectl("get", "events", "--field-selector", "involvedObject.name=%s" % name,
                  "-o", "json")
    return [e["reason"] for e in sorted(json.loads(out.stdout)["items"],
                                        key=lambda e: e["metadata"]["name"])]


def _capacity_reaches(core, namespace, name, size, timeout=30):
    return wait_for(core.list_namespaced_persistent_volume_claim,
                    lambda items: name in items and ((items[name].get("status") or {})
                                                     .get("capacity") or {}).get("storage")
                    == size, timeout=timeout, namespace=namespace)[name]


def test_a_claim_grows_online_without_a_pod_restart(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    pod_before = json.loads(kubectl("get", "pod", "web-0", "-o", "json").stdout)
    seen = []
    # watch the claim as the resizer and the kubelet move it along
    out = kubectl("patch", "pvc", "data-web-0", "-p", GROW)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "persistentvolumeclaim/data-web-0 patched"

    def progress(items):
        claim = items.get("data-web-0") or {}
        status = claim.get("status") or {}
        seen.append(((status.get("allocatedResourceStatuses") or {}).get("storage"),
                     tuple(c["type"] for c in status.get("conditions") or [])))
        return (status.get("capacity") or {}).get("storage") == "2Gi"
    claim = wait_for(core.list_namespaced_persistent_volume_claim, progress, timeout=30,
                     namespace=namespace)["data-web-0"]
    assert ("ControllerResizeInProgress", ("Resizing",)) in seen
    assert ("NodeResizePending", ("FileSystemResizePending",)) in seen
    assert claim["status"]["allocatedResources"] == {"storage": "2Gi"}
    assert "allocatedResourceStatuses" not in claim["status"]
    assert not claim["status"].get("conditions")
    pv = json.loads(kubectl("get", "pv", claim["spec"]["volumeName"], "-o", "json",
                            namespaced=False).stdout)
    assert pv["spec"]["capacity"]["storage"] == "2Gi"
    assert _reasons(kubectl)[-3:] == ["Resizing", "FileSystemResizeRequired",
                                       "FileSystemResizeSuccessful"]
    pod_after = json.loads(kubectl("get", "pod", "web-0", "-o", "json").stdout)
    assert pod_after["metadata"]["uid"] == pod_before["metadata"]["uid"]
    assert pod_after["status"]["containerStatuses"][0]["restartCount"] == 0
    table = kubectl("get", "pvc", "data-web-0")
    assert "2Gi" in table.stdout.splitlines()[1]


def test_a_class_without_expansion_is_refused_by_admission(sandbox, apps, core, namespace,
                                                         kubectl):
    _set(apps, core, namespace, storage_class="fixed")
    out = kubectl("patch", "pvc", "data-web-0", "-p", GROW)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        'Error from server (Forbidden): persistentvolumeclaims "data-web-0" is forbidden: only '
        'dynamically provisioned pvc can be resized and the storageclass that provisions the '
        'pvc must support resize')
    assert _claim(kubectl)["spec"]["resources"]["requests"]["storage"] == "1Gi"


def test_a_request_at_or_below_the_capacity_is_invalid(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    out = kubectl("patch", "pvc", "data-web-0", "-p", json.dumps(
        {"spec": {"resources": {"requests": {"storage": "512Mi"}}}}))
    assert out.returncode == 1
    assert out.stderr.strip() == (
        'The PersistentVolumeClaim "data-web-0" is invalid: spec.resources.requests.storage: '
        'Forbidden: field can not be less than status.capacity')


def test_a_failing_resize_is_reported_and_can_be_taken_back(sandbox, apps, core, namespace,
                                                          kubectl):
    _set(apps, core, namespace)
    assert kubectl("annotate", "pvc", "data-web-0",
                   "sandbox.kubectl-sts.io/resize=fail").returncode == 0
    assert kubectl("patch", "pvc", "data-web-0", "-p", GROW).returncode == 0
    claim = wait_for(core.list_namespaced_persistent_volume_claim,
                     lambda items: ((items.get("data-web-0", {}).get("status") or {})
                                    .get("allocatedResourceStatuses") or {}).get("storage")
                     == "ControllerResizeInfeasible", timeout=30,
                     namespace=namespace)["data-web-0"]
    assert claim["status"]["capacity"]["storage"] == "1Gi"
    events = json.loads(kubectl("get", "events", "--field-selector",
                                "reason=VolumeResizeFailed", "-o", "json").stdout)["items"]
    assert len(events) == 1 and events[0]["type"] == "Warning"
    assert "OutOfRange" in events[0]["message"]
    # RecoverVolumeExpansionFailure: the request may go back down (above the capacity)
    assert kubectl("patch", "pvc", "data-web-0", "-p", json.dumps(
        {"spec": {"resources": {"requests": {"storage": "1536Mi"}}}})).returncode == 0


def test_without_a_running_pod_the_file_system_waits(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    assert kubectl("scale", "sts", "web", "--replicas=0").returncode == 0
    wait_for(core.list_namespaced_pod, lambda pods: not pods, timeout=60, namespace=namespace)
    assert kubectl("patch", "pvc", "data-web-0", "-p", GROW).returncode == 0
    claim = wait_for(core.list_namespaced_persistent_volume_claim,
                     lambda items: ((items.get("data-web-0", {}).get("status") or {})
                                    .get("allocatedResourceStatuses") or {}).get("storage")
                     == "NodeResizePending", timeout=30, namespace=namespace)["data-web-0"]
    pending = [c for c in claim["status"]["conditions"] if c["type"] == "FileSystemResizePending"]
    assert pending and pending[0]["message"].startswith("Waiting for user to (re-)start a pod")
    assert claim["status"]["capacity"]["storage"] == "1Gi"
    assert kubectl("scale", "sts", "web", "--replicas=1").returncode == 0
    _capacity_reaches(core, namespace, "data-web-0", "2Gi")


def test_kubectl_describe_shows_the_conditions(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    kubectl("scale", "sts", "web", "--replicas=0")
    wait_for(core.list_namespaced_pod, lambda pods: not pods, timeout=60, namespace=namespace)
    kubectl("patch", "pvc", "data-web-0", "-p", GROW)
    wait_for(core.list_namespaced_persistent_volume_claim,
             lambda items: ((items.get("data-web-0", {}).get("status") or {})
                            .get("allocatedResourceStatuses") or {}).get("storage")
             == "NodeResizePending", timeout=30, namespace=namespace)
    out = kubectl("describe", "pvc", "data-web-0")
    assert out.returncode == 0, out.stderr
    assert "FileSystemResizePending" in out.stdout
    assert "FileSystemResizeRequired" in out.stdout


def _resource_status(items, name="data-web-0"):
    return ((items.get(name, {}).get("status") or {}).get("allocatedResourceStatuses") or {}) \
        .get("storage")


def test_an_offline_only_driver_refuses_the_mounted_volume_until_the_pod_starts_again(
        sandbox, apps, core, namespace, kubectl):
    """The kubelet tries the running pod's volume once: FailedPrecondition, recorded on the
    claim as NodeResizeError, and not retried while the volume stays mounted; a new pod
    expands it at mount, which clears every resize condition."""
    _set(apps, core, namespace)
    uid = json.loads(kubectl("get", "pod", "web-0", "-o", "json").stdout)["metadata"]["uid"]
    assert kubectl("annotate", "pvc", "data-web-0",
                   "sandbox.kubectl-sts.io/resize=offline").returncode == 0
    assert kubectl("patch", "pvc", "data-web-0", "-p", GROW).returncode == 0
    claim = wait_for(core.list_namespaced_persistent_volume_claim,
                     lambda items: _resource_status(items) == "NodeResizeInProgress",
                     timeout=30, namespace=namespace)["data-web-0"]
    conditions = {c["type"]: c for c in claim["status"]["conditions"]}
    assert set(conditions) == {"FileSystemResizePending", "NodeResizeError"}
    assert conditions["NodeResizeError"]["status"] == "True"
    assert conditions["NodeResizeError"]["message"].startswith(
        "failed to expand pvc with Expander.NodeExpand failed to expand the volume : rpc "
        "error: code = FailedPrecondition desc = ")
    assert conditions["NodeResizeError"]["lastTransitionTime"]
    assert claim["status"]["capacity"]["storage"] == "1Gi"
    assert _reasons(kubectl)[-2:] == ["Resizing", "FileSystemResizeRequired"]
    described = kubectl("describe", "pvc", "data-web-0")
    assert "NodeResizeError" in described.stdout
    pod = json.loads(kubectl("get", "pod", "web-0", "-o", "json").stdout)
    assert pod["metadata"]["uid"] == uid
    assert kubectl("delete", "pod", "web-0").returncode == 0
    claim = _capacity_reaches(core, namespace, "data-web-0", "2Gi", timeout=60)
    assert not claim["status"].get("conditions")
    assert "allocatedResourceStatuses" not in claim["status"]
    assert _reasons(kubectl)[-1] == "FileSystemResizeSuccessful"


def test_a_stopped_kubelet_grows_no_file_system(sandbox, apps, core, namespace, kubectl):
    _set(apps, core, namespace)
    node = json.loads(kubectl("get", "pod", "web-0", "-o", "json").stdout)["spec"]["nodeName"]
    stop = kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet=stopped",
                   namespaced=False)
    assert stop.returncode == 0, stop.stderr
    try:
        assert kubectl("patch", "pvc", "data-web-0", "-p", GROW).returncode == 0
        wait_for(core.list_namespaced_persistent_volume_claim,
                 lambda items: _resource_status(items) == "NodeResizePending", timeout=30,
                 namespace=namespace)
        # nothing moves the claim on while that kubelet is away (watched for HOLD seconds,
        # many times Config.resize_seconds)
        hold(core.list_namespaced_persistent_volume_claim,
             lambda items: _resource_status(items) != "NodeResizePending", namespace=namespace)
        assert _claim(kubectl)["status"]["capacity"]["storage"] == "1Gi"
    finally:
        kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    _capacity_reaches(core, namespace, "data-web-0", "2Gi")
