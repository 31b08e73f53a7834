"""The merge and conflict core of the sandbox's server-side apply, without a server: field
sets, comparison, merge, removal (structured-merge-diff typed/*.go) and the Apply/Update
bookkeeping (merge/update.go), as tables. Cases after structured-merge-diff's own tests
(merge/multiple_appliers_test.go, merge/set_test.go, merge/key_test.go)."""

import pytest

from kubectl_sts.k8s import fieldsv1
from kubectl_sts_sandbox import applier, fieldschema, fieldsets, managedfields
from kubectl_sts_sandbox.errors import ApiError
from kubectl_sts_sandbox.resources import BY_KIND

STS = BY_KIND["StatefulSet"]
T = fieldschema.type_of("apps", "v1", "StatefulSet")
F = fieldsv1.field
APP = fieldsv1.key(name="app")
CONTAINERS = (F("spec"), F("template"), F("spec"), F("containers"))


def sts(replicas=None, image=None, finalizers=None, ports=None, labels=None):
    spec = {}
    if replicas is not None:
        spec["replicas"] = replicas
    if image is not None:
        container = {"name": "app", "image": image}
        if ports is not None:
            container["ports"] = ports
        spec["template"] = {"spec": {"containers": [container]}}
    meta = {"name": "web", "namespace": "ns"}
    if finalizers is not None:
        meta["finalizers"] = finalizers
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": spec}


@pytest.mark.parametrize("value, expected", [
    ({"spec": {"replicas": 1}}, {(F("spec"), F("replicas"))}),
    # an atomic struct (LabelSelector) is one member
    ({"spec": {"selector": {"matchLabels": {"a": "b"}}}}, {(F("spec"), F("selector"))}),
    # map entries and list items are members, declared struct fields only through theirs
    ({"metadata": {"labels": {"a": "b"}}}, {(F("metadata"), F("labels"), F("a"))}),
    ({"metadata": {"finalizers": ["x"]}}, {(F("metadata"), F("finalizers"),
                                           fieldsv1.value("x"))}),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}},
     {CONTAINERS + (APP,), CONTAINERS + (APP, F("name"))}),
    # an empty struct is a member
    ({"spec": {"updateStrategy": {}}}, {(F("spec"), F("updateStrategy"))}),
])
def test_field_set_of_an_applied_configuration(value, expected):
    assert fieldsets.to_set(value, T) == expected


def test_a_key_field_left_out_takes_its_default():
    ports = [{"containerPort": 80}]
    got = fieldsets.to_set(sts(image="x", ports=ports)["spec"], T.child("spec"))
    port = fieldsv1.key(containerPort=80, protocol="TCP")
    assert (F("template"), F("spec"), F("containers"), APP, F("ports"), port) in got


def test_duplicate_keys_in_a_configuration_are_refused():
    value = {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}
    with pytest.raises(fieldsets.ApplyError, match="duplicate entries"):
        fieldsets.to_set(value, T.child("spec"), strict=True)


@pytest.mark.parametrize("old, new, added, modified, removed", [
    ({"replicas": 1}, {"replicas": 2}, set(), {(F("replicas"),)}, set()),
    ({}, {"replicas": 2}, {(F("replicas"),)}, set(), set()),
    ({"replicas": 2}, {}, set(), set(), {(F("replicas"),)}),
    # a new map is added with everything in it; a non-pointer struct is always there
    ({}, {"updateStrategy": {"rollingUpdate": {"partition": 1}}},
     {(F("updateStrategy"), F("rollingUpdate")),
      (F("updateStrategy"), F("rollingUpdate"), F("partition"))}, set(), set()),
])
def test_compare(old, new, added, modified, removed):
    got = fieldsets.compare(old, new, T.child("spec"))
    assert (got.added, got.modified, got.removed) == (added, modified, removed)


@pytest.mark.parametrize("live, config, expected", [
    # associative lists merge by key, the live order kept, new items after
    ([{"name": "a", "image": "1"}, {"name": "b", "image": "1"}], [{"name": "b", "image": "2"}],
     [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]),
    ([{"name": "a"}], [{"name": "c"}, {"name": "a", "image": "2"}],
     [{"name": "c"}, {"name": "a", "image": "2"}]),
])
def test_merge_of_associative_lists(live, config, expected):
    t = T.child("spec").child("template").child("spec").child("containers")
    assert fieldsets.merge(live, config, t) == expected


def test_merge_of_sets_and_atomic_values():
    meta = T.child("metadata")
    assert fieldsets.merge({"finalizers": ["a"]}, {"finalizers": ["b"]}, meta) == \
        {"finalizers": ["a", "b"]}
    spec = T.child("spec")
    assert fieldsets.merge({"selector": {"matchLabels": {"a": "1"}}},
                           {"selector": {"matchLabels": {"b": "2"}}}, spec) == \
        {"selector": {"matchLabels": {"b": "2"}}}


def test_remove_drops_values_and_emptied_maps():
    value = {"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 1}}
    assert fieldsets.remove(value, {(F("metadata"), F("labels"), F("a"))}, T) == \
        {"spec": {"replicas": 1}}


def applied(live, config, manager, force=False):
    return applier.merge(STS, live, config, manager, force, None, "2026-01-01T00:00:00Z", T)


def with_managers(obj, managers):
    obj = dict(obj, metadata=dict(obj["metadata"], managedFields=managedfields.encode(managers)))
    return obj


def owners(managers, path):
    return sorted(v[0]["manager"] for v in managers.values() if path in v[1])


REPLICAS = (F("spec"), F("replicas"))
IMAGE = CONTAINERS + (APP, F("image"))


@pytest.mark.parametrize("second, force, outcome", [
    (sts(replicas=1, image="x"), False, {"shared": True}),
    (sts(replicas=2, image="x"), False, {"conflict": 'Apply failed with 1 conflict: conflict '
                                                     'with "a": .spec.replicas'}),
    (sts(replicas=2, image="x"), True, {"owner": ["b"], "replicas": 2}),
])
def test_two_appliers(second, force, outcome):
    """merge/multiple_appliers_test.go: equal values are shared, a different one conflicts
    unless forced, then it moves."""
    first, managers = applied(None, sts(replicas=1, image="x"), "a")
    live = with_managers(first, managers)
    if "conflict" in outcome:
        with pytest.raises(ApiError) as exc:
            applied(live, second, "b", force)
        assert exc.value.status["message"] == outcome["conflict"]
        assert exc.value.code == 409
        return
    new, managers = applied(live, second, "b", force)
    if outcome.get("shared"):
        assert owners(managers, REPLICAS) == ["a", "b"]
    else:
        assert owners(managers, REPLICAS) == outcome["owner"]
        assert new["spec"]["replicas"] == outcome["replicas"]


def test_a_field_no_longer_applied_goes_unless_someone_else_owns_it():
    first, managers = applied(None, sts(replicas=1, image="x", labels={"a": "1", "b": "2"}),
                              "a")
    live = with_managers(first, managers)
    new, managers = applied(live, sts(replicas=1, image="x", labels={"a": "1"}), "a")
    assert new["metadata"]["labels"] == {"a": "1"}
    # shared with b: stays when a stops applying it
    _, managers = applied(live, sts(labels={"b": "2"}), "b")
    live = with_managers(first, managers)
    new, managers = applied(live, sts(replicas=1, image="x", labels={"a": "1"}), "a")
    assert new["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert owners(managers, (F("metadata"), F("labels"), F("b"))) == ["b"]


def test_update_takes_changed_fields_from_appliers():
    first, managers = applied(None, sts(replicas=1, image="x"), "a")
    live = with_managers(first, managers)
    changed = with_managers(sts(replicas=3, image="x"), managers)
    managedfields.update(STS, live, changed, "kubectl", "scale", "2026-01-01T00:00:01Z")
    entries = changed["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"], e.get("subresource")) for e in entries] == \
        [("a", "Apply", None), ("kubectl", "Update", "scale")]
    assert fieldsv1.owners_of(entries, REPLICAS)[0][0]["manager"] == "kubectl"
    assert IMAGE in fieldsv1.decode(entries[0]["fieldsV1"])


def test_update_manager_cap_folds_the_oldest_into_ancient_changes():
    managers: managedfields.Managers = {}
    for i in range(12):
        managedfields.apply_update(managers, frozenset({(F("data"), F("k%d" % i))}),
                                   frozenset(), "m%02d" % i, "Update", "v1", None,
                                   "2026-01-01T00:00:%02dZ" % i)
    managedfields._cap(managers)
    names = sorted(v[0]["manager"] for v in managers.values())
    assert len(names) == 10 and "ancient-changes" in names and "m00" not in names


def test_conflicts_with_several_managers_are_grouped_by_manager():
    """conflict.go getConflictMessage: managers sorted, each with its fields."""
    first, managers = applied(None, sts(replicas=1, image="x"), "a")
    live = with_managers(first, managers)
    changed = with_managers(sts(replicas=1, image="y"), managers)
    managedfields.update(STS, live, changed, "b", None, "2026-01-01T00:00:01Z")
    with pytest.raises(ApiError) as exc:
        applied(changed, sts(replicas=2, image="z"), "c")
    assert exc.value.status["message"] == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n'
        'conflicts with "b" using apps/v1:\n'
        '- .spec.template.spec.containers[name="app"].image')
    assert [c["message"] for c in exc.value.status["details"]["causes"]] == \
        ['conflict with "a"', 'conflict with "b" using apps/v1']
