"""`kubectl port-forward` (the real kubectl v1.32) against the cluster under test.

On the sandbox a pod's ports are what a PortForward mapping (podaccess.py) names: the tests
that need one map a local server of their own and skip on a real cluster; the failure of a
port nothing listens on is a real cluster's too, word for word (the kubelet's error stream,
containerd's message)."""

import json
import re
import shutil
import socket

import pytest

from reach import EchoServer, Process, mapping, run_pod

pytestmark = pytest.mark.kubectl

FORWARDING = r"^Forwarding from 127\.0\.0\.1:(\d+) -> %d$"


def exchange(port, data, expect_len=None):
    """Connect to a local port, send `data`, read until `expect_len` bytes (or the end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(data)
        got = b""
        while expect_len is None or len(got) < expect_len:
            chunk = conn.recv(4096)
            if not chunk:
                break
            got += chunk
        return got


@pytest.fixture
def port_forward(kubectl_bin, kubeconfig, namespace):
    """Start `kubectl port-forward ARGS` in the test's namespace; stopped at teardown."""
    started = []

    def start(*args):
        process = Process([kubectl_bin, "--kubeconfig", kubeconfig, "-n", namespace,
                           "port-forward"] + list(args))
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


@pytest.fixture
def echo():
    with EchoServer() as server:
        yield server


def test_forwards_each_connection_to_the_mapped_target(sandbox, kubectl, namespace, echo,
                                                       port_forward):
    sandbox.cluster.config.pod_access.add(mapping("PortForward", namespace, "fwd", [
        {"ports": [8080], "target": {"address": "127.0.0.1", "port": echo.port}}]))
    run_pod(kubectl, "fwd")
    pf = port_forward("pod/fwd", ":8080")
    local = int(pf.expect(FORWARDING % 8080).group(1))
    for i in range(3):
        data = b"hello %d" % i
        assert exchange(local, data, len(data) + 5) == b"echo:" + data
        pf.expect(r"^Handling connection for %d$" % local)
    # two at once: each connection is its own pair of streams
    first = socket.create_connection(("127.0.0.1", local), timeout=30)
    second = socket.create_connection(("127.0.0.1", local), timeout=30)
    with first, second:
        first.sendall(b"one")
        second.sendall(b"two")
        assert second.recv(100) == b"echo:two"
        assert first.recv(100) == b"echo:one"
    assert echo.accepted == 5
    # kubectl 1.32 asked for the WebSocket tunnel first, then fell back to SPDY
    tries = [(e["method"], e["code"]) for e in sandbox.request_log
             if e["path"] == "/api/v1/namespaces/%s/pods/fwd/portforward" % namespace]
    assert tries == [("GET", 400), ("POST", 101)]


@pytest.mark.skipif(shutil.which("cat") is None, reason="needs cat")
def test_a_command_mapping_gets_the_connection_on_its_stdin_and_stdout(sandbox, kubectl,
                                                                        namespace, port_forward):
    sandbox.cluster.config.pod_access.add(mapping("PortForward", namespace, "cmd", [
        {"ports": [5432], "command": [shutil.which("cat")]}]))
    run_pod(kubectl, "cmd", ports=(5432,))
    pf = port_forward("pod/cmd", ":5432")
    local = int(pf.expect(FORWARDING % 5432).group(1))
    assert exchange(local, b"through cat\n", 12) == b"through cat\n"


def test_a_port_nothing_listens_on_fails_as_on_a_cluster(kubectl, port_forward):
    run_pod(kubectl, "closed")
    pf = port_forward("pod/closed", ":8080")
    local = int(pf.expect(FORWARDING % 8080).group(1))
    assert exchange(local, b"anyone?") == b""
    code, stderr = pf.wait()
    assert code == 1
    assert re.search(
        r"an error occurred forwarding %d -> 8080: error forwarding port 8080 to pod [0-9a-f]{64}, "
        r"uid : failed to execute portforward in network namespace \\\"[^\\]+\\\": failed to "
        r"connect to localhost:8080 inside namespace \\\"[0-9a-f]{64}\\\", IPv4: dial tcp4 "
        r"127\.0\.0\.1:8080: connect: connection refused IPv6 dial tcp6 \[::1\]:8080: connect: "
        r"connection refused" % local, stderr), stderr
    assert stderr.splitlines()[-1] == "error: lost connection to pod"


def test_address_listens_only_where_it_says(sandbox, kubectl, namespace, echo, port_forward):
    sandbox.cluster.config.pod_access.add(mapping("PortForward", namespace, "addr", [
        {"target": {"address": "127.0.0.1", "port": echo.port}}]))      # every port
    run_pod(kubectl, "addr", ports=(9000,))
    pf = port_forward("pod/addr", ":9000", "--address", "127.0.0.1")
    local = int(pf.expect(FORWARDING % 9000).group(1))
    assert exchange(local, b"x", 6) == b"echo:x"
    pf.expect(r"^Handling connection for %d$" % local)
    assert pf.seen == ["Forwarding from 127.0.0.1:%d -> 9000" % local,
                       "Handling connection for %d" % local]
    with pytest.raises(OSError):
        socket.create_connection(("::1", local), timeout=5).close()


def test_a_service_forwards_to_a_pod_behind_it(sandbox, kubectl, namespace, echo,
                                               port_forward):
    sandbox.cluster.config.pod_access.add(mapping("PortForward", namespace, "back", [
        {"ports": [8080], "target": {"address": "127.0.0.1", "port": echo.port}}]))
    run_pod(kubectl, "back", labels={"app": "front"})
    created = kubectl("create", "service", "clusterip", "front", "--tcp=80:8080")
    assert created.returncode == 0, created.stderr
    pf = port_forward("svc/front", ":80")
    local = int(pf.expect(FORWARDING % 8080).group(1))
    assert exchange(local, b"via service", 16) == b"echo:via service"


def upgrade(api_client, path, protocols=("portforward.k8s.io",)):
    """POST a SPDY upgrade to `path` with the client's credentials: (status, body text)."""
    config = api_client.configuration
    headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    if protocols:
        headers["X-Stream-Protocol-Version"] = ", ".join(protocols)
    for setting in config.auth_settings().values():
        if setting.get("in") == "header" and setting.get("value"):
            headers[setting["key"]] = setting["value"]
    response = api_client.rest_client.pool_manager.request("POST", config.host + path,
                                                           headers=headers)
    return response.status, response.data.decode()


def test_the_api_server_refuses_what_it_cannot_forward(kubectl, namespace, api_client):
    base = "/api/v1/namespaces/%s/pods/" % namespace
    code, body = upgrade(api_client, base + "nobody/portforward")
    assert (code, json.loads(body)["message"]) == (404, 'pods "nobody" not found')
    # a pod no node takes (pod/strategy.go PortForwardLocation)
    pending = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nowhere"},
               "spec": {"nodeSelector": {"kubectl-sts.test/none": "x"},
                        "containers": [{"name": "main", "image": "nginx:1.27"}]}}
    assert kubectl("apply", "-f", "-", input=json.dumps(pending)).returncode == 0
    code, body = upgrade(api_client, base + "nowhere/portforward")
    assert (code, json.loads(body)["message"]) == (
        400, "pod nowhere does not have a host assigned")
    # a protocol the kubelet does not speak (httpstream.Handshake)
    run_pod(kubectl, "up")
    assert upgrade(api_client, base + "up/portforward", ("portforward.k8s.io.v2",)) == (
        403, "unable to upgrade: unable to negotiate protocol: client supports "
             "[portforward.k8s.io.v2], server accepts [portforward.k8s.io]\n")
