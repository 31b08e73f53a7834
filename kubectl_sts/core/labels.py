"""Label selectors as query strings and as predicates, from the neutral layer's parser
(k8s/selectors.py, kubectl's and the API server's grammar). (The naming rules of the
StatefulSet controller, pod_ordinal and claim_ordinal: k8s/statefulset.py.)"""

from typing import Any, Mapping, Optional

from ..k8s.selectors import format_label_selector, matches_labels, selector_from_label_selector


def selector_string(selector: Optional[Mapping[str, Any]]) -> str:
    """A metav1.LabelSelector dict as a `labelSelector` query string."""
    return format_label_selector(selector or {})


def selector_matches(selector: Optional[Mapping[str, Any]],
                     labels: Optional[Mapping[str, str]]) -> bool:
    """Does a metav1.LabelSelector dict select these labels? (An empty selector selects
    everything, as for PodDisruptionBudgets in policy/v1.)"""
    return matches_labels(selector_from_label_selector(selector or {}), labels or {})
