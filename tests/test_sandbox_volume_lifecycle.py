"""The lifecycle of claims and volumes, through the real kubectl: the protection finalizers
(StorageObjectInUseProtection admission, the pvc-protection and pv-protection controllers)
and the PV controller's reclaim (Bound -> Released, then Delete or Retain). Everything here
runs as written on a real cluster whose default class provisions volumes with reclaim
policy Delete (the sandbox's `standard`, kind's `standard`)."""

import json
import uuid

import pytest

from builders import claim, pod, storage_class, volume
from helpers import hold, wait_for

PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"


def _get(kubectl, *args, namespaced=True):
    done = kubectl("get", *args, "-o", "json", namespaced=namespaced)
    return json.loads(done.stdout) if done.returncode == 0 else None


def _apply(kubectl, *objects, namespaced=True):
    for obj in objects:
        done = kubectl("apply", "-f", "-", input=json.dumps(obj), namespaced=namespaced)
        assert done.returncode == 0, done.stderr


def _bound(kubectl, core, namespace, name="data", class_name=None, pod_name="user"):
    """A claim `name` (of `class_name`, or the default class) and a pod using it, running;
    returns the name of the PV the claim is bound to."""
    body = claim(name, storage_class=class_name)
    _apply(kubectl, body, pod(pod_name, image="nginx:1.27", claims=[name]))
    claims = wait_for(core.list_namespaced_persistent_volume_claim, lambda items: (
        items.get(name) or {}).get("status", {}).get("phase") == "Bound", timeout=60,
        namespace=namespace)
    return claims[name]["spec"]["volumeName"]


def _gone(core, pv):
    wait_for(core.list_persistent_volume, lambda pvs: pv not in pvs, timeout=60)


def test_claims_and_volumes_carry_their_protection_finalizers(kubectl, core, namespace):
    pv = _bound(kubectl, core, namespace)
    # the claim's story: no consumer yet, then the external provisioner makes the volume
    events = {e["reason"]: e for e in _get(kubectl, "events", "--field-selector",
                                           "involvedObject.name=data")["items"]}
    assert {"WaitForFirstConsumer", "ExternalProvisioning", "Provisioning",
            "ProvisioningSucceeded"} <= set(events)
    assert events["WaitForFirstConsumer"]["message"] == \
        "waiting for first consumer to be created before binding"
    assert events["ProvisioningSucceeded"]["message"] == "Successfully provisioned volume " + pv
    assert events["Provisioning"]["message"] == \
        'External provisioner is provisioning volume for claim "%s/data"' % namespace
    assert _get(kubectl, "pvc", "data")["metadata"]["finalizers"] == [PVC_PROTECTION]
    provisioned = _get(kubectl, "pv", pv, namespaced=False)
    assert provisioned["metadata"]["finalizers"] == [PV_PROTECTION]
    assert provisioned["status"]["phase"] == "Bound"
    assert provisioned["status"]["lastPhaseTransitionTime"]    # GA in 1.31
    # a volume made by hand: the finalizer from admission, Available from the PV controller
    name = "pv-%s" % uuid.uuid4().hex[:10]
    made = volume(name, policy="Retain")
    made["spec"].update(capacity={"storage": "1Gi"}, accessModes=["ReadWriteOnce"],
                        hostPath={"path": "/tmp/" + name})
    _apply(kubectl, made, namespaced=False)
    try:
        pvs = wait_for(core.list_persistent_volume, lambda pvs: (pvs.get(name) or {}).get(
            "status", {}).get("phase") == "Available", timeout=30)
        assert pvs[name]["metadata"]["finalizers"] == [PV_PROTECTION]
        assert pvs[name]["status"]["lastPhaseTransitionTime"]
    finally:
        kubectl("delete", "pv", name, "--wait=false", namespaced=False)
    # an unbound volume is not in use: deleting it removes it
    _gone(core, name)


def test_a_claim_made_after_its_pod_waits_for_the_pod_to_be_scheduled(kubectl, core,
                                                                       namespace):
    _apply(kubectl, pod("user", image="nginx:1.27", claims=["data"]))
    _apply(kubectl, claim("data"))
    wait_for(core.list_namespaced_persistent_volume_claim, lambda items: (
        items.get("data") or {}).get("status", {}).get("phase") == "Bound", timeout=60,
        namespace=namespace)
    reasons = {e["reason"]: e["message"] for e in _get(
        kubectl, "events", "--field-selector", "involvedObject.name=data")["items"]}
    assert reasons.get("WaitForPodScheduled") == "waiting for pod user to be scheduled"


def test_a_claim_in_use_stays_terminating_until_its_pod_is_gone(kubectl, core, namespace):
    pv = _bound(kubectl, core, namespace)
    # a pod counts as long as it exists and is scheduled, even once it has failed
    # (pvc_protection_controller.go podUsesPVC: no phase check; only unscheduled pods and
    # force-deleted ephemeral users are ignored)
    done = kubectl("patch", "pod", "user", "--subresource=status", "--type=merge", "-p",
                   json.dumps({"status": {"phase": "Failed"}}))
    assert done.returncode == 0, done.stderr
    assert kubectl("delete", "pvc", "data", "--wait=false").returncode == 0
    hold(core.list_namespaced_persistent_volume_claim, lambda items: "data" not in items,
         namespace=namespace)
    row = kubectl("get", "pvc", "data", "--no-headers").stdout.split()
    assert row[:2] == ["data", "Terminating"]
    assert _get(kubectl, "pvc", "data")["metadata"]["finalizers"] == [PVC_PROTECTION]
    # the volume stays Bound to the terminating claim
    assert _get(kubectl, "pv", pv, namespaced=False)["status"]["phase"] == "Bound"
    assert kubectl("delete", "pod", "user", "--wait=false").returncode == 0
    wait_for(core.list_namespaced_persistent_volume_claim, lambda items: "data" not in items,
             timeout=60, namespace=namespace)
    # reclaim policy Delete: the PV controller deletes the volume and pv-protection lets go
    _gone(core, pv)


def test_a_pruned_claim_with_reclaim_delete_takes_its_volume_away(kubectl, core, namespace):
    pv = _bound(kubectl, core, namespace)
    assert _get(kubectl, "pv", pv, namespaced=False)["spec"][
        "persistentVolumeReclaimPolicy"] == "Delete"
    assert kubectl("delete", "pod", "user").returncode == 0
    assert kubectl("delete", "pvc", "data").returncode == 0     # waits until it is gone
    _gone(core, pv)


def test_a_bound_volume_deleted_by_hand_waits_for_its_claim(kubectl, core, namespace):
    pv = _bound(kubectl, core, namespace)
    assert kubectl("delete", "pv", pv, "--wait=false", namespaced=False).returncode == 0
    # pv_protection_controller.go isBeingUsed: a Bound volume keeps its finalizer
    hold(core.list_persistent_volume, lambda pvs: pv not in pvs)
    held = _get(kubectl, "pv", pv, namespaced=False)
    assert held["metadata"]["deletionTimestamp"] and held["status"]["phase"] == "Bound"
    assert kubectl("get", "pv", pv, "--no-headers", namespaced=False).stdout.split()[4] == \
        "Terminating"
    assert kubectl("delete", "pod", "user", "--wait=false").returncode == 0
    assert kubectl("delete", "pvc", "data", "--wait=false").returncode == 0
    _gone(core, pv)


@pytest.fixture
def retain_class(kubectl, core):
    """A StorageClass like the default one but with reclaimPolicy Retain."""
    default = [sc for sc in _get(kubectl, "storageclass", namespaced=False)["items"]
               if (sc["metadata"].get("annotations") or {}).get(
                   "storageclass.kubernetes.io/is-default-class") == "true"][0]
    name = "retain-%s" % uuid.uuid4().hex[:8]
    _apply(kubectl, storage_class(name, provisioner=default["provisioner"], reclaim="Retain",
                                  binding=default.get("volumeBindingMode")), namespaced=False)
    yield name
    kubectl("delete", "storageclass", name, namespaced=False)


def test_with_reclaim_retain_the_volume_stays_released(kubectl, core, namespace, retain_class):
    pv = _bound(kubectl, core, namespace, class_name=retain_class)
    bound = _get(kubectl, "pv", pv, namespaced=False)
    try:
        assert kubectl("delete", "pod", "user").returncode == 0
        assert kubectl("delete", "pvc", "data").returncode == 0
        pvs = wait_for(core.list_persistent_volume, lambda pvs: pvs[pv]["status"][
            "phase"] == "Released", timeout=60)
        hold(core.list_persistent_volume, lambda pvs: pv not in pvs or pvs[pv][
            "metadata"].get("deletionTimestamp") or pvs[pv]["status"]["phase"] != "Released")
        released = pvs[pv]
        # the claim reference stays (pv_controller.go reclaimVolume: Retain, nothing to do)
        assert released["spec"]["claimRef"]["uid"] == bound["spec"]["claimRef"]["uid"]
        assert released["status"]["lastPhaseTransitionTime"] >= \
            bound["status"]["lastPhaseTransitionTime"]
        row = kubectl("get", "pv", pv, "--no-headers", namespaced=False).stdout.split()
        assert row[3:6] == ["Retain", "Released", "%s/data" % namespace]
        # a released volume is not in use: deleting it by hand removes it
        assert kubectl("delete", "pv", pv, "--wait=false", namespaced=False).returncode == 0
        _gone(core, pv)
    finally:
        kubectl("delete", "pv", pv, "--wait=false", namespaced=False)
