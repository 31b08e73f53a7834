"""Secrets, ConfigMaps and ServiceAccounts as a v1.32 API server stores and validates them.

- Secret `data` and ConfigMap `binaryData` are []byte in Go: JSON carries them as base64, and
  a value that is not base64 fails decoding (400 "... cannot be handled as a Secret: illegal
  base64 data at input byte N", encoding/base64 CorruptInputError) before any validation.
  They are stored re-encoded (canonical base64).
- Secret `stringData` is write-only: the v1 conversion merges it into `data` (its keys win)
  and the field is never stored (k8s.io/api core/v1 types.go, Secret.StringData; internal
  conversion Convert_v1_Secret_To_core_Secret).
- SetDefaults_Secret: `type` Opaque.
- pkg/apis/core/validation ValidateSecret / ValidateConfigMap: keys are config keys, the total
  size is at most 1 MiB; ValidateSecretUpdate / ValidateConfigMapUpdate: `type` is immutable
  and, once `immutable: true` is stored, `immutable`, `data` (and `binaryData`) are Forbidden
  to change.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Optional

from . import errors

MAX_SECRET_SIZE = 1024 * 1024       # corev1.MaxSecretSize
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_B64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
IMMUTABLE_DETAIL = "field is immutable when `immutable` is set"

Obj = dict[str, Any]
Cause = dict[str, Any]


def base64_error_offset(text: str) -> Optional[int]:
    """Where Go's base64.StdEncoding.DecodeString reports a CorruptInputError in `text` (None:
    it decodes). Newlines are skipped, padding is required."""
    data = text.encode("utf-8", "surrogatepass")
    n, i = len(data), 0
    while True:
        j = 0
        while j < 4:
            while i < n and data[i] in (10, 13):
                i += 1
            if i == n:
                return None if j == 0 else i - j
            c = data[i]
            i += 1
            if c in _B64:
                j += 1
                continue
            if c != 61 or j < 2:                # "=" only as the 3rd or 4th character
                return i - 1
            if j == 2:                          # "xx=" needs a second "="
                while i < n and data[i] in (10, 13):
                    i += 1
                if i == n:
                    return n
                if data[i] != 61:
                    return i - 1
                i += 1
            while i < n and data[i] in (10, 13):
                i += 1
            return i if i < n else None         # nothing may follow the padding


def _decode_bytes_map(obj: Obj, field: str, kind: str) -> None:
    values = obj.get(field)
    if values is None:
        return
    if not isinstance(values, dict):
        raise errors.bad_request('%s in version "v1" cannot be handled as a %s: json: cannot '
                                 'unmarshal %s into Go struct field %s.%s of type '
                                 'map[string][]uint8' % (kind, kind, type(values).__name__,
                                                         kind, field))
    for key in values:
        value = values[key]
        if value is None:
            values[key] = ""
            continue
        if not isinstance(value, str):
            raise errors.bad_request('%s in version "v1" cannot be handled as a %s: json: '
                                     'cannot unmarshal number into Go struct field %s.%s of '
                                     'type []uint8' % (kind, kind, kind, field))
        offset = base64_error_offset(value)
        if offset is not None:
            raise errors.bad_request('%s in version "v1" cannot be handled as a %s: illegal '
                                     'base64 data at input byte %d' % (kind, kind, offset))
        try:
            raw = base64.b64decode(value.replace("\n", "").replace("\r", ""))
        except (binascii.Error, ValueError) as exc:
            raise errors.bad_request('%s in version "v1" cannot be handled as a %s: illegal '
                                     'base64 data at input byte 0' % (kind, kind)) from exc
        values[key] = base64.b64encode(raw).decode()


def prepare_secret(secret: Obj) -> None:
    """Decoding and defaulting of a Secret body: base64 check, stringData into data, type."""
    _decode_bytes_map(secret, "data", "Secret")
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value or "").encode()).decode()
    if not secret.get("type"):
        secret["type"] = "Opaque"


def prepare_configmap(cm: Obj) -> None:
    _decode_bytes_map(cm, "binaryData", "ConfigMap")


def _cause(reason: str, field: str, message: str) -> Cause:
    return {"reason": reason, "field": field, "message": message}


def _key_causes(values: Any, path: str) -> list[Cause]:
    from kubectl_sts.k8s.gostrings import go_quote
    out: list[Cause] = []
    if not isinstance(values, dict):
        return out
    for key in sorted(values):
        problems = []
        if len(key) > 253:
            problems.append("must be no more than 253 characters")
        if not _CONFIG_KEY.match(key):
            problems.append("a valid config key must consist of alphanumeric characters, '-', "
                            "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
                            "regex used for validation is '[-._a-zA-Z0-9]+')")
        if key in (".", ".."):
            problems.append("must not be '.'" if key == "." else "must not be '..'")
        elif key.startswith(".."):
            problems.append("must not start with '..'")
        for problem in problems:
            out.append(_cause("FieldValueInvalid", "%s[%s]" % (path, key),
                              "Invalid value: %s: %s" % (go_quote(key), problem)))
    return out


def _size(values: Any, decoded: bool) -> int:
    if not isinstance(values, dict):
        return 0
    total = 0
    for value in values.values():
        text = value or ""
        total += len(base64.b64decode(text)) if decoded else len(text.encode())
    return total


def _too_large() -> Cause:
    return _cause("FieldValueTooLong", "", "Too long: must have at most %d bytes"
                  % MAX_SECRET_SIZE)


def _immutable_causes(obj: Obj, old: Obj, fields: tuple[str, ...]) -> list[Cause]:
    out = []
    if old.get("immutable") is True:
        if obj.get("immutable") is not True:
            out.append(_cause("FieldValueForbidden", "immutable",
                              "Forbidden: " + IMMUTABLE_DETAIL))
        for field in fields:
            if (obj.get(field) or {}) != (old.get(field) or {}):
                out.append(_cause("FieldValueForbidden", field,
                                  "Forbidden: " + IMMUTABLE_DETAIL))
    return out


def validate_secret(secret: Obj, old: Optional[Obj]) -> list[Cause]:
    out: list[Cause] = []
    if old is not None:
        if secret.get("type") != old.get("type"):
            from .validation.field import invalid
            out.append(invalid("type", secret.get("type"), "field is immutable"))
        out.extend(_immutable_causes(secret, old, ("data",)))
    data = secret.get("data")
    out.extend(_key_causes(data, "data"))
    if _size(data, True) > MAX_SECRET_SIZE:
        out.append(_too_large())
    out.extend(_typed_secret_causes(secret))
    return out


_TYPED_SECRET_KEYS: dict[Any, tuple[str, ...]] = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",)}


def _typed_secret_causes(secret: Obj) -> list[Cause]:
    """The per-type required keys of ValidateSecret (the common types)."""
    data = secret.get("data") or {}
    required = _TYPED_SECRET_KEYS.get(secret.get("type"), ())
    return [_cause("FieldValueRequired", "data[%s]" % key, "Required value")
            for key in required if key not in data]


def validate_configmap(cm: Obj, old: Optional[Obj]) -> list[Cause]:
    from kubectl_sts.k8s.gostrings import go_quote
    out: list[Cause] = []
    if old is not None:
        out.extend(_immutable_causes(cm, old, ("data", "binaryData")))
    data, binary = cm.get("data"), cm.get("binaryData")
    out.extend(_key_causes(data, "data"))
    if isinstance(data, dict) and isinstance(binary, dict):
        for key in sorted(set(data) & set(binary)):
            out.append(_cause("FieldValueInvalid", "data[%s]" % key, "Invalid value: %s: "
                              "duplicate of key present in binaryData" % go_quote(key)))
    out.extend(_key_causes(binary, "binaryData"))
    if _size(data, False) + _size(binary, True) > MAX_SECRET_SIZE:
        out.append(_too_large())
    return out
