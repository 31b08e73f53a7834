"""Tests for the PATCH semantics of the sandbox API server: kubectl_sts_sandbox/patch.py and the
strategic merge patch of the neutral layer (kubectl_sts/k8s/strategicpatch.py)."""

import copy
from functools import partial
from typing import Any

import pytest

from kubectl_sts.k8s.strategicpatch import PatchError, strategic_merge_patch
from kubectl_sts_sandbox.patch import apply_patch, json_patch, merge_patch

from builders import pod, statefulset


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


# a StatefulSet as the API server would store it, and one of its pods
make_sts = partial(
    statefulset, replicas=2, namespace="default", uid="0b5c7f0e-1111-2222-3333-444455556666",
    resource_version="1000", labels={"app": "web", "tier": "frontend"},
    annotations={"team": "storage", "owner": "alice"}, finalizers=["example.com/protect"],
    partition=0,
    containers=[
        {
            "name": "nginx",
            "image": "nginx:1.24",
            "ports": [
                {"containerPort": 80, "name": "web"},
                {"containerPort": 443, "name": "tls"},
            ],
            "env": [
                {"name": "A", "value": "1"},
                {"name": "B", "value": "2"},
                {"name": "C", "value": "3"},
            ],
            "envFrom": [{"configMapRef": {"name": "web-env"}}],
            "volumeMounts": [
                {"name": "www", "mountPath": "/usr/share/nginx/html"},
                {"name": "config", "mountPath": "/etc/nginx/conf.d"},
            ],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        },
        {
            "name": "sidecar",
            "image": "busybox:1.36",
            "command": ["sh", "-c"],
            "args": ["sleep infinity"],
        },
    ],
    grace=None,
    pod_spec={
        "volumes": [
            {"name": "config", "configMap": {"name": "web-config"}},
            {"name": "cache", "emptyDir": {}},
        ],
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
        "terminationGracePeriodSeconds": 30,
    },
    claims=("www",), current="web-abc", counts=("replicas", "readyReplicas"))
make_pod = partial(
    pod, namespace="default", labels={"app": "web"},
    owners=[{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u-1", "controller": True}],
    container="nginx", image="nginx:1.24",
    init_containers=[{"name": "init", "image": "busybox", "command": ["true"]}],
    volumes=[{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}],
    spec={
        "imagePullSecrets": [{"name": "regcred"}],
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}],
        "topologySpreadConstraints": [
            {"topologyKey": "zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"},
        ],
        "schedulingGates": [{"name": "gate-a"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimName": "gpu-claim"}],
    },
    phase="Running",
    status={
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
        ],
        "podIPs": [{"ip": "10.1.0.5"}],
    })


def template_spec(obj):
    return obj["spec"]["template"]["spec"]


def container(obj, name):
    for c in template_spec(obj)["containers"]:
        if c["name"] == name:
            return c
    raise KeyError(name)


def names(items, key="name"):
    return [i[key] for i in items]


def assert_no_directives(value):
    """No key starting with '$' anywhere in value."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert not k.startswith("$"), "directive %r leaked into the result" % k
            assert_no_directives(v)
    elif isinstance(value, list):
        for v in value:
            assert_no_directives(v)


def smp(target, patch, kind="StatefulSet"):
    result = strategic_merge_patch(target, patch, kind)
    assert_no_directives(result)
    return result


# ---------------------------------------------------------------------------
# RFC 7386 JSON merge patch
# ---------------------------------------------------------------------------

# RFC 7386 Appendix A, verbatim.
RFC7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize("target,patch,expected", RFC7386_EXAMPLES)
def test_merge_patch_rfc7386_appendix_a(target, patch, expected):
    assert merge_patch(target, patch) == expected


def test_merge_patch_rfc7386_section3_example():
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_merge_patch_replaces_lists_wholesale_on_k8s_object():
    sts = make_sts()
    result = merge_patch(sts, {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
    # Unlike a strategic merge patch, the sidecar and every other field of nginx are gone.
    assert template_spec(result)["containers"] == [{"name": "nginx", "image": "nginx:1.25"}]
    assert template_spec(result)["volumes"] == template_spec(sts)["volumes"]


def test_merge_patch_scale_and_annotation_removal():
    sts = make_sts()
    result = merge_patch(sts, {"spec": {"replicas": 5}, "metadata": {"annotations": {"owner": None}}})
    expected = make_sts()
    expected["spec"]["replicas"] = 5
    del expected["metadata"]["annotations"]["owner"]
    assert result == expected


def test_merge_patch_does_not_mutate_inputs():
    target = {"a": {"b": [1, 2]}, "c": 1}
    patch = {"a": {"d": {"e": 1}}, "c": None}
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert result == {"a": {"b": [1, 2], "d": {"e": 1}}}
    assert target == target_before and patch == patch_before
    result["a"]["b"].append(3)
    result["a"]["d"]["e"] = 2
    assert target == target_before and patch == patch_before


# ---------------------------------------------------------------------------
# RFC 6902 JSON patch
# ---------------------------------------------------------------------------

# RFC 6902 Appendix A examples that succeed, verbatim.
RFC6902_SUCCESS = [
    ("A.1 add object member",
     {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("A.2 add array element",
     {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("A.3 remove object member",
     {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}],
     {"foo": "bar"}),
    ("A.4 remove array element",
     {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("A.5 replace value",
     {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("A.6 move value",
     {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7 move array element",
     {"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8 test success",
     {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.10 add nested member object",
     {"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11 ignore unrecognized elements",
     {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
     {"foo": "bar", "baz": "qux"}),
    ("A.14 ~ escape ordering",
     {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}],
     {"/": 9, "~1": 10}),
    ("A.16 add array value",
     {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
]


@pytest.mark.parametrize("name,target,ops,expected", RFC6902_SUCCESS, ids=[c[0] for c in RFC6902_SUCCESS])
def test_json_patch_rfc6902_appendix_a(name, target, ops, expected):
    assert json_patch(target, ops) == expected


def test_json_patch_rfc6902_a9_test_failure():
    with pytest.raises(PatchError) as exc:
        json_patch({"baz": "qux", "foo": ["a", 2, "c"]}, [{"op": "test", "path": "/baz", "value": "bar"}])
    assert str(exc.value) == "testing value /baz failed: test failed"


def test_json_patch_rfc6902_a12_add_to_nonexistent_target():
    with pytest.raises(PatchError) as exc:
        json_patch({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}])
    assert "/baz/bat" in str(exc.value)


def test_json_patch_rfc6902_a15_string_is_not_number():
    with pytest.raises(PatchError):
        json_patch({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}])


def test_json_patch_pointer_escapes():
    doc = {"a/b": 1, "m~n": 2}
    result = json_patch(doc, [
        {"op": "replace", "path": "/a~1b", "value": 10},
        {"op": "replace", "path": "/m~0n", "value": 20},
        {"op": "add", "path": "/x~1y~0z", "value": 30},
    ])
    assert result == {"a/b": 10, "m~n": 20, "x/y~z": 30}


def test_json_patch_annotation_key_with_slash():
    # What a client sends to set kubectl.kubernetes.io/restartedAt.
    sts = make_sts()
    result = json_patch(sts, [{
        "op": "add",
        "path": "/spec/template/metadata/annotations",
        "value": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"},
    }, {
        "op": "replace",
        "path": "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
        "value": "2024-02-02T00:00:00Z",
    }])
    assert result["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-02-02T00:00:00Z"},
    }


def test_json_patch_k8s_scale_and_image():
    sts = make_sts()
    result = json_patch(sts, [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.25"},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "D", "value": "4"}},
        {"op": "remove", "path": "/spec/template/spec/containers/1"},
    ])
    assert result["spec"]["replicas"] == 4
    assert names(template_spec(result)["containers"]) == ["nginx"]
    assert container(result, "nginx")["image"] == "nginx:1.25"
    assert names(container(result, "nginx")["env"]) == ["A", "B", "C", "D"]


def test_json_patch_add_replaces_existing_member_and_inserts_at_end_index():
    result = json_patch({"a": 1, "l": [1, 2]}, [
        {"op": "add", "path": "/a", "value": 2},
        {"op": "add", "path": "/l/2", "value": 3},
        {"op": "add", "path": "/l/0", "value": 0},
    ])
    assert result == {"a": 2, "l": [0, 1, 2, 3]}


def test_json_patch_whole_document():
    assert json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert json_patch({"a": 1}, [{"op": "add", "path": "", "value": [1]}]) == [1]
    assert json_patch({"a": 1}, [{"op": "test", "path": "", "value": {"a": 1}}]) == {"a": 1}


def test_json_patch_copy_is_deep():
    result = json_patch({"a": {"b": [1]}}, [
        {"op": "copy", "from": "/a", "path": "/c"},
        {"op": "add", "path": "/c/b/-", "value": 2},
    ])
    assert result == {"a": {"b": [1]}, "c": {"b": [1, 2]}}


def test_json_patch_move_to_same_path_is_noop():
    assert json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}]) == {"a": 1}


def test_json_patch_test_is_deep_and_type_strict():
    doc = {"n": 1, "b": True, "o": {"x": [1, {"y": None}]}, "f": 1.0}
    json_patch(doc, [
        {"op": "test", "path": "/o", "value": {"x": [1, {"y": None}]}},
        {"op": "test", "path": "/n", "value": 1.0},  # numbers compare numerically
        {"op": "test", "path": "/f", "value": 1},
    ])
    for path, value in [("/b", 1), ("/n", True), ("/o", {"x": [1]}), ("/o/x", [1, {"y": 0}]), ("/n", None)]:
        with pytest.raises(PatchError):
            json_patch(doc, [{"op": "test", "path": path, "value": value}])


def test_json_patch_test_of_missing_path_fails():
    with pytest.raises(PatchError) as exc:
        json_patch({"a": 1}, [{"op": "test", "path": "/missing", "value": 1}])
    assert str(exc.value) == "testing value /missing failed: test failed"


@pytest.mark.parametrize("ops", [
    [{"op": "add", "path": "nope", "value": 1}],                 # no leading slash
    [{"op": "add", "path": "/a~2b", "value": 1}],                # bad escape
    [{"op": "add", "path": "/l/5", "value": 1}],                 # index past end
    [{"op": "add", "path": "/l/01", "value": 1}],                # leading zero
    [{"op": "add", "path": "/l/-1", "value": 1}],                # negative index
    [{"op": "add", "path": "/l/x", "value": 1}],                 # non-numeric index
    [{"op": "add", "path": "/s/x", "value": 1}],                 # through a scalar
    [{"op": "remove", "path": "/missing"}],
    [{"op": "remove", "path": "/l/2"}],
    [{"op": "remove", "path": "/l/-"}],
    [{"op": "remove", "path": ""}],
    [{"op": "replace", "path": "/missing", "value": 1}],
    [{"op": "replace", "path": "/l/9", "value": 1}],
    [{"op": "move", "from": "/missing", "path": "/b"}],
    [{"op": "move", "from": "/o", "path": "/o/child"}],          # into its own child
    [{"op": "copy", "from": "/missing", "path": "/b"}],
    [{"op": "add", "path": "/a"}],                               # missing value
    [{"op": "replace", "path": "/a"}],
    [{"op": "test", "path": "/a"}],
    [{"op": "move", "path": "/a"}],                              # missing from
    [{"op": "copy", "path": "/a"}],
    [{"path": "/a", "value": 1}],                                # missing op
    [{"op": "add", "value": 1}],                                 # missing path
    [{"op": "frobnicate", "path": "/a", "value": 1}],            # unknown op
    ["add"],                                                     # op is not an object
    [{"op": "add", "path": 5, "value": 1}],                      # path is not a string
])
def test_json_patch_invalid_operations_raise(ops):
    target = {"l": [1, 2], "s": "scalar", "o": {"k": "v"}}
    before = copy.deepcopy(target)
    with pytest.raises(PatchError):
        json_patch(target, ops)
    assert target == before


def test_json_patch_requires_a_list():
    with pytest.raises(PatchError):
        json_patch({"a": 1}, {"op": "add", "path": "/b", "value": 1})


def test_json_patch_unknown_op_message():
    with pytest.raises(PatchError) as exc:
        json_patch({}, [{"op": "frobnicate", "path": "/a"}])
    assert str(exc.value) == "Unexpected kind: frobnicate"


def test_json_patch_is_atomic_and_pure():
    target = {"a": {"b": 1}, "l": [1]}
    ops = [
        {"op": "add", "path": "/a/c", "value": {"deep": [1]}},
        {"op": "add", "path": "/l/-", "value": 2},
        {"op": "test", "path": "/a/b", "value": 999},  # fails after two successful ops
    ]
    target_before, ops_before = copy.deepcopy(target), copy.deepcopy(ops)
    with pytest.raises(PatchError):
        json_patch(target, ops)
    assert target == target_before and ops == ops_before

    result = json_patch(target, ops[:2])
    assert result == {"a": {"b": 1, "c": {"deep": [1]}}, "l": [1, 2]}
    result["a"]["c"]["deep"].append(2)  # result must not alias the operation values
    assert ops == ops_before and target == target_before


def test_patch_error_message_is_one_line():
    with pytest.raises(PatchError) as exc:
        json_patch({"a": 1}, [{"op": "remove", "path": "/missing"}])
    assert "\n" not in str(exc.value)
    assert "/missing" in str(exc.value)


# ---------------------------------------------------------------------------
# Strategic merge patch: patches real kubectl commands send
# ---------------------------------------------------------------------------


def test_smp_kubectl_set_image():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25", "name": "nginx"}]}}}}
    result = smp(sts, patch)
    expected = make_sts()
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    # Only the image changed: the sidecar, nginx's ports/env/mounts/resources, and order stay.
    assert result == expected


def test_smp_kubectl_set_image_with_set_element_order():
    # The form kubectl set image computes with CreateTwoWayMergePatch.
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
        "containers": [{"image": "busybox:1.37", "name": "sidecar"}],
    }}}}
    result = smp(sts, patch)
    expected = make_sts()
    expected["spec"]["template"]["spec"]["containers"][1]["image"] = "busybox:1.37"
    assert result == expected


def test_smp_kubectl_rollout_restart():
    sts = make_sts()
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}}}}}
    result = smp(sts, patch)
    expected = make_sts()
    expected["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
    assert result == expected
    assert result["spec"]["template"]["metadata"]["labels"] == {"app": "web"}

    # A second restart updates the timestamp in place.
    again = smp(result, {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-02T00:00:00Z"}}}}})
    assert again["spec"]["template"]["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "2024-01-02T00:00:00Z"}


def test_smp_kubectl_scale():
    sts = make_sts()
    result = smp(sts, {"spec": {"replicas": 3}})
    expected = make_sts()
    expected["spec"]["replicas"] = 3
    assert result == expected


def test_smp_scale_subresource_kind():
    scale = {"apiVersion": "autoscaling/v1", "kind": "Scale",
             "metadata": {"name": "web", "namespace": "default"},
             "spec": {"replicas": 2}, "status": {"replicas": 2, "selector": "app=web"}}
    result = smp(scale, {"spec": {"replicas": 0}}, kind="Scale")
    assert result["spec"] == {"replicas": 0}
    assert result["status"] == scale["status"]


def test_smp_kubectl_rollout_undo_replaces_template():
    sts = make_sts()
    sts["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
    old_template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.23"}]},
    }
    patch = {"spec": {"template": {"$patch": "replace",
                                   "metadata": old_template["metadata"],
                                   "spec": old_template["spec"]}}}
    result = smp(sts, patch)
    # The whole template is the revision's template: no sidecar, no volumes, no restart annotation.
    assert result["spec"]["template"] == old_template
    assert result["spec"]["replicas"] == 2
    assert result["spec"]["volumeClaimTemplates"] == sts["spec"]["volumeClaimTemplates"]


def test_smp_env_merge_by_name_with_delete():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{
        "name": "nginx",
        "env": [{"name": "B", "$patch": "delete"}, {"name": "A", "value": "10"}],
    }]}}}}
    result = smp(sts, patch)
    assert container(result, "nginx")["env"] == [{"name": "A", "value": "10"}, {"name": "C", "value": "3"}]
    assert container(result, "nginx")["image"] == "nginx:1.24"
    assert container(result, "sidecar") == container(sts, "sidecar")


def test_smp_kubectl_apply_set_element_order_env():
    # kubectl apply after the user removed B and added D, keeping A, C order.
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
        "containers": [{
            "$setElementOrder/env": [{"name": "A"}, {"name": "D"}, {"name": "C"}],
            "env": [{"name": "D", "value": "4"}, {"name": "B", "$patch": "delete"}],
            "name": "nginx",
        }],
    }}}}
    result = smp(sts, patch)
    assert container(result, "nginx")["env"] == [
        {"name": "A", "value": "1"},
        {"name": "D", "value": "4"},
        {"name": "C", "value": "3"},
    ]
    assert names(template_spec(result)["containers"]) == ["nginx", "sidecar"]


def test_smp_set_element_order_reorders_containers():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}],
        "containers": [{"name": "nginx", "image": "nginx:1.25"}],
    }}}}
    result = smp(sts, patch)
    assert names(template_spec(result)["containers"]) == ["sidecar", "nginx"]
    assert container(result, "nginx")["image"] == "nginx:1.25"
    assert container(result, "nginx")["env"] == container(sts, "nginx")["env"]


def test_smp_set_element_order_places_new_container():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "metrics"}, {"name": "sidecar"}],
        "containers": [{"name": "metrics", "image": "exporter:1"}],
    }}}}
    result = smp(sts, patch)
    assert names(template_spec(result)["containers"]) == ["nginx", "metrics", "sidecar"]
    assert container(result, "metrics") == {"name": "metrics", "image": "exporter:1"}


def test_smp_set_element_order_without_list_in_patch_only_reorders():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"$setElementOrder/volumes": [{"name": "cache"}, {"name": "config"}]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["volumes"] == [
        {"name": "cache", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "web-config"}},
    ]


def test_smp_set_element_order_interleaves_server_only_items_by_live_order():
    # Items the order list does not name (e.g. injected by a webhook) are
    # placed by their live position, as strategicpatch's mergeSortedSlice does.
    pod = make_pod()
    pod["spec"]["containers"] = [{"name": "istio-proxy"}, {"name": "app"}, {"name": "log"}, {"name": "tail"}]
    patch = {"spec": {"$setElementOrder/containers": [{"name": "log"}, {"name": "app"}],
                      "containers": [{"name": "app", "image": "app:2"}]}}
    result = smp(pod, patch, kind="Pod")
    assert names(result["spec"]["containers"]) == ["istio-proxy", "log", "app", "tail"]
    assert result["spec"]["containers"][2] == {"name": "app", "image": "app:2"}


def test_smp_set_element_order_on_finalizers_with_delete_from_primitive_list():
    # The finalizer example of the "preserve order in SMP" design, as kubectl apply sends it.
    obj = {"metadata": {"name": "x", "finalizers": ["b", "e", "a", "c", "d"]}}
    patch = {"metadata": {
        "$setElementOrder/finalizers": ["a", "b", "f"],
        "$deleteFromPrimitiveList/finalizers": ["c"],
        "finalizers": ["f"],
    }}
    result = smp(obj, patch, kind="ConfigMap")
    assert result == {"metadata": {"name": "x", "finalizers": ["e", "a", "b", "f", "d"]}}


def test_smp_set_element_order_mismatch_is_rejected():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}],
        "containers": [{"name": "sidecar", "image": "x"}],
    }}}}
    with pytest.raises(PatchError) as exc:
        strategic_merge_patch(sts, patch, "StatefulSet")
    assert "$setElementOrder/containers" in str(exc.value)


def test_smp_set_element_order_must_be_a_list():
    with pytest.raises(PatchError):
        strategic_merge_patch(make_sts(), {"spec": {"template": {"spec": {"$setElementOrder/containers": "nginx"}}}}, "StatefulSet")


def test_smp_null_deletes_keys():
    sts = make_sts()
    patch = {
        "metadata": {"annotations": {"owner": None}, "labels": None},
        "spec": {"updateStrategy": {"rollingUpdate": None}},
    }
    result = smp(sts, patch)
    expected = make_sts()
    del expected["metadata"]["annotations"]["owner"]
    del expected["metadata"]["labels"]
    expected["spec"]["updateStrategy"] = {"type": "RollingUpdate"}
    assert result == expected


def test_smp_null_in_merge_list_item_deletes_field_of_that_item():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "resources": None, "envFrom": None}]}}}}
    result = smp(sts, patch)
    assert "resources" not in container(result, "nginx")
    assert "envFrom" not in container(result, "nginx")
    assert container(result, "nginx")["env"] == container(sts, "nginx")["env"]


def test_smp_null_for_missing_key_is_not_stored():
    sts = make_sts()
    result = smp(sts, {"spec": {"minReadySeconds": None, "ordinals": {"start": None}}})
    assert "minReadySeconds" not in result["spec"]
    assert result["spec"]["ordinals"] == {}
    assert {k: v for k, v in result["spec"].items() if k != "ordinals"} == sts["spec"]


def test_smp_maps_merge_recursively():
    sts = make_sts()
    result = smp(sts, {"metadata": {"labels": {"version": "v2", "tier": "backend"}},
                       "spec": {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 1}}}})
    assert result["metadata"]["labels"] == {"app": "web", "tier": "backend", "version": "v2"}
    assert result["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                                "rollingUpdate": {"partition": 0, "maxUnavailable": 1}}


def test_smp_type_change_takes_patch_value():
    result = smp({"spec": {"x": {"a": 1}, "y": [1], "z": 1}}, {"spec": {"x": "s", "y": {"b": None, "c": 2}, "z": [2]}}, kind="Thing")
    assert result == {"spec": {"x": "s", "y": {"c": 2}, "z": [2]}}


# ---------------------------------------------------------------------------
# Strategic merge patch: merge keys and list strategies
# ---------------------------------------------------------------------------


def test_smp_new_container_goes_first_without_set_element_order():
    # Same as the API server (see kubectl docs "Update API Objects in Place
    # Using kubectl patch": the patched-in container is listed first).
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "redis", "image": "redis"}]}}}}
    result = smp(sts, patch)
    assert names(template_spec(result)["containers"]) == ["redis", "nginx", "sidecar"]
    assert container(result, "nginx") == container(sts, "nginx")


def test_smp_patch_order_wins_over_live_order_for_patched_items():
    # The design-doc example: live B, C, A; patch A', B', D.
    pod = make_pod()
    pod["spec"]["containers"] = [{"name": "B"}, {"name": "C"}, {"name": "A"}]
    patch = {"spec": {"containers": [{"name": "A", "image": "a"}, {"name": "B", "image": "b"}, {"name": "D"}]}}
    result = smp(pod, patch, kind="Pod")
    assert result["spec"]["containers"] == [
        {"name": "C"}, {"name": "A", "image": "a"}, {"name": "B", "image": "b"}, {"name": "D"},
    ]


def test_smp_container_fields_merge_by_their_keys():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{
        "name": "nginx",
        "ports": [{"containerPort": 443, "name": "https"}],
        "volumeMounts": [{"mountPath": "/etc/nginx/conf.d", "readOnly": True}],
        "volumeDevices": [{"devicePath": "/dev/xvda", "name": "raw"}],
    }]}}}}
    result = smp(sts, patch)
    nginx = container(result, "nginx")
    assert nginx["ports"] == [{"containerPort": 80, "name": "web"}, {"containerPort": 443, "name": "https"}]
    assert nginx["volumeMounts"] == [
        {"name": "www", "mountPath": "/usr/share/nginx/html"},
        {"name": "config", "mountPath": "/etc/nginx/conf.d", "readOnly": True},
    ]
    assert nginx["volumeDevices"] == [{"devicePath": "/dev/xvda", "name": "raw"}]


def test_smp_volume_devices_merge_by_device_path():
    pod = make_pod()
    pod["spec"]["containers"][0]["volumeDevices"] = [{"devicePath": "/dev/a", "name": "a"}, {"devicePath": "/dev/b", "name": "b"}]
    patch = {"spec": {"containers": [{"name": "nginx", "volumeDevices": [{"devicePath": "/dev/b", "name": "bb"}]}]}}
    result = smp(pod, patch, kind="Pod")
    assert result["spec"]["containers"][0]["volumeDevices"] == [{"devicePath": "/dev/a", "name": "a"}, {"devicePath": "/dev/b", "name": "bb"}]


def test_smp_container_lists_without_merge_key_are_replaced():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "envFrom": [{"secretRef": {"name": "web-secret"}}]},
        {"name": "sidecar", "command": ["/bin/true"], "args": []},
    ]}}}}
    result = smp(sts, patch)
    assert container(result, "nginx")["envFrom"] == [{"secretRef": {"name": "web-secret"}}]
    assert container(result, "sidecar")["command"] == ["/bin/true"]
    assert container(result, "sidecar")["args"] == []


def test_smp_resize_policy_is_atomic_like_the_api_server():
    pod = make_pod()
    pod["spec"]["containers"][0]["resizePolicy"] = [
        {"resourceName": "cpu", "restartPolicy": "NotRequired"},
        {"resourceName": "memory", "restartPolicy": "RestartContainer"},
    ]
    patch = {"spec": {"containers": [{"name": "nginx", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]}}
    result = smp(pod, patch, kind="Pod")
    assert result["spec"]["containers"][0]["resizePolicy"] == [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}]


def test_smp_tolerations_are_replaced():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_smp_volume_claim_templates_and_access_modes_are_replaced():
    sts = make_sts()
    patch = {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteMany"]}}]}}
    result = smp(sts, patch)
    assert result["spec"]["volumeClaimTemplates"] == [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteMany"]}}]

    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "www-web-0"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    result = smp(pvc, {"spec": {"accessModes": ["ReadWriteOncePod"], "resources": {"requests": {"storage": "2Gi"}}}},
                 kind="PersistentVolumeClaim")
    assert result["spec"] == {"accessModes": ["ReadWriteOncePod"], "resources": {"requests": {"storage": "2Gi"}}}


def test_smp_pod_spec_lists_merge_by_key():
    pod = make_pod()
    patch = {"spec": {
        "containers": [{"name": "nginx", "image": "nginx:1.25"}],
        "initContainers": [{"name": "init", "image": "busybox:2"}],
        "ephemeralContainers": [{"name": "debugger", "image": "busybox"}],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
        "imagePullSecrets": [{"name": "other"}],
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db", "db.local"]}],
        "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}],
        "schedulingGates": [{"name": "gate-b"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimName": "gpu-claim-2"}],
    }}
    result = smp(pod, patch, kind="Pod")
    spec = result["spec"]
    assert spec["containers"] == [{"name": "nginx", "image": "nginx:1.25"}]
    assert spec["initContainers"] == [{"name": "init", "image": "busybox:2", "command": ["true"]}]
    assert spec["ephemeralContainers"] == [{"name": "debugger", "image": "busybox"}]
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {}}, {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]
    assert spec["imagePullSecrets"] == [{"name": "other"}, {"name": "regcred"}]
    assert spec["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["db", "db.local"]}]
    assert spec["topologySpreadConstraints"] == [{"topologyKey": "zone", "maxSkew": 2, "whenUnsatisfiable": "DoNotSchedule"}]
    assert spec["schedulingGates"] == [{"name": "gate-b"}, {"name": "gate-a"}]
    assert spec["resourceClaims"] == [{"name": "gpu", "resourceClaimName": "gpu-claim-2"}]


def test_smp_scheduling_gate_removal():
    pod = make_pod()
    result = smp(pod, {"spec": {"schedulingGates": [{"name": "gate-a", "$patch": "delete"}]}}, kind="Pod")
    assert result["spec"]["schedulingGates"] == []


def test_smp_ephemeral_container_env_merges_by_name():
    pod = make_pod()
    pod["spec"]["ephemeralContainers"] = [{"name": "dbg", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]
    patch = {"spec": {"ephemeralContainers": [{"name": "dbg", "env": [{"name": "X", "value": "2"}]}]}}
    assert smp(pod, patch, kind="Pod")["spec"]["ephemeralContainers"] == [
        {"name": "dbg", "image": "busybox", "env": [{"name": "X", "value": "2"}]},
    ]


def test_smp_init_container_fields_merge_in_a_template():
    sts = make_sts()
    sts["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "init", "image": "busybox", "env": [{"name": "A", "value": "1"}]},
    ]
    patch = {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "env": [{"name": "B", "value": "2"}]}]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["initContainers"] == [
        {"name": "init", "image": "busybox", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
    ]


def test_smp_service_ports_merge_by_port():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"clusterIP": "None", "selector": {"app": "web"},
                    "ports": [{"port": 80, "name": "http", "targetPort": 8080},
                              {"port": 443, "name": "https"}]}}
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443, "$patch": "delete"}]}}
    result = smp(svc, patch, kind="Service")
    assert result["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 9090}]
    assert result["spec"]["selector"] == {"app": "web"}


def test_smp_ports_field_depends_on_context():
    # "ports" merges by containerPort in a container but "port" in a Service;
    # a Service port patch that only carries containerPort has no merge key.
    svc = {"kind": "Service", "spec": {"ports": [{"port": 80}]}}
    with pytest.raises(PatchError) as exc:
        strategic_merge_patch(svc, {"spec": {"ports": [{"containerPort": 80}]}}, "Service")
    assert "port" in str(exc.value)


def test_smp_same_field_name_outside_pod_spec_is_replaced():
    # containers/volumes merge only inside a pod spec; elsewhere they are plain lists.
    obj = {"spec": {"containers": [{"name": "a"}], "volumes": [{"name": "v"}]}}
    result = smp(obj, {"spec": {"containers": [{"name": "b"}], "volumes": [{"name": "w"}]}}, kind="StatefulSet")
    assert result == {"spec": {"containers": [{"name": "b"}], "volumes": [{"name": "w"}]}}


def test_smp_generic_workload_template_merges_pod_spec():
    deploy = {"kind": "Deployment", "spec": {"replicas": 1, "template": {"spec": {"containers": [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
        {"name": "proxy", "image": "proxy:1"},
    ]}}}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}
    result = smp(deploy, patch, kind="Deployment")
    assert result["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "image": "app:2", "env": [{"name": "A", "value": "1"}]},
        {"name": "proxy", "image": "proxy:1"},
    ]


def test_smp_cronjob_job_template_merges_pod_spec():
    cj = {"kind": "CronJob", "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "job", "image": "job:1", "args": ["a"]}]}}}}}}
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "job:2"}]}}}}}}
    result = smp(cj, patch, kind="CronJob")
    assert result["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"] == [
        {"name": "job", "image": "job:2", "args": ["a"]},
    ]


def test_smp_owner_references_merge_by_uid():
    pod = make_pod()
    patch = {"metadata": {"ownerReferences": [
        {"uid": "u-1", "blockOwnerDeletion": True},
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u-2"},
    ]}}
    result = smp(pod, patch, kind="Pod")
    assert result["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u-1", "controller": True,
         "blockOwnerDeletion": True},
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u-2"},
    ]
    removed = smp(result, {"metadata": {"ownerReferences": [{"uid": "u-1", "$patch": "delete"}]}}, kind="Pod")
    assert removed["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u-2"}]


def test_smp_owner_references_in_template_metadata_merge_by_uid():
    sts = make_sts()
    sts["spec"]["template"]["metadata"]["ownerReferences"] = [{"uid": "a", "name": "x"}]
    result = smp(sts, {"spec": {"template": {"metadata": {"ownerReferences": [{"uid": "a", "kind": "K"}]}}}})
    assert result["spec"]["template"]["metadata"]["ownerReferences"] == [{"uid": "a", "name": "x", "kind": "K"}]


def test_smp_finalizers_are_unioned():
    sts = make_sts()
    result = smp(sts, {"metadata": {"finalizers": ["example.com/protect", "example.com/backup"]}})
    assert sorted(result["metadata"]["finalizers"]) == ["example.com/backup", "example.com/protect"]
    assert len(result["metadata"]["finalizers"]) == 2
    # Patched values keep the patch's order; a new value comes before live-only values.
    result = smp({"metadata": {"finalizers": ["a", "b"]}}, {"metadata": {"finalizers": ["c"]}}, kind="Pod")
    assert result["metadata"]["finalizers"] == ["c", "a", "b"]


def test_smp_delete_from_primitive_list():
    sts = make_sts()
    sts["metadata"]["finalizers"] = ["a", "b", "c"]
    result = smp(sts, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}})
    assert result["metadata"]["finalizers"] == ["a", "c"]
    # Nothing to delete from: nothing created.
    pod = make_pod()
    assert "finalizers" not in smp(pod, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}, kind="Pod")["metadata"]


def test_smp_finalizers_replace_element():
    result = smp({"metadata": {"finalizers": ["a", "b"]}}, {"metadata": {"finalizers": [{"$patch": "replace"}, "c"]}}, kind="Pod")
    assert result["metadata"]["finalizers"] == ["c"]


def test_smp_pod_status_conditions_merge_by_type():
    pod = make_pod()
    patch = {"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
        {"type": "PodScheduled", "status": "True"},
    ], "podIPs": [{"ip": "10.1.0.5"}, {"ip": "fd00::5"}]}}
    result = smp(pod, patch, kind="Pod")
    by_type = {c["type"]: c for c in result["status"]["conditions"]}
    assert by_type == {
        "Initialized": {"type": "Initialized", "status": "True"},
        "Ready": {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
        "PodScheduled": {"type": "PodScheduled", "status": "True"},
    }
    assert [c["type"] for c in result["status"]["conditions"]] == ["Initialized", "Ready", "PodScheduled"]
    assert result["status"]["podIPs"] == [{"ip": "10.1.0.5"}, {"ip": "fd00::5"}]
    assert result["status"]["phase"] == "Running"


def test_smp_pvc_status_conditions_merge_by_type():
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "www-web-0"},
           "status": {"phase": "Bound", "conditions": [{"type": "Resizing", "status": "True"}]}}
    result = smp(pvc, {"status": {"conditions": [{"type": "FileSystemResizePending", "status": "True"}]}},
                 kind="PersistentVolumeClaim")
    assert sorted(c["type"] for c in result["status"]["conditions"]) == ["FileSystemResizePending", "Resizing"]
    result = smp(pvc, {"status": {"conditions": [{"type": "Resizing", "status": "False"}]}}, kind="PersistentVolumeClaim")
    assert result["status"]["conditions"] == [{"type": "Resizing", "status": "False"}]


def test_smp_conditions_of_other_kinds_are_replaced():
    svc = {"kind": "Service", "status": {"conditions": [{"type": "A", "status": "True"}]}}
    result = smp(svc, {"status": {"conditions": [{"type": "B", "status": "True"}]}}, kind="Service")
    assert result["status"]["conditions"] == [{"type": "B", "status": "True"}]


def test_smp_merge_list_item_without_merge_key_is_rejected():
    sts = make_sts()
    with pytest.raises(PatchError) as exc:
        strategic_merge_patch(sts, {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25"}]}}}}, "StatefulSet")
    assert "does not contain declared merge key: name" in str(exc.value)
    with pytest.raises(PatchError):
        strategic_merge_patch(sts, {"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, "StatefulSet")


def test_smp_merge_list_with_scalar_items_is_rejected():
    with pytest.raises(PatchError):
        strategic_merge_patch(make_sts(), {"spec": {"template": {"spec": {"containers": ["nginx"]}}}}, "StatefulSet")
    with pytest.raises(PatchError):
        strategic_merge_patch({"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": [{"x": 1}]}}, "Pod")


def test_smp_merge_key_matching_is_type_strict():
    # containerPort 80 (number) is not "80" (string).
    pod = make_pod()
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": "a"}]
    patch = {"spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": "80", "name": "b"}]}]}}
    result = smp(pod, patch, kind="Pod")
    assert result["spec"]["containers"][0]["ports"] == [{"containerPort": "80", "name": "b"}, {"containerPort": 80, "name": "a"}]


# ---------------------------------------------------------------------------
# Strategic merge patch: directives
# ---------------------------------------------------------------------------


def test_smp_patch_replace_on_nested_map():
    sts = make_sts()
    patch = {"spec": {"updateStrategy": {"$patch": "replace", "type": "OnDelete"}}}
    result = smp(sts, patch)
    assert result["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_smp_patch_replace_inside_merge_list_item():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "resources": {"$patch": "replace", "limits": {"cpu": "1"}}},
    ]}}}}
    result = smp(sts, patch)
    assert container(result, "nginx")["resources"] == {"limits": {"cpu": "1"}}


def test_smp_patch_delete_on_map_removes_key():
    sts = make_sts()
    result = smp(sts, {"spec": {"updateStrategy": {"rollingUpdate": {"$patch": "delete"}}}})
    assert result["spec"]["updateStrategy"] == {"type": "RollingUpdate"}
    # on a key that does not exist: still absent
    result = smp(sts, {"spec": {"template": {"spec": {"affinity": {"$patch": "delete"}}}}})
    assert "affinity" not in template_spec(result)


def test_smp_patch_delete_at_root_empties_object():
    assert strategic_merge_patch(make_sts(), {"$patch": "delete"}, "StatefulSet") == {}


def test_smp_patch_replace_at_root():
    result = smp(make_sts(), {"$patch": "replace", "kind": "StatefulSet", "spec": {"replicas": 1}})
    assert result == {"kind": "StatefulSet", "spec": {"replicas": 1}}


def test_smp_patch_merge_is_default():
    sts = make_sts()
    explicit = smp(sts, {"spec": {"$patch": "merge", "replicas": 3,
                                  "template": {"spec": {"containers": [{"name": "nginx", "$patch": "merge", "image": "x"}]}}}})
    implicit = smp(sts, {"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "nginx", "image": "x"}]}}}})
    assert explicit == implicit
    assert explicit["spec"]["replicas"] == 3
    assert container(explicit, "nginx")["image"] == "x"


def test_smp_unknown_patch_directive_is_rejected():
    with pytest.raises(PatchError) as exc:
        strategic_merge_patch(make_sts(), {"spec": {"$patch": "explode"}}, "StatefulSet")
    assert "unknown patch type" in str(exc.value)
    with pytest.raises(PatchError):
        strategic_merge_patch(make_sts(), {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "$patch": "explode"}]}}}},
                              "StatefulSet")


def test_smp_list_replace_directive_on_merge_list():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [
        {"$patch": "replace"},
        {"name": "only", "image": "only:1"},
    ]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["containers"] == [{"name": "only", "image": "only:1"}]


def test_smp_list_replace_directive_on_env():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "env": [{"name": "Z", "value": "26"}, {"$patch": "replace"}]},
    ]}}}}
    result = smp(sts, patch)
    assert container(result, "nginx")["env"] == [{"name": "Z", "value": "26"}]
    assert container(result, "nginx")["ports"] == container(sts, "nginx")["ports"]


def test_smp_list_replace_directive_on_replace_list_is_dropped():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"tolerations": [{"$patch": "replace"}, {"key": "a", "operator": "Exists"}]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["tolerations"] == [{"key": "a", "operator": "Exists"}]


def test_smp_delete_item_from_merge_list():
    sts = make_sts()
    result = smp(sts, {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}})
    assert names(template_spec(result)["containers"]) == ["nginx"]
    # deleting an item that is not there is a no-op
    again = smp(result, {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}})
    assert again == result


def test_smp_retain_keys_switches_volume_source():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"volumes": [
        {"name": "config", "$retainKeys": ["name", "secret"], "secret": {"secretName": "web-secret"}},
    ]}}}}
    result = smp(sts, patch)
    assert template_spec(result)["volumes"] == [
        {"name": "config", "secret": {"secretName": "web-secret"}},
        {"name": "cache", "emptyDir": {}},
    ]


def test_smp_retain_keys_switches_update_strategy():
    sts = make_sts()
    patch = {"spec": {"updateStrategy": {"$retainKeys": ["type"], "type": "OnDelete"}}}
    assert smp(sts, patch)["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_smp_retain_keys_must_list_patched_keys():
    sts = make_sts()
    patch = {"spec": {"updateStrategy": {"$retainKeys": ["type"], "type": "OnDelete", "rollingUpdate": {"partition": 1}}}}
    with pytest.raises(PatchError) as exc:
        strategic_merge_patch(sts, patch, "StatefulSet")
    assert "retainKeys" in str(exc.value)
    with pytest.raises(PatchError):
        strategic_merge_patch(sts, {"spec": {"$retainKeys": "replicas"}}, "StatefulSet")


def test_smp_unknown_dollar_keys_do_not_leak():
    sts = make_sts()
    result = smp(sts, {"$foo": 1, "spec": {"$bar": {"x": 1}, "replicas": 3,
                                         "template": {"spec": {"containers": [{"name": "nginx", "$baz": True}]}}}})
    expected = make_sts()
    expected["spec"]["replicas"] = 3
    assert result == expected


def test_smp_directives_in_new_subtrees_do_not_leak():
    sts = make_sts()
    patch = {"spec": {
        "template": {"spec": {
            "affinity": {"$patch": "replace", "nodeAffinity": {"x": 1, "gone": None}},
            "containers": [{
                "name": "metrics", "image": "exporter:1",
                "env": [{"name": "X", "value": "1"}, {"name": "Y", "$patch": "delete"}],
                "$setElementOrder/env": [{"name": "X"}],
                "ports": [{"containerPort": 9100, "$unknown": 1}],
            }],
        }},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "$retainKeys": ["whenDeleted"]},
    }}
    result = smp(sts, patch)
    assert template_spec(result)["affinity"] == {"nodeAffinity": {"x": 1}}
    assert container(result, "metrics") == {
        "name": "metrics", "image": "exporter:1",
        "env": [{"name": "X", "value": "1"}],
        "ports": [{"containerPort": 9100}],
    }
    assert result["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Delete"}


def test_smp_new_list_field_is_merged_as_empty():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "env": [{"name": "E", "value": "1"}, {"name": "E", "value": "2"}]},
    ]}}}}
    # duplicate keys in one patch collapse onto one item, as on the API server
    assert container(smp(sts, patch), "sidecar")["env"] == [{"name": "E", "value": "2"}]


def test_smp_rejects_non_object_patch():
    bad: Any
    for bad in ([], "x", None, 1):
        with pytest.raises(PatchError):
            strategic_merge_patch(make_sts(), bad, "StatefulSet")


def test_smp_does_not_mutate_inputs():
    sts = make_sts()
    patch = {
        "metadata": {"labels": {"new": "1"}, "finalizers": ["f"], "$deleteFromPrimitiveList/finalizers": ["example.com/protect"]},
        "spec": {
            "replicas": 9,
            "updateStrategy": {"rollingUpdate": None},
            "template": {"spec": {
                "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}],
                "containers": [{"name": "nginx", "env": [{"name": "A", "$patch": "delete"}, {"name": "N", "value": "n"}]}],
                "volumes": [{"name": "config", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}}],
                "affinity": {"$patch": "replace", "podAntiAffinity": {}},
            }},
        },
    }
    sts_before, patch_before = copy.deepcopy(sts), copy.deepcopy(patch)
    result = strategic_merge_patch(sts, patch, "StatefulSet")
    assert sts == sts_before
    assert patch == patch_before
    assert result is not sts
    # The result shares nothing mutable with the inputs.
    container(result, "nginx")["env"].append({"name": "M"})
    template_spec(result)["volumes"][0]["secret"]["secretName"] = "changed"
    template_spec(result)["affinity"]["podAntiAffinity"]["x"] = 1
    result["metadata"]["labels"]["z"] = "z"
    result["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"].append("X")
    assert sts == sts_before
    assert patch == patch_before


def test_smp_empty_patch_is_identity():
    sts = make_sts()
    assert strategic_merge_patch(sts, {}, "StatefulSet") == sts


def test_smp_repeated_set_image_is_idempotent():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25", "name": "nginx"}]}}}}
    once = strategic_merge_patch(sts, patch, "StatefulSet")
    assert strategic_merge_patch(once, patch, "StatefulSet") == once


# ---------------------------------------------------------------------------
# apply_patch: Content-Type dispatch
# ---------------------------------------------------------------------------


def test_apply_patch_dispatches_strategic():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25", "name": "nginx"}]}}}}
    result = apply_patch("application/strategic-merge-patch+json", sts, patch, "StatefulSet")
    assert names(template_spec(result)["containers"]) == ["nginx", "sidecar"]
    assert container(result, "nginx")["image"] == "nginx:1.25"


def test_apply_patch_dispatches_merge():
    sts = make_sts()
    patch = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.25", "name": "nginx"}]}}}}
    result = apply_patch("application/merge-patch+json", sts, patch, "StatefulSet")
    assert template_spec(result)["containers"] == [{"image": "nginx:1.25", "name": "nginx"}]


def test_apply_patch_dispatches_json_patch():
    result = apply_patch("application/json-patch+json", make_sts(),
                         [{"op": "replace", "path": "/spec/replicas", "value": 7}], "StatefulSet")
    assert result["spec"]["replicas"] == 7


def test_apply_patch_ignores_parameters_and_case():
    result = apply_patch("Application/Merge-Patch+JSON; charset=utf-8", {"a": 1}, {"b": 2}, "StatefulSet")
    assert result == {"a": 1, "b": 2}
    result = apply_patch("application/strategic-merge-patch+json;charset=UTF-8", make_sts(), {"spec": {"replicas": 1}}, "StatefulSet")
    assert result["spec"]["replicas"] == 1


def test_apply_patch_server_side_apply_is_unsupported():
    with pytest.raises(PatchError) as exc:
        apply_patch("application/apply-patch+yaml", make_sts(), {"spec": {"replicas": 1}}, "StatefulSet")
    assert str(exc.value) == "server-side apply is not supported by the sandbox"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "", None, "application/yaml"])
def test_apply_patch_unknown_content_type(content_type):
    with pytest.raises(PatchError) as exc:
        apply_patch(content_type, make_sts(), {"spec": {"replicas": 1}}, "StatefulSet")
    assert str(exc.value) == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json")


def test_apply_patch_body_shape_is_checked():
    with pytest.raises(PatchError):
        apply_patch("application/json-patch+json", {}, {"op": "add"}, "StatefulSet")
    with pytest.raises(PatchError):
        apply_patch("application/merge-patch+json", {}, [{"op": "add"}], "StatefulSet")
    with pytest.raises(PatchError):
        apply_patch("application/strategic-merge-patch+json", {}, [1], "StatefulSet")


def test_apply_patch_is_pure():
    sts = make_sts()
    patches = [
        ("application/strategic-merge-patch+json", {"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "nginx", "image": "x"}]}}}}),
        ("application/merge-patch+json", {"spec": {"replicas": 3, "selector": None}}),
        ("application/json-patch+json", [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "c"}}]),
    ]
    for content_type, body in patches:
        sts_before, body_before = copy.deepcopy(sts), copy.deepcopy(body)
        result = apply_patch(content_type, sts, body, "StatefulSet")
        assert result != sts
        assert sts == sts_before and body == body_before
