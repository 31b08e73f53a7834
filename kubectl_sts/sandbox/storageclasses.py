"""storage.k8s.io/v1 StorageClasses: the classes the sandbox starts with, their defaults and
validation, and the DefaultStorageClass admission plugin.

- SetDefaults_StorageClass (pkg/apis/storage/v1/defaults.go): reclaimPolicy Delete,
  volumeBindingMode Immediate.
- ValidateStorageClass / ValidateStorageClassUpdate (pkg/apis/storage/validation):
  provisioner required; reclaimPolicy Delete or Retain; volumeBindingMode Immediate or
  WaitForFirstConsumer; parameters, provisioner and reclaimPolicy "updates to X are
  forbidden.", volumeBindingMode immutable.
- plugin/pkg/admission/storage/storageclass/setdefault Admit: a new claim without
  storageClassName (nil, not "") gets the default class; GetDefaultClass (pkg/volume/util
  storageclass.go) picks among the classes annotated is-default-class "true" the newest
  (then the name first in order).
"""

from __future__ import annotations

from typing import Any, Optional

from .resources import BY_KIND

SC = BY_KIND["StorageClass"]
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
PROVISIONER = "rancher.io/local-path"      # what the simulated provisioner answers to
Obj = dict[str, Any]


def initial_classes(reclaim_policy: str = "Delete") -> list[Obj]:
    """`standard` (the default, expandable) and `fixed` (not expandable): both provisioned
    by the sandbox's local-path provisioner when the first pod using the claim is scheduled
    (WaitForFirstConsumer, as kind's `standard` class)."""
    common = {"provisioner": PROVISIONER, "reclaimPolicy": reclaim_policy,
              "volumeBindingMode": "WaitForFirstConsumer"}
    return [
        dict(common, metadata={"name": "standard",
                               "annotations": {DEFAULT_ANNOTATION: "true"}},
             allowVolumeExpansion=True),
        dict(common, metadata={"name": "fixed"}),
    ]


def apply_defaults(sc: Obj) -> None:
    if not sc.get("reclaimPolicy"):
        sc["reclaimPolicy"] = "Delete"
    if not sc.get("volumeBindingMode"):
        sc["volumeBindingMode"] = "Immediate"


def validate(sc: Obj, old: Optional[Obj]) -> list[dict[str, Any]]:
    from ..k8s.names import is_qualified_name
    from .validation import forbidden, invalid, not_supported, required
    out = []
    provisioner = sc.get("provisioner")
    if not provisioner:
        out.append(required("provisioner"))
    elif isinstance(provisioner, str):
        for msg in is_qualified_name(provisioner.lower()):
            out.append(invalid("provisioner", provisioner, msg))
    policy = sc.get("reclaimPolicy")
    if policy not in ("Delete", "Retain"):
        out.append(not_supported("reclaimPolicy", policy, ["Delete", "Retain"]))
    mode = sc.get("volumeBindingMode")
    if mode not in ("Immediate", "WaitForFirstConsumer"):
        out.append(not_supported("volumeBindingMode", mode, ["Immediate",
                                                             "WaitForFirstConsumer"]))
    if old is not None:
        if (sc.get("parameters") or {}) != (old.get("parameters") or {}):
            out.append(forbidden("parameters", "updates to parameters are forbidden."))
        if sc.get("provisioner") != old.get("provisioner"):
            out.append(forbidden("provisioner", "updates to provisioner are forbidden."))
        if sc.get("reclaimPolicy") != old.get("reclaimPolicy"):
            out.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        if sc.get("volumeBindingMode") != old.get("volumeBindingMode"):
            out.append(invalid("volumeBindingMode", sc.get("volumeBindingMode"),
                               "field is immutable"))
    return out


def is_default(sc: Obj) -> bool:
    annotations = sc["metadata"].get("annotations") or {}
    return annotations.get(DEFAULT_ANNOTATION) == "true" or \
        annotations.get(BETA_DEFAULT_ANNOTATION) == "true"


def default_class(store: Any) -> Optional[Obj]:
    classes, _ = store.list(SC)
    defaults = [sc for sc in classes if is_default(sc)]
    if not defaults:
        return None
    # newest first; equal timestamps: the name that sorts first
    defaults.sort(key=lambda sc: sc["metadata"]["name"])
    defaults.sort(key=lambda sc: sc["metadata"].get("creationTimestamp") or "", reverse=True)
    return defaults[0]


def admit_claim(store: Any, claim: Obj) -> None:
    """DefaultStorageClass: only a claim with no class at all (not "") gets the default."""
    spec = claim.setdefault("spec", {})
    if spec.get("storageClassName") is not None:
        return
    if BETA_CLASS_ANNOTATION in (claim["metadata"].get("annotations") or {}):
        return
    default = default_class(store)
    if default is not None:
        spec["storageClassName"] = default["metadata"]["name"]


def class_of(claim: Obj) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName."""
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_CLASS_ANNOTATION in annotations:
        return annotations[BETA_CLASS_ANNOTATION] or ""
    return (claim.get("spec") or {}).get("storageClassName") or ""
