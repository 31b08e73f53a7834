"""The real kubectl (v1.32) against the cluster under test: what it prints, exactly.

Every expectation here is what kubectl prints against a real cluster (see
/work/shared/docs/statefulset-semantics.md section 7), so the module runs unchanged on kind via
KUBECTL_STS_TEST_KUBECONFIG. Waiting is done with `kubectl rollout status`, `kubectl wait` or
the watch-based helpers, never with sleeps.
"""

import json
import re
import time
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from builders import service, statefulset
from helpers import max_unavailable_by_default, pod_ready, wait_for

pytestmark = pytest.mark.kubectl

IMAGE = "nginx:1.27"
IMAGE2 = "nginx:1.28"
TIMEOUT = "--timeout=60s"

# Every message `kubectl rollout status sts/...` can print while a RollingUpdate set converges.
ROLLOUT_LINES = [
    re.compile(r"^Waiting for statefulset spec update to be observed\.\.\.$"),
    re.compile(r"^Waiting for \d+ pods to be ready\.\.\.$"),
    re.compile(r"^Waiting for partitioned roll out to finish: \d+ out of \d+ new pods have been "
               r"updated\.\.\.$"),
    re.compile(r"^partitioned roll out complete: \d+ new pods have been updated\.\.\.$"),
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def write_manifest(tmp_path, name="web.yaml", **sts_kwargs):
    docs = [statefulset(**sts_kwargs), service()]
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, default_flow_style=False))
    return str(path)


@pytest.fixture
def manifest(tmp_path):
    """A StatefulSet `web` (3 replicas, one claim template `data`) and its headless Service."""
    return write_manifest(tmp_path)


def ok(result):
    """Assert that a kubectl run succeeded; return its stdout."""
    assert result.returncode == 0, "kubectl failed (%d):\nstdout: %s\nstderr: %s" % (
        result.returncode, result.stdout, result.stderr)
    return result.stdout


def failed(result):
    """Assert that a kubectl run failed with exit 1; return its stderr."""
    assert result.returncode == 1, "expected exit 1, got %d:\nstdout: %s\nstderr: %s" % (
        result.returncode, result.stdout, result.stderr)
    return result.stderr


def rollout_status(kubectl, *extra):
    """Run `kubectl rollout status sts/web` until done; check every line it printed."""
    out = ok(kubectl("rollout", "status", "sts/web", TIMEOUT, *extra, timeout=90))
    lines = out.splitlines()
    assert lines, "rollout status printed nothing"
    for line in lines:
        assert any(p.match(line) for p in ROLLOUT_LINES), "unexpected line %r" % line
    return lines


def deploy(kubectl, manifest, replicas=3):
    """kubectl apply the manifest and wait for the rollout to finish."""
    out = ok(kubectl("apply", "-f", manifest))
    assert sorted(out.splitlines()) == ["service/web created", "statefulset.apps/web created"]
    lines = rollout_status(kubectl)
    assert lines[-1] == "partitioned roll out complete: %d new pods have been updated..." % replicas


def get_json(kubectl, *what):
    return json.loads(ok(kubectl("get", *what, "-o", "json")))


def sts(kubectl):
    return get_json(kubectl, "sts", "web")


def pods(core, namespace):
    return wait_for(core.list_namespaced_pod, lambda items: True, namespace=namespace)


def tables(stdout):
    """Parse `kubectl get` output (tables separated by blank lines) into lists of dicts keyed
    by the header cells; cells are separated by two or more spaces."""
    out = []
    for block in stdout.strip("\n").split("\n\n"):
        lines = block.splitlines()
        header = re.split(r"\s{2,}", lines[0].strip())
        rows = [dict(zip(header, re.split(r"\s{2,}", line.strip()))) for line in lines[1:]]
        out.append((header, rows, lines))
    return out


def snapshot(list_fn, **kwargs):
    """List (raw JSON): (items by name, resourceVersion of the list)."""
    body = json.loads(list_fn(_preload_content=False, **kwargs).data)
    return {o["metadata"]["name"]: o for o in body["items"]}, body["metadata"]["resourceVersion"]


def follow(list_fn, items, since, predicate, timeout=60, **kwargs):
    """Replay the watch events after resourceVersion `since` onto `items` until
    predicate(items); returns the (type, name) events seen, in order."""
    from kubernetes import watch
    events: List[Tuple[str, str]] = []
    if predicate(items):
        return events
    deadline = time.monotonic() + timeout
    rv = since
    while time.monotonic() < deadline:
        w = watch.Watch()
        for event in w.stream(list_fn, resource_version=rv, _preload_content=False,
                              timeout_seconds=max(1, int(deadline - time.monotonic())),
                              **kwargs):
            obj = event["raw_object"]
            if event["type"] == "ERROR":
                raise AssertionError("watch error: %s" % obj)
            if event["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            rv = obj["metadata"]["resourceVersion"]
            name = obj["metadata"]["name"]
            events.append((event["type"], name))
            if event["type"] == "DELETED":
                items.pop(name, None)
            else:
                items[name] = obj
            if predicate(items):
                w.stop()
                return events
    raise AssertionError("timed out; events: %s; names now: %s" % (events, sorted(items)))


def all_ready(names):
    def check(items):
        return sorted(items) == sorted(names) and all(
            pod_ready(p) and not p["metadata"].get("deletionTimestamp") for p in items.values())
    return check


def history_text(*revisions):
    """What `kubectl rollout history sts/web` prints for (revision, change-cause) rows."""
    return "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n" + "".join(
        "%-10s%s\n" % (rev, cause) for rev, cause in revisions) + "\n"


# --------------------------------------------------------------------------------------------
# create / apply
# --------------------------------------------------------------------------------------------

def test_create_then_apply(kubectl, manifest):
    out = ok(kubectl("create", "-f", manifest))
    assert sorted(out.splitlines()) == ["service/web created", "statefulset.apps/web created"]

    again = kubectl("create", "-f", manifest)
    assert again.returncode == 1
    err = again.stderr.splitlines()
    assert 'Error from server (AlreadyExists): error when creating "%s": statefulsets.apps "web" ' \
        'already exists' % manifest in err
    assert 'Error from server (AlreadyExists): error when creating "%s": services "web" ' \
        'already exists' % manifest in err

    # The objects were created without --save-config: apply warns and patches the annotation in.
    first = kubectl("apply", "-f", manifest)
    assert sorted(ok(first).splitlines()) == ["service/web configured",
                                              "statefulset.apps/web configured"]
    assert "statefulsets/web is missing the kubectl.kubernetes.io/last-applied-configuration " \
        "annotation" in first.stderr
    # From now on the Service is unchanged; the StatefulSet reports configured because the
    # server adds apiVersion/kind/status to the (atomic) volumeClaimTemplates list.
    lines = sorted(ok(kubectl("apply", "-f", manifest)).splitlines())
    assert lines[0] == "service/web unchanged"
    assert lines[1] in ("statefulset.apps/web configured", "statefulset.apps/web unchanged")
    assert rollout_status(kubectl)[-1] == \
        "partitioned roll out complete: 3 new pods have been updated..."


def test_apply_twice(kubectl, manifest, apps, namespace):
    deploy(kubectl, manifest)
    before = sts(kubectl)
    result = kubectl("apply", "-f", manifest)
    lines = sorted(ok(result).splitlines())
    assert lines[0] == "service/web unchanged"
    assert lines[1] in ("statefulset.apps/web configured", "statefulset.apps/web unchanged")
    assert result.stderr == ""
    after = sts(kubectl)
    assert after["metadata"]["generation"] == before["metadata"]["generation"] == 1
    assert after["spec"] == before["spec"]
    last = json.loads(after["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3


# --------------------------------------------------------------------------------------------
# get
# --------------------------------------------------------------------------------------------

def test_get_sts_pods_pvc(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    out = ok(kubectl("get", "sts,pods,pvc"))
    (sh, srows, slines), (ph, prows, plines), (vh, vrows, vlines) = tables(out)

    assert sh == ["NAME", "READY", "AGE"]
    assert re.match(r"^NAME {3,}READY   AGE$", slines[0])
    assert len(srows) == 1
    assert slines[1].startswith("statefulset.apps/web   3/3     ")

    assert ph == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r["NAME"] for r in prows] == ["pod/web-0", "pod/web-1", "pod/web-2"]
    for line in plines[1:]:
        assert re.match(r"^pod/web-\d   1/1     Running   0          \S+$", line), line
    assert plines[1].startswith("pod/web-0   1/1     Running")

    assert vh == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                  "VOLUMEATTRIBUTESCLASS", "AGE"]
    claims = {p.metadata.name: p for p in core.list_namespaced_persistent_volume_claim(
        namespace).items}
    assert [r["NAME"] for r in vrows] == ["persistentvolumeclaim/data-web-%d" % i
                                          for i in range(3)]
    for row in vrows:
        claim = claims[row["NAME"].split("/", 1)[1]]
        assert row["STATUS"] == "Bound"
        assert row["VOLUME"] == claim.spec.volume_name
        assert row["CAPACITY"] == "1Gi"
        assert row["ACCESS MODES"] == "RWO"
        assert row["STORAGECLASS"] == claim.spec.storage_class_name
        assert row["VOLUMEATTRIBUTESCLASS"] == "<unset>"


def test_get_sts_wide(kubectl, manifest):
    deploy(kubectl, manifest)
    [(header, rows, lines)] = tables(ok(kubectl("get", "sts", "-o", "wide")))
    assert header == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
    assert len(rows) == 1
    assert rows[0]["NAME"] == "web" and rows[0]["READY"] == "3/3"
    assert rows[0]["CONTAINERS"] == "app" and rows[0]["IMAGES"] == IMAGE


def test_get_sts_json(kubectl, manifest, apps, namespace):
    deploy(kubectl, manifest)
    obj = sts(kubectl)
    assert obj["apiVersion"] == "apps/v1" and obj["kind"] == "StatefulSet"
    assert obj["metadata"]["generation"] == 1
    spec = obj["spec"]
    assert spec["replicas"] == 3
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["revisionHistoryLimit"] == 10
    rolling = {"partition": 0}
    if max_unavailable_by_default(apps.api_client):
        rolling["maxUnavailable"] = 1       # defaults.go, with the gate on (1.35, 1.37)
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": rolling}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                           "whenScaled": "Retain"}
    pod_spec = spec["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Always"
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["schedulerName"] == "default-scheduler"
    assert pod_spec["terminationGracePeriodSeconds"] == 1
    container = pod_spec["containers"][0]
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    vct = spec["volumeClaimTemplates"][0]
    assert vct["metadata"]["name"] == "data"
    assert vct["spec"]["volumeMode"] == "Filesystem"

    status = obj["status"]
    assert status["replicas"] == 3
    assert status["readyReplicas"] == 3
    assert status["availableReplicas"] == 3
    assert status["currentReplicas"] == 3
    assert status["updatedReplicas"] == 3
    assert status["observedGeneration"] == 1
    assert status["collisionCount"] == 0
    assert status["currentRevision"] == status["updateRevision"]
    assert re.match(r"^web-[bcdfghjklmnpqrstvwxz2456789]+$", status["currentRevision"])
    assert "conditions" not in status

    revisions = get_json(kubectl, "controllerrevisions")["items"]
    assert [(r["metadata"]["name"], r["revision"]) for r in revisions] == \
        [(status["currentRevision"], 1)]


def test_get_pods_wide(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    out = ok(kubectl("get", "pods", "-o", "wide"))
    [(header, rows, lines)] = tables(out)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                      "NOMINATED NODE", "READINESS GATES"]
    live = {p.metadata.name: p for p in core.list_namespaced_pod(namespace).items}
    assert [r["NAME"] for r in rows] == ["web-0", "web-1", "web-2"]
    for row in rows:
        pod = live[row["NAME"]]
        assert row["READY"] == "1/1" and row["STATUS"] == "Running"
        assert row["NODE"] == pod.spec.node_name and row["NODE"]
        assert row["IP"] == pod.status.pod_ip
        assert row["NOMINATED NODE"] == "<none>" and row["READINESS GATES"] == "<none>"


# --------------------------------------------------------------------------------------------
# patch
# --------------------------------------------------------------------------------------------

def test_patch_types(kubectl, manifest):
    deploy(kubectl, manifest)

    # strategic merge (the default): containers merge by name, the image is kept
    patch: Dict[str, Any] = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "MODE", "value": "a"}]}]}}}}
    assert ok(kubectl("patch", "sts", "web", "-p", json.dumps(patch))) == \
        "statefulset.apps/web patched\n"
    obj = sts(kubectl)
    [c] = obj["spec"]["template"]["spec"]["containers"]
    assert c["image"] == IMAGE and c["env"] == [{"name": "MODE", "value": "a"}]
    assert obj["metadata"]["generation"] == 2

    # JSON merge patch: lists are replaced wholesale (env is gone), null deletes a key
    patch = {"metadata": {"labels": {"team": "blue"}},
             "spec": {"template": {"spec": {"containers": [{"name": "app", "image": IMAGE2}]}}}}
    assert ok(kubectl("patch", "sts", "web", "--type=merge", "-p", json.dumps(patch))) == \
        "statefulset.apps/web patched\n"
    obj = sts(kubectl)
    [c] = obj["spec"]["template"]["spec"]["containers"]
    assert c["image"] == IMAGE2 and "env" not in c
    assert c["imagePullPolicy"] == "IfNotPresent"  # defaulted again
    assert obj["metadata"]["labels"] == {"team": "blue"}
    assert obj["metadata"]["generation"] == 3
    ok(kubectl("patch", "sts", "web", "--type=merge", "-p", '{"metadata":{"labels":{"team":null}}}'))
    assert "team" not in (sts(kubectl)["metadata"].get("labels") or {})

    # JSON patch
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 2},
           {"op": "add", "path": "/spec/template/metadata/labels/tier", "value": "fe"}]
    assert ok(kubectl("patch", "sts", "web", "--type=json", "-p", json.dumps(ops))) == \
        "statefulset.apps/web patched\n"
    obj = sts(kubectl)
    assert obj["spec"]["replicas"] == 2
    assert obj["spec"]["template"]["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert obj["spec"]["selector"] == {"matchLabels": {"app": "web"}}

    # a failing JSON-patch test op changes nothing
    bad = kubectl("patch", "sts", "web", "--type=json",
                  "-p", '[{"op":"test","path":"/spec/replicas","value":5}]')
    assert bad.returncode == 1 and bad.stdout == ""
    assert sts(kubectl)["spec"] == obj["spec"]

    lines = rollout_status(kubectl)
    assert lines[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    obj = sts(kubectl)
    assert obj["status"]["replicas"] == 2
    assert obj["status"]["currentRevision"] == obj["status"]["updateRevision"]
    pod_list = get_json(kubectl, "pods")["items"]
    assert sorted(p["metadata"]["name"] for p in pod_list) == ["web-0", "web-1"]
    for p in pod_list:
        assert p["spec"]["containers"][0]["image"] == IMAGE2
        assert p["metadata"]["labels"]["tier"] == "fe"
        assert p["metadata"]["labels"]["controller-revision-hash"] == \
            obj["status"]["updateRevision"]


def test_patch_without_change_reports_no_change(kubectl, manifest):
    """A patch that changes nothing is not written (same resourceVersion), so kubectl says so."""
    deploy(kubectl, manifest)
    rv = sts(kubectl)["metadata"]["resourceVersion"]
    out = ok(kubectl("patch", "sts", "web", "--type=merge", "-p", '{"spec":{"replicas":3}}'))
    assert out == "statefulset.apps/web patched (no change)\n"
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": IMAGE}]}}}}
    out = ok(kubectl("patch", "sts", "web", "-p", json.dumps(patch)))
    assert out == "statefulset.apps/web patched (no change)\n"
    assert sts(kubectl)["metadata"]["resourceVersion"] == rv


# --------------------------------------------------------------------------------------------
# scale
# --------------------------------------------------------------------------------------------

def test_scale_down_and_up(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    items, rv = snapshot(core.list_namespaced_pod, namespace=namespace)
    claims_before = {p.metadata.name: p.metadata.uid
                     for p in core.list_namespaced_persistent_volume_claim(namespace).items}

    assert ok(kubectl("scale", "sts/web", "--replicas=1")) == "statefulset.apps/web scaled\n"
    events = follow(core.list_namespaced_pod, items, rv, all_ready(["web-0"]),
                    namespace=namespace)
    # OrderedReady: the highest ordinal goes first, and web-1 only after web-2 is gone
    assert [n for t, n in events if t == "DELETED"] == ["web-2", "web-1"]
    assert rollout_status(kubectl)[-1] == \
        "partitioned roll out complete: 1 new pods have been updated..."
    [(header, rows, lines)] = tables(ok(kubectl("get", "sts", "web")))
    assert header == ["NAME", "READY", "AGE"] and rows[0]["READY"] == "1/1"
    # Retain: the claims of the removed pods stay
    assert {p.metadata.name: p.metadata.uid for p in
            core.list_namespaced_persistent_volume_claim(namespace).items} == claims_before

    items, rv = snapshot(core.list_namespaced_pod, namespace=namespace)
    assert ok(kubectl("scale", "sts/web", "--replicas=4")) == "statefulset.apps/web scaled\n"
    events = follow(core.list_namespaced_pod, items, rv,
                    all_ready(["web-0", "web-1", "web-2", "web-3"]), namespace=namespace)
    assert [n for t, n in events if t == "ADDED"] == ["web-1", "web-2", "web-3"]
    assert rollout_status(kubectl)[-1] == \
        "partitioned roll out complete: 4 new pods have been updated..."
    claims = {p.metadata.name: p.metadata.uid
              for p in core.list_namespaced_persistent_volume_claim(namespace).items}
    # the old claims are reused as they are; only data-web-3 is new
    assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2", "data-web-3"]
    for name, uid in claims_before.items():
        assert claims[name] == uid


# --------------------------------------------------------------------------------------------
# set image / rollout status
# --------------------------------------------------------------------------------------------

def test_set_image_and_rollout_status(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    old = sts(kubectl)["status"]["currentRevision"]
    assert ok(kubectl("set", "image", "sts/web", "app=" + IMAGE2)) == \
        "statefulset.apps/web image updated\n"
    lines = rollout_status(kubectl)
    assert lines[-1] == "partitioned roll out complete: 3 new pods have been updated..."
    status = sts(kubectl)["status"]
    assert status["updateRevision"] != old
    assert status["currentRevision"] == status["updateRevision"]
    assert status["updatedReplicas"] == status["currentReplicas"] == 3
    for p in core.list_namespaced_pod(namespace).items:
        assert p.spec.containers[0].image == IMAGE2
        assert p.metadata.labels["controller-revision-hash"] == status["updateRevision"]

    # --watch=false on a finished rollout prints the one line and exits 0
    out = ok(kubectl("rollout", "status", "sts/web", "--watch=false"))
    assert out == "partitioned roll out complete: 3 new pods have been updated...\n"


def test_rollout_status_partitioned(kubectl, tmp_path, apps, core, namespace):
    deploy(kubectl, write_manifest(tmp_path, partition=1))
    # With minReadySeconds far in the future no pod is Available, so (OrderedReady) the
    # controller is held at web-0 and the partitioned update cannot start: a stable state.
    patch = {"spec": {"minReadySeconds": 3600,
                      "template": {"spec": {"containers": [{"name": "app", "image": IMAGE2}]}}}}
    ok(kubectl("patch", "sts", "web", "--type=strategic", "-p", json.dumps(patch)))

    def observed(items):
        s = items.get("web")
        return s is not None and s["status"].get("observedGeneration") == \
            s["metadata"]["generation"]
    wait_for(apps.list_namespaced_stateful_set, observed, namespace=namespace)

    out = ok(kubectl("rollout", "status", "sts/web", "--watch=false"))
    assert out == "Waiting for partitioned roll out to finish: 0 out of 2 new pods have been " \
        "updated...\n"

    ok(kubectl("patch", "sts", "web", "--type=merge", "-p", '{"spec":{"minReadySeconds":0}}'))
    lines = rollout_status(kubectl)
    assert lines[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    status = sts(kubectl)["status"]
    # the partition holds web-0 back, so the revisions never converge
    assert status["currentRevision"] != status["updateRevision"]
    assert status["updatedReplicas"] == 2 and status["currentReplicas"] == 1
    images = {p.metadata.name: p.spec.containers[0].image
              for p in core.list_namespaced_pod(namespace).items}
    assert images == {"web-0": IMAGE, "web-1": IMAGE2, "web-2": IMAGE2}


def test_rollout_status_on_delete(kubectl, tmp_path, apps, namespace):
    ok(kubectl("apply", "-f", write_manifest(tmp_path, strategy="OnDelete")))
    wait_for(apps.list_namespaced_stateful_set,
             lambda items: (items.get("web", {}).get("status") or {}).get("readyReplicas") == 3,
             namespace=namespace)
    result = kubectl("rollout", "status", "sts/web", TIMEOUT)
    assert failed(result) == "error: rollout status is only available for RollingUpdate " \
        "strategy type\n"
    assert result.stdout == ""
    result = kubectl("rollout", "status", "sts/web", "--watch=false")
    assert failed(result) == "error: rollout status is only available for RollingUpdate " \
        "strategy type\n"


# --------------------------------------------------------------------------------------------
# rollout history / undo
# --------------------------------------------------------------------------------------------

def test_rollout_history_and_undo(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    assert ok(kubectl("rollout", "history", "sts/web")) == history_text((1, "<none>"))
    # with one revision there is nothing to go back to
    assert failed(kubectl("rollout", "undo", "sts/web")) == \
        "error: no last revision to roll back to\n"

    # the change-cause annotation is copied into the revision the controller creates next
    ok(kubectl("annotate", "sts", "web", "kubernetes.io/change-cause=image " + IMAGE2))
    ok(kubectl("set", "image", "sts/web", "app=" + IMAGE2))
    rollout_status(kubectl)
    assert ok(kubectl("rollout", "history", "sts/web")) == \
        history_text((1, "<none>"), (2, "image " + IMAGE2))

    out = ok(kubectl("rollout", "history", "sts/web", "--revision=1"))
    lines = out.splitlines()
    assert lines[0] == "statefulset.apps/web with revision #1"
    assert lines[1] == "Pod Template:"
    assert "    Image:\t" + IMAGE in lines
    out = ok(kubectl("rollout", "history", "sts/web", "--revision=2"))
    assert out.splitlines()[0] == "statefulset.apps/web with revision #2"
    assert "    Image:\t" + IMAGE2 in out.splitlines()
    result = kubectl("rollout", "history", "sts/web", "--revision=7")
    assert failed(result) == "error: unable to find the specified revision\n"
    assert result.stdout == ""

    result = kubectl("rollout", "undo", "sts/web", "--to-revision=7")
    assert failed(result) == "error: unable to find specified revision 7 in history\n"

    revisions = {r["revision"]: r["metadata"]["name"]
                 for r in get_json(kubectl, "controllerrevisions")["items"]}
    assert ok(kubectl("rollout", "undo", "sts/web")) == "statefulset.apps/web rolled back\n"
    obj = sts(kubectl)
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    assert rollout_status(kubectl)[-1] == \
        "partitioned roll out complete: 3 new pods have been updated..."
    status = sts(kubectl)["status"]
    # the old revision is reused (renumbered to 3), not copied
    assert status["updateRevision"] == status["currentRevision"] == revisions[1]
    after = {r["revision"]: r["metadata"]["name"]
             for r in get_json(kubectl, "controllerrevisions")["items"]}
    assert after == {2: revisions[2], 3: revisions[1]}
    assert ok(kubectl("rollout", "history", "sts/web")) == \
        history_text((2, "image " + IMAGE2), (3, "<none>"))
    for p in core.list_namespaced_pod(namespace).items:
        assert p.spec.containers[0].image == IMAGE
        assert p.metadata.labels["controller-revision-hash"] == revisions[1]

    # undo to an explicit revision
    assert ok(kubectl("rollout", "undo", "sts/web", "--to-revision=2")) == \
        "statefulset.apps/web rolled back\n"
    rollout_status(kubectl)
    assert sts(kubectl)["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE2
    assert ok(kubectl("rollout", "history", "sts/web")) == \
        history_text((3, "<none>"), (4, "image " + IMAGE2))


def test_rollout_undo_to_live_revision_is_skipped(kubectl, manifest):
    """kubectl compares the live template, encoded as the controller encodes revision data
    (Go's encoding, `"metadata":{"creationTimestamp":null,...}`), with the revision's data."""
    deploy(kubectl, manifest)
    ok(kubectl("set", "image", "sts/web", "app=" + IMAGE2))
    rollout_status(kubectl)
    assert ok(kubectl("rollout", "undo", "sts/web", "--to-revision=2")) == \
        "statefulset.apps/web skipped rollback (current template already matches revision 2)\n"
    assert sts(kubectl)["metadata"]["generation"] == 2
    data = {r["revision"]: r["data"] for r in get_json(kubectl, "controllerrevisions")["items"]}
    assert data[2]["spec"]["template"]["metadata"] == {"creationTimestamp": None,
                                                       "labels": {"app": "web"}}
    assert data[2]["spec"]["template"]["$patch"] == "replace"


def test_rollout_restart(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    uids = {p.metadata.name: p.metadata.uid for p in core.list_namespaced_pod(namespace).items}
    before = sts(kubectl)["status"]["updateRevision"]

    assert ok(kubectl("rollout", "restart", "sts/web")) == "statefulset.apps/web restarted\n"
    obj = sts(kubectl)
    stamp = obj["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", stamp)
    assert obj["metadata"]["generation"] == 2
    assert rollout_status(kubectl)[-1] == \
        "partitioned roll out complete: 3 new pods have been updated..."

    status = sts(kubectl)["status"]
    assert status["updateRevision"] != before
    assert status["currentRevision"] == status["updateRevision"]
    assert ok(kubectl("rollout", "history", "sts/web")) == \
        history_text((1, "<none>"), (2, "<none>"))
    now = core.list_namespaced_pod(namespace).items
    assert sorted(p.metadata.name for p in now) == ["web-0", "web-1", "web-2"]
    for p in now:
        assert p.metadata.uid != uids[p.metadata.name], "%s was not recreated" % p.metadata.name
        assert p.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == stamp
        assert p.metadata.labels["controller-revision-hash"] == status["updateRevision"]


def test_rollout_pause_is_unsupported(kubectl, manifest):
    deploy(kubectl, manifest)
    result = kubectl("rollout", "pause", "sts/web")
    err = failed(result)
    assert "pausing is not supported" in err
    assert err == 'error: statefulsets.apps "web" pausing is not supported\n'
    result = kubectl("rollout", "resume", "sts/web")
    assert failed(result) == 'error: statefulsets.apps "web" resuming is not supported\n'


# --------------------------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------------------------

def test_delete_pod_is_recreated(kubectl, manifest, core, namespace):
    deploy(kubectl, manifest)
    live = {p.metadata.name: p for p in core.list_namespaced_pod(namespace).items}
    old_uid = live["web-1"].metadata.uid
    claim_uid = core.read_namespaced_persistent_volume_claim("data-web-1", namespace).metadata.uid

    assert ok(kubectl("delete", "pod", "web-1")) == 'pod "web-1" deleted\n'
    items = wait_for(core.list_namespaced_pod,
                     lambda items: "web-1" in items and
                     items["web-1"]["metadata"]["uid"] != old_uid and pod_ready(items["web-1"]),
                     namespace=namespace)
    assert sorted(items) == ["web-0", "web-1", "web-2"]
    new = items["web-1"]
    assert new["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert new["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert items["web-0"]["metadata"]["uid"] == live["web-0"].metadata.uid
    assert items["web-2"]["metadata"]["uid"] == live["web-2"].metadata.uid
    # the claim survives its pod
    assert core.read_namespaced_persistent_volume_claim("data-web-1", namespace).metadata.uid \
        == claim_uid
    out = ok(kubectl("get", "pod", "web-1"))
    assert re.match(r"^web-1   1/1     Running   0          \S+$", out.splitlines()[1])


def test_delete_statefulset_retains_claims(kubectl, manifest, apps, core, namespace):
    deploy(kubectl, manifest)
    claims = {p.metadata.name: p.metadata.uid
              for p in core.list_namespaced_persistent_volume_claim(namespace).items}
    assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2"]

    assert ok(kubectl("delete", "sts", "web")) == 'statefulset.apps "web" deleted\n'
    # the garbage collector removes the pods and revisions the set owned
    wait_for(core.list_namespaced_pod, lambda items: not items, namespace=namespace)
    wait_for(apps.list_namespaced_controller_revision, lambda items: not items,
             namespace=namespace)
    result = kubectl("get", "sts,pods")
    assert ok(result) == ""
    assert result.stderr == "No resources found in %s namespace.\n" % namespace

    # whenDeleted: Retain (the default) keeps every claim, untouched
    now = core.list_namespaced_persistent_volume_claim(namespace).items
    assert {p.metadata.name: p.metadata.uid for p in now} == claims
    for p in now:
        assert p.metadata.deletion_timestamp is None
        assert not p.metadata.owner_references
    [(header, rows, lines)] = tables(ok(kubectl("get", "pvc")))
    assert [r["STATUS"] for r in rows] == ["Bound"] * 3
    assert ok(kubectl("get", "svc", "web", "-o", "name")) == "service/web\n"


# --------------------------------------------------------------------------------------------
# validation through kubectl
# --------------------------------------------------------------------------------------------

def test_apply_invalid_replicas(kubectl, tmp_path, manifest):
    deploy(kubectl, manifest)
    bad = write_manifest(tmp_path, "bad.yaml", replicas=-1)
    result = kubectl("apply", "-f", bad)
    assert failed(result) == 'The StatefulSet "web" is invalid: spec.replicas: Invalid value: ' \
        '-1: must be greater than or equal to 0\n'
    assert result.stdout == "service/web unchanged\n"
    assert sts(kubectl)["spec"]["replicas"] == 3

    # the same through create, on a name that does not exist yet
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text(yaml.safe_dump(statefulset(name="db", replicas=-1)))
    result = kubectl("create", "-f", str(fresh))
    assert failed(result) == 'The StatefulSet "db" is invalid: spec.replicas: Invalid value: ' \
        '-1: must be greater than or equal to 0\n'
    assert kubectl("get", "sts", "db").returncode == 1


def test_apply_immutable_field(kubectl, tmp_path, manifest):
    deploy(kubectl, manifest)
    changed = write_manifest(tmp_path, "changed.yaml", service="other")
    result = kubectl("apply", "-f", changed)
    err = failed(result)
    prefix = 'The StatefulSet "web" is invalid: spec: Forbidden: updates to statefulset spec ' \
        'for fields other than '
    assert err.startswith(prefix), err
    assert err.endswith(" are forbidden\n"), err
    assert "'replicas'" in err and "'template'" in err and "'updateStrategy'" in err
    assert len(err.splitlines()) == 1
    assert sts(kubectl)["spec"]["serviceName"] == "web"


# --------------------------------------------------------------------------------------------
# imperative create (kubectl sends these bodies as protobuf)
# --------------------------------------------------------------------------------------------

def test_create_pdb_imperatively(kubectl, manifest):
    deploy(kubectl, manifest)
    out = ok(kubectl("create", "poddisruptionbudget", "web", "--selector=app=web",
                     "--max-unavailable=1"))
    assert out == "poddisruptionbudget.policy/web created\n"
    [(header, rows, lines)] = tables(ok(kubectl("get", "pdb", "web")))
    assert header == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    assert rows[0]["MIN AVAILABLE"] == "N/A" and rows[0]["MAX UNAVAILABLE"] == "1"
