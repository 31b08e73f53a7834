"""The sandbox's HTTP API server: Kubernetes REST semantics over the Store.

ApiServer is the listener and its connections; Handler reads one request, authenticates,
authorizes and applies the fault rules to it, routes it and dispatches: request bodies are
bodies.py's, what a resource endpoint answers endpoints.py's, watches watchstream.py's, Tables
tables.py's."""

import io
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple, cast
from urllib.parse import SplitResult, parse_qs, urlsplit

from kubectl_sts.k8s.selectorparser import parse_label_selector
from kubectl_sts.k8s.selectors import SelectorError, matches_labels
from . import applier, auth, bodies, connect, endpoints, errors, managedfields, resources, routes
from .auth import Access, Attributes, Identity
from .errors import ApiError
from .faults import Faults, Plan
from .impersonation import impersonate
from .fields import strict_decoding
from .fieldselectors import matches_fields, parse_field_selector, unsupported_field
from .params import query_bool
from .resources import ResourceType, api_version, lookup
from .tables import to_table
from .watchstream import Predicate, serve_watch

if TYPE_CHECKING:
    from .cluster import Cluster

Obj = Dict[str, Any]
Peer = Tuple[str, Tuple[str, ...]]          # (user, groups) of a client certificate

# /version answers the release the cluster plays (versions.version_info: major, minor,
# gitVersion vX.Y.0, the goVersion of that release); discovery lists what it serves


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # the listen backlog: socketserver's default of 5 drops the SYNs of a client opening more
    # connections at once (the kernel retransmits them a second later); kube-apiserver's Go
    # listener takes the kernel's maximum (net.Listen: /proc/sys/net/core/somaxconn)
    request_queue_size = socket.SOMAXCONN
    block_on_close = False          # close() drops the connections instead of waiting for them

    def __init__(self, address: Tuple[str, int], cluster: "Cluster",
                 ssl_context: Optional[ssl.SSLContext] = None,
                 access: Optional[Access] = None) -> None:
        self.cluster = cluster
        self.request_log: List[Obj] = []
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()     # set while the listener is down; watches end
        self.bookmark_seconds = 1.0
        # f(handler) -> True when it answered the request itself
        self.fault_hook: Optional[Callable[["Handler"], bool]] = None
        self.faults = Faults()
        self.access = access or Access()
        self.ssl_context = ssl_context
        # seconds of network round trip to simulate (a remote API server): every request is
        # answered that much later, and a new connection costs one more round trip (TCP's
        # handshake), two over TLS (TLS 1.3's handshake); watch events then stream as they
        # happen (a real network would add half a round trip to each)
        self.latency = 0.0
        self._connections: Set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, Handler)
        self._wrap_listener()

    def _wrap_listener(self) -> None:
        if self.ssl_context is not None:
            # the handshake happens in the connection's thread (Handler.setup), never in the
            # accept loop
            self.socket = self.ssl_context.wrap_socket(self.socket, server_side=True,
                                                       do_handshake_on_connect=False)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or (isinstance(exc, ValueError) and self.stopping.is_set()):
            return          # a client gone, a TLS handshake refused, a connection dropped
        super().handle_error(request, client_address)

    def close_listener(self) -> None:
        """Stop accepting (connections are then refused), end every open connection and watch.
        Call from another thread than serve_forever's; the object can be reopen()ed."""
        self.stopping.set()
        with self.cluster.store.cond:
            self.cluster.store.cond.notify_all()
        self.shutdown()
        self.socket.close()
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    def reopen(self) -> None:
        """Listen again on the same address (after close_listener); then serve_forever."""
        self.socket = socket.socket(self.address_family, self.socket_type)
        try:
            self.server_bind()
            self.server_activate()
        except OSError:
            self.socket.close()
            raise
        self._wrap_listener()
        self.stopping = threading.Event()


class Handler(BaseHTTPRequestHandler):
    """One connection: each request is read, authenticated, authorized, put through the fault
    rules, routed and served by the modules that know its part (bodies, endpoints,
    watchstream, tables)."""
    server: ApiServer
    # per request, set by _dispatch
    url: SplitResult
    raw_body: bytes
    query: Dict[str, str]
    identity: Optional[Identity]
    fault_plan: Optional[Plan]
    fault_name: Optional[str]
    _warnings: List[str]

    protocol_version = "HTTP/1.1"
    server_version = "kubectl-sts-sandbox"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every response (Go's net/http disables Nagle too)
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:      # silence the stderr log
        pass

    # -- plumbing -------------------------------------------------------------------------------
    def setup(self) -> None:
        if self.server.latency:
            time.sleep(self.server.latency * (2 if self.server.ssl_context is not None else 1))
        if self.server.ssl_context is not None:
            self.request.settimeout(10)
            self.request.do_handshake()         # ssl.SSLError ends the connection quietly
            self.request.settimeout(None)
        self.peer = peer_identity(self.request)
        super().setup()

    def record(self, code: int) -> None:
        """Log the request with the status code it is answered."""
        identity = getattr(self, "identity", None)
        with self.server.log_lock:
            self.server.request_log.append({
                "time": self.server.cluster.clock.now(), "wall": time.time(),
                "method": self.command, "path": self.url.path, "query": self.url.query,
                "code": code, "user_agent": self.headers.get("User-Agent", ""),
                "user": identity.user if identity is not None else None,
                "auth": (self.headers.get("Authorization") or " ").split(" ", 1)[0] or None,
                "client_cert": self.peer[0] if self.peer else None,
                "tls": self.server.ssl_context is not None,
                "impersonate_user": self.headers.get("Impersonate-User"),
                "impersonate_groups": self.headers.get_all("Impersonate-Group") or [],
                "fault": getattr(self, "fault_name", None)})

    def _send_json(self, code: int, body: Any, content_type: str = "application/json",
                   headers: Optional[Dict[str, str]] = None) -> None:
        self.send_bytes(code, json.dumps(body, separators=(",", ":")).encode(), content_type,
                        headers)

    send_json = _send_json

    def send_bytes(self, code: int, data: bytes, content_type: str,
                   headers: Optional[Dict[str, str]] = None) -> None:
        """Answer with `data` (the request logged first, the Warning headers sent)."""
        self.record(code)       # before the response leaves: a client never sees an unlogged one
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        for text in self.__dict__.pop("_warnings", None) or ():   # per request, not connection
            self.send_header("Warning", '299 - "%s"' % text.replace("\\", "\\\\")
                             .replace('"', '\\"'))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _dispatch(self) -> None:
        # read the whole body first, so a request refused early leaves no bytes behind on a
        # kept-alive connection
        self.url = urlsplit(self.path)
        try:
            self.raw_body = bodies.receive(self.headers, self.rfile)
        except OSError:
            self.close_connection = True
            return
        except ApiError as exc:
            self.close_connection = True        # the rest of the body is still on the wire
            try:
                self._send_json(exc.code, exc.status, headers={"Connection": "close"})
            except OSError:
                pass
            return
        if self.server.latency:
            time.sleep(self.server.latency)
        self.query = {k: v[-1] for k, v in parse_qs(self.url.query, keep_blank_values=True).items()}
        self.identity = self.fault_plan = self.fault_name = auth.REQUEST.identity = None
        try:
            access = self.server.access
            identity = self.identity = access.authenticate(self.headers, self.peer)
            self.identity = impersonate(access, identity, self.headers)
            auth.REQUEST.identity = self.identity      # for the RBAC escalation check
            attrs = Attributes(self.command, self.url.path, self.query)
            access.authorize(self.identity, attrs)
            if self.server.fault_hook and self.server.fault_hook(self):
                return
            plan = self.fault_plan = self.server.faults.plan(
                self.command, self.url.path, self.query, self.url.query, attrs)
            if plan is not None:
                self.fault_name = ",".join(rule.name for rule in plan.fired)
                if plan.latency:
                    time.sleep(plan.latency)
                if plan.answer is not None:
                    rule, error = plan.answer
                    if error is None:
                        return self._reset(attrs)
                    headers = {"Retry-After": str(int(rule.retry_after))} \
                        if rule.retry_after is not None else None
                    return self._send_json(error.code, error.status, headers=headers)
            self._route()
        except ApiError as exc:
            self._send_json(exc.code, exc.status)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _reset(self, attrs: Attributes) -> None:
        """Serve the request, send the headers and half the body, then shut the socket."""
        real = self.wfile
        if attrs.watch:
            self.record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = b'%x\r\n{"type":"ADDED","object":{"kind":' % 200
        else:
            self.wfile = io.BytesIO()
            try:
                try:
                    self._route()
                except ApiError as exc:
                    self._send_json(exc.code, exc.status)
                raw = self.wfile.getvalue()
            finally:
                self.wfile = real
            head, sep, body = raw.partition(b"\r\n\r\n")
            data = head + sep + body[:len(body) // 2]
        try:
            real.write(data)
            real.flush()
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = lambda self: self._dispatch()

    # -- routing --------------------------------------------------------------------------------
    def _route(self) -> None:
        path = self.url.path.rstrip("/")
        parts = [p for p in path.split("/") if p]
        features = self.server.cluster.config.features
        snaps = self.server.cluster.config.snapshots
        if routes.nonresource(self, path, parts):
            return None
        if path == "/api":
            host, port = cast(Tuple[str, int], self.server.server_address)[:2]
            return self._send_json(200, resources.api_versions("%s:%d" % (host, port)))
        if path == "/apis":
            return self._send_json(200, resources.api_group_list(features.minor, snaps))
        if not parts or parts[0] not in ("api", "apis"):
            raise _not_found()
        if parts[0] == "api":
            group, rest = "", parts[1:]
        else:
            group, rest = parts[1], parts[2:]
            if not rest:
                body = resources.api_group(group, features.minor, snaps)
                if body is None:
                    raise _not_found()
                return self._send_json(200, body)
        version, rest = rest[0], rest[1:]
        if not rest:
            body = resources.resource_list(group, version, features.minor,
                                            snaps)
            if body is None:
                raise _not_found()
            return self._send_json(200, body)
        watch = False
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
        namespace = None
        if rest and rest[0] == "namespaces" and len(rest) >= 3 and not (
                group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        rt = lookup(group, rest[0], features.minor, snaps) if rest else None
        sub = rest[2] if len(rest) > 2 else None
        if rt is None or rt.version != version or (
                len(rest) > 3 and sub not in connect.TAIL_SUBRESOURCES):
            raise _not_found()
        name = rest[1] if len(rest) > 1 else None
        if sub is not None and sub not in rt.subresources:
            raise _not_found()
        if rt.namespaced and name is not None and namespace is None:
            raise _not_found()
        special = connect.find(rt.group, rt.plural, sub)
        if special is not None and not watch:
            return special(self, rt, namespace, name, sub, rest[3:])
        if sub in resources.CONNECT_SUBRESOURCES:
            raise _not_found()          # not served yet
        self._serve(rt, namespace, name, sub, watch or query_bool(self.query, "watch"))

    def _serve(self, rt: ResourceType, ns: Optional[str], name: Optional[str], sub: Optional[str],
               watch: bool) -> None:
        method = self.command
        dry_run = self.query.get("dryRun") == "All"
        store = self.server.cluster.store
        if method in ("GET", "HEAD"):
            if watch:
                return serve_watch(self, rt, ns, name, self._filters(rt))
            if name is None:
                return self._list(rt, ns)
            obj = store.get(rt, ns, name)
            if sub == "scale":
                return self._send_json(200, endpoints.scale_of(obj))
            return self._send_object(200, rt, obj)
        if method == "POST" and sub == "eviction" and name is not None and ns is not None:
            body = self._body_object()
            return self._send_json(201, self.server.cluster.disruption.evict(
                ns, name, body, dry_run or "All" in ((body.get("deleteOptions") or {})
                                                     .get("dryRun") or [])))
        if method == "POST" and name is None:
            body = self._body_object()
            endpoints.check_create(rt, ns, body)
            self._unknown_fields(rt, body)
            created = store.create(rt, body, namespace=ns, dry_run=dry_run,
                                   manager=self.field_manager())
            return self._send_object(201, rt, created)
        if method == "PUT" and name is not None:
            body = self._body_object()
            endpoints.check_replace(rt, ns, name, body)
            if sub == "scale":
                return self._send_json(200, endpoints.write_scale(store, rt, ns, name, body,
                                                                  dry_run, self.field_manager()))
            self._unknown_fields(rt, body)
            updated = store.update(rt, body, subresource=sub, dry_run=dry_run,
                                   manager=self.field_manager())
            return self._send_object(200, rt, updated)
        if method == "PATCH" and name is not None:
            return self._patch(rt, ns, name, sub, dry_run)
        if method == "DELETE":
            options = endpoints.delete_options(self.query, self._read_body(), dry_run)
            if name is None:
                return self._send_json(200, endpoints.delete_collection(
                    store, rt, ns, self._filters(rt), options))
            answer, is_object = endpoints.delete(store, rt, ns, name, options)
            return self._send_object(200, rt, answer) if is_object else \
                self._send_json(200, answer)
        raise errors.method_not_allowed()

    def _patch(self, rt: ResourceType, ns: Optional[str], name: str, sub: Optional[str],
               dry_run: bool) -> None:
        store = self.server.cluster.store
        body = self._read_body()
        ctype = self.headers.get("Content-Type") or ""
        is_apply = applier.is_apply(ctype)
        applier.check_options(self.query, is_apply)
        if is_apply:
            force = query_bool(self.query, "force")
            if sub == "scale":
                return self._send_json(200, applier.apply_scale(
                    store, rt, ns, name, body, self.field_manager(), force, dry_run))
            self._unknown_fields(rt, body if isinstance(body, dict) else {}, patch=True)
            obj, created = applier.apply(store, rt, ns, name, sub, body, self.field_manager(),
                                         force, dry_run)
            return self._send_object(201 if created else 200, rt, obj)
        with store.cond:
            obj = store.get(rt, ns, name)
            if sub == "scale":
                scale = endpoints.patched(ctype, endpoints.scale_of(obj), body, "Scale", name)
                return self._send_json(200, endpoints.write_scale(store, rt, ns, name, scale,
                                                                  dry_run, self.field_manager()))
            patched = endpoints.patched(ctype, obj, body, rt.kind, name)
            self._unknown_fields(rt, patched, patch=True)
            updated = store.update(rt, patched, subresource=sub, dry_run=dry_run,
                                   manager=self.field_manager())
        return self._send_object(200, rt, updated)

    def field_manager(self) -> str:
        """Whose write this is in managedFields (managedfields.manager_from_request)."""
        return managedfields.manager_from_request(self.query.get("fieldManager"),
                                                  self.headers.get("User-Agent") or "")

    def _unknown_fields(self, rt: ResourceType, obj: Obj, patch: bool = False) -> None:
        warnings = strict_decoding(rt, obj, self.query.get("fieldValidation") or "Warn", patch)
        if warnings:
            self._warnings = warnings

    def _read_body(self) -> Any:
        return bodies.decode(self.raw_body, self.command, self.headers, self.url.path)

    def _body_object(self) -> Obj:
        body = self._read_body()
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was empty or not an object")
        return body

    def _send_object(self, code: int, rt: ResourceType, obj: Obj) -> None:
        if self.wants_table():
            return self._send_json(code, self.as_table(rt, [obj]))
        return self._send_json(code, obj)

    def wants_table(self) -> bool:
        """Whether the client asks for a Table (kubectl get)."""
        return "as=Table" in (self.headers.get("Accept") or "")

    def as_table(self, rt: ResourceType, objs: List[Obj]) -> Obj:
        """A Table of `objs` as the request asks for it."""
        include = self.query.get("includeObject") or "Metadata"
        return to_table(rt.plural, objs, self.server.cluster.clock.datetime(), include)

    # -- list -----------------------------------------------------------------------------------
    def _filters(self, rt: ResourceType) -> Predicate:
        """The predicate of the query's label and field selectors."""
        try:
            labels = parse_label_selector(self.query.get("labelSelector") or "")
            fields = parse_field_selector(self.query.get("fieldSelector") or "")
        except SelectorError as exc:
            raise errors.bad_request(str(exc))
        unsupported = unsupported_field(rt.plural, fields)
        if unsupported is not None:
            raise errors.bad_request('field label not supported: %s' % unsupported)

        def predicate(obj: Obj) -> bool:
            return (not labels or matches_labels(labels, obj["metadata"].get("labels"))) and \
                (not fields or matches_fields(fields, obj))
        return predicate

    def _list(self, rt: ResourceType, ns: Optional[str]) -> None:
        items, rv = self.server.cluster.store.list(rt, ns, self._filters(rt))
        items, meta = endpoints.page(items, rv, self.query)
        if self.wants_table():
            table = self.as_table(rt, items)
            table["metadata"] = meta
            return self._send_json(200, table)
        return self._send_json(200, {"kind": rt.kind + "List", "apiVersion": api_version(rt),
                                     "metadata": meta, "items": items})


def _not_found() -> ApiError:
    return ApiError(errors.status(404, "NotFound", "the server could not find the requested "
                                  "resource"))


def peer_identity(connection: Any) -> Optional[Peer]:
    """(user, groups) of a verified client certificate, as kube-apiserver's x509
    authenticator reads it (the subject's CommonName is the user, each Organization a group),
    or None without one."""
    getpeercert = getattr(connection, "getpeercert", None)
    cert = getpeercert() if getpeercert else None
    if not cert:
        return None
    fields = [pair for rdn in cert.get("subject", ()) for pair in rdn]
    names = [v for k, v in fields if k == "commonName"]
    if not names:
        return None
    return names[0], tuple(v for k, v in fields if k == "organizationName")
