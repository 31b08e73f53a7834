"""Facts about StorageClasses and claims that the API server, its admission plugins and
every client agree on (pkg/volume/util/storageclass.go GetDefaultClass, v1helper
GetPersistentVolumeClaimClass)."""

from typing import Any, Dict, List, Optional

Obj = Dict[str, Any]
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def is_default(sc: Obj) -> bool:
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return annotations.get(DEFAULT_ANNOTATION) == "true" or \
        annotations.get(BETA_DEFAULT_ANNOTATION) == "true"


def default_class(classes: List[Obj]) -> Optional[Obj]:
    """The default class: the newest of those annotated as default; equal timestamps, the
    name that sorts first."""
    defaults = sorted((sc for sc in classes if is_default(sc)),
                      key=lambda sc: sc["metadata"]["name"])
    defaults.sort(key=lambda sc: sc["metadata"].get("creationTimestamp") or "", reverse=True)
    return defaults[0] if defaults else None


def class_of(claim: Obj) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName ("" for
    none)."""
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    if BETA_CLASS_ANNOTATION in annotations:
        return annotations[BETA_CLASS_ANNOTATION] or ""
    return (claim.get("spec") or {}).get("storageClassName") or ""


def storage_of(obj: Optional[Obj], *path: str) -> Optional[str]:
    """The string at `path` in `obj` (e.g. "status", "capacity", "storage"), or None."""
    for key in path:
        obj = (obj or {}).get(key)
    return obj if isinstance(obj, str) else None


def claim_request(claim: Obj) -> Optional[str]:
    return storage_of(claim, "spec", "resources", "requests", "storage")


def claim_capacity(claim: Obj) -> Optional[str]:
    return storage_of(claim, "status", "capacity", "storage")


# A claim's volume expansion (KEP-1790, RecoverVolumeExpansionFailure: beta and on in 1.32):
# status.allocatedResourceStatuses.storage (core/v1 types.go ClaimResourceStatus) and the
# resize conditions (PersistentVolumeClaimConditionType; resize_util.go knownResizeConditions)
CONTROLLER_RESIZE_IN_PROGRESS = "ControllerResizeInProgress"
CONTROLLER_RESIZE_INFEASIBLE = "ControllerResizeInfeasible"
NODE_RESIZE_PENDING = "NodeResizePending"
NODE_RESIZE_IN_PROGRESS = "NodeResizeInProgress"
NODE_RESIZE_INFEASIBLE = "NodeResizeInfeasible"
RESIZE_CONDITIONS = ("Resizing", "FileSystemResizePending", "ControllerResizeError",
                     "NodeResizeError")
