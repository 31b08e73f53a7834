"""The sandbox's HTTP API server: Kubernetes REST semantics over the Store."""

import base64
import copy
import io
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import errors, openapi, protobuf, resources
from .auth import Access, Attributes
from .faults import Faults
from .errors import ApiError
from kubectl_sts.k8s.strategicpatch import PatchError
from .patch import apply_patch
from .resources import BY_KIND, api_version, lookup
from kubectl_sts.k8s.selectorparser import parse_label_selector
from kubectl_sts.k8s.selectors import SelectorError, format_label_selector, matches_labels
from .fieldselectors import matches_fields, parse_field_selector, unsupported_field
from .tables import to_table
from .watch import bookmark, watch_event, watch_options
from .params import query_bool

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "sandbox",
           "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.3",
           "compiler": "gc", "platform": "linux/amd64"}

# Registries with ReturnDeletedObject (kube-apiserver): an immediate delete answers with the
# object, not a Status (the official clients deserialize the body as that kind).
_RETURN_DELETED_OBJECT = {"pods", "namespaces", "services", "persistentvolumeclaims",
                          "persistentvolumes"}


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False          # close() drops the connections instead of waiting for them

    def __init__(self, address, cluster, ssl_context=None, access=None):
        self.cluster = cluster
        self.request_log = []
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()     # set while the listener is down; watches end
        self.bookmark_seconds = 1.0
        self.fault_hook = None          # f(handler) -> True when it answered the request itself
        self.faults = Faults()
        self.access = access or Access()
        self.ssl_context = ssl_context
        # seconds of network round trip to simulate (a remote API server): every request is
        # answered that much later, and a new connection costs one more round trip (TCP's
        # handshake), two over TLS (TLS 1.3's handshake); watch events then stream as they
        # happen (a real network would add half a round trip to each)
        self.latency = 0.0
        self._connections = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, Handler)
        self._wrap_listener()

    def _wrap_listener(self):
        if self.ssl_context is not None:
            # the handshake happens in the connection's thread (Handler.setup), never in the
            # accept loop
            self.socket = self.ssl_context.wrap_socket(self.socket, server_side=True,
                                                       do_handshake_on_connect=False)

    def process_request(self, request, client_address):
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or (isinstance(exc, ValueError) and self.stopping.is_set()):
            return          # a client gone, a TLS handshake refused, a connection dropped
        super().handle_error(request, client_address)

    def close_listener(self):
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

    def reopen(self):
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
    protocol_version = "HTTP/1.1"
    server_version = "kubectl-sts-sandbox"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every response (Go's net/http disables Nagle too)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):      # silence the default stderr log
        pass

    # -- plumbing -------------------------------------------------------------------------------
    def setup(self):
        if self.server.latency:
            time.sleep(self.server.latency * (2 if self.server.ssl_context is not None else 1))
        if self.server.ssl_context is not None:
            self.request.settimeout(10)
            self.request.do_handshake()         # ssl.SSLError ends the connection quietly
            self.request.settimeout(None)
        self.peer = peer_identity(self.request)
        super().setup()

    def _log(self, code):
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

    def _send_json(self, code, body, content_type="application/json", headers=None):
        data = json.dumps(body, separators=(",", ":")).encode()
        self._log(code)       # before the response leaves: a client never sees an unlogged one
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

    def _read_body(self):
        """The request body as an object, decoded as its Content-Type says (the API server's
        NegotiateInputSerializer: none means JSON; JSON, YAML and protobuf are accepted).
        PATCH bodies are decoded here too (JSON or YAML); apply_patch checks their type."""
        raw = self.raw_body
        if not raw:
            return None
        media = _media_type(self.headers.get("Content-Type"))
        if self.command == "PATCH":
            if raw[:4] == protobuf.MAGIC:
                raise errors.unsupported_media_type(media or "protobuf")
            return _json_or_yaml(raw)
        if media == protobuf.MEDIA_TYPE:
            return self._protobuf_body(raw)
        if media in ("", "application/json"):
            try:
                return json.loads(raw)
            except ValueError:
                raise errors.bad_request("the body of the request could not be decoded")
        if media == "application/yaml":
            return _json_or_yaml(raw)
        raise ApiError(errors.status(415, "UnsupportedMediaType", _UNSUPPORTED_BODY))

    def _protobuf_body(self, raw):
        """Decode a protobuf body; the answer is JSON, so the Accept header must allow it."""
        if not _accepts_json(self.headers.get("Accept")):
            raise ApiError(errors.status(406, "NotAcceptable", "only the following media types "
                                         "are accepted: application/json"))
        try:
            return protobuf.decode(raw)
        except protobuf.UnsupportedKind as exc:
            raise ApiError(errors.status(415, "UnsupportedMediaType", str(exc)))
        except protobuf.DecodeError as exc:
            # the wording of the API server's transformDecodeError (handlers/rest.go)
            kind, version = _envelope_kind(raw)
            if kind:
                raise errors.bad_request('%s in version "%s" cannot be handled as a %s: %s'
                                         % (kind, version, kind, exc))
            raise errors.bad_request("the object provided is unrecognized (must be of type %s): "
                                     "%s (%s)" % (_endpoint_kind(self.url.path), exc,
                                                  protobuf.summarize(raw)))

    def _receive_body(self):
        """Read the whole request body: chunked (Transfer-Encoding) or Content-Length, at most
        MAX_BODY_BYTES. Raises ApiError (the connection then cannot be reused) or OSError."""
        codings = [c.strip().lower() for c in
                   (self.headers.get("Transfer-Encoding") or "").split(",") if c.strip()]
        if codings:
            if codings[-1] != "chunked":
                raise ApiError(errors.status(501, "NotImplemented", "unsupported transfer "
                                             "encoding: %s" % ", ".join(codings)))
            return self._read_chunked()
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():
            raise errors.bad_request("invalid Content-Length %r" % text)
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise _too_large()
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise ConnectionResetError("the client closed the connection mid-body")
        return data

    def _read_chunked(self):
        data = bytearray()
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line.endswith(b"\n"):
                if not line or len(line) <= _MAX_LINE:
                    raise ConnectionResetError("the client closed the connection mid-body")
                raise errors.bad_request("malformed chunked encoding: chunk line too long")
            size = line.split(b";", 1)[0].strip()
            if not size or len(size) > 16 or size.strip(b"0123456789abcdefABCDEF"):
                raise errors.bad_request("malformed chunked encoding: invalid chunk size")
            size = int(size, 16)
            if size == 0:
                break
            if len(data) + size > MAX_BODY_BYTES:
                raise _too_large()
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise ConnectionResetError("the client closed the connection mid-body")
            if self.rfile.read(2) != b"\r\n":
                raise errors.bad_request("malformed chunked encoding: no CRLF after a chunk")
            data += chunk
        for _ in range(100):                        # the trailer section, up to its empty line
            line = self.rfile.readline(_MAX_LINE + 1)
            if line in (b"\r\n", b"\n"):
                return bytes(data)
            if not line:
                raise ConnectionResetError("the client closed the connection mid-body")
        raise errors.bad_request("malformed chunked encoding: too many trailer lines")

    def _dispatch(self):
        # read the whole body first, so a request refused early leaves no bytes behind on a
        # kept-alive connection
        self.url = urlsplit(self.path)
        try:
            self.raw_body = self._receive_body()
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
        self.identity = self.fault_plan = self.fault_name = None
        try:
            access = self.server.access
            identity = self.identity = access.authenticate(self.headers, self.peer)
            self.identity = access.impersonate(identity, self.headers.get("Impersonate-User"),
                                               self.headers.get_all("Impersonate-Group") or [])
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

    def _reset(self, attrs):
        """Serve the request, send the headers and half the body, then shut the socket."""
        real = self.wfile
        if attrs.watch:
            self._log(200)
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
    def _route(self):
        path = self.url.path.rstrip("/")
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return self._send_json(200, VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            data = b"ok"
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(data)
            return None
        if path == "/openapi/v3":
            return self._send_json(200, openapi.index())
        if path.startswith("/openapi/v3/"):
            rest = parts[2:]
            doc = None
            if rest[:1] == ["api"] and len(rest) == 2:
                doc = openapi.document("", rest[1])
            elif rest[:1] == ["apis"] and len(rest) == 3:
                doc = openapi.document(rest[1], rest[2])
            if doc is None:
                raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                             "requested resource"))
            return self._send_json(200, doc)
        if path == "/api":
            return self._send_json(200, resources.api_versions(
                "%s:%d" % self.server.server_address[:2]))
        if path == "/apis":
            return self._send_json(200, resources.api_group_list())
        if not parts or parts[0] not in ("api", "apis"):
            raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                         "requested resource"))
        if parts[0] == "api":
            group, rest = "", parts[1:]
        else:
            group, rest = parts[1], parts[2:]
            if not rest:
                body = resources.api_group(group)
                if body is None:
                    raise ApiError(errors.status(404, "NotFound", "the server could not find "
                                                 "the requested resource"))
                return self._send_json(200, body)
        version, rest = rest[0], rest[1:]
        if not rest:
            body = resources.resource_list(group, version)
            if body is None:
                raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                             "requested resource"))
            return self._send_json(200, body)
        watch = False
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
        namespace = None
        if rest and rest[0] == "namespaces" and len(rest) >= 3 and not (
                group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        rt = lookup(group, rest[0]) if rest else None
        if rt is None or rt.version != version or len(rest) > 3:
            raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                         "requested resource"))
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in rt.subresources:
            raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                         "requested resource"))
        if rt.namespaced and name is not None and namespace is None:
            raise ApiError(errors.status(404, "NotFound", "the server could not find the "
                                         "requested resource"))
        self._serve(rt, namespace, name, sub, watch or query_bool(self.query, "watch"))

    def _serve(self, rt, ns, name, sub, watch):
        method = self.command
        dry_run = self.query.get("dryRun") == "All"
        store = self.server.cluster.store
        if method in ("GET", "HEAD"):
            if watch:
                return self._watch(rt, ns, name)
            if name is None:
                return self._list(rt, ns)
            obj = store.get(rt, ns, name)
            if sub == "scale":
                return self._send_json(200, _scale_of(obj))
            return self._send_object(200, rt, obj)
        if method == "POST" and sub == "eviction" and name is not None:
            body = self._body_object()
            return self._send_json(201, self.server.cluster.disruption.evict(
                ns, name, body, dry_run or "All" in ((body.get("deleteOptions") or {})
                                                     .get("dryRun") or [])))
        if method == "POST" and name is None:
            body = self._body_object()
            if ns and body.get("metadata", {}).get("namespace") not in (None, "", ns):
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            if body.get("kind") and body.get("kind") != rt.kind:
                raise errors.bad_request("the server could not process the request: kind %s does"
                                         " not match %s" % (body.get("kind"), rt.kind))
            self._unknown_fields(rt, body)
            created = store.create(rt, body, namespace=ns, dry_run=dry_run)
            return self._send_object(201, rt, created)
        if method == "PUT" and name is not None:
            body = self._body_object()
            if body.get("metadata", {}).get("name") not in (None, name):
                raise errors.bad_request("the name of the object (%s) does not match the name on "
                                         "the URL (%s)" % (body["metadata"]["name"], name))
            body.setdefault("metadata", {})["name"] = name
            if rt.namespaced:
                body["metadata"]["namespace"] = ns
            if sub == "scale":
                return self._send_json(200, self._write_scale(rt, ns, name, body, dry_run))
            self._unknown_fields(rt, body)
            updated = store.update(rt, body, subresource=sub, dry_run=dry_run)
            return self._send_object(200, rt, updated)
        if method == "PATCH" and name is not None:
            return self._patch(rt, ns, name, sub, dry_run)
        if method == "DELETE":
            if name is None:
                return self._delete_collection(rt, ns, dry_run)
            return self._delete(rt, ns, name, dry_run)
        raise errors.method_not_allowed()

    def _unknown_fields(self, rt, obj, patch=False):
        """Fields the type does not declare: decoding drops them; fieldValidation=Strict makes
        that a 400, Warn (the default) a Warning header each, Ignore nothing
        (apiserver handlers create.go/update.go/patch.go with runtime strict decoding)."""
        from .fields import prune, unknown_fields
        unknown = unknown_fields(rt.kind, obj)
        if not unknown:
            return
        texts = ['unknown field "%s"' % path for path in unknown]
        directive = self.query.get("fieldValidation") or "Warn"
        if directive == "Strict":
            message = "strict decoding error: " + ", ".join(texts)
            if not patch:
                message = '%s in version "%s" cannot be handled as a %s: %s' % (
                    rt.kind, rt.version, rt.kind, message)
            raise errors.bad_request(message)
        prune(rt.kind, obj)
        if directive != "Ignore":
            self._warnings = texts

    def _body_object(self):
        body = self._read_body()
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was empty or not an object")
        return body

    def _send_object(self, code, rt, obj):
        if self._wants_table():
            return self._send_json(code, self._table(rt, [obj]))
        return self._send_json(code, obj)

    def _wants_table(self):
        return "as=Table" in (self.headers.get("Accept") or "")

    def _table(self, rt, objs):
        include = self.query.get("includeObject") or "Metadata"
        return to_table(rt.plural, objs, self.server.cluster.clock.datetime(), include)

    # -- list and watch -------------------------------------------------------------------------
    def _filters(self, rt):
        try:
            labels = parse_label_selector(self.query.get("labelSelector") or "")
            fields = parse_field_selector(self.query.get("fieldSelector") or "")
        except SelectorError as exc:
            raise errors.bad_request(str(exc))
        unsupported = unsupported_field(rt.plural, fields)
        if unsupported is not None:
            raise errors.bad_request('field label not supported: %s' % unsupported)

        def predicate(obj):
            return (not labels or matches_labels(labels, obj["metadata"].get("labels"))) and \
                (not fields or matches_fields(fields, obj))
        return predicate

    def _list(self, rt, ns):
        predicate = self._filters(rt)
        items, rv = self.server.cluster.store.list(rt, ns, predicate)
        meta = {"resourceVersion": str(rv)}
        limit = int(self.query.get("limit") or 0)
        token = self.query.get("continue")
        if token:
            try:
                state = json.loads(base64.b64decode(token))
                start = (state["ns"], state["name"])
            except Exception:
                raise errors.bad_request("continue key is not valid: illegal base64 data")
            items = [o for o in items
                     if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            meta["continue"] = base64.b64encode(json.dumps(
                {"ns": last.get("namespace", ""), "name": last["name"], "rv": rv}).encode()).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        if self._wants_table():
            table = self._table(rt, items)
            table["metadata"] = meta
            return self._send_json(200, table)
        body = {"kind": rt.kind + "List", "apiVersion": api_version(rt), "metadata": meta,
                "items": items}
        return self._send_json(200, body)

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, rt, ns, name):
        """One loop, correct by construction: `position` advances only through committed
        changes this watch has examined (sent or filtered out), and a BOOKMARK carries exactly
        `position`. The rules of what is sent live in watch.py."""
        predicate = self._filters(rt)
        if name is not None:                        # the legacy /watch/.../NAME form
            base = predicate
            predicate = lambda o: o["metadata"]["name"] == name and base(o)   # noqa: E731
        options = watch_options(self.query)         # a bad query is refused before any event
        store = self.server.cluster.store
        if options.since is not None:
            # a resourceVersion the store has not reached: the watch cache waits up to 3 s
            # for it, then refuses (storage.NewTooLargeResourceVersionError: 504, retry in 1 s)
            with store.cond:
                store.cond.wait_for(lambda: store.rv >= options.since, timeout=3.0)
                if store.rv < options.since:
                    raise errors.too_large_resource_version(options.since, store.rv)
        timeout = float(self.query.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        table = self._wants_table()
        stopping = self.server.stopping
        plan = self.fault_plan
        close_after = plan.watch_close_after if plan is not None else None
        drop_after = plan.watch_drop_after if plan is not None else None
        if plan is not None and plan.watch_close_seconds is not None:
            deadline = min(deadline, time.monotonic() + plan.watch_close_seconds)
        sent = [0]
        self._log(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

        def send(etype, obj):
            if drop_after is not None and sent[0] >= drop_after and \
                    etype in ("ADDED", "MODIFIED", "DELETED"):
                return                                  # an injected fault: the event is lost
            if table and etype in ("ADDED", "MODIFIED", "DELETED"):
                obj = self._table(rt, [obj])
            self._chunk(json.dumps({"type": etype, "object": obj},
                                   separators=(",", ":")).encode() + b"\n")
            if etype in ("ADDED", "MODIFIED", "DELETED"):
                sent[0] += 1

        def closing():          # an injected early close: after N events
            return close_after is not None and sent[0] >= close_after

        def send_bookmark(position, initial_end=False):
            send("BOOKMARK", bookmark(rt.kind, api_version(rt), position, initial_end))

        try:
            if plan is not None and plan.watch_gone is not None:
                send("ERROR", errors.gone("too old resource version: %d (%d)"
                                          % (options.since or 0, store.rv)).status)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            if options.since is not None:
                position = options.since
            elif options.initial:
                items, position = store.list(rt, ns, predicate)     # one consistent snapshot
                for obj in items:
                    if closing():
                        break
                    send("ADDED", obj)
            else:
                with store.cond:
                    position = store.rv
            if options.initial_end_bookmark and not closing():
                send_bookmark(position, initial_end=True)
            period = self.server.bookmark_seconds
            next_bookmark = time.monotonic() + period
            while not stopping.is_set() and not closing():
                now = time.monotonic()
                if now >= deadline:
                    break
                due = options.bookmarks and now >= next_bookmark
                with store.cond:
                    entries = store.events_since(position)      # 410 Gone when compacted
                    if not entries and not due:
                        wake = min(deadline - now, 0.5)
                        if options.bookmarks:
                            wake = min(wake, next_bookmark - now)
                        store.cond.wait(timeout=max(wake, 0.001))
                        continue
                for entry in entries:
                    if closing():
                        break
                    event = watch_event(entry, rt, ns, predicate)
                    if event is not None:
                        send(*event)
                    position = entry.rv
                if options.bookmarks and time.monotonic() >= next_bookmark and not closing():
                    send_bookmark(position)
                    next_bookmark = time.monotonic() + period
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        except ApiError as exc:
            send("ERROR", exc.status)
            self.wfile.write(b"0\r\n\r\n")

    # -- writes ---------------------------------------------------------------------------------
    def _patch(self, rt, ns, name, sub, dry_run):
        store = self.server.cluster.store
        body = self._read_body()
        ctype = self.headers.get("Content-Type") or ""
        with store.cond:
            obj = store.get(rt, ns, name)
            target = _scale_of(obj) if sub == "scale" else obj
            try:
                patched = apply_patch(ctype, target, body, "Scale" if sub == "scale" else rt.kind)
            except PatchError as exc:
                if "unknown format" in str(exc) or "media type" in str(exc):
                    raise errors.unsupported_media_type(ctype)
                raise ApiError(errors.status(422, "Invalid", str(exc)))
            if not isinstance(patched, dict):
                raise ApiError(errors.status(422, "Invalid", "patched object is not an object"))
            meta = patched.setdefault("metadata", {})
            if meta.get("name") != name:
                raise errors.bad_request("the name of the object (%s) does not match the name on "
                                         "the URL (%s)" % (meta.get("name"), name))
            if sub == "scale":
                return self._send_json(200, self._write_scale(rt, ns, name, patched, dry_run))
            self._unknown_fields(rt, patched, patch=True)
            updated = store.update(rt, patched, subresource=sub, dry_run=dry_run)
        return self._send_object(200, rt, updated)

    def _write_scale(self, rt, ns, name, scale, dry_run):
        store = self.server.cluster.store
        if rt.kind != "StatefulSet":
            raise errors.method_not_allowed()
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or replicas < 0:
            from .validation import invalid_status
            raise errors.invalid(invalid_status("Scale", "autoscaling", name, [{
                "reason": "FieldValueInvalid", "field": "spec.replicas",
                "message": "Invalid value: %s: must be greater than or equal to 0"
                           % json.dumps(replicas)}]))
        with store.cond:
            obj = store.get(rt, ns, name)
            wanted = (scale.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != obj["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            obj["spec"]["replicas"] = replicas
            updated = store.update(rt, obj, dry_run=dry_run)
        return _scale_of(updated)

    def _delete_options(self, dry_run):
        """DeleteOptions from the body and the query: (propagation, grace, preconditions,
        dry_run)."""
        body = self._read_body() or {}
        propagation = self.query.get("propagationPolicy") or body.get("propagationPolicy")
        if body.get("orphanDependents") is True:
            propagation = "Orphan"
        grace = self.query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
        grace = int(grace) if grace not in (None, "") else None
        dry_run = dry_run or "All" in (body.get("dryRun") or [])
        return propagation, grace, body.get("preconditions"), dry_run

    def _delete(self, rt, ns, name, dry_run):
        propagation, grace, preconditions, dry_run = self._delete_options(dry_run)
        obj, removed = self.server.cluster.store.delete(
            rt, ns, name, propagation=propagation, preconditions=preconditions,
            grace=grace, dry_run=dry_run)
        if removed and rt.plural not in _RETURN_DELETED_OBJECT:
            details = {"name": name, "kind": rt.plural, "uid": obj["metadata"]["uid"]}
            if rt.group:
                details["group"] = rt.group
            return self._send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                         "status": "Success", "details": details})
        return self._send_object(200, rt, obj)

    def _delete_collection(self, rt, ns, dry_run):
        # the registry's DeleteCollection applies the request's DeleteOptions to each item
        propagation, grace, _, dry_run = self._delete_options(dry_run)
        predicate = self._filters(rt)
        store = self.server.cluster.store
        items, rv = store.list(rt, ns, predicate)
        deleted = []
        for obj in items:
            try:
                gone, _ = store.delete(rt, obj["metadata"].get("namespace"),
                                       obj["metadata"]["name"], propagation=propagation,
                                       grace=grace, dry_run=dry_run)
                deleted.append(gone)
            except ApiError:
                continue
        return self._send_json(200, {"kind": rt.kind + "List", "apiVersion": api_version(rt),
                                     "metadata": {"resourceVersion": str(store.rv)},
                                     "items": deleted})


# The API server's default MaxRequestBodyBytes (3 MiB): limitedReadBody answers 413 past it.
MAX_BODY_BYTES = 3 * 1024 * 1024
_MAX_LINE = 4096
_UNSUPPORTED_BODY = ("the body of the request was in an unknown format - accepted media types "
                     "include: application/json, application/yaml, "
                     "application/vnd.kubernetes.protobuf")


def _too_large():
    return ApiError(errors.status(413, "RequestEntityTooLarge",
                                  "Request entity too large: limit is %d" % MAX_BODY_BYTES))


def _media_type(header):
    return (header or "").split(";", 1)[0].strip().lower()


def _accepts_json(header):
    """Whether an Accept header allows a JSON answer (no header allows anything)."""
    if not (header or "").strip():
        return True
    for clause in header.split(","):
        media = _media_type(clause)
        if media in ("application/json", "application/*", "*/*", "*"):
            return True
    return False


def _json_or_yaml(raw):
    try:
        return json.loads(raw)
    except ValueError:
        try:
            import yaml
            return yaml.safe_load(raw)
        except Exception:
            raise errors.bad_request("the body of the request could not be decoded")


def _endpoint_kind(path):
    """The kind a resource URL serves (the decode target), "" when it names none."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        group, rest = "", parts[2:]
    else:
        group, rest = (parts[1] if len(parts) > 1 else ""), parts[3:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    rt = lookup(group, rest[0]) if rest else None
    if rt is not None and rest[2:3] == ["scale"]:
        return "Scale"
    return rt.kind if rt is not None else ""


def _envelope_kind(raw):
    """(kind, version) named by a protobuf envelope, ("", "") when unreadable."""
    try:
        obj = protobuf.decode_type_meta(raw)
    except protobuf.DecodeError:
        return "", ""
    version = obj.get("apiVersion", "").rsplit("/", 1)[-1]
    return obj.get("kind", ""), version


def _scale_of(sts):
    meta = sts["metadata"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: copy.deepcopy(meta[k]) for k in
                         ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": sts["spec"].get("replicas", 1)},
            "status": {"replicas": (sts.get("status") or {}).get("replicas", 0),
                       "selector": format_label_selector(sts["spec"].get("selector"))}}


STS = BY_KIND["StatefulSet"]


def peer_identity(connection):
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
