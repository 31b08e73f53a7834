"""pods/NAME/exec over SPDY/3.1, as the kubelet's streaming server serves it (kube-apiserver
passes a SPDY upgrade through to the kubelet): what kubectl falls back to when the WebSocket
upgrade fails, and what older kubectl and client-go programs speak
(`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false` makes kubectl >= 1.31 use it).

- kubelet pkg/kubelet/cri/streaming/remotecommand/httpstream.go createHTTPStreamStreams:
  httpstream.Handshake on X-Stream-Protocol-Version against the server's protocols
  (apimachinery util/remotecommand SupportedStreamingProtocols: v5.channel.k8s.io,
  v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io; a refusal is
  answered 400, or 403 when no protocol matches), the SPDY upgrade, then the streams the
  client opens, told apart by their `streamType` header (error, stdin, stdout, stderr, resize)
  and each answered SYN_REPLY; the command starts once the expected streams are there
  (waitForStreams: one for the errors, one per requested stdin/stdout/stderr, one for resize
  with a tty from v3 on), or the session is dropped after the stream creation timeout
  (DefaultStreamCreationTimeout, 30s).
- exec.go ServeExec: the command's stdin is the stdin stream until the client closes its half;
  its output goes to the stdout and stderr streams; the status is written on the error stream
  (v4WriteStatusFunc, the metav1.Status as JSON with the NonZeroExitCode reason and ExitCode
  cause, from v4 on: v5 only adds the WebSocket close signal, and client-go's SPDY v5 is v4,
  tools/remotecommand/v5.go; before v4 v1WriteStatusFunc, the error's text and nothing on
  success); then every stream is closed. v1 (channel.k8s.io) closes its side of stdin as soon
  as the streams are there and resets the error stream (the "1.0.x kubelets" behaviour kept
  in v1ProtocolHandler.waitForStreams).
- client-go tools/remotecommand (v2.go..v4.go) reads stdout and stderr until the server closes
  them and the error stream to its end, then closes the connection.
"""

import json
import socket
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol

from . import httpstream, spdy
from .httpstream import CHUNK, Stream
from .routes import Request

Obj = Dict[str, Any]
V5, V4, V3, V2, V1 = ("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
                      "v2.channel.k8s.io", "channel.k8s.io")
PROTOCOLS = [V5, V4, V3, V2, V1]                # SupportedStreamingProtocols, preferred first
STREAM_TYPES = ("error", "stdin", "stdout", "stderr", "resize")     # api.StreamType*
CHANNELS = {1: "stdout", 2: "stderr"}
STREAM_CREATION_TIMEOUT = 30.0
FINISH_SECONDS = 30.0           # how long the client may take to close after the status


class Adapter(Protocol):
    """A transport's side of an exec: the command's output, then its status."""

    def send(self, channel: int, data: bytes) -> None: ...

    def finish(self, status: Obj) -> None: ...


class StdinSink(Protocol):
    """Where the client's stdin goes (podexec.Command)."""

    def feed(self, data: bytes) -> None: ...

    def close_stdin(self) -> None: ...

    def abandon(self) -> None: ...


def resizes(protocol: str) -> bool:
    """supportsTerminalResizing: v3 and later."""
    return protocol in (V5, V4, V3)


def writes_status(protocol: str) -> bool:
    """v4WriteStatusFunc (a JSON Status) rather than v1WriteStatusFunc (the error's text)."""
    return protocol in (V5, V4)


def status_payload(v4: bool, status: Obj) -> Optional[bytes]:
    """What the error stream (or the WebSocket error channel) carries for a status
    (httpstream.go v4WriteStatusFunc: the Status as JSON, from v4 on; v1WriteStatusFunc: the
    error's text before, nothing on success)."""
    if v4:
        return json.dumps(status, separators=(",", ":")).encode()
    if status.get("status") == "Success":
        return None
    return str(status.get("message", "")).encode()


def wanted_streams(protocol: str, options: Mapping[str, bool]) -> List[str]:
    """The stream types createHTTPStreamStreams waits for (expectedStreams): the error stream,
    the requested ones (NewOptions: no stderr with a tty), resize with a tty where the protocol
    resizes."""
    tty = bool(options.get("tty"))
    wanted = ["error"] + [kind for kind in ("stdin", "stdout", "stderr")
                          if options.get(kind) and not (kind == "stderr" and tty)]
    if tty and resizes(protocol):
        wanted.append("resize")
    return wanted


def stream_kind(protocol: str, headers: Mapping[str, str]) -> Optional[str]:
    """The stream type a protocol handler takes from a new stream's headers, None for one it
    does not know (logged as `unexpected stream type` and not counted); v1 and v2 know no
    resize stream."""
    kind = headers.get("streamtype") or ""
    if kind not in STREAM_TYPES or (kind == "resize" and not resizes(protocol)):
        return None
    return kind


def serve(handler: Request, options: Mapping[str, bool], stdin: StdinSink,
          run: Callable[[Adapter], None]) -> None:
    """Negotiate, upgrade, wait for the streams, then `run(adapter)` (which ends with
    adapter.finish)."""
    offered = httpstream.offered(handler.headers)
    protocol, error = httpstream.negotiate(offered, PROTOCOLS)
    if protocol is None:
        if offered:                     # Handshake's 403, then createHTTPStreamStreams' too
            return httpstream.refuse_negotiation(handler, PROTOCOLS, error, repeated=True)
        return httpstream.plain(handler, 400, error)
    if not httpstream.upgrade(handler, protocol):
        return None
    session = _SpdySession(handler, protocol, options, stdin)
    if session.wait_for_streams():
        session.running.set()
        run(session)
    session.close()


class _SpdySession:
    """The SPDY adapter of one exec."""

    def __init__(self, handler: Request, protocol: str, options: Mapping[str, bool],
                 stdin: StdinSink) -> None:
        self.protocol = protocol
        self.wanted = wanted_streams(protocol, options)
        self.stdin = stdin
        self.streams: Dict[str, Stream] = {}
        self.ready = threading.Event()
        self.running = threading.Event()    # the command is (being) started
        self.conn = httpstream.Connection(
            lambda: handler.rfile.read1(CHUNK),  # type: ignore[attr-defined]
            handler.wfile.write, self._accept)
        self._socket = handler.connection
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _accept(self, frame: spdy.Frame) -> Optional[Callable[[Stream], None]]:
        # the upgrader's handler accepts every stream (UpgradeResponse's newStreamHandler
        # returns nil); the protocol handler sorts them
        return self._received

    def _received(self, stream: Stream) -> None:
        kind = stream_kind(self.protocol, dict(stream.frame.headers))
        if kind is None or self.ready.is_set():
            return
        self.streams[kind] = stream
        if all(k in self.streams for k in self.wanted):
            self.ready.set()

    def _read(self) -> None:
        try:
            self.conn.run()
        finally:
            # every stream's input has ended: the stdin pump closes the command's stdin; a
            # command still running when the client goes away is ended (the session ends)
            self.ready.set()
            if self.running.is_set():
                self.stdin.abandon()

    def wait_for_streams(self) -> bool:
        """waitForStreams: True once the expected streams are there; False when the creation
        timeout passes or the connection ends first."""
        if not self.ready.wait(STREAM_CREATION_TIMEOUT) or \
                not all(k in self.streams for k in self.wanted):
            return False
        if self.protocol == V1:         # v1ProtocolHandler: stdin closed, the error stream reset
            if "stdin" in self.streams:
                self.conn.send_data(self.streams["stdin"], b"", fin=True)
            error = self.streams["error"]
            error.closed = True
            self.conn.send(spdy.Frame(spdy.RST_STREAM, error.id, value=spdy.CANCEL))
        if "stdin" in self.streams:
            threading.Thread(target=self._pump_stdin, args=(self.streams["stdin"],),
                             daemon=True).start()
        return True

    def _pump_stdin(self, stream: Stream) -> None:
        while True:
            chunk = stream.get()
            if chunk is None:
                break
            self.stdin.feed(chunk)
        self.stdin.close_stdin()

    def send(self, channel: int, data: bytes) -> None:
        stream = self.streams.get(CHANNELS.get(channel, ""))
        if stream is not None:
            self.conn.send_data(stream, data)

    def finish(self, status: Obj) -> None:
        """ServeExec's writeStatus, then every stream closed (our halves: FIN); the client
        reads to the end and closes the connection."""
        payload = status_payload(writes_status(self.protocol), status)
        if payload is not None:
            self.conn.send_data(self.streams["error"], payload)
        for stream in self.streams.values():
            self.conn.send_data(stream, b"", fin=True)
        self.reader.join(FINISH_SECONDS)

    def close(self) -> None:
        """conn.Close: the session ends (the handler closes the socket)."""
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.reader.join(FINISH_SECONDS)

