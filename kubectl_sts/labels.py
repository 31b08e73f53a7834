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
