"""A minimal OpenAPI v3 document set: enough for kubectl to see that every resource supports
server-side field validation (so it does not need client-side schemas). Schemas are not
served, so `kubectl apply` computes strategic merge patches from its compiled-in types."""

from typing import Any, Dict, Optional

from .resources import RESOURCE_TYPES, served, served_groups

_PARAMS = [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
           for name in ("dryRun", "fieldManager", "fieldValidation", "pretty")]


def _gv_path(group: str, version: str) -> str:
    return "api/%s" % version if not group else "apis/%s/%s" % (group, version)


def index(minor: Optional[int] = None) -> Dict[str, Any]:
    """The document of /openapi/v3: the path of each group/version (release 1.<minor>)."""
    gvs = [("", "v1")] + served_groups(minor)
    return {"paths": {_gv_path(g, v): {"serverRelativeURL": "/openapi/v3/%s?hash=sandbox%s"
                                       % (_gv_path(g, v), v)} for g, v in gvs}}


def document(group: str, version: str, minor: Optional[int] = None,
             git_version: str = "v1.32.0") -> Optional[Dict[str, Any]]:
    """The document of one group/version (release 1.<minor>), or None when it is not served."""
    paths: Dict[str, Any] = {}
    for rt in RESOURCE_TYPES:
        if rt.group != group or rt.version != version or not served(rt, minor):
            continue
        gvk = {"group": group, "version": version, "kind": rt.kind}
        prefix = "/" + _gv_path(group, version)
        ns = "/namespaces/{namespace}" if rt.namespaced else ""
        op = {"x-kubernetes-group-version-kind": gvk, "parameters": _PARAMS,
              "responses": {"200": {"description": "OK"}}}
        body: Dict[str, Any] = {"content": {"application/json": {},
                                            "application/merge-patch+json": {},
                                            "application/json-patch+json": {}}}
        paths["%s%s/%s" % (prefix, ns, rt.plural)] = {
            "get": dict(op, **{"x-kubernetes-action": "list"}),
            "post": dict(op, **{"x-kubernetes-action": "post", "requestBody": body})}
        paths["%s%s/%s/{name}" % (prefix, ns, rt.plural)] = {
            "get": dict(op, **{"x-kubernetes-action": "get"}),
            "put": dict(op, **{"x-kubernetes-action": "put", "requestBody": body}),
            "patch": dict(op, **{"x-kubernetes-action": "patch", "requestBody": body}),
            "delete": dict(op, **{"x-kubernetes-action": "delete"})}
    if not paths and (group, version) not in served_groups(minor):
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": git_version},
            "paths": paths, "components": {"schemas": {}}}
