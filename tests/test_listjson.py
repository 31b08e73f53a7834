"""Decoding a list one item at a time (kubectl_sts/k8s/listjson.py): the same object as
json.loads, with each item passed through the projection."""

import json

import pytest

from kubectl_sts.k8s.listjson import parse_list

LISTS = [
    '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}',
    '{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}',
    ' { "items" : [ {"a": "]\\",["} , {"b": [1, {"c": "}"}]} ] , "kind" : "X" } \n',
    '{"items":[{"x":1}],"metadata":{"continue":""},"kind":"L"}',
    '{}',
    '{"kind":"Status","items":null}',
    '{"items":[1,"two",null,{"é":"ü"}]}',
]


@pytest.mark.parametrize("text", LISTS)
def test_same_object_as_json_loads(text):
    assert parse_list(text, lambda item: item) == json.loads(text)


def test_each_item_goes_through_the_projection_in_order():
    seen = []

    def project(item):
        seen.append(item)
        return item["metadata"]["name"]
    out = parse_list(LISTS[1], project)
    assert out == {"kind": "PodList", "items": ["a", "b"]}
    assert [i["metadata"]["name"] for i in seen] == ["a", "b"]


@pytest.mark.parametrize("text", ['', '[]', '{"items":[1,]}', '{"items":[1 2]}',
                                  '{"a":1} {"b":2}', '{"a" 1}', '{"items":[1]', '{1:2}'])
def test_not_one_json_object_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_list(text, lambda item: item)
