"""Validation for the simulated Kubernetes API server: the field errors kube-apiserver v1.32
reports for an object after defaulting (defaulting.py), and the 422 Status it answers with.

* :func:`validate` returns the field errors the server's validation would report, as
  ``StatusCause`` dicts (``reason`` / ``message`` / ``field``; field.py builds them).
* :func:`invalid_status` builds the 422 ``Status`` body the server answers with when there
  are such errors: ``<Kind>.<group> "<name>" is invalid: <field>: <message>``, with several
  distinct errors wrapped as ``[e1, e2]``.

By what they validate: meta.py (object metadata, labels, annotations, label selectors),
pods.py (pod specs and pod updates), statefulsets.py, claims.py (PersistentVolumeClaims).
Objects are plain JSON-compatible dicts keyed by the API's camelCase field names; nothing
here changes them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from kubectl_sts.k8s.gostrings import go_quote
from ..untyped import resource_name
from .claims import validate_pvc
from .field import Cause, Causes, required
from .meta import name_func, validate_meta
from .pods import validate_pod
from .rbac import RBAC_RESOURCES, validate_rbac
from .statefulsets import validate_statefulset

__all__ = ["validate", "invalid_status"]


def validate(resource: str, obj: Any, old: Optional[dict] = None,
             maxunavailable_gate: bool = False,
             gates: Optional[Mapping[str, bool]] = None) -> Causes:
    """Validate ``obj`` (already defaulted) as the API server would on create
    (``old is None``) or update (``old`` is the stored object). ``gates``: the
    feature gates in force (versions.FeatureGates.as_dict(); absent ones take
    their newest default).

    Returns a list of cause dicts ``{"reason", "message", "field"}``, in the
    server's order; empty when the object is valid.
    """
    if not isinstance(obj, dict):
        return [required("metadata.name", "name or generateName is required")]
    res = resource_name(resource)
    if old is not None and not isinstance(old, dict):
        old = None
    if res == "statefulsets":
        return validate_statefulset(obj, old, maxunavailable_gate,
                                    recreate=bool((gates or {}).get("StatefulSetRecreateStrategy")))
    if res == "pods":
        return validate_pod(obj, old)
    if res in RBAC_RESOURCES:
        return validate_rbac(res, obj, old)
    if res == "persistentvolumeclaims":
        return validate_pvc(obj, old, recover=(gates or {}).get("RecoverVolumeExpansionFailure",
                                                               True))
    return validate_meta(obj, old, name_func(res))


def _cause_error_string(cause: Cause) -> str:
    field = cause.get("field") or ""
    message = cause.get("message") or ""
    return "%s: %s" % (field, message) if field else message


def invalid_status(kind: str, group: str, name: str,
                   causes: Optional[List[Cause]]) -> Dict[str, Any]:
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
    details: Dict[str, Any] = {}
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
