"""`kubectl sts scale` and `kubectl sts pvc` end to end, against a cluster (the sandbox by
default, a real cluster with KUBECTL_STS_TEST_KUBECONFIG). Only the concurrent-change test
needs the sandbox itself (its fault hook).

The rule every scenario checks: no claim is lost that the plan did not say it would delete.
`assert_nothing_lost` compares the claims that existed before the command with those that
exist after it: each one the plan did not mark "delete" (or that prune did not name) must
still exist with the same uid and without a deletionTimestamp."""

import json
from typing import Any, List, cast

from builders import claim, pdb, pod, service, statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import main

FAILING_PULL = ("ErrImagePull", "ImagePullBackOff")


# -- helpers -----------------------------------------------------------------------------------

def run(capsys, kubeconfig, namespace, *args):
    """`kubectl-sts ARGS` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def split_json(out, err):
    """With -o json, stdout is exactly the plan document; progress and the PVC report go to
    stderr. Returns (plan, stderr)."""
    return json.loads(out), err


def create_settled(apps, core, namespace, **kwargs):
    sts = statefulset(**kwargs)
    core.create_namespaced_service(namespace, service(sts["metadata"]["name"]))
    apps.create_namespaced_stateful_set(namespace, sts)
    return settle(apps, namespace, sts["metadata"]["name"], sts["spec"]["replicas"])


def settle(apps, namespace, name, replicas, timeout=60):
    return wait_for(apps.list_namespaced_stateful_set, sts_settled(name, replicas),
                    timeout=timeout, namespace=namespace)[name]


def raw_sts(apps, namespace, name="web"):
    return json.loads(apps.read_namespaced_stateful_set(name, namespace,
                                                        _preload_content=False).data)


def claims_now(core, namespace):
    """{name: claim dict} of every PVC in the namespace."""
    body = json.loads(core.list_namespaced_persistent_volume_claim(
        namespace, _preload_content=False).data)
    return {c["metadata"]["name"]: c for c in body["items"]}


def pods_now(core, namespace):
    body = json.loads(core.list_namespaced_pod(namespace, _preload_content=False).data)
    return {p["metadata"]["name"]: p for p in body["items"]}


def reclaim_policies(core, claims):
    """{claim name: its bound PV's reclaimPolicy} (as the cluster says, not hard-coded)."""
    out = {}
    for name, c in claims.items():
        volume = (c.get("spec") or {}).get("volumeName")
        if volume:
            out[name] = core.read_persistent_volume(volume).spec.persistent_volume_reclaim_policy
    return out


def assert_nothing_lost(before, after, deleted=()):
    """Every claim of `before` not in `deleted` is still in `after`, same uid, not deleting."""
    for name, c in before.items():
        if name in deleted:
            continue
        assert name in after, "%s was deleted though nothing said it would be" % name
        assert after[name]["metadata"]["uid"] == c["metadata"]["uid"], \
            "%s was deleted and re-created" % name
        assert not after[name]["metadata"].get("deletionTimestamp"), "%s is being deleted" % name


def assert_plan_kept(plan, after):
    """Every claim the plan keeps (or reattaches) exists with the uid the plan saw."""
    for c in plan["claims"]:
        if c["action"] in ("keep", "reattach"):
            assert c["name"] in after, "%s: the plan kept it, but it is gone" % c["name"]
            assert after[c["name"]]["metadata"]["uid"] == c["uid"], c["name"]
            assert not after[c["name"]]["metadata"].get("deletionTimestamp"), c["name"]


def deletion_order(list_fn, namespace, since, names, timeout=30):
    """{name: resourceVersion of its DELETED event} for `names`, replayed from `since`.
    (resourceVersions are compared as integers: one global sequence in the sandbox and in
    etcd alike, though the API calls them opaque.)"""
    from kubernetes import watch
    found = {}
    w = watch.Watch()
    for event in w.stream(list_fn, namespace, resource_version=since, timeout_seconds=timeout,
                          _preload_content=False):
        obj = event["raw_object"]
        if event["type"] == "DELETED" and obj["metadata"]["name"] in names:
            found[obj["metadata"]["name"]] = int(obj["metadata"]["resourceVersion"])
            if set(found) == set(names):
                w.stop()
                break
    assert set(found) == set(names), "DELETED events seen only for %s" % sorted(found)
    return found


def list_rv(list_fn, namespace):
    return json.loads(list_fn(namespace, _preload_content=False).data)["metadata"][
        "resourceVersion"]


def ordinals_of(pods, name="web"):
    from kubectl_sts.k8s.statefulset import pod_ordinal
    return sorted(o for o in (pod_ordinal(name, p) for p in pods) if o is not None)


# -- scale-down ---------------------------------------------------------------------------------

def test_scale_down_retain_keeps_claims_and_reports_them(capsys, kubeconfig, apps, core,
                                                         namespace):
    create_settled(apps, core, namespace, replicas=5)
    before = claims_now(core, namespace)
    assert sorted(before) == ["data-web-%d" % i for i in range(5)]
    policies = reclaim_policies(core, before)
    pod_rv = list_rv(core.list_namespaced_pod, namespace)

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes", "-o", "json")
    assert code == 0, err
    plan, rest = split_json(out, err)
    assert (plan["from"], plan["to"], plan["direction"]) == (5, 2, "down")
    assert [p["pod"] for p in plan["podsLeaving"]] == ["web-4", "web-3", "web-2"]
    assert plan["retention"]["whenScaled"] == "Retain"
    assert [c["name"] for c in plan["claims"]] == ["data-web-4", "data-web-3", "data-web-2"]
    for c in plan["claims"]:
        assert c["action"] == "keep" and not c["dataLoss"]
        assert c["uid"] == before[c["name"]]["metadata"]["uid"]
        assert c["reclaimPolicy"] == policies[c["name"]]
    assert plan["refused"] == []

    assert "statefulset.apps/web scaled to 2" in rest
    for i in (2, 3, 4):
        assert "data-web-%d: retained" % i in rest
        # the plugin's safe command (orphans only, none mounted, after a confirmation)
        assert "data-web-%d: retained (1Gi); remove it with: kubectl sts pvc web --prune " \
            "--ordinal %d -n %s" % (i, i, namespace) in rest
    assert "kubectl delete pvc" not in rest
    assert "GONE" not in rest

    # the command returned only once the pods had gone, highest ordinal first
    assert ordinals_of(pods_now(core, namespace)) == [0, 1]
    gone = deletion_order(core.list_namespaced_pod, namespace, pod_rv,
                          {"web-2", "web-3", "web-4"})
    assert gone["web-4"] < gone["web-3"] < gone["web-2"]
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(before, after)
    assert raw_sts(apps, namespace)["spec"]["replicas"] == 2


def test_scale_down_when_scaled_delete_deletes_claims_after_their_pods(
        capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=5,
                   retention={"whenScaled": "Delete", "whenDeleted": "Retain"})
    before = claims_now(core, namespace)
    policies = reclaim_policies(core, before)
    pod_rv = list_rv(core.list_namespaced_pod, namespace)
    claim_rv = list_rv(core.list_namespaced_persistent_volume_claim, namespace)

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes", "-o", "json")
    assert code == 0, err
    plan, rest = split_json(out, err)
    assert plan["retention"]["whenScaled"] == "Delete"
    assert [p["pod"] for p in plan["podsLeaving"]] == ["web-4", "web-3", "web-2"]
    doomed = {"data-web-2", "data-web-3", "data-web-4"}
    assert {c["name"] for c in plan["claims"]} == doomed
    for c in plan["claims"]:
        assert c["action"] == "delete"
        assert c["reclaimPolicy"] == policies[c["name"]]
        assert c["dataLoss"] == (policies[c["name"]] != "Retain")
    for name in sorted(doomed):
        assert "%s: deleted" % name in rest

    after = claims_now(core, namespace)
    assert not doomed & set(after)
    assert_nothing_lost(before, after, deleted=doomed)
    assert_plan_kept(plan, after)
    # each claim went only after its pod had gone
    pods_gone = deletion_order(core.list_namespaced_pod, namespace, pod_rv,
                               {"web-2", "web-3", "web-4"})
    claims_gone = deletion_order(core.list_namespaced_persistent_volume_claim, namespace,
                                 claim_rv, doomed)
    for i in (2, 3, 4):
        assert pods_gone["web-%d" % i] < claims_gone["data-web-%d" % i]


def test_scale_down_two_templates_start_ordinal(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3, start=5, claims=("data", "logs"))
    before = claims_now(core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                         "--yes", "-o", "json")
    assert code == 0, err
    plan, rest = split_json(out, err)
    assert plan["ordinalsStart"] == 5
    assert [p["pod"] for p in plan["podsLeaving"]] == ["web-7", "web-6"]
    assert [c["name"] for c in plan["claims"]] == ["data-web-7", "logs-web-7",
                                                   "data-web-6", "logs-web-6"]
    assert ordinals_of(pods_now(core, namespace)) == [5]
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(before, after)


def test_blocked_by_a_failing_remaining_pod(capsys, kubeconfig, apps, core, namespace):
    """OnDelete + OrderedReady: web-1 alone is recreated from a template whose image cannot be
    pulled. Scaling 3 -> 2 condemns web-2, but the controller removes no pod while web-1 (in
    the remaining range) is unhealthy: the command says so, naming web-1, and exits 9."""
    create_settled(apps, core, namespace, replicas=3, strategy="OnDelete")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "registry.invalid/x:1"}]}}}})
    core.delete_namespaced_pod("web-1", namespace)

    def web1_failing(items):
        pod = items.get("web-1")
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return False
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") in FAILING_PULL:
                return True
        return False
    wait_for(core.list_namespaced_pod, web1_failing, timeout=60, namespace=namespace)
    before = claims_now(core, namespace)
    web2_uid = pods_now(core, namespace)["web-2"]["metadata"]["uid"]

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes", "--timeout", "30s", "-o", "json")
    assert code == 9, (out, err, {n: ((p.get("status") or {}).get("containerStatuses"),
                                      p["metadata"].get("deletionTimestamp"))
                                  for n, p in pods_now(core, namespace).items()})
    plan, rest = split_json(out, err)
    unready = [r for r in plan["risks"] if r["kind"] == "unready"]
    assert unready and unready[0]["pods"] == ["web-1"] and not unready[0]["refuses"]
    assert "blocked" in err
    assert "web-1" in err and "web-2" in err
    assert any(reason in err for reason in FAILING_PULL)
    assert "data-web-2: retained" in rest
    # nothing was removed: the condemned pod is still there, every claim too
    pods = pods_now(core, namespace)
    assert pods["web-2"]["metadata"]["uid"] == web2_uid
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(before, after)


# -- safety checks -----------------------------------------------------------------------------

def create_pdb(api_client, namespace, **budget):
    from kubernetes import client
    client.PolicyV1Api(api_client).create_namespaced_pod_disruption_budget(
        namespace, cast(Any, pdb("web-pdb", **budget)))     # the client takes a dict body


def test_pdb_that_forbids_the_change_refuses_unless_forced(capsys, kubeconfig, apps, core,
                                                           api_client, namespace):
    create_settled(apps, core, namespace, replicas=3)
    create_pdb(api_client, namespace, minAvailable=3)
    sts = raw_sts(apps, namespace)
    before = claims_now(core, namespace)

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes")
    assert code == 11, (out, err)
    assert "REFUSED: PodDisruptionBudget web-pdb requires minAvailable 3" in out
    assert "refused" in err and "--force" in err
    after_sts = raw_sts(apps, namespace)
    assert after_sts["metadata"]["resourceVersion"] == sts["metadata"]["resourceVersion"]
    assert after_sts["spec"]["replicas"] == 3
    assert ordinals_of(pods_now(core, namespace)) == [0, 1, 2]

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes", "--force", "-o", "json")
    assert code == 0, err
    plan, _ = split_json(out, err)
    assert [r["kind"] for r in plan["refused"]] == ["pdb"]
    assert raw_sts(apps, namespace)["spec"]["replicas"] == 2
    assert ordinals_of(pods_now(core, namespace)) == [0, 1]
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(before, after)


def test_pdb_that_can_still_be_met_only_warns(capsys, kubeconfig, apps, core, api_client,
                                              namespace):
    create_settled(apps, core, namespace, replicas=3)
    create_pdb(api_client, namespace, minAvailable=2)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes")
    assert code == 0, err
    assert "PodDisruptionBudget web-pdb selects these pods (minAvailable 2" in out
    assert "REFUSED" not in out
    assert raw_sts(apps, namespace)["spec"]["replicas"] == 2


def test_min_replicas_refuses_unless_forced(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3)
    rv = raw_sts(apps, namespace)["metadata"]["resourceVersion"]
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                         "--min-replicas", "2", "--yes")
    assert code == 11, (out, err)
    assert "below --min-replicas 2" in err
    assert raw_sts(apps, namespace)["metadata"]["resourceVersion"] == rv
    # at the minimum is fine
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--min-replicas", "2", "--yes")
    assert code == 0, err
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                         "--min-replicas", "2", "--yes", "--force")
    assert code == 0, err
    assert raw_sts(apps, namespace)["spec"]["replicas"] == 1
    assert ordinals_of(pods_now(core, namespace)) == [0]


def test_rollout_in_progress_is_reported(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3, partition=2)
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"metadata": {
        "annotations": {"kubectl-sts.test/rev": "2"}}}}})

    def rolled(items):
        st = items["web"].get("status") or {}
        return st.get("updatedReplicas") == 1 and st.get("readyReplicas") == 3 and \
            st.get("currentRevision") != st.get("updateRevision")
    wait_for(apps.list_namespaced_stateful_set, rolled, namespace=namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--dry-run", "-o", "json")
    assert code == 0, err
    plan, _ = split_json(out, err)
    (risk,) = [r for r in plan["risks"] if r["kind"] == "rollout"]
    assert "partition 2" in risk["message"] and not risk["refuses"]


# -- dry runs and confirmation -----------------------------------------------------------------

def test_dry_run_client_sends_no_write(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3)
    sts = raw_sts(apps, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                         "--dry-run")
    assert code == 0, err
    assert "Pods removed, in this order: web-2, web-1" in out
    assert "dry-run (client): would PUT" in out
    assert "resourceVersion %s" % sts["metadata"]["resourceVersion"] in out
    after = raw_sts(apps, namespace)
    assert after["metadata"]["resourceVersion"] == sts["metadata"]["resourceVersion"]
    assert after["spec"]["replicas"] == 3


def test_dry_run_server_changes_nothing(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3,
                   retention={"whenScaled": "Delete", "whenDeleted": "Retain"})
    sts = raw_sts(apps, namespace)
    before = claims_now(core, namespace)
    pods = pods_now(core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                         "--dry-run=server")
    assert code == 0, err
    assert "dry-run (server): the API server accepted replicas=1; nothing changed" in out
    after = raw_sts(apps, namespace)
    assert after["metadata"]["resourceVersion"] == sts["metadata"]["resourceVersion"]
    assert after["spec"]["replicas"] == 3
    assert {n: p["metadata"]["uid"] for n, p in pods_now(core, namespace).items()} == \
        {n: p["metadata"]["uid"] for n, p in pods.items()}
    assert_nothing_lost(before, claims_now(core, namespace))


def test_refuses_to_prompt_without_a_terminal(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3)
    rv = raw_sts(apps, namespace)["metadata"]["resourceVersion"]
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2")
    assert code == 2, (out, err)
    assert "stdin is not a terminal" in err and "--yes" in err
    assert "Pods removed, in this order: web-2" in out      # the plan is still shown
    after = raw_sts(apps, namespace)
    assert after["metadata"]["resourceVersion"] == rv and after["spec"]["replicas"] == 3


def test_no_change_and_missing_set(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2)
    rv = raw_sts(apps, namespace)["metadata"]["resourceVersion"]
    code, out, _ = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2")
    assert code == 0 and "Nothing to do" in out
    assert raw_sts(apps, namespace)["metadata"]["resourceVersion"] == rv
    code, _, err = run(capsys, kubeconfig, namespace, "scale", "nope", "--replicas", "1",
                       "--yes")
    assert code == 3 and "not found" in err


# -- scale-up ------------------------------------------------------------------------------------

def test_scale_up_reuses_retained_claims(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=4)
    code, _, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                       "--yes")
    assert code == 0, err
    retained = claims_now(core, namespace)
    assert sorted(retained) == ["data-web-%d" % i for i in range(4)]

    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "5",
                         "--yes", "-o", "json")
    assert code == 0, err
    plan, rest = split_json(out, err)
    assert plan["direction"] == "up"
    assert [p["pod"] for p in plan["podsComing"]] == ["web-2", "web-3", "web-4"]
    actions = {c["name"]: c for c in plan["claims"]}
    assert actions["data-web-2"]["action"] == "reattach"
    assert actions["data-web-3"]["action"] == "reattach"
    assert actions["data-web-4"]["action"] == "create"
    for name in ("data-web-2", "data-web-3"):
        assert actions[name]["uid"] == retained[name]["metadata"]["uid"]
        assert actions[name]["age"] and actions[name]["age"] != "<unknown>"
        assert "%s: reattached (the claim created %s ago, with the data it holds)" % (
            name, actions[name]["age"]) in rest
    pods = pods_now(core, namespace)
    assert ordinals_of(pods) == [0, 1, 2, 3, 4]
    for i in (2, 3):
        vols = [v["persistentVolumeClaim"]["claimName"] for v in pods["web-%d" % i]["spec"][
            "volumes"] if v.get("persistentVolumeClaim")]
        assert vols == ["data-web-%d" % i]
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(retained, after)
    assert "data-web-4" in after

    # the human-readable plan shows the claims' age too
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "2",
                         "--yes")
    assert code == 0, err
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "3",
                         "--dry-run")
    assert code == 0, err
    assert "REATTACH" in out and "reused with the data it holds (claim created " in out
    assert "existing data from" not in out


# -- a concurrent change between plan and write (sandbox only) -------------------------------------

def test_concurrent_replicas_change_aborts_and_loses_nothing(capsys, kubeconfig, apps, core,
                                                             namespace, sandbox):
    from kubectl_sts_sandbox.resources import BY_KIND
    create_settled(apps, core, namespace, replicas=4)
    before = claims_now(core, namespace)
    pods_before = {n: p["metadata"]["uid"] for n, p in pods_now(core, namespace).items()}
    scale_path = "/apis/apps/v1/namespaces/%s/statefulsets/web/scale" % namespace
    bumped: List[str] = []

    def hook(handler):
        if handler.command == "PUT" and handler.url.path == scale_path and not bumped:
            rt = BY_KIND["StatefulSet"]
            obj = sandbox.store.get(rt, namespace, "web")
            obj["metadata"].setdefault("annotations", {})["kubectl-sts.test/bump"] = "1"
            sandbox.store.update(rt, obj)
            bumped.append(handler.url.path)
        return False

    sandbox.server.fault_hook = hook
    try:
        code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "1",
                             "--yes", "-o", "json")
    finally:
        sandbox.server.fault_hook = None
    assert bumped, "the write never reached the server"
    assert code == 6, (out, err)
    assert "changed after the plan was made" in err
    plan, rest = split_json(out, err)
    assert "scaled" not in rest
    sts = raw_sts(apps, namespace)
    assert sts["spec"]["replicas"] == 4
    assert sts["metadata"]["annotations"]["kubectl-sts.test/bump"] == "1"
    assert plan["resourceVersion"] != sts["metadata"]["resourceVersion"]
    assert {n: p["metadata"]["uid"] for n, p in pods_now(core, namespace).items()} == \
        pods_before
    after = claims_now(core, namespace)
    assert_plan_kept(plan, after)
    assert_nothing_lost(before, after)


# -- pvc -------------------------------------------------------------------------------------------

def orphaned_world(apps, core, namespace):
    """web scaled 4 -> 2 (data-web-2 and -3 orphaned), an unbound orphan data-web-6, and a
    pod that is not the set's mounting data-web-3. Returns the claims."""
    create_settled(apps, core, namespace, replicas=4)
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"replicas": 2}})
    wait_for(core.list_namespaced_pod, lambda items: sorted(items) == ["web-0", "web-1"],
             namespace=namespace)
    core.create_namespaced_persistent_volume_claim(namespace, claim(
        "data-web-6", storage_class="kubectl-sts-test-none"))
    core.create_namespaced_pod(namespace, pod(
        "inspect", labels={"role": "debug"}, container="sh", image="nginx:1.27", grace=1,
        volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data-web-3"}}]))
    claims = claims_now(core, namespace)
    assert sorted(claims) == ["data-web-0", "data-web-1", "data-web-2", "data-web-3",
                              "data-web-6"]
    return claims


def pvc_rows(text):
    import re
    lines = text.strip().splitlines()
    headers = re.split(r"\s{3,}", lines[0].strip())
    return {cells[0]: dict(zip(headers, cells)) for cells in
            (re.split(r"\s{3,}", line.strip()) for line in lines[1:])}


def test_pvc_lists_places_and_mounts(capsys, kubeconfig, apps, core, namespace):
    orphaned_world(apps, core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web")
    assert code == 0, err
    rows = pvc_rows(out)
    assert sorted(rows) == ["data-web-0", "data-web-1", "data-web-2", "data-web-3",
                            "data-web-6"]
    assert rows["data-web-0"]["PLACE"] == "in range"
    assert rows["data-web-0"]["MOUNTED BY"] == "web-0"
    assert rows["data-web-1"]["MOUNTED BY"] == "web-1"
    assert rows["data-web-2"]["PLACE"] == "ORPHANED"
    assert rows["data-web-2"]["MOUNTED BY"] == "-"
    assert rows["data-web-3"]["PLACE"] == "ORPHANED"
    assert rows["data-web-3"]["MOUNTED BY"] == "inspect"
    assert rows["data-web-6"]["PLACE"] == "ORPHANED, unbound"

    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "-o", "json")
    assert code == 0, err
    items = {e["name"]: e for e in json.loads(out)["items"]}
    assert items["data-web-1"]["inRange"] and items["data-web-1"]["bound"]
    assert items["data-web-6"]["orphaned"] and not items["data-web-6"]["bound"]
    assert items["data-web-3"]["mountedBy"] == "inspect"


def test_pvc_prune_without_confirmation_deletes_nothing(capsys, kubeconfig, apps, core,
                                                        namespace):
    before = orphaned_world(apps, core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune")
    assert code == 2, (out, err)
    assert "stdin is not a terminal" in err
    assert "Orphaned PVCs to delete:" in out
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune", "--dry-run")
    assert code == 0, err
    assert "dry-run (client): would delete pvc data-web-2" in out
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune",
                         "--dry-run=server", "--yes")
    assert code == 0, err
    assert "(server dry run)" in out
    assert_nothing_lost(before, claims_now(core, namespace))


def test_pvc_prune_deletes_only_unmounted_orphans(capsys, kubeconfig, apps, core, namespace):
    before = orphaned_world(apps, core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune", "--yes")
    assert code == 0, (out, err)
    victims = {"data-web-2", "data-web-6"}
    for name in victims:
        assert 'persistentvolumeclaim "%s" deleted' % name in out
    # never an in-range claim, never one a pod mounts (the debug pod mounts data-web-3)
    assert "data-web-3" not in out and "data-web-0" not in out and "data-web-1" not in out
    after = wait_for(core.list_namespaced_persistent_volume_claim,
                     lambda items: not victims & set(items), namespace=namespace)
    assert_nothing_lost(before, after, deleted=victims)
    # nothing left to prune
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune", "--yes")
    assert code == 0 and "No orphaned PVCs to prune" in out
    assert_nothing_lost(before, claims_now(core, namespace), deleted=victims)


def test_pvc_prune_one_ordinal(capsys, kubeconfig, apps, core, namespace):
    before = orphaned_world(apps, core, namespace)
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune", "--ordinal",
                         "2", "--yes")
    assert code == 0, (out, err)
    assert 'persistentvolumeclaim "data-web-2" deleted' in out
    assert "data-web-6" not in out
    after = wait_for(core.list_namespaced_persistent_volume_claim,
                     lambda items: "data-web-2" not in items, namespace=namespace)
    assert_nothing_lost(before, after, deleted={"data-web-2"})

    # an in-range ordinal is an error, whether or not it has claims
    for ordinal in ("1", "0"):
        code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune",
                             "--ordinal", ordinal, "--yes")
        assert code == 2, (out, err)
        assert "inside the range" in err
    # the mounted orphan is not pruned even when named
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--prune", "--ordinal",
                         "3", "--yes")
    assert code == 0 and "No orphaned PVCs to prune" in out
    code, out, err = run(capsys, kubeconfig, namespace, "pvc", "web", "--ordinal", "3")
    assert code == 2 and "--ordinal only applies to --prune" in err
    assert_nothing_lost(before, claims_now(core, namespace), deleted={"data-web-2"})


# -- progress --------------------------------------------------------------------------------------

SLOW = {"sandbox.kubectl-sts.io/ready-after": "2s"}


def test_scale_up_progress_names_only_pods_that_exist_or_come_next(sandbox, capsys, kubeconfig,
                                                                   apps, core, namespace):
    """Under OrderedReady the controller creates web-2 only once web-1 is Ready: while web-1
    starts, web-2 is named as next, never as a pod that is not Ready."""
    create_settled(apps, core, namespace, replicas=1, pod_annotations=SLOW)
    code, out, err = run(capsys, kubeconfig, namespace, "scale", "web", "--replicas", "3",
                         "--yes")
    assert code == 0, err
    waiting = [line for line in out.splitlines() if line.startswith("waiting: ")]
    assert "waiting: web-1 not Ready (Running); web-2 next, once web-1 is Ready" in waiting, out
    for line in waiting:
        for part in line[len("waiting: "):].split("; "):
            assert part in ("web-1 not created yet", "web-2 next, once web-1 is Ready",
                            "web-2 not created yet") or \
                (part.startswith(("web-1 not Ready (", "web-2 not Ready (")) and
                 part.endswith(")")), line
    assert ordinals_of(pods_now(core, namespace)) == [0, 1, 2]
