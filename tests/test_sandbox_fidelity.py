"""Fidelity of the sandbox to a real v1.32 cluster (issue 12, items 1, 2, 3, 6 and five more
scenarios from Kubernetes' StatefulSet e2e suite, test/e2e/apps/statefulset.go).

Each expectation names the upstream source it was checked against. Everything goes over HTTP,
through the real kubectl where it can show the behaviour, otherwise through the official
client, so the module runs unchanged on kind via KUBECTL_STS_TEST_KUBECONFIG. Waits are
watch-based (helpers.wait_for / hold); nothing sleeps.
"""

import json
import os
from functools import partial
from typing import Any, cast

import pytest

from builders import statefulset
from helpers import hold, merge_patch, pod_ready, wait_for, watch_items

REAL = bool(os.environ.get("KUBECTL_STS_TEST_KUBECONFIG"))
T = 180 if REAL else 20            # how long a wait may take
IMAGE = "nginx:1.27"
FINALIZER = "example.com/test-finalizer"
POD_NAME = "statefulset.kubernetes.io/pod-name"
POD_INDEX = "apps.kubernetes.io/pod-index"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def body(response):
    return json.loads(response.data)


def ok(result):
    assert result.returncode == 0, "kubectl failed (%d):\nstdout: %s\nstderr: %s" % (
        result.returncode, result.stdout, result.stderr)
    return result.stdout


def uid(obj):
    return obj["metadata"]["uid"]


def status(obj):
    return obj.get("status") or {}


def terminating(obj):
    return bool(obj["metadata"].get("deletionTimestamp"))


def healthy(pod):
    return (pod.get("status") or {}).get("phase") == "Running" and pod_ready(pod) and \
        not terminating(pod)


def condition(pod, ctype):
    for cond in status(pod).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return {}


def wait_pods(core, ns, predicate, timeout=T):
    return wait_for(core.list_namespaced_pod, predicate, timeout=timeout, namespace=ns)


def wait_sts(apps, ns, predicate, name="web", timeout=T):
    return wait_for(apps.list_namespaced_stateful_set,
                    lambda items: name in items and predicate(items[name]),
                    timeout=timeout, namespace=ns)[name]


def settle(apps, ns, replicas, name="web"):
    def done(sts):
        st = status(sts)
        return st.get("observedGeneration", 0) >= sts["metadata"].get("generation", 1) and \
            st.get("replicas", 0) == replicas and st.get("readyReplicas", 0) == replicas and \
            st.get("updatedReplicas", 0) == replicas and \
            st.get("currentRevision") == st.get("updateRevision")
    return wait_sts(apps, ns, done, name=name)


def all_healthy(names):
    names = set(names)
    return lambda items: set(items) == names and all(healthy(p) for p in items.values())


def sts_events(core, ns, name="web"):
    return [e for e in body(core.list_namespaced_event(ns, _preload_content=False))["items"]
            if e["involvedObject"].get("kind") == "StatefulSet" and
            e["involvedObject"].get("name") == name]


def add_finalizer(kubectl, name):
    ok(kubectl("patch", "pod", name, "--type=merge",
               "-p", json.dumps({"metadata": {"finalizers": [FINALIZER]}})))


def remove_finalizer(kubectl, name):
    ok(kubectl("patch", "pod", name, "--type=json",
               "-p", '[{"op": "remove", "path": "/metadata/finalizers"}]'))


def table_row(out, name):
    for line in out.splitlines()[1:]:
        if line.split()[0] == name:
            return line.split()
    raise AssertionError("no row %s in:\n%s" % (name, out))


# ---------------------------------------------------------------------------------------------
# item 1: a terminating pod's containers stop; Ready goes False and readyReplicas drops
# ---------------------------------------------------------------------------------------------

def test_a_deleted_pod_held_by_a_finalizer_is_no_longer_ready(kubectl, apps, core, namespace):
    """kubelet.go SyncTerminatingPod: after killPod the status is regenerated with
    podIsTerminal=true, so getPhase gives Succeeded/Failed, the stopped containers are not
    ready (prober_manager.go UpdatePodStatus: not running -> not ready) and
    status/generate.go turns ContainersReady and Ready False (reason PodCompleted/PodFailed).
    stateful_set_control.go computeReplicaStatus counts the pod in replicas (phase set) but
    not in readyReplicas (isRunningAndReady)."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=2, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 2)
    add_finalizer(kubectl, "web-1")
    ok(kubectl("delete", "pod", "web-1", "--wait=false"))

    def stopped(items):
        pod = items.get("web-1")
        return pod is not None and terminating(pod) and \
            status(pod).get("phase") in ("Succeeded", "Failed")
    pod = wait_pods(core, ns, stopped)["web-1"]
    assert condition(pod, "Ready")["status"] == "False"
    assert condition(pod, "ContainersReady")["status"] == "False"
    assert condition(pod, "Ready")["reason"] in ("PodCompleted", "PodFailed")
    [cs] = status(pod)["containerStatuses"]
    assert cs["ready"] is False and cs["started"] is False
    assert set(cs["state"]) == {"terminated"}
    ended = cs["state"]["terminated"]
    if status(pod)["phase"] == "Succeeded":
        assert (ended["exitCode"], ended["reason"]) == (0, "Completed")
    else:
        assert ended["exitCode"] != 0
    assert pod["metadata"]["finalizers"] == [FINALIZER]

    sts = wait_sts(apps, ns, lambda s: status(s).get("readyReplicas", 0) == 1)
    assert status(sts)["replicas"] == 2                # the held pod is still counted
    assert status(sts)["availableReplicas"] == 1
    # printers.go printPod shows "Terminating" only for a non-terminal phase; a terminal pod
    # being deleted shows its container's reason (Completed / Error)
    assert table_row(ok(kubectl("get", "pod", "web-1")), "web-1")[1:3] == [
        "0/1", cs["state"]["terminated"]["reason"]]
    assert table_row(ok(kubectl("get", "sts", "web")), "web")[1] == "1/2"

    # OrderedReady waits for the held pod: it is not replaced while it exists
    hold(core.list_namespaced_pod, lambda items: "web-1" not in items or
         not terminating(items["web-1"]), namespace=ns)
    remove_finalizer(kubectl, "web-1")
    wait_pods(core, ns, lambda items: "web-1" in items and uid(items["web-1"]) != uid(pod) and
              healthy(items["web-1"]))
    settle(apps, ns, 2)


def test_a_pod_in_its_grace_period_stays_ready_until_its_containers_stop(namespace):
    """While the containers still run (within the grace period) a real kubelet keeps them
    ready unless a readiness probe fails (prober_manager.go UpdatePodStatus: ready = running
    && (probe succeeded || no readiness probe)); readiness is not dropped because of the
    deletionTimestamp. Only the stop (kuberuntime killPod) ends readiness. Sandbox-only: it
    needs containers that take 3 s to stop."""
    if REAL:
        pytest.skip("needs a sandbox whose containers take seconds to stop")
    from kubernetes import client, config as kube_config
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    with Sandbox(config=Config(terminate_seconds=3)) as sb:
        configuration = client.Configuration()
        kube_config.load_kube_config(config_file=sb.kubeconfig,
                                     client_configuration=configuration)
        api = client.ApiClient(configuration)
        try:
            apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
            apps.create_namespaced_stateful_set("default", cast(Any, statefulset(  # a dict body
                "web", replicas=1, image=IMAGE, claims=(), grace=30)))
            settle(apps, "default", 1)
            core.delete_namespaced_pod("web-0", "default")
            pod = body(core.read_namespaced_pod("web-0", "default", _preload_content=False))
            assert terminating(pod)
            assert condition(pod, "Ready")["status"] == "True"
            assert status(pod)["containerStatuses"][0]["ready"] is True
            assert "running" in status(pod)["containerStatuses"][0]["state"]
            sts = body(apps.read_namespaced_stateful_set("web", "default",
                                                         _preload_content=False))
            assert status(sts).get("readyReplicas") == 1
            # the stop: the pod goes away (no finalizer); its last state was not ready
            seen = []

            def gone(items):
                if "web-0" in items and uid(items["web-0"]) == uid(pod):
                    seen.append(items["web-0"])
                    return False
                return True
            wait_pods(core, "default", gone)
            assert seen and condition(seen[-1], "Ready")["status"] == "False"
        finally:
            api.close()


# ---------------------------------------------------------------------------------------------
# item 2: foreground deletion keeps status up to date
# ---------------------------------------------------------------------------------------------

def test_foreground_deletion_reports_the_pods_that_remain(kubectl, apps, core, namespace):
    """stateful_set_control.go updateStatefulSet computes the status from the pods before its
    `set.DeletionTimestamp != nil` early return, and performUpdate writes it
    (updateStatefulSetStatus), so a set in foreground deletion reports the pods the garbage
    collector has not removed yet."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=3, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 3)
    add_finalizer(kubectl, "web-1")
    ok(kubectl("delete", "sts", "web", "--cascade=foreground", "--wait=false"))

    wait_pods(core, ns, lambda items: sorted(items) == ["web-1"])
    # the held pod's containers stop too, so it is counted but not ready
    sts = wait_sts(apps, ns, lambda s: status(s).get("replicas") == 1 and
                   status(s).get("readyReplicas", 0) == 0)
    assert terminating(sts) and "foregroundDeletion" in sts["metadata"]["finalizers"]
    assert status(sts).get("availableReplicas", 0) == 0
    assert table_row(ok(kubectl("get", "sts", "web")), "web")[1] == "0/3"

    remove_finalizer(kubectl, "web-1")
    wait_for(apps.list_namespaced_stateful_set, lambda items: not items, timeout=T,
             namespace=ns)
    wait_pods(core, ns, lambda items: not items)


# ---------------------------------------------------------------------------------------------
# item 3: an empty ownerReferences list is never served
# ---------------------------------------------------------------------------------------------

def test_orphaned_pods_have_no_owner_references_field(kubectl, apps, core, namespace):
    """garbagecollector.go orphanDependents patches the owner's reference away; ObjectMeta's
    ownerReferences is `omitempty`, so once the last one is gone the field is omitted."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=1, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 1)
    ok(kubectl("delete", "sts", "web", "--cascade=orphan"))
    pods = wait_pods(core, ns, lambda items: "web-0" in items and
                     not items["web-0"]["metadata"].get("ownerReferences"))
    assert "ownerReferences" not in pods["web-0"]["metadata"]
    out = json.loads(ok(kubectl("get", "pod", "web-0", "-o", "json")))
    assert "ownerReferences" not in out["metadata"]
    assert "ownerReferences" not in ok(kubectl("get", "pod", "web-0", "-o", "yaml"))


def test_a_released_pod_has_no_owner_references_field(kubectl, apps, core, namespace):
    """controller_ref_manager.go ReleasePod patches the controller's reference away when the
    pod stops matching the selector; an empty list is omitted."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=1, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 1)
    before = body(core.read_namespaced_pod("web-0", ns, _preload_content=False))
    ok(kubectl("label", "pod", "web-0", "app=other", "--overwrite"))
    pods = wait_pods(core, ns, lambda items: "web-0" in items and
                     uid(items["web-0"]) == uid(before) and
                     not items["web-0"]["metadata"].get("ownerReferences"))
    assert "ownerReferences" not in pods["web-0"]["metadata"]
    assert "ownerReferences" not in ok(kubectl("get", "pod", "web-0", "-o", "yaml"))
    ok(kubectl("delete", "sts", "web", "--cascade=orphan"))


def test_patching_owner_references_to_an_empty_list_omits_the_field(kubectl, core, namespace):
    """A JSON merge patch `{"metadata":{"ownerReferences":[],"finalizers":[]}}` replaces both
    lists with empty ones, which are omitted (omitempty). A strategic merge patch with the same
    body changes nothing: both lists have patchStrategy merge (types.go ObjectMeta), and
    strategicpatch mergeSlice of an empty patch list keeps the original items."""
    ns = namespace
    core.create_namespaced_service(ns, {"metadata": {"name": "owner"}, "spec": {
        "ports": [{"port": 80}]}})
    owner = body(core.read_namespaced_service("owner", ns, _preload_content=False))
    ref = {"apiVersion": "v1", "kind": "Service", "name": "owner", "uid": uid(owner)}
    core.create_namespaced_service(ns, {"metadata": {
        "name": "dep", "ownerReferences": [ref], "finalizers": [FINALIZER]},
        "spec": {"ports": [{"port": 80}]}})
    empty = json.dumps({"metadata": {"ownerReferences": [], "finalizers": []}})
    out = json.loads(ok(kubectl("patch", "svc", "dep", "-o", "json", "-p", empty)))
    assert out["metadata"]["ownerReferences"] == [ref]          # strategic: unchanged
    assert out["metadata"]["finalizers"] == [FINALIZER]
    out = json.loads(ok(kubectl("patch", "svc", "dep", "--type=merge", "-o", "json",
                                "-p", empty)))
    assert "ownerReferences" not in out["metadata"]
    assert "finalizers" not in out["metadata"]
    got = body(core.read_namespaced_service("dep", ns, _preload_content=False))
    assert "ownerReferences" not in got["metadata"] and "finalizers" not in got["metadata"]


# ---------------------------------------------------------------------------------------------
# item 6: a pod of the wanted name that the set does not own; the pod-index label
# ---------------------------------------------------------------------------------------------

def test_a_foreign_pod_with_the_wanted_name_blocks_creation_without_an_event(
        kubectl, apps, core, namespace):
    """stateful_pod_control.go CreateStatefulPod "sinks" AlreadyExists: it returns the error
    without recordPodEvent, so no FailedCreate event. The claims were created first
    (createPersistentVolumeClaims), with their event. The error makes the sync fail after
    the status is written (performUpdate) and the key is retried with rate-limited backoff
    (stateful_set.go processNextWorkItem: AddRateLimited), which is what creates the pod once
    the foreign one is gone: deleting a pod owned by another controller does not enqueue this
    set (stateful_set.go deletePod resolves the controllerRef)."""
    ns = namespace
    core.create_namespaced_service(ns, {"metadata": {"name": "owner"}, "spec": {
        "ports": [{"port": 80}]}})
    owner = body(core.read_namespaced_service("owner", ns, _preload_content=False))
    core.create_namespaced_pod(ns, {"metadata": {
        "name": "web-0", "labels": {"app": "foreign"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "owner",
                             "uid": uid(owner), "controller": True}]},
        "spec": {"containers": [{"name": "app", "image": IMAGE}],
                 "terminationGracePeriodSeconds": 1}})
    foreign = body(core.read_namespaced_pod("web-0", ns, _preload_content=False))
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=1, image=IMAGE))

    sts = wait_sts(apps, ns, lambda s: status(s).get("observedGeneration") == 1)
    assert status(sts)["replicas"] == 0
    wait_for(core.list_namespaced_event, lambda items: any(
        e["message"] == "create Claim data-web-0 Pod web-0 in StatefulSet web success"
        for e in items.values()), timeout=T, namespace=ns)
    hold(core.list_namespaced_event, lambda items: any(
        e["reason"].startswith("Failed") and e["involvedObject"].get("name") == "web"
        for e in items.values()), namespace=ns)
    pod = body(core.read_namespaced_pod("web-0", ns, _preload_content=False))
    assert uid(pod) == uid(foreign)
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert [e["reason"] for e in sts_events(core, ns)] == ["SuccessfulCreate"]

    ok(kubectl("delete", "pod", "web-0", "--wait=false"))
    pods = wait_pods(core, ns, lambda items: "web-0" in items and
                     uid(items["web-0"]) != uid(foreign) and healthy(items["web-0"]))
    assert pods["web-0"]["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    assert not [e for e in sts_events(core, ns) if e["type"] == "Warning"]


def test_a_removed_pod_index_label_is_not_restored(kubectl, apps, core, namespace):
    """stateful_set_utils.go identityMatches checks the name, namespace and the
    statefulset.kubernetes.io/pod-name label only; updateIdentity (which also writes the
    pod-index label) runs only when that check fails. The scale-up proves the controller
    processed web-0 (processReplica for ordinal 0 precedes the creation of web-1)."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=1, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 1)
    ok(kubectl("label", "pod", "web-0", POD_INDEX + "-"))
    ok(kubectl("scale", "sts", "web", "--replicas=2"))
    pods = wait_pods(core, ns, all_healthy(["web-0", "web-1"]))
    assert POD_INDEX not in pods["web-0"]["metadata"]["labels"]
    assert pods["web-1"]["metadata"]["labels"][POD_INDEX] == "1"
    assert "update Pod web-0 in StatefulSet web successful" not in {
        e["message"] for e in sts_events(core, ns)}

    # drifting the pod-name label does fail identityMatches: updateIdentity restores both
    ok(kubectl("label", "pod", "web-0", POD_NAME + "=other", "--overwrite"))
    pods = wait_pods(core, ns, lambda items: items["web-0"]["metadata"]["labels"].get(POD_NAME)
                     == "web-0")
    assert pods["web-0"]["metadata"]["labels"][POD_INDEX] == "0"


# ---------------------------------------------------------------------------------------------
# five more scenarios from test/e2e/apps/statefulset.go
# ---------------------------------------------------------------------------------------------

# e2estatefulset.NewStatefulSet: a webserver container named "webserver"
e2e_statefulset = partial(statefulset, service="test", claims=(),
                          containers=[{"name": "webserver", "image": IMAGE}])


def test_e2e_should_validate_statefulset_status_endpoints(apps, namespace):
    """[Conformance] "should validate Statefulset Status endpoints": a condition written with
    UpdateStatus and one written with a merge patch of /status are each visible to a watch.
    (The controller would drop them at its next status write: stateful_set_status_updater.go
    UpdateStatefulSetStatus replaces the whole status; it writes only when
    stateful_set_utils.go inconsistentStatus sees a change, which conditions are not.)"""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, e2e_statefulset("ss", 1, pod_labels={"foo": "bar"}))
    settle(apps, ns, 1, name="ss")
    apps.patch_namespaced_stateful_set("ss", ns, {"metadata": {"labels": {"e2e": "testing"}}})
    got = body(apps.read_namespaced_stateful_set_status("ss", ns, _preload_content=False))
    assert got["kind"] == "StatefulSet" and got["status"]["replicas"] == 1
    assert "conditions" not in got["status"]

    current = body(apps.read_namespaced_stateful_set("ss", ns, _preload_content=False))
    current["status"]["conditions"] = [{"type": "StatusUpdate", "status": "True",
                                        "reason": "E2E", "message": "Set from e2e test"}]
    updated = body(apps.replace_namespaced_stateful_set_status("ss", ns, current,
                                                               _preload_content=False))
    assert updated["status"]["conditions"] == current["status"]["conditions"]

    def has(ctype):
        return lambda items: "ss" in items and any(
            c["type"] == ctype for c in status(items["ss"]).get("conditions") or [])
    wait_for(apps.list_namespaced_stateful_set, has("StatusUpdate"), timeout=T, namespace=ns,
             label_selector="e2e=testing")

    patched = merge_patch(apps.patch_namespaced_stateful_set_status, "ss", ns,
                          {"status": {"conditions": [{"type": "StatusPatched", "status": "True"}]}})
    assert patched["status"]["conditions"] == [{"type": "StatusPatched", "status": "True"}]
    items = wait_for(apps.list_namespaced_stateful_set, has("StatusPatched"), timeout=T,
                     namespace=ns, label_selector="e2e=testing")
    assert status(items["ss"])["replicas"] == 1 and items["ss"]["spec"]["replicas"] == 1


def test_e2e_should_list_patch_and_delete_a_collection_of_statefulsets(apps, core, namespace):
    """[Conformance] "should list, patch and delete a collection of StatefulSets". The e2e
    patch is a strategic merge patch whose container list merges by name (the patched
    container comes first: strategicpatch normalizeElementOrder puts patch items before
    server-only ones) and which carries a misspelt field "TerminationGracePeriodSeconds":
    the server drops unknown fields (fieldValidation defaults to Warn), it is not stored."""
    ns = namespace
    selector = "test-ss=patched-" + ns
    labels = {"name": "sample-pod", "pod": "httpd"}
    apps.create_namespaced_stateful_set(ns, e2e_statefulset("test-ss", 1, pod_labels=labels))
    settle(apps, ns, 1, name="test-ss")
    apps.patch_namespaced_stateful_set("test-ss", ns, {
        "metadata": {"labels": {"test-ss": "patched-" + ns}},
        "spec": {"replicas": 2, "template": {"spec": {
            "TerminationGracePeriodSeconds": 1,
            "containers": [{"name": "test-ss", "image": "registry.k8s.io/pause:3.10"}]}}}})
    sts = body(apps.read_namespaced_stateful_set("test-ss", ns, _preload_content=False))
    assert sts["spec"]["replicas"] == 2
    containers = sts["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["test-ss", "webserver"]
    assert containers[0]["image"] == "registry.k8s.io/pause:3.10"
    assert "TerminationGracePeriodSeconds" not in sts["spec"]["template"]["spec"]
    settle(apps, ns, 2, name="test-ss")

    listed = body(apps.list_stateful_set_for_all_namespaces(label_selector=selector,
                                                             _preload_content=False))
    assert [s["metadata"]["name"] for s in listed["items"]] == ["test-ss"]
    apps.delete_collection_namespaced_stateful_set(ns, label_selector=selector,
                                                   grace_period_seconds=1)
    listed = body(apps.list_stateful_set_for_all_namespaces(label_selector=selector,
                                                             _preload_content=False))
    assert listed["items"] == []
    # deletecollection deletes each set in the background: the garbage collector takes the pods
    wait_pods(core, ns, lambda items: not items)


def test_e2e_should_delete_pvcs_after_adopting_pod_when_scaled(kubectl, apps, core, namespace):
    """"Non-retain StatefulSetPersistentVolumeClaimPolicy should delete PVCs after adopting pod
    (WhenScaled)". The e2e "orphans" ss-2 with json.Marshal(ObjectMeta{OwnerReferences: []}),
    which (omitempty) is `{"metadata":{"creationTimestamp":null}}`: a no-op, as here. The pod is
    then orphaned for real and re-adopted before the scale-down, which must delete the claims
    of the condemned pods once those are gone (stateful_pod_control.go
    UpdatePodClaimForRetentionPolicy gives them the pod as owner)."""
    ns = namespace
    labels = {"foo": "bar", "baz": "blah"}
    manifest = e2e_statefulset("ss", 3, pod_labels=labels, claims=("datadir",))
    manifest["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenScaled": "Delete"}
    apps.create_namespaced_stateful_set(ns, manifest)
    settle(apps, ns, 3, name="ss")
    claims = {c.metadata.name for c in core.list_namespaced_persistent_volume_claim(ns).items}
    assert claims == {"datadir-ss-0", "datadir-ss-1", "datadir-ss-2"}

    before = body(core.read_namespaced_pod("ss-2", ns, _preload_content=False))
    after = body(core.patch_namespaced_pod("ss-2", ns, {"metadata": {"creationTimestamp": None}},
                                           _preload_content=False))
    assert after["metadata"]["ownerReferences"] == before["metadata"]["ownerReferences"]
    assert after["metadata"]["creationTimestamp"] == before["metadata"]["creationTimestamp"]
    merge_patch(core.patch_namespaced_pod, "ss-2", ns, {"metadata": {"ownerReferences": None}})
    wait_pods(core, ns, lambda items: (items["ss-2"]["metadata"].get("ownerReferences") or
                                       [{}])[0].get("kind") == "StatefulSet")

    ok(kubectl("scale", "sts", "ss", "--replicas=1"))
    wait_for(core.list_namespaced_persistent_volume_claim,
             lambda items: set(items) == {"datadir-ss-0"}, timeout=T, namespace=ns)
    pods = wait_pods(core, ns, all_healthy(["ss-0"]))
    assert uid(pods["ss-0"]) == uid(body(core.read_namespaced_pod("ss-0", ns,
                                                                  _preload_content=False)))


def test_e2e_should_recreate_evicted_statefulset(core, apps, namespace):
    """[Conformance] "Should recreate evicted statefulset": a pod the kubelet turns Failed
    (there: rejected for a host port; here: the status an eviction writes, phase Failed reason
    Evicted) is deleted by the controller (stateful_set_control.go processReplica: isFailed and
    no deletionTimestamp -> DeleteStatefulPod) and created again with a new uid. The kubelet
    never moves the pod out of the terminal phase (kubelet_pods.go generateAPIPodStatus)."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, e2e_statefulset("ss", 1, pod_labels={"foo": "bar"}))
    settle(apps, ns, 1, name="ss")
    pod = body(core.read_namespaced_pod("ss-0", ns, _preload_content=False))
    since = body(core.list_namespaced_pod(ns, _preload_content=False))["metadata"][
        "resourceVersion"]
    pod["status"].update(phase="Failed", reason="Evicted",
                         message="The node was low on resource: memory.")
    core.replace_namespaced_pod_status("ss-0", ns, pod)

    log = []
    for kind, obj, _ in watch_items(core.list_namespaced_pod, T, resource_version=since,
                                    namespace=ns):
        log.append((kind, obj))
        if obj["metadata"]["name"] == "ss-0" and uid(obj) != uid(pod) and healthy(obj):
            break
    old = [(t, o) for t, o in log if uid(o) == uid(pod)]
    assert old and old[-1][0] == "DELETED", [t for t, _ in old]
    phases = [status(o).get("phase") for _, o in old]
    first_failed = phases.index("Failed")
    assert all(p == "Failed" for p in phases[first_failed:]), phases
    new = [o for t, o in log if uid(o) != uid(pod) and o["metadata"]["name"] == "ss-0"]
    assert new and healthy(new[-1])
    settle(apps, ns, 1, name="ss")


@pytest.mark.parametrize("start, change, before, after", [
    (3, {"start": 2}, ["ss-3", "ss-4"], ["ss-2", "ss-3"]),       # "Decreasing .start.ordinal"
    (3, None, ["ss-3", "ss-4"], ["ss-0", "ss-1"]),               # "Removing .start.ordinal"
])
def test_e2e_scaling_statefulset_start_ordinal(apps, core, namespace, start, change, before,
                                               after):
    """"Scaling StatefulSetStartOrdinal": changing .spec.ordinals.start replaces the pods
    outside the new range; the pods inside it are kept (same uid)."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, e2e_statefulset("ss", 2, pod_labels={"foo": "bar"}))
    apps.patch_namespaced_stateful_set("ss", ns, {"spec": {"ordinals": {"start": start}}})
    pods = wait_pods(core, ns, all_healthy(before))
    settle(apps, ns, 2, name="ss")
    merge_patch(apps.patch_namespaced_stateful_set, "ss", ns, {"spec": {"ordinals": change}})
    new = wait_pods(core, ns, all_healthy(after))
    for name in set(before) & set(after):
        assert uid(new[name]) == uid(pods[name])
    sts = settle(apps, ns, 2, name="ss")
    assert sts["metadata"]["generation"] == 3


def test_unknown_fields_are_refused_by_kubectl_and_dropped_otherwise(kubectl, apps, tmp_path,
                                                                     namespace):
    """What the e2e patch above showed: a real server decodes bodies into its types. kubectl
    sends fieldValidation=Strict (--validate=strict, the default): an unknown field is a 400
    (apiserver handlers: "<Kind> in version "v1" cannot be handled as a <Kind>: strict
    decoding error: unknown field ..."). With --validate=warn each becomes a Warning and is
    dropped; a client that sends no fieldValidation gets Warn."""
    import yaml
    manifest = statefulset("web", replicas=1, image=IMAGE, claims=())
    manifest["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    manifest["spec"]["foo"] = 1
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = kubectl("apply", "-f", str(path))
    assert result.returncode == 1
    assert result.stderr == (
        'Error from server (BadRequest): error when creating "%s": StatefulSet in version "v1" '
        'cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.foo", '
        'unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n' % path)
    assert not apps.list_namespaced_stateful_set(namespace).items

    result = kubectl("create", "-f", str(path), "--validate=warn")
    assert ok(result) == "statefulset.apps/web created\n"
    assert result.stderr == ('Warning: unknown field "spec.foo"\n'
                             'Warning: unknown field '
                             '"spec.template.spec.containers[0].imagePullPolicyy"\n')
    sts = body(apps.read_namespaced_stateful_set("web", namespace, _preload_content=False))
    assert "foo" not in sts["spec"]
    assert "imagePullPolicyy" not in sts["spec"]["template"]["spec"]["containers"][0]
    settle(apps, namespace, 1)


def test_an_evicted_pod_held_by_a_finalizer_keeps_its_phase_and_reason(kubectl, core, apps,
                                                                       namespace):
    """The evicted pod of the scenario above, held by a finalizer: the controller deletes it
    and waits (OrderedReady, terminating); the kubelet stops its containers but keeps the
    terminal phase and its reason (kubelet_pods.go generateAPIPodStatus), and the pod is not
    ready (status/generate.go: PodFailed)."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, e2e_statefulset("ss", 1, pod_labels={"foo": "bar"}))
    settle(apps, ns, 1, name="ss")
    add_finalizer(kubectl, "ss-0")
    pod = body(core.read_namespaced_pod("ss-0", ns, _preload_content=False))
    pod["status"].update(phase="Failed", reason="Evicted",
                         message="The node was low on resource: memory.")
    core.replace_namespaced_pod_status("ss-0", ns, pod)

    def stopped(items):
        p = items.get("ss-0")
        return p is not None and terminating(p) and all(
            "terminated" in cs["state"] for cs in status(p).get("containerStatuses") or [{}])
    held = wait_pods(core, ns, stopped)["ss-0"]
    assert uid(held) == uid(pod)
    assert (status(held)["phase"], status(held)["reason"]) == ("Failed", "Evicted")
    assert status(held)["message"] == "The node was low on resource: memory."
    assert condition(held, "Ready")["status"] == "False"
    assert condition(held, "Ready")["reason"] == "PodFailed"
    # printers.go printPod: a container's terminated reason overrides the pod's reason
    reason = status(held)["containerStatuses"][0]["state"]["terminated"]["reason"]
    assert table_row(ok(kubectl("get", "pod", "ss-0")), "ss-0")[1:3] == ["0/1", reason]
    hold(core.list_namespaced_pod, lambda items: set(items) != {"ss-0"} or
         uid(items["ss-0"]) != uid(pod) or status(items["ss-0"])["phase"] != "Failed",
         namespace=ns)
    remove_finalizer(kubectl, "ss-0")
    wait_pods(core, ns, lambda items: "ss-0" in items and uid(items["ss-0"]) != uid(pod) and
              healthy(items["ss-0"]))


def test_deletecollection_applies_the_delete_options_to_each_item(apps, core, namespace):
    """Found with the deletecollection scenario: the registry's DeleteCollection
    (apiserver registry/generic/registry/store.go) deletes each item with the request's
    DeleteOptions: propagationPolicy Orphan keeps the pods (their ownerReferences go), and
    gracePeriodSeconds=0 removes pods at once instead of gracefully."""
    ns = namespace
    apps.create_namespaced_stateful_set(ns, statefulset("web", replicas=2, image=IMAGE,
                                                        claims=()))
    settle(apps, ns, 2)
    apps.delete_collection_namespaced_stateful_set(ns, propagation_policy="Orphan")
    pods = wait_pods(core, ns, lambda items: len(items) == 2 and not any(
        p["metadata"].get("ownerReferences") for p in items.values()))
    assert all(not terminating(p) for p in pods.values())
    assert not apps.list_namespaced_stateful_set(ns).items

    core.delete_collection_namespaced_pod(ns, grace_period_seconds=0)
    assert body(core.list_namespaced_pod(ns, _preload_content=False))["items"] == []


def test_e2e_should_adopt_matching_orphans_and_release_non_matching_pods(apps, core, namespace):
    """"should adopt matching orphans and release non-matching pods", with the e2e's updates
    (PUT): ownerReferences = nil -> re-adopted (controller_ref_manager.go ClaimObject adopts a
    matching orphan); labels = nil -> released (the field goes: omitempty); labels back ->
    adopted again. The pod keeps its uid throughout."""
    ns = namespace
    sts = apps.create_namespaced_stateful_set(ns, e2e_statefulset(
        "ss", 1, pod_labels={"foo": "bar", "baz": "blah"}))
    settle(apps, ns, 1, name="ss")
    pod = body(core.read_namespaced_pod("ss-0", ns, _preload_content=False))
    [ref] = pod["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"]) == ("StatefulSet", "ss", sts.metadata.uid)

    def owner_is_ss(items):
        refs = items["ss-0"]["metadata"].get("ownerReferences") or []
        return uid(items["ss-0"]) == uid(pod) and [r["uid"] for r in refs] == [ref["uid"]]

    def update(change):
        current = body(core.read_namespaced_pod("ss-0", ns, _preload_content=False))
        change(current["metadata"])
        core.replace_namespaced_pod("ss-0", ns, current)

    update(lambda meta: meta.pop("ownerReferences"))
    wait_pods(core, ns, owner_is_ss)
    labels = pod["metadata"]["labels"]
    update(lambda meta: meta.pop("labels"))
    released = wait_pods(core, ns, lambda items: uid(items["ss-0"]) == uid(pod) and
                         "ownerReferences" not in items["ss-0"]["metadata"])["ss-0"]
    assert "labels" not in released["metadata"]
    update(lambda meta: meta.update(labels=labels))
    wait_pods(core, ns, owner_is_ss)
    # meanwhile the controller's create of ss-0 met the released pod: AlreadyExists, no event
    assert [e["reason"] for e in sts_events(core, ns, "ss")] == ["SuccessfulCreate"]
