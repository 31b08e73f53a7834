"""Validation of pods and pod specs (``pkg/apis/core/validation`` ValidatePodSpec,
ValidatePodUpdate, with the container checks a StatefulSet template shares)."""

from __future__ import annotations

import copy
import re
from typing import Any, List, Optional, Tuple

from kubectl_sts.k8s.names import is_dns1123_label, max_len_error, name_is_dns_subdomain
from ..untyped import dict_at, is_int, list_at
from .field import (MAX_INT32, Causes, duplicate, forbidden, inclusive_range_error, invalid,
                    not_supported, required, semantic_equal, spec_diff)
from .meta import validate_meta

_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_PORT_NAME_CHARS = re.compile("^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile("[a-z]")


def _one_of(value: Any, path: str, supported: List[str]) -> Causes:
    """Required, and one of `supported`."""
    if not value:
        return [required(path)]
    if value not in supported:
        return [not_supported(path, value, supported)]
    return []


def is_valid_port_name(port: str) -> List[str]:
    """validation.IsValidPortName: the messages of what is wrong with a port name."""
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARS.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _validate_ports(ports: List[Any], path: str) -> Causes:
    errs: Causes = []
    names = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        p = "%s[%d]" % (path, i)
        name = port.get("name")
        if isinstance(name, str) and name:
            msgs = is_valid_port_name(name)
            for msg in msgs:
                errs.append(invalid(p + ".name", name, msg))
            if not msgs:
                if name in names:
                    errs.append(duplicate(p + ".name", name))
                names.add(name)
        cport = port.get("containerPort")
        if not cport:
            errs.append(required(p + ".containerPort"))
        elif is_int(cport) and not 1 <= cport <= 65535:
            errs.append(invalid(p + ".containerPort", cport, inclusive_range_error(1, 65535)))
        hport = port.get("hostPort")
        if is_int(hport) and hport != 0 and not 1 <= hport <= 65535:
            errs.append(invalid(p + ".hostPort", hport, inclusive_range_error(1, 65535)))
        errs.extend(_one_of(port.get("protocol"), p + ".protocol", _PROTOCOLS))
    return errs


def _validate_container(c: Any, path: str, full: bool) -> Causes:
    errs: Causes = []
    c = c if isinstance(c, dict) else {}
    name = c.get("name")
    if not isinstance(name, str) or not name:
        errs.append(required(path + ".name"))
    elif full:
        for msg in is_dns1123_label(name):
            errs.append(invalid(path + ".name", name, msg))
    image = c.get("image")
    if not isinstance(image, str) or not image:
        errs.append(required(path + ".image"))
    if not full:
        return errs
    errs.extend(_one_of(c.get("terminationMessagePolicy"), path + ".terminationMessagePolicy",
                        _TERMINATION_MESSAGE_POLICIES))
    errs.extend(_validate_ports(list_at(c, "ports"), path + ".ports"))
    errs.extend(_one_of(c.get("imagePullPolicy"), path + ".imagePullPolicy", _PULL_POLICIES))
    return errs


def validate_containers(containers: List[Any], path: str, full: bool = True,
                        require: bool = True) -> Causes:
    """Names (unique) and images; with `full`, the rest of what validateContainers checks."""
    errs: Causes = []
    if require and not containers:
        errs.append(required(path))
    seen = set()
    for i, c in enumerate(containers):
        p = "%s[%d]" % (path, i)
        errs.extend(_validate_container(c, p, full))
        name = c.get("name") if isinstance(c, dict) else None
        if isinstance(name, str) and name:
            if name in seen:
                errs.append(duplicate(p + ".name", name))
            seen.add(name)
    return errs


def validate_pod_spec(spec: Any, path: str = "spec") -> Causes:
    spec = spec if isinstance(spec, dict) else {}
    errs: Causes = []
    vol_names = set()
    for i, vol in enumerate(list_at(spec, "volumes")):
        p = "%s.volumes[%d].name" % (path, i)
        name = vol.get("name") if isinstance(vol, dict) else None
        if not isinstance(name, str) or not name:
            errs.append(required(p))
        else:
            for msg in is_dns1123_label(name):
                errs.append(invalid(p, name, msg))
            if name in vol_names:
                errs.append(duplicate(p, name))
            vol_names.add(name)
    errs.extend(validate_containers(list_at(spec, "containers"), path + ".containers"))
    init = list_at(spec, "initContainers")
    errs.extend(validate_containers(init, path + ".initContainers", require=False))
    # Names must be unique across regular and init containers.
    regular = set(c.get("name") for c in list_at(spec, "containers") if isinstance(c, dict))
    for i, c in enumerate(init):
        name = c.get("name") if isinstance(c, dict) else None
        if isinstance(name, str) and name and name in regular:
            errs.append(duplicate("%s.initContainers[%d].name" % (path, i), name))
    errs.extend(_one_of(spec.get("restartPolicy"), path + ".restartPolicy", _RESTART_POLICIES))
    errs.extend(_one_of(spec.get("dnsPolicy"), path + ".dnsPolicy", _DNS_POLICIES))
    ads = spec.get("activeDeadlineSeconds")
    if is_int(ads) and not 1 <= ads <= MAX_INT32:
        errs.append(invalid(path + ".activeDeadlineSeconds", ads, inclusive_range_error(1, MAX_INT32)))
    return errs


# Spec fields a pod update may change, in the server's message order
# (InPlacePodVerticalScaling is alpha and off in v1.32, so resources are
# not listed).
_POD_UPDATABLE_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]
POD_UPDATE_FORBIDDEN_MESSAGE = "pod updates may not change fields other than " + ",".join(
    _POD_UPDATABLE_FIELDS
)


def _validate_container_updates(new: List[Any], old: List[Any],
                                path: str) -> Tuple[Causes, bool]:
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs: Causes = []
    for i, c in enumerate(new):
        image = c.get("image") if isinstance(c, dict) else None
        p = "%s[%d].image" % (path, i)
        if not isinstance(image, str) or not image:
            errs.append(required(p))
        elif image.strip() != image:
            errs.append(invalid(p, image, "must not have leading or trailing whitespace"))
    return errs, False


def _validate_pod_update(pod: dict, old: dict) -> Causes:
    spec = dict_at(pod, "spec")
    old_spec = dict_at(old, "spec")
    errs: Causes = []
    e, stop = _validate_container_updates(list_at(spec, "containers"),
                                          list_at(old_spec, "containers"), "spec.containers")
    errs.extend(e)
    if stop:
        return errs
    e, stop = _validate_container_updates(
        list_at(spec, "initContainers"), list_at(old_spec, "initContainers"), "spec.initContainers"
    )
    errs.extend(e)
    if stop:
        return errs

    new_ads = spec.get("activeDeadlineSeconds")
    old_ads = old_spec.get("activeDeadlineSeconds")
    if new_ads is not None:
        if not is_int(new_ads) or not 0 <= new_ads <= MAX_INT32:
            errs.append(invalid("spec.activeDeadlineSeconds", new_ads, inclusive_range_error(0, MAX_INT32)))
            return errs
        if is_int(old_ads) and old_ads < new_ads:
            errs.append(invalid("spec.activeDeadlineSeconds", new_ads,
                                "must be less than or equal to previous value"))
            return errs
    elif old_ads is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None,
                            "must not update from a positive integer to nil value"))

    # Tolerations: existing ones may only change their tolerationSeconds.
    new_tols = list_at(spec, "tolerations")
    for old_tol in list_at(old_spec, "tolerations"):
        found = False
        for new_tol in new_tols:
            a = dict(old_tol) if isinstance(old_tol, dict) else {}
            b = dict(new_tol) if isinstance(new_tol, dict) else {}
            a.pop("tolerationSeconds", None)
            b.pop("tolerationSeconds", None)
            if semantic_equal(a, b):
                found = True
                break
        if not found:
            errs.append(forbidden("spec.tolerations", "existing toleration can not be modified "
                                                      "except its tolerationSeconds"))
            break

    # Munge the allowed fields to the old values, then compare the rest.
    munged = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        olds = list_at(old_spec, key)
        for i, c in enumerate(list_at(munged, key)):
            if isinstance(c, dict) and i < len(olds) and isinstance(olds[i], dict):
                if "image" in olds[i]:
                    c["image"] = olds[i]["image"]
                else:
                    c.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations"):
        if key in old_spec:
            munged[key] = copy.deepcopy(old_spec[key])
        else:
            munged.pop(key, None)
    old_tgps = old_spec.get("terminationGracePeriodSeconds")
    if is_int(old_tgps) and old_tgps < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_tgps
    if not semantic_equal(munged, old_spec):
        errs.append(
            forbidden("spec", POD_UPDATE_FORBIDDEN_MESSAGE + "\n"
                      + spec_diff("core.PodSpec", old_spec, munged))
        )
    return errs


def validate_pod(pod: dict, old: Optional[dict]) -> Causes:
    errs = validate_meta(pod, old, name_is_dns_subdomain)
    errs.extend(validate_pod_spec(pod.get("spec")))
    if old is not None:
        errs.extend(_validate_pod_update(pod, old))
    return errs
