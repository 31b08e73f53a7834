"""Every wait tells the truth (issue 11): a wait whose watch loses events reads the cluster
once more before it declares a timeout, and succeeds when the fresh read shows the condition
holds. The sandbox's `watch_drop_after` fault plays a broken watch (no real API server loses
events; the sandbox did before issue 11). The plugin runs as a process, as a user runs it."""

import contextlib
import subprocess
import sys
import threading

from builders import service, statefulset
from helpers import sts_settled, wait_for

HOLD = "kubectl-sts.test/hold"


def plugin(kubeconfig, namespace, *args):
    return subprocess.Popen([sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig,
                             "-n", namespace] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def create_settled(apps, core, namespace, replicas):
    core.create_namespaced_service(namespace, service("web"))
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=replicas, claims=()))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas), timeout=60,
             namespace=namespace)


def release(core, namespace):
    """Remove the test's finalizer from web-1 (a JSON patch: a strategic merge of [] would
    keep the list, as on a real cluster)."""
    core.patch_namespaced_pod("web-1", namespace,
                              [{"op": "remove", "path": "/metadata/finalizers"}])


@contextlib.contextmanager
def lose_pod_events(sandbox, namespace):
    """While in the block, every watch of the plugin's pod informer (it selects by label) loses
    all its events; yields (an Event set once such a watch has been opened, the fault rule)."""
    opened = threading.Event()

    def hook(handler):
        if handler.command == "GET" and handler.url.path.endswith("/%s/pods" % namespace) and \
                "watch=true" in handler.url.query and "labelSelector=" in handler.url.query:
            opened.set()
        return False
    sandbox.server.fault_hook = hook
    rule = sandbox.faults.add(watch_drop_after=0, path_regex=r"/namespaces/%s/pods$" % namespace,
                              query=r"labelSelector=", times=None)
    try:
        yield opened, rule
    finally:
        sandbox.server.fault_hook = None
        sandbox.faults.remove(rule)


def test_scale_whose_watch_lost_the_deletion_succeeds_on_the_fresh_read(
        kubeconfig, apps, core, namespace, sandbox):
    create_settled(apps, core, namespace, 2)
    core.patch_namespaced_pod("web-1", namespace, {"metadata": {"finalizers": [HOLD]}})
    with lose_pod_events(sandbox, namespace) as (opened, rule):
        proc = plugin(kubeconfig, namespace, "scale", "web", "--replicas", "1", "--yes",
                      "--timeout", "3s")
        assert opened.wait(30), "the plugin never watched the pods"
        # web-1 goes now: its DELETED event is lost, only a fresh read can show it gone
        release(core, namespace)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "timed out" not in err
    assert rule.fired >= 1


def test_rollout_step_whose_watch_lost_the_new_pod_succeeds_on_the_fresh_read(
        kubeconfig, apps, core, namespace, sandbox):
    create_settled(apps, core, namespace, 2)
    stage = plugin(kubeconfig, namespace, "rollout", "web", "--image", "app=nginx:1.28")
    assert stage.wait(60) == 0, stage.stderr.read()
    with lose_pod_events(sandbox, namespace) as (opened, rule):
        proc = plugin(kubeconfig, namespace, "rollout", "web", "--step", "--yes",
                      "--timeout", "3s")
        out, err = proc.communicate(timeout=60)
    assert opened.is_set()
    assert proc.returncode == 0, err
    assert "timed out" not in err
    pod = core.read_namespaced_pod("web-1", namespace)
    assert pod.spec.containers[0].image == "nginx:1.28"


def test_a_real_timeout_describes_the_state_the_cluster_is_in(kubeconfig, apps, core,
                                                              namespace, sandbox):
    """The stale watch says web-1 is leaving; the fresh read finds it still held (a finalizer):
    the message names what the cluster really shows."""
    create_settled(apps, core, namespace, 2)
    core.patch_namespaced_pod("web-1", namespace, {"metadata": {"finalizers": [HOLD]}})
    try:
        with lose_pod_events(sandbox, namespace):
            proc = plugin(kubeconfig, namespace, "scale", "web", "--replicas", "1", "--yes",
                          "--timeout", "2s")
            out, err = proc.communicate(timeout=60)
    finally:
        release(core, namespace)
    assert proc.returncode == 10, err
    assert "error: timed out: web-1 leaving" in err
