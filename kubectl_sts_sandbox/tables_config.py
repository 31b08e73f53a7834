"""Server-side Table columns and rows of Secrets, ConfigMaps, ServiceAccounts and
StorageClasses, as the v1.32 printers print them (pkg/printers/internalversion/printers.go:
printSecret NAME TYPE DATA AGE, printConfigMap NAME DATA AGE, printServiceAccount NAME SECRETS
AGE, printStorageClass NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION
AGE with " (default)" after the default class's name)."""

from __future__ import annotations

import datetime
from typing import Any, Optional

from kubectl_sts.k8s.humanreadable import as_dict, as_str, since
from kubectl_sts.k8s.storage import is_default

_NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, "
    "although some resources may allow a client to request the generation of an "
    "appropriate name automatically. Name is primarily intended for creation "
    "idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object "
    "was created. It is not guaranteed to be set in happens-before order across "
    "separate operations. Clients may not set this value. It is represented in "
    "RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
    "lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def _col(name: str, description: str, type_: str = "string", format_: str = "") -> dict:
    return {"name": name, "type": type_, "format": format_, "description": description,
            "priority": 0}


def _name() -> dict:
    return _col("Name", _NAME_DESC, format_="name")


def _age() -> dict:
    return _col("Age", _AGE_DESC)


COLUMNS = {
    "secrets": [_name(), _col("Type", "Used to facilitate programmatic handling of secret data."),
                _col("Data", "Data contains the secret data."), _age()],
    "configmaps": [_name(), _col("Data", "Data contains the configuration data."), _age()],
    "serviceaccounts": [_name(), _col("Secrets", "Secrets is a list of the secrets in the same "
                                      "namespace that pods running using this ServiceAccount "
                                      "are allowed to use."), _age()],
    "storageclasses": [
        _name(),
        _col("Provisioner", "provisioner indicates the type of the provisioner."),
        _col("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically "
                              "provisioned PersistentVolumes of this storage class."),
        _col("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims "
                                  "should be provisioned and bound."),
        _col("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class "
                                     "allow volume expand.", type_="boolean"),
        _age()],
}

Row = tuple[list[Any], Optional[list]]


def _secret_row(obj: dict, now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), as_str(obj.get("type")), len(as_dict(obj.get("data"))),
            since(meta.get("creationTimestamp"), now)], None


def _configmap_row(obj: dict, now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    count = len(as_dict(obj.get("data"))) + len(as_dict(obj.get("binaryData")))
    return [as_str(meta.get("name")), count, since(meta.get("creationTimestamp"), now)], None


def _serviceaccount_row(obj: dict, now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    return [as_str(meta.get("name")), len(obj.get("secrets") or []),
            since(meta.get("creationTimestamp"), now)], None


def _storageclass_row(obj: dict, now: datetime.datetime) -> Row:
    meta = as_dict(obj.get("metadata"))
    name = as_str(meta.get("name"))
    if is_default(obj):
        name += " (default)"
    return [name, as_str(obj.get("provisioner")), as_str(obj.get("reclaimPolicy")) or "Delete",
            as_str(obj.get("volumeBindingMode")) or "Immediate",
            bool(obj.get("allowVolumeExpansion")),
            since(meta.get("creationTimestamp"), now)], None


ROW_PRINTERS = {"secrets": _secret_row, "configmaps": _configmap_row,
                "serviceaccounts": _serviceaccount_row, "storageclasses": _storageclass_row}
