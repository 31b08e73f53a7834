"""`resize`'s backup and lost answers: a dry run never writes; a backup is used only by
--resume and never by two runs; a write whose answer was lost is read again. The decisions
(core.resize backup_verdict, lost_delete, lost_create) table-driven first, then end to end
on the sandbox (its faults reset a connection after the write was applied, or answer 503)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from builders import statefulset
from helpers import create_settled
from test_resize_command import _resize
from kubectl_sts.core.resize import backup_verdict, lost_create, lost_delete
from kubectl_sts.errors import EXIT_CONFLICT, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_USAGE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the decisions --------------------------------------------------------------------------------

def _doc(state, run="other"):
    return {"kind": "ResizeBackup", "state": state, "run": run}


@pytest.mark.parametrize("doc, live_uid, alive, want", [
    (None, None, False, "none"),
    (_doc("spent"), None, False, "none"),
    (_doc("spent"), "u1", True, "none"),
    (_doc("running"), None, True, "busy"),              # another run, still going
    (_doc("running"), "u1", True, "busy"),
    (_doc("running", run="mine"), None, True, "resumable"),
    (_doc("running"), None, False, "resumable"),        # its process died (SIGKILL)
    (_doc("interrupted"), None, True, "resumable"),     # it ended: only --resume uses it
    (_doc("interrupted"), "u1", False, "stale"),        # the set exists: not used
    ({"kind": "ResizeBackup"}, None, False, "resumable"),   # written before states existed
])
def test_backup_verdict(doc, live_uid, alive, want):
    assert backup_verdict(doc, live_uid, "mine", alive) == want


def _set(uid, size="2Gi", deleting=False):
    sts = statefulset(uid=uid, claim_size=size)
    if deleting:
        sts["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return sts


@pytest.mark.parametrize("current, applied", [
    (None, True), (_set("old"), False), (_set("old", deleting=True), True), (_set("new"), True),
])
def test_lost_delete(current, applied):
    assert lost_delete(current, "old") is applied


@pytest.mark.parametrize("current, size, want", [
    (None, "2Gi", "absent"),
    (_set("new"), "2Gi", "created"),
    (_set("new", size="2048Mi"), "2Gi", "created"),
    (_set("new", size="1Gi"), "2Gi", "other"),
    (_set("new", size="1Gi"), None, "created"),
    (_set("old"), "2Gi", "other"),
    (_set("new", deleting=True), "2Gi", "other"),
])
def test_lost_create(current, size, want):
    assert lost_create(current, "old", "data", size) == want


# -- end to end -----------------------------------------------------------------------------------

def _writes(sandbox, since):
    return [(e["method"], e["path"]) for e in sandbox.request_log[since:]
            if e["method"] != "GET" and e["user_agent"].startswith("kubectl-sts/")
            and not e["path"].startswith("/apis/authorization.k8s.io/")]   # access reviews


def _faulty(sandbox, capsys, kubeconfig, namespace, tmp_path, method, path, **fault):
    """`resize web --size 2Gi --yes` while the first `method` request to `path` (a regex
    after the namespace) meets `fault`."""
    rule = sandbox.faults.add(method=method, path_regex=r"/namespaces/%s/%s" % (namespace, path),
                              **fault)
    try:
        return _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    finally:
        sandbox.faults.remove(rule)


def _interrupted(sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path):
    """A resize to 2Gi that deleted the set and could not create it again (two 500s)."""
    create_settled(apps, core, namespace, replicas=2)
    code, _, err = _faulty(sandbox, capsys, kubeconfig, namespace, tmp_path, "POST",
                           "statefulsets$", status=500, times=2)
    assert code == EXIT_ERROR, err
    assert apps.list_namespaced_stateful_set(namespace).items == []


def test_a_dry_run_never_uses_a_finished_runs_backup(sandbox, apps, core, namespace, kubeconfig,
                                                      kubectl, capsys, tmp_path):
    create_settled(apps, core, namespace, replicas=2)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    assert kubectl("delete", "sts", "web", "--cascade=orphan").returncode == 0
    for dry in ("--dry-run", "--dry-run=server"):
        mark = len(sandbox.request_log)
        code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "3Gi", dry)
        assert code == EXIT_NOT_FOUND, out + err
        assert "creating it again" not in out + err
        assert _writes(sandbox, mark) == []
        assert apps.list_namespaced_stateful_set(namespace).items == []
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "spent"


def test_an_interrupted_runs_backup_is_used_only_by_resume(sandbox, apps, core, namespace,
                                                          kubeconfig, capsys, tmp_path):
    _interrupted(sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path)
    mark = len(sandbox.request_log)
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi",
                             "--dry-run")
    assert code == 0, err
    assert "dry-run (client): nothing was sent" in out
    assert "finish with: kubectl sts resize web --size 2Gi --resume" in out
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == EXIT_NOT_FOUND
    assert err.strip().splitlines()[-1] == (
        "error: statefulset web is missing; finish the interrupted resize with: kubectl sts "
        "resize web --size 2Gi --resume (backup: %s)" % (tmp_path / "web.json"))
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "3Gi", "--yes",
                             "--resume")
    assert code == EXIT_USAGE
    assert "the interrupted run grew the volumes to 2Gi, not 3Gi" in err
    assert _writes(sandbox, mark) == []
    assert apps.list_namespaced_stateful_set(namespace).items == []
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "interrupted"
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes",
                             "--resume")
    assert code == 0, err
    assert "resumed: statefulset web has its pods back; no pod restarted" in out
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "spent"


def test_a_second_run_refuses_the_backup_a_running_one_holds(sandbox, apps, core, namespace,
                                                             kubeconfig, capsys, tmp_path):
    create_settled(apps, core, namespace, replicas=2)
    rule = sandbox.faults.add(latency=30, method="POST", times=None,
                              path_regex=r"/namespaces/%s/statefulsets$" % namespace)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
         "resize", "web", "--size", "2Gi", "--yes", "--backup", str(tmp_path / "web.json")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        deadline = time.monotonic() + 60
        # the first run deleted the set; its POST is held back
        while not any(f["rule"] == rule.name and f["fault"] == "latency"
                      for f in list(sandbox.faults.injected)):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        first = json.loads((tmp_path / "web.json").read_text())
        mark = len(sandbox.request_log)
        for args in (["--size", "3Gi", "--yes"], ["--size", "2Gi", "--yes", "--resume"]):
            code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, *args)
            assert code == EXIT_CONFLICT, out + err
            assert "statefulset web is missing and another resize of web (run %s, pid %d" % (
                first.get("run"), proc.pid) in err
        assert _writes(sandbox, mark) == []
        assert json.loads((tmp_path / "web.json").read_text()) == first
        assert (first["state"], first["pid"]) == ("running", proc.pid)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        sandbox.faults.remove(rule)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "--resume" in err
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes",
                             "--resume")
    assert code == 0, err


@pytest.mark.parametrize("method, where, said", [
    ("DELETE", "statefulsets/web$", "the answer to the delete of statefulset web was lost"),
    ("POST", "statefulsets$", "the answer to creating statefulset web was lost"),
])
def test_a_write_whose_answer_is_lost_is_read_again_and_the_run_goes_on(
        sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path, method, where, said):
    # the write is applied, then the connection is reset before the answer
    create_settled(apps, core, namespace, replicas=2)
    code, out, err = _faulty(sandbox, capsys, kubeconfig, namespace, tmp_path, method, where,
                             reset=True)
    assert code == 0, err
    assert said in err and "but a fresh read shows it was" in err
    assert "could not be created again" not in err
    assert out.rstrip().endswith("resize of web complete")
    sts = apps.read_namespaced_stateful_set("web", namespace)
    assert sts.spec.volume_claim_templates[0].spec.resources.requests == {"storage": "2Gi"}
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "spent"


def test_a_delete_answered_503_that_was_not_applied_says_so(sandbox, apps, core, namespace,
                                                            kubeconfig, capsys, tmp_path):
    before = create_settled(apps, core, namespace, replicas=2)
    code, out, err = _faulty(sandbox, capsys, kubeconfig, namespace, tmp_path, "DELETE",
                             "statefulsets/web$", status=503)
    assert code == EXIT_ERROR, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: the delete of statefulset web was not applied (")
    assert line.endswith("the volumes have the new size, the template not: run the same "
                         "command again")
    assert apps.read_namespaced_stateful_set("web", namespace).metadata.uid == \
        before["metadata"]["uid"]
    # the set was not deleted: its backup is spent (no later --resume creates it from there)
    assert json.loads((tmp_path / "web.json").read_text())["state"] == "spent"
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err


def test_a_claim_patch_whose_answer_is_lost_says_a_rerun_continues(
        sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path):
    from kubectl_sts.errors import EXIT_UNREACHABLE
    create_settled(apps, core, namespace, replicas=2)
    code, out, err = _faulty(sandbox, capsys, kubeconfig, namespace, tmp_path, "PATCH",
                             "persistentvolumeclaims/data-web-1$", reset=True)
    assert code == EXIT_UNREACHABLE, err
    assert err.strip().splitlines()[-1].endswith(
        "; the patch of PVC data-web-1 may have been applied; the template is unchanged: run "
        "the same command again")
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
    assert out.rstrip().endswith("resize of web complete")


def test_a_run_refuses_to_start_while_another_live_run_holds_the_backup(
        sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path):
    import socket
    create_settled(apps, core, namespace, replicas=2)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "web.json").write_text(json.dumps({
            "kind": "ResizeBackup", "state": "running", "run": "other-run", "pid": other.pid,
            "host": socket.gethostname(), "size": "2Gi", "template": "data",
            "statefulSet": {"metadata": {"name": "web"}}}))
        mark = len(sandbox.request_log)
        code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi",
                                 "--yes")
        assert code == EXIT_CONFLICT, out + err
        assert err.strip().splitlines()[-1] == (
            "error: another resize of web (run other-run, pid %d on %s, size 2Gi) holds its "
            "backup %s: wait for it to finish, or take over with --force if it no longer "
            "runs; nothing was changed" % (other.pid, socket.gethostname(),
                                           tmp_path / "web.json"))
        assert _writes(sandbox, mark) == []
    finally:
        other.kill()
        other.wait()
    # its process is gone: the backup is stale, the run goes on
    code, out, err = _resize(capsys, kubeconfig, namespace, tmp_path, "--size", "2Gi", "--yes")
    assert code == 0, err
