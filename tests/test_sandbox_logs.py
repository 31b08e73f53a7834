"""`kubectl logs` through the real kubectl (v1.32): the options and errors as kube-apiserver
and the kubelet answer them, the sandbox kubelet's lines, a Logs mapping (podaccess.py).

What a real cluster prints the same (errors, --tail, --timestamps, --limit-bytes, -f ending)
is asserted on any cluster; what the sandbox's kubelet writes, and mappings, only on the
sandbox (`sandbox` fixture). Waits are watches or kubectl's own, never sleeps."""

import os
import re
import subprocess

import pytest

from builders import pod
from helpers import pod_ready, wait_for
from kubectl_sts_sandbox.logendpoint import LogOptions, kubelet_refusal, parse_time
from kubectl_sts_sandbox.podaccess import PodAccess

pytestmark = pytest.mark.kubectl

SANDBOX = not os.environ.get("KUBECTL_STS_TEST_KUBECONFIG")
IMAGE = "nginx:1.27"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


def create(core, namespace, obj):
    core.create_namespaced_pod(namespace, obj)


def ready(core, namespace, name):
    wait_for(core.list_namespaced_pod, lambda items: name in items and pod_ready(items[name]),
             namespace=namespace, timeout=60)


def restarted(core, namespace, name, container="app"):
    """Wait until the container has ended once and waits or runs again."""
    def done(items):
        statuses = ((items.get(name) or {}).get("status") or {}).get("containerStatuses") or []
        return any(s["name"] == container and (s.get("lastState") or {}).get("terminated")
                   for s in statuses)
    wait_for(core.list_namespaced_pod, done, namespace=namespace, timeout=60)


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def error(result):
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    return result.stderr.strip()


@pytest.fixture
def running(core, namespace):
    """Pod `p`: containers app and side (nginx), Ready, revision label web-5d8f."""
    create(core, namespace, pod("p", "web-5d8f", containers=[
        {"name": "app", "image": IMAGE}, {"name": "side", "image": IMAGE}]))
    ready(core, namespace, "p")
    return "p"


def test_logs_of_a_running_pod_and_its_containers(kubectl, running):
    out = ok(kubectl("logs", "p", "-c", "app"))
    side = ok(kubectl("logs", "p", "-c", "side"))
    if SANDBOX:
        assert out.splitlines() == [
            "sandbox: started container app, image nginx:1.27, revision web-5d8f",
            "sandbox: container app is ready"]
        assert side.splitlines()[0] == \
            "sandbox: started container side, image nginx:1.27, revision web-5d8f"
    # two containers and none named: the API server's words, as kubectl prints them
    # (kubectl 1.32 defaults to the first container and says so on stderr)
    both = kubectl("logs", "p")
    assert both.returncode == 0
    assert both.stderr.strip() == 'Defaulted container "app" out of: app, side'
    assert both.stdout == out


def test_tail_timestamps_limit_bytes_and_since(kubectl, running):
    full = ok(kubectl("logs", "p", "-c", "app")).splitlines()
    assert full
    assert ok(kubectl("logs", "p", "-c", "app", "--tail=1")).splitlines() == full[-1:]
    assert ok(kubectl("logs", "p", "-c", "app", "--tail=0")) == ""
    stamped = ok(kubectl("logs", "p", "-c", "app", "--timestamps")).splitlines()
    assert all(STAMP.match(line) for line in stamped), stamped
    assert [STAMP.sub("", line) for line in stamped] == full
    assert ok(kubectl("logs", "p", "-c", "app", "--limit-bytes=7")) == \
        "\n".join(full)[:7]
    assert ok(kubectl("logs", "p", "-c", "app", "--since=1h")).splitlines() == full
    # --since-time goes out in whole seconds (RFC 3339): from the first line's second, all;
    # from a time to come, nothing
    first = stamped[0][:19] + "Z"
    assert ok(kubectl("logs", "p", "-c", "app", "--since-time=" + first)).splitlines() == full
    assert ok(kubectl("logs", "p", "-c", "app", "--since-time=2100-01-01T00:00:00Z")) == ""


def test_previous_after_a_crash(kubectl, core, namespace):
    create(core, namespace, pod("c", containers=[
        {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "exit 1"]}]))
    restarted(core, namespace, "c")
    previous = kubectl("logs", "c", "--previous")
    assert previous.returncode == 0, previous.stderr
    if SANDBOX:
        lines = previous.stdout.splitlines()
        assert lines[0].startswith("sandbox: started container app, image busybox:1.36")
        assert lines[-1] == "sandbox: container app terminated: Error, exit code 1"


def test_previous_of_a_container_that_never_ended(kubectl, running):
    assert error(kubectl("logs", "p", "-c", "app", "--previous")) == (
        'Error from server (BadRequest): previous terminated container "app" in pod "p" '
        'not found')


def test_a_container_waiting_to_start(kubectl, core, namespace):
    # a Secret volume that does not exist keeps the pod ContainerCreating, on any cluster
    create(core, namespace, pod("w", containers=[{"name": "app", "image": IMAGE}], volumes=[
        {"name": "s", "secret": {"secretName": "absent"}}]))
    wait_for(core.list_namespaced_pod, lambda items: "w" in items and any(
        (s.get("state") or {}).get("waiting", {}).get("reason") == "ContainerCreating"
        for s in (items["w"].get("status") or {}).get("containerStatuses") or []),
        namespace=namespace, timeout=60)
    assert error(kubectl("logs", "w")) == (
        'Error from server (BadRequest): container "app" in pod "w" is waiting to start: '
        'ContainerCreating')


def test_follow_ends_when_the_container_ends(kubectl_bin, kubeconfig, kubectl, running,
                                             namespace):
    follower = subprocess.Popen([kubectl_bin, "--kubeconfig", kubeconfig, "-n", namespace,
                                 "logs", "-f", "p", "-c", "app"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        first = follower.stdout.readline()     # the stream is open
        assert first
        ok(kubectl("delete", "pod", "p", "--wait=false"))
        rest, err = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    if SANDBOX:
        assert (first + rest).splitlines()[-1] == \
            "sandbox: container app terminated: Completed, exit code 0"


@pytest.fixture
def mapped(sandbox):
    """Replace the sandbox's pod access documents for one test."""
    config = sandbox.cluster.config
    kept = config.pod_access

    def use(*docs):
        config.pod_access = PodAccess(docs)
    yield use
    config.pod_access = kept


def test_a_mapped_logs_file(kubectl, core, namespace, mapped, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("2026-01-02T03:04:05.123456789Z stdout F from the file\n"
                   "2026-01-02T03:04:06.000000001Z stderr P split \n"
                   "2026-01-02T03:04:06.000000002Z stderr F line\n"
                   "plain line\n")
    mapped({"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
            "metadata": {"name": "all"},
            "spec": {"selector": {"matchNamespaces": [namespace]},
                     "logs": [{"containers": ["app"], "logsFile": str(log)}]}})
    create(core, namespace, pod("m", containers=[{"name": "app", "image": IMAGE},
                                                 {"name": "other", "image": IMAGE}]))
    ready(core, namespace, "m")
    assert ok(kubectl("logs", "m", "-c", "app")).splitlines() == [
        "from the file", "split line", "plain line"]
    stamped = ok(kubectl("logs", "m", "-c", "app", "--timestamps")).splitlines()
    assert stamped[:2] == ["2026-01-02T03:04:05.123456789Z from the file",
                           "2026-01-02T03:04:06.000000002Z split line"]
    assert ok(kubectl("logs", "m", "-c", "app", "--tail=1")) == "plain line\n"
    # the other container keeps the kubelet's lines
    assert ok(kubectl("logs", "m", "-c", "other")).startswith("sandbox: started container")


def test_a_followed_mapped_file_streams_what_is_appended(kubectl_bin, kubeconfig, kubectl,
                                                        core, namespace, mapped, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\n")
    mapped({"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
            "metadata": {"name": "f", "namespace": namespace},
            "spec": {"logs": [{"logsFile": str(log), "follow": True}]}})
    create(core, namespace, pod("f", containers=[{"name": "app", "image": IMAGE}]))
    ready(core, namespace, "f")
    follower = subprocess.Popen([kubectl_bin, "--kubeconfig", kubeconfig, "-n", namespace,
                                 "logs", "-f", "f"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == "one\n"
        with log.open("a") as f:
            f.write("two\n")
        assert follower.stdout.readline() == "two\n"
        ok(kubectl("delete", "pod", "f", "--wait=false"))
        rest, _ = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0
    assert rest == ""


# -- the pure parts ---------------------------------------------------------------------------

@pytest.mark.parametrize("query,message", [
    ({"tailLines": ["-1"]}, "tailLines: Invalid value: -1: must be greater than or equal to 0"),
    ({"limitBytes": ["0"]}, "limitBytes: Invalid value: 0: must be greater than 0"),
    ({"sinceSeconds": ["0"]}, "sinceSeconds: Invalid value: 0: must be greater than 0"),
    ({"sinceSeconds": ["5"], "sinceTime": ["2026-01-01T00:00:00Z"]},
     "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"),
])
def test_log_options_as_validated_upstream(query, message):
    (cause,) = LogOptions(query).problems()
    text = ("%s: %s" % (cause["field"], cause["message"])) if cause["field"] \
        else cause["message"]
    assert text == message


def _status(state, last=None):
    return {"metadata": {"name": "p"}, "status": {"containerStatuses": [
        {"name": "c", "state": state, "lastState": last or {}}]}}


@pytest.mark.parametrize("status,previous,refusal", [
    (_status({"running": {}}), False, None),
    (_status({"running": {}}), True,
     'previous terminated container "c" in pod "p" not found'),
    (_status({"waiting": {"reason": "CrashLoopBackOff"}},
             {"terminated": {"containerID": "containerd://x"}}), True, None),
    (_status({"waiting": {"reason": "ErrImagePull"}}), False,
     'container "c" in pod "p" is waiting to start: image can\'t be pulled'),
    (_status({"waiting": {"reason": "ImagePullBackOff"}}), False,
     'container "c" in pod "p" is waiting to start: trying and failing to pull image'),
    (_status({"terminated": {"containerID": ""}}), False,
     'container "c" in pod "p" is terminated'),
    ({"metadata": {"name": "p"}, "status": {}}, False,
     'container "c" in pod "p" is not available'),
])
def test_which_instance_the_kubelet_reads(status, previous, refusal):
    assert kubelet_refusal(status, "c", previous) == refusal


def test_rfc3339_with_nanoseconds():
    assert parse_time("2026-01-02T03:04:05Z") == 1767323045 * 10 ** 9
    assert parse_time("2026-01-02T03:04:05.123456789+01:00") == \
        (1767323045 - 3600) * 10 ** 9 + 123456789
    assert parse_time("yesterday") is None
