"""RBAC's escalation prevention, as the RBAC registries apply it on create and update
(pkg/registry/rbac/escalation_check.go EscalationAllowed, RoleEscalationAuthorized,
BindingAuthorized; the policybased storages of role, clusterrole, rolebinding and
clusterrolebinding; pkg/registry/rbac/validation/rule.go ConfirmNoEscalation and
policy_comparator.go Covers, BreakdownRule, ruleCovers; CompactRules and
rbacv1helpers.CompactString for the message).

A user may write a Role or ClusterRole only with rules it holds itself (or with the verb
`escalate` on it), and a binding only to a role whose rules it holds (or with the verb `bind`
on that role); system:masters may do anything. The rules a user holds are those RBAC resolves
for it (and the sandbox's grants)."""

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import errors, rbac
from .auth import MASTERS, Identity, attributes

if TYPE_CHECKING:
    from .auth import Access
    from .resources import ResourceType

Obj = Dict[str, Any]
Rule = Mapping[str, Any]
GROUP = "rbac.authorization.k8s.io"
FULL_AUTHORITY = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                  {"verbs": ["*"], "nonResourceURLs": ["*"]}]


# -- policy_comparator.go --------------------------------------------------------------------------

def breakdown_rule(rule: Rule) -> List[Obj]:
    """BreakdownRule: one rule per group, resource, verb (and resource name); one per
    non-resource URL and verb."""
    out: List[Obj] = []
    verbs = list(rule.get("verbs") or ())
    for group in rule.get("apiGroups") or ():
        for resource in rule.get("resources") or ():
            for verb in verbs:
                if rule.get("resourceNames"):
                    out += [{"apiGroups": [group], "resources": [resource], "verbs": [verb],
                             "resourceNames": [name]} for name in rule["resourceNames"]]
                else:
                    out.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
    for url in rule.get("nonResourceURLs") or ():
        out += [{"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs]
    return out


def _has_all(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return all(w in owned for w in wanted)


def _resources_cover(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    if "*" in owned or _has_all(owned, wanted):
        return True
    for path in wanted:
        if path in owned:
            continue
        if "/" not in path or "*/" + path.split("/", 1)[1] not in owned:
            return False
    return True


def _url_covers(owner: str, path: str) -> bool:
    return owner == path or (owner.endswith("*") and path.startswith(owner.rstrip("*")))


def rule_covers(owner: Rule, sub: Rule) -> bool:
    """ruleCovers."""
    def get(rule: Rule, key: str) -> List[str]:
        return list(rule.get(key) or ())
    if not ("*" in get(owner, "verbs") or _has_all(get(owner, "verbs"), get(sub, "verbs"))):
        return False
    if not ("*" in get(owner, "apiGroups") or _has_all(get(owner, "apiGroups"),
                                                       get(sub, "apiGroups"))):
        return False
    if not _resources_cover(get(owner, "resources"), get(sub, "resources")):
        return False
    if not all(any(_url_covers(o, p) for o in get(owner, "nonResourceURLs"))
               for p in get(sub, "nonResourceURLs")):
        return False
    if not get(sub, "resourceNames"):
        return not get(owner, "resourceNames")
    return not get(owner, "resourceNames") or _has_all(get(owner, "resourceNames"),
                                                      get(sub, "resourceNames"))


def covers(owned: Sequence[Rule], wanted: Sequence[Rule]) -> Tuple[bool, List[Obj]]:
    """Covers: whether the owned rules cover every wanted one, and the uncovered parts."""
    missing = [sub for rule in wanted for sub in breakdown_rule(rule)
               if not any(rule_covers(o, sub) for o in owned)]
    return not missing, missing


def compact_rules(rules: List[Obj]) -> List[Obj]:
    """CompactRules: simple rules (one group, one resource, at most one name, no URLs) that
    differ only in verbs become one."""
    compacted: List[Obj] = []
    simple: Dict[Tuple[str, str, str], Obj] = {}
    for rule in rules:
        groups, resources = rule.get("apiGroups") or [], rule.get("resources") or []
        names = rule.get("resourceNames") or []
        if len(groups) == 1 and len(resources) == 1 and len(names) <= 1 and \
                not rule.get("nonResourceURLs") and rule.get("verbs"):
            key = (groups[0], resources[0], names[0] if names else "")
            if key in simple:
                simple[key]["verbs"] = simple[key]["verbs"] + list(rule["verbs"])
            else:
                simple[key] = {k: list(v) for k, v in rule.items()}
        else:
            compacted.append(rule)
    return compacted + list(simple.values())


def _go_strings(values: Sequence[str]) -> str:
    """%q of a []string."""
    from kubectl_sts.k8s.gostrings import go_quote
    return "[%s]" % " ".join(go_quote(v) for v in values)


def compact_string(rule: Rule) -> str:
    """rbacv1helpers.CompactString."""
    parts = ["%s:%s" % (label, _go_strings(rule[key]))
             for label, key in (("APIGroups", "apiGroups"), ("Resources", "resources"),
                                ("NonResourceURLs", "nonResourceURLs"),
                                ("ResourceNames", "resourceNames"), ("Verbs", "verbs"))
             if rule.get(key)]
    return "{" + ", ".join(parts) + "}"


# -- the checks -----------------------------------------------------------------------------------

def held_rules(access: "Access", identity: Identity, namespace: str) -> Tuple[List[Rule], List[str]]:
    """The rules the identity holds in `namespace` (RulesFor), with the sandbox's grants."""
    owned: List[Rule] = []
    errs: List[str] = []
    if access.cluster is not None:
        owned, errs = rbac.rules_for(access.cluster.store, identity.user, identity.groups,
                                     namespace)
    for grant in access.grants_of(identity.user):
        namespaces = grant.get("namespaces")
        if namespaces is None or "*" in namespaces or namespace in namespaces:
            owned.append(dict(grant, apiGroups=grant.get("apiGroups") or ["*"]))
    return owned, errs


def confirm_no_escalation(access: "Access", identity: Identity, namespace: str,
                          rules: Sequence[Rule]) -> Optional[str]:
    """ConfirmNoEscalation: None, or the error text."""
    owned, errs = held_rules(access, identity, namespace)
    ok, missing = covers(owned, rules)
    if ok:
        return None
    lines = sorted(set(compact_string(r) for r in compact_rules(missing)))
    msg = ("user %s (groups=%s) is attempting to grant RBAC permissions not currently held:\n%s"
           % (_go_strings([identity.user])[1:-1], _go_strings(identity.groups),
              "\n".join(lines)))
    if errs:
        msg += "; resolution errors: [%s]" % " ".join(errs)
    return msg


def _allowed(access: "Access", identity: Identity, verb: str, resource: str, namespace: str,
             name: str) -> bool:
    return access.decide(identity, attributes(verb, GROUP, resource, "", namespace,
                                              name)).allowed


def check(access: "Access", identity: Identity, rt: "ResourceType", obj: Obj,
          old: Optional[Obj]) -> None:
    """Raise 403 (or 400 for a binding to a missing role) when writing `obj` escalates."""
    if MASTERS in identity.groups:                      # EscalationAllowed
        return
    meta = obj.get("metadata") or {}
    name, namespace = meta.get("name") or "", meta.get("namespace") or ""
    if old is not None and _only_gc_fields(obj, old):
        return
    if rt.plural in ("roles", "clusterroles"):
        if _allowed(access, identity, "escalate", rt.plural, namespace, name):
            return                                      # RoleEscalationAuthorized
        why = confirm_no_escalation(access, identity, namespace, obj.get("rules") or [])
        if why is None and rt.plural == "clusterroles" and obj.get("aggregationRule") and \
                confirm_no_escalation(access, identity, namespace, FULL_AUTHORITY) is not None:
            why = "must have cluster-admin privileges to use the aggregationRule"
    else:
        ref = obj.get("roleRef") or {}
        kind = {"ClusterRole": "clusterroles", "Role": "roles"}.get(ref.get("kind") or "")
        if kind and _allowed(access, identity, "bind", kind, namespace, ref.get("name") or ""):
            return                                      # BindingAuthorized
        if access.cluster is None:
            return
        rules, missing = rbac.role_reference_rules(access.cluster.store, ref, namespace,
                                                   registry=True)
        if missing is not None:
            raise errors.bad_request(missing)
        why = confirm_no_escalation(access, identity, namespace, rules)
    if why is not None:
        raise errors.forbidden('%s.%s "%s" is forbidden: %s' % (rt.plural, GROUP, name, why),
                               rt, name)


def _only_gc_fields(obj: Obj, old: Obj) -> bool:
    """IsOnlyMutatingGCFields: only ownerReferences and finalizers changed."""
    def strip(o: Obj) -> Obj:
        meta = {k: v for k, v in (o.get("metadata") or {}).items()
                if k not in ("ownerReferences", "finalizers", "resourceVersion",
                             "managedFields")}
        return dict({k: v for k, v in o.items() if k != "metadata"}, metadata=meta)
    return strip(obj) == strip(old)
