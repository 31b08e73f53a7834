"""`kubectl sts snapshot` against the sandbox (issue 31): a 3-ordinal set on the CSI class
csi-hostpath snapshotted into one set of 3 ready VolumeSnapshots, `-o name`, `--list`,
`--delete --yes`, `--dry-run=server` writing nothing; the refusals before any write (no
VolumeSnapshotClass for local-path's driver, a sandbox that does not serve the snapshot kinds);
`rollout --snapshot` naming the set in a failed step's advice; doctor's finding."""

import json
import uuid

import pytest

import builders
from helpers import create, own_sandbox, settle, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.core.labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_SET_LABEL,
                                     SNAPSHOT_STS_LABEL, SNAPSHOT_TEMPLATE_LABEL)
from kubectl_sts.errors import EXIT_CONFLICT, EXIT_REFUSED, EXIT_ROLLOUT_FAILED

GROUP, VERSION = "snapshot.storage.k8s.io", "v1"


@pytest.fixture
def api(sandbox, apps, core, api_client):
    """The session's sandbox (the snapshot kinds, csi-hostpath): apps, core and custom
    objects."""
    from kubernetes import client
    return apps, core, client.CustomObjectsApi(api_client)


@pytest.fixture
def sb(sandbox):
    return sandbox


def run(sb, namespace, capsys, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", sb.kubeconfig, "-n", namespace] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def new_namespace(api):
    name = "snap-" + uuid.uuid4().hex[:8]
    api[1].create_namespace({"metadata": {"name": name}})
    return name


def settled_set(api, namespace, replicas=3, storage_class="csi-hostpath", name="web"):
    sts = builders.statefulset(name, replicas, storage_class=storage_class,
                               pod_management="Parallel")
    create(api[0], api[1], namespace, sts)
    return settle(api[0], namespace, name, replicas)


def snapshots(api, namespace):
    return api[2].list_namespaced_custom_object(GROUP, VERSION, namespace,
                                                "volumesnapshots")["items"]


def test_a_set_of_three_ready_snapshots_listed_and_deleted(sb, api, capsys):
    ns = new_namespace(api)
    settled_set(api, ns)
    # a server dry run first: accepted, nothing written
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--dry-run=server")
    assert code == 0, err
    assert "dry-run (server): the API server accepted 3 object(s); nothing changed" in out
    assert snapshots(api, ns) == []
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--wait", "--timeout", "60s",
                         "-o", "name")
    assert code == 0, err
    set_ = out.strip()
    assert out == set_ + "\n" and set_.startswith("web-")          # the name only
    made = {s["metadata"]["name"]: s for s in snapshots(api, ns)
            if s["metadata"]["labels"].get(SNAPSHOT_SET_LABEL) == set_}
    assert sorted(made) == ["%s-data-%d" % (set_, k) for k in range(3)]
    for k in range(3):
        s = made["%s-data-%d" % (set_, k)]
        assert s["spec"]["source"] == {"persistentVolumeClaimName": "data-web-%d" % k}
        assert s["metadata"]["labels"][SNAPSHOT_STS_LABEL] == "web"
        assert s["metadata"]["labels"][SNAPSHOT_ORDINAL_LABEL] == str(k)
        assert s["metadata"]["labels"][SNAPSHOT_TEMPLATE_LABEL] == "data"
        assert s["status"]["readyToUse"] is True
        # progress and the sizes went to stderr
        assert "%s-data-%d ready to use: restoreSize 1Gi" % (set_, k) in err
    # --list: kubectl's table
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--list")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "TAKEN", "REVISION", "ORDINALS", "READY", "SIZE",
                              "GROUP"]
    row = [r.split() for r in rows if r.startswith(set_ + " ")]
    assert row and row[0][3:] == ["0,1,2", "3/3", "3Gi", "false"], out
    code, out, _ = run(sb, ns, capsys, "snapshot", "web", "--list", "--no-headers")
    assert not out.startswith("NAME")
    code, out, _ = run(sb, ns, capsys, "snapshot", "web", "--list", "-o", "json")
    doc = json.loads(out)
    assert doc["kind"] == "SnapshotSetList" and set_ in [i["name"] for i in doc["items"]]
    # --delete: shown, then deleted (no terminal: --yes)
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--delete", set_)
    assert code == 2 and "pass --yes" in err
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--delete", set_, "--yes")
    assert code == 0, err
    assert "snapshot set %s: 3 snapshot(s)" % set_ in out
    assert 'volumesnapshot.snapshot.storage.k8s.io "%s-data-2" deleted' % set_ in out
    left = [s for s in snapshots(api, ns)
            if s["metadata"]["labels"].get(SNAPSHOT_SET_LABEL) == set_
            and not s["metadata"].get("deletionTimestamp")]
    assert left == []


def test_a_volume_that_is_not_csi_is_refused_before_any_write(sb, api, capsys):
    """local-path (the default class): no VolumeSnapshotClass could help, the snapshot
    controller refuses a non-CSI source (external-snapshotter pvDriverFromSnapshot)."""
    ns = new_namespace(api)
    settled_set(api, ns, replicas=1, storage_class=None)      # the default class: local-path
    volume = api[1].read_namespaced_persistent_volume_claim("data-web-0", ns).spec.volume_name
    code, out, err = run(sb, ns, capsys, "snapshot", "web")
    assert code == EXIT_REFUSED, (out, err)
    assert "  %s-data-0  claim data-web-0  not a CSI volume  class <none>" % (
        out.split()[2]) in out, out
    assert err == ("error: refused: claim data-web-0's volume %s is not a CSI volume "
                   "(provisioner rancher.io/local-path, storageclass standard): volume "
                   "snapshots need a CSI driver with snapshot support; nothing was changed\n"
                   % volume)
    assert snapshots(api, ns) == []


def test_the_set_as_a_document(sb, api, capsys):
    ns = new_namespace(api)
    settled_set(api, ns, replicas=1)
    code, out, err = run(sb, ns, capsys, "snapshot", "web", "--wait", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "SnapshotSet" and doc["statefulSet"] == "web"
    assert doc["ordinals"] == [0] and doc["revision"].startswith("web-")
    [member] = doc["snapshots"]
    assert member["revision"] == doc["revision"]
    assert member["name"] == doc["name"] + "-data-0" and member["claim"] == "data-web-0"
    assert member["readyToUse"] is True and member["restoreSize"] == "1Gi"
    assert member["class"] == "csi-hostpath-snapclass"


def test_rollout_snapshot_names_the_set_in_a_failed_steps_advice(sb, api, capsys):
    """After staging, the set taken before the step records the revision the pods ran (the
    data's), not the staged update revision no pod ran yet."""
    ns = new_namespace(api)
    settled_set(api, ns, replicas=2)
    code, out, err = run(sb, ns, capsys, "rollout", "web", "--image",
                         "app=registry.invalid/x:1", "--yes")
    assert code == 0, err
    assert snapshots(api, ns) == []          # staging took none: not asked
    status = api[0].read_namespaced_stateful_set("web", ns).status
    ran = {p.metadata.name: p.metadata.labels["controller-revision-hash"]
           for p in api[1].list_namespaced_pod(ns).items}
    assert set(ran.values()) == {status.current_revision} != {status.update_revision}
    code, out, err = run(sb, ns, capsys, "rollout", "web", "--step", "--snapshot",
                         "--timeout", "30s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    taken = {s["metadata"]["labels"][SNAPSHOT_SET_LABEL] for s in snapshots(api, ns)}
    assert len(taken) == 1
    set_ = taken.pop()
    assert "snapshot set %s: 2 snapshot(s) of statefulset web before the rollout" % set_ in out
    assert all(s["status"]["readyToUse"] for s in snapshots(api, ns))
    assert {s["metadata"]["labels"][SNAPSHOT_ORDINAL_LABEL]: s["metadata"]["annotations"][
        "kubectl-sts.io/revision"] for s in snapshots(api, ns)} == {
        "0": ran["web-0"], "1": ran["web-1"]}
    assert "error: step failed: web-1 (ordinal 1)" in err
    code, out, _ = run(sb, ns, capsys, "snapshot", "web", "--list", "--no-headers")
    assert out.split()[:3] == [set_, out.split()[1], status.current_revision], out
    assert ("the data as it was before: kubectl sts restore web --from %s --ordinal 1" % set_
            in err)


@pytest.fixture(scope="module")
def bare():
    """A sandbox that does not serve the snapshot kinds, with a 2-ordinal set on csi-hostpath."""
    from kubernetes import client
    with own_sandbox(snapshots=False) as (sb, api_client):
        apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
        create(apps, core, "default", builders.statefulset(
            "web", 2, storage_class="csi-hostpath", pod_management="Parallel"))
        settle(apps, "default", "web", 2)
        yield sb, apps


@pytest.mark.parametrize("args", [
    ["snapshot", "web"],
    ["snapshot", "web", "--list"],
    ["rollout", "web", "--image", "app=nginx:1.28", "--snapshot", "--yes"],
])
def test_refused_where_the_snapshot_kinds_are_not_served(bare, capsys, args):
    sb, apps = bare
    before = apps.read_namespaced_stateful_set("web", "default")
    code, out, err = run(sb, "default", capsys, *args)
    assert code == EXIT_REFUSED, (out, err)
    assert err == ("error: refused: the server does not serve snapshot.storage.k8s.io/v1: "
                   "install the external-snapshotter CRDs and controller "
                   "(https://github.com/kubernetes-csi/external-snapshotter#usage); nothing was "
                   "changed\n")
    after = apps.read_namespaced_stateful_set("web", "default")
    assert after.metadata.resource_version == before.metadata.resource_version


def test_doctor_says_the_csi_claims_cannot_be_snapshotted(bare, capsys):
    sb, _ = bare
    code, out, err = run(sb, "default", capsys, "doctor", "web")
    assert code == 0, err
    assert out.startswith("info     web  snapshots-not-served: the server does not serve "
                          "snapshot.storage.k8s.io/v1: the PVCs on CSI driver "
                          "hostpath.csi.k8s.io cannot be snapshotted before an upgrade"), out
    assert "fix: install the external-snapshotter CRDs and controller" in out


def test_a_group_is_refused_where_the_group_kind_is_not_served(capsys):
    with own_sandbox(kubernetes_version="1.35") as (sb, api_client):
        from kubernetes import client
        apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
        create(apps, core, "default", builders.statefulset(
            "web", 1, storage_class="csi-hostpath"))
        settle(apps, "default", "web", 1)
        code, out, err = run(sb, "default", capsys, "snapshot", "web", "--group")
    assert code == EXIT_REFUSED, (out, err)
    assert err.startswith("error: refused: the server does not serve "
                          "groupsnapshot.storage.k8s.io (VolumeGroupSnapshot): install the "
                          "external-snapshotter CRDs and controller")


@pytest.mark.parametrize("args,message", [
    (["--list", "--delete", "web-1"], "error: --list and --delete cannot be used together"),
    (["--list", "--class", "c"], "error: --class cannot be used with --list"),
    (["--delete", "web-1", "--wait"], "error: --wait cannot be used with --delete"),
    (["--ordinals", "1,x"], 'error: invalid ordinal "x" in --ordinals 1,x'),
    (["--list", "--dry-run"], "error: --dry-run cannot be used with --list"),
])
def test_bad_flags_are_usage_errors_before_any_request(capsys, tmp_path, args, message):
    missing = str(tmp_path / "no-kubeconfig")           # never read: refused before
    code = main(["--kubeconfig", missing, "snapshot", "web"] + args)
    assert (code, capsys.readouterr().err) == (2, message + "\n")


@pytest.fixture(scope="module")
def grouped():
    """A sandbox playing 1.36 (the first release serving groupsnapshot.storage.k8s.io/v1) with
    a 3-ordinal set on csi-hostpath: the --group tests share it."""
    from kubernetes import client
    with own_sandbox(kubernetes_version="1.36") as (sb, api_client):
        apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
        create(apps, core, "default", builders.statefulset(
            "web", 3, storage_class="csi-hostpath", pod_management="Parallel"))
        settle(apps, "default", "web", 3)
        # a second namespace: a set is named by the second it is taken, so two tests in one
        # namespace could meet the same name
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="other")))
        create(apps, core, "other", builders.statefulset(
            "web", 2, storage_class="csi-hostpath", pod_management="Parallel"))
        settle(apps, "other", "web", 2)
        yield sb, (apps, core, client.CustomObjectsApi(api_client))


def test_a_group_set_taken_listed_and_deleted_with_its_group(grouped, capsys):
    """--group: one VolumeGroupSnapshot; its members (named and owned by the snapshot
    controller, external-snapshotter createSnapshotsForGroupSnapshotContent) ready with their
    restoreSize and labelled as `restore` reads a set; --list marks the set as a group;
    --delete removes the group, which takes its members (a member alone cannot go)."""
    sb, api = grouped
    code, out, err = run(sb, "default", capsys, "snapshot", "web", "--group", "--wait",
                         "--timeout", "30s", "-o", "name")
    assert code == 0, err
    set_ = out.strip()
    assert out == set_ + "\n" and set_.startswith("web-")
    group = api[2].get_namespaced_custom_object("groupsnapshot.storage.k8s.io", "v1", "default",
                                                "volumegroupsnapshots", set_)
    assert group["status"]["readyToUse"] is True
    assert "volumegroupsnapshot %s ready to use" % set_ in err
    members = {s["spec"]["source"]["persistentVolumeClaimName"]: s
               for s in snapshots(api, "default")
               if s["metadata"].get("labels", {}).get(SNAPSHOT_SET_LABEL) == set_}
    assert sorted(members) == ["data-web-%d" % k for k in range(3)]
    for k in range(3):
        s = members["data-web-%d" % k]
        name = s["metadata"]["name"]
        assert name.startswith("snapshot-") and len(name) == len("snapshot-") + 64
        assert s["metadata"]["ownerReferences"][0]["uid"] == group["metadata"]["uid"]
        assert {key: s["metadata"]["labels"][key] for key in (
            SNAPSHOT_STS_LABEL, SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_TEMPLATE_LABEL)} == {
            SNAPSHOT_STS_LABEL: "web", SNAPSHOT_ORDINAL_LABEL: str(k),
            SNAPSHOT_TEMPLATE_LABEL: "data"}
        assert s["status"]["readyToUse"] is True and s["status"]["restoreSize"] == "1Gi"
        assert "%s (claim data-web-%d) ready to use: restoreSize 1Gi" % (name, k) in err
    assert "restoreSize <unknown>" not in err
    code, out, err = run(sb, "default", capsys, "snapshot", "web", "--list")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "TAKEN", "REVISION", "ORDINALS", "READY", "SIZE",
                              "GROUP"]
    [row] = [r.split() for r in rows if r.startswith(set_ + " ")]
    assert row[3:] == ["0,1,2", "3/3", "3Gi", "true"], out
    code, out, err = run(sb, "default", capsys, "snapshot", "web", "--delete", set_,
                         "--dry-run=server")
    assert code == 0, err
    assert out.endswith("dry-run (server): the API server accepted 1 delete(s); nothing "
                        "changed\n"), out
    code, out, err = run(sb, "default", capsys, "snapshot", "web", "--delete", set_, "--yes")
    assert code == 0, err
    assert ("snapshot set %s: one VolumeGroupSnapshot %s of 3 snapshot(s): deleting it deletes "
            "its member snapshots" % (set_, set_)) in out
    assert 'volumegroupsnapshot.groupsnapshot.storage.k8s.io "%s" deleted' % set_ in out
    wait_for(api[2].list_namespaced_custom_object, lambda items: not [
        s for s in items.values()
        if (s["metadata"].get("labels") or {}).get(SNAPSHOT_SET_LABEL) == set_],
        timeout=20, group=GROUP, version=VERSION, namespace="default", plural="volumesnapshots")


def test_a_group_set_as_a_document(grouped, capsys):
    sb, api = grouped
    code, out, err = run(sb, "other", capsys, "snapshot", "web", "--group", "--ordinals",
                         "1", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["group"] is True and doc["ordinals"] == [1]
    [member] = doc["snapshots"]
    assert member["claim"] == "data-web-1" and member["name"].startswith("snapshot-")
    assert member["readyToUse"] is True and member["restoreSize"] == "1Gi"


def test_a_group_set_name_taken_already_is_a_clear_conflict(grouped, capsys, monkeypatch):
    """Two group sets in one second: the second VolumeGroupSnapshot's name exists."""
    import datetime
    from kubectl_sts.commands import snapshot as command
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(command, "now_utc", lambda: when)
    sb, _ = grouped
    code, out, err = run(sb, "other", capsys, "snapshot", "web", "--group", "-o", "name")
    assert (code, out) == (0, "web-20260102-030405\n"), err
    code, out, err = run(sb, "other", capsys, "snapshot", "web", "--group", "-o", "name")
    assert (code, out) == (EXIT_CONFLICT, ""), err
    assert err == ("error: snapshot set web-20260102-030405 exists already (a set is "
                        "named by the second it is taken): run the command again; nothing was "
                        "changed\n"), err


def test_a_group_set_interrupted_says_the_group_to_remove(grouped, capsys, monkeypatch):
    """Ctrl-C while the members are awaited: the group exists, its members are not labelled
    as the set yet; the advice names the VolumeGroupSnapshot."""
    from kubectl_sts.commands import snapshotset

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(snapshotset, "label_members", interrupted)
    import datetime
    from kubectl_sts.commands import snapshot as command
    monkeypatch.setattr(command, "now_utc", lambda: datetime.datetime(
        2026, 1, 3, 0, 0, 0, tzinfo=datetime.timezone.utc))    # a name of its own
    sb, api = grouped
    code, out, err = run(sb, "other", capsys, "snapshot", "web", "--group", "-o", "name")
    assert code == 130 and out == "", err
    set_ = err.split("volumegroupsnapshot.groupsnapshot.storage.k8s.io/")[1].split()[0]
    assert err.endswith("\ninterrupted: snapshot set %s: volumegroupsnapshot %s was created; "
                        "the snapshot controller goes on with it and its member snapshots, "
                        "which are not labelled as the set; remove them with kubectl delete "
                        "volumegroupsnapshot %s -n other\n" % (set_, set_, set_)), err
    api[2].get_namespaced_custom_object("groupsnapshot.storage.k8s.io", "v1", "other",
                                        "volumegroupsnapshots", set_)
