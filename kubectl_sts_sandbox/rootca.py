"""The root CA certificate publisher (kube-controller-manager's root-ca-cert-publisher:
pkg/controller/certificates/rootcacertpublisher/publisher.go): every namespace has the
ConfigMap kube-root-ca.crt, data `ca.crt` = the cluster's CA bundle, annotated
kubernetes.io/description. A namespace added (or updated while Active) is synced; the
ConfigMap updated or deleted in a namespace is synced again, so an edited copy is put back
and a deleted one made again (syncNamespace); a namespace that is gone or terminating is left
alone.

The CA is the sandbox's own under TLS (Sandbox(tls=True), the one in the kubeconfig's
certificate-authority-data); over plain HTTP there is no CA, and the ConfigMap carries a
placeholder PEM block saying so. Pods mount ca.crt through the ServiceAccount admission
plugin's kube-api-access volume (admission.py), and the kubelet waits for the ConfigMap
(podconfig.py), as a real one does."""

from __future__ import annotations

import base64
import copy
from typing import TYPE_CHECKING, Any, Dict, Optional, Set

from .errors import ApiError
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]
NS = BY_KIND["Namespace"]
CONFIGMAP = BY_KIND["ConfigMap"]
NAME = "kube-root-ca.crt"                      # RootCACertConfigMapName
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using "
               "internal endpoints such as the internal service IP or kubernetes.default.svc. "
               "No other usage is guaranteed across distributions of Kubernetes clusters.")


def _placeholder() -> str:
    body = base64.b64encode(b"kubectl-sts sandbox over plain HTTP: no certificate authority, "
                            b"this block is a placeholder").decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)


PLACEHOLDER = _placeholder()


class RootCAPublisher:
    def __init__(self, store: Store, ca: Optional[bytes] = None) -> None:
        self.store = store
        self.ca = ca.decode() if ca else PLACEHOLDER
        self.dirty: Set[str] = set()            # namespaces to sync

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt is NS:
            # namespaceAdded; namespaceUpdated only while Active
            if etype == "ADDED" or (etype == "MODIFIED" and
                                    (obj.get("status") or {}).get("phase") == "Active"):
                self.dirty.add(meta["name"])
        elif rt is CONFIGMAP and etype != "ADDED" and meta["name"] == NAME:
            self.dirty.add(meta["namespace"])   # configMapUpdated, configMapDeleted

    def step(self) -> None:
        work, self.dirty = self.dirty, set()
        for ns in sorted(work):
            self._sync(ns)

    def _sync(self, ns: str) -> None:
        namespace = self.store.peek(NS, "", ns)
        if namespace is None or namespace["metadata"].get("deletionTimestamp"):
            return              # the create would fail: not found, or terminating
        data = {"ca.crt": self.ca}
        current = self.store.peek(CONFIGMAP, ns, NAME)
        if current is None:
            try:
                self.store.create(CONFIGMAP, {"metadata": {
                    "name": NAME, "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": data}, namespace=ns, internal=True)
            except ApiError:
                pass
            return
        annotations = current["metadata"].get("annotations") or {}
        if current.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return
        updated = copy.deepcopy(current)
        updated["data"] = data
        updated["metadata"].setdefault("annotations", {})[DESCRIPTION_ANNOTATION] = DESCRIPTION
        self.store.update(CONFIGMAP, updated, internal=True)
