"""Status bodies exactly as a real kube-apiserver sends them, raised as ApiError."""


class ApiError(Exception):
    def __init__(self, status):
        super().__init__(status.get("message", ""))
        self.status = status

    @property
    def code(self):
        return self.status["code"]


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


def _details(rt, name):
    details = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def _qualified(rt):
    return "%s.%s" % (rt.plural, rt.group) if rt.group else rt.plural


def not_found(rt, name):
    return ApiError(status(404, "NotFound", '%s "%s" not found' % (_qualified(rt), name),
                           _details(rt, name)))


def already_exists(rt, name):
    return ApiError(status(409, "AlreadyExists", '%s "%s" already exists' % (_qualified(rt), name),
                           _details(rt, name)))


def conflict(rt, name, why="the object has been modified; please apply your changes to the "
                          "latest version and try again"):
    return ApiError(status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                           % (_qualified(rt), name, why), _details(rt, name)))


def bad_request(message):
    return ApiError(status(400, "BadRequest", message))


def gone(message):
    return ApiError(status(410, "Expired", message))


def invalid(body):
    return ApiError(body)


def forbidden(message, rt=None, name=""):
    return ApiError(status(403, "Forbidden", message, _details(rt, name) if rt else None))


def method_not_allowed():
    return ApiError(status(405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource"))


def unsupported_media_type(content_type):
    return ApiError(status(415, "UnsupportedMediaType",
                           'the body of the request was in an unknown format - accepted media '
                           'types include: application/json-patch+json, application/merge-patch+json,'
                           ' application/apply-patch+yaml, application/strategic-merge-patch+json'
                           if content_type else "unsupported media type"))


def terminating_namespace(ns, rt, name):
    return ApiError(status(
        403, "Forbidden",
        '%s "%s" is forbidden: unable to create new content in namespace %s because it is being '
        'terminated' % (_qualified(rt), name, ns), _details(rt, name)))
