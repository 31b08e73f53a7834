"""The EndpointSlice controller (pkg/controller/endpointslice, reconciler.go): for every
Service with a selector, one EndpointSlice `<service>-<suffix>` labelled
`kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
endpointslice-controller.k8s.io`, with one endpoint per selected pod that has an IP:
its address, `conditions` (ready: the pod is Ready and not terminating, or the Service has
`publishNotReadyAddresses`; serving: Ready; terminating), `hostname` when the pod's
`spec.subdomain` names the Service (the per-pod DNS records of a headless Service), `nodeName`,
`zone` and `targetRef`; and the Service's ports."""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any, Dict, List, Set

from kubectl_sts.k8s.conditions import pod_ready
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

SERVICE = BY_KIND["Service"]
POD = BY_KIND["Pod"]
SLICE = BY_KIND["EndpointSlice"]
NODE = BY_KIND["Node"]
MANAGED_BY = "endpointslice-controller.k8s.io"


class EndpointSlices:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.dirty: Set[str] = set()          # namespaces to sync

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt in (SERVICE, POD):
            self.dirty.add(obj["metadata"].get("namespace", ""))

    def step(self) -> None:
        work, self.dirty = self.dirty, set()
        for ns in sorted(work):
            services, _ = self.store.list(SERVICE, ns)
            if not services and not self.store.list(SLICE, ns)[0]:
                continue
            pods, _ = self.store.list(POD, ns)
            wanted = {}
            for svc in services:
                selector = (svc.get("spec") or {}).get("selector")
                if selector:
                    body = self._slice(svc, pods, selector)
                    wanted[body["metadata"]["name"]] = body
            for existing in self.store.list(SLICE, ns)[0]:
                if (existing["metadata"].get("labels") or {}).get(
                        "endpointslice.kubernetes.io/managed-by") == MANAGED_BY and \
                        existing["metadata"]["name"] not in wanted:
                    self.store.delete(SLICE, ns, existing["metadata"]["name"], grace=0)
            for name, body in wanted.items():
                current = self.store.peek(SLICE, ns, name)
                if current is None:
                    self.store.create(SLICE, body, namespace=ns, internal=True)
                elif {k: current.get(k) for k in ("endpoints", "ports")} != \
                        {k: body.get(k) for k in ("endpoints", "ports")}:
                    updated = copy.deepcopy(current)
                    updated["endpoints"] = body["endpoints"]
                    updated.pop("ports", None)
                    if "ports" in body:
                        updated["ports"] = body["ports"]
                    self.store.update(SLICE, updated, internal=True)

    def _slice(self, svc: Obj, pods: List[Obj], selector: Dict[str, str]) -> Obj:
        meta = svc["metadata"]
        publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
        endpoints = []
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            labels = pod["metadata"].get("labels") or {}
            ip = (pod.get("status") or {}).get("podIP")
            if not ip or any(labels.get(k) != v for k, v in selector.items()):
                continue
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            ready = pod_ready(pod)
            endpoint = {"addresses": [ip],
                        "conditions": {"ready": (ready and not terminating) or publish,
                                       "serving": ready, "terminating": terminating},
                        "targetRef": {"kind": "Pod", "namespace": meta["namespace"],
                                      "name": pod["metadata"]["name"],
                                      "uid": pod["metadata"]["uid"]}}
            spec = pod.get("spec") or {}
            if spec.get("subdomain") == meta["name"] and spec.get("hostname"):
                endpoint["hostname"] = spec["hostname"]
            if spec.get("nodeName"):
                endpoint["nodeName"] = spec["nodeName"]
                node = self.store.peek(NODE, "", spec["nodeName"]) or {}
                zone = ((node.get("metadata") or {}).get("labels") or {}).get(
                    "topology.kubernetes.io/zone")
                if zone:
                    endpoint["zone"] = zone
            endpoints.append(endpoint)
        ports = [{"name": p.get("name", ""), "port": p.get("targetPort", p.get("port")),
                  "protocol": p.get("protocol", "TCP")}
                 for p in (svc.get("spec") or {}).get("ports") or []
                 if isinstance(p.get("targetPort", p.get("port")), int)]
        suffix = hashlib.sha256(meta["uid"].encode()).hexdigest()[:5]
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "%s-%s" % (meta["name"], suffix),
                             "namespace": meta["namespace"],
                             "labels": {"kubernetes.io/service-name": meta["name"],
                                        "endpointslice.kubernetes.io/managed-by": MANAGED_BY},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                                  "name": meta["name"], "uid": meta["uid"],
                                                  "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "addressType": "IPv4", "endpoints": endpoints}
        if ports:
            body["ports"] = ports
        return body
