"""The sandbox's volume snapshots (snapshot.storage.k8s.io/v1 as external-snapshotter's
CRDs, the snapshot controller and CSI sidecar of kubectl_sts_sandbox/snapshots.py, restore in
the provisioner), seen through the real kubectl and the official client. One sandbox for the
module; each test in its own namespace."""

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

import builders
import helpers

GROUP, VERSION = "snapshot.storage.k8s.io", "v1"
CSI_CLASS = "csi-hostpath"


@pytest.fixture(scope="module")
def box(kubectl_bin):
    with helpers.own_sandbox() as (sb, api):
        yield sb, api


@pytest.fixture
def ns(box):
    from kubernetes import client
    name = "s-" + uuid.uuid4().hex[:8]
    client.CoreV1Api(box[1]).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


@pytest.fixture
def k(box, kubectl_bin, ns):
    def run(*args, stdin=None, namespaced=True):
        cmd = [kubectl_bin, "--kubeconfig", box[0].kubeconfig] + (["-n", ns] if namespaced
                                                                    else [])
        return subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True,
                              timeout=60)
    return run


def _apply(k, *objs):
    done = k("apply", "-f", "-", stdin="\n".join(json.dumps(o) for o in objs))
    assert done.returncode == 0, done.stderr
    return done


def _custom(box):
    from kubernetes import client
    return client.CustomObjectsApi(box[1])


def _core(box):
    from kubernetes import client
    return client.CoreV1Api(box[1])


def _pod(name, claim):
    return builders.pod(name, image="nginx", claims=[claim])


def _bound_claim(box, k, ns, name="data", storage_class=CSI_CLASS, size="1Gi", spec=None):
    """A claim of the class with a pod using it, once Bound."""
    claim = builders.claim(name, size, storage_class=storage_class, spec=spec)
    _apply(k, claim, _pod("use-" + name, name))
    items = helpers.wait_for(_core(box).list_namespaced_persistent_volume_claim,
                             lambda items: (items.get(name, {}).get("status") or {}).get(
                                 "phase") == "Bound", timeout=20, namespace=ns)
    return items[name]


def _wait_snapshots(box, ns, predicate, timeout=20):
    return helpers.wait_for(_custom(box).list_namespaced_custom_object, predicate,
                            timeout=timeout, group=GROUP, version=VERSION, namespace=ns,
                            plural="volumesnapshots")


def _ready(name):
    return lambda items: ((items.get(name) or {}).get("status") or {}).get("readyToUse") is True


def _events(k, name):
    out = k("get", "events", "--field-selector", "involvedObject.name=" + name, "-o", "json")
    return [(e["type"], e["reason"], e["message"]) for e in json.loads(out.stdout)["items"]]


def test_a_snapshot_of_a_csi_claim_becomes_ready_bound_to_its_content(box, k, ns):
    claim = _bound_claim(box, k, ns)
    pv = _core(box).read_persistent_volume(claim["spec"]["volumeName"])
    assert pv.spec.csi.driver == "hostpath.csi.k8s.io" and pv.spec.csi.volume_handle
    rv = claim["metadata"]["resourceVersion"]
    _apply(k, builders.volume_snapshot("snap", "data"))
    snap = _wait_snapshots(box, ns, _ready("snap"))["snap"]
    # the source claim carried the controller's finalizer while the snapshot was cut, and
    # lost it once the snapshot was ready
    held = []
    for _, obj, _ in helpers.watch_items(_core(box).list_namespaced_persistent_volume_claim, 5,
                                         resource_version=rv, namespace=ns):
        held.append("snapshot.storage.kubernetes.io/pvc-as-source-protection" in (
            obj["metadata"].get("finalizers") or []))
        if held[-2:] == [True, False]:
            break
    assert held[-2:] == [True, False]
    status = snap["status"]
    content_name = "snapcontent-" + snap["metadata"]["uid"]
    assert status["boundVolumeSnapshotContentName"] == content_name
    assert status["restoreSize"] == "1Gi" and status["creationTime"]
    assert snap["spec"]["volumeSnapshotClassName"] == "csi-hostpath-snapclass"  # the default
    assert snap["metadata"]["finalizers"] == [
        "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
        "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"]
    content = _custom(box).get_cluster_custom_object(GROUP, VERSION, "volumesnapshotcontents",
                                                     content_name)
    assert content["spec"]["volumeSnapshotRef"]["uid"] == snap["metadata"]["uid"]
    assert content["spec"]["source"] == {"volumeHandle": pv.spec.csi.volume_handle}
    assert content["spec"]["deletionPolicy"] == "Delete"
    assert content["status"]["readyToUse"] is True
    assert content["status"]["restoreSize"] == 1073741824
    assert isinstance(content["status"]["creationTime"], int)
    assert content["metadata"]["finalizers"] == [
        "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"]
    # managedFields name external-snapshotter's writers as a real cluster does: the common
    # controller (its binary's User-Agent) and the CSI driver's sidecar for the content status
    managers = {(e["manager"], e.get("subresource", "")) for e in snap["metadata"]["managedFields"]}
    assert ("snapshot-controller", "status") in managers
    assert ("snapshot-controller", "") in managers              # its finalizers
    content_managers = {(e["manager"], e.get("subresource", ""))
                        for e in content["metadata"]["managedFields"]}
    assert content_managers >= {("snapshot-controller", ""), ("csi-snapshotter", "status")}
    # the source claim's finalizer is gone once the snapshot is ready
    fresh = _core(box).read_namespaced_persistent_volume_claim("data", ns)
    assert "snapshot.storage.kubernetes.io/pvc-as-source-protection" not in (
        fresh.metadata.finalizers or [])
    reasons = [reason for _, reason, _ in _events(k, "snap")]
    assert reasons[:3] == ["CreatingSnapshot", "SnapshotCreated", "SnapshotReady"]
    # kubectl get: the CRD's printer columns, by short name too
    lines = k("get", "vs").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READYTOUSE", "SOURCEPVC", "SOURCESNAPSHOTCONTENT",
                                "RESTORESIZE", "SNAPSHOTCLASS", "SNAPSHOTCONTENT",
                                "CREATIONTIME", "AGE"]
    assert lines[1].split()[:6] == ["snap", "true", "data", "1Gi", "csi-hostpath-snapclass",
                                    content_name]
    row = k("get", "vsc", content_name, namespaced=False).stdout.splitlines()[1].split()
    assert row[:8] == [content_name, "true", "1073741824", "Delete", "hostpath.csi.k8s.io",
                       "csi-hostpath-snapclass", "snap", ns]


def test_a_snapshot_of_a_local_path_claim_fails_as_on_a_real_cluster(box, k, ns):
    _bound_claim(box, k, ns, "local", storage_class="standard")
    _apply(k, builders.volume_snapshot("snap", "local"))
    message = ("Failed to set default snapshot class with error snapshotting non-CSI volumes "
               "is not supported, snapshot:%s/snap" % ns)
    snap = _wait_snapshots(box, ns, lambda items: (items.get("snap", {}).get("status") or {})
                           .get("error"))["snap"]
    assert snap["status"]["error"]["message"] == message
    assert "readyToUse" not in snap["status"]
    assert ("Warning", "SetDefaultSnapshotClassFailed", message) in _events(k, "snap")
    # with the class named: the content cannot be made, the PV has no CSI source
    _apply(k, builders.volume_snapshot("named", "local", snapshot_class="csi-hostpath-snapclass"))
    snap = _wait_snapshots(box, ns, lambda items: (items.get("named", {}).get("status") or {})
                           .get("error"))["named"]
    pv = _core(box).read_namespaced_persistent_volume_claim("local", ns).spec.volume_name
    assert snap["status"]["error"]["message"] == (
        "Failed to create snapshot content with error cannot find CSI PersistentVolumeSource "
        "for volume %s" % pv)
    assert snap["status"]["readyToUse"] is False


def test_deleting_snapshots_follows_the_content_deletion_policy(box, k, ns):
    _bound_claim(box, k, ns)
    retain = {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
              "metadata": {"name": "retain-" + ns}, "driver": "hostpath.csi.k8s.io",
              "deletionPolicy": "Retain"}
    _apply(k, retain)
    _apply(k, builders.volume_snapshot("gone"),
           builders.volume_snapshot("kept", snapshot_class="retain-" + ns))
    items = _wait_snapshots(box, ns, lambda items: _ready("gone")(items) and
                            _ready("kept")(items))
    contents = {name: items[name]["status"]["boundVolumeSnapshotContentName"]
                for name in ("gone", "kept")}
    # a Retain content holds no bound finalizer on its snapshot
    assert items["kept"]["metadata"]["finalizers"] == [
        "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"]
    done = k("delete", "vs", "gone", "kept", "--wait=true", "--timeout=20s")
    assert done.returncode == 0, done.stderr
    listed = json.loads(k("get", "vsc", "-o", "json", namespaced=False).stdout)["items"]
    names = {c["metadata"]["name"]: c for c in listed}
    assert contents["gone"] not in names
    kept = names[contents["kept"]]
    assert kept["spec"]["deletionPolicy"] == "Retain"
    assert kept["metadata"]["annotations"][
        "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted"] == "yes"
    assert kept["status"]["readyToUse"] is True
    k("delete", "vsclass", "retain-" + ns, namespaced=False)
    # the retained snapshot, pre-provisioned again for a new VolumeSnapshot
    static = {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
              "metadata": {"name": "again-" + ns},
              "spec": {"deletionPolicy": "Retain", "driver": "hostpath.csi.k8s.io",
                       "source": {"snapshotHandle": kept["status"]["snapshotHandle"]},
                       "volumeSnapshotRef": {"name": "again", "namespace": ns}}}
    _apply(k, static, builders.volume_snapshot("again", None, content="again-" + ns))
    again = _wait_snapshots(box, ns, _ready("again"))["again"]
    assert again["status"]["boundVolumeSnapshotContentName"] == "again-" + ns
    assert again["status"]["restoreSize"] == "1Gi"
    assert again["metadata"]["finalizers"] == [
        "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"]


def test_a_claim_restored_from_a_ready_snapshot_binds_and_records_its_source(box, k, ns):
    _bound_claim(box, k, ns)
    _apply(k, builders.volume_snapshot("snap"))
    _wait_snapshots(box, ns, _ready("snap"))
    source = {"dataSource": {"apiGroup": GROUP, "kind": "VolumeSnapshot", "name": "snap"}}
    restored = _bound_claim(box, k, ns, "restored", spec=source)
    pv = _core(box).read_persistent_volume(restored["spec"]["volumeName"])
    assert pv.spec.csi.driver == "hostpath.csi.k8s.io"
    assert pv.metadata.annotations["sandbox.kubectl-sts.io/restored-from"].startswith(
        "%s/snap " % ns)


def test_a_restore_too_small_or_from_a_snapshot_not_ready_fails_with_the_provisioner_event(
        box, k, ns):
    _bound_claim(box, k, ns, size="2Gi")
    _apply(k, builders.volume_snapshot("snap"))
    _wait_snapshots(box, ns, _ready("snap"))
    source = {"dataSource": {"apiGroup": GROUP, "kind": "VolumeSnapshot", "name": "snap"}}
    small = builders.claim("small", "1Gi", storage_class=CSI_CLASS, spec=source)
    # a pre-provisioned content whose snapshot the driver does not have: bound, never ready
    content = {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
               "metadata": {"name": "static-" + ns},
               "spec": {"deletionPolicy": "Delete", "driver": "hostpath.csi.k8s.io",
                        "source": {"snapshotHandle": "no-such-snapshot"},
                        "volumeSnapshotRef": {"name": "static", "namespace": ns}}}
    static = builders.volume_snapshot("static", None, content="static-" + ns)
    _apply(k, content, static)
    _wait_snapshots(box, ns, lambda items: (items.get("static", {}).get("status") or {}).get(
        "boundVolumeSnapshotContentName"))
    waiting = builders.claim("waiting", "2Gi", storage_class=CSI_CLASS, spec={
        "dataSource": {"apiGroup": GROUP, "kind": "VolumeSnapshot", "name": "static"}})
    _apply(k, small, _pod("use-small", "small"), waiting, _pod("use-waiting", "waiting"))
    wanted = {
        "small": 'failed to provision volume with StorageClass "csi-hostpath": error getting '
                 'handle for DataSource Type VolumeSnapshot by Name snap: requested volume '
                 'size 1073741824 is less than the size 2147483648 for the source snapshot '
                 'snap',
        "waiting": 'failed to provision volume with StorageClass "csi-hostpath": error '
                   'getting handle for DataSource Type VolumeSnapshot by Name static: '
                   'snapshot static is not Ready'}
    from kubernetes import client
    events = client.CoreV1Api(box[1]).list_namespaced_event
    helpers.wait_for(events, lambda items: all(
        any(e["reason"] == "ProvisioningFailed" and e["message"] == message and
            e["involvedObject"]["name"] == claim for e in items.values())
        for claim, message in wanted.items()), timeout=20, namespace=ns)
    for claim in wanted:
        assert _core(box).read_namespaced_persistent_volume_claim(
            claim, ns).status.phase == "Pending"
    pod = _core(box).read_namespaced_pod("use-small", ns)
    assert pod.status.phase == "Pending" and not pod.spec.node_name
    # a snapshot a Pending claim restores from is not deleted yet
    k("delete", "vs", "static", "--wait=false")
    helpers.wait_for(events, lambda items: any(
        e["reason"] == "SnapshotDeletePending" and e["involvedObject"]["name"] == "static"
        for e in items.values()), timeout=20, namespace=ns)
    assert _custom(box).get_namespaced_custom_object(GROUP, VERSION, ns, "volumesnapshots",
                                                     "static")["metadata"]["finalizers"]


def test_group_kinds_from_1_36_and_no_snapshot_kinds_without_snapshot_support(kubectl_bin):
    with helpers.own_sandbox(kubernetes_version="1.35") as (sb, _):
        got = subprocess.run([kubectl_bin, "--kubeconfig", sb.kubeconfig, "api-resources",
                              "-o", "name"], capture_output=True, text=True, timeout=60)
        names = got.stdout.split()
        assert "volumesnapshots.snapshot.storage.k8s.io" in names   # groups only from 1.36
        assert not [n for n in names if n.endswith(".groupsnapshot.storage.k8s.io")]
    with helpers.own_sandbox(snapshots=False) as (sb, _):
        run = [kubectl_bin, "--kubeconfig", sb.kubeconfig]
        got = subprocess.run(run + ["get", "volumesnapshots"], capture_output=True, text=True,
                             timeout=60)
        assert got.returncode == 1
        assert got.stderr.strip() == ('error: the server doesn\'t have a resource type '
                                      '"volumesnapshots"')
        crds = subprocess.run(run + ["get", "crd"], capture_output=True, text=True, timeout=60)
        assert crds.returncode == 0 and crds.stderr.strip() == "No resources found"


def test_the_sandbox_command_serves_no_snapshots_with_no_snapshots(tmp_path, kubectl_bin):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    kubeconfig = tmp_path / "sb.kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_sts", "sandbox", "--fast",
                             "--no-snapshots", "--kubeconfig", str(kubeconfig)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=root))
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith("sandbox: serving http://127.0.0.1:")
        got = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), "api-resources",
                              "--api-group", GROUP, "--no-headers"], capture_output=True,
                             text=True, timeout=60)
        assert got.returncode == 0 and got.stdout == ""
        classes = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), "get", "sc",
                                  "csi-hostpath", "--no-headers"], capture_output=True,
                                 text=True, timeout=60)
        assert classes.stdout.split()[1] == "hostpath.csi.k8s.io"   # the driver is there
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_claim_data_sources_are_normalized_and_validated_as_by_the_api_server(box, k, ns):
    snap = {"apiGroup": GROUP, "kind": "VolumeSnapshot", "name": "snap"}
    _apply(k, builders.claim("one", storage_class=CSI_CLASS, spec={"dataSource": snap}),
           builders.claim("two", storage_class=CSI_CLASS, spec={"dataSourceRef": snap}))
    for name in ("one", "two"):
        spec = json.loads(k("get", "pvc", name, "-o", "json").stdout)["spec"]
        assert spec["dataSource"] == snap and spec["dataSourceRef"] == snap
    # a VolumeSnapshot without its API group: dropped from dataSource (KEP-1495 backwards
    # compatibility), refused in dataSourceRef
    bad = builders.claim("bad", storage_class=CSI_CLASS, spec={
        "dataSource": {"kind": "PersistentVolumeClaim", "name": "source"},
        "dataSourceRef": {"kind": "VolumeSnapshot", "name": "snap"}})
    done = k("create", "-f", "-", stdin=json.dumps(bad))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'The PersistentVolumeClaim "bad" is invalid: \n'
        '* spec.dataSourceRef: Invalid value: "VolumeSnapshot": must be '
        '\'PersistentVolumeClaim\' when referencing the default apiGroup\n'
        '* spec: Invalid value: spec.dataSource: must match dataSourceRef')


def test_the_snapshot_schema_is_validated_as_the_crd_declares_it(box, k, ns):
    crds = k("get", "crd", "-o", "name", namespaced=False).stdout.split()
    assert crds == ["customresourcedefinition.apiextensions.k8s.io/%s" % name for name in (
        "volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io",
        "volumegroupsnapshotcontents.groupsnapshot.storage.k8s.io",
        "volumegroupsnapshots.groupsnapshot.storage.k8s.io",
        "volumesnapshotclasses.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
        "volumesnapshots.snapshot.storage.k8s.io")]
    explained = k("explain", "volumesnapshot.spec.source").stdout
    assert "KIND:       VolumeSnapshot" in explained
    assert "  persistentVolumeClaimName\t<string>" in explained
    both = builders.volume_snapshot("both", "data", content="c")
    done = k("create", "-f", "-", stdin=json.dumps(both))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'The VolumeSnapshot "both" is invalid: spec.source: Invalid value: "object": exactly '
        'one of volumeSnapshotContentName and persistentVolumeClaimName must be set')
    _apply(k, builders.volume_snapshot("snap", "data"))
    patch = k("patch", "vs", "snap", "--type=merge", "-p",
              '{"spec":{"source":{"persistentVolumeClaimName":"other"}}}')
    assert patch.returncode == 1
    assert patch.stderr.strip() == (
        'The VolumeSnapshot "snap" is invalid: spec.source.persistentVolumeClaimName: Invalid '
        'value: "string": persistentVolumeClaimName is immutable')


def test_a_group_snapshot_cuts_every_selected_claim_and_owns_its_members(box, k, ns):
    for name in ("data-0", "data-1"):
        _bound_claim(box, k, ns, name, spec=None)
        done = k("label", "pvc", name, "app=db")
        assert done.returncode == 0, done.stderr
    group = {"apiVersion": "groupsnapshot.storage.k8s.io/v1", "kind": "VolumeGroupSnapshot",
             "metadata": {"name": "group"},
             "spec": {"source": {"selector": {"matchLabels": {"app": "db"}}}}}
    _apply(k, group)
    helpers.wait_for(_custom(box).list_namespaced_custom_object, _ready("group"), timeout=20,
                     group="groupsnapshot.storage.k8s.io", version="v1", namespace=ns,
                     plural="volumegroupsnapshots")
    members = _wait_snapshots(box, ns, lambda items: len(items) == 2 and all(
        _ready(name)(items) for name in items))
    got = json.loads(k("get", "vgs", "group", "-o", "json").stdout)
    assert got["spec"]["volumeGroupSnapshotClassName"] == "csi-hostpath-groupsnapclass"
    content = got["status"]["boundVolumeGroupSnapshotContentName"]
    assert content == "groupsnapcontent-" + got["metadata"]["uid"]
    assert got["metadata"]["finalizers"] == [
        "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-bound-protection"]
    assert sorted(m["spec"]["source"]["persistentVolumeClaimName"]
                  for m in members.values()) == ["data-0", "data-1"]
    for name, member in members.items():
        assert name.startswith("snapshot-") and len(name) == len("snapshot-") + 64
        assert member["metadata"]["ownerReferences"] == [
            {"apiVersion": "groupsnapshot.storage.k8s.io/v1", "kind": "VolumeGroupSnapshot",
             "name": "group", "uid": got["metadata"]["uid"]}]
        assert "snapshot.storage.kubernetes.io/volumesnapshot-in-group-protection" in \
            member["metadata"]["finalizers"]
        assert member["status"]["volumeGroupSnapshotName"] == "group"
        assert member["status"]["restoreSize"] == "1Gi"
    lines = k("get", "vgs").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READYTOUSE", "VOLUMEGROUPSNAPSHOTCLASS",
                                "VOLUMEGROUPSNAPSHOTCONTENT", "CREATIONTIME", "AGE"]
    assert lines[1].split()[:4] == ["group", "true", "csi-hostpath-groupsnapclass", content]
    # a member alone cannot go; the group takes its members and contents with it
    member = sorted(members)[0]
    k("delete", "vs", member, "--wait=false")
    reasons = [reason for _, reason, _ in _events(k, member)]
    assert "SnapshotDeletePending" in reasons
    done = k("delete", "vgs", "group", "--wait=true", "--timeout=20s")
    assert done.returncode == 0, done.stderr
    _wait_snapshots(box, ns, lambda items: not items)
    listed = k("get", "vgsc,vsc", "-o", "name", namespaced=False).stdout.split()
    assert not [name for name in listed if content in name or
                any(m[len("snapshot-"):] in name for m in members)]


def test_the_default_roles_do_not_grant_snapshots_as_external_snapshotter_ships_none(box, k,
                                                                                      ns):
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "alice-edit"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "edit"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                             "name": "alice"}]}
    _apply(k, binding)
    claims = k("auth", "can-i", "create", "persistentvolumeclaims", "--as", "alice")
    assert claims.stdout.strip() == "yes"
    snaps = k("auth", "can-i", "create", "volumesnapshots", "--as", "alice")
    assert (snaps.stdout.strip(), snaps.stderr) == ("no", "")


def test_a_restore_waits_for_its_snapshot_and_binds_once_it_is_ready(box, k, ns):
    # the snapshot's claim is not bound yet: no snapshot, so the restore cannot start
    _apply(k, builders.claim("data", storage_class=CSI_CLASS), builders.volume_snapshot("snap"))
    source = {"dataSource": {"apiGroup": GROUP, "kind": "VolumeSnapshot", "name": "snap"}}
    _apply(k, builders.claim("restored", storage_class=CSI_CLASS, spec=source),
           _pod("use-restored", "restored"))
    message = ('failed to provision volume with StorageClass "csi-hostpath": error getting '
               'handle for DataSource Type VolumeSnapshot by Name snap: snapshot snap not bound')
    events = _core(box).list_namespaced_event
    helpers.wait_for(events, lambda items: any(
        e["reason"] == "ProvisioningFailed" and e["message"] == message
        for e in items.values()), timeout=20, namespace=ns)
    # once the source claim is used, the snapshot is cut and the restore goes on by itself
    _apply(k, _pod("use-data", "data"))
    helpers.wait_for(_core(box).list_namespaced_persistent_volume_claim,
                     lambda items: (items.get("restored", {}).get("status") or {}).get(
                         "phase") == "Bound", timeout=30, namespace=ns)
