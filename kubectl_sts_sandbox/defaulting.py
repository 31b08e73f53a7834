"""Defaulting for the simulated Kubernetes API server: what kube-apiserver v1.32 fills in
between decoding an object and validating it.

* :func:`drop_disabled_fields` clears fields of disabled feature gates, as the registry
  strategies' ``PrepareForCreate``/``PrepareForUpdate`` do (call it first).
* :func:`apply_defaults` fills in the fields the server's defaulting functions set
  (``pkg/apis/core/v1/defaults.go`` and ``pkg/apis/apps/v1/defaults.go``), on create and on
  update.

Objects are plain JSON-compatible dicts keyed by the API's camelCase field names; both
functions change them in place. Validation (validation/) runs on the result.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from kubectl_sts.k8s.images import image_tag
from .untyped import dict_at, ensure_dict, is_int, list_at, resource_name

__all__ = ["apply_defaults", "drop_disabled_fields", "uses_max_unavailable"]


def _fill(obj: dict, **defaults: Any) -> None:
    """Set each field that is absent or empty (zero, "", null) to its default, in order."""
    for key, value in defaults.items():
        if not obj.get(key):
            obj[key] = value


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    _fill(probe, timeoutSeconds=1, periodSeconds=10, successThreshold=1, failureThreshold=3)
    _default_handler(probe)
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_handler(handler: Any) -> None:
    if not isinstance(handler, dict):
        return
    http = handler.get("httpGet")
    if isinstance(http, dict):
        _fill(http, path="/", scheme="HTTP")


def _default_field_ref(holder: Any) -> None:
    if isinstance(holder, dict):
        ref = holder.get("fieldRef")
        if isinstance(ref, dict) and not ref.get("apiVersion"):
            ref["apiVersion"] = "v1"


def _default_container(c: Any) -> None:
    if not isinstance(c, dict):
        return
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = "Always" if image_tag(c.get("image")) == "latest" else "IfNotPresent"
    _fill(c, terminationMessagePath="/dev/termination-log", terminationMessagePolicy="File")
    if not isinstance(c.get("resources"), dict):
        c["resources"] = {}
    for p in list_at(c, "ports"):
        if isinstance(p, dict) and not p.get("protocol"):
            p["protocol"] = "TCP"
    for e in list_at(c, "env"):
        if isinstance(e, dict):
            _default_field_ref(e.get("valueFrom"))
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(key))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _default_handler(lifecycle.get("postStart"))
        _default_handler(lifecycle.get("preStop"))


_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
    "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume",
    "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap",
    "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)


def _default_volume(v: Any) -> None:
    if not isinstance(v, dict):
        return
    if not any(v.get(k) is not None for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for key in ("configMap", "secret", "downwardAPI", "projected"):
        src = v.get(key)
        if isinstance(src, dict) and src.get("defaultMode") is None:
            src["defaultMode"] = 420
    for item in list_at(v.get("downwardAPI"), "items"):
        _default_field_ref(item)
    for proj in list_at(v.get("projected"), "sources"):
        if isinstance(proj, dict):
            for item in list_at(proj.get("downwardAPI"), "items"):
                _default_field_ref(item)
    host = v.get("hostPath")
    if isinstance(host, dict) and host.get("type") is None:
        host["type"] = ""


def _default_pod_spec(spec: Any) -> None:
    """SetDefaults_PodSpec plus the per-container/volume defaults; shared by
    pods and pod templates."""
    if not isinstance(spec, dict):
        return
    _fill(spec, dnsPolicy="ClusterFirst", restartPolicy="Always")
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    _fill(spec, schedulerName="default-scheduler")
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in list_at(spec, key):
            _default_container(c)
    for v in list_at(spec, "volumes"):
        _default_volume(v)


def _default_pod(pod: dict) -> None:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    _default_pod_spec(spec)
    # SetDefaults_Pod: requests default to limits (pods only, not templates).
    for key in ("containers", "initContainers"):
        for c in list_at(spec, key):
            if not isinstance(c, dict):
                continue
            res = dict_at(c, "resources")       # a dict: _default_container made it one
            limits = res.get("limits")
            if isinstance(limits, dict) and limits:
                requests = res.get("requests")
                if not isinstance(requests, dict):
                    requests = {}
                    res["requests"] = requests
                for k, val in limits.items():
                    requests.setdefault(k, val)
    # enableServiceLinks is defaulted by SetDefaults_Pod only, so a pod
    # template never gets it; pods created from a template do.
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for c in list_at(spec, key):
                for p in list_at(c, "ports"):
                    if isinstance(p, dict) and not p.get("hostPort") and is_int(p.get("containerPort")):
                        p["hostPort"] = p["containerPort"]


def _default_pvc(pvc: Any, with_type_meta: bool = False) -> None:
    if not isinstance(pvc, dict):
        return
    if with_type_meta:
        _fill(pvc, apiVersion="v1", kind="PersistentVolumeClaim")
    spec = ensure_dict(pvc, "spec")
    _fill(spec, volumeMode="Filesystem")
    status = ensure_dict(pvc, "status")
    _fill(status, phase="Pending")


def _default_statefulset(sts: dict, maxunavailable_gate: bool) -> None:
    spec = ensure_dict(sts, "spec")
    _fill(spec, podManagementPolicy="OrderedReady")
    strategy = ensure_dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    ru = strategy.get("rollingUpdate")
    if strategy.get("type") == "RollingUpdate" and isinstance(ru, dict):
        if ru.get("partition") is None:
            ru["partition"] = 0
        if maxunavailable_gate and ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
    policy = ensure_dict(spec, "persistentVolumeClaimRetentionPolicy")
    _fill(policy, whenDeleted="Retain", whenScaled="Retain")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    template = spec.get("template")
    if isinstance(template, dict):
        _default_pod_spec(template.get("spec"))
        # Go encodes the embedded ObjectMeta's zero creationTimestamp as null; kubectl's
        # `rollout undo` compares these bytes with ControllerRevision data
        ensure_dict(template, "metadata").setdefault("creationTimestamp", None)
    for claim in list_at(spec, "volumeClaimTemplates"):
        _default_pvc(claim, with_type_meta=True)
        if isinstance(claim, dict):
            ensure_dict(claim, "metadata").setdefault("creationTimestamp", None)


def _default_service(svc: dict) -> None:
    spec = ensure_dict(svc, "spec")
    _fill(spec, sessionAffinity="None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = dict_at(spec, "sessionAffinityConfig")
        if dict_at(cfg, "clientIP").get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _fill(spec, type="ClusterIP")
    stype = spec["type"]
    for p in list_at(spec, "ports"):
        if not isinstance(p, dict):
            continue
        _fill(p, protocol="TCP")
        if p.get("targetPort") in (None, 0, "") and p.get("port") is not None:
            p["targetPort"] = p["port"]
    externally_accessible = stype in ("LoadBalancer", "NodePort") or (
        stype == "ClusterIP" and bool(spec.get("externalIPs"))
    )
    if externally_accessible and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and stype in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec["internalTrafficPolicy"] = "Cluster"
    if stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    # IP families are filled in by the service registry (single-stack IPv4
    # cluster).  Headless services without a selector get RequireDualStack.
    if stype != "ExternalName":
        headless_no_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
        if spec.get("ipFamilyPolicy") is None:
            spec["ipFamilyPolicy"] = "RequireDualStack" if headless_no_selector else "SingleStack"
        _fill(spec, ipFamilies=["IPv4"])


def _default_namespace(ns: dict) -> None:
    meta = ensure_dict(ns, "metadata")
    name = meta.get("name")
    if isinstance(name, str) and name:
        labels = ensure_dict(meta, "labels")
        labels["kubernetes.io/metadata.name"] = name
    spec = ensure_dict(ns, "spec")
    _fill(spec, finalizers=["kubernetes"])
    status = ensure_dict(ns, "status")
    _fill(status, phase="Active")


def apply_defaults(resource: str, obj: Any, maxunavailable_gate: bool = False) -> None:
    """Fill in server-side defaults in place, as kube-apiserver v1.32 does on
    create and update.  ``resource`` is the plural resource name
    (``"statefulsets"``, ``"pods"``, ...).  Unknown resources are left alone.

    Only fields that are absent (or empty) are set; values given by the
    client are never changed.
    """
    if not isinstance(obj, dict):
        return
    res = resource_name(resource)
    if res == "statefulsets":
        _default_statefulset(obj, maxunavailable_gate)
    elif res == "pods":
        _default_pod(obj)
    elif res == "podtemplates":
        template = obj.get("template")
        if isinstance(template, dict):
            _default_pod_spec(template.get("spec"))
    elif res == "persistentvolumeclaims":
        _default_pvc(obj)
    elif res == "services":
        _default_service(obj)
    elif res == "namespaces":
        _default_namespace(obj)


def drop_disabled_fields(resource: str, obj: Any, old: Optional[dict] = None,
                         maxunavailable_gate: bool = False,
                         gates: Optional[Mapping[str, bool]] = None) -> None:
    """Clear fields of disabled feature gates, in place, like the registry
    strategy's PrepareForCreate/PrepareForUpdate.  Call it before
    :func:`apply_defaults`.

    StatefulSets: with MaxUnavailableStatefulSet off (the default of 1.32 to
    1.34 and 1.36), ``spec.updateStrategy.rollingUpdate.maxUnavailable`` is
    dropped unless the stored object ``old`` already uses it.
    PersistentVolumeClaims and PersistentVolumes: with VolumeAttributesClass off
    (the default before 1.34), ``spec.volumeAttributesClassName`` is dropped
    unless ``old`` has it (pkg/api/persistentvolumeclaim/util.go
    DropDisabledSpecFields, pkg/api/persistentvolume/util.go DropDisabledSpecFields).
    """
    res = resource_name(resource)
    if res in ("persistentvolumeclaims", "persistentvolumes"):
        if not (gates or {}).get("VolumeAttributesClass", True) and \
                dict_at(old, "spec").get("volumeAttributesClassName") is None:
            dict_at(obj, "spec").pop("volumeAttributesClassName", None)
        return
    if res != "statefulsets" or maxunavailable_gate:
        return
    if uses_max_unavailable(old):
        return
    ru = dict_at(dict_at(dict_at(obj, "spec"), "updateStrategy"), "rollingUpdate")
    ru.pop("maxUnavailable", None)


def uses_max_unavailable(sts: Any) -> bool:
    """The set (a stored one, or None) has spec.updateStrategy.rollingUpdate.maxUnavailable."""
    ru = dict_at(dict_at(dict_at(sts, "spec"), "updateStrategy"), "rollingUpdate")
    return ru.get("maxUnavailable") is not None

