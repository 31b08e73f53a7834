"""The kubelet's side of a port-forward connection (portforward.Session) spoken to frame by
frame, as client-go's port-forwarder and older clients speak it, and the mapping and name
rules the sandbox follows (kwok's findPortInForwards, utilnet.SplitSchemeNamePort)."""

import queue
import socket
import threading

import pytest

from kubectl_sts_sandbox import portforward, spdy
from kubectl_sts_sandbox.proxy import split_scheme_name_port
from kubectl_sts_sandbox.spdy import Frame

POD = {"metadata": {"name": "p", "namespace": "ns", "uid": "u-1"}}


class Peer:
    """kubectl's end of the upgraded connection: frames in, frames out."""

    def __init__(self, open_port):
        self.inbox: "queue.Queue[bytes]" = queue.Queue()
        self.frames: "queue.Queue[Frame]" = queue.Queue()
        self.encoder, self.decoder = spdy.Encoder(), spdy.Decoder()
        self.session = portforward.Session(self.inbox.get, self._receive, open_port, POD)
        self.thread = threading.Thread(target=self.session.run, daemon=True)
        self.thread.start()

    def _receive(self, data):
        for frame in self.decoder.feed(data):
            self.frames.put(frame)

    def send(self, frame):
        self.inbox.put(self.encoder.encode(frame))

    def next(self):
        return self.frames.get(timeout=10)

    def open(self, stream_id, **headers):
        self.send(Frame(spdy.SYN_STREAM, stream_id, headers=tuple(headers.items())))

    def close(self):
        self.inbox.put(b"")
        self.thread.join(10)


@pytest.fixture
def backend_end():
    """open_port for a session, and the far end of the connection it opens."""
    ends: "queue.Queue[tuple]" = queue.Queue()

    def open_port(port):
        near, far = socket.socketpair()
        ends.put((port, far))
        return portforward.Backend(near.sendall, lambda: near.recv(4096),
                                   lambda: near.shutdown(socket.SHUT_WR), near.close)
    return open_port, ends


REJECTED = [
    {"streamType": "data"},                                  # no port
    {"streamType": "data", "port": "0"},
    {"streamType": "data", "port": "http"},
    {"streamType": "data", "port": "70000"},
    {"port": "8080"},                                        # no stream type
    {"port": "8080", "streamType": "stdin"},
]


@pytest.mark.parametrize("headers", REJECTED)
def test_a_stream_without_a_valid_port_and_type_is_reset(headers, backend_end):
    peer = Peer(backend_end[0])
    peer.open(1, **headers)
    assert peer.next() == Frame(spdy.RST_STREAM, 1, value=spdy.CANCEL)
    peer.close()


@pytest.mark.parametrize("request_ids", [("7", "7"), (None, None)],
                         ids=["requestID", "older client: stream ids 1 and 3"])
def test_a_pair_of_streams_is_forwarded_both_ways(request_ids, backend_end):
    open_port, ends = backend_end
    peer = Peer(open_port)
    error_headers = {"streamType": "error", "port": "8080"}
    data_headers = {"streamType": "data", "port": "8080"}
    if request_ids[0]:
        error_headers["requestID"] = request_ids[0]
        data_headers["requestID"] = request_ids[1]
    peer.open(1, **error_headers)
    peer.send(Frame(spdy.DATA, 1, spdy.FLAG_FIN))        # kubectl closes its error side
    peer.open(3, **data_headers)
    assert [peer.next(), peer.next()] == [Frame(spdy.SYN_REPLY, 1), Frame(spdy.SYN_REPLY, 3)]
    port, far = ends.get(timeout=10)
    assert port == 8080
    peer.send(Frame(spdy.DATA, 3, data=b"ping"))
    assert far.recv(100) == b"ping"
    far.sendall(b"pong")
    assert peer.next() == Frame(spdy.DATA, 3, data=b"pong")
    # the client's FIN reaches the backend as the end of its input; the backend's close
    # ends the pair: FIN on the data stream and on the error stream, nothing written there
    peer.send(Frame(spdy.DATA, 3, spdy.FLAG_FIN))
    assert far.recv(100) == b""
    far.close()
    assert {peer.next(), peer.next()} == {Frame(spdy.DATA, 3, spdy.FLAG_FIN),
                                          Frame(spdy.DATA, 1, spdy.FLAG_FIN)}
    peer.close()


def test_a_failed_forward_is_reported_on_the_error_stream(backend_end):
    def refuse(port):
        raise portforward.ForwardError(portforward.refused(POD, port))
    peer = Peer(refuse)
    peer.open(1, streamType="error", port="8080", requestID="0")
    peer.open(3, streamType="data", port="8080", requestID="0")
    assert [peer.next(), peer.next()] == [Frame(spdy.SYN_REPLY, 1), Frame(spdy.SYN_REPLY, 3)]
    message = peer.next()
    sandbox = portforward.sandbox_id(POD)
    assert (message.stream_id, message.data.decode()) == (1, (
        'error forwarding port 8080 to pod %s, uid : failed to execute portforward in network '
        'namespace "%s": failed to connect to localhost:8080 inside namespace "%s", IPv4: dial '
        'tcp4 127.0.0.1:8080: connect: connection refused IPv6 dial tcp6 [::1]:8080: connect: '
        'connection refused ' % (sandbox, portforward.netns_path(POD), sandbox)))
    assert {peer.next(), peer.next()} == {Frame(spdy.DATA, 3, spdy.FLAG_FIN),
                                          Frame(spdy.DATA, 1, spdy.FLAG_FIN)}
    peer.close()


def test_a_ping_is_answered_and_goaway_ends_the_session(backend_end):
    peer = Peer(backend_end[0])
    peer.send(Frame(spdy.PING, value=3))
    assert peer.next() == Frame(spdy.PING, value=3)
    peer.send(Frame(spdy.GOAWAY, 0))
    peer.thread.join(10)
    assert not peer.thread.is_alive()


TARGET = {"address": "127.0.0.1", "port": 1}
FORWARDS = [
    (None, 8080, None),
    ({"forwards": [{"ports": [8080], "target": TARGET}]}, 8080, 0),
    ({"forwards": [{"ports": [8080], "target": TARGET}]}, 9090, None),
    ({"forwards": [{"target": TARGET}, {"ports": [9090], "command": ["cat"]}]}, 9090, 1),
    ({"forwards": [{"target": TARGET}, {"ports": [9090], "command": ["cat"]}]}, 1234, 0),
]


@pytest.mark.parametrize("spec,port,index", FORWARDS)
def test_the_forward_for_a_port_is_kwoks(spec, port, index):
    """kwok findPortInForwards: the entry listing the port, else the first without ports."""
    found = portforward.find_forward(spec, port)
    assert found is (None if index is None else spec["forwards"][index])


NAMES = [
    ("web", ("", "web", "")),
    ("web:8080", ("", "web", "8080")),
    ("https:web:443", ("https", "web", "443")),
    ("http:web:", ("http", "web", "")),
    ("ftp:web:21", None),
    (":8080", None),
    ("a:b:c:d", None),
]


@pytest.mark.parametrize("ident,split", NAMES)
def test_proxy_names_split_as_utilnet_does(ident, split):
    assert split_scheme_name_port(ident) == split
