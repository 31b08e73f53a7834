"""FieldsV1 as structured-merge-diff serializes it (fieldpath/serialize.go), both ways."""

import pytest

from kubectl_sts.k8s import fieldsv1
from kubectl_sts.k8s.fieldsv1 import decode, encode, field, format_path, key, owners_of, value

# a StatefulSet's fields as kubectl apply --server-side records them
APPLIED = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {"f:spec": {"f:containers": {
            'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}},
        }}},
        "f:updateStrategy": {"f:rollingUpdate": {"f:partition": {}}},
    },
}
PARTITION = (field("spec"), field("updateStrategy"), field("rollingUpdate"), field("partition"))
IMAGE = (field("spec"), field("template"), field("spec"), field("containers"), key(name="app"),
         field("image"))


def test_decode_members():
    paths = decode(APPLIED)
    assert PARTITION in paths
    assert IMAGE in paths
    assert (field("metadata"), field("labels")) in paths          # "." marks a member
    assert (field("spec"),) not in paths                           # a parent only
    assert (field("spec"), field("template"), field("spec"), field("containers"),
            key(name="app")) in paths
    assert len(paths) == 7


def test_round_trip():
    assert encode(decode(APPLIED)) == APPLIED


@pytest.mark.parametrize("text, element", [
    ("f:replicas", ("f", "replicas")),
    ('k:{"containerPort":80,"protocol":"TCP"}', key(containerPort=80, protocol="TCP")),
    ('v:"finalizer.example.com"', value("finalizer.example.com")),
    ("i:3", ("i", 3)),
])
def test_elements(text, element):
    assert fieldsv1.parse_element(text) == element
    assert fieldsv1.format_element(element) == text


@pytest.mark.parametrize("bad", ["x:1", "replicas", 'k:["a"]', "k:{"])
def test_bad_elements(bad):
    with pytest.raises(ValueError):
        fieldsv1.parse_element(bad)


@pytest.mark.parametrize("path, text", [
    (PARTITION, ".spec.updateStrategy.rollingUpdate.partition"),
    (IMAGE, '.spec.template.spec.containers[name="app"].image'),
    ((field("metadata"), field("finalizers"), value("a")), '.metadata.finalizers[="a"]'),
])
def test_format_path(path, text):
    assert format_path(path) == text


def test_owners_of():
    managed = [
        {"manager": "kustomize-controller", "operation": "Apply", "fieldsType": "FieldsV1",
         "fieldsV1": APPLIED},
        {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
         "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}},
        {"manager": "broken", "operation": "Update", "fieldsType": "FieldsV1",
         "fieldsV1": {"x:y": {}}},
    ]
    owners = owners_of(managed, PARTITION)
    assert [(e["manager"], ps) for e, ps in owners] == [("kustomize-controller", [PARTITION])]
    assert [e["manager"] for e, _ in owners_of(managed, (field("status"),))] == \
        ["kube-controller-manager"]
    assert owners_of(managed, (field("spec"), field("serviceName"))) == []
    assert owners_of(None, PARTITION) == []
