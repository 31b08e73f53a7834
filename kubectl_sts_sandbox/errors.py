"""Status bodies exactly as a real kube-apiserver sends them, raised as ApiError."""

from typing import Any, Dict, Optional

from .resources import Named, qualified

Obj = Dict[str, Any]


class ApiError(Exception):
    """An answer other than success: `status` is the Status body, `code` its HTTP status."""

    def __init__(self, status: Obj) -> None:
        super().__init__(status.get("message", ""))
        self.status = status

    @property
    def code(self) -> int:
        return self.status["code"]


def status(code: int, reason: str, message: str, details: Optional[Obj] = None) -> Obj:
    """A failure Status body."""
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


def _details(rt: Named, name: str) -> Obj:
    details = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: Named, name: str) -> ApiError:
    return ApiError(status(404, "NotFound", '%s "%s" not found' % (qualified(rt), name),
                           _details(rt, name)))


def already_exists(rt: Named, name: str) -> ApiError:
    return ApiError(status(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rt), name),
                           _details(rt, name)))


def conflict(rt: Named, name: str,
             why: str = "the object has been modified; please apply your changes to the latest "
                        "version and try again") -> ApiError:
    return ApiError(status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                           % (qualified(rt), name, why), _details(rt, name)))


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def gone(message: str) -> ApiError:
    return ApiError(status(410, "Expired", message))


def invalid(body: Obj) -> ApiError:
    return ApiError(body)


def forbidden(message: str, rt: Optional[Named] = None, name: str = "") -> ApiError:
    return ApiError(status(403, "Forbidden", message, _details(rt, name) if rt else None))


def method_not_allowed() -> ApiError:
    return ApiError(status(405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource"))


def unsupported_media_type(content_type: Optional[str]) -> ApiError:
    return ApiError(status(415, "UnsupportedMediaType",
                           'the body of the request was in an unknown format - accepted media '
                           'types include: application/json-patch+json, application/merge-patch+json,'
                           ' application/apply-patch+yaml, application/strategic-merge-patch+json'
                           if content_type else "unsupported media type"))


def terminating_namespace(ns: str, rt: Named, name: str) -> ApiError:
    return ApiError(status(
        403, "Forbidden",
        '%s "%s" is forbidden: unable to create new content in namespace %s because it is being '
        'terminated' % (qualified(rt), name, ns), _details(rt, name)))


# -- authentication, authorization and injected faults (the bodies kube-apiserver sends) ------

def unauthorized() -> ApiError:
    return ApiError(status(401, "Unauthorized", "Unauthorized"))


def forbidden_request(user: str, verb: str, resource: str, subresource: str = "", group: str = "",
                      namespace: str = "", name: str = "", path: str = "",
                      reason: str = "") -> ApiError:
    """403 as the authorization filter answers it (apiserver endpoints/handlers/
    responsewriters/errors.go ForbiddenStatusError: forbiddenMessage, then ": " and the
    authorizers' reason when there is one; apierrors.NewForbidden)."""
    if not resource:                            # a non-resource URL
        why = 'User "%s" cannot %s path "%s"' % (user, verb, path)
        return ApiError(status(403, "Forbidden", "forbidden: %s%s"
                               % (why, ": " + reason if reason else ""), {}))
    full = resource + ("/" + subresource if subresource else "")
    if namespace:
        why = 'User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' % (
            user, verb, full, group, namespace)
    else:
        why = 'User "%s" cannot %s resource "%s" in API group "%s" at the cluster scope' % (
            user, verb, full, group)
    if reason:
        why += ": " + reason
    qualified = "%s.%s" % (resource, group) if group else resource
    if name:
        message = '%s "%s" is forbidden: %s' % (qualified, name, why)
    else:
        message = "%s is forbidden: %s" % (qualified, why)
    details: Obj = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return ApiError(status(403, "Forbidden", message, details))


def internal_error(message: str = "an error on the server (\"unknown\") has prevented the "
                                "request from succeeding") -> ApiError:
    return ApiError(status(500, "InternalError", "Internal error occurred: %s" % message,
                           {"causes": [{"message": message}]}))


def service_unavailable(message: str = "the server is currently unable to handle the request"
                        ) -> ApiError:
    return ApiError(status(503, "ServiceUnavailable", message))


def too_many_requests(message: str = "the server has received too many requests and has asked "
                                   "us to try again later",
                      retry_after: Optional[float] = None) -> ApiError:
    details = {"retryAfterSeconds": int(retry_after)} if retry_after is not None else None
    return ApiError(status(429, "TooManyRequests", message, details))


def server_timeout(message: str = "the server was unable to return a response in the time "
                                "allotted, but may still be processing the request",
                   retry_after: Optional[float] = None) -> ApiError:
    details = {"retryAfterSeconds": int(retry_after)} if retry_after is not None else None
    return ApiError(status(504, "Timeout", message, details))


def too_large_resource_version(wanted: int, current: int) -> ApiError:
    """A read or watch at a resourceVersion the server has not reached (the watch cache's
    storage.NewTooLargeResourceVersionError)."""
    return ApiError(status(504, "Timeout", "Too large resource version: %d, current: %d"
                           % (wanted, current),
                           {"causes": [{"reason": "ResourceVersionTooLarge",
                                        "message": "Too large resource version"}],
                            "retryAfterSeconds": 1}))


_FAULT_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                  405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 413:
                  "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid"}


def fault_status(code: int, message: Optional[str] = None,
                 retry_after: Optional[float] = None) -> ApiError:
    """The Status body of an injected error with HTTP status `code`."""
    if code == 500:
        return internal_error(message) if message else internal_error()
    if code == 503:
        return service_unavailable(message) if message else service_unavailable()
    if code == 429:
        return too_many_requests(message, retry_after) if message else \
            too_many_requests(retry_after=retry_after)
    if code == 504:
        return server_timeout(message, retry_after) if message else \
            server_timeout(retry_after=retry_after)
    if code == 401 and not message:
        return unauthorized()
    import http
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = "Unknown"
    reason = _FAULT_REASONS.get(code, "InternalError" if code >= 500 else "BadRequest")
    return ApiError(status(code, reason, message or phrase.lower()))
