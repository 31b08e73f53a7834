"""The patch strategies of the built-in types, for the strategic merge patch
(k8s/strategicpatch.py): the Go implementation reads them from struct tags of the typed
objects; neither the plugin nor the sandbox has those types, so the relevant part of the schema
is spelled out here as two tables keyed by (context, field):

* CONTEXTS says what a field holds, so recursion knows where it is (for a list, the context
  applies to each item).  Fields not listed hold an "Opaque" value, in which no list merges.
* MERGE_KEYS lists the lists that merge instead of being replaced: the value is the merge key,
  or PRIMITIVE_MERGE for a list of scalars merged as an ordered set.  Every other list is
  replaced wholesale by the patch.

To support another field, add its rows here; nothing else has to change.
"""

from typing import Dict, Tuple

PRIMITIVE_MERGE = ""
OPAQUE = "Opaque"

# What each kind's top-level object is; unknown kinds are treated as a generic
# workload (metadata + spec.template / spec.jobTemplate).
ROOT_CONTEXTS: Dict[str, str] = {
    "Pod": "Pod",
    "StatefulSet": "StatefulSet",
    "Service": "Service",
    "PersistentVolumeClaim": "PersistentVolumeClaim",
    "Scale": "Scale",
}
DEFAULT_ROOT_CONTEXT = "Object"

CONTEXTS: Dict[Tuple[str, str], str] = {
    # top-level objects
    ("Pod", "metadata"): "ObjectMeta",
    ("Pod", "spec"): "PodSpec",
    ("Pod", "status"): "PodStatus",
    ("StatefulSet", "metadata"): "ObjectMeta",
    ("StatefulSet", "spec"): "StatefulSetSpec",
    ("StatefulSet", "status"): "StatefulSetStatus",
    ("Service", "metadata"): "ObjectMeta",
    ("Service", "spec"): "ServiceSpec",
    ("PersistentVolumeClaim", "metadata"): "ObjectMeta",
    ("PersistentVolumeClaim", "status"): "PersistentVolumeClaimStatus",
    ("Scale", "metadata"): "ObjectMeta",
    ("Object", "metadata"): "ObjectMeta",
    ("Object", "spec"): "WorkloadSpec",
    # workloads: everything that embeds a pod template
    ("StatefulSetSpec", "template"): "PodTemplateSpec",
    ("StatefulSetSpec", "volumeClaimTemplates"): "PersistentVolumeClaim",
    ("WorkloadSpec", "template"): "PodTemplateSpec",
    ("WorkloadSpec", "jobTemplate"): "JobTemplateSpec",
    ("JobTemplateSpec", "metadata"): "ObjectMeta",
    ("JobTemplateSpec", "spec"): "WorkloadSpec",
    ("PodTemplateSpec", "metadata"): "ObjectMeta",
    ("PodTemplateSpec", "spec"): "PodSpec",
    # pod spec
    ("PodSpec", "containers"): "Container",
    ("PodSpec", "initContainers"): "Container",
    ("PodSpec", "ephemeralContainers"): "Container",
}

MERGE_KEYS: Dict[Tuple[str, str], str] = {
    # metadata of any object
    ("ObjectMeta", "ownerReferences"): "uid",
    ("ObjectMeta", "finalizers"): PRIMITIVE_MERGE,
    # pod spec (Pod.spec and every template.spec)
    ("PodSpec", "containers"): "name",
    ("PodSpec", "initContainers"): "name",
    ("PodSpec", "ephemeralContainers"): "name",
    ("PodSpec", "volumes"): "name",
    ("PodSpec", "imagePullSecrets"): "name",
    ("PodSpec", "hostAliases"): "ip",
    ("PodSpec", "topologySpreadConstraints"): "topologyKey",
    ("PodSpec", "resourceClaims"): "name",
    ("PodSpec", "schedulingGates"): "name",
    # containers, init containers and ephemeral containers
    ("Container", "env"): "name",
    ("Container", "ports"): "containerPort",
    ("Container", "volumeMounts"): "mountPath",
    ("Container", "volumeDevices"): "devicePath",
    # Not ("Container", "resizePolicy"): the real type is +listType=atomic
    # with no patchStrategy, so the API server replaces it wholesale.
    # services
    ("ServiceSpec", "ports"): "port",
    # status
    ("PodStatus", "conditions"): "type",
    ("PodStatus", "podIPs"): "ip",
    ("PodStatus", "hostIPs"): "ip",
    ("PersistentVolumeClaimStatus", "conditions"): "type",
    ("StatefulSetStatus", "conditions"): "type",
}
