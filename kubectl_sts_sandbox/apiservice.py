"""The `kubernetes` Service of namespace `default` and its endpoints, as kube-apiserver keeps
them (every real cluster has them; the kubelet puts KUBERNETES_SERVICE_HOST and friends into
every container from this Service: podenv.py).

- The Service (pkg/controlplane/controller/kubernetesservice/controller.go,
  UpdateKubernetesService and CreateOrUpdateMasterServiceIfNeeded): labels
  component=apiserver and provider=kubernetes, no selector, ClusterIP the first IP of the
  service CIDR (the sandbox allocates ClusterIPs from 10.96.0.0/12 starting at 10.96.0.2:
  cluster.py _allocate_cluster_ip, so 10.96.0.1, kubeadm's and kind's address, is free), one
  port `https` 443/TCP to the secure port, ipFamilyPolicy SingleStack, sessionAffinity None,
  type ClusterIP. It is created (through the registry: defaults, ipFamilies) when missing and
  never reconciled after (the controller passes reconcile=false after start).
- Its endpoints (pkg/controlplane/reconcilers/endpointsadapter.go, EndpointsAdapter.Sync and
  updateEndpointSlice): the EndpointSlice `kubernetes`, addressType IPv4, labelled only
  kubernetes.io/service-name=kubernetes (not managed-by, so the EndpointSlice controller,
  endpointslices.py, leaves it alone), one endpoint per API server with ready=true, and the
  port `https` (the secure port, TCP). Endpoints, labels and addressType are put back when
  they differ; ports are set only when empty. Upstream writes the v1 Endpoints `kubernetes`
  too (labelled endpointslice.kubernetes.io/skip-mirror=true); the sandbox does not serve
  v1 Endpoints, so it writes the EndpointSlice only.

The address is the API server's: upstream it is --advertise-address (the host's address, never
a loopback one); the sandbox listens on the loopback interface only, so its endpoint is
127.0.0.1 and the port the sandbox's, the address and port of the kubeconfig's server URL. A
command mapped with Exec (run on this host) reaches the API server there, as a pod reaches the
endpoint behind 10.96.0.1:443 through kube-proxy.

Upstream the controller runs every 10 s (EndpointInterval) and puts back a deleted Service or
slice on its next pass; the sandbox reacts to the deletion (or change) event instead, so a
deleted one is back at once. Nothing exists until the server's address is known (advertise,
called by Sandbox.start once the port is bound), as upstream starts the controller after the
server is ready."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .errors import ApiError
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]
SERVICE = BY_KIND["Service"]
SLICE = BY_KIND["EndpointSlice"]
NAMESPACE = "default"                        # KubernetesServiceNamespace
NAME = "kubernetes"                          # KubernetesServiceName
SERVICE_IP = "10.96.0.1"                     # the first IP of the service CIDR
SERVICE_PORT = 443                           # the Service's port (kube-apiserver: 443)
PORT_NAME = "https"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"     # discovery.LabelServiceName


def service_body(port: int) -> Obj:
    """The Service CreateOrUpdateMasterServiceIfNeeded creates (createPortAndServiceSpec)."""
    return {"metadata": {"name": NAME, "namespace": NAMESPACE,
                         "labels": {"provider": "kubernetes", "component": "apiserver"}},
            "spec": {"ports": [{"name": PORT_NAME, "protocol": "TCP", "port": SERVICE_PORT,
                                "targetPort": port}],
                     "clusterIP": SERVICE_IP, "ipFamilyPolicy": "SingleStack",
                     "sessionAffinity": "None", "type": "ClusterIP"}}


def slice_body(current: Optional[Obj], ips: List[str], port: int) -> Obj:
    """updateEndpointSlice: the slice as Sync wants it (from the current one if any)."""
    body: Obj = copy.deepcopy(current) if current is not None else {
        "metadata": {"name": NAME, "namespace": NAMESPACE}}
    body["metadata"]["labels"] = {SERVICE_NAME_LABEL: NAME}
    body["addressType"] = "IPv4"
    body["endpoints"] = [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]
    if not body.get("ports"):
        body["ports"] = [{"name": PORT_NAME, "port": port, "protocol": "TCP"}]
    return body


class KubernetesService:
    """The controller: advertise() once the server listens, on_change/step after."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.address: Optional[Tuple[str, int]] = None
        self.dirty = False

    def advertise(self, ip: str, port: int) -> None:
        """The API server listens at ip:port: make the Service and its endpoints now."""
        self.address = ("127.0.0.1" if ip in ("localhost", "") else ip, port)
        with self.store.cond:
            self.sync()

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt in (SERVICE, SLICE) and meta.get("namespace") == NAMESPACE and \
                (meta.get("name") == NAME or rt is SLICE):
            self.dirty = True

    def step(self) -> None:
        if self.dirty:
            self.dirty = False
            self.sync()

    def sync(self) -> None:
        """UpdateKubernetesService(reconcile=false): the Service if missing, then the
        endpoint reconciler's Sync of the EndpointSlice."""
        if self.address is None:
            return
        ip, port = self.address
        if self.store.peek(SERVICE, NAMESPACE, NAME) is None:
            try:
                self.store.create(SERVICE, service_body(port), namespace=NAMESPACE)
            except ApiError:
                pass            # AlreadyExists (a user made one first), or default is gone
        slices = [s for s in self.store.list(SLICE, NAMESPACE)[0]
                  if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == NAME]
        for other in slices:     # listEndpointSlices: any other slice for the Service goes
            if other["metadata"]["name"] != NAME or other.get("addressType") != "IPv4":
                self.store.delete(SLICE, NAMESPACE, other["metadata"]["name"], grace=0)
        current = self.store.peek(SLICE, NAMESPACE, NAME)
        if current is not None and current.get("addressType") != "IPv4":
            current = None       # deleted above when labelled; otherwise a name clash
        wanted = slice_body(current, [ip], port)
        try:
            if current is None:
                self.store.create(SLICE, wanted, namespace=NAMESPACE)
            elif any(current.get(k) != wanted.get(k) for k in ("endpoints", "ports")) or \
                    current["metadata"].get("labels") != wanted["metadata"]["labels"]:
                self.store.update(SLICE, wanted)
        except ApiError:
            pass
        self.dirty = False      # our own writes above are no news
