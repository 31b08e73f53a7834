"""What Sandbox.start wires between the authorizers (auth.Access) and the cluster: RBAC reads
the cluster's store, which gets the default policy (bootstrappolicy.py, aggregated by
aggregation.py); writes of RBAC objects go through the RBAC registries' v1 defaults and
escalation check (validation/rbac.py, escalation.py) before the cluster's admission; bearer
tokens the Access does not know are tried as service account tokens (tokens.py)."""

from typing import TYPE_CHECKING, Any, Dict, Optional

from . import bootstrappolicy, escalation, rbac, tokens
from .auth import Access, current_identity
from .validation.rbac import defaults

if TYPE_CHECKING:
    from .cluster import Cluster
    from .resources import ResourceType

Obj = Dict[str, Any]


def attach(access: Access, cluster: "Cluster") -> None:
    access.cluster = cluster
    access.token_authenticator = tokens.authenticate
    bootstrappolicy.ensure(cluster.store)
    admit = cluster.store.admit

    def admit_rbac(rt: "ResourceType", obj: Obj, old: Optional[Obj]) -> None:
        if rt in rbac.TYPES:
            defaults(rt.plural, obj)
            identity = current_identity()       # None: the sandbox's own write (apply())
            if identity is not None:
                escalation.check(access, identity, rt, obj, old)
        if admit is not None:
            admit(rt, obj, old)
    cluster.store.admit = admit_rbac
