"""pods/NAME/portforward: what `kubectl port-forward` talks to, played as kube-apiserver,
kubelet and container runtime together.

- The apiserver (pkg/registry/core/pod/rest/subresources.go PortForwardREST.Connect,
  pod/strategy.go PortForwardLocation): the pod must exist and be bound to a node ("pod NAME
  does not have a host assigned"); a WebSocket request (kubectl >= 1.31 tries
  `SPDY/3.1+portforward.k8s.io` first, client-go tools/portforward/tunneling_dialer.go) is the
  tunneling handler's; a SPDY upgrade goes on to the kubelet.
- The kubelet (pkg/kubelet/cri/streaming/portforward/httpstream.go handleHTTPStreams):
  httpstream.Handshake on X-Stream-Protocol-Version (portforward.k8s.io), the SPDY/3.1
  upgrade (apimachinery util/httpstream/spdy/upgrade.go UpgradeResponse: 400 without the
  upgrade headers, else 101), then every stream the client opens is checked
  (httpStreamReceived: a `port` and a `streamType` of error or data, else reset) and answered
  (SYN_REPLY), paired by `requestID`, and each complete pair forwarded (portForward): what the
  forwarder fails with is written on the error stream as `error forwarding port P to pod ID,
  uid : ...`, then both streams are closed.
- The runtime (containerd internal/cri/server/sandbox_portforward_linux.go portForward) dials
  the port inside the pod; the sandbox instead follows the user's PortForward mapping
  (podaccess.py, kwok's pkg/kwok/server/port_forward.go PortForward / findPortInForwards: a
  `target` address dialled, or a `command` run with the stream on its stdin/stdout; an entry
  without `ports` serves every port). An unmapped or refused port fails in containerd's words
  ("failed to connect to localhost:P inside namespace ..."); copying stops when one direction
  ends, the other given a second more (containerd's `timeout = time.Second`).
"""

import hashlib
import os
import queue
import socket
import subprocess
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional

from . import errors, httpstream, spdy
from .httpstream import CHUNK, Stream
from .resources import BY_KIND
from .routes import Request

Obj = Dict[str, Any]
POD = BY_KIND["Pod"]
PROTOCOL = "portforward.k8s.io"                  # api.PortForwardProtocolV1Name
TUNNEL_PROTOCOL = "SPDY/3.1+" + PROTOCOL        # wsstream tunneling subprotocol
CLOSE_GRACE = 1.0                               # containerd's wait for the other direction


def serve(handler: Request, rt: Any, namespace: Optional[str], name: Optional[str],
          sub: Optional[str], tail: List[str]) -> None:
    if handler.command not in ("GET", "POST"):           # ConnectMethods: GET, POST
        raise errors.method_not_allowed()
    pod = handler.server.cluster.store.get(POD, namespace, name or "")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request("pod %s does not have a host assigned" % name)
    if "websocket" in (handler.headers.get("Upgrade") or "").lower():
        return _websocket(handler, pod)
    if not _running(pod):
        # the kubelet's GetPortForward finds no running pod (kubelet_pods.go), answered
        # as text by streaming.WriteError
        return handler.send_bytes(500, ('pod not found ("%s_%s")' % (name, namespace)).encode(),
                                  "text/plain; charset=utf-8")
    protocol, error = httpstream.negotiate(httpstream.offered(handler.headers), [PROTOCOL])
    if protocol is None:
        if httpstream.offered(handler.headers):
            return httpstream.refuse_negotiation(handler, [PROTOCOL], error)
        # Handshake returns "... X-Stream-Protocol-Version is required" without writing it,
        # and the kubelet's handler (portforward/httpstream.go handleHTTPStreams) returns: Go's
        # server answers an empty 200
        handler.close_connection = True
        return handler.send_bytes(200, b"", "text/plain; charset=utf-8")
    if not httpstream.upgrade(handler, protocol):
        return None
    session = Session(lambda: handler.rfile.read1(CHUNK),  # type: ignore[attr-defined]
                      handler.wfile.write, _forwarder(handler, pod), pod)
    session.run()


def _websocket(handler: Request, pod: Obj) -> None:
    """The WebSocket attempt. Until the sandbox serves WebSocket frames the request is
    answered as by a server that does not tunnel it: the kubelet's streaming server refuses a
    WebSocket port-forward without its `port` query parameter (kubelet server.go
    getPortForward, portforward.NewV4Options), a 400, which client-go's websocket round tripper
    turns into an httpstream.UpgradeFailureError (transport/websocket/roundtripper.go
    RoundTrip: gorilla's ErrBadHandshake), and kubectl's FallbackDialer then dials SPDY
    (kubectl pkg/cmd/portforward createDialer: httpstream.IsUpgradeFailure)."""
    httpstream.plain(handler, 400, 'query parameter "port" is required')


def _running(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and bool(status.get("podIP"))


def sandbox_id(pod: Mapping[str, Any]) -> str:
    """The pod sandbox's id the kubelet names in its messages (a 64-hex containerd id)."""
    uid = (pod.get("metadata") or {}).get("uid") or ""
    return hashlib.sha256(("sandbox/" + uid).encode()).hexdigest()


def netns_path(pod: Mapping[str, Any]) -> str:
    """The pod's network namespace as the CNI plugins name it (/var/run/netns/cni-UUID)."""
    h = sandbox_id(pod)
    return "/var/run/netns/cni-%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def forward_error(pod: Mapping[str, Any], port: int, cause: str) -> str:
    """The error stream's message (httpstream.go portForward; the uid is empty: the CRI
    streaming server passes none, cri/streaming/server.go servePortForward)."""
    return "error forwarding port %d to pod %s, uid : %s" % (port, sandbox_id(pod), cause)


def refused(pod: Mapping[str, Any], port: int) -> str:
    """containerd's words for a port nothing listens on inside the pod."""
    return ('failed to execute portforward in network namespace "%s": failed to connect to '
            'localhost:%d inside namespace "%s", IPv4: dial tcp4 127.0.0.1:%d: connect: '
            'connection refused IPv6 dial tcp6 [::1]:%d: connect: connection refused '
            % (netns_path(pod), port, sandbox_id(pod), port, port))


# -- what a forwarded connection reaches ---------------------------------------------------------

class Backend:
    """One forwarded connection's far end: a socket or a command's pipes."""

    def __init__(self, send: Callable[[bytes], None], recv: Callable[[], bytes],
                 end_input: Callable[[], None], close: Callable[[], None]) -> None:
        self.send, self.recv, self.end_input, self.close = send, recv, end_input, close


class ForwardError(Exception):
    """The forward failed; the message is the cause after `uid : `."""


def find_forward(spec: Optional[Mapping[str, Any]], port: int) -> Optional[Mapping[str, Any]]:
    """kwok findPortInForwards: the entry listing the port, else the first without ports."""
    default = None
    for forward in (spec or {}).get("forwards") or []:
        if not isinstance(forward, dict):
            continue
        ports = forward.get("ports") or []
        if not ports:
            default = default or forward
        elif port in [int(p) for p in ports if str(p).isdigit()]:
            return forward
    return default


def open_backend(pod: Mapping[str, Any], forward: Optional[Mapping[str, Any]],
                 port: int) -> Backend:
    if forward is None:
        raise ForwardError(refused(pod, port))
    command = forward.get("command")
    if command:
        try:
            proc = subprocess.Popen([str(c) for c in command], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise ForwardError('exec: "%s": %s' % (command[0], exc.strerror))
        stdin, stdout = proc.stdin, proc.stdout
        assert stdin is not None and stdout is not None

        def write(data: bytes) -> None:
            stdin.write(data)
            stdin.flush()

        def close() -> None:
            for pipe in (stdin, stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        return Backend(write, lambda: os.read(stdout.fileno(), CHUNK), stdin.close, close)
    target = forward.get("target") or {}
    address = str(target.get("address") or "127.0.0.1")
    try:
        conn = socket.create_connection((address, int(target.get("port") or port)), timeout=10)
    except OSError:
        raise ForwardError(refused(pod, port))
    conn.settimeout(None)

    def shut() -> None:
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    return Backend(conn.sendall, lambda: conn.recv(CHUNK), shut, conn.close)


def _forwarder(handler: Request, pod: Obj) -> Callable[[int], Backend]:
    access = handler.server.cluster.config.pod_access
    spec = access.spec_for("PortForward", pod)
    return lambda port: open_backend(pod, find_forward(spec, port), port)


# -- the SPDY session ----------------------------------------------------------------------------

class Session(httpstream.Connection):
    """The kubelet's side of one upgraded port-forward connection: `read` returns the bytes
    that arrived (b"" at the end), `write` sends bytes; `open_port(port)` returns a Backend or
    raises ForwardError."""

    def __init__(self, read: Callable[[], bytes], write: Callable[[bytes], Any],
                 open_port: Callable[[int], Backend], pod: Optional[Obj] = None) -> None:
        super().__init__(read, write, self._check)
        self._open = open_port
        self._pairs: Dict[str, Dict[str, Stream]] = {}
        self._pod = pod or {}
        self._backends: List[Backend] = []
        self._backends_lock = threading.Lock()

    def run(self) -> None:
        try:
            super().run()
        finally:
            with self._backends_lock:
                backends, self._backends = self._backends, []
            for backend in backends:
                backend.close()

    def _check(self, frame: spdy.Frame) -> Optional[Callable[[Stream], None]]:
        """httpstream.go httpStreamReceived: a `port` and a `streamType` of error or data."""
        port, kind = frame.header("port") or "", frame.header("streamType") or ""
        if not (port.isdigit() and 0 < int(port) < 65536 and kind in ("error", "data")):
            return None
        return self._new_stream

    def _new_stream(self, stream: Stream) -> None:
        """The stream answered: pair it by requestID and forward each complete pair."""
        frame = stream.frame
        kind = frame.header("streamType") or ""
        # requestID, or for older clients the stream id (the error stream's; data is +2)
        request = frame.header("requestID") or str(stream.id - (2 if kind == "data" else 0))
        pair = self._pairs.setdefault(request, {})
        if kind in pair:
            other = pair.get("error")
            if other is not None:
                self.send_data(other, ("error processing stream for request %s: %s stream "
                                       "already assigned" % (request, kind)).encode())
            return
        pair[kind] = stream
        if len(pair) == 2:
            del self._pairs[request]
            threading.Thread(target=self._forward, args=(pair["data"], pair["error"]),
                             daemon=True).start()

    def _forward(self, data: Stream, error: Stream) -> None:
        """httpstream.go portForward with the runtime's copy loop."""
        port = int(data.frame.header("port") or 0)
        try:
            try:
                backend = self._open(port)
            except ForwardError as exc:
                self.send_data(error, forward_error(self._pod, port, str(exc)).encode())
                return
            with self._backends_lock:
                self._backends.append(backend)
            self._copy(data, backend)
        finally:
            self.send_data(data, b"", fin=True)
            self.send_data(error, b"", fin=True)
            self.streams.pop(data.id, None)
            self.streams.pop(error.id, None)

    def _copy(self, data: Stream, backend: Backend) -> None:
        done: "queue.Queue[str]" = queue.Queue()

        def upstream() -> None:
            try:
                while True:
                    chunk = data.get()
                    if chunk is None:
                        break
                    backend.send(chunk)
                backend.end_input()
            except (OSError, ValueError):
                pass
            done.put("up")

        def downstream() -> None:
            try:
                while True:
                    chunk = backend.recv()
                    if not chunk:
                        break
                    self.send_data(data, chunk)
            except (OSError, ValueError):
                pass
            done.put("down")

        for target in (upstream, downstream):
            threading.Thread(target=target, daemon=True).start()
        done.get()
        try:
            done.get(timeout=CLOSE_GRACE)
        except queue.Empty:
            pass
        with self._backends_lock:
            if backend in self._backends:
                self._backends.remove(backend)
        backend.close()
        data.put(None)

