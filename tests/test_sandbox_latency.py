"""The sandbox's simulated network round trip (`kubectl-sts sandbox --latency`, `Sandbox(latency=)`):
every request is answered one round trip later and a new connection costs one more (two over
TLS), as a remote API server seen from a laptop. Only lower bounds are asserted (a loaded
machine is slower, never faster); how the plugin fares at each latency is bench/'s business."""

import os
import subprocess
import sys
import time

import pytest

from helpers import http_connection

from kubectl_sts_sandbox import Sandbox
from kubectl_sts_sandbox.cluster import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTT = 0.25


@pytest.fixture
def slow():
    with Sandbox(config=Config(), latency=RTT) as sb:
        yield sb


def _timed_get(conn, path):
    start = time.monotonic()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status, time.monotonic() - start


def test_each_request_costs_a_round_trip_and_a_new_connection_one_more(slow):
    conn = http_connection(slow)
    try:
        status, first = _timed_get(conn, "/api/v1/namespaces/default")
        assert status == 200
        assert first >= 2 * RTT            # the connection's handshake, then the request
        status, second = _timed_get(conn, "/api/v1/namespaces/default")
        assert status == 200
        assert second >= RTT               # kept alive: the request's round trip only
        assert second < first
    finally:
        conn.close()


def test_latency_can_be_changed_while_running(slow):
    slow.latency = 0
    conn = http_connection(slow)
    try:
        _timed_get(conn, "/api/v1/namespaces/default")
        slow.latency = 2 * RTT
        status, elapsed = _timed_get(conn, "/api/v1/namespaces/default")
        assert status == 200 and elapsed >= 2 * RTT
        assert slow.server.latency == 2 * RTT
    finally:
        conn.close()


def test_sandbox_command_takes_latency_as_a_kubectl_duration():
    help_text = subprocess.run([sys.executable, "-m", "kubectl_sts", "sandbox", "--help"],
                               cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert help_text.returncode == 0
    assert "--latency DURATION" in help_text.stdout
    assert "kubectl-sts sandbox --latency 50ms" in help_text.stdout
    bad = subprocess.run([sys.executable, "-m", "kubectl_sts", "sandbox", "--latency", "soon"],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[0] == (
        'error: invalid argument "soon" for "--latency" flag: time: invalid duration "soon"')


def test_the_listen_backlog_is_the_kernels_as_kube_apiservers(sandbox):
    """socketserver's default backlog of 5 dropped the SYNs of a client opening ten
    connections at once (status, the diagnosis's reads in flight together): the kernel
    retransmits them a second later. kube-apiserver's Go listener takes the kernel's maximum
    (net.Listen: somaxconn)."""
    import socket
    assert sandbox.server.request_queue_size == socket.SOMAXCONN
