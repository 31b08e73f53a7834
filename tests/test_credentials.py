"""Credentials as kubectl sends them: one kubeconfig at a time, the same request through the
plugin's fast transport, through its official-client transport (the one exec plugins use) and
through the real kubectl, and the sandbox's request log compared: the Authorization scheme,
the client certificate, the identity, TLS, the proxy.

kubectl's rule (client-go tools/clientcmd/client_config.go, DirectClientConfig.ClientConfig:
"only try to read the auth information if we are secure"): a user's token, password, client
certificate and exec plugin, and a cluster's CA and insecure flag, are read only for an
https:// server. Over plain http nothing of them is sent, and an exec plugin is never run."""

import base64
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from typing import Any, Dict, Optional

import pytest
import yaml

from kubectl_sts.errors import StsError
from kubectl_sts.client.connection import Connection
from kubectl_sts.client.kubeconfig import ConnectionOptions

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

TOKEN = "matrix-token"
EXEC_TOKEN = "exec-token"
ALL = [{"verbs": ["*"], "resources": ["*"]}]


@pytest.fixture(scope="module")
def servers():
    """An https sandbox and a plain http one, with the same tokens."""
    from kubectl_sts_sandbox import Sandbox
    tokens: Dict[Optional[str], Dict[str, Any]] = {
        TOKEN: {"user": "token-user", "rules": ALL},
        EXEC_TOKEN: {"user": "exec-user", "rules": ALL}}
    with Sandbox(tls=True, tokens=tokens) as https, Sandbox(tokens=tokens) as http:
        yield {"https": https, "http": http}


@pytest.fixture(scope="module")
def files(servers, tmp_path_factory):
    """Credential files: a token file, a client certificate and key, the CA, an exec plugin."""
    folder = tmp_path_factory.mktemp("credentials")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n")
    cert, key = servers["https"].client_certificate("cert-user", ["system:masters"],
                                                    directory=str(folder))
    ca = folder / "ca.crt"
    ca.write_bytes(servers["https"].ca_data)
    plugin = folder / "exec-plugin"
    marker = folder / "exec-ran"
    plugin.write_text(
        "#!/bin/sh\necho ran >> '%s'\n"
        "echo '{\"apiVersion\": \"client.authentication.k8s.io/v1beta1\", "
        "\"kind\": \"ExecCredential\", \"status\": {\"token\": \"%s\"}}'\n" % (marker, EXEC_TOKEN))
    plugin.chmod(0o755)
    return {"token_file": str(token_file), "cert": cert, "key": key, "ca": str(ca),
            "plugin": str(plugin), "marker": marker}


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


# (case, user entry, cluster entry beyond the server, expected on https: (auth scheme,
# client certificate user, identity the request acts as). Over http every case expects
# (None, None, system:unsecured): only impersonation headers are still sent.
CASES = {
    "token": (lambda f: {"token": TOKEN}, "ca-data", ("Bearer", None, "token-user")),
    "token-file": (lambda f: {"tokenFile": f["token_file"]}, "ca-data",
                   ("Bearer", None, "token-user")),
    "basic-auth": (lambda f: {"username": "admin", "password": "secret"}, "ca-data",
                   ("Basic", None, None)),       # kube-apiserver has no basic auth: 401
    "client-cert-files": (lambda f: {"client-certificate": f["cert"], "client-key": f["key"]},
                          "ca-data", (None, "cert-user", "cert-user")),
    "client-cert-data": (lambda f: {"client-certificate-data": b64(f["cert"]),
                                    "client-key-data": b64(f["key"])},
                         "ca-data", (None, "cert-user", "cert-user")),
    "ca-file": (lambda f: {"token": TOKEN}, "ca-file", ("Bearer", None, "token-user")),
    "insecure": (lambda f: {"token": TOKEN}, "insecure", ("Bearer", None, "token-user")),
    "exec-plugin": (lambda f: {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": f["plugin"]}},
                    "ca-data", ("Bearer", None, "exec-user")),
    "impersonation": (lambda f: {"token": TOKEN, "as": "someone", "as-groups": ["g1", "g2"]},
                      "ca-data", ("Bearer", None, "someone")),
    "no-credentials": (lambda f: {}, "ca-data", (None, None, "system:anonymous")),
}


def kubeconfig(tmp_path, server, user, cluster_kind, files, proxy=None):
    cluster = {"server": server.url}
    if server.tls:
        if cluster_kind == "ca-data":
            cluster["certificate-authority-data"] = base64.b64encode(server.ca_data).decode()
        elif cluster_kind == "ca-file":
            cluster["certificate-authority"] = files["ca"]
        else:
            cluster["insecure-skip-tls-verify"] = True
    else:       # the same fields on an http server: kubectl ignores them
        cluster["certificate-authority"] = files["ca"]
    if proxy:
        cluster["proxy-url"] = proxy
    path = tmp_path / ("kubeconfig-%s" % uuid.uuid4().hex[:8])
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u",
                                               "namespace": "default"}}]}))
    return str(path)


def probe_plugin(path, marker, official):
    conn = Connection(ConnectionOptions(kubeconfig=path))
    if official:
        setattr(conn, "_fast_path", lambda: False)  # the transport exec plugins and auth providers use
    try:
        conn.request("GET", "/api/v1/namespaces/default/configmaps",
                     query={"labelSelector": "probe=" + marker}, retry=False)
    except StsError:
        pass                                # a 401 or 403 is an answer too: the log tells


def probe_kubectl(path, marker):
    subprocess.run(["kubectl", "--kubeconfig", path, "get", "configmaps", "-l",
                    "probe=" + marker], capture_output=True, timeout=60,
                   stdin=subprocess.DEVNULL)


def seen(server, since):
    """What reached the server since request-log entry `since` (kubectl's discovery included:
    with a refused credential kubectl stops there)."""
    entries = server.request_log[since:]
    assert entries, "the request never reached the sandbox"
    return [(e["auth"], e["client_cert"], e["user"], e["tls"], e["impersonate_user"],
             tuple(e["impersonate_groups"])) for e in entries]


CLIENTS = ["fast", "official"] + (["kubectl"] if shutil.which("kubectl") else [])


@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_credentials_as_kubectl(servers, files, tmp_path, case, scheme):
    user_of, cluster_kind, expected = CASES[case]
    server = servers[scheme]
    path = kubeconfig(tmp_path, server, user_of(files), cluster_kind, files)
    if files["marker"].exists():
        files["marker"].unlink()
    if scheme == "https":
        auth, cert, identity = expected
    else:
        # no credentials over plain HTTP: the insecure port's superuser, who may impersonate
        auth, cert = None, None
        identity = "someone" if case == "impersonation" else "system:unsecured"
    impersonated = ("someone", ("g1", "g2")) if case == "impersonation" else (None, ())
    for client in CLIENTS:
        marker, since = uuid.uuid4().hex[:12], len(server.request_log)
        if client == "kubectl":
            probe_kubectl(path, marker)
        else:
            probe_plugin(path, marker, official=client == "official")
        assert set(seen(server, since)) == {(auth, cert, identity, scheme == "https") +
                                            impersonated}, client
    # kubectl never runs an exec plugin for an http server; over https it does
    assert files["marker"].exists() == (case == "exec-plugin" and scheme == "https")


def test_a_bearer_token_is_never_sent_over_http_by_the_plugin(servers, files, tmp_path,
                                                                capsys):
    """Through the CLI: --token over http is dropped, as kubectl drops it."""
    from kubectl_sts.cli.app import main
    server = servers["http"]
    path = kubeconfig(tmp_path, server, {}, "ca-data", files)
    before = len(server.request_log)
    main(["--kubeconfig", path, "--token", TOKEN, "status", "nosuch"])
    capsys.readouterr()
    assert {e["auth"] for e in server.request_log[before:]} == {None}


class RecordingProxy:
    """An HTTP CONNECT proxy on the loopback interface that records each tunnel's target."""

    def __init__(self):
        self.targets = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode()
        method, target, _ = line.split(" ", 2)
        self.targets.append((method, target))
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def test_proxy_url_tunnels_every_client_the_same_way(servers, files, tmp_path):
    server = servers["https"]
    proxy = RecordingProxy()
    try:
        path = kubeconfig(tmp_path, server, {"token": TOKEN}, "ca-data", files, proxy=proxy.url)
        target = "127.0.0.1:%d" % server.port
        for client in CLIENTS:
            proxy.targets.clear()
            marker, since = uuid.uuid4().hex[:12], len(server.request_log)
            if client == "kubectl":
                probe_kubectl(path, marker)
            else:
                probe_plugin(path, marker, official=client == "official")
            assert ("CONNECT", target) in proxy.targets, client
            assert set(seen(server, since)) == {("Bearer", None, "token-user", True, None, ())}
    finally:
        proxy.close()


def test_env_proxies_skip_loopback_servers_as_go_does(servers, files, tmp_path):
    """HTTPS_PROXY names a dead proxy: kubectl and the plugin still reach 127.0.0.1 directly
    (Go's ProxyFromEnvironment never proxies localhost or loopback addresses)."""
    server = servers["https"]
    path = kubeconfig(tmp_path, server, {"token": TOKEN}, "ca-data", files)
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
    for client in CLIENTS:
        marker, since = uuid.uuid4().hex[:12], len(server.request_log)
        if client == "kubectl":
            subprocess.run(["kubectl", "--kubeconfig", path, "get", "configmaps", "-l",
                            "probe=" + marker], capture_output=True, timeout=60, env=env)
        else:
            code = ("import sys; sys.path.insert(0, %r); from test_credentials import "
                    "probe_plugin; probe_plugin(%r, %r, %r)"
                    % (os.path.dirname(__file__), path, marker, client == "official"))
            subprocess.run([sys.executable, "-c", code], env=env, timeout=60, check=True)
        assert set(seen(server, since)) == {("Bearer", None, "token-user", True, None, ())}


@pytest.mark.parametrize("server,env,expected", [
    ("https://api.example.com", {"HTTPS_PROXY": "proxy:3128"}, "http://proxy:3128"),
    ("https://api.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, None),
    ("https://a.corp.example", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example"}, None),
    ("https://10.1.2.3:6443", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, None),
    ("https://11.1.2.3:6443", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"},
     "http://p:1"),
    ("https://127.0.0.1:6443", {"HTTPS_PROXY": "http://p:1"}, None),
    ("https://localhost:6443", {"HTTPS_PROXY": "http://p:1"}, None),
    ("http://api.example.com", {"HTTPS_PROXY": "http://p:1"}, None),
    ("http://api.example.com", {"HTTP_PROXY": "http://p:2"}, "http://p:2"),
    ("https://api.example.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, None),
])
def test_proxy_for(monkeypatch, server, env, expected):
    from kubectl_sts.client.proxy import proxy_for
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                 "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxy_for(server, None) == expected
    assert proxy_for(server, "socks5://explicit:1080") == "socks5://explicit:1080"
