"""HTTP and transport failures as our typed errors: an API server's refusal as a kubectl-style
one line (ApiError and its subclasses, by status), a connection that failed or broke as a
TransportError with the phase that says whether it is worth repeating."""

import json
import re
from typing import Any, Dict, Mapping, Optional

from ..errors import ApiError, TransportError, api_error_class, redact, redact_url


def first_line(exc: BaseException) -> str:
    """An exception's first line, with every registered secret redacted."""
    text = redact(str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def api_error(status: int, body: Any, method: str = "GET", path: str = "",
              query: Optional[Mapping[str, Any]] = None) -> ApiError:
    """An API server's refusal as a kubectl-style one-line StsError (`status`, `reason` and,
    when the server asked for it, `retry_after` are attributes). A 403 without a message
    names the verb and resource refused, from the method and path."""
    reason, message, retry_after = "", "", None
    details: Dict[str, Any] = {}
    try:
        payload = json.loads(body)
        if isinstance(payload, str):
            message = payload
        elif not isinstance(payload, dict):
            raise ValueError(body)
        else:
            reason, message = payload.get("reason", ""), payload.get("message", "")
            found = payload.get("details")
            details = found if isinstance(found, dict) else {}
            retry_after = parse_retry_after(details.get("retryAfterSeconds"))
    except (TypeError, ValueError):
        message = (body or "").strip() if isinstance(body, str) else ""
        if message.lstrip().startswith("<"):          # an HTML error page from a proxy
            message = ""
    message = _one_line(str(message or ""))
    if len(message) > 500:
        message = message[:497] + "..."
    if not message and status == 403:
        reason = reason or "Forbidden"
        message = "forbidden: cannot %s" % describe_request(method, path, query)
    if not message:
        message = "the server responded with status %s" % status
    if status == 401:
        reason = reason or "Unauthorized"
        message = "You must be logged in to the server (%s)" % message
    return api_error_class(status)("Error from server (%s): %s" % (reason or status, message),
                                   status=status, reason=reason, retry_after=retry_after,
                                   details=details)


_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
          "DELETE": "delete"}


def describe_request(method: str, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
    """`get resource "statefulsets" in API group "apps" in the namespace "ns"`: the verb and
    resource of a request, in the words of an RBAC refusal."""
    query = query or {}
    parts = [p for p in (path or "").split("?")[0].split("/") if p]
    group: Optional[str] = None
    rest: Optional[list] = None
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    verb = _VERBS.get(method.upper(), method.lower())
    if group is None or not rest:
        return '%s path "%s"' % (verb, path)
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else None
    if len(rest) >= 3:
        resource += "/" + rest[2]
    if name is None and method.upper() == "GET":
        verb = "watch" if str(query.get("watch")) in ("true", "1") else "list"
    elif name is None and method.upper() == "DELETE":
        verb = "deletecollection"
    text = '%s resource "%s" in API group "%s"' % (verb, resource, group)
    if namespace:
        text += ' in the namespace "%s"' % namespace
    else:
        text += " at the cluster scope"
    if name:
        text += ' (name "%s")' % name
    return text


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_retry_after(value: Any) -> Optional[float]:
    """Retry-After (or details.retryAfterSeconds) in seconds, or None."""
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def connection_error(exc: BaseException, server: str) -> TransportError:
    """A failed or broken connection to `server` as one line (its phase unknown: None)."""
    text = first_line(exc)
    server = redact_url(server)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        message = "error: TLS verification failed for %s: %s" % (server, _tls_reason(text))
    elif "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        message = "error: timed out talking to %s" % server
    else:
        message = "error: cannot reach the cluster at %s: %s" % (server, _short_reason(text))
    return TransportError(message)


def transport_error(exc: BaseException, server: str, reached: bool) -> TransportError:
    """A transport failure as a TransportError, with `phase`: "connect" (nothing was sent,
    and it is worth repeating: the server was `reached` before, so it is restarting), "sent"
    (the request may have been received), or None (never worth repeating: TLS, DNS, a
    timeout)."""
    import urllib3
    error = connection_error(exc, server)
    text = first_line(exc).lower()
    if isinstance(exc, urllib3.exceptions.SSLError) or "ssl" in text or \
            "certificate" in text:
        error.phase = None
    elif isinstance(exc, (urllib3.exceptions.NewConnectionError,
                          urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)):
        refused = "refused" in text or isinstance(exc, ConnectionRefusedError)
        timed_out = isinstance(exc, urllib3.exceptions.ConnectTimeoutError) and \
            not isinstance(exc, urllib3.exceptions.NewConnectionError)
        error.phase = "connect" if reached and (refused or timed_out) else None
    elif isinstance(exc, urllib3.exceptions.ReadTimeoutError) or "timed out" in text:
        error.phase = None
    else:       # reset, aborted, closed without a response, closed mid-response
        error.phase = "sent"
    return error


def _tls_reason(text: str) -> str:
    if "certificate verify failed" in text:
        return "certificate verify failed"
    return "SSL error"


def _short_reason(text: str) -> str:
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Connection reset", "Remote end closed connection"):
        if marker.lower() in text.lower():
            return marker.lower()
    for marker, said in (("IncompleteRead", "the connection closed in the middle of an answer"),
                         ("Connection broken", "the connection broke in the middle of an "
                                               "answer"),
                         ("Connection aborted", "the connection was aborted")):
        if marker.lower() in text.lower():
            return said
    return _one_line(text)[:160]
