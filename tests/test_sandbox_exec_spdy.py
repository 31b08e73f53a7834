"""`kubectl exec` over SPDY/3.1 through the real kubectl (v1.32 with
KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, as older kubectl and client-go programs speak it, and
as kubectl falls back to when the WebSocket upgrade fails): the same output, exit codes and
errors as over WebSocket, the kubelet's words where the transports differ; and the stream and
protocol negotiation of the kubelet's SPDY handler (execspdy.py) as pure functions."""

import sys

import pytest

from builders import pod
from helpers import wait_for
from kubectl_sts_sandbox import execspdy, httpstream
from test_sandbox_exec import HEX_ID, IMAGE, mapped, ready  # noqa: F401 (the fixture)

pytestmark = pytest.mark.kubectl


@pytest.fixture(autouse=True)
def spdy_only(monkeypatch):
    """kubectl pkg/cmd/util/helpers.go RemoteCommandWebsockets: the feature gate read from
    KUBECTL_REMOTE_COMMAND_WEBSOCKETS; `false` makes kubectl exec use SPDY only."""
    monkeypatch.setenv("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")


def exec_requests(sandbox, namespace, name):
    """(method, code) of each pods/NAME/exec request: POST for SPDY, GET for WebSocket."""
    return [(r["method"], r["code"]) for r in sandbox.server.request_log
            if r["path"].endswith("/namespaces/%s/pods/%s/exec" % (namespace, name))]


def test_stdout_stderr_and_exit_code_over_spdy(kubectl, sandbox, namespace,
                                               mapped):  # noqa: F811
    script = ("import os, sys; print(os.getcwd()); print(os.environ['M_mode'], "
              "os.environ['GREETING'], os.environ['POD_NAME'], os.environ['FROM_MAPPING']); "
              "print('to stderr', file=sys.stderr); sys.exit(3)")
    result = kubectl("exec", "p", "--", sys.executable, "-c", script)
    assert result.stdout.splitlines() == [str(mapped), "primary hello $(MODE) p yes"]
    assert result.stderr.splitlines() == ["to stderr", "command terminated with exit code 3"]
    assert result.returncode == 3
    assert exec_requests(sandbox, namespace, "p") == [("POST", 101)]         # SPDY, no WebSocket GET
    ok = kubectl("exec", "p", "--", sys.executable, "-c", "print('fine')")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "fine\n", "")


def test_stdin_until_the_client_closes_it(kubectl, mapped):  # noqa: F811
    echoed = kubectl("exec", "-i", "p", "--", sys.executable, "-c",
                     "import sys; data = sys.stdin.read(); print(len(data)); print(data.upper())",
                     input="first line\nsecond line\n")
    assert echoed.returncode == 0, echoed.stderr
    assert echoed.stdout == "23\nFIRST LINE\nSECOND LINE\n\n"
    big = "x" * 200000 + "\n"
    counted = kubectl("exec", "-i", "p", "--", sys.executable, "-c",
                      "import sys; print(len(sys.stdin.read()))", input=big)
    assert (counted.returncode, counted.stdout, counted.stderr) == (0, "200001\n", "")


def test_unmapped_command_is_the_runtimes_missing_binary(kubectl, sandbox, core, namespace):
    core.create_namespaced_pod(namespace, pod("u", containers=[{"name": "app",
                                                                "image": IMAGE}]))
    ready(core, namespace, "u")
    result = kubectl("exec", "u", "--", "no-such-command-here", "-l")
    assert result.returncode == 1
    assert result.stdout == ""
    # the kubelet's own Status (no stream translator wrapping it a second time)
    assert HEX_ID.sub('failed to start exec "ID"', result.stderr.strip()) == (
        "error: Internal error occurred: error executing command in container: failed to exec "
        'in container: failed to start exec "ID": OCI runtime exec failed: exec failed: unable '
        'to start container process: exec: "no-such-command-here": executable file not found '
        "in $PATH: unknown")
    assert exec_requests(sandbox, namespace, "u") == [("POST", 101)]


def test_refusals_before_the_upgrade_then_the_right_container(kubectl, sandbox, core,  # noqa
                                                              namespace, mapped):  # noqa: F811
    """A wrong container, a container not running and a pod not bound are refused before the
    upgrade in the same words as over WebSocket (but the kubelet's refusal without the
    translator's `Internal error occurred: `); the right container then answers over SPDY."""
    wrong = kubectl("exec", "p", "-c", "nope", "--", "true")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == \
        "Error from server (BadRequest): container nope is not valid for pod p"
    core.create_namespaced_pod(namespace, pod("w", containers=[{"name": "app", "image": IMAGE}],
                                              volumes=[{"name": "s", "secret": {
                                                  "secretName": "absent"}}]))
    core.create_namespaced_pod(namespace, pod("n", containers=[{"name": "app", "image": IMAGE}],
                                              spec={"nodeSelector": {"absent": "yes"}}))
    wait_for(core.list_namespaced_pod, lambda items: "w" in items and
             (items["w"].get("status") or {}).get("containerStatuses"),
             namespace=namespace, timeout=60)
    stopped = kubectl("exec", "w", "--", "true")
    assert stopped.returncode == 1
    assert stopped.stderr.strip() == \
        'error: unable to upgrade connection: container not found ("app")'
    unbound = kubectl("exec", "n", "--", "true")
    assert unbound.returncode == 1
    assert unbound.stderr.strip() == \
        "Error from server (BadRequest): pod n does not have a host assigned"
    right = kubectl("exec", "p", "-c", "app", "--", sys.executable, "-c", "print('app')")
    assert (right.returncode, right.stdout, right.stderr) == (0, "app\n", "")
    assert exec_requests(sandbox, namespace, "p") == [("POST", 400), ("POST", 101)]


# -- the negotiation, as pure functions --------------------------------------------------------

V5, V4, V3, V2, V1 = execspdy.PROTOCOLS
ALL = execspdy.PROTOCOLS


@pytest.mark.parametrize("client,protocol,error", [
    ([V5, V4, V3, V2, V1], V5, ""),                  # client-go's SPDY executor
    ([V4, V3, V2, V1], V4, ""),                      # client-go before v5
    (["v9.channel.k8s.io", V2], V2, ""),             # the client's order, first known
    ([V1, V4], V1, ""),
    ([], None, "unable to upgrade: X-Stream-Protocol-Version is required"),
    (["portforward.k8s.io"], None,
     "unable to upgrade: unable to negotiate protocol: client supports [portforward.k8s.io], "
     "server accepts [%s]" % " ".join(ALL)),
])
def test_protocol_negotiation(client, protocol, error):
    assert httpstream.negotiate(client, ALL) == (protocol, error)


@pytest.mark.parametrize("protocol,options,wanted", [
    (V5, {"stdout": True, "stderr": True}, ["error", "stdout", "stderr"]),
    (V4, {"stdin": True, "stdout": True, "stderr": True},
     ["error", "stdin", "stdout", "stderr"]),
    (V4, {"stdin": True, "stdout": True, "stderr": True, "tty": True},
     ["error", "stdin", "stdout", "resize"]),        # no stderr with a tty
    (V3, {"stdout": True, "tty": True}, ["error", "stdout", "resize"]),
    (V2, {"stdout": True, "tty": True}, ["error", "stdout"]),    # v2: no resizing
    (V1, {"stdin": True}, ["error", "stdin"]),
])
def test_the_streams_waited_for(protocol, options, wanted):
    assert execspdy.wanted_streams(protocol, options) == wanted


@pytest.mark.parametrize("protocol,stream_type,kind", [
    (V4, "error", "error"), (V4, "stdin", "stdin"), (V4, "stdout", "stdout"),
    (V4, "stderr", "stderr"), (V4, "resize", "resize"), (V3, "resize", "resize"),
    (V2, "resize", None), (V1, "resize", None), (V4, "data", None), (V5, "", None),
])
def test_stream_types(protocol, stream_type, kind):
    assert execspdy.stream_kind(protocol, {"streamtype": stream_type}) == kind


@pytest.mark.parametrize("protocol,status,payload", [
    (V5, {"metadata": {}, "status": "Success"}, b'{"metadata":{},"status":"Success"}'),
    (V4, {"status": "Failure", "message": "m"}, b'{"status":"Failure","message":"m"}'),
    (V3, {"metadata": {}, "status": "Success"}, None),
    (V2, {"status": "Failure", "message": "command terminated"}, b"command terminated"),
])
def test_what_the_error_stream_carries(protocol, status, payload):
    assert execspdy.status_payload(execspdy.writes_status(protocol), status) == payload
