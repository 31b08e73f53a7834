"""A local Kubernetes API server with a simulated StatefulSet controller and kubelet.

    with Sandbox() as sb:
        run_tests_against(sb.kubeconfig)
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time
from typing import (TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

from kubectl_sts.k8s.privatefiles import write_private

if TYPE_CHECKING:
    import ssl

    from .cluster import Cluster, Config
    from .faults import Faults
    from .server import ApiServer
    from .store import Store

CONTEXT = "kubectl-sts-sandbox"
ADMIN_TOKEN = "sandbox-admin"


class TLSUnavailable(RuntimeError):
    """Sandbox(tls=True) without the openssl command-line tool."""


class Sandbox:
    """The API server and the simulated cluster behind it.

    tls=True serves HTTPS with a private CA made at start (needs the `openssl` tool); the CA
    goes into the kubeconfig as certificate-authority-data. The kubeconfig's `sandbox-admin`
    token is in system:masters (cluster-admin). Every other identity is authorized by RBAC as
    kube-apiserver does (auth.py): the default ClusterRoles (cluster-admin, admin, edit, view,
    system:discovery, ...) exist from the start; bind users with Roles, ClusterRoles and their
    bindings (kubectl create role/rolebinding, or apply()). user_token()/user_kubeconfig() make
    a token user; `kubectl create token SA` issues service account tokens. tokens={TOKEN:
    {"user": NAME, "rules": [RULE, ...], "groups": [...]}} and grant() add the sandbox's own
    rules on top of RBAC. Over HTTPS, requests without credentials are system:anonymous, which
    the default policy lets read /healthz, /livez, /readyz and /version only; over plain HTTP
    (where kubectl sends no credentials) they are the old insecure port's superuser
    system:unsecured (full access). anonymous=False answers them 401.

    kubernetes_version ("1.32" to "1.37", default the newest), feature_gates ({NAME: bool},
    as kube-apiserver's --feature-gates) and missing_images (globs of image references that
    fail to pull) and pod_access (what pods answer to logs and exec beyond the kubelet's own:
    a PodAccess or its documents, podaccess.py) are Config's (cluster.py, versions.py); give
    them here or in `config`, not both. A gate kube-apiserver would refuse raises
    versions.FeatureGateError (a ValueError)."""

    def __init__(self, port: int = 0, kubeconfig: Optional[str] = None,
                 config: Optional["Config"] = None, host: str = "127.0.0.1",
                 namespace: str = "default", tls: bool = False,
                 tokens: Optional[Mapping[Optional[str], Dict[str, Any]]] = None,
                 anonymous: bool = True,
                 latency: float = 0.0, kubernetes_version: Optional[str] = None,
                 feature_gates: Optional[Mapping[str, bool]] = None,
                 missing_images: Sequence[str] = (),
                 pod_access: Optional[Iterable[Mapping[str, Any]]] = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox only listens on the loopback interface")
        cluster_options: Dict[str, Any] = {}
        if kubernetes_version is not None:
            cluster_options["kubernetes_version"] = kubernetes_version
        if feature_gates:
            cluster_options["feature_gates"] = feature_gates
        if missing_images:
            cluster_options["missing_images"] = tuple(missing_images)
        if pod_access is not None:
            from .podaccess import PodAccess
            cluster_options["pod_access"] = pod_access if isinstance(pod_access, PodAccess) \
                else PodAccess(pod_access)
        if cluster_options:
            if config is not None:
                raise ValueError("give kubernetes_version, feature_gates, missing_images and "
                                 "pod_access to Config when you pass a config")
            from .cluster import Config
            config = Config(**cluster_options)
        self.host, self.port = host, port
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.config = config
        self.tls = tls
        self.tokens: Dict[Optional[str], Dict[str, Any]] = dict(tokens or {})
        self.anonymous = anonymous
        self._latency = float(latency)
        self.cluster: Optional["Cluster"] = None
        self.server: Optional["ApiServer"] = None
        self.ca_data: Optional[bytes] = None        # PEM bytes of the CA (tls=True)
        self.ca_file: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        self._tmpdir: Optional[str] = None
        self._certdir: Optional[str] = None
        self._server_lock = threading.Lock()

    def _started(self) -> Tuple["ApiServer", "Cluster"]:
        if self.server is None or self.cluster is None:
            raise RuntimeError("the sandbox is not started (call start() first)")
        return self.server, self.cluster

    @property
    def url(self) -> str:
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host,
                               self._started()[0].server_address[1])

    @property
    def store(self) -> "Store":
        return self._started()[1].store

    @property
    def request_log(self) -> List[Dict[str, Any]]:
        return self._started()[0].request_log

    @property
    def faults(self) -> "Faults":
        """The fault-injection rules of the API server (see faults.py)."""
        return self._started()[0].faults

    @property
    def latency(self) -> float:
        """Seconds of simulated network round trip: every request is answered that much later
        and a new connection costs one more (two over TLS), as a remote API server would be.
        Settable while running."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = float(seconds)
        if self.server is not None:
            self.server.latency = self._latency

    @property
    def running(self) -> bool:
        """Whether the HTTP listener is up (False between stop_server() and start_server())."""
        return self._thread is not None

    def start(self) -> "Sandbox":
        from . import policy
        from .auth import Access
        from .cluster import Cluster
        from .server import ApiServer
        ssl_context = self._make_tls() if self.tls else None
        access = Access(anonymous=self.anonymous, insecure=not self.tls)
        for token, spec in self.tokens.items():
            access.grant(token, spec["user"], spec.get("rules", ()), spec.get("groups", ()))
        cluster = self.cluster = Cluster(self.config, root_ca=self.ca_data)
        policy.attach(access, cluster)   # RBAC over its store, the default policy, tokens
        server = self.server = ApiServer((self.host, self.port), cluster, ssl_context=ssl_context,
                                         access=access)   # may raise OSError
        server.latency = self._latency
        self.port = server.server_address[1]
        cluster.kubernetes_service.advertise(self.host, self.port)
        cluster.start()
        self._serve()
        if self.kubeconfig is None:
            self._tmpdir = tempfile.mkdtemp(prefix="kubectl-sts-sandbox-")
            self.kubeconfig = os.path.join(self._tmpdir, "kubeconfig")
        self.write_kubeconfig(self.kubeconfig)
        return self

    def _serve(self) -> None:
        self._thread = threading.Thread(target=self._started()[0].serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="sandbox-http", daemon=True)
        self._thread.start()

    def stop_server(self) -> None:
        """Stop the HTTP listener: new connections are refused, open connections (and watch
        streams) end. The cluster (store, controller, kubelet, clock) keeps running, as the
        control plane behind a restarting kube-apiserver does; objects and resourceVersions
        are kept."""
        with self._server_lock:
            if self._thread is None:
                return
            self._started()[0].close_listener()
            self._thread.join(timeout=10)
            self._thread = None

    def start_server(self) -> None:
        """Listen again on the same port (after stop_server), with the same state, TLS
        certificate, tokens, fault rules and request log."""
        with self._server_lock:
            if self._thread is not None:
                return
            self._started()[0].reopen()   # OSError if the port was taken meanwhile
            self._serve()

    def restart(self, down_seconds: float = 0) -> None:
        """stop_server(), wait `down_seconds`, start_server()."""
        self.stop_server()
        if down_seconds:
            time.sleep(down_seconds)
        self.start_server()

    def stop_kubelet(self, node: str) -> None:
        """Stop NODE's kubelet (what the annotation sandbox.kubectl-sts.io/kubelet=stopped
        does): see nodes.py."""
        self._set_kubelet(node, "stopped")

    def start_kubelet(self, node: str) -> None:
        self._set_kubelet(node, None)

    def _set_kubelet(self, node: str, value: Optional[str]) -> None:
        import copy
        from .nodes import KUBELET_ANNOTATION, NODE
        with self.store.cond:
            obj = copy.deepcopy(self.store.get(NODE, "", node))
            annotations = obj["metadata"].setdefault("annotations", {})
            if value is None:
                annotations.pop(KUBELET_ANNOTATION, None)
            else:
                annotations[KUBELET_ANNOTATION] = value
            self.store.update(NODE, obj, internal=True)

    def add_node(self, name: str) -> None:
        """Create a node as the sandbox's own (e.g. one a test deleted), Ready."""
        from .cluster import NODE, _node
        self.store.create(NODE, _node(name, self.store.clock.stamp(),
                                      self._started()[1].config.kubernetes_version),
                          internal=True)

    def grant(self, token: Optional[str], user: str, rules: Iterable[Mapping[str, Any]] = (),
              groups: Iterable[str] = ()) -> None:
        """Map bearer `token` to `user` allowed by `rules` (token None: rules only, e.g. for an
        impersonated user). Works before or after start()."""
        if self.server is None:
            spec = self.tokens.setdefault(token, {"user": user, "rules": [], "groups": []})
            spec["rules"] = list(spec.get("rules", ())) + list(rules)
            spec["groups"] = list(groups)
        else:
            self.server.access.grant(token, user, rules, groups)

    def user_token(self, user: str, groups: Sequence[str] = ()) -> str:
        """A new bearer token for `user` in `groups` (and system:authenticated). It may do
        only what RBAC (bindings to the user or its groups) and grant() allow, e.g.

            token = sb.user_token("alice")
            # kubectl create rolebinding alice-view --clusterrole=view --user=alice
        """
        import secrets
        token = "user-%s" % secrets.token_hex(12)
        self.grant(token, user, (), groups)
        return token

    def user_kubeconfig(self, path: str, user: str, groups: Sequence[str] = (),
                        namespace: Optional[str] = None) -> str:
        """Write a kubeconfig for `user` in `groups` (a new user_token) to `path`."""
        return self.write_kubeconfig(path, token=self.user_token(user, groups),
                                     namespace=namespace)

    def client_certificate(self, user: str, groups: Sequence[str] = (),
                           directory: Optional[str] = None) -> Tuple[str, str]:
        """A client certificate and key signed by the sandbox's CA (tls=True) for `user` in
        `groups` (CN and O of the subject). Returns (cert path, key path)."""
        if not self.tls:
            raise ValueError("client certificates need Sandbox(tls=True)")
        if self._certdir is None:
            raise RuntimeError("the sandbox is not started (call start() first)")
        return make_client_certificate(directory or self._certdir, self._certdir, user, groups)

    def write_kubeconfig(self, path: str, with_ca: bool = True, token: str = ADMIN_TOKEN,
                         insecure: bool = False, namespace: Optional[str] = None) -> str:
        """Write a kubeconfig for this sandbox to `path`. With TLS, `with_ca=False` leaves the
        CA out (verification then fails against the system roots) and `insecure=True` sets
        insecure-skip-tls-verify."""
        write_kubeconfig(path, self.url, namespace or self.namespace, token=token,
                         ca_data=self.ca_data if with_ca else None, insecure=insecure)
        return path

    def stop(self) -> None:
        if self.server is not None:
            with self._server_lock:
                if self._thread is not None:
                    self.server.close_listener()
                    self._thread.join(timeout=10)
                    self._thread = None
                self.server.server_close()
        if self.cluster is not None:
            self.cluster.stop()
        for attr in ("_tmpdir", "_certdir"):
            if getattr(self, attr):
                shutil.rmtree(getattr(self, attr), ignore_errors=True)
                setattr(self, attr, None)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _make_tls(self) -> "ssl.SSLContext":
        import ssl
        self._certdir = tempfile.mkdtemp(prefix="kubectl-sts-sandbox-tls-")
        cert, key, self.ca_file = make_certificates(self._certdir)
        with open(self.ca_file, "rb") as f:
            self.ca_data = f.read()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        # client certificates signed by the sandbox's CA authenticate (x509 authenticator)
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(self.ca_file)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def apply(self, documents: Iterable[Optional[Dict[str, Any]]],
              namespace: Optional[str] = None) -> List[Dict[str, Any]]:
        """Create (or replace the spec of) each object in `documents` (dicts, as in a manifest)."""
        from .errors import ApiError
        from .resources import BY_KIND, served
        minor = self._started()[1].config.features.minor
        out = []
        for doc in documents:
            if not doc:
                continue
            rt = BY_KIND.get(doc.get("kind") or "")
            if rt is None or not served(rt, minor):
                raise ValueError("the sandbox does not serve kind %r" % doc.get("kind"))
            ns = namespace or doc.get("metadata", {}).get("namespace") or self.namespace
            try:
                out.append(self.store.create(rt, doc, namespace=ns if rt.namespaced else None,
                                             manager="kubectl-create"))
            except ApiError as exc:
                if exc.code != 409:
                    raise
                current = self.store.get(rt, ns, doc["metadata"]["name"])
                if "spec" in current or "spec" in doc:
                    current["spec"] = doc.get("spec", current.get("spec"))
                else:       # kinds without spec (Secret, ConfigMap, StorageClass, ...)
                    for key, value in doc.items():
                        if key not in ("apiVersion", "kind", "metadata", "status"):
                            current[key] = value
                out.append(self.store.update(rt, current, manager="kubectl-replace"))
        return out

    def apply_file(self, path: str, namespace: Optional[str] = None) -> List[Dict[str, Any]]:
        import yaml
        with open(path) as f:
            return self.apply(list(yaml.safe_load_all(f)), namespace)


def write_kubeconfig(path: str, server: str, namespace: str = "default",
                     token: Optional[str] = ADMIN_TOKEN, ca_data: Optional[bytes] = None,
                     insecure: bool = False) -> None:
    """Write a kubeconfig (mode 0600, folders 0700, atomically: k8s/privatefiles.py) for the
    API server at URL `server`."""
    import base64
    import yaml
    cluster: Dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = base64.b64encode(ca_data).decode()
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    doc = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT,
                                                  "namespace": namespace}}],
        "current-context": CONTEXT,
    }
    # a new 0600 file in the final folder, never through a planted symlink, then renamed
    write_private(str(path), yaml.safe_dump(doc, sort_keys=False))


_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = kubectl-sts-sandbox
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


# ECDSA P-256 keys (see make_certificates)
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]


def make_client_certificate(directory: str, ca_directory: str, user: str,
                            groups: Sequence[str] = (), days: int = 7) -> Tuple[str, str]:
    """A client certificate (CN=user, O=each group) signed by the CA in `ca_directory`.
    Returns (cert path, key path)."""
    import re
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", user)
    cert, key = (os.path.join(directory, "client-%s.%s" % (slug, ext)) for ext in ("crt", "key"))
    csr = cert[:-3] + "csr"
    subject = "/CN=%s" % user + "".join("/O=%s" % g for g in groups)
    ca = lambda name: os.path.join(ca_directory, name)   # noqa: E731
    _openssl(["req", "-new", *_KEY, "-nodes", "-keyout", key, "-out", csr,
              "-config", ca("openssl.cnf"), "-subj", subject])
    _openssl(["x509", "-req", "-in", csr, "-CA", ca("ca.crt"), "-CAkey", ca("ca.key"),
              "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-sha256", "-days",
              str(days), "-out", cert, "-extfile", ca("openssl.cnf"), "-extensions", "client"])
    os.chmod(key, 0o600)
    return cert, key


def _openssl(args: List[str]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TLSUnavailable("Sandbox(tls=True) needs the openssl command-line tool on PATH")
    done = subprocess.run([openssl] + args, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        raise TLSUnavailable("openssl %s failed: %s" % (args[0], done.stderr.strip()
                                                        or done.stdout.strip()))


def make_certificates(directory: str, days: int = 7) -> Tuple[str, str, str]:
    """A private CA and a server certificate for 127.0.0.1, ::1 and localhost, made with the
    openssl command-line tool. Returns (server cert path, server key path, CA cert path).
    Keys are ECDSA P-256 (kubeadm's ClusterConfiguration encryptionAlgorithm ECDSA-P256):
    making them takes milliseconds where RSA-2048 keys took about 0.1 s each, which made
    a --tls sandbox start about 0.5 s later."""
    path = lambda name: os.path.join(directory, name)   # noqa: E731
    with open(path("openssl.cnf"), "w") as f:
        f.write(_OPENSSL_CONFIG)
    steps = [
        ["req", "-x509", "-new", *_KEY, "-nodes", "-sha256", "-days", str(days),
         "-keyout", path("ca.key"), "-out", path("ca.crt"), "-config", path("openssl.cnf"),
         "-extensions", "ca", "-subj", "/CN=kubectl-sts-sandbox-ca"],
        ["req", "-new", *_KEY, "-nodes", "-keyout", path("server.key"),
         "-out", path("server.csr"), "-config", path("openssl.cnf"),
         "-subj", "/CN=kubectl-sts-sandbox"],
        ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey",
         path("ca.key"), "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-sha256",
         "-days", str(days), "-out", path("server.crt"), "-extfile", path("openssl.cnf"),
         "-extensions", "server"],
    ]
    for args in steps:
        _openssl(args)
    os.chmod(path("ca.key"), 0o600)
    os.chmod(path("server.key"), 0o600)
    return path("server.crt"), path("server.key"), path("ca.crt")
