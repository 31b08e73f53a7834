"""Helpers for the tests that reach into pods (port-forward, the proxy): long-lived kubectl
processes read line by line, the local servers a sandbox mapping points at, a running pod and
the mapping documents. No sleeps: every wait is on a line, a socket or a watch, with a
timeout."""

import json
import queue
import re
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import yaml

TIMEOUT = 30


class Process:
    """A long-lived command (kubectl port-forward, kubectl proxy) whose output is read as it
    comes. stop() ends it (a test's teardown must call it: use it as a context manager)."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.seen = []
        self.stderr = []
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, True),
                                          daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, False),
                                          daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe, out):
        for line in pipe:
            if out:
                self.lines.put(line.rstrip("\n"))
            else:
                self.stderr.append(line)
        if out:
            self.lines.put(None)

    def expect(self, pattern, timeout=TIMEOUT):
        """The next stdout line matching `pattern` (earlier ones kept in `seen`)."""
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("no line matching %r in %ss; saw %r, stderr %r"
                                     % (pattern, timeout, self.seen, "".join(self.stderr)))
            if line is None:
                raise AssertionError("ended without a line matching %r; saw %r, stderr %r"
                                     % (pattern, self.seen, "".join(self.stderr)))
            self.seen.append(line)
            match = regex.search(line)
            if match:
                return match

    def wait(self, timeout=TIMEOUT):
        """Wait for the process to end; (exit code, stderr)."""
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code, "".join(self.stderr)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class EchoServer:
    """A local TCP server answering each chunk it reads with PREFIX + the chunk, until the
    client closes its side. Use as a context manager."""

    def __init__(self, prefix=b"echo:"):
        self.prefix = prefix
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(self.prefix + data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


class _Reflect(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        data = json.dumps({"method": self.command, "path": self.path, "body": body,
                           "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(200 if self.command != "POST" else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Served-By", "reflect")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, format, *args):
        pass


class ReflectServer:
    """A local HTTP server answering every request with JSON of what it received (method,
    path with query, body, Authorization). Use as a context manager."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Reflect)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_pod(kubectl, name, ports=(8080,), labels=None):
    """Create a pod declaring `ports` (named p<PORT>) and wait until it is Ready; returns its
    IP. Its image serves HTTP on 80 on a real cluster, nothing on the ports the tests use."""
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "labels": labels or {"app": name}},
           "spec": {"containers": [{"name": "main", "image": "nginx:1.27",
                                    "ports": [{"containerPort": p, "name": "p%d" % p}
                                              for p in ports]}]}}
    created = kubectl("apply", "-f", "-", input=yaml.safe_dump(pod))
    assert created.returncode == 0, created.stderr
    ready = kubectl("wait", "--for=condition=Ready", "pod/" + name, "--timeout=60s", timeout=90)
    assert ready.returncode == 0, ready.stderr
    got = kubectl("get", "pod", name, "-o", "jsonpath={.status.podIP}")
    assert got.returncode == 0 and got.stdout, got.stderr
    return got.stdout


def mapping(kind, namespace, name, items):
    """A namespaced pod access document (podaccess.py) for pod `name`."""
    api = "sandbox.kubectl-sts.io/v1alpha1" if kind == "Proxy" else "kwok.x-k8s.io/v1alpha1"
    field = {"Proxy": "proxies", "PortForward": "forwards"}[kind]
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {field: items}}
