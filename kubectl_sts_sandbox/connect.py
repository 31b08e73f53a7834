"""The table of endpoints served by their own modules rather than the store: connect
subresources (a pod's log, exec, attach, portforward, proxy; a service's proxy; a service
account's token) and create-only resources (the reviews). Each entry is a `routes.Serve`."""

from typing import Dict, Optional, Tuple

from . import portforward, proxy, reviews, tokens
from .logendpoint import serve_log
from .podexec import serve_exec
from .routes import Serve

# (group, plural, subresource or None for the collection) -> what serves it; one line each
SPECIAL: Dict[Tuple[str, str, Optional[str]], Serve] = {
    ("authorization.k8s.io", "selfsubjectaccessreviews", None): reviews.self_subject_access_review,
    ("authorization.k8s.io", "subjectaccessreviews", None): reviews.subject_access_review,
    ("authorization.k8s.io", "selfsubjectrulesreviews", None): reviews.self_subject_rules_review,
    ("authentication.k8s.io", "selfsubjectreviews", None): reviews.self_subject_review,
    ("", "pods", "log"): serve_log,
    ("", "pods", "exec"): serve_exec,
    ("", "pods", "portforward"): portforward.serve,
    ("", "pods", "proxy"): proxy.serve_pod,
    ("", "services", "proxy"): proxy.serve_service,
    ("", "serviceaccounts", "token"): tokens.token_request,
}

# subresources whose URL goes on after the subresource (pods/NAME/proxy/PATH)
TAIL_SUBRESOURCES = {"proxy"}


def find(group: str, plural: str, sub: Optional[str]) -> Optional[Serve]:
    return SPECIAL.get((group, plural, sub))
