"""The OpenAPI v3 documents kube-apiserver serves: /openapi/v3 (the index) and one document per
group/version, so `kubectl explain` describes every field at every depth and kubectl computes
client-side apply patches from the real schemas.

The documents are upstream's published ones (kubernetes/kubernetes api/openapi-spec/v3,
trimmed to what the sandbox serves by tools/refresh_openapi.py; openapi_v3/PROVENANCE says
from where), of Kubernetes 1.35; for 1.32 to 1.34 the fields those releases do not publish
yet are left out (openapi_v3/since.json), 1.36 and 1.37 are served 1.35's. They are read
when first asked for, once per release played (package data read with pkgutil, so they are
found in a zip application too), never at import.

Upstream: k8s.io/kube-openapi pkg/handler3/handler.go: the index (`HandleDiscovery`) maps each
group/version's path to `{"serverRelativeURL": "/openapi/v3/<path>?hash=<etag>"}`, the etag
`computeETag`, the SHA-512 of the document's bytes in upper-case hex; a document
(`HandleGroupVersion`) is served with that ETag quoted, and a `?hash=` other than the
current one is redirected (301) to the current URL; with the current hash the answer may be
cached for good (`Cache-Control: public, immutable`)."""

import functools
import hashlib
import json
import pkgutil
from typing import Any, Dict, List, Optional, Tuple

from . import openapitrim
from .resources import RESOURCE_TYPES, SNAPSHOT_GROUPS, served, served_groups

DATA = "openapi_v3/"


def group_versions(minor: Optional[int] = None,
                   snapshots: bool = True) -> List[Tuple[str, str]]:
    """The group/versions whose documents release 1.<minor> serves, core first."""
    return [("", "v1")] + served_groups(minor, snapshots)


@functools.lru_cache(maxsize=None)
def _published(group: str, version: str) -> Optional[Dict[str, Any]]:
    """The committed (trimmed upstream) document of a group/version, parsed once."""
    data = pkgutil.get_data(__package__, DATA + openapitrim.file_name(group, version))
    return None if data is None else json.loads(data.decode("utf-8"))


@functools.lru_cache(maxsize=None)
def _since() -> Dict[str, openapitrim.Since]:
    """openapi_v3/since.json: per document, the schemas and properties older releases do not
    publish yet, with the first minor that does ({} without the file)."""
    try:
        data = pkgutil.get_data(__package__, DATA + "since.json")
    except OSError:
        return {}
    result: Dict[str, openapitrim.Since] = json.loads(data) if data else {}
    return result


def _keep(group: str, version: str, minor: Optional[int],
          snapshots: bool = True) -> openapitrim.Keep:
    """Whether a (plural, subresource) of the group/version is served by release 1.<minor>."""
    subs = {rt.plural: set(rt.subresources) for rt in RESOURCE_TYPES
            if (rt.group, rt.version) == (group, version) and served(rt, minor, snapshots)}
    return lambda plural, sub: plural in subs and (sub is None or sub in subs[plural])


@functools.lru_cache(maxsize=None)
def document_bytes(group: str, version: str, minor: Optional[int] = None,
                   git_version: str = "", snapshots: bool = True) -> Optional[bytes]:
    """The JSON a group/version's document is served as by release 1.<minor> (what that
    release does not serve left out: the paths of resources it does not serve, the
    properties it does not publish yet, and the schemas only they reach), or None when the
    release does not serve the group/version. The snapshot is 1.35's: a newer release is
    served 1.35's document. info.version is the server's gitVersion,
    as kube-apiserver fills it in (the published files say `unversioned`)."""
    if (group, version) not in group_versions(minor, snapshots):
        return None
    if group in SNAPSHOT_GROUPS:        # CRDs: built from their schemas (crdopenapi.py)
        from . import crdopenapi
        plurals = crdopenapi.served_plurals(group, version, _keep(group, version, minor,
                                                                  snapshots))
        return None if plurals is None else crdopenapi.document_bytes(
            group, version, tuple(plurals), git_version)
    try:
        published = _published(group, version)
    except (OSError, ValueError):
        published = None
    if published is None:
        return None
    if minor is not None:
        published = openapitrim.as_of(
            published, _since().get(openapitrim.file_name(group, version), {}), minor)
    doc = openapitrim.trim(published, group, version, _keep(group, version, minor))
    if git_version:
        doc["info"] = dict(doc.get("info", {}), version=git_version)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def etag(data: bytes) -> str:
    """handler3's computeETag: the SHA-512 of the bytes, upper-case hex."""
    return hashlib.sha512(data).hexdigest().upper()


def gv_path(group: str, version: str) -> str:
    """A group/version's key in the index: `api/v1`, `apis/apps/v1`."""
    return openapitrim.gv_prefix(group, version)[1:]


@functools.lru_cache(maxsize=None)
def index_bytes(minor: Optional[int] = None, git_version: str = "",
                snapshots: bool = True) -> bytes:
    """The JSON of /openapi/v3 for release 1.<minor>."""
    paths: Dict[str, Any] = {}
    for group, version in group_versions(minor, snapshots):
        data = document_bytes(group, version, minor, git_version, snapshots)
        if data is not None:
            paths[gv_path(group, version)] = {
                "serverRelativeURL": "/openapi/v3/%s?hash=%s"
                % (gv_path(group, version), etag(data))}
    return json.dumps({"paths": paths}, separators=(",", ":")).encode()


def index(minor: Optional[int] = None, git_version: str = "",
          snapshots: bool = True) -> Dict[str, Any]:
    """The document of /openapi/v3: the URL of each group/version's document."""
    result: Dict[str, Any] = json.loads(index_bytes(minor, git_version, snapshots))
    return result


def document(group: str, version: str, minor: Optional[int] = None,
             git_version: str = "", snapshots: bool = True) -> Optional[Dict[str, Any]]:
    """The document of one group/version as release 1.<minor> serves it, or None."""
    data = document_bytes(group, version, minor, git_version, snapshots)
    return None if data is None else json.loads(data)


def split_path(parts: List[str]) -> Optional[Tuple[str, str]]:
    """The (group, version) of /openapi/v3/api/VERSION or /openapi/v3/apis/GROUP/VERSION
    (PARTS: the path's segments after /openapi/v3)."""
    if len(parts) == 2 and parts[0] == "api":
        return ("", parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return (parts[1], parts[2])
    return None


# /openapi/v2 (kube-apiserver's swagger document). kubectl v1.32 reads it for one thing the
# sandbox's users do: validating a `kind: List` file client-side (cli-runtime
# query_param_verifier_v3.go, queryParamVerifierV3.HasSupport: a v1 List never "supports"
# fieldValidation, so kubectl/pkg/validation's paramVerifyingSchema falls back to
# schemaValidation, which fetches /openapi/v2 as protobuf, client-go discovery
# OpenAPISchema); a 404 there fails `kubectl apply -f list.yaml` with "error validating
# data: the server could not find the requested resource". The sandbox publishes no v2
# definitions: schemaValidation.validateResource finds no model for an item and skips it, and
# each item is then validated by the server (fieldValidation=Strict) when it is applied.
# The content type it is answered with (kube-openapi pkg/handler/handler.go: the `@` of the
# requested type is not a valid media type, Go's mime parser rejects it)
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _proto_string(field: int, text: str) -> bytes:
    data = text.encode("utf-8")
    return _proto_bytes(field, data)


def _proto_bytes(field: int, data: bytes) -> bytes:
    length, size = b"", len(data)
    while True:
        byte, size = size & 0x7F, size >> 7
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            break
    return bytes([field << 3 | 2]) + length + data


def v2_document(git_version: str, protobuf: bool) -> bytes:
    """/openapi/v2: swagger 2.0, info, no paths and no definitions; as JSON or as gnostic's
    openapi_v2.Document protobuf (swagger = 1, info = 2 {title = 1, version = 2},
    paths = 8)."""
    if not protobuf:
        return json.dumps({"swagger": "2.0", "info": {"title": "Kubernetes",
                                                      "version": git_version},
                           "paths": {}}, separators=(",", ":")).encode()
    info = _proto_string(1, "Kubernetes") + _proto_string(2, git_version)
    return _proto_string(1, "2.0") + _proto_bytes(2, info) + _proto_bytes(8, b"")
