"""The sandbox's OpenAPI documents: upstream's published v3 documents, trimmed to what the
sandbox serves (openapitrim, tools/refresh_openapi.py), served at /openapi/v3 per release, and
what the real kubectl does with them (`kubectl explain` at every depth, `kubectl apply -f` of
a `kind: List` file, which needs /openapi/v2)."""

import hashlib
import importlib.util
import json
import os
import subprocess
from typing import Any, Dict

import pytest

from kubectl_sts_sandbox import openapi, openapitrim
from kubectl_sts_sandbox.resources import RESOURCE_TYPES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "kubectl_sts_sandbox", "openapi_v3")


def _ref(name):
    return {"$ref": "#/components/schemas/" + name}


# ---------------------------------------------------------------- trimming, without a server

@pytest.mark.parametrize("path, group, version, expected", [
    ("/api/v1/", "", "v1", ("", None)),
    ("/api/v1/pods", "", "v1", ("pods", None)),
    ("/api/v1/namespaces/{namespace}/pods", "", "v1", ("pods", None)),
    ("/api/v1/namespaces/{namespace}/pods/{name}", "", "v1", ("pods", None)),
    ("/api/v1/namespaces/{namespace}/pods/{name}/log", "", "v1", ("pods", "log")),
    ("/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}", "", "v1", ("pods", "proxy")),
    ("/api/v1/namespaces", "", "v1", ("namespaces", None)),
    ("/api/v1/namespaces/{name}", "", "v1", ("namespaces", None)),
    ("/api/v1/namespaces/{name}/finalize", "", "v1", ("namespaces", "finalize")),
    ("/api/v1/nodes/{name}/proxy/{path}", "", "v1", ("nodes", "proxy")),
    ("/api/v1/watch/namespaces/{namespace}/pods", "", "v1", None),
    ("/apis/apps/v1/", "apps", "v1", ("", None)),
    ("/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale", "apps", "v1",
     ("statefulsets", "scale")),
    ("/apis/apps/v1/statefulsets", "apps", "v1", ("statefulsets", None)),
    ("/apis/apps/v1beta1/statefulsets", "apps", "v1", None),
    ("/api/v1/pods", "apps", "v1", None),
])
def test_path_resource(path, group, version, expected):
    assert openapitrim.path_resource(path, group, version) == expected


@pytest.mark.parametrize("schemas, roots, expected", [
    ({"A": {}}, ["A"], {"A"}),
    ({"A": {"properties": {"b": {"allOf": [_ref("B")]}}}, "B": {}, "C": {}}, ["A"], {"A", "B"}),
    # transitive, through items and additionalProperties
    ({"A": {"items": _ref("B")}, "B": {"additionalProperties": _ref("C")}, "C": {}, "D": {}},
     ["A"], {"A", "B", "C"}),
    # cycles end
    ({"A": {"properties": {"x": _ref("B")}}, "B": {"properties": {"y": _ref("A")}}}, ["B"],
     {"A", "B"}),
    # a name the document does not define is left out
    ({"A": {"properties": {"x": _ref("Missing")}}}, ["A", "Nope"], {"A"}),
    # a ref elsewhere than components/schemas is not followed
    ({"A": {"$ref": "#/definitions/B"}, "B": {}}, ["A"], {"A"}),
])
def test_closure(schemas, roots, expected):
    assert openapitrim.closure(schemas, roots) == expected


def _op(kind, schema):
    return {"x-kubernetes-group-version-kind": {"group": "apps", "version": "v1", "kind": kind},
            "responses": {"200": {"content": {"application/json": {"schema": _ref(schema)}}}}}


SMALL: Dict[str, Any] = {
    "openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"},
    "components": {"securitySchemes": {"BearerToken": {"type": "apiKey"}}, "schemas": {
        "StatefulSet": {"description": "d", "properties": {"spec": {"allOf": [_ref("Spec")]}},
                        "x-kubernetes-group-version-kind": [{"kind": "StatefulSet"}]},
        "Spec": {"properties": {"template": _ref("Template")}},
        "Template": {"x-kubernetes-map-type": "atomic"},
        "Scale": {}, "Deployment": {"properties": {"spec": _ref("DeploymentSpec")}},
        "DeploymentSpec": {}, "APIResourceList": {}}},
    "paths": {
        "/apis/apps/v1/": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": _ref("APIResourceList")}}}}}},
        "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}": {
            "get": _op("StatefulSet", "StatefulSet")},
        "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale": {
            "get": _op("Scale", "Scale")},
        "/apis/apps/v1/watch/namespaces/{namespace}/statefulsets": {
            "get": _op("StatefulSet", "StatefulSet")},
        "/apis/apps/v1/namespaces/{namespace}/deployments": {
            "get": _op("Deployment", "Deployment")},
    },
}


@pytest.mark.parametrize("keep, paths, schemas", [
    (lambda plural, sub: plural == "statefulsets",
     ["/apis/apps/v1/", "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}",
      "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale"],
     {"APIResourceList", "StatefulSet", "Spec", "Template", "Scale"}),
    (lambda plural, sub: plural == "statefulsets" and sub is None,
     ["/apis/apps/v1/", "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"],
     {"APIResourceList", "StatefulSet", "Spec", "Template"}),
    (lambda plural, sub: False, ["/apis/apps/v1/"], {"APIResourceList"}),
])
def test_trim_keeps_the_paths_served_and_the_schemas_they_reach(keep, paths, schemas):
    out = openapitrim.trim(SMALL, "apps", "v1", keep)
    assert sorted(out["paths"]) == sorted(paths)
    assert set(out["components"]["schemas"]) == schemas
    assert out["components"]["securitySchemes"] == SMALL["components"]["securitySchemes"]
    assert out["info"] == SMALL["info"] and out["openapi"] == "3.0.0"
    if "StatefulSet" in schemas:        # kept whole: descriptions and extensions
        assert out["components"]["schemas"]["StatefulSet"] == \
            SMALL["components"]["schemas"]["StatefulSet"]
        assert out["components"]["schemas"]["Template"] == {"x-kubernetes-map-type": "atomic"}


OLD: Dict[str, Any] = {"components": {"schemas": {
    "PodSpec": {"properties": {"containers": {}}, "required": ["containers"]},
    "Gone": {}}}}
MID: Dict[str, Any] = {"components": {"schemas": {
    "PodSpec": {"properties": {"containers": {}, "hostnameOverride": {}},
                "required": ["containers"]},
    "Gone": {}}}}
NEW: Dict[str, Any] = {"components": {"schemas": {
    "PodSpec": {"properties": {"containers": {}, "hostnameOverride": {},
                               "workloadRef": _ref("WorkloadReference")},
                "required": ["containers", "workloadRef"]},
    "WorkloadReference": {"properties": {"name": {}}}}}}


@pytest.mark.parametrize("docs, expected", [
    ({32: OLD, 35: NEW}, {"PodSpec/hostnameOverride": 35, "PodSpec/workloadRef": 35,
                          "WorkloadReference": 35, "WorkloadReference/name": 35}),
    ({32: OLD, 34: MID, 35: NEW}, {"PodSpec/hostnameOverride": 34, "PodSpec/workloadRef": 35,
                                   "WorkloadReference": 35, "WorkloadReference/name": 35}),
    # present, gone, back: from the release it is back
    ({32: MID, 33: OLD, 35: NEW}, {"PodSpec/hostnameOverride": 35, "PodSpec/workloadRef": 35,
                                   "WorkloadReference": 35, "WorkloadReference/name": 35}),
    ({35: NEW}, {}),
])
def test_first_minors(docs, expected):
    assert openapitrim.first_minors(docs) == expected


@pytest.mark.parametrize("minor, properties, required", [
    (32, ["containers"], ["containers"]),
    (34, ["containers", "hostnameOverride"], ["containers"]),
    (35, ["containers", "hostnameOverride", "workloadRef"], ["containers", "workloadRef"]),
])
def test_as_of_leaves_out_what_a_release_does_not_publish(minor, properties, required):
    since = {"PodSpec/hostnameOverride": 34, "PodSpec/workloadRef": 35, "WorkloadReference": 35}
    out = openapitrim.as_of(NEW, since, minor)
    pod = out["components"]["schemas"]["PodSpec"]
    assert list(pod["properties"]) == properties and pod["required"] == required
    assert "workloadRef" in NEW["components"]["schemas"]["PodSpec"]["properties"]  # untouched


def _refresh_tool():
    spec = importlib.util.spec_from_file_location(
        "refresh_openapi", os.path.join(ROOT, "tools", "refresh_openapi.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_documents_parse_are_named_in_provenance_and_are_trimmed():
    """Each committed document is a v3 document, listed in PROVENANCE with its sha256 and its
    upstream source, and is what tools/refresh_openapi.py's trimming leaves of it."""
    tool = _refresh_tool()
    provenance = open(os.path.join(DATA, "PROVENANCE")).read()
    assert "commit: " in provenance and "repository: " in provenance
    files = sorted(f for f in os.listdir(DATA) if f.endswith("_openapi.json"))
    assert files == sorted(openapitrim.file_name(g, v) for g, v in tool.group_versions())
    for name in files:
        data = open(os.path.join(DATA, name), "rb").read()
        doc = json.loads(data)
        assert doc["openapi"] == "3.0.0" and doc["paths"] and doc["components"]["schemas"]
        line = "  %s  %d bytes  sha256 %s\n    from " % (
            name, len(data), hashlib.sha256(data).hexdigest())
        assert line in provenance
        group, version = next(gv for gv in tool.group_versions()
                              if openapitrim.file_name(*gv) == name)
        assert tool.trimmed(data, group, version) == data


def _document(*args: Any) -> Dict[str, Any]:
    doc = openapi.document(*args)
    assert doc is not None
    return doc


def test_every_served_kind_has_its_schema_in_its_group_version():
    for rt in RESOURCE_TYPES:
        doc = _document(rt.group, rt.version)
        gvks = [gvk for schema in doc["components"]["schemas"].values()
                for gvk in schema.get("x-kubernetes-group-version-kind", [])]
        assert {"group": rt.group, "version": rt.version, "kind": rt.kind} in gvks, rt.kind


def test_a_release_leaves_out_what_it_does_not_serve():
    """VolumeAttributesClass (storage.k8s.io/v1 from 1.34): its paths and schemas are in 1.34's
    document, not in 1.33's; what both serve is the same."""
    new = _document("storage.k8s.io", "v1", 34, "v1.34.0")
    old = _document("storage.k8s.io", "v1", 33, "v1.33.0")
    schemas = "io.k8s.api.storage.v1.VolumeAttributesClass"
    assert schemas in new["components"]["schemas"]
    assert schemas not in old["components"]["schemas"]
    assert not [p for p in old["paths"] if "volumeattributesclasses" in p]
    assert old["components"]["schemas"]["io.k8s.api.storage.v1.StorageClass"] == \
        new["components"]["schemas"]["io.k8s.api.storage.v1.StorageClass"]
    assert new["info"]["version"] == "v1.34.0"


# ---------------------------------------------------------------- through the real kubectl


@pytest.mark.kubectl
def test_index_names_each_document_by_its_sha512(kubectl, sandbox):
    index = json.loads(kubectl("get", "--raw", "/openapi/v3", namespaced=False).stdout)
    assert "api/v1" in index["paths"] and "apis/apps/v1" in index["paths"]
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    path, _, query = url.partition("?hash=")
    assert path == "/openapi/v3/apis/apps/v1"
    body = kubectl("get", "--raw", url, namespaced=False).stdout.encode()
    assert query == hashlib.sha512(body).hexdigest().upper()


@pytest.mark.kubectl
def test_explain_a_statefulset_field_prints_upstreams_description(kubectl):
    result = kubectl("explain", "statefulset.spec.updateStrategy")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "FIELD: updateStrategy <StatefulSetUpdateStrategy>" in lines
    assert "updateStrategy indicates the StatefulSetUpdateStrategy that will be employed" in lines
    assert "rollingUpdate\t<RollingUpdateStatefulSetStrategy>" in lines
    assert "Type indicates the type of the StatefulSetUpdateStrategy. Default is" in lines


@pytest.mark.kubectl
def test_explain_at_depth_in_the_core_group(kubectl):
    result = kubectl("explain", "pods.spec.containers.readinessProbe.httpGet")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[:2] == ["KIND:       Pod", "VERSION:    v1"]
    assert "FIELD: httpGet <HTTPGetAction>" in lines
    assert "HTTPGet specifies an HTTP GET request to perform." in lines
    assert "port\t<IntOrString> -required-" in lines


@pytest.mark.kubectl
def test_explain_recursive(kubectl):
    result = kubectl("explain", "pvc", "--recursive")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "KIND:       PersistentVolumeClaim" in lines
    for line in ("  spec\t<PersistentVolumeClaimSpec>", "    accessModes\t<[]string>",
                 "    volumeAttributesClassName\t<string>",
                 "      matchExpressions\t<[]LabelSelectorRequirement>"):
        assert line in lines


@pytest.mark.kubectl
def test_explain_with_api_version(kubectl):
    result = kubectl("explain", "sts", "--api-version=apps/v1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["GROUP:      apps", "KIND:       StatefulSet", "VERSION:    v1"]
    assert "  spec\t<StatefulSetSpec>" in lines


@pytest.mark.kubectl
def test_explain_an_unknown_field_fails_in_kubectls_words(kubectl):
    result = kubectl("explain", "sts.spec.nope")
    assert result.returncode == 1
    assert 'error: field "nope" does not exist' in result.stderr


@pytest.mark.kubectl
def test_explain_a_kind_the_release_does_not_serve(kubectl_bin, tmp_path):
    """1.33 does not serve VolumeAttributesClass (storage.k8s.io/v1 from 1.34), 1.34 does;
    a field a release does not publish yet (PodSpec.workloadRef: 1.35) is not explained."""
    from kubectl_sts_sandbox import Sandbox
    env = dict(os.environ, KUBECACHEDIR=str(tmp_path / "cache"))
    for version, served in (("1.33", False), ("1.34", True)):
        with Sandbox(kubernetes_version=version) as sb:
            def explain(*args):
                return subprocess.run([kubectl_bin, "--kubeconfig", str(sb.kubeconfig),
                                       "explain"] + list(args), capture_output=True,
                                      text=True, env=env, timeout=60)
            result = explain("volumeattributesclasses")
            field = explain("pods.spec.workloadRef")
            older = explain("pods.spec.hostnameOverride")
        assert field.returncode == 1
        assert 'error: field "workloadRef" does not exist' in field.stderr
        assert (older.returncode == 0) == served, older.stderr
        if served:
            assert result.returncode == 0, result.stderr
            assert "KIND:       VolumeAttributesClass" in result.stdout.splitlines()
        else:
            assert result.returncode == 1
            assert result.stderr == \
                'the server doesn\'t have a resource type "volumeattributesclasses"\n'


LIST = """apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
  data:
    mode: primary
- apiVersion: v1
  kind: Service
  metadata:
    name: db
  spec:
    clusterIP: None
    selector:
      app: db
    ports:
    - port: 5432
"""


@pytest.mark.kubectl
def test_apply_a_list_file(kubectl, core, namespace, tmp_path):
    """kubectl validates a List against /openapi/v2 (cli-runtime's queryParamVerifierV3 never
    lets a v1 List use server-side validation): the file applies, twice."""
    path = tmp_path / "list.yaml"
    path.write_text(LIST)
    first = kubectl("apply", "-f", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["configmap/settings created", "service/db created"]
    assert core.read_namespaced_config_map("settings", namespace).data == {"mode": "primary"}
    again = kubectl("apply", "-f", str(path.with_name("list.yaml")))
    assert again.stdout.splitlines() == ["configmap/settings unchanged", "service/db unchanged"]
    changed = kubectl("apply", "-f", "-", input=LIST.replace("primary", "replica"))
    assert changed.returncode == 0, changed.stderr
    assert "configmap/settings configured" in changed.stdout.splitlines()
    assert core.read_namespaced_config_map("settings", namespace).data == {"mode": "replica"}


def test_a_stale_hash_is_redirected_to_the_current_document():
    """handler3: `?hash=` other than the document's is answered 301 to the current URL; the
    document carries its ETag (quoted); /openapi/v2 answers JSON or gnostic's protobuf."""
    import http.client

    from kubectl_sts_sandbox import Sandbox, versions
    release = versions.RELEASES[versions.DEFAULT].git_version
    with Sandbox() as sb:
        def get(path, accept="application/json"):
            conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=30)
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            return response, body
        _, body = get("/openapi/v3")
        url = json.loads(body)["paths"]["api/v1"]["serverRelativeURL"]
        current = url.partition("?hash=")[2]
        response, _ = get("/openapi/v3/api/v1?hash=ABC")
        assert response.status == 301 and response.getheader("Location") == url
        response, body = get(url)
        assert response.status == 200 and response.getheader("ETag") == '"%s"' % current
        assert json.loads(body)["info"] == {"title": "Kubernetes", "version": release}
        response, _ = get("/openapi/v3/apis/batch/v1")
        assert response.status == 404
        _, body = get("/openapi/v2")
        assert json.loads(body) == {"swagger": "2.0", "info": {
            "title": "Kubernetes", "version": release}, "paths": {}}
        response, body = get("/openapi/v2",
                             "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
        assert response.getheader("Content-Type") == \
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
        assert body.startswith(b"\n\x032.0\x12")
