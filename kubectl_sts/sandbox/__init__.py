"""A local Kubernetes API server with a simulated StatefulSet controller and kubelet.

    with Sandbox() as sb:
        run_tests_against(sb.kubeconfig)
"""

import os
import tempfile
import threading

CONTEXT = "kubectl-sts-sandbox"


class Sandbox:
    def __init__(self, port=0, kubeconfig=None, config=None, host="127.0.0.1", namespace="default"):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox only listens on the loopback interface")
        self.host, self.port = host, port
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.config = config
        self.cluster = None
        self.server = None
        self._thread = None
        self._tmpdir = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.server.server_address[1])

    @property
    def store(self):
        return self.cluster.store

    @property
    def request_log(self):
        return self.server.request_log

    def start(self):
        from .cluster import Cluster
        from .server import ApiServer
        self.cluster = Cluster(self.config)
        self.server = ApiServer((self.host, self.port), self.cluster)   # may raise OSError
        self.cluster.start()
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="sandbox-http", daemon=True)
        self._thread.start()
        if self.kubeconfig is None:
            self._tmpdir = tempfile.mkdtemp(prefix="kubectl-sts-sandbox-")
            self.kubeconfig = os.path.join(self._tmpdir, "kubeconfig")
        write_kubeconfig(self.kubeconfig, self.url, self.namespace)
        return self

    def stop(self):
        if self.server is not None:
            self.server.stopping.set()
            self.server.shutdown()
            self.server.server_close()
        if self.cluster is not None:
            self.cluster.stop()
        if self._tmpdir:
            import shutil
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def apply(self, documents, namespace=None):
        """Create (or replace the spec of) each object in `documents` (dicts, as in a manifest)."""
        from .errors import ApiError
        from .resources import BY_KIND
        out = []
        for doc in documents:
            if not doc:
                continue
            rt = BY_KIND.get(doc.get("kind"))
            if rt is None:
                raise ValueError("the sandbox does not serve kind %r" % doc.get("kind"))
            ns = namespace or doc.get("metadata", {}).get("namespace") or self.namespace
            try:
                out.append(self.store.create(rt, doc, namespace=ns if rt.namespaced else None))
            except ApiError as exc:
                if exc.code != 409:
                    raise
                current = self.store.get(rt, ns, doc["metadata"]["name"])
                current["spec"] = doc.get("spec", current.get("spec"))
                out.append(self.store.update(rt, current))
        return out

    def apply_file(self, path, namespace=None):
        import yaml
        with open(path) as f:
            return self.apply(list(yaml.safe_load_all(f)), namespace)


def write_kubeconfig(path, server, namespace="default"):
    import yaml
    doc = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server}}],
        "users": [{"name": CONTEXT, "user": {"token": "sandbox-admin"}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT,
                                                  "namespace": namespace}}],
        "current-context": CONTEXT,
    }
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
