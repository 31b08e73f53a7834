"""What a Node's and a PersistentVolume's objects say about where pods can run: node
affinity terms (k8s.io/component-helpers/scheduling/corev1/nodeaffinity, the scheduler's
NodeAffinity plugin and the VolumeBinding plugin's PV node affinity check), a node's
readiness, its cordon and its out-of-service taint. Plain dicts in; the clock is the
caller's (epoch seconds)."""

from typing import Any, Dict, Iterable, List, Optional

from . import selectors
from .conditions import find_condition
from .humanreadable import parse_timestamp
from .taints import OUT_OF_SERVICE

Obj = Dict[str, Any]

_OPERATORS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
              "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GREATER_THAN,
              "Lt": selectors.LESS_THAN}


def _label_requirements(expressions: List[Obj]) -> Optional[List[selectors.Requirement]]:
    """nodeSelectorRequirementsAsSelector; None when one does not parse (the term then
    matches nothing by its labels)."""
    out = []
    for expr in expressions:
        op = _OPERATORS.get(str(expr.get("operator")))
        if op is None:
            return None
        try:
            out.append(selectors.new_requirement(str(expr.get("key") or ""), op,
                                                 [str(v) for v in expr.get("values") or []]))
        except selectors.SelectorError:
            return None
    return out


def _term_matches(term: Obj, node: Obj, with_fields: bool = True) -> bool:
    """nodeSelectorTerm.match: ANDed expressions and fields; an empty term matches nothing.
    Fields (only metadata.name, In/NotIn with one value) count when the node has a name."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = (node.get("metadata") or {}).get("labels") or {}
    if expressions:
        requirements = _label_requirements(expressions)
        if requirements is None or not selectors.matches_labels(requirements, labels):
            return False
    name = (node.get("metadata") or {}).get("name")
    if fields and with_fields and name:
        for expr in fields:
            values = expr.get("values") or []
            if len(values) != 1 or expr.get("operator") not in ("In", "NotIn"):
                return False
            have = name if expr.get("key") == "metadata.name" else ""
            if (have == values[0]) != (expr.get("operator") == "In"):
                return False
    return True


def terms_match(terms: List[Obj], node: Obj, with_fields: bool = True) -> bool:
    """MatchNodeSelectorTerms: the terms are ORed."""
    return any(_term_matches(t or {}, node, with_fields) for t in terms)


def pv_allowed_nodes(pv: Optional[Obj], nodes: Iterable[Obj]) -> List[str]:
    """The names of the nodes (of `nodes`) a PV's required node affinity allows; every node
    when it has none (volume.kubernetes.io: a PV without nodeAffinity attaches anywhere)."""
    required = (((pv or {}).get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if required is None:
        return [n["metadata"]["name"] for n in nodes]
    terms = required.get("nodeSelectorTerms") or []
    return [n["metadata"]["name"] for n in nodes if terms_match(terms, n)]


def down_for(node: Optional[Obj], now: Optional[float]) -> Optional[float]:
    """Seconds the node has not been Ready (None: it is Ready; 0 when the time is unknown)."""
    cond = find_condition(node, "Ready")
    if cond is not None and cond.get("status") == "True":
        return None
    since = parse_timestamp((cond or {}).get("lastTransitionTime"))
    if since is None or now is None:
        return 0.0
    return max(0.0, now - since.timestamp())


def out_of_service(node: Optional[Obj]) -> bool:
    """The node.kubernetes.io/out-of-service taint is on it (non-graceful node shutdown)."""
    return any(t.get("key") == OUT_OF_SERVICE
               for t in ((node or {}).get("spec") or {}).get("taints") or [])


def cordoned(node: Optional[Obj]) -> bool:
    """spec.unschedulable (kubectl cordon, and drain before it evicts)."""
    return bool(((node or {}).get("spec") or {}).get("unschedulable"))
