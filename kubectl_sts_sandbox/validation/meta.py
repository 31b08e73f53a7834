"""Validation of object metadata, labels, annotations and label selectors
(``k8s.io/apimachinery/pkg/api/validation`` ValidateObjectMeta(Update) and
``pkg/apis/meta/v1/validation`` ValidateLabels, ValidateLabelSelector)."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

from kubectl_sts.k8s.names import (is_qualified_name, is_valid_label_value, name_is_dns1035_label,
                                   name_is_dns_label, name_is_dns_subdomain)
from ..untyped import dict_at, is_int, list_at
from .field import IS_NEGATIVE_MSG, Causes, forbidden, invalid, required, too_long

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

# ValidateNameFunc: (name, is a generateName prefix) -> the messages of what is wrong
NameFunc = Callable[[str, bool], List[str]]


def validate_labels(labels: Any, path: str) -> Causes:
    errs: Causes = []
    if not isinstance(labels, dict):
        return errs
    for k in sorted(labels, key=str):
        v = labels[k]
        for msg in is_qualified_name(str(k)):
            errs.append(invalid(path, str(k), msg))
        if isinstance(v, str):
            for msg in is_valid_label_value(v):
                errs.append(invalid(path, v, msg))
    return errs


def validate_annotations(annotations: Any, path: str) -> Causes:
    errs: Causes = []
    if not isinstance(annotations, dict):
        return errs
    total = 0
    for k in sorted(annotations, key=str):
        for msg in is_qualified_name(str(k).lower()):
            errs.append(invalid(path, str(k), msg))
        v = annotations[k]
        total += len(str(k)) + (len(v) if isinstance(v, str) else 0)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def name_func(res: str) -> NameFunc:
    """How a resource's names are validated (the registry strategy's ValidateNameFunc)."""
    if res in ("statefulsets", "namespaces"):
        return name_is_dns_label
    if res == "services":
        return name_is_dns1035_label
    return name_is_dns_subdomain


def validate_object_meta(meta: Any, name_fn: NameFunc, path: str = "metadata") -> Causes:
    meta = meta if isinstance(meta, dict) else {}
    errs: Causes = []
    gen_name = meta.get("generateName")
    if isinstance(gen_name, str) and gen_name:
        for msg in name_fn(gen_name, True):
            errs.append(invalid(path + ".generateName", gen_name, msg))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        # The server turns generateName into a name before validating.
        if not (isinstance(gen_name, str) and gen_name):
            errs.append(required(path + ".name", "name or generateName is required"))
    else:
        for msg in name_fn(name, False):
            errs.append(invalid(path + ".name", name, msg))
    ns = meta.get("namespace")
    if isinstance(ns, str) and ns:
        for msg in name_is_dns_label(ns, False):
            errs.append(invalid(path + ".namespace", ns, msg))
    gen = meta.get("generation")
    if is_int(gen) and gen < 0:
        errs.append(invalid(path + ".generation", gen, IS_NEGATIVE_MSG))
    errs.extend(validate_labels(meta.get("labels"), path + ".labels"))
    errs.extend(validate_annotations(meta.get("annotations"), path + ".annotations"))
    return errs


def validate_object_meta_update(meta: Any, old_meta: Any, path: str = "metadata") -> Causes:
    meta = meta if isinstance(meta, dict) else {}
    old_meta = old_meta if isinstance(old_meta, dict) else {}
    errs: Causes = []
    for key in ("name", "namespace", "uid"):
        new_v, old_v = meta.get(key), old_meta.get(key)
        if new_v and old_v and new_v != old_v:
            errs.append(invalid(path + "." + key, new_v, "field is immutable"))
    errs.extend(validate_labels(meta.get("labels"), path + ".labels"))
    errs.extend(validate_annotations(meta.get("annotations"), path + ".annotations"))
    return errs


def validate_meta(obj: dict, old: Optional[dict], name_fn: NameFunc) -> Causes:
    """The object's metadata: ValidateObjectMeta on create (`old` None), else
    ValidateObjectMetaUpdate against the stored object's."""
    if old is None:
        return validate_object_meta(obj.get("metadata"), name_fn)
    return validate_object_meta_update(obj.get("metadata"), dict_at(old, "metadata"))


def validate_label_selector(sel: Any, path: str) -> Tuple[Causes, bool]:
    """Returns (errors, parse_ok): parse_ok mirrors whether
    metav1.LabelSelectorAsSelector would succeed."""
    errs: Causes = []
    parse_ok = True
    if not isinstance(sel, dict):
        return errs, parse_ok
    label_errs = validate_labels(sel.get("matchLabels"), path + ".matchLabels")
    if label_errs:
        parse_ok = False
    errs.extend(label_errs)
    for i, expr in enumerate(list_at(sel, "matchExpressions")):
        p = "%s.matchExpressions[%d]" % (path, i)
        expr = expr if isinstance(expr, dict) else {}
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(p + ".values",
                                     "must be specified when `operator` is 'In' or 'NotIn'"))
                parse_ok = False
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(p + ".values", "may not be specified when `operator` is "
                                                     "'Exists' or 'DoesNotExist'"))
                parse_ok = False
        else:
            errs.append(invalid(p + ".operator", op if isinstance(op, str) else "",
                                "not a valid selector operator"))
            parse_ok = False
        key = expr.get("key")
        key = key if isinstance(key, str) else ""
        for msg in is_qualified_name(key):
            errs.append(invalid(p + ".key", key, msg))
            parse_ok = False
        for j, v in enumerate(values if isinstance(values, list) else []):
            for msg in is_valid_label_value(str(v)):
                errs.append(invalid("%s.values[%d]" % (p, j), str(v), msg))
                parse_ok = False
    return errs, parse_ok


def selector_is_empty(sel: Any) -> bool:
    return not (dict_at(sel, "matchLabels") or list_at(sel, "matchExpressions"))


def selector_matches(sel: Any, labels: Any) -> bool:
    """Does a (valid, non-nil) LabelSelector match the labels? (the neutral layer's
    LabelSelectorAsSelector and Matches)"""
    from kubectl_sts.k8s.selectors import (SelectorError, matches_labels,
                                           selector_from_label_selector)
    try:
        requirements = selector_from_label_selector(sel)
    except SelectorError:
        return False
    return matches_labels(requirements, labels if isinstance(labels, dict) else {})
