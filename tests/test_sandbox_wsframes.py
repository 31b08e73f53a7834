"""The sandbox's WebSocket server side (kubectl_sts_sandbox/wsframes.py) against
websocket-client, the client the kubernetes Python package streams with, over a real socket."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import websocket
from websocket import ABNF

from kubectl_sts_sandbox import wsframes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def record(self, code: int) -> None:
        self.server.codes.append(code)

    def do_GET(self) -> None:
        ws = wsframes.upgrade(self, ["v5.channel.k8s.io", "v4.channel.k8s.io"])  # type: ignore
        if ws is None:
            return
        self.server.protocols.append(ws.protocol)
        # echo each message back twice, from two threads at once (concurrent writers)
        while True:
            message = ws.receive()
            if message is None:
                break
            writers = [threading.Thread(target=ws.send, args=(message,)) for _ in range(2)]
            for w in writers:
                w.start()
            for w in writers:
                w.join()
        self.server.ended.set()

    do_POST = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.codes: List[int] = []
        self.protocols: List[str] = []
        self.ended = threading.Event()


@pytest.fixture
def server() -> Iterator[Tuple[_Server, str]]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv, "ws://127.0.0.1:%d/x" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_handshake_echo_fragments_ping_and_close(server: Tuple[_Server, str]) -> None:
    srv, url = server
    ws = websocket.create_connection(url, subprotocols=["v4.channel.k8s.io",
                                                        "v5.channel.k8s.io"], timeout=10)
    # the client's order decides (wsstream handshake), the accept key checks out
    assert ws.getsubprotocol() == "v4.channel.k8s.io"
    ws.send_binary(b"\x01hello")
    assert ws.recv_data() == (ABNF.OPCODE_BINARY, b"\x01hello")
    assert ws.recv_data() == (ABNF.OPCODE_BINARY, b"\x01hello")
    # a fragmented message, with a ping between its fragments, comes back whole
    ws.send_frame(ABNF.create_frame(b"ab", ABNF.OPCODE_BINARY, fin=0))
    ws.ping(b"p1")
    ws.send_frame(ABNF.create_frame(b"cd", ABNF.OPCODE_CONT, fin=1))
    assert ws.recv_data(control_frame=True) == (ABNF.OPCODE_PONG, b"p1")
    assert ws.recv_data() == (ABNF.OPCODE_BINARY, b"abcd")
    assert ws.recv_data() == (ABNF.OPCODE_BINARY, b"abcd")
    big = bytes(range(256)) * 300          # a 64-bit length
    ws.send_binary(big)
    assert ws.recv_data()[1] == big
    assert ws.recv_data()[1] == big
    ws.close(status=1000)                  # waits for the server's close frame
    assert srv.ended.wait(10)
    assert srv.codes == [101]
    assert srv.protocols == ["v4.channel.k8s.io"]


@pytest.mark.parametrize("headers,code,body", [
    ({"Sec-WebSocket-Protocol": "channel.k8s.io"}, 403, b""),
    ({"Sec-WebSocket-Version": "8"}, 400, b"missing or bad WebSocket Version"),
    ({"Upgrade": "h2c"}, 400, b"not websocket protocol"),
    ({"Sec-WebSocket-Key": ""}, 400, b"mismatch challenge/response"),
])
def test_refusals(server: Tuple[_Server, str], headers: Dict[str, str], code: int,
                  body: bytes) -> None:
    srv, url = server
    request = {"Upgrade": "websocket", "Connection": "keep-alive, Upgrade",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Protocol": "v5.channel.k8s.io"}
    request.update(headers)
    text = "GET /x HTTP/1.1\r\nHost: a\r\n" + "".join(
        "%s: %s\r\n" % kv for kv in request.items() if kv[1]) + "\r\n"
    with socket.create_connection(("127.0.0.1", srv.server_address[1]), timeout=10) as sock:
        sock.sendall(text.encode())
        answer = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 %d " % code)
    assert answer.split(b"\r\n\r\n", 1)[1] == body
    assert srv.codes == [code]


def test_unmasked_client_frame_is_a_protocol_error(server: Tuple[_Server, str]) -> None:
    srv, url = server
    ws = websocket.create_connection(url, subprotocols=["v5.channel.k8s.io"], timeout=10)
    assert ws.sock is not None
    ws.sock.sendall(ABNF(1, 0, 0, 0, ABNF.OPCODE_BINARY, 0, b"x").format())
    opcode, data = ws.recv_data(control_frame=True)
    assert (opcode, data[:2]) == (ABNF.OPCODE_CLOSE, (1002).to_bytes(2, "big"))
    assert srv.ended.wait(10)
    ws.close()


def test_accept_key_and_protocol_choice() -> None:
    # RFC 6455 section 1.3's example
    assert wsframes.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert wsframes.choose_protocol([], ["", "channel.k8s.io"]) == ""
    assert wsframes.choose_protocol([], ["v5.channel.k8s.io"]) is None
    assert wsframes.choose_protocol(["a", "v5.channel.k8s.io"], ["v5.channel.k8s.io"]) == \
        "v5.channel.k8s.io"
