"""The columns of the sandbox's server-side Tables: for each resource the column definitions
(name, type, format, the swagger description, priority) of the real v1.32 printers
(``pkg/printers/internalversion/printers.go``), and the generic "Name / Created At" columns
(``rest.NewDefaultTableConvertor``) for anything else. Pure data: the long descriptions are
the API's field docs, kept one column per entry."""

from __future__ import annotations

from typing import Any, Dict, List

Column = Dict[str, Any]

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


def _col(name: str, type_: str = "string", description: str = "", priority: int = 0,
         format_: str = "") -> Column:
    return {
        "name": name,
        "type": type_,
        "format": format_,
        "description": description,
        "priority": priority,
    }


def _name_col(priority: int = 0) -> Column:
    return _col("Name", "string", _NAME_DESC, priority, "name")


def _age_col() -> Column:
    return _col("Age", "string", _AGE_DESC)


def _binding_columns(kind: str, role_ref: str) -> List[Column]:
    return [_name_col(), _col("Role", description=role_ref), _age_col()] + [
        _col(what, description="%s in the %s" % (what, kind), priority=1)
        for what in ("Users", "Groups", "ServiceAccounts")]


COLUMNS: Dict[str, List[Column]] = {
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
        _col("Last Seen", description="The time at which the most recent occurrence of this event "
             "was recorded."),
        _col("Type", description="Type of this event (Normal, Warning), new types could be added in "
             "the future"),
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
            description="The component reporting this event. Should be a short machine "
                        "understandable string.",
        ),
        _col("Message", description="A human-readable description of the status of this operation."),
        _col(
            "First Seen",
            priority=1,
            description="The time at which the event was first recorded. (Time of server receipt is "
                        "in TypeMeta.)",
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
    "secrets": [
        _name_col(),
        _col("Type", description="Used to facilitate programmatic handling of secret data."),
        _col("Data", description="Data contains the secret data."),
        _age_col(),
    ],
    "configmaps": [
        _name_col(),
        _col("Data", description="Data contains the configuration data."),
        _age_col(),
    ],
    "serviceaccounts": [
        _name_col(),
        _col("Secrets", description="Secrets is a list of the secrets in the same namespace that "
             "pods running using this ServiceAccount are allowed to use."),
        _age_col(),
    ],
    "storageclasses": [
        _name_col(),
        _col("Provisioner", description="provisioner indicates the type of the provisioner."),
        _col("ReclaimPolicy", description="reclaimPolicy controls the reclaimPolicy for "
             "dynamically provisioned PersistentVolumes of this storage class."),
        _col("VolumeBindingMode", description="volumeBindingMode indicates how "
             "PersistentVolumeClaims should be provisioned and bound."),
        _col("AllowVolumeExpansion", "boolean", description="allowVolumeExpansion shows whether "
             "the storage class allow volume expand."),
        _age_col(),
    ],
    # printers.go leaseColumnDefinitions
    "leases": [
        _name_col(),
        _col("Holder", description="holderIdentity contains the identity of the holder of a "
             "current lease. If Coordinated Leader Election is used, the holder identity must "
             "be equal to the elected LeaseCandidate.metadata.name field."),
        _age_col(),
    ],
    # printers.go volumeAttributesClassColumnDefinitions
    "volumeattributesclasses": [
        _name_col(),
        _col("DriverName", description="Name of the CSI driver This field is immutable."),
        _age_col(),
    ],
    # printers.go priorityClassColumnDefinitions
    "priorityclasses": [
        _name_col(),
        _col("Value", "integer", description="value represents the integer value of this "
             "priority class. This is the actual priority that pods receive when they have the "
             "name of this class in their pod spec."),
        _col("Global-Default", "boolean", description="globalDefault specifies whether this "
             "PriorityClass should be considered as the default priority for pods that do not "
             "have any priority class. Only one PriorityClass can be marked as `globalDefault`. "
             "However, if more than one PriorityClasses exists with their `globalDefault` field "
             "set to true, the smallest value of such global default PriorityClasses will be "
             "used as the default priority."),
        _age_col(),
        _col("PreemptionPolicy", description="preemptionPolicy is the Policy for preempting "
             "pods with lower priority. One of Never, PreemptLowerPriority. Defaults to "
             "PreemptLowerPriority if unset."),
    ],
    # printers.go roleBindingsColumnDefinitions, clusterRoleBindingsColumnDefinitions (Roles
    # and ClusterRoles print the default Name / Created At)
    "rolebindings": _binding_columns("roleBinding", "RoleRef can reference a Role in the "
                                     "current namespace or a ClusterRole in the global "
                                     "namespace. If the RoleRef cannot be resolved, the "
                                     "Authorizer must return an error. This field is immutable."),
    "clusterrolebindings": _binding_columns("clusterRoleBinding", "RoleRef can only reference "
                                            "a ClusterRole in the global namespace. If the "
                                            "RoleRef cannot be resolved, the Authorizer must "
                                            "return an error. This field is immutable."),
}

DEFAULT_COLUMNS = [
    _name_col(),
    _col("Created At", "date", _AGE_DESC),
]
