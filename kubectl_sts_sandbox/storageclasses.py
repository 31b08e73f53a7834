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

from kubectl_sts.k8s import storage as k8s_storage
from kubectl_sts.k8s.storage import BETA_CLASS_ANNOTATION, DEFAULT_ANNOTATION
from .resources import BY_KIND

SC = BY_KIND["StorageClass"]
PROVISIONER = "rancher.io/local-path"      # what the simulated provisioner answers to
# the CSI hostpath driver (kubernetes-csi/csi-driver-host-path): CSI volumes that can be
# snapshotted and restored (snapshots.py); its PVs carry spec.csi {driver, volumeHandle}
CSI_DRIVER = "hostpath.csi.k8s.io"
CSI_CLASS = "csi-hostpath"
Obj = dict[str, Any]


def initial_classes(reclaim_policy: str = "Delete") -> list[Obj]:
    """`standard` (the default, expandable), `fixed` (not expandable), `local`, and
    `csi-hostpath` (the CSI hostpath driver's, expandable, with snapshots): provisioned
    when the first pod using the claim is scheduled (WaitForFirstConsumer). `standard` and
    `fixed` make zonal volumes (PV node affinity on the node's topology.kubernetes.io/zone, as
    cloud disks); `local` pins the PV to the node (kubernetes.io/hostname, as local-path)."""
    common = {"provisioner": PROVISIONER, "reclaimPolicy": reclaim_policy,
              "volumeBindingMode": "WaitForFirstConsumer"}
    return [
        dict(common, metadata={"name": "standard",
                               "annotations": {DEFAULT_ANNOTATION: "true"}},
             allowVolumeExpansion=True),
        dict(common, metadata={"name": "fixed"}),
        # node-local volumes: the PV is pinned to the node the first pod ran on
        dict(common, metadata={"name": "local"}, parameters={"topology": "node"}),
        # CSI volumes with snapshots (the hostpath driver's example class, expandable; not
        # the default): zonal as `standard`
        dict(common, metadata={"name": CSI_CLASS}, provisioner=CSI_DRIVER,
             allowVolumeExpansion=True),
    ]


def apply_defaults(sc: Obj) -> None:
    if not sc.get("reclaimPolicy"):
        sc["reclaimPolicy"] = "Delete"
    if not sc.get("volumeBindingMode"):
        sc["volumeBindingMode"] = "Immediate"


def validate(sc: Obj, old: Optional[Obj]) -> list[dict[str, Any]]:
    from kubectl_sts.k8s.names import is_qualified_name
    from .validation.field import forbidden, invalid, not_supported, required
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


def default_class(store: Any) -> Optional[Obj]:
    return k8s_storage.default_class(store.list(SC)[0])


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
