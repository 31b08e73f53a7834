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


@pytest.mark.parametrize("code", [3, 0])
def test_stdout_stderr_and_exit_code_over_spdy(kubectl, sandbox, namespace, mapped,  # noqa
                                               code):
    """The mapped command's output on the stdout and stderr streams, its exit code from the
    v4 Status on the error stream: what kubectl prints over WebSocket too."""
    env = ["M_mode", "GREETING", "POD_NAME", "FROM_MAPPING"]
    result = kubectl("exec", "p", "--", sys.executable, "-c",
                     "import os, sys; print(os.getcwd(), *(os.environ[k] for k in %r), sep='|');"
                     " sys.stderr.write('err\\n'); sys.exit(%d)" % (env, code))
    assert result.stdout == "%s|primary|hello $(MODE)|p|yes\n" % mapped
    assert result.stderr.splitlines() == ["err"] + (
        ["command terminated with exit code 3"] if code else [])
    assert result.returncode == code
    assert exec_requests(sandbox, namespace, "p") == [("POST", 101)]    # SPDY only, no GET


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


APP = [{"name": "app", "image": IMAGE}]
# (pod, container, command, stderr): what kubectl prints for an exec the sandbox cannot run
REFUSED = [
    # a command without a mapping: the runtime's error in the kubelet's own Status (no stream
    # translator wrapping it a second time in `Internal error occurred: `)
    ("u", "", ["no-such-command-here", "-l"],
     'error: Internal error occurred: error executing command in container: failed to exec in '
     'container: failed to start exec "ID": OCI runtime exec failed: exec failed: unable to '
     'start container process: exec: "no-such-command-here": executable file not found in '
     '$PATH: unknown'),
    ("p", "nope", ["true"], "Error from server (BadRequest): container nope is not valid for "
                            "pod p"),
    # the kubelet's refusal before the upgrade, as the SPDY round tripper reports it
    ("w", "", ["true"], 'error: unable to upgrade connection: container not found ("app")'),
    ("n", "", ["true"], "Error from server (BadRequest): pod n does not have a host assigned"),
]


def test_execs_refused_then_the_right_container(kubectl, sandbox, core, namespace,
                                                mapped):  # noqa: F811
    """Each refusal reads as on a real cluster over SPDY, exit code 1, nothing on stdout; the
    mapped container then answers over SPDY."""
    for name, extra in (("u", {}), ("w", {"volumes": [{"name": "s", "secret": {
            "secretName": "absent"}}]}), ("n", {"spec": {"nodeSelector": {"absent": "yes"}}})):
        core.create_namespaced_pod(namespace, pod(name, containers=APP, **extra))
    ready(core, namespace, "u")
    wait_for(core.list_namespaced_pod, lambda items: "w" in items and
             (items["w"].get("status") or {}).get("containerStatuses"),
             namespace=namespace, timeout=60)
    for name, container, argv, stderr in REFUSED:
        result = kubectl("exec", name, "-c", container or "app", "--", *argv)
        assert (result.returncode, result.stdout) == (1, ""), name
        assert HEX_ID.sub('failed to start exec "ID"', result.stderr.strip()) == stderr
    assert exec_requests(sandbox, namespace, "u") == [("POST", 101)]
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


# -- older clients: the protocols before v4, as a client-go program of their time speaks them -----

def _raw_spdy_exec(sandbox, namespace, protocols, code):
    """POST pods/p/exec (`python -c 'print(1); exit(code)'`, stdout only) upgraded to SPDY
    offering `protocols`, with client-go's streams (error, then stdout); returns the status
    line, the negotiated protocol and what arrived on each stream until both ended."""
    import socket
    import ssl
    from urllib.parse import quote

    from kubectl_sts_sandbox import spdy
    host, port = sandbox.url.split("://", 1)[1].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=30)
    if sandbox.url.startswith("https"):
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    query = "&".join("command=" + quote(c) for c in
                     [sys.executable, "-c", "print(1); exit(%d)" % code]) + "&stdout=true"
    sock.sendall(("POST /api/v1/namespaces/%s/pods/p/exec?%s HTTP/1.1\r\nHost: %s\r\n"
                  "Authorization: Bearer sandbox-admin\r\nConnection: Upgrade\r\n"
                  "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: %s\r\n"
                  "Content-Length: 0\r\n\r\n" % (namespace, query, host, ", ".join(protocols))
                  ).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if " 101 " not in lines[0]:
        sock.close()
        return lines[0], None, {}
    encoder, decoder = spdy.Encoder(), spdy.Decoder()
    for sid, kind in ((1, "error"), (3, "stdout")):
        sock.sendall(encoder.encode(spdy.Frame(spdy.SYN_STREAM, sid,
                                               headers=(("streamtype", kind),))))
    got: dict = {1: b"", 3: b""}
    ended: set = set()
    while ended != {1, 3}:
        data = sock.recv(65536)
        if not data:
            break
        for frame in decoder.feed(data):
            if frame.type == spdy.DATA:
                got[frame.stream_id] += frame.data
                if frame.flags & spdy.FLAG_FIN:
                    ended.add(frame.stream_id)
            elif frame.type == spdy.RST_STREAM:
                ended.add(frame.stream_id)
    sock.sendall(encoder.encode(spdy.Frame(spdy.GOAWAY, 0)))
    sock.close()
    return lines[0], headers.get("X-Stream-Protocol-Version"), {"error": got[1],
                                                                "stdout": got[3]}


def test_older_spdy_protocols(sandbox, mapped, namespace):  # noqa: F811
    """v4's error stream carries the Status JSON with the ExitCode cause; v3 and v2 the
    error's text and nothing on success; v1 (channel.k8s.io) resets the error stream at once;
    a client offering no exec protocol is refused."""
    import json
    _, protocol, v4 = _raw_spdy_exec(sandbox, namespace, [V4, V3], 4)
    assert protocol == V4 and v4["stdout"] == b"1\n"
    status = json.loads(v4["error"])
    assert (status["reason"], status["details"]["causes"]) == (
        "NonZeroExitCode", [{"reason": "ExitCode", "message": "4"}])
    _, protocol, v2 = _raw_spdy_exec(sandbox, namespace, [V2, V1], 4)
    assert protocol == V2 and v2["stdout"] == b"1\n"
    assert v2["error"].startswith(b"command terminated with non-zero exit code: error "
                                  b"executing command [") and v2["error"].endswith(b"exit code 4")
    assert _raw_spdy_exec(sandbox, namespace, [V3], 0)[2] == {"error": b"", "stdout": b"1\n"}
    assert _raw_spdy_exec(sandbox, namespace, [V1], 4)[2] == {"error": b"", "stdout": b"1\n"}
    line, _, _ = _raw_spdy_exec(sandbox, namespace, ["portforward.k8s.io"], 0)
    assert line.split(" ", 2)[1] == "403"
