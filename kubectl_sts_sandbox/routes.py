"""Endpoints beside the stored objects, found before the store is asked.

- Non-resource paths: /version, /healthz (/livez, /readyz), /openapi/v2, /openapi/v3 and its
  documents
  (`nonresource`).
- Connect subresources and create-only resources (a pod's log, exec, attach, portforward and
  proxy, a service's proxy, a service account's token, the authorization and authentication
  reviews) are served by their own modules, each a function of the `Serve` shape over a
  `Request`; `connect.py` is their table.
"""

import io
from email.message import Message
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Protocol
from urllib.parse import SplitResult

from . import openapi, versions

if TYPE_CHECKING:
    from .auth import Identity
    from .cluster import Cluster
    from .resources import ResourceType


class Server(Protocol):
    @property
    def cluster(self) -> "Cluster": ...


class Request(Protocol):
    """What an endpoint needs of its request's handler (server.Handler): the request as read
    (its body read whole, before routing), who sends it, and its connection."""
    close_connection: bool
    command: str
    headers: Message
    url: SplitResult
    query: Dict[str, str]
    raw_body: bytes
    identity: Optional["Identity"]

    @property
    def server(self) -> Server: ...

    @property
    def connection(self) -> Any: ...

    @property
    def rfile(self) -> io.BufferedIOBase: ...

    @property
    def wfile(self) -> io.BufferedIOBase: ...

    def record(self, code: int) -> None: ...

    def send_json(self, code: int, body: Any, content_type: str = "application/json",
                  headers: Optional[Dict[str, str]] = None) -> None: ...

    def send_bytes(self, code: int, data: bytes, content_type: str,
                   headers: Optional[Dict[str, str]] = None) -> None: ...

    def send_response(self, code: int, message: Optional[str] = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...


class Headed(Protocol):
    """What starting an answer needs of a handler."""
    def record(self, code: int) -> None: ...

    def send_response(self, code: int, message: Optional[str] = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...


def begin_stream(handler: Headed, content_type: str) -> None:
    """The 200 and headers of a streamed answer (a watch, a followed log): chunked, never
    cached, as the API server's streaming responses are."""
    handler.record(200)
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()


# f(request, resource type, namespace, name, subresource, the path after the subresource)
Serve = Callable[[Request, "ResourceType", Optional[str], Optional[str], Optional[str],
                  List[str]], None]


def nonresource(handler: Request, path: str, parts: List[str]) -> bool:
    """Answer a non-resource path other than discovery; False when `path` is not one."""
    features = handler.server.cluster.config.features
    if path == "/version":
        handler.send_json(200, versions.version_info(features.version))
        return True
    if path in ("/healthz", "/livez", "/readyz"):
        handler.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        return True
    if path == "/openapi/v2":
        git_version = versions.version_info(features.version)["gitVersion"]
        protobuf = "protobuf" in handler.headers.get("Accept", "")
        handler.send_bytes(200, openapi.v2_document(git_version, protobuf),
                           openapi.V2_PROTOBUF if protobuf else "application/json")
        return True
    if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
        return _openapi_v3(handler, parts[2:], features.minor,
                           versions.version_info(features.version)["gitVersion"],
                           handler.server.cluster.config.snapshots)
    return False


def _openapi_v3(handler: Request, rest: List[str], minor: int, git_version: str,
                snapshots: bool = True) -> bool:
    """/openapi/v3 and its documents, as kube-openapi's handler3 serves them (openapi.py):
    the document with its ETag; a `?hash=` not the current one redirected (301) to the
    current URL (handler3 also marks the hashed answer `Cache-Control: public, immutable`;
    the sandbox answers every request `no-cache`, which costs kubectl a refetch only).
    False: not a document served."""
    if not rest:
        handler.send_bytes(200, openapi.index_bytes(minor, git_version, snapshots),
                           "application/json")
        return True
    gv = openapi.split_path(rest)
    data = None if gv is None else openapi.document_bytes(gv[0], gv[1], minor, git_version,
                                                                 snapshots)
    if gv is None or data is None:
        return False
    etag = openapi.etag(data)
    headers = {"ETag": '"%s"' % etag, "Vary": "Accept"}
    wanted = handler.query.get("hash", "")
    if wanted and wanted != etag:
        location = "/openapi/v3/%s?hash=%s" % (openapi.gv_path(*gv), etag)
        handler.send_bytes(301, b"", "text/html; charset=utf-8", headers={"Location": location})
        return True
    handler.send_bytes(200, data, "application/json", headers=headers)
    return True
