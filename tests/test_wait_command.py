"""`kubectl sts wait` end to end: the exit codes a CI job sees, fast."""

import json
import time

from helpers import create_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_DELETE_PENDING, EXIT_ROLLOUT_FAILED, EXIT_TIMEOUT

BAD_IMAGE = "registry.invalid/nope:1"


def _create(apps, core, namespace, replicas=3, **kwargs):
    return create_settled(apps, core, namespace, replicas=replicas, **kwargs)


def _wait(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    started = time.monotonic()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "wait", "web"] + list(args))
    out, err = capsys.readouterr()
    return code, out, err, time.monotonic() - started


def _image(apps, namespace, image):
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": image}]}}}})


def test_a_finished_rollout_is_exit_0_and_one_result_line(apps, core, namespace, kubeconfig,
                                                          capsys):
    sts = _create(apps, core, namespace)
    code, out, err, _ = _wait(capsys, kubeconfig, namespace)
    assert code == 0, err
    assert out == "statefulset.apps/web rolled out: 3/3 Ready at revision %s\n" % \
        sts["status"]["updateRevision"]
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--for", "ready", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["kind"], doc["result"], doc["for"]) == ("WaitResult", "done", "ready")


def test_a_rollout_to_a_new_image_is_waited_for(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, pod_management="Parallel")
    _image(apps, namespace, "nginx:1.28")
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--timeout", "60s")
    assert code == 0, err
    sts = apps.read_namespaced_stateful_set("web", namespace)
    assert sts.status.updated_replicas == 3
    assert "rolled out: 3/3 Ready" in out


def test_a_bad_image_fails_within_seconds(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace)
    _image(apps, namespace, BAD_IMAGE)
    code, out, err, took = _wait(capsys, kubeconfig, namespace, "--timeout", "120s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert out == ""
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ROLLOUT STUCK at web-2: web-2 runs the update revision ")
    assert "ErrImagePull" in line or "ImagePullBackOff" in line
    assert "in container app" in line
    assert took < 30          # no hang: it fails as soon as the pod shows the error


def test_a_stalled_rollout_is_exit_10_after_the_progress_deadline(apps, core, namespace,
                                                                  kubeconfig, capsys):
    _create(apps, core, namespace)
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {
        "metadata": {"annotations": {"sandbox.kubectl-sts.io/behavior": "never-ready"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "readinessProbe": {
            "exec": {"command": ["false"]}}}]}}}})
    code, out, err, took = _wait(capsys, kubeconfig, namespace, "--progress-deadline", "3s",
                                 "--timeout", "60s")
    assert code == EXIT_TIMEOUT, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: no progress for ")
    assert "web-2 not Ready" in line
    assert took < 30


def test_ondelete_is_reported_or_waited_for(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, strategy="OnDelete")
    _image(apps, namespace, "nginx:1.28")
    wait_for(apps.list_namespaced_stateful_set, lambda items: (items["web"].get("status") or {})
             .get("updateRevision") != (items["web"].get("status") or {}).get("currentRevision"),
             timeout=30, namespace=namespace)
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--ondelete", "report")
    assert code == EXIT_DELETE_PENDING, err
    assert err.strip().splitlines()[-1] == (
        "error: OnDelete: delete these pods to update them: web-0 web-1 web-2")
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--progress-deadline", "2s")
    assert code == EXIT_TIMEOUT
    assert "delete it to update it: OnDelete" in err
    for pod in ("web-2", "web-1", "web-0"):
        core.delete_namespaced_pod(pod, namespace)
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--timeout", "60s")
    assert code == 0, err


def test_for_deleted(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, replicas=1)
    apps.delete_namespaced_stateful_set("web", namespace)
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--for", "deleted",
                              "--timeout", "30s")
    assert code == 0, err
    assert out == "statefulset.apps/web deleted\n"


def test_after_one_step_of_a_rollout_it_says_which_ordinals_run_the_update(
        apps, core, namespace, kubeconfig, capsys):
    before = _create(apps, core, namespace, replicas=4, partition=2)
    _image(apps, namespace, "nginx:1.28")
    code, out, err, _ = _wait(capsys, kubeconfig, namespace, "--timeout", "60s")
    assert code == 0, err
    update = apps.read_namespaced_stateful_set("web", namespace).status.update_revision
    assert out == "statefulset.apps/web rolled out: 4/4 Ready; ordinals 2.. at revision %s, " \
        "0..1 held at %s by partition 2\n" % (update, before["status"]["currentRevision"])
