"""The table of endpoints served by their own modules rather than the store: connect
subresources (a pod's log, exec, attach, portforward, proxy; a service's proxy; a service
account's token) and create-only resources (the reviews). Each entry is a `routes.Serve`."""

from typing import Dict, Optional, Tuple

from . import portforward, proxy
from .routes import Serve

# (group, plural, subresource or None for the collection) -> what serves it; one line each
SPECIAL: Dict[Tuple[str, str, Optional[str]], Serve] = {
    ("", "pods", "portforward"): portforward.serve,
    ("", "pods", "proxy"): proxy.serve_pod,
    ("", "services", "proxy"): proxy.serve_service,
}

# subresources whose URL goes on after the subresource (pods/NAME/proxy/PATH)
TAIL_SUBRESOURCES = {"proxy"}


def find(group: str, plural: str, sub: Optional[str]) -> Optional[Serve]:
    return SPECIAL.get((group, plural, sub))
