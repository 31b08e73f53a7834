"""`kubectl exec` through the real kubectl (v1.32, WebSocket v5 first): a command mapped with
an Exec/ClusterExec document runs on the host with the container's environment (sandbox
only); a command the container lacks, and a container not running, fail as on a real cluster
(asserted on any cluster)."""

import json
import os
import re
import sys

import pytest

from builders import pod
from helpers import pod_ready, wait_for
from kubectl_sts_sandbox.podaccess import PodAccess

pytestmark = pytest.mark.kubectl

IMAGE = "nginx:1.27"
HEX_ID = re.compile(r'failed to start exec "[0-9a-f]{64}"')


def ready(core, namespace, name):
    wait_for(core.list_namespaced_pod, lambda items: name in items and pod_ready(items[name]),
             namespace=namespace, timeout=60)


@pytest.fixture
def mapped(sandbox, core, namespace, tmp_path):
    """Pod `p` (container app, env from a ConfigMap, a literal and the downward API) whose
    commands run on this host, in tmp_path, with FROM_MAPPING=yes."""
    config = sandbox.cluster.config
    kept = config.pod_access
    config.pod_access = PodAccess([{
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
        "metadata": {"name": "host"},
        "spec": {"selector": {"matchNamespaces": [namespace], "matchLabels": {"exec": "on"}},
                 "execs": [{"containers": ["app"], "local": {
                     "workDir": str(tmp_path),
                     "envs": [{"name": "FROM_MAPPING", "value": "yes"}]}}]}}])
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "settings"},
                                                  "data": {"mode": "primary"}})
    core.create_namespaced_pod(namespace, pod("p", labels={"exec": "on"}, containers=[{
        "name": "app", "image": IMAGE, "env": [
            {"name": "GREETING", "value": "hello $(MODE)"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "M_"}]}]))
    ready(core, namespace, "p")
    yield tmp_path
    config.pod_access = kept


def test_mapped_stdout_stderr_and_exit_code(kubectl, mapped):
    script = ("import os, sys; print(os.getcwd()); print(os.environ['M_mode'], "
              "os.environ['GREETING'], os.environ['POD_NAME'], os.environ['FROM_MAPPING']); "
              "print('to stderr', file=sys.stderr); sys.exit(3)")
    result = kubectl("exec", "p", "--", sys.executable, "-c", script)
    assert result.stdout.splitlines() == [str(mapped), "primary hello $(MODE) p yes"]
    assert result.stderr.splitlines() == ["to stderr", "command terminated with exit code 3"]
    assert result.returncode == 3


def test_mapped_success_and_stdin(kubectl, mapped):
    ok = kubectl("exec", "p", "--", sys.executable, "-c", "print('fine')")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "fine\n", "")
    echoed = kubectl("exec", "-i", "p", "--", sys.executable, "-c",
                     "import sys; data = sys.stdin.read(); print(len(data)); print(data.upper())",
                     input="first line\nsecond line\n")
    assert echoed.returncode == 0, echoed.stderr
    assert echoed.stdout == "23\nFIRST LINE\nSECOND LINE\n\n"


def test_unmapped_command_is_a_missing_binary(kubectl, core, namespace):
    core.create_namespaced_pod(namespace, pod("u", containers=[{"name": "app",
                                                                "image": IMAGE}]))
    ready(core, namespace, "u")
    result = kubectl("exec", "u", "--", "no-such-command-here", "-l")
    assert result.returncode == 1
    assert result.stdout == ""
    assert HEX_ID.sub('failed to start exec "ID"', result.stderr.strip()) == (
        "error: Internal error occurred: Internal error occurred: error executing command in "
        'container: failed to exec in container: failed to start exec "ID": OCI runtime exec '
        'failed: exec failed: unable to start container process: exec: '
        '"no-such-command-here": executable file not found in $PATH: unknown')


def test_exec_into_a_pod_whose_container_is_not_running(kubectl, core, namespace):
    core.create_namespaced_pod(namespace, pod("w", containers=[{"name": "app", "image": IMAGE}],
                                              volumes=[{"name": "s", "secret": {
                                                  "secretName": "absent"}}]))
    wait_for(core.list_namespaced_pod, lambda items: "w" in items and
             (items["w"].get("status") or {}).get("containerStatuses"),
             namespace=namespace, timeout=60)
    result = kubectl("exec", "w", "--", "true")
    assert result.returncode == 1
    assert result.stderr.strip() == ('error: Internal error occurred: unable to upgrade '
                                     'connection: container not found ("app")')


def test_exec_into_an_unscheduled_pod(kubectl, core, namespace):
    # a node selector no node has keeps the pod unbound
    core.create_namespaced_pod(namespace, pod("n", containers=[{"name": "app", "image": IMAGE}],
                                              spec={"nodeSelector": {"absent": "yes"}}))
    result = kubectl("exec", "n", "--", "true")
    assert result.returncode == 1
    assert result.stderr.strip() == \
        "Error from server (BadRequest): pod n does not have a host assigned"


def test_the_websocket_get_needs_create(kubectl_bin, sandbox, mapped, namespace, tmp_path):
    import subprocess
    access = sandbox.server.access
    for user, verbs in (("getter", ["get"]), ("creator", ["get", "create"])):
        access.grant("token-" + user, user, [
            {"verbs": ["get", "list"], "resources": ["pods"], "namespaces": [namespace]},
            {"verbs": verbs, "resources": ["pods/exec"], "namespaces": [namespace]}])

    def run(user):
        path = str(tmp_path / (user + ".kubeconfig"))
        sandbox.write_kubeconfig(path, token="token-" + user, namespace=namespace)
        return subprocess.run([kubectl_bin, "--kubeconfig", path, "exec", "p", "--",
                               sys.executable, "-c", "print('in')"], capture_output=True,
                              text=True, timeout=60)
    refused = run("getter")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): pods "p" is forbidden: User "getter" cannot create '
        'resource "pods/exec" in API group "" in the namespace "%s"' % namespace)
    allowed = run("creator")
    assert (allowed.returncode, allowed.stdout) == (0, "in\n"), allowed.stderr
    # the log shows the WebSocket GET refused, then kubectl's SPDY fallback (POST) refused
    log = [(r["method"], r["code"], r["user"]) for r in sandbox.server.request_log
           if r["path"].endswith("/pods/p/exec")]
    assert ("GET", 403, "getter") in log and ("POST", 403, "getter") in log
    assert ("GET", 101, "creator") in log


def test_status_on_the_error_channel_of_v4(sandbox, mapped, namespace):
    """A client speaking v4.channel.k8s.io (the kubelet's protocol, through the API server):
    the Status JSON of a non-zero exit, with its ExitCode cause."""
    import ssl

    import websocket
    host = sandbox.url.split("://", 1)[1]
    scheme = "wss" if sandbox.url.startswith("https") else "ws"
    query = "command=%s&command=-c&command=import+sys%%3Bsys.exit(4)&stdout=true" % (
        sys.executable)
    ws = websocket.create_connection(
        "%s://%s/api/v1/namespaces/%s/pods/p/exec?%s" % (scheme, host, namespace, query),
        subprotocols=["v4.channel.k8s.io"], header=["Authorization: Bearer sandbox-admin"],
        sslopt={"cert_reqs": ssl.CERT_NONE}, timeout=30)
    try:
        assert ws.getsubprotocol() == "v4.channel.k8s.io"
        frames = []
        while True:
            data = ws.recv()
            if not data:
                break
            frames.append(data)
            if data[:1] == b"\x03":
                break
    finally:
        ws.close()
    assert frames[0] == b"\x01"          # the stream is open
    status = json.loads(frames[-1][1:])
    assert status["status"] == "Failure" and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "4"}]
    assert os.path.basename(sys.executable) in status["message"]
