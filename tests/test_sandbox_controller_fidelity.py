"""The StatefulSet controller's bookkeeping as v1.32 keeps it, read the way a user reads it
(`kubectl get -o json`, `kubectl get events`), and done through the real kubectl: the claims'
owner references under persistentVolumeClaimRetentionPolicy (stateful_pod_control.go
UpdateStatefulPod, UpdatePodClaimForRetentionPolicy, createMissingPersistentVolumeClaims;
stateful_set_utils.go isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod), the pods it
builds (updateStorage) and fixes, the events it records, its revision history
(stateful_set.go adoptOrphanRevisions, history.CreateControllerRevision) and its status
(updateStatefulSet's currentReplicas). Nothing here needs the sandbox's internals: every
test runs as written on a real cluster (KUBECTL_STS_TEST_KUBECONFIG)."""

import json
import os

from builders import service, statefulset
from helpers import hold, pod_ready, settle, wait_for

REAL = bool(os.environ.get("KUBECTL_STS_TEST_KUBECONFIG"))
T = 180 if REAL else 20
CONFLICT = ("PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a manging "
            "controller, the retention policy is ignored for this claim")


# -- helpers --------------------------------------------------------------------------------------

def ok(done):
    assert done.returncode == 0, done.stderr
    return done


def get(kubectl, *what):
    return json.loads(ok(kubectl("get", *what, "-o", "json")).stdout)


def apply(kubectl, obj):
    ok(kubectl("apply", "-f", "-", input=json.dumps(obj)))


def patch(kubectl, kind, name, body, kind_of_patch="merge"):
    ok(kubectl("patch", kind, name, "--type=" + kind_of_patch, "-p", json.dumps(body)))


def create_set(kubectl, manifest):
    apply(kubectl, service(manifest["metadata"]["name"],
                           selector=manifest["spec"]["selector"]["matchLabels"]))
    apply(kubectl, manifest)


def set_ref(sts, controller=True):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": sts["metadata"]["name"],
            "uid": sts["metadata"]["uid"], "controller": controller, "blockOwnerDeletion": True}


def refs(obj):
    return obj["metadata"].get("ownerReferences")


def claims_are(core, ns, wanted):
    """Wait until each named claim's ownerReferences are as wanted (None: no field)."""
    return wait_for(core.list_namespaced_persistent_volume_claim,
                    lambda items: all(n in items and refs(items[n]) == r
                                      for n, r in wanted.items()), timeout=T, namespace=ns)


def set_events(kubectl, name="web"):
    """The set's events as `kubectl get events` serves them."""
    return [e for e in get(kubectl, "events")["items"]
            if e["involvedObject"].get("kind") == "StatefulSet" and
            e["involvedObject"].get("name") == name]


def wait_events(core, ns, predicate, name="web"):
    """Wait (watching) until predicate(messages of the set's events) holds."""
    wait_for(core.list_namespaced_event, lambda items: predicate(
        {e["message"] for e in items.values() if e["involvedObject"].get("kind") ==
         "StatefulSet" and e["involvedObject"].get("name") == name}), timeout=T, namespace=ns)


def poke(kubectl, name="web", value="1"):
    """An update of the set that changes nothing it controls: the controller syncs it."""
    ok(kubectl("annotate", "statefulset", name, "example.com/poke=" + value, "--overwrite"))


# -- claims: persistentVolumeClaimRetentionPolicy --------------------------------------------------

def test_e2e_should_not_delete_pvcs_when_there_is_another_controller(kubectl, apps, core,
                                                                     namespace):
    # test/e2e/apps/statefulset.go "Non-retain StatefulSetPersistentVolumeClaimPolicy should
    # not delete PVCs when there is another controller"
    ns = namespace
    create_set(kubectl, statefulset("ss", replicas=4, claims=("datadir",)))
    settle(apps, ns, "ss", 4, timeout=T)
    names = ["datadir-ss-%d" % i for i in range(4)]
    ok(kubectl("create", "configmap", "random-owner"))
    cm = get(kubectl, "configmap", "random-owner")
    external = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "random-owner",
                 "uid": cm["metadata"]["uid"]}]
    patch(kubectl, "pvc", names[1], {"metadata": {"ownerReferences": external}})
    stale = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "unknown",
              "uid": "9d86d6ae-4e06-4ff1-bc55-f77f52e272e9", "controller": True,
              "blockOwnerDeletion": True}]
    patch(kubectl, "pvc", names[3], {"metadata": {"ownerReferences": stale,
                                                  "finalizers": ["keep-with/stale-ref"]}})
    try:
        claims_are(core, ns, {names[1]: external, names[3]: stale})
        patch(kubectl, "statefulset", "ss", {"spec": {"persistentVolumeClaimRetentionPolicy": {
            "whenDeleted": "Delete"}}})
        sts = get(kubectl, "statefulset", "ss")
        ours = [set_ref(sts)]
        # claim 1's external owner is neither its pod nor its set: it gets the set's too
        claims_are(core, ns, {names[0]: ours, names[1]: external + ours, names[2]: ours,
                              names[3]: stale})

        patch(kubectl, "pvc", names[0], {"metadata": {"ownerReferences": [
            set_ref(sts, controller=False)]}})
        patch(kubectl, "statefulset", "ss", {"spec": {"persistentVolumeClaimRetentionPolicy": {
            "whenDeleted": "Delete", "whenScaled": "Delete"}}})
        # hasNonControllerOwner: a reference to the set that is not the controller is fixed
        claims_are(core, ns, {names[0]: ours})

        ok(kubectl("delete", "statefulset", "ss", "--wait=false"))
        left = wait_for(core.list_namespaced_persistent_volume_claim,
                        lambda items: set(items) == {names[1], names[3]}, timeout=T,
                        namespace=ns)
        assert refs(left[names[1]]) == external
    finally:
        patch(kubectl, "pvc", names[3], {"metadata": {"finalizers": None}})


def test_fixing_the_claims_of_a_pod_is_an_update_of_the_pod(kubectl, apps, core, namespace):
    # UpdateStatefulPod: claims not matching the policy dirty the pod: the claims are fixed,
    # the (unchanged) pod is PUT and "update Pod ... successful" recorded, once per pod
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=2))
    settle(apps, ns, "web", 2, timeout=T)
    before = {p["metadata"]["name"]: p["metadata"]["resourceVersion"]
              for p in get(kubectl, "pods")["items"]}
    patch(kubectl, "statefulset", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {
        "whenDeleted": "Delete"}}})
    sts = get(kubectl, "statefulset", "web")
    claims_are(core, ns, {"data-web-0": [set_ref(sts)], "data-web-1": [set_ref(sts)]})
    wanted = {"update Pod web-0 in StatefulSet web successful",
              "update Pod web-1 in StatefulSet web successful"}
    wait_events(core, ns, lambda messages: wanted <= messages)
    for event in set_events(kubectl):
        if event["message"] in wanted:
            assert (event["type"], event["reason"]) == ("Normal", "SuccessfulUpdate")
    # the PUT of an unchanged pod writes nothing
    assert {p["metadata"]["name"]: p["metadata"]["resourceVersion"]
            for p in get(kubectl, "pods")["items"]} == before

    patch(kubectl, "statefulset", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {
        "whenDeleted": "Retain"}}})
    claims_are(core, ns, {"data-web-0": None, "data-web-1": None})


def test_our_reference_beside_another_controller_is_removed_with_a_warning(
        kubectl, apps, core, namespace):
    # UpdatePodClaimForRetentionPolicy: hasUnexpectedController records ConflictingController;
    # updateClaimOwnerRefForSetAndPod scrubs the set's reference and adds none
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=1, retention={"whenDeleted": "Delete"}))
    settle(apps, ns, "web", 1, timeout=T)
    sts = get(kubectl, "statefulset", "web")
    claims_are(core, ns, {"data-web-0": [set_ref(sts)]})
    ok(kubectl("create", "configmap", "other"))
    cm = get(kubectl, "configmap", "other")
    theirs = {"apiVersion": "v1", "kind": "ConfigMap", "name": "other",
              "uid": cm["metadata"]["uid"], "controller": True}
    patch(kubectl, "pvc", "data-web-0", {"metadata": {"ownerReferences": [
        set_ref(sts, controller=False), theirs]}})
    poke(kubectl)
    claims_are(core, ns, {"data-web-0": [theirs]})
    message = CONFLICT % "data-web-0"
    wait_events(core, ns, lambda messages: message in messages and
                "update Pod web-0 in StatefulSet web successful" in messages)
    warning = [e for e in set_events(kubectl) if e["message"] == message][0]
    assert (warning["type"], warning["reason"]) == ("Warning", "ConflictingController")


def test_the_claims_of_a_pending_pod_get_their_owner_references(kubectl, apps, core,
                                                                namespace):
    # createMissingPersistentVolumeClaims runs UpdatePodClaimForRetentionPolicy for a Pending
    # pod on every sync (with no event): the claim follows the policy before the pod runs
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=1, storage_class="no-such-class"))
    wait_for(core.list_namespaced_pod, lambda items: "web-0" in items, timeout=T, namespace=ns)
    patch(kubectl, "statefulset", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {
        "whenDeleted": "Delete"}}})
    sts = get(kubectl, "statefulset", "web")
    claims_are(core, ns, {"data-web-0": [set_ref(sts)]})
    assert get(kubectl, "pod", "web-0")["status"]["phase"] == "Pending"
    assert not any(e["reason"] == "SuccessfulUpdate" for e in set_events(kubectl))


# -- pods ----------------------------------------------------------------------------------------

def test_the_claims_volumes_come_before_the_templates_volumes(kubectl, apps, namespace):
    # updateStorage: the claims' volumes, then the pod's others
    manifest = statefulset("web", replicas=1, claims=("data", "logs"),
                           pod_spec={"volumes": [{"name": "cfg", "emptyDir": {}}]})
    create_set(kubectl, manifest)
    settle(apps, namespace, "web", 1, timeout=T)
    volumes = get(kubectl, "pod", "web-0")["spec"]["volumes"]
    names = [v["name"] for v in volumes]
    assert set(names[:2]) == {"data", "logs"} and names[2] == "cfg", names
    assert volumes[names.index("logs")]["persistentVolumeClaim"] == {"claimName": "logs-web-0"}


def test_an_adopted_pod_without_the_claim_volume_fails_its_update(kubectl, apps, core,
                                                                  namespace):
    # processReplica -> UpdateStatefulPod: storageMatches is false, the missing claim is
    # created, and the PUT of the pod with the claim's volume is refused (pod spec volumes
    # are immutable): Warning FailedUpdate with the API's error
    ns = namespace
    apply(kubectl, {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "web-0", "labels": {"app": "web"}},
                    "spec": {"terminationGracePeriodSeconds": 1,
                             "containers": [{"name": "app", "image": "nginx:1.27"}]}})
    wait_for(core.list_namespaced_pod, lambda items: pod_ready(items.get("web-0") or {}),
             timeout=T, namespace=ns)
    create_set(kubectl, statefulset("web", replicas=1))
    prefix = ("update Pod web-0 in StatefulSet web failed error: Pod \"web-0\" is invalid: "
              "spec: Forbidden: pod updates may not change fields other than ")
    wait_events(core, ns, lambda messages: any(m.startswith(prefix) for m in messages) and
                "create Claim data-web-0 Pod web-0 in StatefulSet web success" in messages)
    failed = [e for e in set_events(kubectl) if e["message"].startswith(prefix)][0]
    assert (failed["type"], failed["reason"]) == ("Warning", "FailedUpdate")
    pod = get(kubectl, "pod", "web-0")
    assert [r["name"] for r in refs(pod)] == ["web"]
    assert "volumes" not in pod["spec"] or all(v["name"] != "data" for v in pod["spec"]["volumes"])


def test_claims_being_deleted_are_all_named_in_the_failed_create(kubectl, apps, core,
                                                                 namespace):
    # createPersistentVolumeClaims aggregates the error of every claim: "[a, b]" (upstream
    # ranges over a map, so either order)
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=1, claims=("data", "logs")))
    settle(apps, ns, "web", 1, timeout=T)
    for claim in ("data-web-0", "logs-web-0"):
        patch(kubectl, "pvc", claim, [{"op": "add", "path": "/metadata/finalizers/-",
                                       "value": "example.com/hold"}], "json")
    try:
        ok(kubectl("delete", "pvc", "data-web-0", "logs-web-0", "--wait=false"))
        ok(kubectl("delete", "pod", "web-0", "--wait=false"))
        a, b = "pvc data-web-0 is being deleted", "pvc logs-web-0 is being deleted"
        wanted = {"create Pod web-0 in StatefulSet web failed error: [%s, %s]" % pair
                  for pair in ((a, b), (b, a))}
        wait_events(core, ns, lambda messages: bool(wanted & messages))
        failed = [e for e in set_events(kubectl) if e["message"] in wanted][0]
        assert (failed["type"], failed["reason"]) == ("Warning", "FailedCreate")
    finally:
        for claim in ("data-web-0", "logs-web-0"):
            kubectl("patch", "pvc", claim, "--type=json", "-p", json.dumps(
                [{"op": "remove", "path": "/metadata/finalizers"}]))


# -- status ----------------------------------------------------------------------------------------

def test_deleting_a_pod_of_a_third_revision_takes_one_from_current_replicas(
        kubectl, apps, namespace):
    # updateStatefulSet: status.CurrentReplicas-- for every pod deleted for the update,
    # whatever its revision: web-2 at an older update revision is deleted, and the status
    # written then counts 2 pods at the current revision minus 1
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=3, claims=(), partition=2))
    current = settle(apps, ns, "web", 3, timeout=T)["status"]["currentRevision"]
    patch(kubectl, "statefulset", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.27-alpine"}]}}}})
    second = wait_for(apps.list_namespaced_stateful_set, lambda items: (
        items["web"]["status"].get("updatedReplicas") == 1 and
        items["web"]["status"].get("readyReplicas") == 3 and
        items["web"]["status"]["updateRevision"] != current), timeout=T, namespace=ns)
    rv = second["web"]["metadata"]["resourceVersion"]
    patch(kubectl, "statefulset", "web", {"spec": {
        "updateStrategy": {"rollingUpdate": {"partition": 0}},
        "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}})
    from helpers import watch_items
    third = None
    for _, obj, _items in watch_items(apps.list_namespaced_stateful_set, T,
                                      resource_version=rv, namespace=ns):
        status = (obj or {}).get("status") or {}
        if status.get("updateRevision") not in (None, current,
                                                second["web"]["status"]["updateRevision"]):
            third = status
            break
    assert third is not None
    assert third["currentRevision"] == current
    assert third.get("currentReplicas") == 1 and third.get("updatedReplicas", 0) == 0, third


# -- revisions -----------------------------------------------------------------------------------

def test_a_revision_that_stops_matching_the_selector_keeps_its_owner(kubectl, apps, namespace):
    # adoptOrphanRevisions adopts; nothing releases a revision (ListControllerRevisions only
    # leaves out what the selector no longer matches)
    ns = namespace
    create_set(kubectl, statefulset("web", replicas=1, claims=()))
    sts = settle(apps, ns, "web", 1, timeout=T)
    revision = sts["status"]["updateRevision"]
    ok(kubectl("label", "controllerrevision", revision, "app=other", "--overwrite"))
    poke(kubectl)
    hold(apps.list_namespaced_controller_revision,
         lambda items: refs(items[revision]) != [set_ref(sts)], namespace=ns)
    assert refs(get(kubectl, "controllerrevision", revision)) == [set_ref(sts)]
    assert get(kubectl, "statefulset", "web")["status"]["updateRevision"] == revision


def test_a_name_collision_renames_the_revision_and_keeps_the_first_hash_label(
        kubectl, apps, namespace):
    # NewControllerRevision labels the hash of the collision count the sync started with;
    # CreateControllerRevision then renames the revision while the name is taken by other
    # data, and status.collisionCount counts the collisions
    ns = namespace
    probe = statefulset("probe", replicas=0, claims=(), pod_labels={"app": "web"})
    create_set(kubectl, probe)
    taken = wait_for(apps.list_namespaced_stateful_set,
                     lambda items: (items["probe"].get("status") or {}).get("updateRevision"),
                     timeout=T, namespace=ns)["probe"]["status"]["updateRevision"]
    first_hash = taken[len("probe-"):]
    apply(kubectl, {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": "web-" + first_hash},
                    "data": {"spec": {"template": {"$patch": "replace"}}}, "revision": 1})
    create_set(kubectl, statefulset("web", replicas=1, claims=()))
    sts = settle(apps, ns, "web", 1, timeout=T)
    name = sts["status"]["updateRevision"]
    assert name != "web-" + first_hash
    assert sts["status"]["collisionCount"] == 1
    revision = get(kubectl, "controllerrevision", name)
    assert revision["metadata"]["labels"] == {"app": "web",
                                              "controller.kubernetes.io/hash": first_hash}
    assert refs(revision) == [set_ref(sts)]
    assert not refs(get(kubectl, "controllerrevision", "web-" + first_hash))
    assert get(kubectl, "pod", "web-0")["metadata"]["labels"]["controller-revision-hash"] == name
