"""pods/[SCHEME:]NAME[:PORT]/proxy[/PATH] and services/[SCHEME:]NAME[:PORT]/proxy[/PATH]: the
API server's HTTP proxy to a pod, as kube-apiserver answers it, with the pods' HTTP servers
played by the user's Proxy mappings (podaccess.py).

- The name: utilnet.SplitSchemeNamePort (apimachinery util/net/http.go): `name`,
  `name:port` or `scheme:name:port`, the scheme http, https or empty; anything else is
  400 `invalid pod request "ID"` / `invalid service request "ID"`.
- A pod (pkg/registry/core/pod/strategy.go ResourceLocation): without a port, the first
  declared container port (else the scheme's default, as Go's URL has none); the pod's IP must
  be a global unicast address (400 `address not allowed`).
- A service (pkg/registry/core/service/storage/storage.go ResourceLocation): a port number is
  the service port's number, replaced by its name (503 `no service port N found for service
  "NAME"`); a ready endpoint is picked at random among the service's EndpointSlices (503 `no
  endpoints available for service "NAME"`), and the service port's targetPort resolved on that
  pod (a named targetPort by the container port of that name: podutil.FindPort).
- The proxy (apimachinery util/proxy/upgradeaware.go UpgradeAwareHandler.ServeHTTP): an empty
  path is redirected (301) to the path with a `/`; the query goes along; what the backend
  answers is relayed (status, headers, body); a backend that cannot be reached is 503
  `error trying to reach service: dial tcp IP:PORT: connect: connection refused`
  (util/proxy/transport.go RoundTrip, errors.NewServiceUnavailable).

A Proxy mapping's `spec.proxies[]` entry serves a port: `{port, target: {address, port,
scheme}}` forwards the request to that HTTP server; `{port, path, status, body, headers}`
answers canned (for one path, or for every path without `path`). A port with canned answers
only answers 404 `404 page not found` (Go's http.NotFound) for its other paths."""

import http.client
import random
import ssl
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

from . import errors
from .resources import BY_KIND
from .routes import Request

Obj = Dict[str, Any]
POD, SERVICE, SLICE = BY_KIND["Pod"], BY_KIND["Service"], BY_KIND["EndpointSlice"]
# hop-by-hop headers (net/http/httputil reverseproxy.go hopHeaders), and the credentials the
# authentication filter removes before any handler runs
DROPPED = {"connection", "proxy-connection", "keep-alive", "proxy-authenticate",
           "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
           "authorization", "host", "content-length"}
SERVICE_NAMES = {"http": 80, "https": 443}      # what Go's resolver finds for a named port


def split_scheme_name_port(ident: str) -> Optional[Tuple[str, str, str]]:
    """utilnet.SplitSchemeNamePort; None when not valid."""
    parts = ident.split(":")
    if len(parts) == 1:
        scheme, name, port = "", parts[0], ""
    elif len(parts) == 2:
        scheme, name, port = "", parts[0], parts[1]
    elif len(parts) == 3:
        scheme, name, port = parts
    else:
        return None
    if not name or scheme not in ("", "http", "https"):
        return None
    return scheme, name, port


def _split(name: Optional[str], what: str) -> Tuple[str, str, str]:
    split = split_scheme_name_port(name or "")
    if split is None:
        raise errors.bad_request('invalid %s request "%s"' % (what, name))
    return split


def serve_pod(handler: Request, rt: Any, namespace: Optional[str], name: Optional[str],
              sub: Optional[str], tail: List[str]) -> None:
    scheme, pod_name, port = _split(name, "pod")
    pod = handler.server.cluster.store.get(POD, namespace, pod_name)
    if not port:
        for container in (pod.get("spec") or {}).get("containers") or []:
            if container.get("ports"):
                port = str(container["ports"][0].get("containerPort", ""))
                break
    _relay(handler, rt.plural, name or "", pod, scheme, port)


def serve_service(handler: Request, rt: Any, namespace: Optional[str], name: Optional[str],
                  sub: Optional[str], tail: List[str]) -> None:
    scheme, svc_name, port_name = _split(name, "service")
    store = handler.server.cluster.store
    svc = store.get(SERVICE, namespace, svc_name)
    ports = (svc.get("spec") or {}).get("ports") or []
    if port_name.isdigit():
        named = [p for p in ports if str(p.get("port")) == port_name]
        if not named:
            raise errors.service_unavailable('no service port %s found for service "%s"'
                                             % (port_name, svc_name))
        port_name = named[0].get("name") or ""
    svc_port = next((p for p in ports if (p.get("name") or "") == port_name), None)
    slices, _ = store.list(SLICE, namespace, lambda s: (s["metadata"].get("labels") or {}).get(
        "kubernetes.io/service-name") == svc_name)
    candidates = []
    for eps in slices:
        for endpoint in eps.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            if (endpoint.get("conditions") or {}).get("ready") is False or \
                    ref.get("kind") != "Pod" or svc_port is None:
                continue
            pod = store.peek(POD, namespace, ref.get("name", ""))
            target = _target_port(svc_port, pod) if pod is not None else None
            if target is not None:
                candidates.append((pod, target))
    if not candidates:
        raise errors.service_unavailable('no endpoints available for service "%s"' % svc_name)
    pod, target = random.choice(candidates)
    _relay(handler, rt.plural, name or "", dict(pod or {}), scheme, str(target))


def _target_port(svc_port: Mapping[str, Any], pod: Mapping[str, Any]) -> Optional[int]:
    """The pod's port behind a service port (podutil.FindPort for a named targetPort)."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port.get("containerPort", 0))
    return None


def _relay(handler: Request, plural: str, ident: str, pod: Obj, scheme: str,
           port: str) -> None:
    ip = (pod.get("status") or {}).get("podIP") or ""
    if not ip or ip.startswith(("127.", "0.", "169.254.")):
        raise errors.bad_request("address not allowed")
    path = handler.url.path
    marker = "/%s/%s/proxy" % (plural, ident)
    at = path.find(marker)
    rest = path[at + len(marker):] if at >= 0 else "/"
    if not rest:
        # upgradeaware.go: "Redirect requests with an empty path to a location that ends
        # with a '/'"
        query = "?" + handler.url.query if handler.url.query else ""
        return handler.send_bytes(301, b"", "text/plain; charset=utf-8",
                                  {"Location": path + "/" + query})
    if port and not port.isdigit():
        if port not in SERVICE_NAMES:
            raise errors.service_unavailable(
                "error trying to reach service: dial tcp: lookup tcp/%s: unknown port" % port)
        port = str(SERVICE_NAMES[port])
    number = int(port) if port else (443 if scheme == "https" else 80)
    host = "%s:%d" % (ip, number)
    entries = [e for e in ((handler.server.cluster.config.pod_access.spec_for("Proxy", pod)
                            or {}).get("proxies") or [])
               if isinstance(e, dict) and str(e.get("port")) == str(number)]
    if not entries:
        raise _unreachable(host)
    for entry in entries:
        if entry.get("target"):
            return _forward(handler, entry["target"], scheme, host, rest)
        if entry.get("path") in (None, rest):
            return _canned(handler, entry)
    handler.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8",
                       {"X-Content-Type-Options": "nosniff"})


def _unreachable(host: str) -> errors.ApiError:
    return errors.service_unavailable(
        "error trying to reach service: dial tcp %s: connect: connection refused" % host)


def _canned(handler: Request, entry: Mapping[str, Any]) -> None:
    body = entry.get("body", "")
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
    content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None) \
        or "text/plain; charset=utf-8"
    handler.send_bytes(int(entry.get("status") or 200), data, content_type, headers)


def _forward(handler: Request, target: Mapping[str, Any], scheme: str, host: str,
             rest: str) -> None:
    address = str(target.get("address") or "127.0.0.1")
    port = int(target.get("port") or 80)
    conn: http.client.HTTPConnection
    if (target.get("scheme") or scheme) == "https":
        # the apiserver's proxy transport does not verify the pod's certificate
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection(address, port, timeout=60, context=context)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=60)
    url = quote(rest, safe="/%:@!$&'()*+,;=-._~") + \
        ("?" + handler.url.query if handler.url.query else "")
    headers = {k: v for k, v in handler.headers.items()
               if k.lower() not in DROPPED and not k.lower().startswith("impersonate-")}
    client = getattr(handler, "client_address", None)
    if client:
        headers["X-Forwarded-For"] = str(client[0])
    try:
        conn.request(handler.command, url, body=handler.raw_body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
    except OSError:
        raise _unreachable(host)
    finally:
        conn.close()
    # relayed as the backend sent it (repeated headers kept), less the hop-by-hop ones
    handler.record(response.status)
    handler.send_response(response.status)
    for key, value in response.getheaders():
        if key.lower() not in DROPPED and key.lower() not in ("date", "server"):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)
