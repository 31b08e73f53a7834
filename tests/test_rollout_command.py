"""`kubectl sts rollout` against a cluster: staging, plans, steps, failures, undo, interruption.

Every test works on a real cluster too (KUBECTL_STS_TEST_KUBECONFIG); the failure modes are
ones a real kubelet produces (an unpullable image, `exit 1`, a readiness probe of `false`).
Only the conflict injection needs the sandbox. Waits are watches, never sleep loops."""

import json
import os
import signal
import subprocess
import sys
import time
from typing import List

import pytest

from builders import statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import (EXIT_CONFLICT, EXIT_INTERRUPTED, EXIT_ROLLOUT_FAILED, EXIT_TIMEOUT,
                                EXIT_USAGE)
from kubectl_sts.core.rollout import STATE_ANNOTATION

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD, NEW = "nginx:1.27", "nginx:1.28"
BAD_IMAGE = "registry.invalid/x:1"


# -- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def sts_cli(kubeconfig, namespace, capsys):
    """Run `kubectl sts rollout ...` in-process; returns (exit code, stdout, stderr)."""
    def run(*args):
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "-n", namespace, "rollout"] + list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def create(apps, namespace, replicas=3, **kwargs):
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=replicas, claims=(),
                                                               **kwargs))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas),
             namespace=namespace, timeout=60)
    return get_sts(apps, namespace)


def get_sts(apps, namespace):
    return json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                        _preload_content=False).data)


def get_pods(core, namespace):
    body = json.loads(core.list_namespaced_pod(namespace, label_selector="app=web",
                                               _preload_content=False).data)
    return {p["metadata"]["name"]: p for p in body["items"]}


def uids(core, namespace):
    return {name: p["metadata"]["uid"] for name, p in get_pods(core, namespace).items()}


def revisions(core, namespace):
    return {name: p["metadata"]["labels"]["controller-revision-hash"]
            for name, p in get_pods(core, namespace).items()}


def partition(sts):
    return sts["spec"]["updateStrategy"]["rollingUpdate"].get("partition", 0)


def image(sts):
    return sts["spec"]["template"]["spec"]["containers"][0]["image"]


def wait_observed(apps, namespace):
    """Until the controller has observed the latest spec (and computed its revisions)."""
    def check(items):
        sts = items.get("web")
        st = (sts or {}).get("status") or {}
        return sts is not None and \
            st.get("observedGeneration", 0) >= sts["metadata"]["generation"]
    return wait_for(apps.list_namespaced_stateful_set, check, namespace=namespace)["web"]


def assert_not_written(apps, namespace, before):
    """Nothing of the set was written by the plugin since `before`: the controller may still be
    writing status, so compare what the plugin writes (spec, hence generation, and annotations)."""
    now = get_sts(apps, namespace)
    assert now["metadata"]["generation"] == before["metadata"]["generation"]
    assert now["metadata"].get("annotations") == before["metadata"].get("annotations")
    assert now["spec"] == before["spec"]


def stage(sts_cli, *args):
    code, out, err = sts_cli(*args)
    assert code == 0, (out, err)
    return out


def error_lines(err):
    """The lines of an error report, without click's usage banner."""
    return [line for line in err.splitlines()
            if line.strip() and not line.startswith(("Usage:", "Try '"))]


def assert_fully_rolled(apps, core, namespace, replicas):
    sts = wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas),
                   namespace=namespace, timeout=60)["web"]
    assert partition(sts) == 0
    assert set(revisions(core, namespace).values()) == {sts["status"]["updateRevision"]}
    return sts


# -- staging, hold, plan, dry runs --------------------------------------------------------------

def test_stage_image_is_one_write_and_restarts_nothing(apps, core, namespace, sts_cli):
    before = create(apps, namespace, replicas=3)
    pods_before = uids(core, namespace)
    out = stage(sts_cli, "web", "--image", "app=" + NEW)
    assert "staged: partition 3, no pod restarts yet" in out
    after = wait_observed(apps, namespace)
    # template and partition in one write: one generation bump
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert image(after) == NEW and partition(after) == 3
    assert after["status"]["updateRevision"] != after["status"]["currentRevision"]
    assert uids(core, namespace) == pods_before
    assert set(revisions(core, namespace).values()) == {before["status"]["currentRevision"]}


def test_stage_env_and_patch(apps, namespace, sts_cli, tmp_path):
    create(apps, namespace, replicas=2)
    stage(sts_cli, "web", "--env", "MODE=fast")
    patch = tmp_path / "patch.yaml"
    patch.write_text("metadata:\n  annotations:\n    team: web\n")
    stage(sts_cli, "web", "--patch", str(patch))
    sts = get_sts(apps, namespace)
    assert sts["spec"]["template"]["spec"]["containers"][0]["env"] == \
        [{"name": "MODE", "value": "fast"}]
    assert sts["spec"]["template"]["metadata"]["annotations"] == {"team": "web"}
    assert partition(sts) == 2


def test_hold_then_a_template_change_reaches_no_pod(apps, core, namespace, sts_cli):
    create(apps, namespace, replicas=3)
    pods_before = uids(core, namespace)
    code, out, err = sts_cli("web", "--hold")
    assert code == 0, err
    assert "held at partition 3" in out
    assert partition(get_sts(apps, namespace)) == 3
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": NEW}]}}}})
    sts = wait_observed(apps, namespace)
    assert sts["status"]["updateRevision"] != sts["status"]["currentRevision"]
    code, out, err = sts_cli("web", "--hold")
    assert code == 0, err
    assert "pending revision %s" % sts["status"]["updateRevision"] in out
    assert uids(core, namespace) == pods_before


def test_plan_shows_revisions_steps_and_the_template_diff(apps, namespace, sts_cli):
    create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    sts = wait_observed(apps, namespace)
    code, out, err = sts_cli("web")
    assert code == 0, err
    assert "Current revision: %s" % sts["status"]["currentRevision"] in out
    assert "Update revision:  %s" % sts["status"]["updateRevision"] in out
    assert "Partition:        3 of 3 replicas" in out
    assert "  partition 2: updates web-2\n  partition 1: updates web-1\n" \
           "  partition 0: updates web-0" in out
    assert "Template change:" in out
    diff = out.split("Template change:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.strip()[:1] + line.strip()[1:].strip() for line in diff
            if line.strip()[:1] in "+-" and "image" in line] == \
        ["-- image: %s" % OLD, "+- image: %s" % NEW]
    assert "next: kubectl sts rollout web --step" in out
    assert get_sts(apps, namespace)["metadata"]["resourceVersion"] == \
        sts["metadata"]["resourceVersion"]


def test_dry_run_client_prints_the_writes_and_sends_none(apps, namespace, sts_cli):
    before = create(apps, namespace, replicas=3)
    rv = before["metadata"]["resourceVersion"]
    code, out, err = sts_cli("web", "--image", "app=" + NEW, "--dry-run=client")
    assert code == 0, err
    assert "dry-run (client): would stage the template and hold the partition: PUT " \
           "/apis/apps/v1/namespaces/%s/statefulsets/web (resourceVersion %s)" % (namespace, rv) \
           in out
    assert get_sts(apps, namespace)["metadata"]["resourceVersion"] == rv

    stage(sts_cli, "web", "--image", "app=" + NEW)
    rv = wait_observed(apps, namespace)["metadata"]["resourceVersion"]
    code, out, err = sts_cli("web", "--all", "--dry-run=client")
    assert code == 0, err
    assert [line.split(":")[1].strip() for line in out.splitlines()
            if line.startswith("dry-run (client)")] == \
        ["would set partition 2", "would set partition 1", "would set partition 0"]
    sts = get_sts(apps, namespace)
    assert sts["metadata"]["resourceVersion"] == rv and partition(sts) == 3


def test_dry_run_server_leaves_the_object_unchanged(apps, namespace, sts_cli):
    before = create(apps, namespace, replicas=3)
    code, out, err = sts_cli("web", "--image", "app=" + NEW, "--dry-run=server")
    assert code == 0, err
    assert "dry-run (server): stage the template and hold the partition accepted" in out
    after = get_sts(apps, namespace)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert image(after) == OLD

    stage(sts_cli, "web", "--image", "app=" + NEW)
    staged = wait_observed(apps, namespace)
    code, out, err = sts_cli("web", "--all", "--dry-run=server")
    assert code == 0, err
    assert out.count("dry-run (server): set partition") == 3
    after = get_sts(apps, namespace)
    assert after["metadata"]["resourceVersion"] == staged["metadata"]["resourceVersion"]
    assert partition(after) == 3


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["--step", "0"], "invalid argument \"0\" for \"--step\" flag: must be at least 1"),
    (["--to", "4"], "--to 4 is outside 0..3"),
    (["--to", "3"], "the partition is already 2; --to 3 would move it up"),
    (["--image", "nope=" + NEW], 'unable to find container named "nope"'),
    (["--step", "--timeout", "soon"], 'invalid duration "soon"'),
    (["--step", "--all"], "choose one of"),
])
def test_bad_input_is_a_usage_error_without_a_write(apps, namespace, sts_cli, args, fragment):
    create(apps, namespace, replicas=3, partition=2)
    rv = get_sts(apps, namespace)["metadata"]["resourceVersion"]
    code, out, err = sts_cli("web", *args)
    assert code == EXIT_USAGE, (out, err)
    lines = error_lines(err)
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err
    assert get_sts(apps, namespace)["metadata"]["resourceVersion"] == rv


# -- stepping -----------------------------------------------------------------------------------

def test_five_steps_update_one_ordinal_each_in_reverse_order(apps, core, namespace, sts_cli):
    create(apps, namespace, replicas=5)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    sts = wait_observed(apps, namespace)
    current, update = sts["status"]["currentRevision"], sts["status"]["updateRevision"]
    for expected in (4, 3, 2, 1, 0):
        before = uids(core, namespace)
        code, out, err = sts_cli("web", "--step", "--timeout", "60s")
        assert code == 0, (out, err)
        assert "partition %d -> %d: updating web-%d" % (expected + 1, expected, expected) in out
        assert partition(get_sts(apps, namespace)) == expected
        after, revs = uids(core, namespace), revisions(core, namespace)
        changed = sorted(name for name in before if after.get(name) != before[name])
        assert changed == ["web-%d" % expected]          # exactly this ordinal restarted
        for ordinal in range(5):
            assert revs["web-%d" % ordinal] == (update if ordinal >= expected else current)
    assert_fully_rolled(apps, core, namespace, 5)


def test_to_then_all(apps, core, namespace, sts_cli):
    create(apps, namespace, replicas=4)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    update = wait_observed(apps, namespace)["status"]["updateRevision"]
    before = uids(core, namespace)
    code, out, err = sts_cli("web", "--to", "2", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "partition 4 -> 3: updating web-3" in out and "partition 3 -> 2: updating web-2" in out
    assert partition(get_sts(apps, namespace)) == 2
    after, revs = uids(core, namespace), revisions(core, namespace)
    assert [after["web-%d" % o] == before["web-%d" % o] for o in range(4)] == \
        [True, True, False, False]
    assert [revs["web-%d" % o] == update for o in range(4)] == [False, False, True, True]

    before = after
    code, out, err = sts_cli("web", "--all", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "partition 2 -> 1: updating web-1" in out and "partition 1 -> 0: updating web-0" in out
    # wrong answer 5: a finished --all says the rollout is complete
    assert out.splitlines()[-1] == "rollout of web complete: all 4 ordinals run revision %s" \
        % update
    after = uids(core, namespace)
    assert after["web-3"] == before["web-3"] and after["web-2"] == before["web-2"]
    assert_fully_rolled(apps, core, namespace, 4)
    assert json.loads(get_sts(apps, namespace)["metadata"]["annotations"][STATE_ANNOTATION]) \
        ["target"] == 0


def test_all_with_start_ordinals_and_parallel(apps, core, namespace, sts_cli):
    create(apps, namespace, replicas=3, start=5, pod_management="Parallel")
    stage(sts_cli, "web", "--image", "app=" + NEW)
    code, out, err = sts_cli("web", "--all", "--timeout", "60s")
    assert code == 0, (out, err)
    assert [line for line in out.splitlines() if line.startswith("partition ")] == [
        "partition 3 -> 2: updating web-7", "partition 2 -> 1: updating web-6",
        "partition 1 -> 0: updating web-5"]
    assert_fully_rolled(apps, core, namespace, 3)
    assert sorted(uids(core, namespace)) == ["web-5", "web-6", "web-7"]


# -- failures, undo -----------------------------------------------------------------------------

def test_a_crash_looping_step_fails_and_the_partition_stays(apps, core, namespace, sts_cli,
                                                             tmp_path):
    create(apps, namespace, replicas=3)
    patch = tmp_path / "crash.yaml"
    patch.write_text(json.dumps({"spec": {"containers": [
        {"name": "app", "command": ["sh", "-c", "exit 1"]}]}}))
    stage(sts_cli, "web", "--patch", str(patch))
    before = uids(core, namespace)
    code, out, err = sts_cli("web", "--all", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    assert "error: step failed: web-2 (ordinal 2)" in err
    assert "CrashLoopBackOff" in err or "Restarted" in err
    assert "The partition stays at 2; nothing below it was touched." in err
    assert "kubectl sts rollout web --undo" in err
    assert "partition 2 -> 1" not in out
    sts = get_sts(apps, namespace)
    assert partition(sts) == 2
    after = uids(core, namespace)
    assert after["web-0"] == before["web-0"] and after["web-1"] == before["web-1"]


def test_on_failure_undo_restores_the_template(apps, core, namespace, sts_cli):
    original = create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + BAD_IMAGE)
    before = uids(core, namespace)
    code, out, err = sts_cli("web", "--all", "--on-failure=undo", "--yes", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    assert "error: step failed: web-2 (ordinal 2)" in err
    assert "--on-failure=undo: undoing the rollout" in err
    assert "template restored to %s" % original["status"]["currentRevision"] in out
    assert 'pod "web-2" deleted' in out
    # wrong answer 4: web-1 and web-0 never left the restored revision
    assert "partition 3 -> 2: updating web-2" in out
    assert "updating web-1" not in out and "updating web-0" not in out
    assert "partition 2 -> 1: no pod changes (web-1 already at revision %s)" \
        % original["status"]["currentRevision"] in out
    sts = assert_fully_rolled(apps, core, namespace, 3)
    assert image(sts) == OLD
    assert sts["status"]["updateRevision"] == original["status"]["currentRevision"]
    after = uids(core, namespace)
    assert after["web-0"] == before["web-0"] and after["web-1"] == before["web-1"]


def test_forced_rollback_of_a_stuck_rollout(apps, core, namespace, sts_cli, tmp_path):
    original = create(apps, namespace, replicas=3)
    patch = tmp_path / "never-ready.yaml"
    patch.write_text(json.dumps({"spec": {"containers": [
        {"name": "app", "readinessProbe": {"exec": {"command": ["false"]},
                                           "periodSeconds": 1}}]}}))
    stage(sts_cli, "web", "--patch", str(patch))
    code, out, err = sts_cli("web", "--step", "--timeout", "2s")
    assert code == EXIT_TIMEOUT, (out, err)
    assert "timed out after 2s waiting for partition 2: web-2 not Ready" in err
    before = uids(core, namespace)
    # web-2 fails once its probe had time to fail failureThreshold (3) times, 1 s apart, after
    # the container started (pkg/kubelet/prober/worker.go); until then it is only starting.
    # That is a time, not an event: wait it out from the container's startedAt.
    pod = core.read_namespaced_pod("web-2", namespace)
    started = pod.status.container_statuses[0].state.running.started_at.timestamp()
    time.sleep(max(0.0, started + 3 + 1 - time.time()))
    # without --yes (stdin is not a terminal) the stuck pod is left alone
    staged_sts = get_sts(apps, namespace)
    code, out, err = sts_cli("web", "--undo")
    assert code == EXIT_USAGE, (out, err)
    assert "pass --yes" in err
    assert uids(core, namespace)["web-2"] == before["web-2"]
    # wrong answer 2: nothing was written (the template is still the staged one)
    assert_not_written(apps, namespace, staged_sts)
    code, out, err = sts_cli("web", "--undo", "--yes", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "web-2 runs revision" in out and 'pod "web-2" deleted' in out
    sts = assert_fully_rolled(apps, core, namespace, 3)
    assert sts["status"]["updateRevision"] == original["status"]["currentRevision"]
    assert "readinessProbe" not in sts["spec"]["template"]["spec"]["containers"][0]
    after = uids(core, namespace)
    assert after["web-0"] == before["web-0"] and after["web-1"] == before["web-1"]
    assert after["web-2"] != before["web-2"]


def test_a_new_change_after_a_finished_rollout_is_not_called_interrupted(apps, namespace,
                                                                          sts_cli):
    """Issue 13, wrong answer 1: the plan offered `--to 0` (an unreviewed change to every
    ordinal) as the continuation of a rollout that had finished."""
    create(apps, namespace, replicas=2)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    code, out, err = sts_cli("web", "--all", "--timeout", "60s")
    assert code == 0, (out, err)
    stage(sts_cli, "web", "--image", "app=nginx:1.29")
    wait_observed(apps, namespace)
    code, out, err = sts_cli("web")
    assert code == 0, (out, err)
    assert "Interrupted" not in out and "--to 0" not in out
    assert "Partition:        2 of 2 replicas" in out


def test_the_trap_after_a_restored_template_fails_fast_and_undo_yes_heals_it(
        apps, core, namespace, sts_cli):
    """Issue 13, wrong answers 2 and 3: refusals come before any write; a gate facing a pod the
    controller will never replace (OrderedReady, an old revision, failing) stops at once with
    status's diagnosis instead of waiting out --timeout."""
    original = create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + BAD_IMAGE)
    before = get_sts(apps, namespace)
    # --on-failure=undo cannot ask without a terminal: refused before the first write
    code, out, err = sts_cli("web", "--all", "--on-failure=undo", "--timeout", "60s")
    assert code == EXIT_USAGE, (out, err)
    assert "pass --yes" in err
    assert_not_written(apps, namespace, before)
    code, out, err = sts_cli("web", "--step", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    # the template goes back by hand; web-2 stays at the bad revision, failing
    stage(sts_cli, "web", "--image", "app=" + OLD)
    sts = wait_observed(apps, namespace)
    assert sts["status"]["updateRevision"] == original["status"]["currentRevision"]
    code, out, err = sts_cli("web", "--to", "0", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)        # not EXIT_TIMEOUT: no waiting
    assert "error: step failed: web-2 (ordinal 2)" in err
    assert "which the controller no longer wants" in err
    assert "next: kubectl sts rollout web --undo --yes" in err
    kept = uids(core, namespace)
    code, out, err = sts_cli("web", "--undo", "--yes", "--timeout", "60s")
    assert code == 0, (out, err)
    assert 'pod "web-2" deleted' in out
    sts = assert_fully_rolled(apps, core, namespace, 3)
    assert image(sts) == OLD
    after = uids(core, namespace)
    assert after["web-0"] == kept["web-0"] and after["web-1"] == kept["web-1"]


# -- interruption, conflicts --------------------------------------------------------------------

def test_interrupted_all_is_explained_and_resumed(apps, core, namespace, kubeconfig, sts_cli):
    create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
         "rollout", "web", "--all", "--settle", "2s", "--timeout", "60s"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        items = wait_for(apps.list_namespaced_stateful_set,
                         lambda items: "web" in items and partition(items["web"]) <= 2,
                         namespace=namespace, timeout=30)
        assert partition(items["web"]) == 2           # settling 2s: no further step yet
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == EXIT_INTERRUPTED, (out, err)
    lines = err.strip().splitlines()
    assert lines[-2].startswith("interrupted: web is at partition 2 (update revision ")
    assert lines[-1] == "continue with: kubectl sts rollout web --to 0"
    assert "Traceback" not in err
    code, out, err = sts_cli("web")
    assert "continue with: kubectl sts rollout web --to 0" in out
    code, out, err = sts_cli("web", "--all", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "partition 1 -> 0: updating web-0" in out
    assert_fully_rolled(apps, core, namespace, 3)


@pytest.fixture
def inject(sandbox):
    """Install a fault hook for the test; always removed afterwards."""
    def install(hook):
        sandbox.server.fault_hook = hook
    yield install
    sandbox.server.fault_hook = None


def concurrent_change(sandbox, namespace, mutate):
    """A fault hook: before the first PUT to the set, change it behind the command's back
    (so that PUT carries a stale resourceVersion and meets 409 Conflict)."""
    from kubectl_sts_sandbox.resources import BY_KIND
    rt = BY_KIND["StatefulSet"]
    path = "/apis/apps/v1/namespaces/%s/statefulsets/web" % namespace
    fired: List[bool] = []

    def hook(handler):
        if handler.command == "PUT" and handler.url.path == path and not fired:
            fired.append(True)
            obj = sandbox.store.get(rt, namespace, "web")
            mutate(obj)
            sandbox.store.update(rt, obj)
        return False
    return hook, fired


def puts(sandbox, namespace, since):
    path = "/apis/apps/v1/namespaces/%s/statefulsets/web" % namespace
    return [e["code"] for e in sandbox.request_log[since:]
            if e["method"] == "PUT" and e["path"] == path]


def test_conflict_between_read_and_write_is_retried(apps, core, namespace, sts_cli, sandbox,
                                                    inject):
    create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + NEW)

    def bump(obj):
        obj["metadata"].setdefault("annotations", {})["someone/else"] = "was here"
    hook, fired = concurrent_change(sandbox, namespace, bump)
    since = len(sandbox.request_log)
    inject(hook)
    code, out, err = sts_cli("web", "--step", "--timeout", "60s")
    assert code == 0, (out, err)
    assert fired
    assert puts(sandbox, namespace, since) == [409, 200]
    sts = get_sts(apps, namespace)
    assert partition(sts) == 2
    assert sts["metadata"]["annotations"]["someone/else"] == "was here"   # not overwritten


def test_conflict_that_moved_the_partition_stops_the_rollout(apps, namespace, sts_cli, sandbox,
                                                             inject):
    create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + NEW)

    def hold_more(obj):
        obj["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 7
    hook, fired = concurrent_change(sandbox, namespace, hold_more)
    since = len(sandbox.request_log)
    inject(hook)
    code, out, err = sts_cli("web", "--step", "--timeout", "60s")
    assert code == EXIT_CONFLICT, (out, err)
    assert "someone changed the partition of web from 3 to 7" in err
    assert puts(sandbox, namespace, since) == [409]
    assert partition(get_sts(apps, namespace)) == 7


# -- OnDelete, --status -------------------------------------------------------------------------

def test_ondelete_step_deletes_the_highest_outdated_pod_and_waits(apps, core, namespace,
                                                                   sts_cli):
    create(apps, namespace, replicas=3, strategy="OnDelete")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": NEW}]}}}})
    update = wait_observed(apps, namespace)["status"]["updateRevision"]
    before = uids(core, namespace)
    code, out, err = sts_cli("web", "--step", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "deleted pod web-2" in out
    after, revs = uids(core, namespace), revisions(core, namespace)
    assert after["web-2"] != before["web-2"] and revs["web-2"] == update
    assert after["web-0"] == before["web-0"] and after["web-1"] == before["web-1"]
    assert revs["web-0"] != update and revs["web-1"] != update
    assert helpers_ready(get_pods(core, namespace)["web-2"])

    code, out, err = sts_cli("web", "--to", "0")
    assert code == EXIT_USAGE and "OnDelete" in err


def test_ondelete_step_that_fails(apps, core, namespace, sts_cli):
    create(apps, namespace, replicas=2, strategy="OnDelete")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": BAD_IMAGE}]}}}})
    wait_observed(apps, namespace)
    before = uids(core, namespace)
    code, out, err = sts_cli("web", "--step", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    assert "error: step failed: web-1 (ordinal 1)" in err and "Traceback" not in err
    assert uids(core, namespace)["web-0"] == before["web-0"]


def test_status_follows_until_the_rollout_completes(apps, core, namespace, kubeconfig,
                                                    sts_cli):
    create(apps, namespace, replicas=3)
    stage(sts_cli, "web", "--image", "app=" + NEW)
    wait_observed(apps, namespace)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
         "rollout", "web", "--status"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()            # it follows before anything moves
        assert first.startswith("partition 3: 0/3 updated"), first
        code, out, err = sts_cli("web", "--all", "--timeout", "60s")
        assert code == 0, (out, err)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = [first.rstrip("\n")] + rest.splitlines()
    assert lines[-1] == "rollout of web complete"
    assert lines[-2].startswith("partition 0: 3/3 updated, 3/3 ready")


def helpers_ready(pod):
    from helpers import pod_ready
    return pod_ready(pod)


def test_the_command_reads_its_own_write_until_the_watch_delivers_it():
    """The set's watch may lag behind the pod events its write caused: until it catches up,
    the gate judges the object it wrote (not yet observed), never the older copy."""
    from kubectl_sts.commands.rollout import Rollout

    class Conn:
        namespace = "ns"

    run = Rollout(Conn(), "web", settle=0, timeout=1, pause=None, interactive=False,
                  dry_run="none", yes=False, on_failure="stop")
    seen = {"sts": {"web": statefulset(generation=2, partition=3, observed=2)}, "pods": {}}
    assert partition(run.current(seen)[0]) == 3
    run.last_written = statefulset(generation=3, partition=2, observed=2)
    assert partition(run.current(seen)[0]) == 2
    seen["sts"]["web"] = statefulset(generation=3, partition=2, observed=2)
    assert run.current(seen)[0] is seen["sts"]["web"]
    seen["sts"]["web"] = statefulset(generation=4, partition=1, observed=2)  # someone else wrote after us
    assert partition(run.current(seen)[0]) == 1
