"""The sandbox API server as the official `kubernetes` Python client sees it, over HTTP.

Every test here talks to the cluster only through the official client (typed calls, with
`_preload_content=False` where the raw JSON matters, and `api_client.call_api` for raw paths),
so the same tests run against a real cluster (kind) with KUBECTL_STS_TEST_KUBECONFIG. Only tests
that take the `sandbox` fixture use sandbox internals (and are skipped on a real cluster).

Sections: discovery; CRUD and object metadata; errors; selectors and paging; watch; patch;
/scale and /status subresources; deletion and garbage collection; server-side tables;
namespace deletion.
"""

import json
import re
import time
import uuid
from functools import partial

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

import builders
from builders import pod, service, statefulset
from helpers import MERGE, api_error, merge_patch, pod_ready, raw, wait_for

JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
HOLD = "kubectl-sts.test/hold"          # a finalizer nobody but the test removes

CONFLICT_MESSAGE = ('Operation cannot be fulfilled on statefulsets.apps "web": the object has '
                    'been modified; please apply your changes to the latest version and try again')
STS_FORBIDDEN_MESSAGE = (
    "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for fields "
    "other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
UID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def policy(api_client):
    return client.PolicyV1Api(api_client)


def body_of(response):
    """The JSON body of a `_preload_content=False` response."""
    return json.loads(response.data)


def rv(obj):
    return int(obj["metadata"]["resourceVersion"])


# a StatefulSet manifest without claims (no PVCs to clean up), 0 replicas by default
sts = partial(statefulset, replicas=0, claims=())


def create_sts(apps, namespace, manifest=None):
    return body_of(apps.create_namespaced_stateful_set(namespace, manifest or sts(),
                                                       _preload_content=False))


def read_sts(apps, namespace, name="web"):
    return body_of(apps.read_namespaced_stateful_set(name, namespace, _preload_content=False))


def patch_sts(apps, namespace, patch, content_type=MERGE, name="web"):
    return merge_patch(apps.patch_namespaced_stateful_set, name, namespace, patch,
                       content_type=content_type)


def observed(name):
    """wait_for predicate: the controller has observed the set's current generation."""
    def check(items):
        obj = items.get(name)
        return obj is not None and (obj.get("status") or {}).get("observedGeneration", 0) >= \
            obj["metadata"]["generation"]
    return check


def wait_observed(apps, namespace, name="web"):
    return wait_for(apps.list_namespaced_stateful_set, observed(name), timeout=10,
                    namespace=namespace, field_selector="metadata.name=" + name)[name]


# a bare pod; one mounting a claim that does not exist stays Pending
bare_pod = partial(pod, labels={}, image="nginx:1.27", grace=1)
unbound_pod = partial(bare_pod, containers=[
    {"name": "app", "image": "nginx:1.27", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
    volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "no-such-claim"}}])
labelled_service = partial(service, labels={})


def owner_ref(owner, controller=False):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": controller, "blockOwnerDeletion": True}


def names(listing):
    return sorted(o["metadata"]["name"] for o in listing["items"])


def list_pods(core, namespace, **kwargs):
    return body_of(core.list_namespaced_pod(namespace, _preload_content=False, **kwargs))


def stream(list_fn, *args, until=None, timeout=5, **kwargs):
    """The raw events ({"type", "object"}) of one watch request on list_fn, read until
    until(events) is true or the server ends the stream (after timeout seconds)."""
    response = list_fn(*args, watch=True, timeout_seconds=timeout, _preload_content=False,
                       _request_timeout=timeout + 5, **kwargs)
    events = []
    try:
        for line in iter_resp_lines(response):
            if line:
                events.append(json.loads(line))
                if until is not None and until(events):
                    break
    finally:
        response.close()
        response.release_conn()
    return events


def summary(events):
    return [(e["type"], e["object"].get("metadata", {}).get("name")) for e in events]


# ---------------------------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------------------------

def test_version(api_client):
    status, body = raw(api_client, "GET", "/version")
    assert status == 200
    assert body["major"] == "1"
    assert re.match(r"^\d+\+?$", body["minor"])
    assert body["gitVersion"].startswith("v1.")


def test_sandbox_version_is_the_newest_by_default(api_client, sandbox):
    _, body = raw(api_client, "GET", "/version")
    assert (body["major"], body["minor"]) == ("1", "37")
    assert body["gitVersion"] == "v1.37.0"


def test_core_api_versions(api_client):
    status, body = raw(api_client, "GET", "/api")
    assert status == 200
    assert body["kind"] == "APIVersions"
    assert body["versions"] == ["v1"]


def test_api_groups(api_client):
    _, body = raw(api_client, "GET", "/apis")
    assert body["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in body["groups"]}
    for name in ("apps", "autoscaling", "policy"):
        assert name in groups
        gv = name + "/v1"
        assert gv in [v["groupVersion"] for v in groups[name]["versions"]]
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert groups["policy"]["preferredVersion"]["groupVersion"] == "policy/v1"
    _, apps_group = raw(api_client, "GET", "/apis/apps")
    assert apps_group["kind"] == "APIGroup" and apps_group["name"] == "apps"


def _resources(api_client, path):
    status, body = raw(api_client, "GET", path)
    assert status == 200
    assert body["kind"] == "APIResourceList"
    return body, {r["name"]: r for r in body["resources"]}


@pytest.mark.parametrize("plural,kind,short,namespaced", [
    ("pods", "Pod", "po", True),
    ("persistentvolumeclaims", "PersistentVolumeClaim", "pvc", True),
    ("services", "Service", "svc", True),
    ("events", "Event", "ev", True),
    ("namespaces", "Namespace", "ns", False),
    ("persistentvolumes", "PersistentVolume", "pv", False),
])
def test_core_v1_resources(api_client, plural, kind, short, namespaced):
    body, res = _resources(api_client, "/api/v1")
    assert body["groupVersion"] == "v1"
    entry = res[plural]
    assert entry["kind"] == kind
    assert entry["namespaced"] is namespaced
    assert short in entry["shortNames"]
    assert {"get", "list", "watch", "create", "delete", "patch", "update"} <= set(entry["verbs"])


def test_apps_v1_resources(api_client):
    body, res = _resources(api_client, "/apis/apps/v1")
    assert body["groupVersion"] == "apps/v1"
    sts_entry = res["statefulsets"]
    assert sts_entry["kind"] == "StatefulSet" and sts_entry["namespaced"] is True
    assert sts_entry["singularName"] == "statefulset"
    assert "sts" in sts_entry["shortNames"]
    assert "all" in sts_entry.get("categories", [])
    assert res["statefulsets/status"]["kind"] == "StatefulSet"
    assert set(res["statefulsets/status"]["verbs"]) == {"get", "patch", "update"}
    scale = res["statefulsets/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert set(scale["verbs"]) == {"get", "patch", "update"}
    assert res["controllerrevisions"]["kind"] == "ControllerRevision"


def test_policy_v1_resources(api_client):
    _, res = _resources(api_client, "/apis/policy/v1")
    assert res["poddisruptionbudgets"]["kind"] == "PodDisruptionBudget"
    assert "pdb" in res["poddisruptionbudgets"]["shortNames"]
    assert "poddisruptionbudgets/status" in res


def test_unknown_group_is_404(api_client):
    status, body = raw(api_client, "GET", "/apis/nosuch.example.com/v1")
    assert status == 404
    assert body["reason"] == "NotFound"


# ---------------------------------------------------------------------------------------------
# CRUD and object metadata
# ---------------------------------------------------------------------------------------------

def _event(namespace):
    return builders.event("Pod", "p", "Testing", "hello", type="Normal", count=None,
                          namespace=None, object_namespace=namespace, event_name="crud",
                          api_version="v1", source={"component": "test"})


# kind -> (api fixture, method suffix, qualified resource, apiVersion, manifest(namespace))
CRUD = {
    "Pod": ("core", "namespaced_pod", "pods", "v1",
            lambda ns: bare_pod("crud", labels={"app": "crud"})),
    "PersistentVolumeClaim": ("core", "namespaced_persistent_volume_claim",
                              "persistentvolumeclaims", "v1",
                              lambda ns: {"metadata": {"name": "crud"}, "spec": {
                                  "accessModes": ["ReadWriteOnce"],
                                  "resources": {"requests": {"storage": "1Gi"}}}}),
    "Service": ("core", "namespaced_service", "services", "v1",
                lambda ns: service("crud")),
    "StatefulSet": ("apps", "namespaced_stateful_set", "statefulsets.apps", "apps/v1",
                    lambda ns: sts("crud")),
    "ControllerRevision": ("apps", "namespaced_controller_revision", "controllerrevisions.apps",
                           "apps/v1",
                           lambda ns: {"metadata": {"name": "crud"}, "revision": 1,
                                       "data": {"spec": {"template": {"$patch": "replace"}}}}),
    "Event": ("core", "namespaced_event", "events", "v1", _event),
    "PodDisruptionBudget": ("policy", "namespaced_pod_disruption_budget",
                            "poddisruptionbudgets.policy", "policy/v1",
                            lambda ns: {"metadata": {"name": "crud"}, "spec": {
                                "minAvailable": 1,
                                "selector": {"matchLabels": {"app": "crud"}}}}),
}


@pytest.mark.parametrize("kind", sorted(CRUD))
def test_crud(request, namespace, kind):
    api_name, suffix, qualified, api_version, manifest = CRUD[kind]
    api = request.getfixturevalue(api_name)
    call = lambda verb: getattr(api, "%s_%s" % (verb, suffix))   # noqa: E731

    created = body_of(call("create")(namespace, manifest(namespace), _preload_content=False))
    assert (created["kind"], created["apiVersion"]) == (kind, api_version)
    meta = created["metadata"]
    assert (meta["name"], meta["namespace"]) == ("crud", namespace)
    assert UID_RE.match(meta["uid"]) and TIMESTAMP_RE.match(meta["creationTimestamp"])

    if kind == "Pod":
        # the kubelet writes the pod's status until it is Ready (on a real cluster too): a
        # replace sent meanwhile races it and gets 409
        wait_for(call("list"), lambda items: "crud" in items and pod_ready(items["crud"]),
                 namespace=namespace)
    read = body_of(call("read")("crud", namespace, _preload_content=False))
    assert read["metadata"]["uid"] == meta["uid"]
    assert rv(read) >= rv(created)

    listing = body_of(call("list")(namespace, _preload_content=False))
    assert listing["kind"] == kind + "List" and listing["apiVersion"] == api_version
    assert "crud" in names(listing)
    assert int(listing["metadata"]["resourceVersion"]) >= rv(created)

    patched = merge_patch(call("patch"), "crud", namespace,
                          {"metadata": {"labels": {"patched": "yes"}}})
    assert patched["metadata"]["labels"]["patched"] == "yes"
    assert rv(patched) > rv(read)

    patched["metadata"].setdefault("annotations", {})["replaced"] = "yes"
    replaced = body_of(call("replace")("crud", namespace, patched, _preload_content=False))
    assert replaced["metadata"]["annotations"]["replaced"] == "yes"
    assert replaced["metadata"]["labels"]["patched"] == "yes"
    assert replaced["metadata"]["uid"] == meta["uid"]
    assert rv(replaced) > rv(patched)

    call("delete")("crud", namespace)
    wait_for(call("list"), lambda items: "crud" not in items, timeout=30, namespace=namespace)
    status, body = api_error(call("read"), "crud", namespace)
    assert status == 404
    assert body["message"] == '%s "crud" not found' % qualified


def test_generate_name(core, namespace):
    made = [body_of(core.create_namespaced_service(
        namespace, {"metadata": {"generateName": "gen-"}, "spec": {"clusterIP": "None",
                                                                     "ports": [{"port": 80}]}},
        _preload_content=False)) for _ in range(2)]
    got = [m["metadata"]["name"] for m in made]
    assert all(re.match(r"^gen-[a-z0-9]{5}$", n) for n in got), got
    assert got[0] != got[1]
    assert all(m["metadata"]["generateName"] == "gen-" for m in made)
    assert sorted(got) == names(body_of(core.list_namespaced_service(namespace,
                                                                      _preload_content=False)))


def test_resource_version_is_one_counter_across_kinds(core, apps, policy, namespace):
    objs = [
        body_of(core.create_namespaced_service(namespace, service("a"),
                                               _preload_content=False)),
        body_of(apps.create_namespaced_stateful_set(namespace, sts("b"), _preload_content=False)),
        body_of(policy.create_namespaced_pod_disruption_budget(
            namespace, {"metadata": {"name": "c"},
                        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "b"}}}},
            _preload_content=False)),
        body_of(core.create_namespaced_service(namespace, service("d"),
                                               _preload_content=False)),
    ]
    versions = [rv(o) for o in objs]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    uids = {o["metadata"]["uid"] for o in objs}
    assert len(uids) == 4 and all(UID_RE.match(u) for u in uids)
    # a list of any kind reports the same, cluster-wide counter
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    assert int(listing["metadata"]["resourceVersion"]) >= versions[-1]


def test_generation_bumps_on_spec_changes_only(apps, namespace):
    created = create_sts(apps, namespace)
    assert created["metadata"]["generation"] == 1

    labelled = patch_sts(apps, namespace, {"metadata": {"labels": {"team": "a"},
                                                        "annotations": {"note": "x"}}})
    assert labelled["metadata"]["generation"] == 1
    assert rv(labelled) > rv(created)

    changed = patch_sts(apps, namespace, {"spec": {"minReadySeconds": 5}})
    assert changed["metadata"]["generation"] == 2

    same = patch_sts(apps, namespace, {"spec": {"minReadySeconds": 5}})
    assert same["metadata"]["generation"] == 2

    status = merge_patch(apps.patch_namespaced_stateful_set_status, "web", namespace,
                         {"status": {"collisionCount": 1}})
    assert status["metadata"]["generation"] == 2

    template = patch_sts(apps, namespace, {"spec": {"template": {"metadata": {
        "annotations": {"rev": "2"}}}}})
    assert template["metadata"]["generation"] == 3


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def test_conflict_on_stale_resource_version(apps, namespace):
    create_sts(apps, namespace)
    stale = read_sts(apps, namespace)
    patch_sts(apps, namespace, {"metadata": {"labels": {"touched": "yes"}}})
    stale["metadata"].setdefault("annotations", {})["lost"] = "update"
    status, body = api_error(apps.replace_namespaced_stateful_set, "web", namespace, stale)
    assert status == 409
    assert (body["kind"], body["status"], body["reason"], body["code"]) == \
        ("Status", "Failure", "Conflict", 409)
    assert body["message"] == CONFLICT_MESSAGE
    assert body["details"]["name"] == "web" and body["details"]["kind"] == "statefulsets"
    assert "lost" not in (read_sts(apps, namespace)["metadata"].get("annotations") or {})


def test_update_without_resource_version_is_unconditional(apps, namespace):
    create_sts(apps, namespace)
    obj = read_sts(apps, namespace)
    patch_sts(apps, namespace, {"metadata": {"labels": {"touched": "yes"}}})
    del obj["metadata"]["resourceVersion"]
    obj["metadata"]["labels"] = {"replaced": "yes"}
    replaced = body_of(apps.replace_namespaced_stateful_set("web", namespace, obj,
                                                            _preload_content=False))
    assert replaced["metadata"]["labels"] == {"replaced": "yes"}


def test_update_that_changes_nothing_is_not_written(apps, core, namespace):
    create_sts(apps, namespace)
    before = wait_observed(apps, namespace)
    same = patch_sts(apps, namespace, {"spec": {"replicas": 0}})
    assert rv(same) == rv(before)
    replaced = body_of(apps.replace_namespaced_stateful_set("web", namespace, before,
                                                            _preload_content=False))
    assert rv(replaced) == rv(before)
    svc = body_of(core.create_namespaced_service(namespace, labelled_service("quiet"),
                                                 _preload_content=False))
    merge_patch(core.patch_namespaced_service, "quiet", namespace, {"metadata": {"labels": {}}})
    merge_patch(core.patch_namespaced_service, "quiet", namespace, {"metadata": {"labels": {"x": "1"}}})
    events = stream(core.list_namespaced_service, namespace, resource_version=str(rv(svc)),
                    until=lambda ev: True)
    assert [e["object"]["metadata"]["labels"] for e in events] == [{"x": "1"}]


def test_already_exists(apps, namespace):
    create_sts(apps, namespace)
    status, body = api_error(apps.create_namespaced_stateful_set, namespace, sts())
    assert status == 409
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'statefulsets.apps "web" already exists'
    assert body["details"] == {"name": "web", "group": "apps", "kind": "statefulsets"}


def test_not_found(apps, core, namespace):
    status, body = api_error(apps.read_namespaced_stateful_set, "x", namespace)
    assert status == 404
    assert (body["kind"], body["status"], body["reason"], body["code"]) == \
        ("Status", "Failure", "NotFound", 404)
    assert body["message"] == 'statefulsets.apps "x" not found'
    assert body["details"] == {"name": "x", "group": "apps", "kind": "statefulsets"}
    status, body = api_error(core.delete_namespaced_pod, "x", namespace)
    assert status == 404 and body["message"] == 'pods "x" not found'
    assert body["details"] == {"name": "x", "kind": "pods"}


def test_invalid_replicas(apps, namespace):
    status, body = api_error(apps.create_namespaced_stateful_set, namespace, sts(replicas=-1))
    assert status == 422
    assert body["reason"] == "Invalid"
    assert body["message"] == ('StatefulSet.apps "web" is invalid: spec.replicas: Invalid value: '
                               '-1: must be greater than or equal to 0')
    assert body["details"]["kind"] == "StatefulSet" and body["details"]["group"] == "apps"
    assert body["details"]["causes"][0]["field"] == "spec.replicas"
    assert body["details"]["causes"][0]["reason"] == "FieldValueInvalid"
    status, _ = api_error(apps.read_namespaced_stateful_set, "web", namespace)
    assert status == 404


def test_invalid_update_keeps_the_stored_object(apps, namespace):
    create_sts(apps, namespace)
    status, body = api_error(patch_sts, apps, namespace, {"spec": {"replicas": -1}})
    assert status == 422
    assert body["message"].startswith('StatefulSet.apps "web" is invalid: spec.replicas: ')
    assert read_sts(apps, namespace)["spec"]["replicas"] == 0


def test_immutable_service_name(apps, namespace):
    create_sts(apps, namespace)
    status, body = api_error(patch_sts, apps, namespace, {"spec": {"serviceName": "other"}})
    assert status == 422
    assert body["reason"] == "Invalid"
    assert body["message"] == STS_FORBIDDEN_MESSAGE
    cause = body["details"]["causes"][0]
    assert (cause["reason"], cause["field"]) == ("FieldValueForbidden", "spec")
    assert read_sts(apps, namespace)["spec"]["serviceName"] == "web"


def test_name_in_body_must_match_url(apps, namespace):
    create_sts(apps, namespace)
    obj = read_sts(apps, namespace)
    obj["metadata"]["name"] = "other"
    status, body = api_error(apps.replace_namespaced_stateful_set, "web", namespace, obj)
    assert status == 400
    assert body["reason"] == "BadRequest"


# ---------------------------------------------------------------------------------------------
# label selectors, field selectors, paging
# ---------------------------------------------------------------------------------------------

LABELLED = {"a": {"app": "web", "tier": "fe"}, "b": {"app": "web", "tier": "be"},
            "c": {"app": "db", "tier": "be"}, "d": {"app": "db"}, "e": {"other": "x"}}


@pytest.fixture
def labelled_pods(core, namespace):
    for name, labels in sorted(LABELLED.items()):
        core.create_namespaced_pod(namespace, bare_pod(name, labels=labels))
    return namespace


@pytest.mark.parametrize("selector,expected", [
    ("app=web", "ab"),
    ("app==web", "ab"),
    ("app!=web", "cde"),
    ("app=web,tier=be", "b"),
    ("tier in (fe,be)", "abc"),
    ("tier notin (fe)", "bcde"),
    ("tier", "abc"),
    ("!tier", "de"),
    ("app in (web,db),!tier", "d"),
    ("app=nothing", ""),
])
def test_label_selector(core, labelled_pods, selector, expected):
    listing = list_pods(core, labelled_pods, label_selector=selector)
    assert names(listing) == sorted(expected)


def test_invalid_label_selector_is_400(core, namespace):
    status, body = api_error(core.list_namespaced_pod, namespace, label_selector="app in web")
    assert status == 400
    assert body["reason"] == "BadRequest"


def test_field_selector_name_and_namespace(core, labelled_pods):
    ns = labelled_pods
    assert names(list_pods(core, ns, field_selector="metadata.name=c")) == ["c"]
    assert names(list_pods(core, ns, field_selector="metadata.name!=c")) == list("abde")
    assert names(list_pods(core, ns, field_selector="metadata.name=c,metadata.name!=c")) == []
    everywhere = body_of(core.list_pod_for_all_namespaces(
        field_selector="metadata.namespace=" + ns, _preload_content=False))
    assert names(everywhere) == list("abcde")
    assert {o["metadata"]["namespace"] for o in everywhere["items"]} == {ns}
    both = list_pods(core, ns, field_selector="metadata.name!=a", label_selector="app=web")
    assert names(both) == ["b"]


def test_field_selector_status_phase(core, namespace):
    core.create_namespaced_pod(namespace, unbound_pod("stuck"))
    core.create_namespaced_pod(namespace, bare_pod("runs"))
    wait_for(core.list_namespaced_pod,
             lambda items: (items.get("runs", {}).get("status") or {}).get("phase") == "Running",
             timeout=60, namespace=namespace)
    assert names(list_pods(core, namespace, field_selector="status.phase=Pending")) == ["stuck"]
    assert names(list_pods(core, namespace, field_selector="status.phase=Running")) == ["runs"]
    assert names(list_pods(core, namespace, field_selector="status.phase!=Pending")) == ["runs"]


def test_unsupported_field_selector_is_400(core, apps, namespace):
    status, body = api_error(core.list_namespaced_pod, namespace, field_selector="spec.foo=bar")
    assert status == 400
    assert body["reason"] == "BadRequest"
    assert "field label not supported: spec.foo" in body["message"]
    status, body = api_error(apps.list_namespaced_stateful_set, namespace,
                             field_selector="status.phase=Running")
    assert status == 400
    assert "field label not supported: status.phase" in body["message"]


def test_paging_with_limit_and_continue(core, namespace):
    expected = ["p%d" % i for i in range(7)]
    for name in expected:
        core.create_namespaced_pod(namespace, bare_pod(name))
    seen, pages, token = [], [], None
    while True:
        kwargs = {"limit": 3}
        if token:
            kwargs["_continue"] = token
        page = list_pods(core, namespace, **kwargs)
        pages.append(page)
        seen += [o["metadata"]["name"] for o in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        assert len(pages) < 5
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [4, 1, None]


def test_invalid_continue_token_is_400(core, namespace):
    status, body = api_error(core.list_namespaced_pod, namespace, limit=2,
                             _continue="not a token")
    assert status == 400
    assert body["reason"] == "BadRequest"


# ---------------------------------------------------------------------------------------------
# watch
# ---------------------------------------------------------------------------------------------

def test_watch_from_listed_resource_version(core, namespace):
    core.create_namespaced_service(namespace, labelled_service("before"))
    start = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    start_rv = start["metadata"]["resourceVersion"]
    core.create_namespaced_service(namespace, labelled_service("w1"))
    merge_patch(core.patch_namespaced_service, "w1", namespace, {"metadata": {"labels": {"step": "2"}}})
    core.delete_namespaced_service("w1", namespace)

    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_service, namespace, resource_version=start_rv,
                          timeout_seconds=5):
        seen.append(event)
        if event["type"] == "DELETED":
            w.stop()
    assert [(e["type"], e["raw_object"]["metadata"]["name"]) for e in seen] == \
        [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    assert seen[1]["object"].metadata.labels == {"step": "2"}       # typed objects, too
    versions = [rv(e["raw_object"]) for e in seen]
    assert versions == sorted(versions) and versions[0] > int(start_rv)


def test_watch_without_resource_version_starts_with_the_current_state(core, namespace):
    for name in ("x", "y"):
        core.create_namespaced_service(namespace, labelled_service(name))
    events = stream(core.list_namespaced_service, namespace,
                    until=lambda ev: len(ev) == 2, timeout=5)
    assert sorted(summary(events)) == [("ADDED", "x"), ("ADDED", "y")]


def test_watch_timeout_ends_the_stream(core, namespace):
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    started = time.monotonic()
    events = stream(core.list_namespaced_service, namespace, timeout=1,
                    resource_version=listing["metadata"]["resourceVersion"])
    elapsed = time.monotonic() - started
    assert events == []
    assert 0.8 <= elapsed < 4


def test_watch_bookmark(core, namespace):
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    # kube-apiserver sends one 2 s before the timeout at the latest; the sandbox every second
    events = stream(core.list_namespaced_service, namespace, timeout=5,
                    resource_version=listing["metadata"]["resourceVersion"],
                    allow_watch_bookmarks=True,
                    until=lambda ev: ev[-1]["type"] == "BOOKMARK")
    assert events and events[-1]["type"] == "BOOKMARK", summary(events)
    bookmark = events[-1]["object"]
    assert bookmark["kind"] == "Service" and bookmark["apiVersion"] == "v1"
    assert rv(bookmark) >= int(listing["metadata"]["resourceVersion"])


def test_watch_with_label_selector(core, namespace):
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    for name, tier in (("n1", "web"), ("m1", "db"), ("n2", "web"), ("m2", "db")):
        core.create_namespaced_service(namespace, labelled_service(name, labels={"tier": tier}))
    merge_patch(core.patch_namespaced_service, "n1", namespace, {"metadata": {"labels": {"x": "y"}}})
    merge_patch(core.patch_namespaced_service, "m1", namespace, {"metadata": {"labels": {"x": "y"}}})
    events = stream(core.list_namespaced_service, namespace, label_selector="tier=db",
                    resource_version=listing["metadata"]["resourceVersion"],
                    until=lambda ev: ev[-1]["type"] == "MODIFIED")
    assert summary(events) == [("ADDED", "m1"), ("ADDED", "m2"), ("MODIFIED", "m1")]


def test_watch_with_field_selector(core, namespace):
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    for name in ("s1", "s2", "s3"):
        core.create_namespaced_service(namespace, labelled_service(name))
    for name in ("s1", "s2", "s3"):
        core.delete_namespaced_service(name, namespace)
    events = stream(core.list_namespaced_service, namespace, field_selector="metadata.name=s2",
                    resource_version=listing["metadata"]["resourceVersion"],
                    until=lambda ev: ev[-1]["type"] == "DELETED")
    assert summary(events) == [("ADDED", "s2"), ("DELETED", "s2")]


def test_watch_too_old_resource_version_is_gone(core, namespace, sandbox):
    listing = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    old = listing["metadata"]["resourceVersion"]
    core.create_namespaced_service(namespace, labelled_service("later"))
    sandbox.store.compact()

    events = stream(core.list_namespaced_service, namespace, resource_version=old,
                    until=lambda ev: True)
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["status"], status["code"], status["reason"]) == \
        ("Status", "Failure", 410, "Expired")
    assert "too old resource version" in status["message"]

    # the official client's Watch surfaces it as an ApiException (no retry with a timeout)
    with pytest.raises(ApiException) as info:
        for _ in watch.Watch().stream(core.list_namespaced_service, namespace,
                                      resource_version=old, timeout_seconds=2):
            pass
    assert info.value.status == 410

    # a fresh list gives a resourceVersion to watch from again
    fresh = body_of(core.list_namespaced_service(namespace, _preload_content=False))
    core.delete_namespaced_service("later", namespace)
    events = stream(core.list_namespaced_service, namespace,
                    resource_version=fresh["metadata"]["resourceVersion"],
                    until=lambda ev: True)
    assert summary(events) == [("DELETED", "later")]


# ---------------------------------------------------------------------------------------------
# patch
# ---------------------------------------------------------------------------------------------

def test_merge_patch(apps, namespace):
    create_sts(apps, namespace, sts(pod_labels={"app": "web"}))
    patch_sts(apps, namespace, {"metadata": {"labels": {"a": "1", "b": "2"}}})
    patched = patch_sts(apps, namespace, {"metadata": {"labels": {"a": None, "c": "3"}},
                                          "spec": {"minReadySeconds": 3}})
    assert patched["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert patched["spec"]["minReadySeconds"] == 3
    # a merge patch replaces lists wholesale
    patched = patch_sts(apps, namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "other", "image": "busybox:1.36"}]}}}})
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["other"]


def test_json_patch(apps, namespace):
    manifest = sts()
    manifest["metadata"]["labels"] = {"app": "web"}
    created = create_sts(apps, namespace, manifest)
    patched = patch_sts(apps, namespace, [
        {"op": "test", "path": "/spec/replicas", "value": 0},
        {"op": "add", "path": "/spec/minReadySeconds", "value": 4},
        {"op": "add", "path": "/metadata/labels/extra", "value": "yes"},
        {"op": "add", "path": "/spec/template/spec/containers/-",
         "value": {"name": "sidecar", "image": "busybox:1.36"}},
    ], content_type=JSON_PATCH)
    assert patched["spec"]["minReadySeconds"] == 4
    assert patched["metadata"]["labels"]["extra"] == "yes"
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == \
        ["app", "sidecar"]
    assert patched["metadata"]["generation"] == created["metadata"]["generation"] + 1


def test_json_patch_failing_test_op_is_422(apps, namespace):
    create_sts(apps, namespace)
    before = read_sts(apps, namespace)
    status, body = api_error(patch_sts, apps, namespace, [
        {"op": "test", "path": "/spec/replicas", "value": 5},
        {"op": "replace", "path": "/spec/minReadySeconds", "value": 9},
    ], content_type=JSON_PATCH)
    assert status == 422
    assert (body["kind"], body["reason"]) == ("Status", "Invalid")
    after = read_sts(apps, namespace)
    assert after["spec"].get("minReadySeconds", 0) == before["spec"].get("minReadySeconds", 0)


def _two_containers():
    return [{"name": "app", "image": "nginx:1.27",
             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]}]


def _containers(obj):
    return {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}


def test_strategic_merge_patch_merges_containers_and_env_by_name(apps, namespace):
    create_sts(apps, namespace, sts(containers=_two_containers()))
    patched = patch_sts(apps, namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28",
         "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}]}}}},
        content_type=STRATEGIC)
    containers = _containers(patched)
    assert set(containers) == {"app", "sidecar"}
    assert containers["app"]["image"] == "nginx:1.28"
    assert containers["sidecar"]["image"] == "busybox:1.36"
    env = {e["name"]: e["value"] for e in containers["app"]["env"]}
    assert env == {"A": "1", "B": "3", "C": "4"}


def test_strategic_merge_patch_delete_directive(apps, namespace):
    create_sts(apps, namespace, sts(containers=_two_containers()))
    patched = patch_sts(apps, namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"},
        {"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]}}}},
        content_type=STRATEGIC)
    containers = _containers(patched)
    assert list(containers) == ["app"]
    assert [e["name"] for e in containers["app"]["env"]] == ["B"]


def test_strategic_merge_patch_replace_template_like_rollout_undo(apps, namespace):
    manifest = sts(containers=_two_containers())
    manifest["spec"]["template"]["metadata"]["annotations"] = {"note": "old"}
    create_sts(apps, namespace, manifest)
    # what `kubectl rollout undo` sends: a ControllerRevision's data
    patched = patch_sts(apps, namespace, {"spec": {"template": {
        "$patch": "replace",
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}},
        content_type=STRATEGIC)
    template = patched["spec"]["template"]
    assert "annotations" not in template["metadata"]
    assert template["metadata"]["labels"] == {"app": "web"}
    containers = _containers(patched)
    assert list(containers) == ["app"]
    assert containers["app"]["image"] == "nginx:1.26"
    assert "env" not in containers["app"]
    # defaults are applied to the replaced template again
    assert template["spec"]["restartPolicy"] == "Always"
    assert patched["spec"]["serviceName"] == "web" and patched["spec"]["replicas"] == 0


def test_json_patch_on_a_missing_path_is_422(apps, namespace):
    create_sts(apps, namespace)     # minReadySeconds 0 is omitted, so there is nothing to replace
    status, body = api_error(patch_sts, apps, namespace, [
        {"op": "replace", "path": "/spec/minReadySeconds", "value": 4}], content_type=JSON_PATCH)
    assert status == 422
    assert body["reason"] == "Invalid"


def test_patch_with_unsupported_content_type_is_415(api_client, apps, namespace):
    create_sts(apps, namespace)
    status, body = raw(api_client, "PATCH",
                       "/apis/apps/v1/namespaces/%s/statefulsets/web" % namespace,
                       headers={"Content-Type": "text/plain"}, body="{}")
    assert status == 415
    assert body["reason"] == "UnsupportedMediaType"


# ---------------------------------------------------------------------------------------------
# /scale and /status subresources
# ---------------------------------------------------------------------------------------------

def test_get_scale(apps, namespace):
    created = create_sts(apps, namespace)
    scale = body_of(apps.read_namespaced_stateful_set_scale("web", namespace,
                                                            _preload_content=False))
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["metadata"]["name"] == "web" and scale["metadata"]["namespace"] == namespace
    assert scale["metadata"]["uid"] == created["metadata"]["uid"]
    assert scale["spec"]["replicas"] == 0
    assert scale["status"]["selector"] == "app=web"
    typed = apps.read_namespaced_stateful_set_scale("web", namespace)
    assert typed.spec.replicas == 0 and typed.status.selector == "app=web"


def test_replace_scale_with_stale_resource_version_is_409(apps, namespace):
    create_sts(apps, namespace)
    stale = body_of(apps.read_namespaced_stateful_set_scale("web", namespace,
                                                            _preload_content=False))
    patch_sts(apps, namespace, {"metadata": {"labels": {"touched": "yes"}}})
    stale["spec"]["replicas"] = 2
    status, body = api_error(apps.replace_namespaced_stateful_set_scale, "web", namespace, stale)
    assert status == 409
    assert body["reason"] == "Conflict" and body["message"] == CONFLICT_MESSAGE
    assert read_sts(apps, namespace)["spec"]["replicas"] == 0

    fresh = body_of(apps.read_namespaced_stateful_set_scale("web", namespace,
                                                            _preload_content=False))
    fresh["spec"]["replicas"] = 1
    scaled = body_of(apps.replace_namespaced_stateful_set_scale("web", namespace, fresh,
                                                                _preload_content=False))
    assert scaled["kind"] == "Scale" and scaled["spec"]["replicas"] == 1
    assert read_sts(apps, namespace)["spec"]["replicas"] == 1


def test_patch_scale(apps, namespace):
    created = create_sts(apps, namespace)
    scale = merge_patch(apps.patch_namespaced_stateful_set_scale, "web", namespace,
                        {"spec": {"replicas": 2}})
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    obj = read_sts(apps, namespace)
    assert obj["spec"]["replicas"] == 2
    assert obj["metadata"]["generation"] == created["metadata"]["generation"] + 1
    status, body = api_error(merge_patch, apps.patch_namespaced_stateful_set_scale, "web",
                             namespace, {"spec": {"replicas": -1}})
    assert status == 422 and body["reason"] == "Invalid"
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in \
        body["message"]


def test_status_is_ignored_by_the_main_resource(apps, namespace):
    manifest = sts()
    manifest["status"] = {"replicas": 7, "availableReplicas": 7, "collisionCount": 3}
    created = create_sts(apps, namespace, manifest)
    assert (created.get("status") or {}).get("replicas", 0) == 0
    assert (created.get("status") or {}).get("collisionCount", 0) == 0

    patched = patch_sts(apps, namespace, {"metadata": {"labels": {"via": "patch"}},
                                          "status": {"replicas": 5}})
    assert patched["metadata"]["labels"]["via"] == "patch"
    assert (patched.get("status") or {}).get("replicas", 0) == 0

    obj = wait_observed(apps, namespace)
    obj["metadata"]["labels"]["via"] = "put"
    obj["status"]["replicas"] = 5
    replaced = body_of(apps.replace_namespaced_stateful_set("web", namespace, obj,
                                                            _preload_content=False))
    assert replaced["metadata"]["labels"]["via"] == "put"
    assert replaced["status"].get("replicas", 0) == 0


def test_status_subresource_ignores_spec(apps, namespace):
    create_sts(apps, namespace)
    obj = wait_observed(apps, namespace)
    obj["spec"]["replicas"] = 9
    obj["metadata"]["labels"] = {"via": "status"}
    obj["status"]["collisionCount"] = 1
    written = body_of(apps.replace_namespaced_stateful_set_status("web", namespace, obj,
                                                                  _preload_content=False))
    assert written["status"]["collisionCount"] == 1
    assert written["spec"]["replicas"] == 0
    # the status strategy of StatefulSets resets the spec only: metadata changes are kept
    assert written["metadata"]["labels"] == {"via": "status"}
    assert written["metadata"]["generation"] == obj["metadata"]["generation"]

    patched = merge_patch(apps.patch_namespaced_stateful_set_status, "web", namespace,
                          {"spec": {"replicas": 4}, "status": {"collisionCount": 2}})
    assert patched["status"]["collisionCount"] == 2
    assert patched["spec"]["replicas"] == 0
    assert read_sts(apps, namespace)["spec"]["replicas"] == 0


def test_status_subresource_conflict(apps, namespace):
    create_sts(apps, namespace)
    stale = read_sts(apps, namespace)
    patch_sts(apps, namespace, {"metadata": {"labels": {"touched": "yes"}}})
    status, body = api_error(apps.replace_namespaced_stateful_set_status, "web", namespace,
                             stale)
    assert status == 409 and body["message"] == CONFLICT_MESSAGE


# ---------------------------------------------------------------------------------------------
# deletion and garbage collection
# ---------------------------------------------------------------------------------------------

def _running_set(apps, core, namespace, replicas=2):
    """A Parallel StatefulSet with its pods and ControllerRevision created; returns the set."""
    created = create_sts(apps, namespace, sts(replicas=replicas, pod_management="Parallel"))
    wanted = {"web-%d" % i for i in range(replicas)}
    wait_for(core.list_namespaced_pod, lambda items: wanted <= set(items), timeout=30,
             namespace=namespace, label_selector="app=web")
    wait_for(apps.list_namespaced_controller_revision, lambda items: len(items) >= 1,
             timeout=10, namespace=namespace)
    return created


def _owned_by(obj, owner):
    return any(r["uid"] == owner["metadata"]["uid"]
               for r in obj["metadata"].get("ownerReferences") or [])


def test_delete_background_collects_pods_and_revisions(apps, core, namespace):
    owner = _running_set(apps, core, namespace)
    pods = list_pods(core, namespace)["items"]
    assert pods and all(_owned_by(p, owner) for p in pods)
    revisions = body_of(apps.list_namespaced_controller_revision(namespace,
                                                                 _preload_content=False))
    assert all(_owned_by(r, owner) for r in revisions["items"])

    result = body_of(apps.delete_namespaced_stateful_set(
        "web", namespace, propagation_policy="Background", _preload_content=False))
    assert result["kind"] == "Status" and result["status"] == "Success"
    assert result["details"]["uid"] == owner["metadata"]["uid"]
    status, _ = api_error(apps.read_namespaced_stateful_set, "web", namespace)
    assert status == 404
    wait_for(core.list_namespaced_pod, lambda items: not items, timeout=30,
             namespace=namespace)
    wait_for(apps.list_namespaced_controller_revision, lambda items: not items, timeout=10,
             namespace=namespace)


def test_delete_orphan_keeps_pods_without_owner(apps, core, namespace):
    owner = _running_set(apps, core, namespace)
    result = body_of(apps.delete_namespaced_stateful_set(
        "web", namespace, propagation_policy="Orphan", _preload_content=False))
    assert "orphan" in result["metadata"].get("finalizers", [])
    assert result["metadata"].get("deletionTimestamp")
    wait_for(apps.list_namespaced_stateful_set, lambda items: not items, timeout=10,
             namespace=namespace)
    pods = wait_for(core.list_namespaced_pod,
                    lambda items: not any(_owned_by(p, owner) for p in items.values()),
                    timeout=10, namespace=namespace)
    assert {"web-0", "web-1"} <= set(pods)
    assert all(not p["metadata"].get("deletionTimestamp") for p in pods.values())
    revisions = body_of(apps.list_namespaced_controller_revision(namespace,
                                                                 _preload_content=False))
    assert revisions["items"] and not any(_owned_by(r, owner) for r in revisions["items"])


def test_delete_foreground_waits_for_dependents(apps, core, namespace):
    owner = create_sts(apps, namespace)
    # a Service without a selector: no EndpointSlice, so it has no dependents of its own
    # (with one, the garbage collector deletes it in the foreground too)
    selectorless = labelled_service("dep", finalizers=[HOLD], owners=[owner_ref(owner)])
    selectorless["spec"].pop("selector", None)
    dep = body_of(core.create_namespaced_service(namespace, selectorless,
                                                 _preload_content=False))

    result = body_of(apps.delete_namespaced_stateful_set(
        "web", namespace, propagation_policy="Foreground", _preload_content=False))
    assert result["kind"] == "StatefulSet"
    assert result["metadata"].get("deletionTimestamp")
    assert "foregroundDeletion" in result["metadata"]["finalizers"]

    events = stream(core.list_namespaced_service, namespace, timeout=10,
                    resource_version=dep["metadata"]["resourceVersion"],
                    until=lambda ev: ev[-1]["object"]["metadata"].get("deletionTimestamp"))
    assert events and events[-1]["object"]["metadata"].get("deletionTimestamp"), summary(events)
    # the garbage collector deletes a dependent that has no dependents of its own in the
    # background: it never carries the foregroundDeletion finalizer
    assert [e["object"]["metadata"].get("finalizers") for e in events] == [[HOLD]] * len(events)
    held = read_sts(apps, namespace)
    assert held["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in held["metadata"]["finalizers"]

    merge_patch(core.patch_namespaced_service, "dep", namespace, {"metadata": {"finalizers": None}})
    wait_for(core.list_namespaced_service, lambda items: "dep" not in items, timeout=10,
             namespace=namespace)
    wait_for(apps.list_namespaced_stateful_set, lambda items: not items, timeout=10,
             namespace=namespace)


def test_custom_finalizer_holds_the_object(core, namespace):
    core.create_namespaced_service(namespace, labelled_service("held", finalizers=[HOLD]))
    result = body_of(core.delete_namespaced_service("held", namespace, _preload_content=False))
    assert result["metadata"]["deletionTimestamp"]
    assert result["metadata"]["finalizers"] == [HOLD]

    obj = body_of(core.read_namespaced_service("held", namespace, _preload_content=False))
    assert obj["metadata"]["deletionTimestamp"] == result["metadata"]["deletionTimestamp"]
    obj["metadata"]["labels"] = {"still": "here"}
    obj = body_of(core.replace_namespaced_service("held", namespace, obj,
                                                  _preload_content=False))
    assert obj["metadata"]["labels"] == {"still": "here"}
    assert obj["metadata"]["deletionTimestamp"]
    # a second delete changes nothing
    again = body_of(core.delete_namespaced_service("held", namespace, _preload_content=False))
    assert again["metadata"]["deletionTimestamp"] == result["metadata"]["deletionTimestamp"]

    obj["metadata"]["finalizers"] = []
    core.replace_namespaced_service("held", namespace, obj)
    status, _ = api_error(core.read_namespaced_service, "held", namespace)
    assert status == 404


def test_delete_pod_is_graceful(core, namespace):
    core.create_namespaced_pod(namespace, bare_pod("victim", grace=1))
    wait_for(core.list_namespaced_pod,
             lambda items: (items.get("victim", {}).get("spec") or {}).get("nodeName"),
             timeout=30, namespace=namespace)
    result = body_of(core.delete_namespaced_pod("victim", namespace, _preload_content=False))
    assert result["kind"] == "Pod"
    assert result["metadata"]["deletionTimestamp"]
    assert result["metadata"]["deletionGracePeriodSeconds"] == 1
    wait_for(core.list_namespaced_pod, lambda items: "victim" not in items, timeout=30,
             namespace=namespace)


def test_delete_unscheduled_pod_is_immediate(core, namespace):
    # a pod that is never bound (its claim does not exist) has nothing to stop
    core.create_namespaced_pod(namespace, unbound_pod("idle"))
    core.delete_namespaced_pod("idle", namespace)
    status, _ = api_error(core.read_namespaced_pod, "idle", namespace)
    assert status == 404


def test_delete_preconditions(core, namespace):
    created = body_of(core.create_namespaced_service(namespace, labelled_service("guarded"),
                                                     _preload_content=False))
    uid = created["metadata"]["uid"]
    wrong = str(uuid.uuid4())
    status, body = api_error(core.delete_namespaced_service, "guarded", namespace,
                             body=client.V1DeleteOptions(
                                 preconditions=client.V1Preconditions(uid=wrong)))
    assert status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on services "guarded": '
                               'Precondition failed: UID in precondition: %s, UID in object '
                               'meta: %s' % (wrong, uid))

    status, body = api_error(core.delete_namespaced_service, "guarded", namespace,
                             body=client.V1DeleteOptions(preconditions=client.V1Preconditions(
                                 resource_version=str(rv(created) - 1))))
    assert status == 409
    assert "Precondition failed: ResourceVersion in precondition" in body["message"]

    core.delete_namespaced_service("guarded", namespace, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=uid, resource_version=str(rv(created)))))
    status, _ = api_error(core.read_namespaced_service, "guarded", namespace)
    assert status == 404


def test_dry_run_delete_keeps_the_object(core, namespace):
    core.create_namespaced_service(namespace, labelled_service("kept"))
    core.delete_namespaced_service("kept", namespace, dry_run="All")
    obj = body_of(core.read_namespaced_service("kept", namespace, _preload_content=False))
    assert not obj["metadata"].get("deletionTimestamp")


# ---------------------------------------------------------------------------------------------
# server-side tables
# ---------------------------------------------------------------------------------------------

def _columns(table):
    return [c["name"] for c in table["columnDefinitions"]]


def test_statefulset_table(api_client, apps, namespace):
    create_sts(apps, namespace)
    create_sts(apps, namespace, sts("db"))
    path = "/apis/apps/v1/namespaces/%s/statefulsets" % namespace
    _, table = raw(api_client, "GET", path, headers={"Accept": TABLE})
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert _columns(table) == ["Name", "Ready", "Age", "Containers", "Images"]
    assert [r["cells"][0] for r in table["rows"]] == ["db", "web"]
    assert table["rows"][1]["cells"][1] == "0/0"
    assert table["rows"][1]["cells"][4] == "nginx:1.27"
    row_object = table["rows"][0]["object"]
    assert row_object["kind"] == "PartialObjectMetadata"
    assert row_object["metadata"]["name"] == "db"
    assert table["metadata"]["resourceVersion"]

    _, single = raw(api_client, "GET", path + "/web", headers={"Accept": TABLE})
    assert single["kind"] == "Table" and len(single["rows"]) == 1


def test_pod_table(api_client, core, namespace):
    core.create_namespaced_pod(namespace, bare_pod("tabled"))
    _, table = raw(api_client, "GET", "/api/v1/namespaces/%s/pods" % namespace,
                   headers={"Accept": TABLE})
    assert table["kind"] == "Table"
    assert _columns(table) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node",
                               "Nominated Node", "Readiness Gates"]
    assert [c["priority"] for c in table["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert [r["cells"][0] for r in table["rows"]] == ["tabled"]
    assert len(table["rows"][0]["cells"]) == 9


# ---------------------------------------------------------------------------------------------
# namespace deletion
# ---------------------------------------------------------------------------------------------

def test_namespace_deletion_removes_content_then_namespace(apps, core, namespace):
    create_sts(apps, namespace, sts(replicas=1))
    core.create_namespaced_service(namespace, labelled_service("plain"))
    core.create_namespaced_service(namespace, labelled_service("held", finalizers=[HOLD]))
    core.create_namespaced_persistent_volume_claim(namespace, CRUD["PersistentVolumeClaim"][4](
        namespace))

    result = body_of(core.delete_namespace(namespace, _preload_content=False))
    assert result["metadata"]["deletionTimestamp"]
    assert result["status"]["phase"] == "Terminating"

    wait_for(core.list_namespaced_service,
             lambda items: set(items) == {"held"} and
             items["held"]["metadata"].get("deletionTimestamp"), timeout=30,
             namespace=namespace)
    wait_for(apps.list_namespaced_stateful_set, lambda items: not items, timeout=30,
             namespace=namespace)
    wait_for(core.list_namespaced_pod, lambda items: not items, timeout=30, namespace=namespace)
    wait_for(core.list_namespaced_persistent_volume_claim, lambda items: not items, timeout=30,
             namespace=namespace)

    ns = body_of(core.read_namespace(namespace, _preload_content=False))
    assert ns["status"]["phase"] == "Terminating"
    status, body = api_error(core.create_namespaced_service, namespace, labelled_service("late"))
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert body["message"] == ('services "late" is forbidden: unable to create new content in '
                               'namespace %s because it is being terminated' % namespace)

    merge_patch(core.patch_namespaced_service, "held", namespace, {"metadata": {"finalizers": None}})
    wait_for(core.list_namespace, lambda items: namespace not in items, timeout=30,
             field_selector="metadata.name=" + namespace)
    status, _ = api_error(core.read_namespace, namespace)
    assert status == 404
