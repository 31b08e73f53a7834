"""The OpenAPI v3 documents of the snapshot CRDs' groups (snapshot.storage.k8s.io/v1,
groupsnapshot.storage.k8s.io/v1), as kube-apiserver builds them from each CRD's
openAPIV3Schema, so `kubectl explain volumesnapshot.spec` and kubectl's field-validation
support check (the PATCH operation's fieldValidation parameter) work on them.

Upstream: apiextensions-apiserver pkg/controller/openapi/builder/builder.go (BuildOpenAPIV3):
the kind's schema under `ToRESTFriendlyName(group/version/kind)` (the group's domain
reversed: `io.k8s.storage.snapshot.v1.VolumeSnapshot`), `metadata` a reference to
ObjectMeta, `x-kubernetes-group-version-kind`; the list kind with `items` and ListMeta; the
paths and parameters of the REST operations as for a built-in resource (the paths here are
the apps/v1 document's statefulsets paths, renamed: same operations, parameters and
responses), with the meta/v1 schemas they reach."""

from __future__ import annotations

import copy
import functools
import json
import pkgutil
from typing import Any, Dict, List, Optional

from . import crds
from .resources import RESOURCE_TYPES, ResourceType

Obj = Dict[str, Any]
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_OBJECT_META_DESC = ("Standard object's metadata. More info: https://git.k8s.io/community/"
                     "contributors/devel/sig-architecture/api-conventions.md#metadata")
_LIST_META_DESC = ("Standard list metadata. More info: https://git.k8s.io/community/"
                   "contributors/devel/sig-architecture/api-conventions.md#types-kinds")


def schema_name(group: str, version: str, kind: str) -> str:
    """ToRESTFriendlyName: `io.k8s.storage.snapshot.v1.VolumeSnapshot`."""
    return ".".join(list(reversed(group.split("."))) + [version, kind])


def _camel(group: str) -> str:
    """The operation ids' group: snapshot.storage.k8s.io -> SnapshotStorage."""
    parts = group.split(".")
    if parts[-2:] == ["k8s", "io"]:
        parts = parts[:-2]
    return "".join(p[:1].upper() + p[1:] for p in parts)


@functools.lru_cache(maxsize=None)
def _template() -> Obj:
    """The published apps/v1 document (openapi.py's package data), parsed once."""
    data = pkgutil.get_data(__package__, "openapi_v3/apis__apps__v1_openapi.json")
    if data is None:
        raise LookupError("no apps/v1 OpenAPI document")
    doc: Obj = json.loads(data.decode("utf-8"))
    return doc


def _rename(node: Any, group: str, kind: str = "", plural: str = "", name: str = "") -> Any:
    """The apps/v1 statefulsets paths made this resource's."""
    camel = _camel(group)
    text = json.dumps(node)
    text = text.replace("io.k8s.api.apps.v1.StatefulSetList", name + "List")
    text = text.replace("io.k8s.api.apps.v1.StatefulSet", name)
    text = text.replace("AppsV1", camel + "V1")
    text = text.replace('"apps_v1"', '"%s%s_v1"' % (camel[:1].lower(), camel[1:]))
    text = text.replace("/apis/apps/v1/", "/apis/%s/v1/" % group)
    text = text.replace("StatefulSet", kind).replace("statefulsets", plural)
    result = json.loads(text)
    _set_gvk(result, group)
    return result


def _set_gvk(node: Any, group: str) -> None:
    if isinstance(node, dict):
        gvk = node.get("x-kubernetes-group-version-kind")
        if isinstance(gvk, dict) and gvk.get("group") == "apps":
            gvk["group"] = group
        for value in node.values():
            _set_gvk(value, group)
    elif isinstance(node, list):
        for value in node:
            _set_gvk(value, group)


def _cluster_scoped(item: Obj) -> Obj:
    """A namespaced path's operations without the namespace parameter and word."""
    text = json.dumps(item).replace("Namespaced", "")
    result: Obj = json.loads(text)
    result["parameters"] = [p for p in result.get("parameters") or []
                            if p.get("name") != "namespace"]
    return result


def _paths(rt: ResourceType, name: str) -> Obj:
    template = _template()["paths"]
    base = "/apis/apps/v1/namespaces/{namespace}/statefulsets"
    wanted = [(base, ""), (base + "/{name}", "/{name}")]
    if "status" in rt.subresources:
        wanted.append((base + "/{name}/status", "/{name}/status"))
    out: Obj = {}
    for source, tail in wanted:
        item = _rename(template[source], rt.group, rt.kind, rt.plural, name)
        if rt.namespaced:
            out["/apis/%s/v1/namespaces/{namespace}/%s%s" % (rt.group, rt.plural, tail)] = item
        else:
            out["/apis/%s/v1/%s%s" % (rt.group, rt.plural, tail)] = _cluster_scoped(item)
    if rt.namespaced:
        out["/apis/%s/v1/%s" % (rt.group, rt.plural)] = _rename(
            template["/apis/apps/v1/statefulsets"], rt.group, rt.kind, rt.plural, name)
    return out


def _kind_schema(rt: ResourceType) -> Obj:
    schema = copy.deepcopy(crds.schema(rt.plural))
    props = schema.setdefault("properties", {})
    props["metadata"] = {"allOf": [{"$ref": "#/components/schemas/%sObjectMeta" % _META}],
                         "description": _OBJECT_META_DESC}
    schema["x-kubernetes-group-version-kind"] = [
        {"group": rt.group, "kind": rt.kind, "version": rt.version}]
    return schema


def _list_schema(rt: ResourceType, name: str) -> Obj:
    return {"description": "%sList is a list of %s" % (rt.kind, rt.kind),
            "properties": {
                "apiVersion": crds.schema(rt.plural)["properties"].get("apiVersion", {}),
                "items": {"description": "List of %s. More info: https://git.k8s.io/community/"
                          "contributors/devel/api-conventions.md" % rt.plural.lower(),
                          "items": {"$ref": "#/components/schemas/" + name},
                          "type": "array"},
                "kind": crds.schema(rt.plural)["properties"].get("kind", {}),
                "metadata": {"allOf": [{"$ref": "#/components/schemas/%sListMeta" % _META}],
                             "description": _LIST_META_DESC}},
            "required": ["items"], "type": "object",
            "x-kubernetes-group-version-kind": [
                {"group": rt.group, "kind": rt.kind + "List", "version": rt.version}]}


@functools.lru_cache(maxsize=None)
def document_bytes(group: str, version: str, plurals: tuple, git_version: str = "") -> bytes:
    """The document of a CRD group/version serving `plurals` (JSON bytes)."""
    template = _template()
    paths: Obj = {"/apis/%s/%s/" % (group, version): _rename(
        template["paths"]["/apis/apps/v1/"], group)}
    schemas: Obj = {key: value for key, value in template["components"]["schemas"].items()
                    if key.startswith("io.k8s.apimachinery.pkg.apis.meta.v1.")}
    for rt in RESOURCE_TYPES:
        if rt.group != group or rt.version != version or rt.plural not in plurals:
            continue
        name = schema_name(rt.group, rt.version, rt.kind)
        paths.update(_paths(rt, name))
        schemas[name] = _kind_schema(rt)
        schemas[name + "List"] = _list_schema(rt, name)
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": git_version or
                                        "unversioned"},
           "paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def served_plurals(group: str, version: str, keep: Any) -> Optional[List[str]]:
    """The plurals of the group/version that `keep(plural, None)` accepts, None if none."""
    plurals = [rt.plural for rt in RESOURCE_TYPES
               if rt.group == group and rt.version == version and keep(rt.plural, None)]
    return plurals or None
