"""The group snapshot controller for VolumeGroupSnapshot (groupsnapshot.storage.k8s.io/v1,
served from 1.36): its default class for the CSI hostpath driver. The group snapshot flow
itself is not simulated yet: group snapshots stay without status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from . import storageclasses
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType

Obj = Dict[str, Any]
VGSCLASS = BY_KIND["VolumeGroupSnapshotClass"]
DEFAULT_CLASS_ANNOTATION = "groupsnapshot.storage.kubernetes.io/is-default-class"
CLASS_NAME = "csi-hostpath-groupsnapclass"


class GroupSnapshots:
    def __init__(self, snapshots: Any) -> None:
        self.snapshots = snapshots
        self.store = snapshots.store

    def install(self) -> None:
        self.store.create(VGSCLASS, {
            "metadata": {"name": CLASS_NAME,
                         "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
            "driver": storageclasses.CSI_DRIVER, "deletionPolicy": "Delete"}, internal=True)

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        return None

    def step(self, now: float) -> None:
        return None

    def is_member(self, snapshot: Obj) -> bool:
        return False

    def is_member_content(self, content: Obj) -> bool:
        return False
