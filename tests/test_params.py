"""Query parameters as kube-apiserver decodes them (pure, table-driven)."""

import pytest

from kubectl_sts_sandbox.params import query_bool


@pytest.mark.parametrize("query,expected", [
    ({}, False),
    ({"watch": "true"}, True),
    ({"watch": "True"}, True),          # what kubernetes-client < 36 sends
    ({"watch": "1"}, True),
    ({"watch": ""}, True),              # present and empty is true
    ({"watch": "yes"}, True),
    ({"watch": "false"}, False),
    ({"watch": "False"}, False),
    ({"watch": "0"}, False),
    ({"other": "true"}, False),
])
def test_query_bool(query, expected):
    assert query_bool(query, "watch") is expected
