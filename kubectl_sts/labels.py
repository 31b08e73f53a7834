"""Label selectors as strings, and pod/claim naming rules of the StatefulSet controller."""

import re

_ORDINAL_RE = re.compile(r"^(.*)-([0-9]+)$")


def selector_string(selector):
    """A metav1.LabelSelector dict as a `labelSelector` query string."""
    selector = selector or {}
    parts = ["%s=%s" % (k, v) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append("%s in (%s)" % (key, ",".join(values)))
        elif op == "NotIn":
            parts.append("%s notin (%s)" % (key, ",".join(values)))
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append("!" + key)
    return ",".join(parts)


def pod_ordinal(sts_name, pod_name):
    """The ordinal of a pod of this set, or None (the controller's `<sts>-<ordinal>` rule)."""
    m = _ORDINAL_RE.match(pod_name)
    if not m or m.group(1) != sts_name:
        return None
    return int(m.group(2))


def claim_ordinal(template, sts_name, claim_name):
    """The ordinal of a claim named `<template>-<sts>-<ordinal>`, or None."""
    prefix = "%s-%s-" % (template, sts_name)
    rest = claim_name[len(prefix):] if claim_name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() and (rest == "0" or not rest.startswith("0")) else None


def selector_matches(selector, labels):
    """Does a metav1.LabelSelector dict select these labels? (An empty selector selects
    everything, as for PodDisruptionBudgets in policy/v1.)"""
    selector = selector or {}
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
