"""Defaulting and validation for the simulated Kubernetes API server.

This module mimics what kube-apiserver v1.32 does to an object between
decoding it and storing it:

* :func:`apply_defaults` fills in the fields the server's defaulting
  functions set (``pkg/apis/core/v1/defaults.go`` and
  ``pkg/apis/apps/v1/defaults.go``), on create and on update.
* :func:`validate` returns the field errors the server's validation would
  report, as ``StatusCause`` dicts (``reason`` / ``message`` / ``field``).
* :func:`invalid_status` builds the 422 ``Status`` body the server answers
  with when there are such errors.
* :func:`drop_disabled_fields` clears fields of disabled feature gates,
  as the registry strategies' ``PrepareForCreate``/``PrepareForUpdate`` do.

Objects are plain JSON-compatible dicts keyed by the API's camelCase field
names.  Only the Python standard library is used.

Messages follow ``k8s.io/apimachinery/pkg/util/validation/field``: a cause
message is ``"<Type>[: <value>][: <detail>]"`` where the value is rendered
the way Go's ``field.Error.ErrorBody`` renders it (strings quoted, Go
structs in ``%#v`` form).  The aggregated Status message is
``<Kind>.<group> "<name>" is invalid: <field>: <message>``, with several
distinct errors wrapped as ``[e1, e2]``.
"""

import copy
import json
import re

from kubectl_sts.k8s.names import (is_dns1123_label, is_qualified_name, is_valid_label_value,
                                   is_valid_percent, max_len_error, name_is_dns1035_label,
                                   name_is_dns_label, name_is_dns_subdomain)
from kubectl_sts.k8s.quantity import quantity_value as parse_quantity
from kubectl_sts.k8s.gostrings import go_quote
from kubectl_sts.k8s.storage import BETA_CLASS_ANNOTATION
from kubectl_sts.k8s.images import image_tag

__all__ = [
    "apply_defaults",
    "validate",
    "invalid_status",
    "drop_disabled_fields",
    "STATEFULSET_VALIDATES_POD_TEMPLATE",
]

# The real v1.32 server does NOT validate the pod spec inside a StatefulSet
# template (kubernetes/kubernetes#97309, #137728: a StatefulSet without an
# image is accepted and the controller then fails to create pods).  The
# sandbox checks that the template has containers with a name and an image,
# because a StatefulSet that can never create a pod is useless in tests.
# Set this to False for strict real-server behaviour.
STATEFULSET_VALIDATES_POD_TEMPLATE = True

# ---------------------------------------------------------------------------
# Error construction (k8s.io/apimachinery/pkg/util/validation/field)
# ---------------------------------------------------------------------------

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
FORBIDDEN = "FieldValueForbidden"
DUPLICATE = "FieldValueDuplicate"
TOO_LONG = "FieldValueTooLong"


class GoRepr(object):
    """A bad value that is printed verbatim (a Go ``%#v`` / ``String()``
    rendering computed by the caller)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _render_value(value):
    if isinstance(value, GoRepr):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_int(value):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return go_quote(value)
    return go_map_repr(value) if isinstance(value, dict) else json.dumps(value)


def _cause(reason, field, value=None, detail="", show_value=True):
    labels = {
        REQUIRED: "Required value",
        INVALID: "Invalid value",
        NOT_SUPPORTED: "Unsupported value",
        FORBIDDEN: "Forbidden",
        DUPLICATE: "Duplicate value",
        TOO_LONG: "Too long",
    }
    msg = labels[reason]
    if show_value and reason in (INVALID, NOT_SUPPORTED, DUPLICATE):
        msg += ": " + _render_value(value)
    if detail:
        msg += ": " + detail
    return {"reason": reason, "message": msg, "field": field}


def required(field, detail=""):
    return _cause(REQUIRED, field, detail=detail)


def invalid(field, value, detail):
    return _cause(INVALID, field, value, detail)


def not_supported(field, value, valid_values):
    detail = ""
    if valid_values:
        detail = "supported values: " + ", ".join(go_quote(v) for v in valid_values)
    return _cause(NOT_SUPPORTED, field, value, detail)


def forbidden(field, detail):
    return _cause(FORBIDDEN, field, detail=detail)


def duplicate(field, value):
    return _cause(DUPLICATE, field, value)


def too_long(field, max_length):
    return _cause(TOO_LONG, field, detail="must have at most %d bytes" % max_length)


# ---------------------------------------------------------------------------
# Go value renderings used in messages
# ---------------------------------------------------------------------------

_FAKE_POINTER = "0xc000000000"


def go_map_repr(m):
    """``%#v`` of a ``map[string]string``: keys sorted, ``nil`` for None."""
    if m is None:
        return "map[string]string(nil)"
    items = ", ".join(
        "%s:%s" % (go_quote(str(k)), go_quote(str(m[k]))) for k in sorted(m)
    )
    return "map[string]string{%s}" % items


def _label_selector_string(sel):
    """``(*metav1.LabelSelector).String()`` (gogo-protobuf generated)."""
    sel = sel if isinstance(sel, dict) else {}
    ml = sel.get("matchLabels") or {}
    labels = "".join("%s: %s," % (k, ml[k]) for k in sorted(ml))
    exprs = ""
    for e in sel.get("matchExpressions") or []:
        e = e if isinstance(e, dict) else {}
        values = "[" + " ".join(str(v) for v in (e.get("values") or [])) + "]"
        exprs += "LabelSelectorRequirement{Key:%s,Operator:%s,Values:%s,}," % (
            e.get("key", ""),
            e.get("operator", ""),
            values,
        )
    return "&LabelSelector{MatchLabels:map[string]string{%s},MatchExpressions:[]LabelSelectorRequirement{%s},}" % (
        labels,
        exprs,
    )


def _rolling_update_repr(ru):
    ru = ru if isinstance(ru, dict) else {}
    partition = ru.get("partition")
    partition = partition if _is_int(partition) else 0
    mu = "(*intstr.IntOrString)(nil)"
    if ru.get("maxUnavailable") is not None:
        mu = "(*intstr.IntOrString)(%s)" % _FAKE_POINTER
    return "apps.RollingUpdateStatefulSetStrategy{Partition:%d, MaxUnavailable:%s}" % (
        partition,
        mu,
    )


def _update_strategy_repr(us):
    us = us if isinstance(us, dict) else {}
    ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)"
    if us.get("rollingUpdate") is not None:
        ru = "(*apps.RollingUpdateStatefulSetStrategy)(%s)" % _FAKE_POINTER
    return 'apps.StatefulSetUpdateStrategy{Type:%s, RollingUpdate:%s}' % (
        go_quote(str(us.get("type") or "")),
        ru,
    )


def _intstr_repr(v):
    """``(*intstr.IntOrString).String()``: the int or the raw string."""
    return GoRepr(str(v))


# ---------------------------------------------------------------------------
# String-format validators (k8s.io/apimachinery/pkg/util/validation)
# ---------------------------------------------------------------------------

IS_NEGATIVE_MSG = "must be greater than or equal to 0"
MAX_INT32 = 2147483647
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def inclusive_range_error(lo, hi):
    return "must be between %d and %d, inclusive" % (lo, hi)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _d(obj, key):
    """obj[key] if it is a dict, else an empty dict (never mutates)."""
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, dict):
            return v
    return {}


def _lst(obj, key):
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, list):
            return v
    return []


def _ensure_dict(obj, key):
    v = obj.get(key)
    if not isinstance(v, dict):
        v = {}
        obj[key] = v
    return v


def _resource_name(resource):
    return (resource or "").split(".", 1)[0].lower()


def _normalize(v):
    """Approximate apimachinery's Semantic.DeepEqual: nil and empty maps,
    slices and strings compare equal to an absent field."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            nx = _normalize(x)
            if nx is None or nx == {} or nx == [] or nx == "":
                continue
            out[k] = nx
        return out
    if isinstance(v, list):
        return [_normalize(x) for x in v]
    return v


def _semantic_equal(a, b):
    return _normalize(a) == _normalize(b)


# ---------------------------------------------------------------------------
# Quantities (enough to compare storage sizes)
# ---------------------------------------------------------------------------

# parse_quantity: the one parser of the neutral layer (k8s/quantity.py)


# ---------------------------------------------------------------------------
# Defaulting
# ---------------------------------------------------------------------------

def _default_probe(probe):
    if not isinstance(probe, dict):
        return
    for key, val in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):
            probe[key] = val
    _default_handler(probe)
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_handler(handler):
    if not isinstance(handler, dict):
        return
    http = handler.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def _default_field_ref(holder):
    if isinstance(holder, dict):
        ref = holder.get("fieldRef")
        if isinstance(ref, dict) and not ref.get("apiVersion"):
            ref["apiVersion"] = "v1"


def _default_container(c):
    if not isinstance(c, dict):
        return
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = "Always" if image_tag(c.get("image")) == "latest" else "IfNotPresent"
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    if not isinstance(c.get("resources"), dict):
        c["resources"] = {}
    for p in _lst(c, "ports"):
        if isinstance(p, dict) and not p.get("protocol"):
            p["protocol"] = "TCP"
    for e in _lst(c, "env"):
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


def _default_volume(v):
    if not isinstance(v, dict):
        return
    if not any(v.get(k) is not None for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for key in ("configMap", "secret", "downwardAPI", "projected"):
        src = v.get(key)
        if isinstance(src, dict) and src.get("defaultMode") is None:
            src["defaultMode"] = 420
    for item in _lst(v.get("downwardAPI"), "items"):
        _default_field_ref(item)
    for proj in _lst(v.get("projected"), "sources"):
        if isinstance(proj, dict):
            for item in _lst(proj.get("downwardAPI"), "items"):
                _default_field_ref(item)
    host = v.get("hostPath")
    if isinstance(host, dict) and host.get("type") is None:
        host["type"] = ""


def _default_pod_spec(spec):
    """SetDefaults_PodSpec plus the per-container/volume defaults; shared by
    pods and pod templates."""
    if not isinstance(spec, dict):
        return
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in _lst(spec, key):
            _default_container(c)
    for v in _lst(spec, "volumes"):
        _default_volume(v)


def _default_pod(pod):
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    _default_pod_spec(spec)
    # SetDefaults_Pod: requests default to limits (pods only, not templates).
    for key in ("containers", "initContainers"):
        for c in _lst(spec, key):
            if not isinstance(c, dict):
                continue
            res = c.get("resources")
            limits = res.get("limits") if isinstance(res, dict) else None
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
            for c in _lst(spec, key):
                for p in _lst(c, "ports"):
                    if isinstance(p, dict) and not p.get("hostPort") and _is_int(p.get("containerPort")):
                        p["hostPort"] = p["containerPort"]


def _default_pvc(pvc, with_type_meta=False):
    if not isinstance(pvc, dict):
        return
    if with_type_meta:
        if not pvc.get("apiVersion"):
            pvc["apiVersion"] = "v1"
        if not pvc.get("kind"):
            pvc["kind"] = "PersistentVolumeClaim"
    spec = _ensure_dict(pvc, "spec")
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    status = _ensure_dict(pvc, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _default_statefulset(sts, maxunavailable_gate):
    spec = _ensure_dict(sts, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _ensure_dict(spec, "updateStrategy")
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
    policy = _ensure_dict(spec, "persistentVolumeClaimRetentionPolicy")
    if not policy.get("whenDeleted"):
        policy["whenDeleted"] = "Retain"
    if not policy.get("whenScaled"):
        policy["whenScaled"] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    template = spec.get("template")
    if isinstance(template, dict):
        _default_pod_spec(template.get("spec"))
        # Go encodes the embedded ObjectMeta's zero creationTimestamp as null; kubectl's
        # `rollout undo` compares these bytes with ControllerRevision data
        _ensure_dict(template, "metadata").setdefault("creationTimestamp", None)
    for claim in _lst(spec, "volumeClaimTemplates"):
        _default_pvc(claim, with_type_meta=True)
        if isinstance(claim, dict):
            _ensure_dict(claim, "metadata").setdefault("creationTimestamp", None)


def _default_service(svc):
    spec = _ensure_dict(svc, "spec")
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = _d(spec, "sessionAffinityConfig")
        if _d(cfg, "clientIP").get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    stype = spec["type"]
    for p in _lst(spec, "ports"):
        if not isinstance(p, dict):
            continue
        if not p.get("protocol"):
            p["protocol"] = "TCP"
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
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]


def _default_namespace(ns):
    meta = _ensure_dict(ns, "metadata")
    name = meta.get("name")
    if isinstance(name, str) and name:
        labels = _ensure_dict(meta, "labels")
        labels["kubernetes.io/metadata.name"] = name
    spec = _ensure_dict(ns, "spec")
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    status = _ensure_dict(ns, "status")
    if not status.get("phase"):
        status["phase"] = "Active"


def apply_defaults(resource, obj, maxunavailable_gate=False):
    """Fill in server-side defaults in place, as kube-apiserver v1.32 does on
    create and update.  ``resource`` is the plural resource name
    (``"statefulsets"``, ``"pods"``, ...).  Unknown resources are left alone.

    Only fields that are absent (or empty) are set; values given by the
    client are never changed.
    """
    if not isinstance(obj, dict):
        return
    res = _resource_name(resource)
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


def drop_disabled_fields(resource, obj, old=None, maxunavailable_gate=False):
    """Clear fields of disabled feature gates, in place, like the registry
    strategy's PrepareForCreate/PrepareForUpdate.  Call it before
    :func:`apply_defaults`.

    StatefulSets: with MaxUnavailableStatefulSet off (the v1.32 default),
    ``spec.updateStrategy.rollingUpdate.maxUnavailable`` is dropped unless
    the stored object ``old`` already uses it.
    """
    if _resource_name(resource) != "statefulsets" or maxunavailable_gate:
        return
    if _uses_max_unavailable(old):
        return
    ru = _d(_d(_d(obj, "spec"), "updateStrategy"), "rollingUpdate")
    ru.pop("maxUnavailable", None)


def _uses_max_unavailable(sts):
    ru = _d(_d(_d(sts, "spec"), "updateStrategy"), "rollingUpdate")
    return ru.get("maxUnavailable") is not None


# ---------------------------------------------------------------------------
# Validation: metadata, labels, selectors
# ---------------------------------------------------------------------------


def validate_labels(labels, path):
    errs = []
    if not isinstance(labels, dict):
        return errs
    for k in sorted(labels, key=str):
        v = labels[k]
        for msg in is_qualified_name(str(k)):
            errs.append(invalid(path, str(k), msg))
        if isinstance(v, str):
            for msg in is_valid_label_value(v):
                errs.append(invalid(path, v, msg))
    return errs


def validate_annotations(annotations, path):
    errs = []
    if not isinstance(annotations, dict):
        return errs
    total = 0
    for k in sorted(annotations, key=str):
        for msg in is_qualified_name(str(k).lower()):
            errs.append(invalid(path, str(k), msg))
        v = annotations[k]
        total += len(str(k)) + (len(v) if isinstance(v, str) else 0)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def _name_fn(res):
    if res in ("statefulsets", "namespaces"):
        return name_is_dns_label
    if res == "services":
        return name_is_dns1035_label
    return name_is_dns_subdomain


def validate_object_meta(meta, name_fn, path="metadata"):
    meta = meta if isinstance(meta, dict) else {}
    errs = []
    gen_name = meta.get("generateName")
    if isinstance(gen_name, str) and gen_name:
        for msg in name_fn(gen_name, True):
            errs.append(invalid(path + ".generateName", gen_name, msg))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        # The server turns generateName into a name before validating.
        if not (isinstance(gen_name, str) and gen_name):
            errs.append(required(path + ".name", "name or generateName is required"))
    else:
        for msg in name_fn(name, False):
            errs.append(invalid(path + ".name", name, msg))
    ns = meta.get("namespace")
    if isinstance(ns, str) and ns:
        for msg in name_is_dns_label(ns, False):
            errs.append(invalid(path + ".namespace", ns, msg))
    gen = meta.get("generation")
    if _is_int(gen) and gen < 0:
        errs.append(invalid(path + ".generation", gen, IS_NEGATIVE_MSG))
    errs.extend(validate_labels(meta.get("labels"), path + ".labels"))
    errs.extend(validate_annotations(meta.get("annotations"), path + ".annotations"))
    return errs


def validate_object_meta_update(meta, old_meta, path="metadata"):
    meta = meta if isinstance(meta, dict) else {}
    old_meta = old_meta if isinstance(old_meta, dict) else {}
    errs = []
    for key in ("name", "namespace", "uid"):
        new_v, old_v = meta.get(key), old_meta.get(key)
        if new_v and old_v and new_v != old_v:
            errs.append(invalid(path + "." + key, new_v, "field is immutable"))
    errs.extend(validate_labels(meta.get("labels"), path + ".labels"))
    errs.extend(validate_annotations(meta.get("annotations"), path + ".annotations"))
    return errs


_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(sel, path):
    """Returns (errors, parse_ok): parse_ok mirrors whether
    metav1.LabelSelectorAsSelector would succeed."""
    errs = []
    parse_ok = True
    if not isinstance(sel, dict):
        return errs, parse_ok
    label_errs = validate_labels(sel.get("matchLabels"), path + ".matchLabels")
    if label_errs:
        parse_ok = False
    errs.extend(label_errs)
    for i, expr in enumerate(_lst(sel, "matchExpressions")):
        p = "%s.matchExpressions[%d]" % (path, i)
        expr = expr if isinstance(expr, dict) else {}
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'"))
                parse_ok = False
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                parse_ok = False
        else:
            errs.append(invalid(p + ".operator", op if isinstance(op, str) else "", "not a valid selector operator"))
            parse_ok = False
        key = expr.get("key")
        key = key if isinstance(key, str) else ""
        for msg in is_qualified_name(key):
            errs.append(invalid(p + ".key", key, msg))
            parse_ok = False
        for j, v in enumerate(values if isinstance(values, list) else []):
            for msg in is_valid_label_value(str(v)):
                errs.append(invalid("%s.values[%d]" % (p, j), str(v), msg))
                parse_ok = False
    return errs, parse_ok


def selector_is_empty(sel):
    return not (_d(sel, "matchLabels") or _lst(sel, "matchExpressions"))


def selector_matches(sel, labels):
    """Does a (valid, non-nil) LabelSelector match the labels? (the neutral layer's
    LabelSelectorAsSelector and Matches)"""
    from kubectl_sts.k8s.selectors import (SelectorError, matches_labels,
                                           selector_from_label_selector)
    try:
        requirements = selector_from_label_selector(sel)
    except SelectorError:
        return False
    return matches_labels(requirements, labels if isinstance(labels, dict) else {})


# ---------------------------------------------------------------------------
# Validation: pod specs
# ---------------------------------------------------------------------------

_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_PORT_NAME_CHARS = re.compile("^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile("[a-z]")


def is_valid_port_name(port):
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARS.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _validate_ports(ports, path):
    errs = []
    names = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        p = "%s[%d]" % (path, i)
        name = port.get("name")
        if isinstance(name, str) and name:
            msgs = is_valid_port_name(name)
            for msg in msgs:
                errs.append(invalid(p + ".name", name, msg))
            if not msgs:
                if name in names:
                    errs.append(duplicate(p + ".name", name))
                names.add(name)
        cport = port.get("containerPort")
        if not cport:
            errs.append(required(p + ".containerPort"))
        elif _is_int(cport) and not 1 <= cport <= 65535:
            errs.append(invalid(p + ".containerPort", cport, inclusive_range_error(1, 65535)))
        hport = port.get("hostPort")
        if _is_int(hport) and hport != 0 and not 1 <= hport <= 65535:
            errs.append(invalid(p + ".hostPort", hport, inclusive_range_error(1, 65535)))
        proto = port.get("protocol")
        if not proto:
            errs.append(required(p + ".protocol"))
        elif proto not in _PROTOCOLS:
            errs.append(not_supported(p + ".protocol", proto, _PROTOCOLS))
    return errs


def _validate_container(c, path, full):
    errs = []
    c = c if isinstance(c, dict) else {}
    name = c.get("name")
    if not isinstance(name, str) or not name:
        errs.append(required(path + ".name"))
    elif full:
        for msg in is_dns1123_label(name):
            errs.append(invalid(path + ".name", name, msg))
    image = c.get("image")
    if not isinstance(image, str) or not image:
        errs.append(required(path + ".image"))
    if not full:
        return errs
    tmp = c.get("terminationMessagePolicy")
    if not tmp:
        errs.append(required(path + ".terminationMessagePolicy"))
    elif tmp not in _TERMINATION_MESSAGE_POLICIES:
        errs.append(not_supported(path + ".terminationMessagePolicy", tmp, _TERMINATION_MESSAGE_POLICIES))
    errs.extend(_validate_ports(_lst(c, "ports"), path + ".ports"))
    pull = c.get("imagePullPolicy")
    if not pull:
        errs.append(required(path + ".imagePullPolicy"))
    elif pull not in _PULL_POLICIES:
        errs.append(not_supported(path + ".imagePullPolicy", pull, _PULL_POLICIES))
    return errs


def _validate_containers(containers, path, full=True, require=True):
    errs = []
    if require and not containers:
        errs.append(required(path))
    seen = set()
    for i, c in enumerate(containers):
        p = "%s[%d]" % (path, i)
        errs.extend(_validate_container(c, p, full))
        name = c.get("name") if isinstance(c, dict) else None
        if isinstance(name, str) and name:
            if name in seen:
                errs.append(duplicate(p + ".name", name))
            seen.add(name)
    return errs


def validate_pod_spec(spec, path="spec"):
    spec = spec if isinstance(spec, dict) else {}
    errs = []
    vol_names = set()
    for i, vol in enumerate(_lst(spec, "volumes")):
        p = "%s.volumes[%d].name" % (path, i)
        name = vol.get("name") if isinstance(vol, dict) else None
        if not isinstance(name, str) or not name:
            errs.append(required(p))
        else:
            for msg in is_dns1123_label(name):
                errs.append(invalid(p, name, msg))
            if name in vol_names:
                errs.append(duplicate(p, name))
            vol_names.add(name)
    errs.extend(_validate_containers(_lst(spec, "containers"), path + ".containers"))
    init = _lst(spec, "initContainers")
    errs.extend(_validate_containers(init, path + ".initContainers", require=False))
    # Names must be unique across regular and init containers.
    regular = set(c.get("name") for c in _lst(spec, "containers") if isinstance(c, dict))
    for i, c in enumerate(init):
        name = c.get("name") if isinstance(c, dict) else None
        if isinstance(name, str) and name and name in regular:
            errs.append(duplicate("%s.initContainers[%d].name" % (path, i), name))
    rp = spec.get("restartPolicy")
    if not rp:
        errs.append(required(path + ".restartPolicy"))
    elif rp not in _RESTART_POLICIES:
        errs.append(not_supported(path + ".restartPolicy", rp, _RESTART_POLICIES))
    dp = spec.get("dnsPolicy")
    if not dp:
        errs.append(required(path + ".dnsPolicy"))
    elif dp not in _DNS_POLICIES:
        errs.append(not_supported(path + ".dnsPolicy", dp, _DNS_POLICIES))
    ads = spec.get("activeDeadlineSeconds")
    if _is_int(ads) and not 1 <= ads <= MAX_INT32:
        errs.append(invalid(path + ".activeDeadlineSeconds", ads, inclusive_range_error(1, MAX_INT32)))
    return errs


# Spec fields a pod update may change, in the server's message order
# (InPlacePodVerticalScaling is alpha and off in v1.32, so resources are
# not listed).
_POD_UPDATABLE_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]
POD_UPDATE_FORBIDDEN_MESSAGE = "pod updates may not change fields other than " + ",".join(
    _POD_UPDATABLE_FIELDS
)


def _go_field_name(key):
    return key[:1].upper() + key[1:]


def _spec_diff(go_type, old, new):
    """A short, deterministic stand-in for the go-cmp diff the server
    appends to some Forbidden messages (top-level fields only)."""
    old = _normalize(old if isinstance(old, dict) else {})
    new = _normalize(new if isinstance(new, dict) else {})
    lines = ["  %s{" % go_type]
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        name = _go_field_name(key)
        if key in old:
            lines.append("- \t%s: %s," % (name, json.dumps(old[key], sort_keys=True)))
        if key in new:
            lines.append("+ \t%s: %s," % (name, json.dumps(new[key], sort_keys=True)))
    lines.append("  }")
    return "\n".join(lines)


def _validate_container_updates(new, old, path):
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs = []
    for i, c in enumerate(new):
        image = c.get("image") if isinstance(c, dict) else None
        p = "%s[%d].image" % (path, i)
        if not isinstance(image, str) or not image:
            errs.append(required(p))
        elif image.strip() != image:
            errs.append(invalid(p, image, "must not have leading or trailing whitespace"))
    return errs, False


def _validate_pod_update(pod, old):
    spec = _d(pod, "spec")
    old_spec = _d(old, "spec")
    errs = []
    e, stop = _validate_container_updates(_lst(spec, "containers"), _lst(old_spec, "containers"), "spec.containers")
    errs.extend(e)
    if stop:
        return errs
    e, stop = _validate_container_updates(
        _lst(spec, "initContainers"), _lst(old_spec, "initContainers"), "spec.initContainers"
    )
    errs.extend(e)
    if stop:
        return errs

    new_ads = spec.get("activeDeadlineSeconds")
    old_ads = old_spec.get("activeDeadlineSeconds")
    if new_ads is not None:
        if not _is_int(new_ads) or not 0 <= new_ads <= MAX_INT32:
            errs.append(invalid("spec.activeDeadlineSeconds", new_ads, inclusive_range_error(0, MAX_INT32)))
            return errs
        if _is_int(old_ads) and old_ads < new_ads:
            errs.append(invalid("spec.activeDeadlineSeconds", new_ads, "must be less than or equal to previous value"))
            return errs
    elif old_ads is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"))

    # Tolerations: existing ones may only change their tolerationSeconds.
    new_tols = _lst(spec, "tolerations")
    for old_tol in _lst(old_spec, "tolerations"):
        found = False
        for new_tol in new_tols:
            a = dict(old_tol) if isinstance(old_tol, dict) else {}
            b = dict(new_tol) if isinstance(new_tol, dict) else {}
            a.pop("tolerationSeconds", None)
            b.pop("tolerationSeconds", None)
            if _semantic_equal(a, b):
                found = True
                break
        if not found:
            errs.append(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
            break

    # Munge the allowed fields to the old values, then compare the rest.
    munged = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        olds = _lst(old_spec, key)
        for i, c in enumerate(_lst(munged, key)):
            if isinstance(c, dict) and i < len(olds) and isinstance(olds[i], dict):
                if "image" in olds[i]:
                    c["image"] = olds[i]["image"]
                else:
                    c.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations"):
        if key in old_spec:
            munged[key] = copy.deepcopy(old_spec[key])
        else:
            munged.pop(key, None)
    old_tgps = old_spec.get("terminationGracePeriodSeconds")
    if _is_int(old_tgps) and old_tgps < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_tgps
    if not _semantic_equal(munged, old_spec):
        errs.append(
            forbidden("spec", POD_UPDATE_FORBIDDEN_MESSAGE + "\n" + _spec_diff("core.PodSpec", old_spec, munged))
        )
    return errs


def _validate_pod(pod, old):
    errs = []
    if old is None:
        errs.extend(validate_object_meta(pod.get("metadata"), name_is_dns_subdomain))
    else:
        errs.extend(validate_object_meta_update(pod.get("metadata"), _d(old, "metadata")))
    errs.extend(validate_pod_spec(pod.get("spec")))
    if old is not None:
        errs.extend(_validate_pod_update(pod, old))
    return errs


# ---------------------------------------------------------------------------
# Validation: StatefulSets
# ---------------------------------------------------------------------------

STATEFULSET_UPDATE_FORBIDDEN_MESSAGE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
_STS_MUTABLE_SPEC_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_RETENTION_VALUES = ["Retain", "Delete"]


def _nonnegative(value, path):
    if _is_int(value) and value < 0:
        return [invalid(path, value, IS_NEGATIVE_MSG)]
    return []


def _percent_value(v):
    if isinstance(v, str) and not is_valid_percent(v):
        return int(v[:-1])
    return None


def _int_or_percent_value(v):
    p = _percent_value(v)
    if p is not None:
        return p
    if _is_int(v):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return 0


def _validate_max_unavailable(mu, path):
    errs = []
    shown = _intstr_repr(mu)
    if isinstance(mu, str):
        for msg in is_valid_percent(mu):
            errs.append(invalid(path, shown, msg))
    elif _is_int(mu):
        if mu < 0:
            errs.append(invalid(path, mu, IS_NEGATIVE_MSG))
    else:
        errs.append(invalid(path, shown, "must be an integer or percentage (e.g '5%')"))
    if _int_or_percent_value(mu) == 0:
        errs.append(invalid(path, shown, "cannot be 0"))
    pct = _percent_value(mu)
    if pct is not None and pct > 100:
        errs.append(invalid(path, shown, "must not be greater than 100%"))
    return errs


def _validate_statefulset_spec(spec, check_max_unavailable):
    spec = spec if isinstance(spec, dict) else {}
    errs = []
    p = "spec"

    pmp = spec.get("podManagementPolicy")
    if not pmp:
        errs.append(required(p + ".podManagementPolicy"))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(invalid(p + ".podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))

    strategy = _d(spec, "updateStrategy")
    stype = strategy.get("type")
    ru = strategy.get("rollingUpdate")
    if not stype:
        errs.append(required(p + ".updateStrategy"))
    elif stype == "OnDelete":
        if ru is not None:
            ru_shown = dict(ru) if isinstance(ru, dict) else {}
            if not check_max_unavailable:
                ru_shown.pop("maxUnavailable", None)
            errs.append(
                invalid(
                    p + ".updateStrategy.rollingUpdate",
                    GoRepr(_rolling_update_repr(ru_shown)),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    elif stype == "RollingUpdate":
        if isinstance(ru, dict):
            rp = p + ".updateStrategy.rollingUpdate"
            errs.extend(_nonnegative(ru.get("partition"), rp + ".partition"))
            if check_max_unavailable and ru.get("maxUnavailable") is not None:
                errs.extend(_validate_max_unavailable(ru["maxUnavailable"], rp + ".maxUnavailable"))
    else:
        errs.append(
            invalid(
                p + ".updateStrategy",
                GoRepr(_update_strategy_repr(strategy)),
                "must be 'RollingUpdate' or 'OnDelete'",
            )
        )

    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(policy, dict):
        for key in ("whenDeleted", "whenScaled"):
            val = policy.get(key)
            if val not in _RETENTION_VALUES:
                errs.append(
                    not_supported(
                        p + ".persistentVolumeClaimRetentionPolicy." + key,
                        val if isinstance(val, str) else "",
                        _RETENTION_VALUES,
                    )
                )

    errs.extend(_nonnegative(spec.get("replicas"), p + ".replicas"))
    errs.extend(_nonnegative(spec.get("minReadySeconds"), p + ".minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs.extend(_nonnegative(ordinals.get("start"), p + ".ordinals.start"))

    selector = spec.get("selector")
    parse_ok = True
    if not isinstance(selector, dict):
        errs.append(required(p + ".selector"))
    else:
        sel_errs, parse_ok = validate_label_selector(selector, p + ".selector")
        errs.extend(sel_errs)
        if selector_is_empty(selector):
            errs.append(
                invalid(
                    p + ".selector",
                    GoRepr(_label_selector_string(selector)),
                    "empty selector is invalid for statefulset",
                )
            )

    template = _d(spec, "template")
    tmeta = _d(template, "metadata")
    tlabels = tmeta.get("labels") if isinstance(tmeta.get("labels"), dict) else None
    if not parse_ok:
        errs.append(invalid(p + ".selector", GoRepr(_label_selector_string(selector)), ""))
    else:
        tp = p + ".template"
        # A nil selector selects nothing, so it never matches; an empty one
        # matches everything (and is rejected above).
        if selector is None or not selector_is_empty(selector):
            if selector is None or not selector_matches(selector, tlabels):
                errs.append(
                    invalid(
                        tp + ".metadata.labels",
                        GoRepr(go_map_repr(tlabels)),
                        "`selector` does not match template `labels`",
                    )
                )
        # The server validates template labels/annotations at these paths
        # (without "metadata").
        errs.extend(validate_labels(tlabels, tp + ".labels"))
        errs.extend(validate_annotations(tmeta.get("annotations"), tp + ".annotations"))
        if STATEFULSET_VALIDATES_POD_TEMPLATE:
            errs.extend(
                _validate_containers(
                    _lst(_d(template, "spec"), "containers"), tp + ".spec.containers", full=False
                )
            )

    tspec = _d(template, "spec")
    restart = tspec.get("restartPolicy")
    if restart != "Always":
        errs.append(
            not_supported(p + ".template.spec.restartPolicy", restart if isinstance(restart, str) else "", ["Always"])
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(p + ".template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported")
        )
    return errs


def _validate_statefulset(sts, old, maxunavailable_gate):
    errs = []
    check_mu = bool(maxunavailable_gate) or _uses_max_unavailable(old)
    if old is None:
        errs.extend(validate_object_meta(sts.get("metadata"), name_is_dns_label))
    else:
        errs.extend(validate_object_meta_update(sts.get("metadata"), _d(old, "metadata")))
    errs.extend(_validate_statefulset_spec(sts.get("spec"), check_mu))
    if old is not None:
        new_spec = dict(_d(sts, "spec"))
        old_spec = dict(_d(old, "spec"))
        for key in _STS_MUTABLE_SPEC_FIELDS:
            new_spec.pop(key, None)
            old_spec.pop(key, None)
        if not _semantic_equal(new_spec, old_spec):
            errs.append(forbidden("spec", STATEFULSET_UPDATE_FORBIDDEN_MESSAGE))
    return errs


# ---------------------------------------------------------------------------
# Validation: PersistentVolumeClaims
# ---------------------------------------------------------------------------

_ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_VOLUME_MODES = ["Block", "Filesystem"]
PVC_UPDATE_FORBIDDEN_MESSAGE = (
    "spec is immutable after creation except resources.requests and "
    "volumeAttributesClassName for bound claims"
)


def validate_pvc_spec(spec, path="spec"):
    spec = spec if isinstance(spec, dict) else {}
    errs = []
    modes = _lst(spec, "accessModes")
    if not modes:
        errs.append(required(path + ".accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            errs.append(not_supported(path + ".accessModes", mode, _ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes"))
    sel = spec.get("selector")
    if isinstance(sel, dict):
        errs.extend(validate_label_selector(sel, path + ".selector")[0])
    requests = _d(_d(spec, "resources"), "requests")
    storage_path = path + ".resources[storage]"
    if "storage" not in requests:
        errs.append(required(storage_path))
    else:
        qty = parse_quantity(requests["storage"])
        if qty is not None and qty <= 0:
            errs.append(invalid(storage_path, str(requests["storage"]), "must be greater than zero"))
    vm = spec.get("volumeMode")
    if vm is not None and vm not in _VOLUME_MODES:
        errs.append(not_supported(path + ".volumeMode", vm, _VOLUME_MODES))
    return errs


def _validate_pvc(pvc, old):
    errs = []
    if old is None:
        errs.extend(validate_object_meta(pvc.get("metadata"), name_is_dns_subdomain))
    else:
        errs.extend(validate_object_meta_update(pvc.get("metadata"), _d(old, "metadata")))
    errs.extend(validate_pvc_spec(pvc.get("spec")))
    if old is None:
        return errs

    new_spec = copy.deepcopy(_d(pvc, "spec"))
    old_spec = copy.deepcopy(_d(old, "spec"))
    # volumeName may be set once (the PV controller binds the claim).
    if not old_spec.get("volumeName"):
        if "volumeName" in new_spec:
            old_spec["volumeName"] = new_spec["volumeName"]
        else:
            old_spec.pop("volumeName", None)
    # A nil storageClassName may be set (retroactive default StorageClass).
    old_anns = _d(_d(old, "metadata"), "annotations")
    new_anns = _d(_d(pvc, "metadata"), "annotations")
    new_sc = new_spec.get("storageClassName")
    if (
        old_spec.get("storageClassName") is None
        and BETA_CLASS_ANNOTATION not in old_anns
        and isinstance(new_sc, str)
        and new_sc
        and (BETA_CLASS_ANNOTATION not in new_anns or new_anns[BETA_CLASS_ANNOTATION] == new_sc)
    ):
        old_spec["storageClassName"] = new_sc
    # The storage request may change, but only on a bound claim.
    bound = _d(pvc, "status").get("phase") == "Bound"
    new_requests = _d(_d(new_spec, "resources"), "requests")
    old_requests = _d(_d(old_spec, "resources"), "requests")
    if bound and new_requests:
        if "storage" in old_requests:
            new_requests["storage"] = old_requests["storage"]
        else:
            new_requests.pop("storage", None)
    if not _semantic_equal(new_spec, old_spec):
        errs.append(
            forbidden(
                "spec",
                PVC_UPDATE_FORBIDDEN_MESSAGE
                + "\n"
                + _spec_diff("core.PersistentVolumeClaimSpec", old_spec, new_spec),
            )
        )
    # RecoverVolumeExpansionFailure (beta, on by default from v1.32): a request may be lowered
    # (to recover from a failed expansion), but never to status.capacity or below
    old_size = parse_quantity(_d(_d(_d(old, "spec"), "resources"), "requests").get("storage"))
    new_size = parse_quantity(_d(_d(_d(pvc, "spec"), "resources"), "requests").get("storage"))
    capacity = parse_quantity(_d(_d(old, "status"), "capacity").get("storage"))
    if old_size is not None and new_size is not None and new_size < old_size:
        if capacity is None or new_size <= capacity:
            errs.append(forbidden("spec.resources.requests.storage",
                                  "field can not be less than status.capacity"))
    return errs


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def validate(resource, obj, old=None, maxunavailable_gate=False):
    """Validate ``obj`` (already defaulted) as the API server would on create
    (``old is None``) or update (``old`` is the stored object).

    Returns a list of cause dicts ``{"reason", "message", "field"}``, in the
    server's order; empty when the object is valid.
    """
    if not isinstance(obj, dict):
        return [required("metadata.name", "name or generateName is required")]
    res = _resource_name(resource)
    if old is not None and not isinstance(old, dict):
        old = None
    if res == "statefulsets":
        return _validate_statefulset(obj, old, maxunavailable_gate)
    if res == "pods":
        return _validate_pod(obj, old)
    if res == "persistentvolumeclaims":
        return _validate_pvc(obj, old)
    if old is None:
        return validate_object_meta(obj.get("metadata"), _name_fn(res))
    return validate_object_meta_update(obj.get("metadata"), _d(old, "metadata"))


def _cause_error_string(cause):
    field = cause.get("field") or ""
    message = cause.get("message") or ""
    return "%s: %s" % (field, message) if field else message


def invalid_status(kind, group, name, causes):
    """The 422 Status body kube-apiserver returns for a validation failure
    (``apierrors.NewInvalid``)."""
    qualified = "%s.%s" % (kind, group) if group else kind
    messages = []
    for cause in causes or []:
        msg = _cause_error_string(cause)
        if msg not in messages:
            messages.append(msg)
    message = "%s %s is invalid" % (qualified, go_quote(name or ""))
    if len(messages) == 1:
        message += ": " + messages[0]
    elif messages:
        message += ": [" + ", ".join(messages) + "]"
    details = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    if causes:
        details["causes"] = [
            {k: c[k] for k in ("reason", "message", "field") if c.get(k)} for c in causes
        ]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": details,
        "code": 422,
    }
