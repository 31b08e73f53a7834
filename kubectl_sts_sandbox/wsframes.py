"""The server side of a WebSocket (RFC 6455) over one request's connection.

`upgrade(request, supported)` checks the upgrade request and answers it as the API server's
WebSocket library does (golang.org/x/net/websocket, server.go newServerConn and hybi.go
hybiServerHandshaker.ReadHandshake: 405 for a method other than GET, 400 without the upgrade
headers, a key or version 13, 403 when no subprotocol is supported), choosing the subprotocol
as apimachinery's wsstream does (httpstream/wsstream/conn.go `handshake`: the first of the
client's protocols, in the client's order, that the endpoint supports; "" when the client
names none). Then `WebSocket` reads the client's frames (masked; ping answered with pong,
close answered with close, fragments joined into one message) and writes unmasked frames,
one writer at a time. Frames are encoded and decoded by websocket-client's ABNF.
"""

import base64
import hashlib
import threading
from typing import Callable, List, Optional, Sequence, Tuple

from websocket import ABNF, WebSocketPayloadException, WebSocketProtocolException
from websocket._abnf import frame_buffer

from .routes import Request

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"         # RFC 6455 section 1.3
# close status codes (RFC 6455 section 7.4.1)
NORMAL, PROTOCOL_ERROR, INVALID_DATA = 1000, 1002, 1007


def is_websocket_request(headers: object) -> bool:
    """wsstream.IsWebSocketRequest: `Upgrade: websocket` and a Connection header naming
    upgrade among its tokens."""
    get = getattr(headers, "get")
    if (get("Upgrade") or "").strip().lower() != "websocket":
        return False
    tokens = [t.strip() for t in (get("Connection") or "").lower().split(",")]
    return "upgrade" in tokens


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def choose_protocol(offered: Sequence[str], supported: Sequence[str]) -> Optional[str]:
    """wsstream.handshake: the first offered protocol the endpoint supports ("" stands for a
    client that offers none), or None."""
    for protocol in list(offered) or [""]:
        if protocol in supported:
            return protocol
    return None


def offered_protocols(headers: object) -> Tuple[str, ...]:
    value = (getattr(headers, "get")("Sec-WebSocket-Protocol") or "").strip()
    return tuple(p.strip() for p in value.split(",")) if value else ()


def check(method: str, headers: object) -> Tuple[int, str]:
    """hybiServerHandshaker.ReadHandshake: (101, "") for a valid upgrade request, else the
    status code and the error text x/net/websocket answers."""
    get = getattr(headers, "get")
    if method != "GET":
        return 405, "bad method"
    if (get("Upgrade") or "").lower() != "websocket" or \
            "upgrade" not in (get("Connection") or "").lower():
        return 400, "not websocket protocol"
    if not get("Sec-WebSocket-Key"):
        return 400, "mismatch challenge/response"
    if get("Sec-WebSocket-Version") != "13":
        return 400, "missing or bad WebSocket Version"
    return 101, ""


_REASONS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed"}


def upgrade(request: Request, supported: Sequence[str]) -> Optional["WebSocket"]:
    """Answer the upgrade: the 101 and a WebSocket, or the refusal and None. Either way the
    connection is the WebSocket's (or closed) afterwards, never read for another request."""
    request.close_connection = True
    code, error = check(request.command, request.headers)
    protocol = None
    if code == 101:
        protocol = choose_protocol(offered_protocols(request.headers), supported)
        if protocol is None:
            code = 403
    request.record(code)
    if code != 101:
        head = "HTTP/1.1 %03d %s\r\n" % (code, _REASONS[code])
        if error == "missing or bad WebSocket Version":
            head += "Sec-WebSocket-Version: 13\r\n"
        request.wfile.write((head + "\r\n" + error).encode())
        request.wfile.flush()
        return None
    request.send_response(101, "Switching Protocols")
    request.send_header("Upgrade", "websocket")
    request.send_header("Connection", "Upgrade")
    request.send_header("Sec-WebSocket-Accept",
                        accept_key(str(request.headers.get("Sec-WebSocket-Key"))))
    if protocol:
        request.send_header("Sec-WebSocket-Protocol", protocol)
    request.end_headers()
    request.wfile.flush()
    return WebSocket(request.rfile.read1, request.wfile.write, protocol or "")


class Closed(EOFError):
    """The connection ended (the peer's close frame, end of stream, or a protocol error)."""


class WebSocket:
    """One upgraded connection: `receive()` from one reader thread, `send()` from any."""

    def __init__(self, read: Callable[[int], bytes], write: Callable[[bytes], object],
                 protocol: str) -> None:
        self.protocol = protocol
        self._write = write
        self._lock = threading.Lock()
        self._sent_close = False
        self.closed = threading.Event()     # set once a close frame was sent or received

        def recv(n: int) -> bytes:
            data = read(n)
            if not data:
                raise Closed("connection closed")
            return data
        self._frames = frame_buffer(recv, True)

    def send(self, data: bytes, opcode: int = ABNF.OPCODE_BINARY) -> None:
        """One unmasked frame (a server's frames are never masked: RFC 6455 section 5.1);
        OSError when the connection is gone."""
        frame = ABNF(1, 0, 0, 0, opcode, 0, data).format()
        with self._lock:
            if self._sent_close:
                raise BrokenPipeError("close frame already sent")
            if opcode == ABNF.OPCODE_CLOSE:
                self._sent_close = True
            self._write(frame)

    def close(self, code: int = NORMAL, reason: bytes = b"") -> None:
        """Send the close frame (once); the peer then closes the connection."""
        try:
            self.send(code.to_bytes(2, "big") + reason, ABNF.OPCODE_CLOSE)
        except OSError:
            pass
        self.closed.set()

    def receive(self) -> Optional[bytes]:
        """The next whole data message (text or binary), or None once the connection is
        closed: by the client's close frame (answered), the end of the stream, or a frame
        breaking the protocol (answered with close 1002 or 1007)."""
        parts: List[bytes] = []
        while True:
            try:
                frame = self._frames.recv_frame()
                if not frame.mask_value:
                    raise WebSocketProtocolException("client frames must be masked")
                if frame.opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY) and parts or \
                        frame.opcode == ABNF.OPCODE_CONT and not parts:
                    raise WebSocketProtocolException("unexpected continuation")
            except WebSocketPayloadException:
                self.close(INVALID_DATA)
                return None
            except WebSocketProtocolException:
                self.close(PROTOCOL_ERROR)
                return None
            except (Closed, OSError, ValueError):
                self.closed.set()
                return None
            data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
            if frame.opcode == ABNF.OPCODE_PING:
                try:
                    self.send(data, ABNF.OPCODE_PONG)
                except OSError:
                    pass
                continue
            if frame.opcode == ABNF.OPCODE_PONG:
                continue
            if frame.opcode == ABNF.OPCODE_CLOSE:
                # echo the status code (RFC 6455 section 5.5.1)
                self.close(int.from_bytes(data[:2], "big") if len(data) >= 2 else NORMAL)
                return None
            parts.append(data)
            if frame.fin:
                return b"".join(parts)
