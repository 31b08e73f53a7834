"""The snapshot kinds as the CustomResourceDefinitions kubernetes-csi/external-snapshotter
ships (client/config/crd/*.yaml, copied as JSON into openapi_v3/snapshot_crds.json by
tools/snapshot_crds.py): the CRD objects kube-apiserver serves under apiextensions.k8s.io/v1,
their printer columns (server-side Tables), the field schemas strict decoding and pruning
use (fields.py), and the validation of the openAPIV3Schema (types, required, enum, oneOf and
the CEL rules the CRDs carry).

Upstream: apiextensions-apiserver pkg/registry/customresource/tableconvertor (New,
ConvertToTable, cellForJSONValue: a `string` column printed by the JSONPath printer, other
types as the JSON value, `date` as the age, a path that finds nothing a null cell); the
status the apiextensions controllers write (NamesAccepted "no conflicts found",
Established "the initial names have been accepted"); the sandbox serves version v1 of each
kind alone (the group kinds' v1beta1 and v1beta2 are left out of the CRD objects too, so
the CRDs and discovery agree)."""

from __future__ import annotations

import copy
import datetime
import functools
import json
import pkgutil
import re
from typing import Any, Dict, List, Optional

from kubectl_sts.k8s.humanreadable import as_dict, human_duration, parse_timestamp

Obj = Dict[str, Any]
VERSION = "v1"
DATA = "openapi_v3/snapshot_crds.json"


@functools.lru_cache(maxsize=None)
def _document() -> Obj:
    data = pkgutil.get_data(__package__, DATA)
    result: Obj = json.loads(data.decode("utf-8")) if data else {"crds": []}
    return result


@functools.lru_cache(maxsize=None)
def by_plural() -> Dict[str, Obj]:
    """plural -> the CRD as shipped (every version)."""
    return {crd["spec"]["names"]["plural"]: crd for crd in _document()["crds"]}


def _version(plural: str) -> Obj:
    for version in by_plural()[plural]["spec"]["versions"]:
        if version["name"] == VERSION:
            return version
    raise KeyError(plural)


def schema(plural: str) -> Obj:
    """The openAPIV3Schema of the kind's v1."""
    result: Obj = _version(plural)["schema"]["openAPIV3Schema"]
    return result


def crd_object(plural: str, stamp: str) -> Obj:
    """The CustomResourceDefinition object of the kind, as served once established: v1 alone,
    the stored version, with the status the apiextensions controllers write."""
    crd = copy.deepcopy(by_plural()[plural])
    version = copy.deepcopy(_version(plural))
    version.update(served=True, storage=True)
    version.pop("deprecated", None)
    version.pop("deprecationWarning", None)
    crd["spec"]["versions"] = [version]
    crd["spec"].setdefault("conversion", {"strategy": "None"})
    names = dict(crd["spec"]["names"])
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": stamp,
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": stamp,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "storedVersions": [VERSION]}
    crd.pop("apiVersion", None)
    crd.pop("kind", None)
    return crd


# -- Tables (tableconvertor) ------------------------------------------------------------------
_NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, "
              "although some resources may allow a client to request the generation of an "
              "appropriate name automatically. Name is primarily intended for creation "
              "idempotence and configuration definition. Cannot be updated. More info: "
              "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")


def table_columns(plural: str) -> List[Obj]:
    """New: Name, then each additionalPrinterColumn (a missing description: `Custom resource
    definition column (in JSONPath format): PATH`)."""
    out = [{"name": "Name", "type": "string", "format": "name", "description": _NAME_DESC,
            "priority": 0}]
    for col in _version(plural).get("additionalPrinterColumns") or []:
        out.append({"name": col["name"], "type": col["type"], "format": col.get("format", ""),
                    "description": col.get("description") or
                    "Custom resource definition column (in JSONPath format): %s"
                    % col["jsonPath"],
                    "priority": col.get("priority", 0)})
    return out


def _find(obj: Any, path: str) -> Any:
    """A simple JSONPath (`.status.readyToUse`) with missing keys allowed: None if absent."""
    value = obj
    for key in [k for k in path.split(".") if k]:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _go_print(value: Any) -> str:
    """The JSONPath printer's text of a value (fmt %v of the decoded JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def table_row(plural: str, obj: Obj, now: datetime.datetime) -> List[Any]:
    """ConvertToTable's cells of one object."""
    cells: List[Any] = [as_dict(obj.get("metadata")).get("name", "")]
    for col in _version(plural).get("additionalPrinterColumns") or []:
        value = _find(obj, col["jsonPath"])
        kind = col["type"]
        if value is None:
            cells.append(None)
        elif kind == "string":
            cells.append(_go_print(value))
        elif kind == "integer":
            cells.append(int(value) if isinstance(value, (int, float))
                         and not isinstance(value, bool) else None)
        elif kind == "boolean":
            cells.append(value if isinstance(value, bool) else None)
        elif kind == "date":
            when = parse_timestamp(value) if isinstance(value, str) else None
            cells.append("<invalid>" if when is None else
                         human_duration((now - when).total_seconds()))
        else:
            cells.append(value)
    return cells


# -- field schemas for strict decoding (fields.py) --------------------------------------------
def field_schemas() -> Dict[str, Dict[str, Any]]:
    """fields.SCHEMAS entries of every kind: `Kind` and `Kind.path.to.object` names; a map
    (additionalProperties) or a field preserving unknown fields is not looked into."""
    out: Dict[str, Dict[str, Any]] = {}
    for plural, crd in by_plural().items():
        kind = crd["spec"]["names"]["kind"]
        _field_schema(schema(plural), kind, out, top=True)
    return out


def _field_schema(node: Obj, name: str, out: Dict[str, Dict[str, Any]], top: bool = False) -> Any:
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        inner = _field_schema(node["items"], name + "[]", out)
        return [inner] if isinstance(inner, str) else None
    props = node.get("properties")
    if node.get("type") != "object" or not isinstance(props, dict) or \
            node.get("x-kubernetes-preserve-unknown-fields"):
        return None
    entry: Dict[str, Any] = {}
    for key, sub in props.items():
        if top and key == "metadata":
            entry[key] = "ObjectMeta"
        else:
            entry[key] = _field_schema(sub, "%s.%s" % (name, key), out)
    out[name] = entry
    return name


# -- validation of the openAPIV3Schema ---------------------------------------------------------
_TYPES = {"string": (str,), "boolean": (bool,), "object": (dict,), "array": (list,),
          "integer": (int,), "number": (int, float)}
_HAS_ONCE = re.compile(r"^!has\(oldSelf\.(\w+)\) \|\| has\(self\.(\w+)\)$")
_ONE_OF = re.compile(r"^\(has\(self\.(\w+)\) && !has\(self\.(\w+)\)\) \|\| "
                     r"\(!has\(self\.\1\) && has\(self\.\2\)\)$")
_BOTH = re.compile(r"^has\(self\.(\w+)\) && has\(self\.(?:__)?(\w+?)(?:__)?\)$")


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def validate(plural: str, obj: Obj, old: Optional[Obj]) -> List[Obj]:
    """The causes of the schema's errors (none: valid). Metadata, apiVersion and kind are the
    API server's (validated elsewhere); status is left alone, as only the status subresource
    writes it and the schemas of status carry no rule the sandbox's writers break."""
    from .validation.field import invalid, required
    causes: List[Obj] = []
    root = schema(plural)

    def walk(node: Obj, value: Any, prior: Any, path: str) -> None:
        if value is None:
            return
        want = node.get("type")
        int_or_string = node.get("x-kubernetes-int-or-string")
        if int_or_string:
            ok = isinstance(value, (int, str)) and not isinstance(value, bool)
        elif want in _TYPES:
            ok = isinstance(value, _TYPES[want]) and not (
                want in ("integer", "number") and isinstance(value, bool))
        else:
            ok = True
        if not ok:
            causes.append(invalid(path, _go_type(value), "%s in body must be of type %s: \"%s\""
                                  % (path, want, _go_type(value))))
            return
        if "enum" in node and value not in node["enum"]:
            from .validation.field import not_supported
            causes.append(not_supported(path, value, [str(v) for v in node["enum"]]))
        if isinstance(value, dict):
            for key in node.get("required") or []:
                if key not in value:
                    causes.append(required("%s.%s" % (path, key) if path else key))
            options = node.get("oneOf") or []
            if options and sum(1 for o in options
                               if all(k in value for k in o.get("required") or [])) != 1:
                causes.append(_one_of(path))
            for key, sub in (node.get("properties") or {}).items():
                if key in value and not (path == "" and key in ("metadata", "status")):
                    walk(sub, value[key], prior.get(key) if isinstance(prior, dict) else None,
                         "%s.%s" % (path, key) if path else key)
        for rule in node.get("x-kubernetes-validations") or []:
            message = _rule_fails(rule.get("rule", ""), value, prior)
            if message:
                causes.append(invalid(path, _go_type(value), rule.get("message") or message))

    walk(root, obj, old, "")
    return causes


def _one_of(path: str) -> Obj:
    from .validation.field import invalid
    return invalid(path, "object", "%s in body must validate one and only one schema (oneOf)"
                   % path)


def _rule_fails(rule: str, value: Any, prior: Any) -> Optional[str]:
    """The CEL rules of the snapshot CRDs, evaluated (a rule not recognised passes);
    transition rules (oldSelf) only on update, when the old value exists."""
    if rule == "self == oldSelf":
        return "failed rule: " + rule if prior is not None and value != prior else None
    if rule == "size(self) > 0":
        return "failed rule: " + rule if not value else None
    match = _HAS_ONCE.match(rule)
    if match:
        if isinstance(prior, dict) and match.group(1) in prior and \
                not (isinstance(value, dict) and match.group(2) in value):
            return "failed rule: " + rule
        return None
    match = _ONE_OF.match(rule)
    if match:
        present = [isinstance(value, dict) and match.group(i) in value for i in (1, 2)]
        return "failed rule: " + rule if sum(present) != 1 else None
    match = _BOTH.match(rule)
    if match:
        if not (isinstance(value, dict) and match.group(1) in value and match.group(2) in value):
            return "failed rule: " + rule
    return None
