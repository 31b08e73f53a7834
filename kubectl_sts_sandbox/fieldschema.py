"""The structural schema server-side apply merges with, derived from the OpenAPI v3 documents
the sandbox serves (openapi.py): per field, whether it is a scalar, a struct, a map or a list,
and for lists and maps how their items merge.

Upstream: k8s.io/kube-openapi pkg/schemaconv/openapi.go and smd.go (`ToSchemaFromOpenAPI`,
`convert.makeListType`/`getListElementRelationship`, `getMapElementRelationship`): a list's
relationship is `x-kubernetes-list-type` (`atomic`, `set`, `map` with
`x-kubernetes-list-map-keys`); without it, `x-kubernetes-patch-strategy: merge` with
`x-kubernetes-patch-merge-key` makes it associative on that key (a merge strategy without a
key, a set); any other list is atomic. A struct or map is granular unless
`x-kubernetes-map-type: atomic` (on the schema or the property). A value whose schema is
unknown is "deduced" (structured-merge-diff v4 schema/elements.go `DeduceType`): maps are
granular, lists atomic. A key field an item omits takes its schema `default`
(structured-merge-diff typed/helpers.go `keyedAssociativeListItemToPathElement`).

`zero` marks properties whose Go type is a non-pointer struct (openapi-gen publishes them with
`"default": {}`): the API server's typed objects always carry them, which decides whether an
Update's field set holds their own path (`.`) — see managedfields.py.

Types are compiled once per schema name and cached (`type_of` per kind)."""

import functools
import json
from typing import Any, Dict, Mapping, Optional, Tuple

from . import openapi
from .resources import SNAPSHOT_GROUPS

SCALAR, STRUCT, LIST, DEDUCED = "scalar", "struct", "list", "deduced"
ATOMIC, SET, ASSOC = "atomic", "set", "map"


class TypeNode:
    """One node of the structural schema. `kind`: scalar, struct (declared `fields`, and
    `elem` for the values of other keys when the map has additionalProperties), list
    (`relation` atomic/set/map, `keys`, item type `elem`) or deduced."""
    __slots__ = ("kind", "fields", "elem", "atomic", "relation", "keys", "key_defaults", "zero")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.fields: Dict[str, "TypeNode"] = {}
        self.elem: Optional["TypeNode"] = None
        self.atomic = False
        self.relation = ATOMIC
        self.keys: Tuple[str, ...] = ()
        self.key_defaults: Dict[str, Any] = {}
        self.zero: Tuple[str, ...] = ()     # struct fields that are non-pointer Go structs

    def child(self, name: str) -> "TypeNode":
        """The type of a struct or map member (deduced for an undeclared one)."""
        found = self.fields.get(name)
        if found is not None:
            return found
        return self.elem if self.elem is not None else DEDUCED_TYPE


DEDUCED_TYPE = TypeNode(DEDUCED)
SCALAR_TYPE = TypeNode(SCALAR)


class _Compiler:
    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas
        self.done: Dict[str, TypeNode] = {}

    def named(self, name: str) -> TypeNode:
        if name in self.done:
            return self.done[name]
        schema = self.schemas.get(name)
        if schema is None:
            return DEDUCED_TYPE
        node = TypeNode(STRUCT)
        self.done[name] = node          # recursive schemas (JSONSchemaProps) resolve to it
        built = self.build(schema, {})
        for slot in TypeNode.__slots__:
            setattr(node, slot, getattr(built, slot))
        return node

    def build(self, schema: Mapping[str, Any], outer: Mapping[str, Any]) -> TypeNode:
        ref = schema.get("$ref")
        if ref is None and schema.get("allOf") and len(schema["allOf"]) == 1:
            ref = schema["allOf"][0].get("$ref")
        if ref:
            base = self.named(ref.rsplit("/", 1)[-1])
            if (schema.get("x-kubernetes-map-type") or outer.get("x-kubernetes-map-type")) \
                    == "atomic" and base.kind == STRUCT and not base.atomic:
                copy = TypeNode(STRUCT)
                for slot in TypeNode.__slots__:
                    setattr(copy, slot, getattr(base, slot))
                copy.atomic = True
                return copy
            return base
        typ = schema.get("type")
        if typ == "array":
            node = TypeNode(LIST)
            node.elem = self.build(schema.get("items") or {}, {})
            list_type = schema.get("x-kubernetes-list-type")
            if list_type is None:
                strategy = schema.get("x-kubernetes-patch-strategy") or ""
                if "merge" in strategy.split(","):
                    key = schema.get("x-kubernetes-patch-merge-key")
                    list_type = "map" if key else "set"
                    if key:
                        node.keys = (key,)
                else:
                    list_type = ATOMIC
            elif list_type == "map":
                node.keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
            node.relation = list_type if list_type in (ATOMIC, SET, ASSOC) else ATOMIC
            if node.relation == ASSOC and node.elem is not None and node.elem.kind == STRUCT:
                node.key_defaults = self._key_defaults(schema.get("items") or {}, node.keys)
            return node
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if typ == "object" or props is not None or extra is not None:
            if props is None and not isinstance(extra, Mapping):
                return DEDUCED_TYPE if typ == "object" and not schema.get(
                    "x-kubernetes-map-type") else _atomic_deduced()
            node = TypeNode(STRUCT)
            zero = []
            for name, prop in (props or {}).items():
                node.fields[name] = self.build(prop, prop)
                if prop.get("default") == {} and (prop.get("allOf") or prop.get("$ref")):
                    zero.append(name)
            node.zero = tuple(zero)
            if isinstance(extra, Mapping):
                node.elem = self.build(extra, {})
            node.atomic = schema.get("x-kubernetes-map-type") == "atomic"
            return node
        return SCALAR_TYPE

    def _key_defaults(self, items: Mapping[str, Any], keys: Tuple[str, ...]) -> Dict[str, Any]:
        ref = items.get("$ref") or ((items.get("allOf") or [{}])[0].get("$ref"))
        schema = self.schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else items
        props = schema.get("properties") or {}
        return {k: props[k]["default"] for k in keys if "default" in (props.get(k) or {})}


def _atomic_deduced() -> TypeNode:
    node = TypeNode(STRUCT)
    node.atomic = True
    return node


def _document(group: str, version: str) -> Optional[Mapping[str, Any]]:
    """The OpenAPI v3 document of a group/version: the published one, or for the CRDs the
    sandbox installs (the snapshot groups) the one built from their schemas (crdopenapi.py),
    every version they define; None when there is none."""
    if group in SNAPSHOT_GROUPS:
        from . import crdopenapi
        plurals = crdopenapi.served_plurals(group, version, lambda plural, sub: True)
        if plurals is None:
            return None
        doc: Mapping[str, Any] = json.loads(crdopenapi.document_bytes(group, version,
                                                                     tuple(plurals)))
        return doc
    try:
        return openapi._published(group, version)
    except OSError:
        return None


@functools.lru_cache(maxsize=None)
def _compiler(group: str, version: str) -> Optional[_Compiler]:
    doc = _document(group, version)
    if doc is None:
        return None
    return _Compiler((doc.get("components") or {}).get("schemas") or {})


@functools.lru_cache(maxsize=None)
def type_of(group: str, version: str, kind: str) -> TypeNode:
    """The structural type of an object of this kind (deduced when the sandbox publishes no
    schema for it)."""
    compiler = _compiler(group, version)
    if compiler is None:
        return DEDUCED_TYPE
    for name, schema in compiler.schemas.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if (gvk.get("group", ""), gvk.get("version"), gvk.get("kind")) == \
                    (group, version, kind):
                return compiler.named(name)
    return DEDUCED_TYPE


def type_of_named(group: str, version: str, schema_name: str) -> TypeNode:
    """The type of a schema by its OpenAPI name (Scale, for the scale subresource)."""
    compiler = _compiler(group, version)
    return DEDUCED_TYPE if compiler is None else compiler.named(schema_name)
