"""Validation of PersistentVolumeClaims (``pkg/apis/core/validation``
ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimUpdate)."""

from __future__ import annotations

import copy
from typing import Any, Optional

from kubectl_sts.k8s.names import name_is_dns_subdomain
from kubectl_sts.k8s.quantity import quantity_value
from kubectl_sts.k8s.storage import BETA_CLASS_ANNOTATION
from ..untyped import dict_at, list_at
from .field import (Causes, GoRepr, forbidden, invalid, not_supported, required, semantic_equal,
                    spec_diff)
from .meta import validate_label_selector, validate_meta

_ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_VOLUME_MODES = ["Block", "Filesystem"]
PVC_UPDATE_FORBIDDEN_MESSAGE = (
    "spec is immutable after creation except resources.requests and "
    "volumeAttributesClassName for bound claims"
)


def validate_pvc_spec(spec: Any, path: str = "spec", allow_invalid_api_group: bool = False
                      ) -> Causes:
    spec = spec if isinstance(spec, dict) else {}
    errs: Causes = []
    modes = list_at(spec, "accessModes")
    if not modes:
        errs.append(required(path + ".accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            errs.append(not_supported(path + ".accessModes", mode, _ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(forbidden(path + ".accessModes",
                              "may not use ReadWriteOncePod with other access modes"))
    sel = spec.get("selector")
    if isinstance(sel, dict):
        errs.extend(validate_label_selector(sel, path + ".selector")[0])
    requests = dict_at(dict_at(spec, "resources"), "requests")
    storage_path = path + ".resources[storage]"
    if "storage" not in requests:
        errs.append(required(storage_path))
    else:
        qty = quantity_value(requests["storage"])
        if qty is not None and qty <= 0:
            errs.append(invalid(storage_path, str(requests["storage"]),
                                "must be greater than zero"))
    vm = spec.get("volumeMode")
    if vm is not None and vm not in _VOLUME_MODES:
        errs.append(not_supported(path + ".volumeMode", vm, _VOLUME_MODES))
    errs.extend(validate_data_sources(spec, path, allow_invalid_api_group))
    return errs


def validate_data_sources(spec: dict, path: str, allow_invalid_api_group: bool = False
                          ) -> Causes:
    """ValidatePersistentVolumeClaimSpec's data source rules (validateDataSource,
    validateDataSourceRef, and dataSource matching dataSourceRef: isDataSourceEqualDataSourceRef);
    `allow_invalid_api_group`: the old claim had an API group in either (update ratcheting,
    allowInvalidAPIGroupInDataSourceOrRef)."""
    from kubectl_sts.k8s.names import is_dns1123_label, is_dns1123_subdomain
    errs: Causes = []
    source, ref = spec.get("dataSource"), spec.get("dataSourceRef")
    for key, value in (("dataSource", source), ("dataSourceRef", ref)):
        if not isinstance(value, dict):
            continue
        here = "%s.%s" % (path, key)
        if not value.get("name"):
            errs.append(required(here + ".name"))
        if not value.get("kind"):
            errs.append(required(here + ".kind"))
        group = value.get("apiGroup") or ""
        if not group and value.get("kind") != "PersistentVolumeClaim":
            errs.append(invalid(here, value.get("kind") or "", "must be 'PersistentVolumeClaim' "
                                "when referencing the default apiGroup"))
        if group and not allow_invalid_api_group:
            for msg in is_dns1123_subdomain(group):
                errs.append(invalid(here + ".apiGroup", group, msg))
        namespace = value.get("namespace") if key == "dataSourceRef" else None
        if namespace:
            for msg in is_dns1123_label(namespace):
                errs.append(invalid(here + ".namespace", namespace, msg))
    if isinstance(ref, dict) and ref.get("namespace"):
        if isinstance(source, dict):
            errs.append(invalid(path, GoRepr(path + ".dataSource"),
                                "may not be specified when dataSourceRef.namespace is "
                                "specified"))
    elif isinstance(source, dict) and isinstance(ref, dict):
        if any(source.get(k) != ref.get(k) for k in ("apiGroup", "kind", "name")):
            errs.append(invalid(path, GoRepr(path + ".dataSource"), "must match dataSourceRef"))
    return errs


def normalize_data_sources(spec: dict, old_spec: Optional[dict] = None) -> None:
    """The claim strategy's PrepareForCreate (pkg/api/persistentvolumeclaim/util.go):
    EnforceDataSourceBackwardsCompatibility drops a dataSource that is neither a claim nor a
    snapshot.storage.k8s.io VolumeSnapshot (unless the old claim used one), then
    NormalizeDataSources (AnyVolumeDataSource, on in every release played) copies dataSource
    to a missing dataSourceRef, or dataSourceRef without namespace to a missing
    dataSource."""
    source = spec.get("dataSource")
    if isinstance(source, dict) and not isinstance((old_spec or {}).get("dataSource"), dict):
        kind, group = source.get("kind"), source.get("apiGroup") or ""
        if not ((kind == "PersistentVolumeClaim" and not group) or
                (kind == "VolumeSnapshot" and group == "snapshot.storage.k8s.io")):
            spec.pop("dataSource")
    source, ref = spec.get("dataSource"), spec.get("dataSourceRef")
    if isinstance(source, dict) and ref is None:
        spec["dataSourceRef"] = {k: source[k] for k in ("apiGroup", "kind", "name")
                                 if k in source}
    elif isinstance(ref, dict) and source is None and not ref.get("namespace"):
        spec["dataSource"] = {k: ref[k] for k in ("apiGroup", "kind", "name") if k in ref}


def validate_pvc(pvc: dict, old: Optional[dict], recover: bool = True) -> Causes:
    """`recover`: RecoverVolumeExpansionFailure (validation.go ValidatePersistentVolumeClaimUpdate
    with EnableRecoverFromExpansionFailure: off, a request can never go down)."""
    errs = validate_meta(pvc, old, name_is_dns_subdomain)
    old_spec = dict_at(old, "spec")
    errs.extend(validate_pvc_spec(pvc.get("spec"), allow_invalid_api_group=any(
        dict_at(old_spec, key).get("apiGroup") for key in ("dataSource", "dataSourceRef"))))
    if old is None:
        return errs

    new_spec = copy.deepcopy(dict_at(pvc, "spec"))
    old_spec = copy.deepcopy(dict_at(old, "spec"))
    # volumeName may be set once (the PV controller binds the claim).
    if not old_spec.get("volumeName"):
        if "volumeName" in new_spec:
            old_spec["volumeName"] = new_spec["volumeName"]
        else:
            old_spec.pop("volumeName", None)
    # A nil storageClassName may be set (retroactive default StorageClass).
    old_anns = dict_at(dict_at(old, "metadata"), "annotations")
    new_anns = dict_at(dict_at(pvc, "metadata"), "annotations")
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
    bound = dict_at(pvc, "status").get("phase") == "Bound"
    new_requests = dict_at(dict_at(new_spec, "resources"), "requests")
    old_requests = dict_at(dict_at(old_spec, "resources"), "requests")
    if bound and new_requests:
        if "storage" in old_requests:
            new_requests["storage"] = old_requests["storage"]
        else:
            new_requests.pop("storage", None)
    if not semantic_equal(new_spec, old_spec):
        errs.append(
            forbidden(
                "spec",
                PVC_UPDATE_FORBIDDEN_MESSAGE
                + "\n"
                + spec_diff("core.PersistentVolumeClaimSpec", old_spec, new_spec),
            )
        )
    # RecoverVolumeExpansionFailure (beta, on by default from v1.32): a request may be lowered
    # (to recover from a failed expansion), but never to status.capacity or below
    old_size = quantity_value(dict_at(dict_at(dict_at(old, "spec"), "resources"), "requests").get("storage"))
    new_size = quantity_value(dict_at(dict_at(dict_at(pvc, "spec"), "resources"), "requests").get("storage"))
    capacity = quantity_value(dict_at(dict_at(old, "status"), "capacity").get("storage"))
    if old_size is not None and new_size is not None and new_size < old_size:
        if not recover:
            errs.append(forbidden("spec.resources.requests.storage",
                                  "field can not be less than previous value"))
        elif capacity is None or new_size <= capacity:
            errs.append(forbidden("spec.resources.requests.storage",
                                  "field can not be less than status.capacity"))
    return errs
