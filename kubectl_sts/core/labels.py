"""Label selectors as query strings and as predicates, from the neutral layer's parser
(k8s/selectors.py, kubectl's and the API server's grammar). (The naming rules of the
StatefulSet controller, pod_ordinal and claim_ordinal: k8s/statefulset.py.)"""

from typing import Any, Mapping, Optional

from ..k8s.selectors import format_label_selector, matches_labels, selector_from_label_selector

# A snapshot set (`kubectl sts snapshot`): every VolumeSnapshot (or the VolumeGroupSnapshot) of
# one set carries these labels; the VolumeSnapshot of claim <template>-<sts>-<K> is named
# <set>-<template>-<K>, and the set is named <sts>-<UTC time as YYYYMMDD-HHMMSS>.
SNAPSHOT_SET_LABEL = "kubectl-sts.io/snapshot-set"          # the set's name
SNAPSHOT_STS_LABEL = "kubectl-sts.io/statefulset"           # the StatefulSet's name
SNAPSHOT_ORDINAL_LABEL = "kubectl-sts.io/ordinal"           # "K" (VolumeSnapshots only)
SNAPSHOT_TEMPLATE_LABEL = "kubectl-sts.io/claim-template"   # the claim template's name
# annotations of each snapshot of a set: the revision of the ordinal's pod when it was taken
# (its controller-revision-hash label, k8s/statefulset.py REVISION_LABEL: the template whose
# pod wrote the data; absent when the ordinal had no pod), the ordinals in the set
# (comma-separated), the time it was taken (RFC 3339)
SNAPSHOT_REVISION_ANNOTATION = "kubectl-sts.io/revision"
SNAPSHOT_ORDINALS_ANNOTATION = "kubectl-sts.io/ordinals"
SNAPSHOT_TAKEN_ANNOTATION = "kubectl-sts.io/taken-at"


def selector_string(selector: Optional[Mapping[str, Any]]) -> str:
    """A metav1.LabelSelector dict as a `labelSelector` query string."""
    return format_label_selector(selector or {})


def selector_matches(selector: Optional[Mapping[str, Any]],
                     labels: Optional[Mapping[str, str]]) -> bool:
    """Does a metav1.LabelSelector dict select these labels? (An empty selector selects
    everything, as for PodDisruptionBudgets in policy/v1.)"""
    return matches_labels(selector_from_label_selector(selector or {}), labels or {})
