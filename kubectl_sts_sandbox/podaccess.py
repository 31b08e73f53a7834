"""What the sandbox's pods answer beyond their status: their logs, the commands `kubectl exec`
may run in them, the ports `kubectl port-forward` reaches, the paths the pod and service proxy
serve. A real kubelet has a container runtime behind these; the sandbox has only what the user
maps, in the shape of the kwok simulator's resources (kwok.x-k8s.io/v1alpha1: Logs and
ClusterLogs, Exec and ClusterExec, PortForward and ClusterPortForward), plus Proxy and
ClusterProxy (sandbox.kubectl-sts.io/v1alpha1) for the proxy subresources, which kwok lacks.

A namespaced kind maps the pod of its own name in its namespace; a cluster kind maps the pods
its `spec.selector` picks: `matchNamespaces` and `matchNames` (kwok's), and `matchLabels` /
`matchExpressions` (a metav1.LabelSelector over the pod's labels, our addition); an empty
selector picks every pod. The first document that maps a pod wins, namespaced before cluster
kinds, then in the order given. Each consumer reads its own kind's `spec` (the lists kwok
names: `logs`, `execs`, `forwards`; `proxies` for Proxy) and picks the entry for a container
or port itself.
"""

from typing import Any, Dict, Iterable, List, Mapping, Optional

from kubectl_sts.k8s.selectors import SelectorError, matches_labels, selector_from_label_selector

Obj = Dict[str, Any]

KWOK = "kwok.x-k8s.io/v1alpha1"
OURS = "sandbox.kubectl-sts.io/v1alpha1"
# kind -> (apiVersion, the cluster-scoped kind's name, spec's list field)
KINDS = {"Logs": (KWOK, "ClusterLogs", "logs"), "Exec": (KWOK, "ClusterExec", "execs"),
         "PortForward": (KWOK, "ClusterPortForward", "forwards"),
         "Proxy": (OURS, "ClusterProxy", "proxies")}
_CLUSTER = {cluster: kind for kind, (_, cluster, _) in KINDS.items()}


class PodAccessError(ValueError):
    """A document the sandbox cannot take, with what is wrong with it."""


def is_pod_access(doc: Mapping[str, Any]) -> bool:
    """Whether a manifest document is one of these kinds (not an object for the API server)."""
    kind = doc.get("kind")
    base = _CLUSTER.get(kind, kind) if isinstance(kind, str) else None
    return base in KINDS and doc.get("apiVersion") == KINDS[base][0]


class PodAccess:
    """The documents given to the sandbox (kubectl sts sandbox --config FILE, or
    Config(pod_access=...)), looked up per pod."""

    def __init__(self, documents: Iterable[Mapping[str, Any]] = ()) -> None:
        self._docs: Dict[str, List[Obj]] = {kind: [] for kind in KINDS}
        for doc in documents:
            self.add(doc)

    def add(self, doc: Mapping[str, Any]) -> None:
        if not is_pod_access(doc):
            raise PodAccessError("not a pod access document: apiVersion %r, kind %r"
                                 % (doc.get("apiVersion"), doc.get("kind")))
        kind = str(doc["kind"])
        base = _CLUSTER.get(kind, kind)
        meta = doc.get("metadata") or {}
        spec = doc.get("spec") or {}
        if not isinstance(meta, dict) or not isinstance(spec, dict):
            raise PodAccessError("%s: metadata and spec must be objects" % kind)
        if kind == base and not meta.get("name"):
            raise PodAccessError("%s: metadata.name (the pod's name) is required" % kind)
        items = spec.get(KINDS[base][2])
        if not isinstance(items, list):
            raise PodAccessError("%s %s: spec.%s must be a list"
                                 % (kind, meta.get("name", ""), KINDS[base][2]))
        selector = spec.get("selector") or {}
        if not isinstance(selector, dict):
            raise PodAccessError("%s: spec.selector must be an object" % kind)
        self._docs[base].append(dict(doc))
        # namespaced documents first, each group in the order given
        self._docs[base].sort(key=lambda d: d["kind"] != base)

    def spec_for(self, kind: str, pod: Mapping[str, Any]) -> Optional[Obj]:
        """The `spec` of the first `kind` (Logs, Exec, PortForward or Proxy) document that
        maps `pod`, or None."""
        meta = pod.get("metadata") or {}
        for doc in self._docs[kind]:
            if _maps(doc, kind, meta):
                return dict(doc.get("spec") or {})
        return None


def entry_for(spec: Optional[Obj], kind: str, container: str) -> Optional[Obj]:
    """The entry of a Logs or Exec spec that serves `container` (kwok's findLogInLogs and
    findContainerInExecs, pkg/kwok/server/debugging_logs.go and debugging_exec.go): the
    first naming it, else the first naming no container."""
    default = None
    for entry in (spec or {}).get(KINDS[kind][2]) or []:
        if not isinstance(entry, dict):
            continue
        containers = entry.get("containers") or []
        if not containers and default is None:
            default = entry
        elif container in containers:
            return entry
    return default


def read_files(paths: Iterable[str]) -> PodAccess:
    """The documents of YAML files (kwok's `--config FILE`, repeatable; `---` between
    documents, empty documents skipped); PodAccessError names the file of a bad one."""
    import yaml
    access = PodAccess()
    for path in paths:
        try:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as exc:
            raise PodAccessError("%s: %s" % (path, exc))
        for doc in docs:
            if not isinstance(doc, dict):
                raise PodAccessError("%s: not a pod access document: %r" % (path, doc))
            try:
                access.add(doc)
            except PodAccessError as exc:
                raise PodAccessError("%s: %s" % (path, exc))
    return access


def _maps(doc: Obj, kind: str, meta: Mapping[str, Any]) -> bool:
    dmeta = doc.get("metadata") or {}
    if doc["kind"] == kind:
        return bool(dmeta.get("name") == meta.get("name")
                    and (dmeta.get("namespace") or "default") == meta.get("namespace"))
    selector = (doc.get("spec") or {}).get("selector") or {}
    namespaces = selector.get("matchNamespaces")
    if namespaces and meta.get("namespace") not in namespaces:
        return False
    names = selector.get("matchNames")
    if names and meta.get("name") not in names:
        return False
    labels = {k: v for k, v in selector.items() if k in ("matchLabels", "matchExpressions")}
    if labels:
        try:
            return matches_labels(selector_from_label_selector(labels), meta.get("labels"))
        except SelectorError:
            return False
    return True
