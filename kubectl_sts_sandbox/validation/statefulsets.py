"""Validation of StatefulSets (``pkg/apis/apps/validation`` ValidateStatefulSet,
ValidateStatefulSetUpdate) and the Go renderings of its values in the messages."""

from __future__ import annotations

from typing import Any, Optional

from kubectl_sts.k8s.gostrings import go_quote
from kubectl_sts.k8s.names import is_valid_percent, name_is_dns_label
from ..defaulting import uses_max_unavailable
from ..untyped import dict_at, is_int, list_at
from .field import (IS_NEGATIVE_MSG, Causes, GoRepr, forbidden, go_map_repr, invalid,
                    not_supported, required, semantic_equal)
from .meta import (selector_is_empty, selector_matches, validate_annotations, validate_label_selector,
                   validate_labels, validate_meta)
from .pods import validate_containers

# The real v1.32 server does NOT validate the pod spec inside a StatefulSet
# template (kubernetes/kubernetes#97309, #137728: a StatefulSet without an
# image is accepted and the controller then fails to create pods).  The
# sandbox checks that the template has containers with a name and an image,
# because a StatefulSet that can never create a pod is useless in tests.
# Set this to False for strict real-server behaviour.
STATEFULSET_VALIDATES_POD_TEMPLATE = True

_FAKE_POINTER = "0xc000000000"


def _label_selector_string(sel: Any) -> str:
    """``(*metav1.LabelSelector).String()`` (gogo-protobuf generated)."""
    sel = sel if isinstance(sel, dict) else {}
    ml = sel.get("matchLabels") or {}
    labels = "".join("%s: %s," % (k, ml[k]) for k in sorted(ml))
    exprs = ""
    for e in sel.get("matchExpressions") or []:
        e = e if isinstance(e, dict) else {}
        values = "[" + " ".join(str(v) for v in (e.get("values") or [])) + "]"
        exprs += "LabelSelectorRequirement{Key:%s,Operator:%s,Values:%s,}," % (
            e.get("key", ""),
            e.get("operator", ""),
            values,
        )
    return ("&LabelSelector{MatchLabels:map[string]string{%s},"
            "MatchExpressions:[]LabelSelectorRequirement{%s},}" % (labels, exprs))


def _rolling_update_repr(ru: Any) -> str:
    ru = ru if isinstance(ru, dict) else {}
    partition = ru.get("partition")
    partition = partition if is_int(partition) else 0
    mu = "(*intstr.IntOrString)(nil)"
    if ru.get("maxUnavailable") is not None:
        mu = "(*intstr.IntOrString)(%s)" % _FAKE_POINTER
    return "apps.RollingUpdateStatefulSetStrategy{Partition:%d, MaxUnavailable:%s}" % (
        partition,
        mu,
    )


def _update_strategy_repr(us: Any) -> str:
    us = us if isinstance(us, dict) else {}
    ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)"
    if us.get("rollingUpdate") is not None:
        ru = "(*apps.RollingUpdateStatefulSetStrategy)(%s)" % _FAKE_POINTER
    return 'apps.StatefulSetUpdateStrategy{Type:%s, RollingUpdate:%s}' % (
        go_quote(str(us.get("type") or "")),
        ru,
    )


def _intstr_repr(v: Any) -> GoRepr:
    """``(*intstr.IntOrString).String()``: the int or the raw string."""
    return GoRepr(str(v))


STATEFULSET_UPDATE_FORBIDDEN_MESSAGE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
_STS_MUTABLE_SPEC_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_RETENTION_VALUES = ["Retain", "Delete"]


def _nonnegative(value: Any, path: str) -> Causes:
    if is_int(value) and value < 0:
        return [invalid(path, value, IS_NEGATIVE_MSG)]
    return []


def _percent_value(v: Any) -> Optional[int]:
    if isinstance(v, str) and not is_valid_percent(v):
        return int(v[:-1])
    return None


def _int_or_percent_value(v: Any) -> int:
    p = _percent_value(v)
    if p is not None:
        return p
    if is_int(v):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return 0


def _validate_max_unavailable(mu: Any, path: str) -> Causes:
    errs: Causes = []
    shown = _intstr_repr(mu)
    if isinstance(mu, str):
        for msg in is_valid_percent(mu):
            errs.append(invalid(path, shown, msg))
    elif is_int(mu):
        if mu < 0:
            errs.append(invalid(path, mu, IS_NEGATIVE_MSG))
    else:
        errs.append(invalid(path, shown, "must be an integer or percentage (e.g '5%')"))
    if _int_or_percent_value(mu) == 0:
        errs.append(invalid(path, shown, "cannot be 0"))
    pct = _percent_value(mu)
    if pct is not None and pct > 100:
        errs.append(invalid(path, shown, "must not be greater than 100%"))
    return errs


def _validate_statefulset_spec(spec: Any, check_max_unavailable: bool,
                               allow_recreate: bool = False) -> Causes:
    spec = spec if isinstance(spec, dict) else {}
    errs: Causes = []
    p = "spec"

    pmp = spec.get("podManagementPolicy")
    if not pmp:
        errs.append(required(p + ".podManagementPolicy"))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(invalid(p + ".podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))

    strategy = dict_at(spec, "updateStrategy")
    stype = strategy.get("type")
    ru = strategy.get("rollingUpdate")
    if not stype:
        errs.append(required(p + ".updateStrategy"))
    elif stype == "OnDelete" or (stype == "Recreate" and allow_recreate):
        if ru is not None:
            ru_shown = dict(ru) if isinstance(ru, dict) else {}
            if not check_max_unavailable:
                ru_shown.pop("maxUnavailable", None)
            errs.append(
                invalid(
                    p + ".updateStrategy.rollingUpdate",
                    GoRepr(_rolling_update_repr(ru_shown)),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    elif stype == "RollingUpdate":
        if isinstance(ru, dict):
            rp = p + ".updateStrategy.rollingUpdate"
            errs.extend(_nonnegative(ru.get("partition"), rp + ".partition"))
            if check_max_unavailable and ru.get("maxUnavailable") is not None:
                errs.extend(_validate_max_unavailable(ru["maxUnavailable"], rp + ".maxUnavailable"))
    else:
        errs.append(
            invalid(
                p + ".updateStrategy",
                GoRepr(_update_strategy_repr(strategy)),
                "must be 'RollingUpdate' or 'OnDelete'",
            )
        )

    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(policy, dict):
        for key in ("whenDeleted", "whenScaled"):
            val = policy.get(key)
            if val not in _RETENTION_VALUES:
                errs.append(
                    not_supported(
                        p + ".persistentVolumeClaimRetentionPolicy." + key,
                        val if isinstance(val, str) else "",
                        _RETENTION_VALUES,
                    )
                )

    errs.extend(_nonnegative(spec.get("replicas"), p + ".replicas"))
    errs.extend(_nonnegative(spec.get("minReadySeconds"), p + ".minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs.extend(_nonnegative(ordinals.get("start"), p + ".ordinals.start"))

    selector = spec.get("selector")
    parse_ok = True
    if not isinstance(selector, dict):
        errs.append(required(p + ".selector"))
    else:
        sel_errs, parse_ok = validate_label_selector(selector, p + ".selector")
        errs.extend(sel_errs)
        if selector_is_empty(selector):
            errs.append(
                invalid(
                    p + ".selector",
                    GoRepr(_label_selector_string(selector)),
                    "empty selector is invalid for statefulset",
                )
            )

    template = dict_at(spec, "template")
    tmeta = dict_at(template, "metadata")
    tlabels = tmeta.get("labels") if isinstance(tmeta.get("labels"), dict) else None
    if not parse_ok:
        errs.append(invalid(p + ".selector", GoRepr(_label_selector_string(selector)), ""))
    else:
        tp = p + ".template"
        # A nil selector selects nothing, so it never matches; an empty one
        # matches everything (and is rejected above).
        if selector is None or not selector_is_empty(selector):
            if selector is None or not selector_matches(selector, tlabels):
                errs.append(
                    invalid(
                        tp + ".metadata.labels",
                        GoRepr(go_map_repr(tlabels)),
                        "`selector` does not match template `labels`",
                    )
                )
        # The server validates template labels/annotations at these paths
        # (without "metadata").
        errs.extend(validate_labels(tlabels, tp + ".labels"))
        errs.extend(validate_annotations(tmeta.get("annotations"), tp + ".annotations"))
        if STATEFULSET_VALIDATES_POD_TEMPLATE:
            errs.extend(
                validate_containers(
                    list_at(dict_at(template, "spec"), "containers"), tp + ".spec.containers", full=False
                )
            )

    tspec = dict_at(template, "spec")
    restart = tspec.get("restartPolicy")
    if restart != "Always":
        errs.append(
            not_supported(p + ".template.spec.restartPolicy",
                          restart if isinstance(restart, str) else "", ["Always"])
        )
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(p + ".template.spec.activeDeadlineSeconds",
                      "activeDeadlineSeconds in StatefulSet is not Supported")
        )
    return errs


def validate_statefulset(sts: dict, old: Optional[dict], maxunavailable_gate: bool,
                         recreate: bool = False) -> Causes:
    """`recreate`: StatefulSetRecreateStrategy (KEP-3541, alpha in 1.37, #137187): the
    strategy type Recreate is accepted with the gate on, or on an update of a set that
    already has it (the registry strategy's opts, as for other gated values)."""
    check_mu = bool(maxunavailable_gate) or uses_max_unavailable(old)
    allow_recreate = recreate or (
        dict_at(dict_at(old, "spec"), "updateStrategy").get("type") == "Recreate")
    errs = validate_meta(sts, old, name_is_dns_label)
    errs.extend(_validate_statefulset_spec(sts.get("spec"), check_mu, allow_recreate))
    if old is not None:
        new_spec = dict(dict_at(sts, "spec"))
        old_spec = dict(dict_at(old, "spec"))
        for key in _STS_MUTABLE_SPEC_FIELDS:
            new_spec.pop(key, None)
            old_spec.pop(key, None)
        if not semantic_equal(new_spec, old_spec):
            errs.append(forbidden("spec", STATEFULSET_UPDATE_FORBIDDEN_MESSAGE))
    return errs
