"""Server-side Table output (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``).

``kubectl get`` asks the API server for ``meta.k8s.io/v1`` Tables and prints
the columns the server chose.  :func:`to_table` builds those Tables for the
simulated API server, with the column definitions and cell values of the real
kube-apiserver printers (``pkg/printers/internalversion/printers.go``, v1.32)
for the resources the sandbox serves, and the generic "Name / Created At"
table (``rest.NewDefaultTableConvertor``) for anything else.

Like the real server, the Table always carries every column, including the
``priority: 1`` ones that ``kubectl get`` only shows with ``-o wide``; the
client drops those itself.

Everything here is pure: objects are JSON-compatible dicts and are never
mutated; ages are computed against the ``now`` passed in.
"""

import copy
import datetime

from kubectl_sts.k8s.storage import BETA_CLASS_ANNOTATION
from kubectl_sts.k8s.humanreadable import (access_modes_string, as_dict, as_int, as_list, as_str,
                                           as_struct, human_duration, parse_timestamp,
                                           pod_status_reason, pod_summary, since)
from kubectl_sts.k8s.quantity import canonical_quantity
from .tables_config import COLUMNS as _CONFIG_COLUMNS, ROW_PRINTERS as _CONFIG_ROWS

__all__ = [
    "to_table",
    "human_duration",
    "parse_timestamp",
    "column_definitions",
    "pod_status_reason",
    "access_modes_string",
    "canonical_quantity",
    "INCLUDE_OBJECT_VALUES",
]

INCLUDE_OBJECT_VALUES = ("None", "Metadata", "Object")

# ---------------------------------------------------------------------------
# Column descriptions (the swagger docs the real printers reference)
# ---------------------------------------------------------------------------

_NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It "
    "is not guaranteed to be set in happens-before order across separate operations. Clients may not "
    "set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. "
    "Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_CONTAINERS_DESC = "Names of each container in the template."
_IMAGES_DESC = "Images referenced by each container in the template."


def _col(name, type_="string", description="", priority=0, format_=""):
    return {
        "name": name,
        "type": type_,
        "format": format_,
        "description": description,
        "priority": priority,
    }


def _name_col(priority=0):
    return _col("Name", "string", _NAME_DESC, priority, "name")


def _age_col():
    return _col("Age", "string", _AGE_DESC)


_COLUMNS = {
    "statefulsets": [
        _name_col(),
        _col("Ready", description="Number of the pod with ready state"),
        _age_col(),
        _col("Containers", description=_CONTAINERS_DESC, priority=1),
        _col("Images", description=_IMAGES_DESC, priority=1),
    ],
    "pods": [
        _name_col(),
        _col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
        _col("Status", description="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            description=(
                "The number of times the containers in this pod have been restarted and when the "
                "last container in this pod has restarted."
            ),
        ),
        _age_col(),
        _col(
            "IP",
            priority=1,
            description=(
                "podIP address allocated to the pod. Routable at least within the cluster. Empty if "
                "not yet allocated."
            ),
        ),
        _col(
            "Node",
            priority=1,
            description=(
                "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
                "candidate for scheduling by the scheduler defined in schedulerName. Once this field is "
                "set, the kubelet for this node becomes responsible for the lifecycle of this pod. This "
                "field should not be used to express a desire for the pod to be scheduled on a specific "
                "node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
            ),
        ),
        _col(
            "Nominated Node",
            priority=1,
            description=(
                "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
                "cannot be scheduled right away as preemption victims receive their graceful termination "
                "periods. This field does not guarantee that the pod will be scheduled on this node. "
                "Scheduler may decide to place the pod elsewhere if other nodes become available sooner. "
                "Scheduler may also decide to give the resources on this node to a higher priority pod "
                "that is created after preemption. As a result, this field may be different than "
                "PodSpec.nodeName when the pod is scheduled."
            ),
        ),
        _col(
            "Readiness Gates",
            priority=1,
            description=(
                "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
                "when all its containers are ready AND all conditions specified in the readiness gates "
                'have status equal to "True" More info: '
                "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
            ),
        ),
    ],
    "persistentvolumeclaims": [
        _name_col(),
        _col("Status", description="phase represents the current phase of PersistentVolumeClaim."),
        _col(
            "Volume",
            description="volumeName is the binding reference to the PersistentVolume backing this claim.",
        ),
        _col("Capacity", description="capacity represents the actual resources of the underlying volume."),
        _col(
            "Access Modes",
            description=(
                "accessModes contains the actual access modes the volume backing the PVC has. More "
                "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
            ),
        ),
        _col("StorageClass", description="StorageClass of the pvc"),
        _col("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
        _age_col(),
        _col(
            "VolumeMode",
            priority=1,
            description=(
                "volumeMode defines what type of volume is required by the claim. Value of Filesystem "
                "is implied when not included in claim spec."
            ),
        ),
    ],
    "persistentvolumes": [
        _name_col(),
        _col(
            "Capacity",
            description=(
                "capacity is the description of the persistent volume's resources and capacity. More "
                "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"
            ),
        ),
        _col(
            "Access Modes",
            description=(
                "accessModes contains all ways the volume can be mounted. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
            ),
        ),
        _col(
            "Reclaim Policy",
            description=(
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released "
                "from its claim. Valid options are Retain (default for manually created "
                "PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and "
                "Recycle (deprecated). Recycle must be supported by the volume plugin underlying this "
                "PersistentVolume. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"
            ),
        ),
        _col(
            "Status",
            description=(
                "phase indicates if a volume is available, bound to a claim, or released by a claim. "
                "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"
            ),
        ),
        _col(
            "Claim",
            description=(
                "claimRef is part of a bi-directional binding between PersistentVolume and "
                "PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the "
                "authoritative bind between PV and PVC. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"
            ),
        ),
        _col("StorageClass", description="StorageClass of the pv"),
        _col("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
        _col(
            "Reason",
            description=(
                "reason is a brief CamelCase string that describes any failure and is meant for machine "
                "parsing and tidy display in the CLI."
            ),
        ),
        _age_col(),
        _col(
            "VolumeMode",
            priority=1,
            description=(
                "volumeMode defines if a volume is intended to be used with a formatted filesystem or to "
                "remain in raw block state. Value of Filesystem is implied when not included in spec."
            ),
        ),
    ],
    "services": [
        _name_col(),
        _col(
            "Type",
            description=(
                "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
                'ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a '
                "cluster-internal IP address for load-balancing to endpoints. Endpoints are determined "
                "by the selector or if that is not specified, by manual construction of an Endpoints "
                'object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and '
                "the endpoints are published as a set of endpoints rather than a virtual IP. "
                '"NodePort" builds on ClusterIP and allocates a port on every node which routes to the '
                'same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an '
                "external load-balancer (if supported in the current cloud) which routes to the same "
                'endpoints as the clusterIP. "ExternalName" aliases this service to the specified '
                "externalName. Several other fields do not apply to ExternalName services. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
            ),
        ),
        _col(
            "Cluster-IP",
            description=(
                "clusterIP is the IP address of the service and is usually assigned randomly. If an "
                "address is specified manually, is in-range (as per system configuration), and is not in "
                "use, it will be allocated to the service; otherwise creation of the service will fail. "
                "This field may not be changed through updates unless the type field is also being "
                "changed to ExternalName (which requires this field to be blank) or the type field is "
                "being changed from ExternalName (in which case this field may optionally be specified, "
                'as describe above).  Valid values are "None", empty string (""), or a valid IP address. '
                'Setting this to "None" makes a "headless service" (no virtual IP), which is useful when '
                "direct endpoint connections are preferred and proxying is not required.  Only applies "
                "to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating "
                "a Service of type ExternalName, creation will fail. This field will be wiped when "
                "updating a Service to type ExternalName. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
            ),
        ),
        _col(
            "External-IP",
            description=(
                "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
                "traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
                "responsible for ensuring that traffic arrives at a node with this IP.  A common example "
                "is external load-balancers that are not part of the Kubernetes system."
            ),
        ),
        _col(
            "Port(s)",
            description=(
                "The list of ports that are exposed by this service. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
            ),
        ),
        _age_col(),
        _col(
            "Selector",
            priority=1,
            description=(
                "Route service traffic to pods with label keys and values matching this selector. If "
                "empty or not present, the service is assumed to have an external process managing its "
                "endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, "
                "and LoadBalancer. Ignored if type is ExternalName. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/"
            ),
        ),
    ],
    "events": [
        _col("Last Seen", description="The time at which the most recent occurrence of this event was recorded."),
        _col("Type", description="Type of this event (Normal, Warning), new types could be added in the future"),
        _col(
            "Reason",
            description=(
                "This should be a short, machine understandable string that gives the reason for the "
                "transition into the object's current status."
            ),
        ),
        _col("Object", description="The object that this event is about."),
        _col(
            "Subobject",
            priority=1,
            description=(
                "If referring to a piece of an object instead of an entire object, this string should "
                "contain a valid JSON/Go field access statement, such as "
                "desiredState.manifest.containers[2]. For example, if the object reference is to a "
                'container within a pod, this would take on a value like: "spec.containers{name}" '
                '(where "name" refers to the name of the container that triggered the event) or if no '
                'container name is specified "spec.containers[2]" (container with index 2 in this pod). '
                "This syntax is chosen only to have some well-defined way of referencing a part of an "
                "object."
            ),
        ),
        _col(
            "Source",
            priority=1,
            description="The component reporting this event. Should be a short machine understandable string.",
        ),
        _col("Message", description="A human-readable description of the status of this operation."),
        _col(
            "First Seen",
            priority=1,
            description="The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        ),
        _col("Count", priority=1, description="The number of times this event has occurred."),
        _name_col(priority=1),
    ],
    "controllerrevisions": [
        _name_col(),
        _col("Controller", description="Controller of the object"),
        _col("Revision", description="Revision indicates the revision of the state represented by Data."),
        _age_col(),
    ],
    "namespaces": [
        _name_col(),
        _col("Status", description="The status of the namespace"),
        _age_col(),
    ],
    "nodes": [
        _name_col(),
        _col("Status", description="The status of the node"),
        _col("Roles", description="The roles of the node"),
        _age_col(),
        _col("Version", description="Kubelet Version reported by the node."),
        _col("Internal-IP", priority=1, description="List of addresses reachable to the node. "
             "Queried from cloud provider, if available."),
        _col("External-IP", priority=1, description="List of addresses reachable to the node. "
             "Queried from cloud provider, if available."),
        _col("OS-Image", priority=1, description="OS Image reported by the node from "
             "/etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
        _col("Kernel-Version", priority=1, description="Kernel Version reported by the node "
             "from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
        _col("Container-Runtime", priority=1, description="ContainerRuntime Version reported "
             "by the node through runtime remote API (e.g. containerd://1.4.2)."),
    ],
    "endpointslices": [
        _name_col(),
        _col("AddressType", description="addressType specifies the type of address carried by "
             "this EndpointSlice."),
        _col("Ports", description="ports specifies the list of network ports exposed by each "
             "endpoint in this slice."),
        _col("Endpoints", description="endpoints is a list of unique endpoints in this slice."),
        _age_col(),
    ],
    "poddisruptionbudgets": [
        _name_col(),
        _col("Min Available", description="The minimum number of pods that must be available."),
        _col("Max Unavailable", description="The maximum number of pods that may be unavailable."),
        _col(
            "Allowed Disruptions",
            "integer",
            description="Calculated number of pods that may be disrupted at this time.",
        ),
        _age_col(),
    ],
}

_COLUMNS.update(_CONFIG_COLUMNS)

_DEFAULT_COLUMNS = [
    _name_col(),
    _col("Created At", "date", _AGE_DESC),
]


def column_definitions(resource):
    # type: (str) -> List[Dict[str, Any]]
    """The Table ``columnDefinitions`` the real server uses for ``resource``."""
    return copy.deepcopy(_COLUMNS.get(resource, _DEFAULT_COLUMNS))


# ---------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------



# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------




def _layout_containers(containers):
    names = ",".join(as_str(as_dict(c).get("name")) for c in containers)
    images = ",".join(as_str(as_dict(c).get("image")) for c in containers)
    return names, images


def _format_labels(labels):
    if not labels:
        return "<none>"
    return ",".join("%s=%s" % (k, as_str(labels[k])) for k in sorted(labels))


def _int_or_string(value):
    """intstr.IntOrString.String()."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(int(value))
    return as_str(value)


# ---------------------------------------------------------------------------
# Quantities (resource.Quantity.String())
# ---------------------------------------------------------------------------



# ---------------------------------------------------------------------------
# Per-resource rows
# ---------------------------------------------------------------------------

_POD_SUCCESS_CONDITIONS = [
    {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
]
_POD_FAILED_CONDITIONS = [
    {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
]




def _pod_row(pod, now):
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
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
        true_conditions = 0
        for gate in gates:
            ctype = as_dict(gate).get("conditionType")
            for cond in as_list(status.get("conditions")):
                cond = as_dict(cond)
                if cond.get("type") == ctype:
                    if cond.get("status") == "True":
                        true_conditions += 1
                    break
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


def _statefulset_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    replicas = spec.get("replicas")
    desired = 1 if replicas is None else as_int(replicas)  # the server defaults replicas to 1
    names, images = _layout_containers(as_list(as_dict(as_dict(spec.get("template")).get("spec")).get("containers")))
    return [
        as_str(meta.get("name")),
        "%d/%d" % (as_int(status.get("readyReplicas")), desired),
        since(meta.get("creationTimestamp"), now),
        names,
        images,
    ], None




def _pvc_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    phase = as_str(status.get("phase"))
    if meta.get("deletionTimestamp") is not None:
        phase = "Terminating"
    volume_name = as_str(spec.get("volumeName"))
    capacity = ""
    access_modes = ""
    if volume_name:
        access_modes = access_modes_string(status.get("accessModes"))
        capacity = canonical_quantity(as_dict(status.get("capacity")).get("storage"))
    annotations = as_dict(meta.get("annotations"))
    if BETA_CLASS_ANNOTATION in annotations:
        storage_class = as_str(annotations[BETA_CLASS_ANNOTATION])
    else:
        storage_class = as_str(spec.get("storageClassName"))
    vac = spec.get("volumeAttributesClassName")
    volume_mode = spec.get("volumeMode")
    return [
        as_str(meta.get("name")),
        phase,
        volume_name,
        capacity,
        access_modes,
        storage_class,
        "<unset>" if vac is None else as_str(vac),
        since(meta.get("creationTimestamp"), now),
        "<unset>" if volume_mode is None else as_str(volume_mode),
    ], None


def _pv_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    claim = ""
    claim_ref = as_struct(spec.get("claimRef"))
    if claim_ref is not None:
        claim = "%s/%s" % (as_str(claim_ref.get("namespace")), as_str(claim_ref.get("name")))
    phase = as_str(status.get("phase"))
    if meta.get("deletionTimestamp") is not None:
        phase = "Terminating"
    annotations = as_dict(meta.get("annotations"))
    if BETA_CLASS_ANNOTATION in annotations:
        storage_class = as_str(annotations[BETA_CLASS_ANNOTATION])
    else:
        storage_class = as_str(spec.get("storageClassName"))
    vac = spec.get("volumeAttributesClassName")
    volume_mode = spec.get("volumeMode")
    return [
        as_str(meta.get("name")),
        canonical_quantity(as_dict(spec.get("capacity")).get("storage")),
        access_modes_string(spec.get("accessModes")),
        as_str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        storage_class,
        "<unset>" if vac is None else as_str(vac),
        as_str(status.get("reason")),
        since(meta.get("creationTimestamp"), now),
        "<unset>" if volume_mode is None else as_str(volume_mode),
    ], None


def _service_external_ip(spec, status):
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


def _service_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
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


def _event_row(obj, now):
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


def _controller_revision_row(obj, now):
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


def _namespace_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    return [
        as_str(meta.get("name")),
        as_str(as_dict(obj.get("status")).get("phase")),
        since(meta.get("creationTimestamp"), now),
    ], None


def _node_row(obj, now):
    """printNode: Ready or NotReady (Unknown without conditions), SchedulingDisabled when
    cordoned; roles from the node-role.kubernetes.io/ labels."""
    meta, spec, status = (as_dict(obj.get(k)) for k in ("metadata", "spec", "status"))
    ready = [c for c in status.get("conditions") or [] if as_dict(c).get("type") == "Ready"]
    states = ["Ready" if as_dict(ready[0]).get("status") == "True" else "NotReady"] \
        if ready else ["Unknown"]
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


def _endpointslice_row(obj, now):
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


def _pdb_row(obj, now):
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


def _default_row(obj, now):
    meta = as_dict(obj.get("metadata"))
    created = parse_timestamp(meta.get("creationTimestamp"))
    if created is None:
        created_str = "0001-01-01T00:00:00Z"  # Go's zero time
    else:
        created_str = created.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [as_str(meta.get("name")), created_str], None


_ROW_PRINTERS = {
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
}
_ROW_PRINTERS.update(_CONFIG_ROWS)


def _row_object(obj, include_object):
    if include_object == "Object":
        return copy.deepcopy(obj)
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": copy.deepcopy(as_dict(obj.get("metadata"))),
    }


def to_table(resource, objects, now, include_object="Metadata"):
    # type: (str, Sequence[Mapping[str, Any]], datetime.datetime, str) -> Dict[str, Any]
    """Build the ``meta.k8s.io/v1`` Table the real API server returns.

    ``resource`` is the plural resource name (``statefulsets``, ``pods``,
    ``persistentvolumeclaims``, ``persistentvolumes``, ``services``,
    ``events``, ``controllerrevisions``, ``namespaces``,
    ``poddisruptionbudgets``; anything else gets the default Name / Created At
    columns).  ``objects`` are the API objects, one row each, in order.
    ``now`` is the server clock (a timezone-aware datetime) used for ages.
    ``include_object`` is ``"Metadata"`` (rows carry a PartialObjectMetadata),
    ``"Object"`` (the full object) or ``"None"`` (no object).
    """
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise ValueError(
            "includeObject must be one of %s, got %r" % (", ".join(INCLUDE_OBJECT_VALUES), include_object)
        )
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    printer = _ROW_PRINTERS.get(resource, _default_row)
    rows = []
    for obj in objects:
        obj = as_dict(obj)
        cells, conditions = printer(obj, now)
        row = {"cells": cells}  # type: Dict[str, Any]
        if conditions:
            row["conditions"] = conditions
        if include_object != "None":
            row["object"] = _row_object(obj, include_object)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": column_definitions(resource),
        "rows": rows,
    }
