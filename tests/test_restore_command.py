"""`kubectl sts restore` end to end on the sandbox: a 3-ordinal set on the CSI class
csi-hostpath, a snapshot set of it taken by API (the labels of core/labels.py), then ordinal 1
restored from it; the plan of a dry run writes nothing; the refusals come before any write;
a run stopped half-way (a failed write) is continued with --resume. One namespace and one set
for the module, the tests in order."""

import json
import uuid

import pytest

from helpers import create_settled, own_sandbox, pod_ready, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.core.labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_REVISION_ANNOTATION,
                                     SNAPSHOT_SET_LABEL, SNAPSHOT_STS_LABEL,
                                     SNAPSHOT_TAKEN_ANNOTATION, SNAPSHOT_TEMPLATE_LABEL)
from kubectl_sts.errors import EXIT_REFUSED, EXIT_USAGE

GROUP, VERSION, PLURAL = "snapshot.storage.k8s.io", "v1", "volumesnapshots"
SET = "web-20260101-120000"


def take(custom, namespace, ordinal, set_name=SET, claim=None, revision="web-1"):
    """One VolumeSnapshot of a snapshot set, as `kubectl sts snapshot` labels it."""
    body = {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": "VolumeSnapshot",
            "metadata": {"name": "%s-data-%d" % (set_name, ordinal),
                         "labels": {SNAPSHOT_SET_LABEL: set_name, SNAPSHOT_STS_LABEL: "web",
                                    SNAPSHOT_ORDINAL_LABEL: str(ordinal),
                                    SNAPSHOT_TEMPLATE_LABEL: "data"},
                         "annotations": {SNAPSHOT_REVISION_ANNOTATION: revision,
                                         SNAPSHOT_TAKEN_ANNOTATION: "2026-01-01T12:00:00Z"}},
            "spec": {"source": {"persistentVolumeClaimName": claim or "data-web-%d" % ordinal}}}
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)


def ready(names):
    def check(items):
        return all((items.get(n, {}).get("status") or {}).get("readyToUse") for n in names)
    return check


@pytest.fixture(scope="module")
def cluster(core, apps, api_client, _session_sandbox):
    if _session_sandbox is None:
        pytest.skip("needs the sandbox's request log and faults")
    from kubernetes import client
    namespace = "restore-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    custom = client.CustomObjectsApi(api_client)
    sts = create_settled(apps, core, namespace, replicas=3, storage_class="csi-hostpath")
    for ordinal in range(3):
        take(custom, namespace, ordinal, revision=sts["status"]["updateRevision"])
    wait_for(custom.list_namespaced_custom_object, ready(["%s-data-%d" % (SET, k)
                                                         for k in range(3)]),
             group=GROUP, version=VERSION, namespace=namespace, plural=PLURAL)
    yield _session_sandbox, namespace, custom
    try:
        core.delete_namespace(namespace)
    except Exception:
        pass


def restore(cluster, capsys, tmp_path, *args):
    sandbox, namespace, _ = cluster
    capsys.readouterr()
    code = main(["--kubeconfig", sandbox.kubeconfig, "-n", namespace, "restore", "web",
                 "--backup-file", str(tmp_path / "web.json")] + list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def writes(sandbox, since):
    return [(e["method"], e["path"]) for e in sandbox.request_log[since:]
            if e["method"] not in ("GET",) and e["user_agent"].startswith("kubectl-sts/")
            and not e["path"].startswith("/apis/authorization.k8s.io/")]


def uids(core, namespace):
    pods = {p.metadata.name: p.metadata.uid for p in core.list_namespaced_pod(namespace).items}
    claims = {c.metadata.name: c for c in
              core.list_namespaced_persistent_volume_claim(namespace).items}
    return pods, claims


def test_dry_run_shows_the_plan_and_writes_nothing(cluster, capsys, tmp_path):
    sandbox, namespace, _ = cluster
    since = len(sandbox.request_log)
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "1",
                             "--dry-run")
    assert code == 0, err
    assert "  ordinal 1: pod web-1 restarts" in out
    assert "persistentvolumeclaim/data-web-1 replaced from volumesnapshot/%s-data-1 " \
           "(readyToUse, restoreSize 1Gi, taken 2026-01-01T12:00:00Z" % SET in out
    assert "(reclaimPolicy Delete): set to Retain first, so it is kept" in out
    assert "data written to these volumes since the snapshots were taken is lost" in out
    assert "the old volumes stay until you delete them: kubectl delete pv " in out
    assert out.rstrip().endswith("dry-run (client): nothing was sent")
    assert writes(sandbox, since) == []


def test_refused_before_any_write(cluster, capsys, tmp_path):
    """A snapshot in error, a set not found, an ordinal out of range: exit 11, one line."""
    sandbox, namespace, custom = cluster
    take(custom, namespace, 1, set_name="web-broken", claim="no-such-claim")
    wait_for(custom.list_namespaced_custom_object,      # the controller says why it cannot
             lambda items: (items.get("web-broken-data-1", {}).get("status") or {}).get(
                 "error"), group=GROUP, version=VERSION, namespace=namespace, plural=PLURAL)
    since = len(sandbox.request_log)
    code, out, err = restore(cluster, capsys, tmp_path, "--from", "web-broken", "--ordinal",
                             "1", "--yes")
    assert code == EXIT_REFUSED
    [line] = err.splitlines()
    assert line.startswith("error: refused: volumesnapshot web-broken-data-1 has an error: "
                           "Failed to set default snapshot class with error failed to retrieve "
                           "PVC no-such-claim"), err
    assert line.endswith("; nothing was changed")
    code, out, err = restore(cluster, capsys, tmp_path, "--from", "nope", "--all", "--yes")
    assert code == EXIT_REFUSED
    assert err == "error: refused: snapshot set nope not found (no VolumeSnapshot labelled " \
                  "kubectl-sts.io/snapshot-set=nope); nothing was changed\n"
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "3",
                             "--yes")
    assert (code, err) == (EXIT_REFUSED, "error: refused: ordinal 3 is out of range: web has "
                                         "ordinals 0..2; nothing was changed\n")
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--resume", "--yes")
    assert (code, err) == (EXIT_USAGE, "error: nothing to resume: %s holds no interrupted "
                           "restore of web from %s; pass --ordinal K or --all\n"
                           % (tmp_path / "web.json", SET))
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "1",
                             "--all")
    assert (code, err) == (EXIT_USAGE, "error: --ordinal and --all cannot be used together\n")
    assert writes(sandbox, since) == []


def test_restore_one_ordinal(cluster, core, capsys, tmp_path):
    sandbox, namespace, _ = cluster
    pods, claims = uids(core, namespace)
    old_pv = claims["data-web-1"].spec.volume_name
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "1",
                             "--yes")
    assert code == 0, err
    assert "persistentvolume/%s: reclaimPolicy Retain (was Delete)" % old_pv in out
    assert "statefulset.apps/web deleted (--cascade=orphan: its pods keep running)" in out
    assert "persistentvolumeclaim/data-web-1 created from volumesnapshot/%s-data-1" % SET in out
    assert "ordinal 1 restored: web-1 Ready, data-web-1 from %s-data-1" % SET in out
    assert out.rstrip().endswith("delete them with: kubectl delete pv %s" % old_pv)
    pods_after, claims_after = uids(core, namespace)
    restored = claims_after["data-web-1"]
    assert restored.metadata.uid != claims["data-web-1"].metadata.uid
    assert restored.status.phase == "Bound" and restored.spec.volume_name != old_pv
    assert (restored.spec.data_source.api_group, restored.spec.data_source.kind,
            restored.spec.data_source.name) == (GROUP, "VolumeSnapshot", SET + "-data-1")
    assert pods_after["web-1"] != pods["web-1"]
    assert pod_ready(core.read_namespaced_pod("web-1", namespace).to_dict())
    for k in (0, 2):            # untouched
        assert pods_after["web-%d" % k] == pods["web-%d" % k]
        assert claims_after["data-web-%d" % k].metadata.uid == \
            claims["data-web-%d" % k].metadata.uid
    pv = core.read_persistent_volume(old_pv)                # still there, Released
    assert pv.spec.persistent_volume_reclaim_policy == "Retain"
    assert pv.status.phase == "Released"
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "spent"


def test_a_run_stopped_half_way_is_continued_with_resume(cluster, core, apps, capsys,
                                                          tmp_path):
    sandbox, namespace, _ = cluster
    pods, claims = uids(core, namespace)
    rule = sandbox.faults.add(status=500, method="POST", times=1,
                              path_regex=r"/namespaces/%s/persistentvolumeclaims$" % namespace)
    try:
        code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "2",
                                 "--yes")
    finally:
        sandbox.faults.remove(rule)
    assert code != 0
    [line] = err.splitlines()
    assert "statefulset web may be deleted (its other pods keep running); ordinal 2 stopped " \
           "at create-claim; continue with: kubectl sts restore web --from %s --ordinal 2 " \
           "--resume --yes --backup-file %s" % (SET, tmp_path / "web.json") in line, err
    assert apps.list_namespaced_stateful_set(namespace).items == []
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--resume", "--yes")
    assert code == 0, err
    assert "statefulset web is missing; continuing the interrupted restore" in out
    assert "ordinal 2 restored: web-2 Ready" in out
    pods_after, claims_after = uids(core, namespace)
    assert claims_after["data-web-2"].spec.data_source.name == SET + "-data-2"
    assert claims_after["data-web-2"].metadata.uid != claims["data-web-2"].metadata.uid
    assert pods_after["web-0"] == pods["web-0"] and pods_after["web-1"] == pods["web-1"]


def test_ctrl_c_says_where_it_stands_and_resume_finishes(cluster, core, apps, capsys,
                                                        tmp_path, monkeypatch):
    """Ctrl-C after the claim was created from its snapshot, before the set is back: exit 130,
    the line says the set may be deleted and which command continues; --resume does."""
    from kubectl_sts.commands.restore.session import Restore
    from kubectl_sts.errors import EXIT_INTERRUPTED
    sandbox, namespace, _ = cluster
    pods, claims = uids(core, namespace)

    def interrupted(self):
        raise KeyboardInterrupt
    with monkeypatch.context() as patched:
        patched.setattr(Restore, "create_set", interrupted)
        code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--ordinal", "0",
                                 "--yes")
    assert code == EXIT_INTERRUPTED
    assert "persistentvolumeclaim/data-web-0 created from volumesnapshot/%s-data-0" % SET in out
    assert err.strip() == "interrupted: statefulset web may be deleted (its other pods keep " \
                          "running); ordinal 0 stopped at create-set; continue with: kubectl " \
                          "sts restore web --from %s --ordinal 0 --resume --yes --backup-file " \
                          "%s" % (SET, tmp_path / "web.json")
    assert apps.list_namespaced_stateful_set(namespace).items == []
    code, out, err = restore(cluster, capsys, tmp_path, "--from", SET, "--resume", "--yes")
    assert code == 0, err
    assert "persistentvolumeclaim/data-web-0 created" not in out      # not restored twice
    assert "ordinal 0 restored: web-0 Ready" in out
    _, claims_after = uids(core, namespace)
    assert claims_after["data-web-0"].spec.data_source.name == SET + "-data-0"
    assert claims_after["data-web-0"].metadata.uid != claims["data-web-0"].metadata.uid


def test_refused_where_snapshots_are_not_served(tmp_path, capsys):
    from helpers import create_settled as settled
    from kubernetes import client
    with own_sandbox(snapshots=False) as (sb, api):
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        settled(apps, core, "default", replicas=1)
        since = len(sb.request_log)
        capsys.readouterr()
        code = main(["--kubeconfig", sb.kubeconfig, "restore", "web", "--from", SET,
                     "--ordinal", "0", "--yes", "--backup-file", str(tmp_path / "b.json")])
        out, err = capsys.readouterr()
    assert code == EXIT_REFUSED
    assert err == "error: refused: the server does not serve snapshot.storage.k8s.io/v1: " \
                  "install the external-snapshotter CRDs and controller " \
                  "(https://github.com/kubernetes-csi/external-snapshotter#usage); nothing " \
                  "was changed\n"
    assert not [e for e in sb.request_log[since:] if e["method"] not in ("GET",)
                and not e["path"].startswith("/apis/authorization.k8s.io/")]


def test_rollout_snapshot_failed_step_undo_then_restore(_session_sandbox, core, apps,
                                                        capsys, tmp_path):
    """Issue 31's story end to end: `rollout --step --snapshot` takes a set before the step,
    the step fails and names the restore; `--undo` puts the template back; the restore named
    puts ordinal 1's data back from the set."""
    import re
    from kubernetes import client
    from kubectl_sts.errors import EXIT_ROLLOUT_FAILED
    if _session_sandbox is None:
        pytest.skip("needs the sandbox's snapshot controller")
    namespace = "restore-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))

    def run(*args):
        capsys.readouterr()
        code = main(["--kubeconfig", _session_sandbox.kubeconfig, "-n", namespace] +
                    list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err
    try:
        ran = create_settled(apps, core, namespace, replicas=2, storage_class="csi-hostpath",
                             pod_management="Parallel")["status"]["currentRevision"]
        assert run("rollout", "web", "--image", "app=registry.invalid/x:1", "--yes")[0] == 0
        code, out, err = run("rollout", "web", "--step", "--snapshot", "--timeout", "30s")
        assert code == EXIT_ROLLOUT_FAILED, (out, err)
        advice = re.search(r"kubectl sts restore web --from (\S+) --ordinal 1", err)
        assert advice, err
        code, out, err = run("rollout", "web", "--undo", "--yes")
        assert code == 0, (out, err)
        old = core.read_namespaced_persistent_volume_claim("data-web-1", namespace)
        code, out, err = run("restore", "web", "--from", advice.group(1), "--ordinal", "1",
                             "--yes", "--backup-file", str(tmp_path / "web.json"))
        assert code == 0, (out, err)
        # the data's revision: the one web-1 ran when the set was taken, not the staged one
        assert ", revision %s; the new claim asks for" % ran in out, out
        assert "ordinal 1 restored: web-1 Ready, data-web-1 from %s-data-1" % advice.group(1) \
            in out
        claim = core.read_namespaced_persistent_volume_claim("data-web-1", namespace)
        assert claim.metadata.uid != old.metadata.uid
        assert claim.spec.data_source.name == "%s-data-1" % advice.group(1)
        pod = core.read_namespaced_pod("web-1", namespace)
        assert pod.spec.containers[0].image != "registry.invalid/x:1"       # undone
        assert pod_ready(pod.to_dict())
    finally:
        core.delete_namespace(namespace)
