"""Unknown fields in request bodies, as a v1.32 API server treats them.

A real server decodes every body into its Go types: a field the type does not declare is
dropped, and `fieldValidation` (Ignore, Warn - the default - or Strict, which kubectl sends)
decides whether that is silent, a `Warning` header, or a 400 `strict decoding error`.

The sandbox knows the field names of the objects it is about (StatefulSet, Pod,
PersistentVolumeClaim, ControllerRevision and what they embed, from the k8s.io/api v0.32
types); a structure it does not list (affinity, securityContext, volume sources, ...) is not
looked into, so nothing valid is ever dropped.
"""

from typing import Any, Dict, List

from . import crds, errors
from .resources import ResourceType

OPAQUE = None

_META = {
    "name": OPAQUE, "generateName": OPAQUE, "namespace": OPAQUE, "selfLink": OPAQUE,
    "uid": OPAQUE, "resourceVersion": OPAQUE, "generation": OPAQUE,
    "creationTimestamp": OPAQUE, "deletionTimestamp": OPAQUE,
    "deletionGracePeriodSeconds": OPAQUE, "labels": OPAQUE, "annotations": OPAQUE,
    "ownerReferences": ["OwnerReference"], "finalizers": OPAQUE, "managedFields": OPAQUE,
}

# type name -> {field: OPAQUE (not looked into), a type name, or [type name] for a list}
SCHEMAS: Dict[str, Dict[str, Any]] = {
    "ObjectMeta": _META,
    "OwnerReference": dict.fromkeys(
        ["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"]),
    "LabelSelector": {"matchLabels": OPAQUE, "matchExpressions": ["LabelSelectorRequirement"]},
    "LabelSelectorRequirement": dict.fromkeys(["key", "operator", "values"]),

    "StatefulSet": {"apiVersion": OPAQUE, "kind": OPAQUE, "metadata": "ObjectMeta",
                    "spec": "StatefulSetSpec", "status": "StatefulSetStatus"},
    "StatefulSetSpec": {
        "replicas": OPAQUE, "selector": "LabelSelector", "template": "PodTemplateSpec",
        "volumeClaimTemplates": ["PersistentVolumeClaim"], "serviceName": OPAQUE,
        "podManagementPolicy": OPAQUE, "updateStrategy": "StatefulSetUpdateStrategy",
        "revisionHistoryLimit": OPAQUE, "minReadySeconds": OPAQUE,
        "persistentVolumeClaimRetentionPolicy": "RetentionPolicy", "ordinals": "Ordinals"},
    "StatefulSetUpdateStrategy": {"type": OPAQUE, "rollingUpdate": "RollingUpdate"},
    "RollingUpdate": dict.fromkeys(["partition", "maxUnavailable"]),
    "RetentionPolicy": dict.fromkeys(["whenDeleted", "whenScaled"]),
    "Ordinals": dict.fromkeys(["start"]),
    "StatefulSetStatus": {
        "observedGeneration": OPAQUE, "replicas": OPAQUE, "readyReplicas": OPAQUE,
        "currentReplicas": OPAQUE, "updatedReplicas": OPAQUE, "currentRevision": OPAQUE,
        "updateRevision": OPAQUE, "collisionCount": OPAQUE,
        "conditions": ["StatefulSetCondition"], "availableReplicas": OPAQUE},
    "StatefulSetCondition": dict.fromkeys(
        ["type", "status", "lastTransitionTime", "reason", "message"]),

    "ControllerRevision": dict.fromkeys(["apiVersion", "kind", "data", "revision"],
                                        OPAQUE) | {"metadata": "ObjectMeta"},

    "Pod": {"apiVersion": OPAQUE, "kind": OPAQUE, "metadata": "ObjectMeta", "spec": "PodSpec",
            "status": OPAQUE},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": dict.fromkeys([
        "volumes", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds",
        "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
        "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID",
        "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
        "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases",
        "priorityClassName", "priority", "dnsConfig", "readinessGates", "runtimeClassName",
        "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims",
        "resources"]) | {"containers": ["Container"], "initContainers": ["Container"]},
    "Container": dict.fromkeys([
        "name", "image", "command", "args", "workingDir", "envFrom", "resizePolicy",
        "restartPolicy", "volumeDevices", "lifecycle", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
        "tty"]) | {"ports": ["ContainerPort"], "env": ["EnvVar"],
                   "resources": "ResourceRequirements", "volumeMounts": ["VolumeMount"],
                   "livenessProbe": "Probe", "readinessProbe": "Probe",
                   "startupProbe": "Probe"},
    "ContainerPort": dict.fromkeys(["name", "hostPort", "containerPort", "protocol", "hostIP"]),
    "EnvVar": dict.fromkeys(["name", "value", "valueFrom"]),
    "ResourceRequirements": dict.fromkeys(["limits", "requests", "claims"]),
    "VolumeMount": dict.fromkeys(["name", "readOnly", "recursiveReadOnly", "mountPath",
                                  "subPath", "mountPropagation", "subPathExpr"]),
    "Probe": dict.fromkeys([
        "exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds",
        "periodSeconds", "successThreshold", "failureThreshold",
        "terminationGracePeriodSeconds"]),

    "PersistentVolumeClaim": {"apiVersion": OPAQUE, "kind": OPAQUE, "metadata": "ObjectMeta",
                              "spec": "PersistentVolumeClaimSpec", "status": OPAQUE},
    "PersistentVolumeClaimSpec": dict.fromkeys([
        "accessModes", "volumeName", "storageClassName", "volumeMode", "dataSource",
        "dataSourceRef", "volumeAttributesClassName"]) | {
        "selector": "LabelSelector", "resources": "VolumeResourceRequirements"},
    "VolumeResourceRequirements": dict.fromkeys(["limits", "requests"]),
}


def strict_decoding(rt: ResourceType, obj: Any, directive: str, patch: bool = False) -> List[str]:
    """Fields the type does not declare: decoding drops them (from `obj`, in place);
    fieldValidation `directive` Strict makes that a 400, Warn (the default) a Warning header
    each (the texts returned), Ignore nothing (apiserver handlers create.go/update.go/patch.go
    with runtime strict decoding)."""
    unknown = unknown_fields(rt.kind, obj)
    if not unknown:
        return []
    texts = ['unknown field "%s"' % path for path in unknown]
    if directive == "Strict":
        message = "strict decoding error: " + ", ".join(texts)
        if not patch:
            message = '%s in version "%s" cannot be handled as a %s: %s' % (
                rt.kind, rt.version, rt.kind, message)
        raise errors.bad_request(message)
    prune(rt.kind, obj)
    return texts if directive != "Ignore" else []


def unknown_fields(kind: str, obj: Any) -> List[str]:
    """The paths of the fields of `obj` (a `kind` object) that its type does not declare, in
    the form the API server reports them (`spec.template.spec.containers[0].foo`). Kinds the
    sandbox has no schema for give []."""
    out: List[str] = []
    if kind in SCHEMAS and isinstance(obj, dict):
        _walk(SCHEMAS[kind], obj, "", out, prune=False)
    return out

# the snapshot CRDs' kinds, from their openAPIV3Schema (crds.py)
SCHEMAS.update(crds.field_schemas())


def prune(kind: str, obj: Any) -> Any:
    """Drop the undeclared fields from obj (in place), as decoding into the Go type does."""
    if kind in SCHEMAS and isinstance(obj, dict):
        _walk(SCHEMAS[kind], obj, "", [], prune=True)
    return obj


def _walk(schema: Dict[str, Any], obj: Dict[str, Any], path: str, out: List[str],
          prune: bool) -> None:
    for key in list(obj):
        here = key if not path else "%s.%s" % (path, key)
        if key not in schema:
            out.append(here)
            if prune:
                del obj[key]
            continue
        sub = schema[key]
        value = obj[key]
        if isinstance(sub, list) and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _walk(SCHEMAS[sub[0]], item, "%s[%d]" % (here, i), out, prune)
        elif isinstance(sub, str) and isinstance(value, dict):
            _walk(SCHEMAS[sub], value, here, out, prune)
