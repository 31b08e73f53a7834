"""`kubectl sts resize` end to end against a cluster (the sandbox by default). Tests that
inject faults or read the request log need the sandbox itself."""

import json

import pytest

from helpers import create_settled, sts_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_ERROR, EXIT_REFUSED, EXIT_ROLLOUT_FAILED, EXIT_USAGE


def _create(apps, core, namespace, replicas=2, storage_class=None, retention=None):
    return create_settled(apps, core, namespace, replicas=replicas, retention=retention,
                          storage_class=storage_class)


def _resize(capsys, kubeconfig, namespace, tmp_path, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "resize", "web",
                 "--backup", str(tmp_path / "web.json")] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _resize_while_creates_fail(sandbox, capsys, kubeconfig, namespace, tmp_path, times):
    """`resize web --size 2Gi --yes` while the first `times` creates of a StatefulSet get 500."""
    rule = sandbox.faults.add(status=500, method="POST", times=times,
                              path_regex=r"/namespaces/%s/statefulsets$" % namespace)
    try:
        return _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    finally:
        sandbox.faults.remove(rule)


def _pods(core, namespace):
    return {p.metadata.name: p for p in core.list_namespaced_pod(
        namespace, label_selector="app=web").items}


def _sizes(core, namespace):
    return {c.metadata.name: (c.status.capacity or {}).get("storage")
            for c in core.list_namespaced_persistent_volume_claim(namespace).items}


def _writes(sandbox, since):
    return [(e["method"], e["path"], e.get("query", "")) for e in sandbox.request_log[since:]
            if e["method"] not in ("GET",) and e["user_agent"].startswith("kubectl-sts/")
            and not e["path"].startswith("/apis/authorization.k8s.io/")]   # access reviews


def test_resize_grows_every_volume_and_keeps_every_pod(apps, core, namespace, kubeconfig,
                                                        capsys, tmp_path):
    before = _create(apps, core, namespace, replicas=3)
    pods = {n: p.metadata.uid for n, p in _pods(core, namespace).items()}
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    assert "data-web-0  " in out and "expand" in out
    assert "Template data: storage 1Gi -> 2Gi" in out
    # a running pod mounts each claim: the kubelet grows its file system online, and resize
    # waits for it (within --timeout): `complete` means every file system has SIZE
    for ordinal in range(3):
        assert "data-web-%d: 1Gi -> 2Gi" % ordinal in out, out
    assert "file system not yet" not in out
    assert "no pod restarted (3 pods, the same uids, adopted by the new set)" in out
    assert out.rstrip().endswith("resize of web complete")
    assert _sizes(core, namespace) == {"data-web-0": "2Gi", "data-web-1": "2Gi",
                                       "data-web-2": "2Gi"}
    after = apps.read_namespaced_stateful_set("web", namespace)
    assert after.metadata.uid != before["metadata"]["uid"]
    assert after.spec.volume_claim_templates[0].spec.resources.requests == {"storage": "2Gi"}
    now = _pods(core, namespace)
    assert {n: p.metadata.uid for n, p in now.items()} == pods
    assert all(p.status.container_statuses[0].restart_count == 0 for p in now.values())
    assert all(p.metadata.owner_references[0].uid == after.metadata.uid for p in now.values())
    assert after.status.current_revision == before["status"]["currentRevision"]
    backup = json.loads((tmp_path / "web.json").read_text())
    assert backup["kind"] == "ResizeBackup" and \
        backup["statefulSet"]["metadata"]["uid"] == before["metadata"]["uid"]
    # idempotent
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    assert "nothing to do: every PVC of web has 2Gi and the template asks for 2Gi" in out
    # a later scale-up makes the new ordinal's claim from the new template
    apps.patch_namespaced_stateful_set_scale("web", namespace, {"spec": {"replicas": 4}})
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 4), timeout=60,
             namespace=namespace)
    claim = core.read_namespaced_persistent_volume_claim("data-web-3", namespace)
    assert claim.spec.resources.requests == {"storage": "2Gi"}
    assert claim.status.capacity == {"storage": "2Gi"}


def test_claims_owned_by_the_set_are_kept_and_owned_by_the_new_one(apps, core, namespace,
                                                                   kubeconfig, capsys, tmp_path):
    """whenDeleted: Delete makes the set the claims' owner: the orphan delete must keep them
    (the garbage collector removes the old reference) and the new set owns them again."""
    _create(apps, core, namespace, retention={"whenDeleted": "Delete", "whenScaled": "Retain"})
    claims = {c.metadata.name: c.metadata.uid for c in
              core.list_namespaced_persistent_volume_claim(namespace).items}
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    new_uid = apps.read_namespaced_stateful_set("web", namespace).metadata.uid

    def owned(items):
        return set(items) == set(claims) and all(
            [r["uid"] for r in c["metadata"].get("ownerReferences") or []] == [new_uid]
            for c in items.values())
    now = wait_for(core.list_namespaced_persistent_volume_claim, owned, timeout=30,
                   namespace=namespace)
    assert {n: c["metadata"]["uid"] for n, c in now.items()} == claims


def test_a_file_system_that_grows_only_on_restart_is_reported(sandbox, apps, core, namespace,
                                                               kubeconfig, capsys, tmp_path):
    _create(apps, core, namespace, replicas=1)
    claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
    claim.metadata.annotations = dict(claim.metadata.annotations or {},
                                      **{"sandbox.kubectl-sts.io/resize": "offline"})
    core.replace_namespaced_persistent_volume_claim("data-web-0", namespace, claim)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes",
                             "--timeout", "30s")
    assert code == 0, err
    # the kubelet tried online and the driver refused (FailedPrecondition): only then, and
    # with the claim's own words, a restart is named
    lines = out.rstrip().splitlines()
    assert "data-web-0: the volume has 2Gi, its file system not yet: the driver grows it " \
        "only offline (failed to expand pvc with Expander.NodeExpand failed to expand the " \
        "volume : rpc error: code = FailedPrecondition desc = " in out
    assert "); it grows when web-0 starts again: kubectl sts restart web --ordinals 0" in out
    assert lines[-1] == "resize of web: the volumes and the template have 2Gi; 1 file " \
        "system not yet (1 needs a pod restart, above)"
    assert "resize of web complete" not in out
    assert _sizes(core, namespace) == {"data-web-0": "1Gi"}
    core.delete_namespaced_pod("web-0", namespace)
    wait_for(core.list_namespaced_persistent_volume_claim,
             lambda items: (items["data-web-0"]["status"].get("capacity") or {}).get(
                 "storage") == "2Gi", timeout=60, namespace=namespace)


def test_a_class_that_cannot_expand_is_refused_before_any_write(sandbox, apps, core, namespace,
                                                                  kubeconfig, capsys, tmp_path):
    _create(apps, core, namespace, storage_class="fixed")
    mark = len(sandbox.request_log)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == EXIT_REFUSED
    assert err.strip().splitlines() == [
        "error: refused: StorageClass fixed of PVC data-web-0 does not allow volume expansion "
        "(allowVolumeExpansion is not true) (and 1 more, listed above); nothing was changed"]
    assert _writes(sandbox, mark) == []
    assert not (tmp_path / "web.json").exists()


@pytest.mark.parametrize("flags", [["--yes"], ["--dry-run"], ["--dry-run", "-o", "json"]])
def test_shrinking_is_refused_before_any_plan_line(sandbox, apps, core, namespace, kubeconfig,
                                                   capsys, tmp_path, flags):
    _create(apps, core, namespace)
    mark = len(sandbox.request_log)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "500Mi",
                             *flags)
    assert code == EXIT_REFUSED
    assert out == ""                            # no plan, no ACTION expand
    assert err.splitlines() == [
        "error: refused: 500Mi is smaller than the capacity of PVC data-web-0 (1Gi), "
        "data-web-1 (1Gi): volumes cannot shrink; nothing was changed"]
    assert _writes(sandbox, mark) == []


def test_dry_runs_change_nothing(sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path):
    before = _create(apps, core, namespace)
    mark = len(sandbox.request_log)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi",
                             "--dry-run")
    assert code == 0, err
    assert "dry-run (client): nothing was sent" in out
    assert _writes(sandbox, mark) == []
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi",
                             "--dry-run=server")
    assert code == 0, err
    sent = _writes(sandbox, mark)
    assert [m for m, _, _ in sent] == ["PATCH", "PATCH", "DELETE"]
    assert all("dryRun=All" in q for _, _, q in sent)
    assert _sizes(core, namespace) == {"data-web-0": "1Gi", "data-web-1": "1Gi"}
    assert apps.read_namespaced_stateful_set("web", namespace).metadata.uid == \
        before["metadata"]["uid"]


def test_without_a_terminal_it_will_not_ask(apps, core, namespace, kubeconfig, capsys, tmp_path):
    _create(apps, core, namespace)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi")
    assert code == EXIT_USAGE
    assert 'refusing to ask "resize the volumes of web to 2Gi?"' in err


def test_json_output_is_the_plan_document(apps, core, namespace, kubeconfig, capsys, tmp_path):
    _create(apps, core, namespace)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi",
                             "--dry-run", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "ResizePlan" and doc["size"] == "2Gi"
    assert [c["name"] for c in doc["claims"]] == ["data-web-0", "data-web-1"]


def test_a_failing_expansion_stops_before_the_template(sandbox, apps, core, namespace,
                                                       kubeconfig, capsys, tmp_path):
    before = _create(apps, core, namespace)
    claim = core.read_namespaced_persistent_volume_claim("data-web-1", namespace)
    claim.metadata.annotations = dict(claim.metadata.annotations or {},
                                      **{"sandbox.kubectl-sts.io/resize": "fail"})
    core.replace_namespaced_persistent_volume_claim("data-web-1", namespace, claim)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes",
                             "--timeout", "30s")
    assert code == EXIT_ROLLOUT_FAILED, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: volume expansion failed: data-web-1: ")
    assert line.endswith("; the template was not changed")
    assert apps.read_namespaced_stateful_set("web", namespace).metadata.uid == \
        before["metadata"]["uid"]


def test_a_failed_create_puts_the_set_back_and_a_rerun_finishes(sandbox, apps, core, namespace,
                                                                 kubeconfig, capsys, tmp_path):
    _create(apps, core, namespace)
    code, out, err = _resize_while_creates_fail(sandbox, capsys, kubeconfig, namespace,
                                                tmp_path, times=1)
    assert code == EXIT_ERROR
    assert "creating it again as it was" in err
    old = apps.read_namespaced_stateful_set("web", namespace)
    assert old.spec.volume_claim_templates[0].spec.resources.requests == {"storage": "1Gi"}
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    assert apps.read_namespaced_stateful_set("web", namespace).spec.volume_claim_templates[
        0].spec.resources.requests == {"storage": "2Gi"}


def test_resume_creates_the_set_from_its_backup(sandbox, apps, core, namespace, kubeconfig,
                                                capsys, tmp_path):
    _create(apps, core, namespace)
    pods = {n: p.metadata.uid for n, p in _pods(core, namespace).items()}
    code, out, err = _resize_while_creates_fail(sandbox, capsys, kubeconfig, namespace,
                                                tmp_path, times=2)
    assert code == EXIT_ERROR
    assert err.strip().splitlines()[-1].endswith(
        "its pods keep running; finish with: kubectl sts resize web --size 2Gi --resume "
        "(backup: %s)" % (tmp_path / "web.json"))
    assert apps.list_namespaced_stateful_set(namespace).items == []
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes",
                             "--resume")
    assert code == 0, err
    assert "resumed: statefulset web has its pods back; no pod restarted" in out
    assert {n: p.metadata.uid for n, p in _pods(core, namespace).items()} == pods


@pytest.mark.parametrize("args, message", [
    (["--size", "big"], 'invalid size "big": use a quantity such as 20Gi'),
    (["--size", "2Gi", "--claim", "logs"], 'StatefulSet web has no claim template "logs"'),
])
def test_usage_errors(apps, core, namespace, kubeconfig, capsys, tmp_path, args, message):
    _create(apps, core, namespace, replicas=1)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, *args)
    assert code == EXIT_USAGE
    assert message in err


def test_an_interruption_between_delete_and_create_says_how_to_finish(
        sandbox, apps, core, namespace, kubeconfig, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    _create(apps, core, namespace)
    rule = sandbox.faults.add(latency=30, method="POST", times=None,
                              path_regex=r"/namespaces/%s/statefulsets$" % namespace)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
             "resize", "web", "--size", "2Gi", "--yes", "--backup", str(tmp_path / "web.json")],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONPATH=root))
        deadline = time.monotonic() + 60
        # the POST that creates the set again is held back (latency): the set is deleted
        while not any(f["rule"] == rule.name and f["fault"] == "latency"
                      for f in list(sandbox.faults.injected)):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        sandbox.faults.remove(rule)
    assert proc.returncode == 130, err
    assert "interrupted between deleting and creating statefulset web: its pods keep running; " \
        "finish with: kubectl sts resize web --size 2Gi --resume (backup: %s)" % (
            tmp_path / "web.json") in err
    assert "Traceback" not in err
