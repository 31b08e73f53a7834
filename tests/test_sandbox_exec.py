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


def _raw_exec(sandbox, namespace, protocol, code):
    """Exec `python -c 'print(1); exit(code)'` in pod p as a client of `protocol`; the
    messages received, decoded to (channel, data)."""
    import base64
    import ssl

    import websocket
    host = sandbox.url.split("://", 1)[1]
    scheme = "wss" if sandbox.url.startswith("https") else "ws"
    query = "command=%s&command=-c&command=print(1)%%3Bexit(%d)&stdout=true" % (
        sys.executable, code)
    ws = websocket.create_connection(
        "%s://%s/api/v1/namespaces/%s/pods/p/exec?%s" % (scheme, host, namespace, query),
        subprotocols=[protocol], header=["Authorization: Bearer sandbox-admin"],
        sslopt={"cert_reqs": ssl.CERT_NONE}, timeout=30)
    messages = []
    try:
        assert ws.getsubprotocol() == protocol
        while True:
            data = ws.recv()
            if not data:
                break
            if isinstance(data, str):          # the base64 protocols send text
                messages.append((int(data[0]), base64.b64decode(data[1:])))
            else:
                messages.append((data[0], data[1:]))
    except websocket.WebSocketConnectionClosedException:
        pass
    finally:
        ws.close()
    return messages


def _stdout(messages):
    return b"".join(data for channel, data in messages if channel == 1)


def test_the_kubelets_protocols(sandbox, mapped, namespace):
    """Clients of v4.channel.k8s.io and the older protocols, which kube-apiserver passes to
    the kubelet: v4's error channel carries the Status JSON with the ExitCode cause, the
    older ones the error's text, and nothing on success."""
    v4 = _raw_exec(sandbox, namespace, "v4.channel.k8s.io", 4)
    assert v4[0] == (1, b"")                          # the stream is open
    assert _stdout(v4) == b"1\n"
    status = json.loads(v4[-1][1])
    assert v4[-1][0] == 3
    assert status["status"] == "Failure" and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "4"}]
    assert os.path.basename(sys.executable) in status["message"]
    assert json.loads(_raw_exec(sandbox, namespace, "v4.channel.k8s.io", 0)[-1][1]) == \
        {"metadata": {}, "status": "Success"}
    old = _raw_exec(sandbox, namespace, "base64.channel.k8s.io", 4)
    assert old[0] == (1, b"") and _stdout(old) == b"1\n"
    assert old[-1][0] == 3 and old[-1][1].startswith(
        b"command terminated with non-zero exit code: ")
    plain = _raw_exec(sandbox, namespace, "channel.k8s.io", 0)
    assert _stdout(plain) == b"1\n" and {c for c, _ in plain} == {1}


# -- the container's environment (podenv.py) ----------------------------------------------------

KUBERNETES_ENV = {
    "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
    "KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1"}


def _env_of(kubectl, name):
    result = kubectl("exec", name, "--", "env")
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_exec_sees_the_environment_a_cluster_gives(sandbox, kubectl, core, namespace):
    """HOSTNAME (containerd), the service variables of `kubernetes` and of the namespace's
    Services with a ClusterIP (the kubelet), env winning over them and expanding them, and
    the downward API's resources (a missing limit is the node's allocatable) and host IP."""
    config = sandbox.cluster.config
    kept = config.pod_access
    config.pod_access = PodAccess([{
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
        "metadata": {"name": "host"},
        "spec": {"selector": {"matchNamespaces": [namespace]},
                 "execs": [{"containers": ["app"], "local": {}}]}}])
    try:
        core.create_namespaced_service(namespace, {"metadata": {"name": "db"}, "spec": {
            "selector": {"app": "db"}, "ports": [{"name": "sql", "port": 5432}]}})
        core.create_namespaced_service(namespace, {"metadata": {"name": "peers"}, "spec": {
            "clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}})
        env = [{"name": "DB_SERVICE_PORT", "value": "6000"},
               {"name": "API", "value": "https://$(KUBERNETES_SERVICE_HOST):$(DB_SERVICE_PORT)"},
               {"name": "MEM_MI", "valueFrom": {"resourceFieldRef": {
                   "resource": "limits.memory", "divisor": "1Mi"}}},
               {"name": "CPU_M", "valueFrom": {"resourceFieldRef": {
                   "resource": "requests.cpu", "divisor": "1m"}}},
               {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]
        core.create_namespaced_pod(namespace, pod("db-0", labels={"app": "db"}, containers=[{
            "name": "app", "image": IMAGE, "env": env,
            "resources": {"requests": {"cpu": "250m"}}}],
            spec={"hostname": "db-0", "subdomain": "peers"}))
        core.create_namespaced_pod(namespace, pod("solo", containers=[{
            "name": "app", "image": IMAGE}], spec={"enableServiceLinks": False}))
        ready(core, namespace, "db-0")
        ready(core, namespace, "solo")

        shell = kubectl("exec", "db-0", "--", "sh", "-c", "echo $HOSTNAME $KUBERNETES_SERVICE_HOST")
        assert (shell.returncode, shell.stdout) == (0, "db-0 10.96.0.1\n"), shell.stderr

        got = _env_of(kubectl, "db-0")
        db_ip = core.read_namespaced_service("db", namespace).spec.cluster_ip
        node = core.read_node(core.read_namespaced_pod("db-0", namespace).spec.node_name)
        internal = [a.address for a in node.status.addresses if a.type == "InternalIP"]
        assert {k: v for k, v in got.items() if k.startswith("KUBERNETES_")} == KUBERNETES_ENV
        assert {k: v for k, v in got.items() if k.startswith("DB_")} == {
            "DB_SERVICE_HOST": db_ip, "DB_SERVICE_PORT": "6000", "DB_SERVICE_PORT_SQL": "5432",
            "DB_PORT": "tcp://%s:5432" % db_ip, "DB_PORT_5432_TCP": "tcp://%s:5432" % db_ip,
            "DB_PORT_5432_TCP_PROTO": "tcp", "DB_PORT_5432_TCP_PORT": "5432",
            "DB_PORT_5432_TCP_ADDR": db_ip}
        assert not [k for k in got if k.startswith("PEERS_")]       # headless: none
        assert (got["HOSTNAME"], got["API"], got["HOST_IP"]) == (
            "db-0", "https://10.96.0.1:6000", internal[0])
        allocatable_mi = int(node.status.allocatable["memory"].rstrip("Gi")) * 1024
        assert (got["MEM_MI"], got["CPU_M"]) == (str(allocatable_mi), "250")
        assert got["PATH"] == os.environ["PATH"]        # no image: the host's PATH

        solo = _env_of(kubectl, "solo")
        assert solo["HOSTNAME"] == "solo"
        assert {k: v for k, v in solo.items() if k.startswith("KUBERNETES_")} == KUBERNETES_ENV
        assert not [k for k in solo if k.startswith("DB_")]    # enableServiceLinks: false
    finally:
        config.pod_access = kept


class _Store:
    def __init__(self, objects):
        self.objects = objects

    def peek(self, rt, namespace, name):
        return self.objects.get((rt.kind, name))

    def list(self, rt, namespace):
        return [], "1"


def test_environment_as_the_kubelet_makes_it():
    from kubectl_sts_sandbox.podenv import container_env
    store = _Store({
        ("Secret", "creds"): {"data": {"password": "czNjcjN0", "bad key": "eA=="}},
        ("ConfigMap", "settings"): {"data": {"mode": "primary"}}})
    pod_obj = {"metadata": {"name": "db-0", "namespace": "prod", "labels": {"tier": "db"}},
               "spec": {"nodeName": "n1"}, "status": {"podIP": "10.0.0.7"}}
    container = {"name": "db", "envFrom": [{"secretRef": {"name": "creds"}, "prefix": "DB_"},
                                           {"configMapRef": {"name": "absent",
                                                             "optional": True}}],
                 "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {
                     "name": "settings", "key": "mode"}}},
                         {"name": "URL", "value": "$(DB_password)@$(MODE):$$(NOT) $(UNSET)"},
                         {"name": "TIER", "valueFrom": {"fieldRef": {
                             "fieldPath": "metadata.labels['tier']"}}},
                         {"name": "IP", "valueFrom": {"fieldRef": {
                             "fieldPath": "status.podIP"}}}]}
    assert container_env(store, pod_obj, container) == {
        "DB_password": "s3cr3t", "MODE": "primary", "URL": "s3cr3t@primary:$(NOT) $(UNSET)",
        "TIER": "db", "IP": "10.0.0.7"}
