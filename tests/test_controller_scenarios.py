"""StatefulSet controller scenarios, asserted as a user sees them: pods (names, labels,
ownerReferences, uids), PVCs, ControllerRevisions, StatefulSet status and events.

The reference is shared/docs/statefulset-semantics.md (sections 1-6). Every test talks to the
cluster through the official client only and fails things the way a real cluster does too
(image `registry.invalid/nope:1`, command `sh -c "exit 1"`, readinessProbe exec `false`), so
they also run on kind via KUBECTL_STS_TEST_KUBECONFIG. Waits are watch-based; orderings are
proven from the recorded watch event stream. Tests that need a sandbox-only feature (the
MaxUnavailableStatefulSet gate, a fast clock) start a Sandbox of their own and are skipped on a
real cluster.
"""

import contextlib
import json
import os
import time
from typing import Any, Dict, List, Tuple

import pytest
from kubernetes import client, watch

import helpers
from builders import service, statefulset
from helpers import hold, merge_patch, pod_ready, sts_settled, wait_for

REAL = bool(os.environ.get("KUBECTL_STS_TEST_KUBECONFIG"))
T = 180 if REAL else 20          # how long a wait may take
REVISION = "controller-revision-hash"
POD_NAME = "statefulset.kubernetes.io/pod-name"
POD_INDEX = "apps.kubernetes.io/pod-index"
IMAGE = "nginx:1.27"
IMAGE2 = "nginx:1.27-alpine"
BAD_IMAGE = "registry.invalid/nope:1"
NEVER_READY = {"exec": {"command": ["false"]}, "periodSeconds": 1}

sandbox_only = pytest.mark.skipif(REAL, reason="needs a sandbox of its own "
                                               "(KUBECTL_STS_TEST_KUBECONFIG is set)")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def body(response):
    return json.loads(response.data)


def create(apps, ns, manifest):
    apps.create_namespaced_stateful_set(ns, manifest)


def get_sts(apps, ns, name="web"):
    return body(apps.read_namespaced_stateful_set(name, ns, _preload_content=False))


def patch_sts(apps, ns, patch, name="web"):
    merge_patch(apps.patch_namespaced_stateful_set, name, ns, patch)


def set_image(apps, ns, image, name="web"):
    patch_sts(apps, ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": image}]}}}}, name)


def status(sts):
    return sts.get("status") or {}


def snapshot(list_fn, **kwargs):
    """A listing now, as (resourceVersion, items by name): the point a watch log starts from."""
    listing = body(list_fn(_preload_content=False, **kwargs))
    return (listing["metadata"]["resourceVersion"],
            {o["metadata"]["name"]: o for o in listing["items"]})


def pods_now(core, ns):
    return {p["metadata"]["name"]: p
            for p in body(core.list_namespaced_pod(ns, _preload_content=False))["items"]}


def claims_now(core, ns):
    return {c["metadata"]["name"]: c for c in body(
        core.list_namespaced_persistent_volume_claim(ns, _preload_content=False))["items"]}


def revisions_now(apps, ns):
    return {r["metadata"]["name"]: r for r in body(
        apps.list_namespaced_controller_revision(ns, _preload_content=False))["items"]}


def uid(obj):
    return obj["metadata"]["uid"]


def rev(pod):
    return (pod["metadata"].get("labels") or {}).get(REVISION)


def terminating(pod):
    return bool(pod["metadata"].get("deletionTimestamp"))


def running_ready(pod):
    return (pod.get("status") or {}).get("phase") == "Running" and pod_ready(pod)


def healthy(pod):
    return running_ready(pod) and not terminating(pod)


def waiting_reason(pod):
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            return waiting.get("reason")
    return None


def wait_pods(core, ns, predicate, timeout=T):
    return wait_for(core.list_namespaced_pod, predicate, timeout=timeout, namespace=ns)


def wait_sts(apps, ns, predicate, timeout=T, name="web"):
    return wait_for(apps.list_namespaced_stateful_set, predicate, timeout=timeout,
                    namespace=ns)[name]


def settle(apps, ns, replicas, name="web"):
    """Wait until the set is observed, all `replicas` pods are ready and updated, and
    currentRevision == updateRevision. Returns the StatefulSet."""
    return wait_sts(apps, ns, sts_settled(name, replicas), name=name)


def all_healthy(names, revision=None):
    """Predicate on pods: exactly `names` exist, all Running&Ready, not terminating (and at
    `revision` if given)."""
    names = set(names)

    def check(items):
        return set(items) == names and all(
            healthy(p) and (revision is None or rev(p) == revision) for p in items.values())
    return check


def watch_log(list_fn, since, predicate, timeout=T, **kwargs):
    """Watch list_fn from the snapshot `since` (replaying every event after it) until
    predicate(items) holds. Returns (items, log): items maps name -> object, log is every
    ADDED/MODIFIED/DELETED event in order as (type, object)."""
    rv, items = since[0], dict(since[1])
    log: List[Tuple[str, Dict[str, Any]]] = []
    if predicate(items):
        return items, log
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("timed out watching; last state: %s"
                                 % sorted(items))
        w = watch.Watch()
        for event in w.stream(list_fn, resource_version=rv, _preload_content=False,
                              timeout_seconds=max(1, int(remaining)), **kwargs):
            obj = event["raw_object"]
            if event["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            rv = obj["metadata"]["resourceVersion"]
            log.append((event["type"], obj))
            if event["type"] == "DELETED":
                items.pop(obj["metadata"]["name"], None)
            else:
                items[obj["metadata"]["name"]] = obj
            if predicate(items):
                w.stop()
                return items, log


def first(log, cond, start=0):
    """Index of the first (type, obj) in log[start:] with cond(type, obj), or None."""
    for i in range(start, len(log)):
        if cond(*log[i]):
            return i
    return None


def deletion_started(log, pod_uid):
    """Index of the first event showing the pod with this uid terminating or gone."""
    return first(log, lambda t, o: uid(o) == pod_uid and (t == "DELETED" or terminating(o)))


def became_ready(log, name, not_uid=None):
    """Index of the first event of pod `name` (not of uid not_uid) that is Running&Ready."""
    return first(log, lambda t, o: o["metadata"]["name"] == name and t != "DELETED" and
                 uid(o) != not_uid and running_ready(o))


def added(log, name, not_uid=None):
    return first(log, lambda t, o: t == "ADDED" and o["metadata"]["name"] == name and
                 uid(o) != not_uid)


def sts_events(core, ns, predicate, name="web"):
    """Wait for the events about StatefulSet `name` to satisfy predicate(list of events)."""
    def check(items):
        return predicate([e for e in items.values()
                          if e["involvedObject"].get("kind") == "StatefulSet" and
                          e["involvedObject"].get("name") == name])
    items = wait_for(core.list_namespaced_event, check, namespace=ns)
    return [e for e in items.values() if e["involvedObject"].get("kind") == "StatefulSet"]


def pod_events(core, ns, pod_name, predicate):
    def mine(items):
        return [e for e in items.values() if e["involvedObject"].get("kind") == "Pod" and
                e["involvedObject"].get("name") == pod_name]
    return mine(wait_for(core.list_namespaced_event, lambda items: predicate(mine(items)),
                         namespace=ns))


def messages(events, etype=None):
    return {e["message"] for e in events if etype is None or e.get("type") == etype}


@contextlib.contextmanager
def own_sandbox(**settings):
    """A Sandbox of this test's own with Config(**settings); yields (apps, core, namespace)."""
    with helpers.own_sandbox(**settings) as (_, api):
        yield client.AppsV1Api(api), client.CoreV1Api(api), "default"


# ---------------------------------------------------------------------------------------------
# 1. identity
# ---------------------------------------------------------------------------------------------

def test_identity_of_pods_claims_and_revision(apps, core, namespace):
    ns = namespace
    core.create_namespaced_service(ns, service("web"))
    create(apps, ns, statefulset("web", replicas=2, image=IMAGE))
    sts = settle(apps, ns, 2)
    st = status(sts)
    revision = st["updateRevision"]
    assert st["currentRevision"] == revision and revision.startswith("web-")
    assert st["replicas"] == 2 and st["readyReplicas"] == 2 and st["availableReplicas"] == 2
    assert st["currentReplicas"] == 2 and st["updatedReplicas"] == 2
    assert st["observedGeneration"] == sts["metadata"]["generation"]
    assert st.get("collisionCount") == 0
    assert "conditions" not in st

    pods = pods_now(core, ns)
    assert sorted(pods) == ["web-0", "web-1"]
    for ordinal in (0, 1):
        name = "web-%d" % ordinal
        pod = pods[name]
        meta = pod["metadata"]
        assert meta["labels"] == {"app": "web", REVISION: revision, POD_NAME: name,
                                  POD_INDEX: str(ordinal)}
        assert meta.get("generateName") == "web-"
        assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                            "name": "web", "uid": uid(sts), "controller": True,
                                            "blockOwnerDeletion": True}]
        assert pod["spec"]["hostname"] == name
        assert pod["spec"]["subdomain"] == "web"
        # created through the API like any pod: the API server's defaults are applied
        assert pod["spec"]["enableServiceLinks"] is True
        assert pod["spec"]["restartPolicy"] == "Always"
        volumes = [v for v in pod["spec"]["volumes"] if v["name"] == "data"]
        assert len(volumes) == 1
        assert volumes[0]["persistentVolumeClaim"]["claimName"] == "data-%s" % name
        assert not volumes[0]["persistentVolumeClaim"].get("readOnly")

    claims = claims_now(core, ns)
    assert sorted(claims) == ["data-web-0", "data-web-1"]
    for claim in claims.values():
        assert claim["metadata"]["labels"] == {"app": "web"}     # selector labels, no hash
        assert not claim["metadata"].get("ownerReferences")      # Retain/Retain
        assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"

    revs = revisions_now(apps, ns)
    assert list(revs) == [revision]
    cr = revs[revision]
    assert cr["revision"] == 1
    hash_ = revision[len("web-"):]
    assert cr["metadata"]["labels"] == {"app": "web", "controller.kubernetes.io/hash": hash_}
    assert cr["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                  "name": "web", "uid": uid(sts),
                                                  "controller": True,
                                                  "blockOwnerDeletion": True}]
    template = cr["data"]["spec"]["template"]
    assert list(cr["data"]) == ["spec"] and list(cr["data"]["spec"]) == ["template"]
    assert template["$patch"] == "replace"
    assert template["spec"]["containers"][0]["image"] == IMAGE
    assert template["metadata"]["labels"] == {"app": "web"}

    wanted = {"create Pod web-0 in StatefulSet web successful",
              "create Pod web-1 in StatefulSet web successful",
              "create Claim data-web-0 Pod web-0 in StatefulSet web success",
              "create Claim data-web-1 Pod web-1 in StatefulSet web success"}
    events = sts_events(core, ns, lambda evs: wanted <= messages(evs))
    for e in events:
        if e["message"] in wanted:
            assert e["reason"] == "SuccessfulCreate" and e["type"] == "Normal"
            assert e["involvedObject"]["uid"] == uid(sts)


def test_claim_labels_merge_template_labels_with_the_selector(apps, core, namespace):
    manifest = statefulset("web", replicas=1, image=IMAGE)
    manifest["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] = {"tier": "db",
                                                                         "app": "overridden"}
    manifest["spec"]["volumeClaimTemplates"][0]["metadata"]["annotations"] = {"note": "x"}
    create(apps, namespace, manifest)
    settle(apps, namespace, 1)
    claim = claims_now(core, namespace)["data-web-0"]
    assert claim["metadata"]["labels"] == {"tier": "db", "app": "web"}   # selector wins
    assert claim["metadata"]["annotations"]["note"] == "x"


# ---------------------------------------------------------------------------------------------
# 2. ordered creation
# ---------------------------------------------------------------------------------------------

def test_ordered_ready_creates_each_pod_after_its_predecessor_is_running_and_ready(
        apps, core, namespace):
    ns = namespace
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE))
    _, log = watch_log(core.list_namespaced_pod, since,
                       all_healthy(["web-0", "web-1", "web-2"]), namespace=ns)
    state: Dict[str, Dict[str, Any]] = {}
    creations = []
    for etype, obj in log:
        name = obj["metadata"]["name"]
        if etype == "ADDED":
            ordinal = int(name.rsplit("-", 1)[1])
            creations.append(name)
            assert (obj.get("status") or {}).get("phase") == "Pending"
            for lower in range(ordinal):
                pred = state.get("web-%d" % lower)
                assert pred is not None and healthy(pred), \
                    "%s was created while web-%d was not Running and Ready" % (name, lower)
        if etype == "DELETED":
            state.pop(name, None)
        else:
            state[name] = obj
    assert creations == ["web-0", "web-1", "web-2"]


def test_ordered_ready_stops_at_a_pod_that_never_becomes_ready(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE))
    old = status(settle(apps, ns, 1))["currentRevision"]
    # web-0 stays below the partition (healthy, old template); web-1 gets the new template,
    # whose readiness probe always fails
    patch_sts(apps, ns, {"spec": {"replicas": 3, "updateStrategy": {
        "type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        "template": {"spec": {"containers": [
            {"name": "app", "image": IMAGE, "readinessProbe": NEVER_READY}]}}}})
    wait_pods(core, ns, lambda items: "web-1" in items and
              (items["web-1"].get("status") or {}).get("phase") == "Running")
    pods = hold(core.list_namespaced_pod, lambda items: "web-2" in items, namespace=ns)
    assert sorted(pods) == ["web-0", "web-1"]
    assert healthy(pods["web-0"]) and rev(pods["web-0"]) == old
    assert not pod_ready(pods["web-1"]) and rev(pods["web-1"]) != old
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("replicas") == 2))
    assert st.get("readyReplicas") == 1
    assert st["currentRevision"] == old and st["updateRevision"] == rev(pods["web-1"])
    assert st.get("updatedReplicas") == 1 and st.get("currentReplicas") == 1


def test_ordered_ready_with_no_ready_pod_creates_only_the_first(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, claims=(), containers=[
        {"name": "app", "image": IMAGE, "readinessProbe": NEVER_READY}]))
    wait_pods(core, ns, lambda items: (items.get("web-0", {}).get("status") or {})
              .get("phase") == "Running")
    pods = hold(core.list_namespaced_pod, lambda items: len(items) > 1, namespace=ns)
    assert list(pods) == ["web-0"] and not pod_ready(pods["web-0"])


def test_parallel_creates_all_pods_without_waiting(apps, core, namespace):
    ns = namespace
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    create(apps, ns, statefulset("web", replicas=3, pod_management="Parallel", containers=[
        {"name": "app", "image": IMAGE, "readinessProbe": NEVER_READY}]))
    pods, log = watch_log(core.list_namespaced_pod, since,
                          lambda items: len(items) == 3 and all(
                              (p.get("status") or {}).get("phase") == "Running"
                              for p in items.values()), namespace=ns)
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    assert not any(pod_ready(p) for _, p in log)
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("replicas") == 3))
    assert not st.get("readyReplicas")
    assert sorted(claims_now(core, ns)) == ["data-web-0", "data-web-1", "data-web-2"]


# ---------------------------------------------------------------------------------------------
# 3. start ordinal
# ---------------------------------------------------------------------------------------------

def test_start_ordinal(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE, start=5))
    settle(apps, ns, 3)
    pods = pods_now(core, ns)
    assert sorted(pods) == ["web-5", "web-6", "web-7"]
    for name, pod in pods.items():
        assert pod["metadata"]["labels"][POD_INDEX] == name[-1]
        assert pod["spec"]["hostname"] == name
    assert sorted(claims_now(core, ns)) == ["data-web-5", "data-web-6", "data-web-7"]

    # raising the start condemns the low ordinal and adds one at the top
    uids = {n: uid(p) for n, p in pods.items()}
    patch_sts(apps, ns, {"spec": {"ordinals": {"start": 6}}})
    pods = wait_pods(core, ns, all_healthy(["web-6", "web-7", "web-8"]))
    assert uid(pods["web-6"]) == uids["web-6"] and uid(pods["web-7"]) == uids["web-7"]
    assert "data-web-5" in claims_now(core, ns)                # Retain: the claim stays
    st = status(settle(apps, ns, 3))
    assert st["replicas"] == 3


# ---------------------------------------------------------------------------------------------
# 4. partitioned rolling update
# ---------------------------------------------------------------------------------------------

def test_partitioned_rollout(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=5, image=IMAGE, partition=3))
    old = status(settle(apps, ns, 5))["currentRevision"]
    before = pods_now(core, ns)
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    set_image(apps, ns, IMAGE2)

    def partly_updated(items):
        sts = items.get("web")
        st = status(sts) if sts else {}
        return st.get("updateRevision") not in (None, old) and \
            st.get("updatedReplicas") == 2 and st.get("readyReplicas") == 5 and \
            st.get("replicas") == 5
    st = status(wait_sts(apps, ns, partly_updated))
    new = st["updateRevision"]
    assert st["currentRevision"] == old
    assert st["currentReplicas"] == 3 and st["updatedReplicas"] == 2
    assert st["observedGeneration"] == 2

    pods, log = watch_log(core.list_namespaced_pod, since, lambda items: all(
        rev(items.get("web-%d" % i, before["web-0"])) == new and
        healthy(items["web-%d" % i]) for i in (3, 4)), namespace=ns)
    # 0-2 untouched
    for i in range(3):
        name = "web-%d" % i
        assert uid(pods[name]) == uid(before[name]) and rev(pods[name]) == old
        assert deletion_started(log, uid(before[name])) is None
    # 4 first, then 3, and 3 only once the new 4 is Running and Ready
    del4 = deletion_started(log, uid(before["web-4"]))
    ready4 = became_ready(log, "web-4", not_uid=uid(before["web-4"]))
    del3 = deletion_started(log, uid(before["web-3"]))
    ready3 = became_ready(log, "web-3", not_uid=uid(before["web-3"]))
    assert None not in (del4, ready4, del3, ready3)
    assert del4 < ready4 < del3 < ready3
    for i in (3, 4):
        assert rev(pods["web-%d" % i]) == new
        assert pods["web-%d" % i]["spec"]["containers"][0]["image"] == IMAGE2

    # a pod below the partition that is deleted comes back at currentRevision
    core.delete_namespaced_pod("web-1", ns)
    pods = wait_pods(core, ns, lambda items: "web-1" in items and
                     uid(items["web-1"]) != uid(before["web-1"]) and healthy(items["web-1"]))
    assert rev(pods["web-1"]) == old
    assert pods["web-1"]["spec"]["containers"][0]["image"] == IMAGE

    # lowering the partition to 0 finishes the rollout, 2 then 1 then 0
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    middle = pods_now(core, ns)
    patch_sts(apps, ns, {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})
    sts = settle(apps, ns, 5)
    st = status(sts)
    assert st["currentRevision"] == new and st["updateRevision"] == new
    assert st["currentReplicas"] == 5 and st["updatedReplicas"] == 5
    pods, log = watch_log(core.list_namespaced_pod, since,
                          all_healthy(["web-%d" % i for i in range(5)], new), namespace=ns)
    starts = [deletion_started(log, uid(middle["web-%d" % i])) for i in (2, 1, 0)]
    assert None not in starts and starts == sorted(starts)
    assert uid(pods["web-3"]) == uid(middle["web-3"])
    assert uid(pods["web-4"]) == uid(middle["web-4"])


def test_partition_above_replicas_updates_nothing(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=2, image=IMAGE, claims=(), partition=5))
    old = status(settle(apps, ns, 2))["currentRevision"]
    before = pods_now(core, ns)
    set_image(apps, ns, IMAGE2)
    wait_sts(apps, ns, lambda items: status(items["web"]).get("updateRevision") != old)
    pods = hold(core.list_namespaced_pod, lambda items: any(
        terminating(p) or uid(p) != uid(before[n]) for n, p in items.items()), namespace=ns)
    assert all(rev(p) == old for p in pods.values())


# ---------------------------------------------------------------------------------------------
# 5. revisions
# ---------------------------------------------------------------------------------------------

def test_revert_renumbers_the_old_revision(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE, claims=()))
    rev_a = status(settle(apps, ns, 1))["updateRevision"]
    uid_a = uid(revisions_now(apps, ns)[rev_a])
    set_image(apps, ns, IMAGE2)
    rev_b = status(wait_sts(apps, ns, lambda items: sts_settled("web", 1)(items) and
                            status(items["web"])["updateRevision"] != rev_a))["updateRevision"]
    revs = revisions_now(apps, ns)
    assert {n: r["revision"] for n, r in revs.items()} == {rev_a: 1, rev_b: 2}

    set_image(apps, ns, IMAGE)                                   # revert
    st = status(wait_sts(apps, ns, lambda items: sts_settled("web", 1)(items) and
                         status(items["web"])["updateRevision"] == rev_a))
    assert st["currentRevision"] == rev_a
    revs = revisions_now(apps, ns)
    assert {n: r["revision"] for n, r in revs.items()} == {rev_a: 3, rev_b: 2}
    assert uid(revs[rev_a]) == uid_a                             # the same object, renumbered
    assert rev(pods_now(core, ns)["web-0"]) == rev_a


def test_changes_outside_the_template_make_no_revision(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE, claims=()))
    revision = status(settle(apps, ns, 1))["updateRevision"]
    patch_sts(apps, ns, {"spec": {"replicas": 2, "minReadySeconds": 0,
                                  "updateStrategy": {"rollingUpdate": {"partition": 1}}}})
    sts = wait_sts(apps, ns, lambda items: status(items["web"]).get("readyReplicas") == 2 and
                   status(items["web"]).get("observedGeneration") == 2)
    assert status(sts)["updateRevision"] == revision
    assert list(revisions_now(apps, ns)) == [revision]


def test_revision_history_limit_prunes_old_revisions(apps, core, namespace):
    ns = namespace
    manifest = statefulset("web", replicas=1, image=IMAGE, claims=())
    manifest["spec"]["revisionHistoryLimit"] = 2
    create(apps, ns, manifest)
    seen = [status(settle(apps, ns, 1))["updateRevision"]]
    for i in range(5):
        patch_sts(apps, ns, {"spec": {"template": {"metadata": {
            "annotations": {"example.com/change": str(i)}}}}})
        sts = wait_sts(apps, ns, lambda items: sts_settled("web", 1)(items) and
                       status(items["web"])["updateRevision"] not in seen)
        seen.append(status(sts)["updateRevision"])
    assert len(set(seen)) == 6
    revs = wait_for(apps.list_namespaced_controller_revision, lambda items: len(items) == 3,
                    namespace=ns)
    # the live one (current == update) plus two of history, the newest ones
    assert set(revs) == set(seen[-3:])
    assert sorted(r["revision"] for r in revs.values()) == [4, 5, 6]
    assert revs[seen[-1]]["revision"] == 6


# ---------------------------------------------------------------------------------------------
# 6. stuck rollout (forced rollback)
# ---------------------------------------------------------------------------------------------

def _break_rollout(apps, core, ns):
    """A settled 3-replica set gets a bad image; wait until web-2 is stuck pulling it. Returns
    (pods before, the good revision, the bad revision, the broken web-2)."""
    good = status(settle(apps, ns, 3))["currentRevision"]
    before = pods_now(core, ns)
    set_image(apps, ns, BAD_IMAGE)
    pods = wait_pods(core, ns, lambda items: "web-2" in items and
                     uid(items["web-2"]) != uid(before["web-2"]) and
                     waiting_reason(items["web-2"]) == "ImagePullBackOff")
    bad = rev(pods["web-2"])
    assert bad != good
    return before, good, bad, pods["web-2"]


def test_stuck_rollout_needs_the_broken_pod_deleted(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE))
    before, good, bad, broken = _break_rollout(apps, core, ns)

    def lower_touched(items):
        return any(uid(items.get(n, broken)) != uid(before[n]) or terminating(items[n])
                   for n in ("web-0", "web-1"))
    hold(core.list_namespaced_pod, lower_touched, namespace=ns)
    st = status(get_sts(apps, ns))
    assert st["currentRevision"] == good and st["updateRevision"] == bad
    assert st.get("readyReplicas") == 2 and st.get("updatedReplicas") == 1

    set_image(apps, ns, IMAGE)                                     # revert
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("updateRevision")
                         == good and status(items["web"]).get("observedGeneration") == 3))
    assert st["currentRevision"] == good
    assert revisions_now(apps, ns)[good]["revision"] == 3          # renumbered
    # the broken pod is not replaced by the controller
    pods = hold(core.list_namespaced_pod, lambda items: lower_touched(items) or
                uid(items.get("web-2", broken)) != uid(broken) or
                terminating(items.get("web-2", broken)), namespace=ns)
    assert rev(pods["web-2"]) == bad and not pod_ready(pods["web-2"])

    core.delete_namespaced_pod("web-2", ns)
    pods = wait_pods(core, ns, all_healthy(["web-0", "web-1", "web-2"], good))
    assert uid(pods["web-2"]) != uid(broken)
    assert pods["web-2"]["spec"]["containers"][0]["image"] == IMAGE
    for n in ("web-0", "web-1"):
        assert uid(pods[n]) == uid(before[n])
    st = status(settle(apps, ns, 3))
    assert st["currentRevision"] == good == st["updateRevision"]


def test_stuck_rollout_in_parallel_mode_recovers_on_revert(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE, pod_management="Parallel"))
    before, good, bad, broken = _break_rollout(apps, core, ns)
    pods = pods_now(core, ns)
    for n in ("web-0", "web-1"):
        assert uid(pods[n]) == uid(before[n]) and not terminating(pods[n])
    set_image(apps, ns, IMAGE)
    pods = wait_pods(core, ns, all_healthy(["web-0", "web-1", "web-2"], good))
    assert uid(pods["web-2"]) not in (uid(broken), uid(before["web-2"]))
    for n in ("web-0", "web-1"):
        assert uid(pods[n]) == uid(before[n])
    st = status(settle(apps, ns, 3))
    assert st["currentRevision"] == good


# ---------------------------------------------------------------------------------------------
# 7. scale-down and PVC retention
# ---------------------------------------------------------------------------------------------

def test_scale_down_highest_first_one_at_a_time_and_scale_up_reuses_claims(
        apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=4, image=IMAGE))
    settle(apps, ns, 4)
    before = pods_now(core, ns)
    claims = claims_now(core, ns)
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    patch_sts(apps, ns, {"spec": {"replicas": 1}})
    pods, log = watch_log(core.list_namespaced_pod, since, all_healthy(["web-0"]),
                          namespace=ns)
    assert uid(pods["web-0"]) == uid(before["web-0"])
    starts = {n: deletion_started(log, uid(before[n])) for n in ("web-3", "web-2", "web-1")}
    gone = {n: first(log, lambda t, o, n=n: t == "DELETED" and o["metadata"]["name"] == n)
            for n in starts}
    assert None not in starts.values() and None not in gone.values()
    # each deletion starts only after the previous pod is fully gone
    assert starts["web-3"] <= gone["web-3"] < starts["web-2"] <= gone["web-2"] < \
        starts["web-1"] <= gone["web-1"]
    assert not any(t == "ADDED" for t, _ in log)
    st = status(settle(apps, ns, 1))
    assert st["replicas"] == 1

    # Retain/Retain: every claim stays, and scaling up again reuses them as they are
    assert {n: uid(c) for n, c in claims_now(core, ns).items()} == \
        {n: uid(c) for n, c in claims.items()}
    patch_sts(apps, ns, {"spec": {"replicas": 3}})
    settle(apps, ns, 3)
    pods = pods_now(core, ns)
    now_claims = claims_now(core, ns)
    for i in (1, 2):
        name = "data-web-%d" % i
        assert uid(now_claims[name]) == uid(claims[name])
        assert uid(pods["web-%d" % i]) != uid(before["web-%d" % i])
    assert "data-web-3" in now_claims


def test_scale_down_waits_for_an_unhealthy_lower_pod(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE, strategy="OnDelete"))
    settle(apps, ns, 3)
    before = pods_now(core, ns)
    # make web-1 unhealthy: OnDelete, a never-ready template, and web-1 deleted by hand
    patch_sts(apps, ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": IMAGE, "readinessProbe": NEVER_READY}]}}}})
    wait_sts(apps, ns, lambda items: status(items["web"]).get("observedGeneration") == 2)
    core.delete_namespaced_pod("web-1", ns)
    wait_pods(core, ns, lambda items: "web-1" in items and
              uid(items["web-1"]) != uid(before["web-1"]) and
              (items["web-1"].get("status") or {}).get("phase") == "Running")
    patch_sts(apps, ns, {"spec": {"replicas": 2}})
    wait_sts(apps, ns, lambda items: status(items["web"]).get("observedGeneration") == 3)
    pods = hold(core.list_namespaced_pod, lambda items: "web-2" not in items or
                terminating(items["web-2"]), namespace=ns)
    assert uid(pods["web-2"]) == uid(before["web-2"])

    # fix web-1: the scale-down goes on
    set_image(apps, ns, IMAGE)
    wait_sts(apps, ns, lambda items: status(items["web"]).get("observedGeneration") == 4)
    core.delete_namespaced_pod("web-1", ns)
    wait_pods(core, ns, all_healthy(["web-0", "web-1"]))


def test_when_scaled_delete_gives_the_condemned_claim_a_pod_owner(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=3, image=IMAGE,
                                 retention={"whenScaled": "Delete", "whenDeleted": "Delete"}))
    sts = settle(apps, ns, 3)
    sts_ref = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid(sts),
               "controller": True, "blockOwnerDeletion": True}
    claims = wait_for(core.list_namespaced_persistent_volume_claim, lambda items: len(items) == 3
                      and all(c["metadata"].get("ownerReferences") for c in items.values()),
                      namespace=ns)
    for claim in claims.values():
        assert claim["metadata"]["ownerReferences"] == [sts_ref]
    before = pods_now(core, ns)
    pod_since = snapshot(core.list_namespaced_pod, namespace=ns)
    claim_since = snapshot(core.list_namespaced_persistent_volume_claim, namespace=ns)
    patch_sts(apps, ns, {"spec": {"replicas": 1}})
    left, claim_log = watch_log(core.list_namespaced_persistent_volume_claim, claim_since,
                                lambda items: sorted(items) == ["data-web-0"], namespace=ns)
    assert left["data-web-0"]["metadata"]["ownerReferences"] == [sts_ref]
    _, pod_log = watch_log(core.list_namespaced_pod, pod_since, all_healthy(["web-0"]),
                           namespace=ns)
    for n in ("web-2", "web-1"):
        cname = "data-" + n
        owned = first(claim_log, lambda t, o: o["metadata"]["name"] == cname and
                      (o["metadata"].get("ownerReferences") or []) == [
                          {"apiVersion": "v1", "kind": "Pod", "name": n,
                           "uid": uid(before[n]), "controller": True,
                           "blockOwnerDeletion": True}])
        claim_gone = first(claim_log, lambda t, o: t == "DELETED" and
                           o["metadata"]["name"] == cname)
        assert owned is not None and claim_gone is not None and owned < claim_gone
        # the pod owner was set before the pod was deleted, and the claim went after the pod
        pod_start = deletion_started(pod_log, uid(before[n]))
        pod_gone = first(pod_log, lambda t, o: t == "DELETED" and uid(o) == uid(before[n]))
        assert int(claim_log[owned][1]["metadata"]["resourceVersion"]) < \
            int(pod_log[pod_start][1]["metadata"]["resourceVersion"])
        assert int(pod_log[pod_gone][1]["metadata"]["resourceVersion"]) < \
            int(claim_log[claim_gone][1]["metadata"]["resourceVersion"])

    # scaling up again makes fresh claims
    old_claims = {n: uid(c) for n, c in claims.items()}
    patch_sts(apps, ns, {"spec": {"replicas": 3}})
    settle(apps, ns, 3)
    claims = claims_now(core, ns)
    assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2"]
    for n in ("data-web-1", "data-web-2"):
        assert uid(claims[n]) != old_claims[n]


def test_when_deleted_delete_removes_claims_with_the_set(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=2, image=IMAGE,
                                 retention={"whenDeleted": "Delete"}))
    sts = settle(apps, ns, 2)
    claims = wait_for(core.list_namespaced_persistent_volume_claim, lambda items: len(items) == 2
                      and all(c["metadata"].get("ownerReferences") for c in items.values()),
                      namespace=ns)
    for claim in claims.values():
        assert claim["metadata"]["ownerReferences"] == [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid(sts),
             "controller": True, "blockOwnerDeletion": True}]
    # scaling down keeps the claim (whenScaled=Retain)
    patch_sts(apps, ns, {"spec": {"replicas": 1}})
    wait_pods(core, ns, all_healthy(["web-0"]))
    assert sorted(claims_now(core, ns)) == ["data-web-0", "data-web-1"]

    apps.delete_namespaced_stateful_set("web", ns)
    wait_pods(core, ns, lambda items: not items)
    wait_for(core.list_namespaced_persistent_volume_claim, lambda items: not items, namespace=ns)


def test_retain_keeps_claims_when_the_set_is_deleted(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE))
    settle(apps, ns, 1)
    claim = claims_now(core, ns)["data-web-0"]
    apps.delete_namespaced_stateful_set("web", ns)
    wait_pods(core, ns, lambda items: not items)
    assert uid(claims_now(core, ns)["data-web-0"]) == uid(claim)


# ---------------------------------------------------------------------------------------------
# 8. OnDelete
# ---------------------------------------------------------------------------------------------

def test_on_delete_updates_only_deleted_pods(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=2, image=IMAGE, claims=(),
                                 strategy="OnDelete"))
    old = status(settle(apps, ns, 2))["currentRevision"]
    before = pods_now(core, ns)
    set_image(apps, ns, IMAGE2)
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("observedGeneration")
                         == 2))
    new = st["updateRevision"]
    assert new != old and st["currentRevision"] == old
    assert not st.get("updatedReplicas") and st["currentReplicas"] == 2
    hold(core.list_namespaced_pod, lambda items: any(
        terminating(p) or uid(p) != uid(before[n]) for n, p in items.items()), namespace=ns)

    core.delete_namespaced_pod("web-1", ns)
    pods = wait_pods(core, ns, lambda items: "web-1" in items and
                     uid(items["web-1"]) != uid(before["web-1"]) and healthy(items["web-1"]))
    assert rev(pods["web-1"]) == new and rev(pods["web-0"]) == old
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("updatedReplicas")
                         == 1 and status(items["web"]).get("readyReplicas") == 2))
    assert st["currentRevision"] == old and st["currentReplicas"] == 1

    # every pod at the update revision and ready: currentRevision still does not advance
    core.delete_namespaced_pod("web-0", ns)
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("updatedReplicas")
                         == 2 and status(items["web"]).get("readyReplicas") == 2))
    assert st["currentRevision"] == old and st["updateRevision"] == new
    assert not st.get("currentReplicas")

    # a scale-up pod gets the update revision too
    patch_sts(apps, ns, {"spec": {"replicas": 3}})
    pods = wait_pods(core, ns, all_healthy(["web-0", "web-1", "web-2"], new))
    st = status(wait_sts(apps, ns, lambda items: status(items["web"]).get("updatedReplicas")
                         == 3))
    assert st["currentRevision"] == old


# ---------------------------------------------------------------------------------------------
# 9. minReadySeconds (fast clock) and maxUnavailable (feature gate): sandbox only
# ---------------------------------------------------------------------------------------------

@sandbox_only
def test_min_ready_seconds_available_lags_ready():
    with own_sandbox(speed=20) as (apps, core, ns):
        since = snapshot(apps.list_namespaced_stateful_set, namespace=ns)
        create(apps, ns, statefulset("web", replicas=2, image=IMAGE, claims=(), min_ready=10))
        sts, log = watch_log(apps.list_namespaced_stateful_set, since, lambda items:
                             status(items.get("web", {})).get("availableReplicas") == 2,
                             timeout=20, namespace=ns)
        lagging = [status(o) for _, o in log
                   if status(o).get("readyReplicas", 0) > status(o).get("availableReplicas", 0)]
        assert lagging, "availableReplicas never lagged readyReplicas"
        assert any(s.get("readyReplicas") == 1 and s.get("availableReplicas") == 0
                   for s in lagging)
        # OrderedReady waits for availability: web-1 is created >= 10 s after web-0 is ready
        pods = pods_now(core, ns)
        ready0 = [c for c in pods["web-0"]["status"]["conditions"] if c["type"] == "Ready"][0]
        from kubectl_sts_sandbox.clock import parse_rfc3339
        created = parse_rfc3339(pods["web-1"]["metadata"]["creationTimestamp"])
        became_ready = parse_rfc3339(ready0["lastTransitionTime"])
        assert created is not None and became_ready is not None
        gap = created - became_ready
        assert gap >= 9      # whole-second timestamps


def _max_unavailable_rollout(gate):
    with own_sandbox(maxunavailable_gate=gate) as (apps, core, ns):
        manifest = statefulset("web", replicas=4, image=IMAGE, claims=())
        manifest["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {
            "partition": 0, "maxUnavailable": 2}}
        create(apps, ns, manifest)
        sts = settle(apps, ns, 4)
        before = pods_now(core, ns)
        since = snapshot(core.list_namespaced_pod, namespace=ns)
        set_image(apps, ns, IMAGE2)
        new = status(wait_sts(apps, ns, lambda items: status(items["web"]).get(
            "observedGeneration") == 2))["updateRevision"]
        _, log = watch_log(core.list_namespaced_pod, since,
                           all_healthy(["web-%d" % i for i in range(4)], new), namespace=ns)
        settle(apps, ns, 4)
        starts = {n: deletion_started(log, uid(before[n])) for n in before}
        first_new = first(log, lambda t, o: t == "ADDED")
        return sts, starts, first_new, log, before


@sandbox_only
def test_max_unavailable_with_the_gate_on_deletes_two_at_once():
    sts, starts, first_new, log, before = _max_unavailable_rollout(True)
    assert sts["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == 2
    # web-3 and web-2 both go before any replacement exists
    assert starts["web-3"] < first_new and starts["web-2"] < first_new
    assert starts["web-1"] > first_new and starts["web-0"] > first_new


@sandbox_only
def test_max_unavailable_with_the_gate_off_is_ignored():
    sts, starts, first_new, log, before = _max_unavailable_rollout(False)
    assert "maxUnavailable" not in (sts["spec"]["updateStrategy"].get("rollingUpdate") or {})
    # one at a time: each deletion waits for the previous replacement to be Running and Ready
    order = ["web-3", "web-2", "web-1", "web-0"]
    for higher, lower in zip(order, order[1:]):
        ready = became_ready(log, higher, not_uid=uid(before[higher]))
        assert starts[higher] < ready < starts[lower]


# ---------------------------------------------------------------------------------------------
# 10. failures
# ---------------------------------------------------------------------------------------------

def test_crash_looping_container(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=2, claims=(), containers=[
        {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "exit 1"]}]))
    since = snapshot(core.list_namespaced_pod, namespace=ns)

    def restarts(pod):
        return sum(cs.get("restartCount", 0)
                   for cs in (pod.get("status") or {}).get("containerStatuses") or [])
    pods, log = watch_log(core.list_namespaced_pod, since, lambda items: "web-0" in items and
                          restarts(items["web-0"]) >= 2 and
                          waiting_reason(items["web-0"]) == "CrashLoopBackOff",
                          namespace=ns)
    pod = pods["web-0"]
    counts = [restarts(o) for _, o in log if o["metadata"]["name"] == "web-0"]
    assert counts == sorted(counts) and counts[-1] >= 2
    assert "web-1" not in pods                           # OrderedReady waits on web-0
    last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert last["exitCode"] == 1
    assert not pod_ready(pod)
    events = pod_events(core, ns, "web-0", lambda evs: any(
        e["reason"] == "BackOff" and e["type"] == "Warning" for e in evs))
    backoff = [e for e in events if e["reason"] == "BackOff"][0]
    assert backoff["message"].startswith("Back-off restarting failed container app in pod "
                                         "web-0_%s" % ns)


def test_bad_image(apps, core, namespace):
    ns = namespace
    since = snapshot(core.list_namespaced_pod, namespace=ns)
    create(apps, ns, statefulset("web", replicas=2, claims=(), image=BAD_IMAGE))
    pods, log = watch_log(core.list_namespaced_pod, since, lambda items: "web-0" in items and
                          waiting_reason(items["web-0"]) == "ImagePullBackOff", namespace=ns)
    reasons = [waiting_reason(o) for _, o in log if o["metadata"]["name"] == "web-0"]
    assert "ErrImagePull" in reasons
    assert reasons.index("ErrImagePull") < reasons.index("ImagePullBackOff")
    assert pods["web-0"]["status"]["phase"] == "Pending"
    assert "web-1" not in pods
    events = pod_events(core, ns, "web-0", lambda evs: {"Error: ErrImagePull",
                                                        "Error: ImagePullBackOff"}
                        <= messages(evs, "Warning"))
    failed = [e for e in events if e["reason"] == "Failed"]
    assert failed and all(e["type"] == "Warning" for e in failed)
    assert any(BAD_IMAGE in e["message"] for e in events)
    st = status(get_sts(apps, ns))
    assert not st.get("readyReplicas")


def test_deleted_pod_is_recreated_with_a_new_uid(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=2, image=IMAGE))
    revision = status(settle(apps, ns, 2))["currentRevision"]
    before = pods_now(core, ns)
    claim = claims_now(core, ns)["data-web-1"]
    core.delete_namespaced_pod("web-1", ns)
    pods = wait_pods(core, ns, lambda items: "web-1" in items and
                     uid(items["web-1"]) != uid(before["web-1"]) and healthy(items["web-1"]))
    pod = pods["web-1"]
    assert rev(pod) == revision
    assert pod["metadata"]["labels"][POD_NAME] == "web-1"
    assert pod["spec"]["hostname"] == "web-1"
    assert uid(pods["web-0"]) == uid(before["web-0"])
    assert uid(claims_now(core, ns)["data-web-1"]) == uid(claim)   # the claim is kept
    wanted = "delete Pod web-1 in StatefulSet web successful"
    # the user deleted it, so the controller records no delete; it records the re-create
    events = sts_events(core, ns, lambda evs: sum(
        e.get("count", 1) for e in evs
        if e["message"] == "create Pod web-1 in StatefulSet web successful") >= 2)
    assert wanted not in messages(events)


# ---------------------------------------------------------------------------------------------
# 11. identity upkeep and adoption
# ---------------------------------------------------------------------------------------------

def test_drifted_pod_name_label_is_restored(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE, claims=()))
    settle(apps, ns, 1)
    before = pods_now(core, ns)["web-0"]
    merge_patch(core.patch_namespaced_pod, "web-0", ns,
                {"metadata": {"labels": {POD_NAME: "other"}}})
    pods = wait_pods(core, ns, lambda items: items["web-0"]["metadata"]["labels"].get(POD_NAME)
                     == "web-0")
    assert uid(pods["web-0"]) == uid(before)
    sts_events(core, ns, lambda evs: "update Pod web-0 in StatefulSet web successful"
               in messages(evs))


def test_orphaned_pod_is_adopted_back(apps, core, namespace):
    ns = namespace
    create(apps, ns, statefulset("web", replicas=1, image=IMAGE, claims=()))
    sts = settle(apps, ns, 1)
    before = pods_now(core, ns)["web-0"]
    merge_patch(core.patch_namespaced_pod, "web-0", ns, {"metadata": {"ownerReferences": None}})
    pods = wait_pods(core, ns, lambda items: items["web-0"]["metadata"].get("ownerReferences"))
    assert uid(pods["web-0"]) == uid(before)
    assert pods["web-0"]["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid(sts),
         "controller": True, "blockOwnerDeletion": True}]
