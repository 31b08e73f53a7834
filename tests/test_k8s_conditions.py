"""The neutral layer's one condition scan (k8s/conditions.py) and Go's %q (k8s/gostrings.py),
table-driven."""

import pytest

from kubectl_sts.k8s.conditions import (condition_status, find_condition, is_condition_true,
                                        node_ready, pod_ready)
from kubectl_sts.k8s.gostrings import go_quote, parse_bool


def obj(*conditions):
    return {"status": {"conditions": [dict(type=t, status=s) for t, s in conditions]}}


@pytest.mark.parametrize("thing, ctype, status", [
    (obj(("Ready", "True")), "Ready", "True"),
    (obj(("PodScheduled", "True"), ("Ready", "False")), "Ready", "False"),
    (obj(("Ready", "Unknown")), "Ready", "Unknown"),
    (obj(("PodScheduled", "True")), "Ready", None),
    ({"status": {}}, "Ready", None),
    ({}, "Ready", None),
    (None, "Ready", None),
    ({"status": {"conditions": ["junk", {"type": "Ready", "status": "True"}]}}, "Ready", "True"),
    (obj(("Ready", "False"), ("Ready", "True")), "Ready", "False"),     # the first one counts
    ({"status": "junk"}, "Ready", None),                                # malformed: no condition
    ({"status": {"conditions": {"type": "Ready"}}}, "Ready", None),
    ("junk", "Ready", None),
])
def test_condition_status(thing, ctype, status):
    assert condition_status(thing, ctype) == status
    assert is_condition_true(thing, ctype) == (status == "True")
    assert pod_ready(thing) == node_ready(thing) == (status == "True")
    assert (find_condition(thing, ctype) is None) == (status is None)


@pytest.mark.parametrize("text, quoted", [
    ("web", '"web"'),
    ('a"b\\c', '"a\\"b\\\\c"'),
    ("tab\there\nnl", '"tab\\there\\nnl"'),
    ("\x00\x1f\x7f", '"\\x00\\x1f\\x7f"'),
    ("caf\u00e9 \u65e5\u672c", '"caf\u00e9 \u65e5\u672c"'),            # printable: as it is
    ("nb\u00a0sp", '"nb\\u00a0sp"'),                                      # not IsPrint in Go
    ("\u2028", '"\\u2028"'),
    ("\U000e0001", '"\\U000e0001"'),
])
def test_go_quote(text, quoted):
    assert go_quote(text) == quoted


@pytest.mark.parametrize("text, value", [
    ("1", True), ("t", True), ("T", True), ("TRUE", True), ("true", True), ("True", True),
    ("0", False), ("f", False), ("F", False), ("FALSE", False), ("false", False),
    ("False", False),
    ("", None), ("yes", None), ("tRUE", None), (" true", None), ("2", None),
])
def test_parse_bool_is_strconv_parse_bool(text, value):
    assert parse_bool(text) is value
