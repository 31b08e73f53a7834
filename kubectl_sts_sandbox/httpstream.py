"""The server side of a SPDY/3.1 streamed connection, as the kubelet's streaming server runs
it for port-forward and exec (k8s.io/apimachinery/pkg/util/httpstream and httpstream/spdy over
moby/spdystream; the frames are spdy.py's).

- `offered`, `negotiate`, `refuse_negotiation`: httpstream.go Handshake over
  X-Stream-Protocol-Version (commaSeparatedHeaderValues, negotiateProtocol: the first of the
  client's protocols, in the client's order, that the server speaks; the 403 with
  X-Accepted-Stream-Protocol-Versions otherwise).
- `upgrade`: httpstream/spdy/upgrade.go responseUpgrader.UpgradeResponse: 400 `unable to
  upgrade: missing upgrade headers in request` without `Connection: Upgrade` and
  `Upgrade: SPDY/3.1`, else 101 with the negotiated protocol.
- `Connection`: the frames of one upgraded connection (spdystream connection.go frameHandler):
  each stream the client opens is offered to `accept` and answered SYN_REPLY, or reset when
  refused (httpstream/spdy connection.go newSpdyStream); DATA is queued on its stream, a FIN
  or RST_STREAM ends the stream's input, PING is answered, GOAWAY ends the session.
"""

import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import spdy
from .routes import Request

HEADER_PROTOCOL = "X-Stream-Protocol-Version"
HEADER_ACCEPTED = "X-Accepted-Stream-Protocol-Versions"
CHUNK = 32 * 1024                               # io.Copy's buffer


def offered(headers: Any) -> List[str]:
    """commaSeparatedHeaderValues over every X-Stream-Protocol-Version header."""
    return [p.strip() for value in headers.get_all(HEADER_PROTOCOL) or []
            for p in value.split(",") if p.strip()]


def negotiate(client: Sequence[str], server: Sequence[str]) -> Tuple[Optional[str], str]:
    """httpstream.go Handshake: (the protocol, "") or (None, the error): a client that offers
    none is refused too (`X-Stream-Protocol-Version is required`)."""
    if not client:
        return None, "unable to upgrade: %s is required" % HEADER_PROTOCOL
    for protocol in client:
        if protocol in server:
            return protocol, ""
    return None, ("unable to upgrade: unable to negotiate protocol: client supports [%s], "
                  "server accepts [%s]" % (" ".join(client), " ".join(server)))


def plain(handler: Request, code: int, text: str,
          headers: Optional[Dict[str, str]] = None) -> None:
    """Go's http.Error: the text and a newline, as text/plain."""
    handler.close_connection = True
    handler.send_bytes(code, (text + "\n").encode(), "text/plain; charset=utf-8",
                       dict(headers or {}, **{"X-Content-Type-Options": "nosniff"}))


def refuse_negotiation(handler: Request, server: Sequence[str], error: str,
                       repeated: bool = False) -> None:
    """Handshake's own 403 (http.Error) with the accepted protocols; `repeated` when the caller
    then calls http.Error with the same error on the written response (remotecommand
    createHTTPStreamStreams), which appends the text a second time."""
    text = error + ("\n" + error if repeated else "")
    plain(handler, 403, text, {HEADER_ACCEPTED: ", ".join(server)})


def upgrade(handler: Request, protocol: str) -> bool:
    """UpgradeResponse: the 101 (True), or the 400 for missing upgrade headers (False)."""
    connection = (handler.headers.get("Connection") or "").lower()
    if "upgrade" not in connection or "spdy/3.1" not in \
            (handler.headers.get("Upgrade") or "").lower():
        plain(handler, 400, "unable to upgrade: missing upgrade headers in request")
        return False
    handler.record(101)
    handler.send_response(101)
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Upgrade", "SPDY/3.1")
    handler.send_header(HEADER_PROTOCOL, protocol)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    return True


class Stream:
    """One stream the client opened: its SYN_STREAM, what arrived on it (None at its end)."""

    def __init__(self, frame: spdy.Frame) -> None:
        self.id = frame.stream_id
        self.frame = frame
        self._inbound: List[Optional[bytes]] = []
        self._cond = threading.Condition()
        self.closed = False                     # our FIN sent

    def put(self, data: Optional[bytes]) -> None:
        with self._cond:
            self._inbound.append(data)
            self._cond.notify_all()

    def get(self) -> Optional[bytes]:
        """The next chunk, None at the end (the client's FIN or reset, or the connection's
        end)."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._inbound))
            chunk = self._inbound[0]
            if chunk is not None:
                del self._inbound[0]
            return chunk


class Connection:
    """The server's side of one upgraded connection: `read` returns the bytes that arrived
    (b"" at the end), `write` sends bytes; `accept(frame)` returns the new Stream's handler
    (called with the Stream once the SYN_REPLY is sent) or None to reset it."""

    def __init__(self, read: Callable[[], bytes], write: Callable[[bytes], Any],
                 accept: Callable[[spdy.Frame], Optional[Callable[[Stream], None]]]) -> None:
        self._read, self._write, self._accept = read, write, accept
        self._encoder, self._decoder = spdy.Encoder(), spdy.Decoder()
        self._lock = threading.Lock()
        self.streams: Dict[int, Stream] = {}

    def send(self, frame: spdy.Frame) -> None:
        with self._lock:                # one compression context: encode and write in order
            try:
                self._write(self._encoder.encode(frame))
            except (OSError, ValueError):
                pass

    def send_data(self, stream: Stream, data: bytes, fin: bool = False) -> None:
        if stream.closed:
            return
        if fin:
            stream.closed = True
        self.send(spdy.Frame(spdy.DATA, stream.id, spdy.FLAG_FIN if fin else 0, data=data))

    def run(self) -> None:
        """Read frames until the connection ends, GOAWAY or a frame spdystream cannot read;
        then every stream's input ends."""
        try:
            while True:
                try:
                    data = self._read()
                except (OSError, ValueError):
                    break
                if not data:
                    break
                try:
                    frames = self._decoder.feed(data)
                except spdy.SpdyError:
                    break
                if not all(self._on_frame(frame) for frame in frames):
                    break
        finally:
            for stream in list(self.streams.values()):
                stream.put(None)

    def _on_frame(self, frame: spdy.Frame) -> bool:
        """Handle one frame (spdystream connection.go frameHandler); False ends the session."""
        if frame.type == spdy.SYN_STREAM:
            handle = self._accept(frame)
            if handle is None:
                self.send(spdy.Frame(spdy.RST_STREAM, frame.stream_id, value=spdy.CANCEL))
                return True
            stream = Stream(frame)
            self.streams[stream.id] = stream
            self.send(spdy.Frame(spdy.SYN_REPLY, stream.id))
            if frame.flags & spdy.FLAG_FIN:
                stream.put(None)
            handle(stream)
        elif frame.type == spdy.DATA:
            known = self.streams.get(frame.stream_id)
            if known is not None:
                if frame.data:
                    known.put(frame.data)
                if frame.flags & spdy.FLAG_FIN:
                    known.put(None)
        elif frame.type == spdy.RST_STREAM:
            reset = self.streams.pop(frame.stream_id, None)
            if reset is not None:
                reset.closed = True
                reset.put(None)
        elif frame.type == spdy.PING:
            # handlePingFrame: a ping of the peer's parity is answered with the same frame
            self.send(frame)
        elif frame.type == spdy.GOAWAY:
            return False
        return True                     # SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do
