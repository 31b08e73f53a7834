"""The rows of the sandbox's server-side Tables: for each resource a function from an object
to its cells (and the row conditions), as the real v1.32 printers compute them
(``pkg/printers/internalversion/printers.go``: printPod, printStatefulSet, printPersistentVolumeClaim,
printService, printEvent, printNode, printSecret, ...), and the generic Name / Created At row.

Objects are JSON-compatible dicts and are never mutated; ages are computed against ``now``.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

from kubectl_sts.k8s.conditions import find_condition, is_condition_true
from kubectl_sts.k8s.humanreadable import (access_modes_string, as_dict, as_int, as_list, as_str,
                                           as_struct, human_duration, parse_timestamp,
                                           pod_summary, since)
from kubectl_sts.k8s.quantity import canonical_quantity
from kubectl_sts.k8s.storage import BETA_CLASS_ANNOTATION, is_default

Row = Tuple[List[Any], Optional[List[Dict[str, Any]]]]
RowPrinter = Callable[[Dict[str, Any], datetime.datetime], Row]


def _parts(obj: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]:
    """The object's metadata, spec and status (empty dicts for missing ones)."""
    return as_dict(obj.get("metadata")), as_dict(obj.get("spec")), as_dict(obj.get("status"))


def _layout_containers(containers: List[Any]) -> Tuple[str, str]:
    names = ",".join(as_str(as_dict(c).get("name")) for c in containers)
    images = ",".join(as_str(as_dict(c).get("image")) for c in containers)
    return names, images


def _format_labels(labels: Dict[str, Any]) -> str:
    if not labels:
        return "<none>"
    return ",".join("%s=%s" % (k, as_str(labels[k])) for k in sorted(labels))


def _int_or_string(value: Any) -> str:
    """intstr.IntOrString.String()."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(int(value))
    return as_str(value)



_POD_SUCCESS_CONDITIONS = [
    {"type": "Completed", "status": "True", "reason": "Succeeded",
     "message": "The pod has completed successfully."}
]
_POD_FAILED_CONDITIONS = [
    {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
]


def _pod_row(pod: Dict[str, Any], now: datetime.datetime) -> Row:
    meta, spec, status = _parts(pod)
    ready, total, reason, restarts, last_restart = pod_summary(pod)
    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = "%d (%s ago)" % (restarts, human_duration((now - last_restart).total_seconds()))

    pod_ip = ""
    pod_ips = as_list(status.get("podIPs"))
    if pod_ips:
        pod_ip = as_str(as_dict(pod_ips[0]).get("ip"))
    elif status.get("podIP"):
        pod_ip = as_str(status.get("podIP"))
    node_name = as_str(spec.get("nodeName")) or "<none>"
    nominated = as_str(status.get("nominatedNodeName")) or "<none>"
    readiness_gates = "<none>"
    gates = as_list(spec.get("readinessGates"))
    if gates:
        true_conditions = len([gate for gate in gates
                               if is_condition_true(pod, as_str(as_dict(gate).get("conditionType")))])
        readiness_gates = "%d/%d" % (true_conditions, len(gates))

    cells = [
        as_str(meta.get("name")),
        "%d/%d" % (ready, total),
        reason,
        restarts_str,
        since(meta.get("creationTimestamp"), now),
        pod_ip or "<none>",
        node_name,
        nominated,
        readiness_gates,
    ]
    conditions = None
    if status.get("phase") == "Succeeded":
        conditions = copy.deepcopy(_POD_SUCCESS_CONDITIONS)
    elif status.get("phase") == "Failed":
        conditions = copy.deepcopy(_POD_FAILED_CONDITIONS)
    return cells, conditions


def _statefulset_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta, spec, status = _parts(obj)
    replicas = spec.get("replicas")
    desired = 1 if replicas is None else as_int(replicas)  # the server defaults replicas to 1
    template_spec = as_dict(as_dict(spec.get("template")).get("spec"))
    names, images = _layout_containers(as_list(template_spec.get("containers")))
    return [
        as_str(meta.get("name")),
        "%d/%d" % (as_int(status.get("readyReplicas")), desired),
        since(meta.get("creationTimestamp"), now),
        names,
        images,
    ], None


def _storage_class(meta: Dict[str, Any], spec: Dict[str, Any]) -> str:
    """GetPersistentVolume(Claim)Class: the beta annotation, else spec.storageClassName."""
    annotations = as_dict(meta.get("annotations"))
    if BETA_CLASS_ANNOTATION in annotations:
        return as_str(annotations[BETA_CLASS_ANNOTATION])
    return as_str(spec.get("storageClassName"))


def _or_unset(value: Any) -> str:
    return "<unset>" if value is None else as_str(value)


def _pvc_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta, spec, status = _parts(obj)
    phase = as_str(status.get("phase"))
    if meta.get("deletionTimestamp") is not None:
        phase = "Terminating"
    volume_name = as_str(spec.get("volumeName"))
    capacity = ""
    access_modes = ""
    if volume_name:
        access_modes = access_modes_string(status.get("accessModes"))
        capacity = canonical_quantity(as_dict(status.get("capacity")).get("storage"))
    return [
        as_str(meta.get("name")),
        phase,
        volume_name,
        capacity,
        access_modes,
        _storage_class(meta, spec),
        _or_unset(spec.get("volumeAttributesClassName")),
        since(meta.get("creationTimestamp"), now),
        _or_unset(spec.get("volumeMode")),
    ], None


def _pv_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta, spec, status = _parts(obj)
    claim = ""
    claim_ref = as_struct(spec.get("claimRef"))
    if claim_ref is not None:
        claim = "%s/%s" % (as_str(claim_ref.get("namespace")), as_str(claim_ref.get("name")))
    phase = as_str(status.get("phase"))
    if meta.get("deletionTimestamp") is not None:
        phase = "Terminating"
    return [
        as_str(meta.get("name")),
        canonical_quantity(as_dict(spec.get("capacity")).get("storage")),
        access_modes_string(spec.get("accessModes")),
        as_str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        _storage_class(meta, spec),
        _or_unset(spec.get("volumeAttributesClassName")),
        as_str(status.get("reason")),
        since(meta.get("creationTimestamp"), now),
        _or_unset(spec.get("volumeMode")),
    ], None


def _service_external_ip(spec: Dict[str, Any], status: Dict[str, Any]) -> str:
    svc_type = spec.get("type")
    external_ips = [as_str(ip) for ip in as_list(spec.get("externalIPs"))]
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else "<none>"
    if svc_type == "LoadBalancer":
        found = set()
        for ing in as_list(as_dict(as_dict(status.get("loadBalancer"))).get("ingress")):
            ing = as_dict(ing)
            if ing.get("ip"):
                found.add(as_str(ing.get("ip")))
            elif ing.get("hostname"):
                found.add(as_str(ing.get("hostname")))
        lb_ips = ",".join(sorted(found))  # the server prints the wide (unclipped) form
        if external_ips:
            results = lb_ips.split(",") if lb_ips else []
            return ",".join(results + external_ips)
        return lb_ips if lb_ips else "<pending>"
    if svc_type == "ExternalName":
        return as_str(spec.get("externalName"))
    return "<unknown>"


def _service_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta, spec, status = _parts(obj)
    internal_ip = "<none>"
    cluster_ips = as_list(spec.get("clusterIPs"))
    if cluster_ips:
        internal_ip = as_str(cluster_ips[0])
    elif spec.get("clusterIP"):
        # The real server always fills clusterIPs from clusterIP.
        internal_ip = as_str(spec.get("clusterIP"))
    pieces = []
    for port in as_list(spec.get("ports")):
        port = as_dict(port)
        protocol = as_str(port.get("protocol")) or "TCP"
        node_port = as_int(port.get("nodePort"))
        if node_port > 0:
            pieces.append("%d:%d/%s" % (as_int(port.get("port")), node_port, protocol))
        else:
            pieces.append("%d/%s" % (as_int(port.get("port")), protocol))
    ports = ",".join(pieces) or "<none>"
    return [
        as_str(meta.get("name")),
        as_str(spec.get("type")),
        internal_ip,
        _service_external_ip(spec, status),
        ports,
        since(meta.get("creationTimestamp"), now),
        _format_labels(as_dict(spec.get("selector"))),
    ], None


def _event_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    involved = as_dict(obj.get("involvedObject"))
    source = as_dict(obj.get("source"))

    if parse_timestamp(obj.get("firstTimestamp")) is None:
        first_seen = since(obj.get("eventTime"), now)
    else:
        first_seen = since(obj.get("firstTimestamp"), now)
    if parse_timestamp(obj.get("lastTimestamp")) is None:
        last_seen = first_seen
    else:
        last_seen = since(obj.get("lastTimestamp"), now)

    count = as_int(obj.get("count"))
    series = as_struct(obj.get("series"))
    if series is not None:
        last_seen = since(series.get("lastObservedTime"), now)
        count = as_int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events don't have a count set in the new API

    kind = as_str(involved.get("kind")).lower()
    target = "%s/%s" % (kind, as_str(involved.get("name"))) if involved.get("name") else kind

    component = as_str(source.get("component")) or as_str(obj.get("reportingComponent"))
    instance = as_str(source.get("host")) or as_str(obj.get("reportingInstance"))
    source_str = component if not instance else component + ", " + instance

    return [
        last_seen,
        as_str(obj.get("type")),
        as_str(obj.get("reason")),
        target,
        as_str(involved.get("fieldPath")),
        source_str,
        as_str(obj.get("message")).strip(),
        first_seen,
        count,
        as_str(meta.get("name")),
    ], None


def _controller_revision_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    controller = "<none>"
    for ref in as_list(meta.get("ownerReferences")):
        ref = as_dict(ref)
        if ref.get("controller") is True:
            api_version = as_str(ref.get("apiVersion"))
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = as_str(ref.get("kind"))
            name = as_str(ref.get("name"))
            if not kind and not group:
                controller = name
            else:
                group_kind = kind + "." + group if group else kind
                controller = group_kind.lower() + "/" + name
            break
    revision = obj.get("revision")
    return [
        as_str(meta.get("name")),
        controller,
        as_int(revision),
        since(meta.get("creationTimestamp"), now),
    ], None


def _namespace_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [
        as_str(meta.get("name")),
        as_str(as_dict(obj.get("status")).get("phase")),
        since(meta.get("creationTimestamp"), now),
    ], None


def _node_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """printNode: Ready or NotReady (Unknown without conditions), SchedulingDisabled when
    cordoned; roles from the node-role.kubernetes.io/ labels."""
    meta, spec, status = _parts(obj)
    ready = find_condition(obj, "Ready")
    states = ["Unknown"] if ready is None else \
        ["Ready" if ready.get("status") == "True" else "NotReady"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = sorted(k.split("/", 1)[1] for k in as_dict(meta.get("labels"))
                   if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1])
    addresses = {as_dict(a).get("type"): as_dict(a).get("address")
                 for a in status.get("addresses") or []}
    info = as_dict(status.get("nodeInfo"))
    return [
        as_str(meta.get("name")), ",".join(states), ",".join(roles) or "<none>",
        since(meta.get("creationTimestamp"), now), as_str(info.get("kubeletVersion")),
        addresses.get("InternalIP") or "<none>", addresses.get("ExternalIP") or "<none>",
        as_str(info.get("osImage")) or "<unknown>", as_str(info.get("kernelVersion")) or
        "<unknown>", as_str(info.get("containerRuntimeVersion")) or "<unknown>",
    ], None


def _endpointslice_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """printEndpointSlice: ports as "80,443" (<unset> without), the first three addresses and
    "+ N more...", <unset> without endpoints."""
    meta = as_dict(obj.get("metadata"))
    ports = [str(as_dict(p).get("port")) for p in obj.get("ports") or []
             if as_dict(p).get("port") is not None]
    addresses = [a for e in obj.get("endpoints") or [] for a in as_dict(e).get("addresses") or []]
    shown = ",".join(addresses[:3]) + (" + %d more..." % (len(addresses) - 3)
                                       if len(addresses) > 3 else "")
    return [as_str(meta.get("name")), as_str(obj.get("addressType")),
            ",".join(ports) or "<unset>", shown or "<unset>",
            since(meta.get("creationTimestamp"), now)], None


def _pdb_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    min_available = spec.get("minAvailable")
    max_unavailable = spec.get("maxUnavailable")
    return [
        as_str(meta.get("name")),
        "N/A" if min_available is None else _int_or_string(min_available),
        "N/A" if max_unavailable is None else _int_or_string(max_unavailable),
        as_int(as_dict(obj.get("status")).get("disruptionsAllowed")),
        since(meta.get("creationTimestamp"), now),
    ], None


def default_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """rest.NewDefaultTableConvertor: the name and the creation time (RFC3339)."""
    meta = as_dict(obj.get("metadata"))
    created = parse_timestamp(meta.get("creationTimestamp"))
    if created is None:
        created_str = "0001-01-01T00:00:00Z"  # Go's zero time
    else:
        created_str = created.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [as_str(meta.get("name")), created_str], None


def _secret_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), as_str(obj.get("type")), len(as_dict(obj.get("data"))),
            since(meta.get("creationTimestamp"), now)], None


def _configmap_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    count = len(as_dict(obj.get("data"))) + len(as_dict(obj.get("binaryData")))
    return [as_str(meta.get("name")), count, since(meta.get("creationTimestamp"), now)], None


def _serviceaccount_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), len(obj.get("secrets") or []),
            since(meta.get("creationTimestamp"), now)], None


def _storageclass_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    name = as_str(meta.get("name"))
    if is_default(obj):
        name += " (default)"
    return [name, as_str(obj.get("provisioner")), as_str(obj.get("reclaimPolicy")) or "Delete",
            as_str(obj.get("volumeBindingMode")) or "Immediate",
            bool(obj.get("allowVolumeExpansion")),
            since(meta.get("creationTimestamp"), now)], None


def _lease_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """printers.go printLease: name, holderIdentity ("" when unset), age."""
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), as_str(as_dict(obj.get("spec")).get("holderIdentity")),
            since(meta.get("creationTimestamp"), now)], None


def _volumeattributesclass_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """printers.go printVolumeAttributesClass: name, driver, age."""
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), as_str(obj.get("driverName")),
            since(meta.get("creationTimestamp"), now)], None


def _priorityclass_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), obj.get("value") or 0, bool(obj.get("globalDefault")),
            since(meta.get("creationTimestamp"), now),
            as_str(obj.get("preemptionPolicy")) or "Unknown"], None


def _binding_row(obj: Dict[str, Any], now: datetime.datetime) -> Row:
    """printers.go printRoleBinding / printClusterRoleBinding: name, KIND/NAME of the role,
    age; wide: the users, groups and service accounts (NS/NAME) of rbac.SubjectsStrings."""
    meta, ref = as_dict(obj.get("metadata")), as_dict(obj.get("roleRef"))
    subjects = [as_dict(s) for s in obj.get("subjects") or ()]
    names = {kind: ", ".join(("%s/%s" % (as_str(s.get("namespace")), as_str(s.get("name")))
                              if kind == "ServiceAccount" else as_str(s.get("name")))
                             for s in subjects if s.get("kind") == kind)
             for kind in ("User", "Group", "ServiceAccount")}
    return [as_str(meta.get("name")), "%s/%s" % (as_str(ref.get("kind")), as_str(ref.get("name"))),
            since(meta.get("creationTimestamp"), now), names["User"], names["Group"],
            names["ServiceAccount"]], None


ROW_PRINTERS: Dict[str, RowPrinter] = {
    "statefulsets": _statefulset_row,
    "pods": _pod_row,
    "persistentvolumeclaims": _pvc_row,
    "persistentvolumes": _pv_row,
    "services": _service_row,
    "events": _event_row,
    "controllerrevisions": _controller_revision_row,
    "namespaces": _namespace_row,
    "poddisruptionbudgets": _pdb_row,
    "nodes": _node_row,
    "endpointslices": _endpointslice_row,
    "secrets": _secret_row,
    "configmaps": _configmap_row,
    "serviceaccounts": _serviceaccount_row,
    "storageclasses": _storageclass_row,
    "leases": _lease_row,
    "volumeattributesclasses": _volumeattributesclass_row,
    "priorityclasses": _priorityclass_row,
    "rolebindings": _binding_row,
    "clusterrolebindings": _binding_row,
}
