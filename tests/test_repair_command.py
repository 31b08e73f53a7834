"""`kubectl sts repair` on the sandbox's failing nodes (the stopped kubelet is sandbox only)."""

import json

from builders import statefulset
from helpers import create, create_settled, node_ready_is, settle, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_REFUSED

STOP = "sandbox.kubectl-sts.io/kubelet=stopped"


def _set(apps, core, namespace, replicas=3, storage_class=None):
    create_settled(apps, core, namespace, replicas=replicas, pod_management="Parallel",
                   storage_class=storage_class)


def _repair(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "repair", "web"] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _stop(core, kubectl, node):
    assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
    wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)


def _restore(core, kubectl, node):
    kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    kubectl("taint", "node", node, "node.kubernetes.io/out-of-service-", namespaced=False)
    wait_for(core.list_node, lambda nodes: not nodes[node]["spec"].get("taints"), timeout=30)


def test_a_healthy_ordinal_needs_nothing(apps, core, namespace, kubeconfig, capsys):
    _set(apps, core, namespace, replicas=1)
    code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0")
    assert code == 0, err
    assert "web-0 is Ready: nothing to repair" in out


def test_a_pod_on_a_down_node_is_recovered_with_the_taint_then_untainted(
        sandbox, apps, core, namespace, kubeconfig, kubectl, capsys):
    _set(apps, core, namespace)
    old = core.read_namespaced_pod("web-0", namespace)
    node = old.spec.node_name
    try:
        _stop(core, kubectl, node)
        # not down for long enough yet: no remedy
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes")
        assert code == 1
        assert "has not been Ready for" in out and "it may come back" in out
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes",
                                 "--min-down", "0s", "--timeout", "60s")
        assert code == 0, err
        assert "node %s: Ready=Unknown for " % node in out
        assert "taint node %s node.kubernetes.io/out-of-service=nodeshutdown:NoExecute" % node \
            in out
        assert "web-0 is Ready again" in out
        new = core.read_namespaced_pod("web-0", namespace)
        assert new.metadata.uid != old.metadata.uid and new.spec.node_name != node
        # the node comes back: --untaint removes the taint
        kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
        wait_for(core.list_node, node_ready_is(node, "True"), timeout=30)
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--untaint",
                                 "--yes")
        assert code == 0, err
        assert "node/%s untainted" % node in out
        taints = json.loads(kubectl("get", "node", node, "-o", "json",
                                    namespaced=False).stdout)["spec"].get("taints") or []
        assert not [t for t in taints if t["key"] == "node.kubernetes.io/out-of-service"]
    finally:
        _restore(core, kubectl, node)


def test_a_pod_the_taint_manager_left_terminating_is_recovered(
        sandbox, apps, core, namespace, kubeconfig, kubectl, capsys):
    """kubernetes#55713 as it happens: the node dies, the taint eviction controller deletes
    the pod after its toleration (here 1 s, by default 300 s), no kubelet confirms it, the
    ordinal stays down; repair's out-of-service taint brings it back elsewhere."""
    manifest = statefulset(replicas=2, claims=(), pod_management="Parallel")
    manifest["spec"]["template"]["spec"]["tolerations"] = [{
        "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
        "tolerationSeconds": 1}]
    create(apps, core, namespace, manifest)
    settle(apps, namespace, "web", 2)
    old = core.read_namespaced_pod("web-0", namespace)
    node = old.spec.node_name
    try:
        _stop(core, kubectl, node)
        wait_for(core.list_namespaced_pod, lambda pods: pods["web-0"]["metadata"].get(
            "deletionTimestamp"), timeout=30, namespace=namespace)
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes",
                                 "--min-down", "0s", "--timeout", "60s")
        assert code == 0, err
        assert "pod web-0: Terminating (DeletionByTaintManager), not Ready, node %s" % node \
            in out
        assert "web-0 is Ready again" in out
        new = core.read_namespaced_pod("web-0", namespace)
        assert new.metadata.uid != old.metadata.uid and new.spec.node_name != node
    finally:
        _restore(core, kubectl, node)


def test_force_delete_instead_of_the_taint(sandbox, apps, core, namespace, kubeconfig, kubectl,
                                           capsys):
    _set(apps, core, namespace)
    old = core.read_namespaced_pod("web-0", namespace)
    node = old.spec.node_name
    try:
        _stop(core, kubectl, node)
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes",
                                 "--min-down", "0s", "--force-delete", "--timeout", "60s")
        assert code == 0, err
        assert "delete pod web-0 --grace-period=0 --force (uid %s)" % old.metadata.uid in out
        assert "Warning: a StatefulSet runs at most one pod per ordinal" in out
        assert core.read_namespaced_pod("web-0", namespace).metadata.uid != old.metadata.uid
        node_doc = json.loads(kubectl("get", "node", node, "-o", "json",
                                      namespaced=False).stdout)
        assert not [t for t in node_doc["spec"].get("taints") or []
                    if t["key"] == "node.kubernetes.io/out-of-service"]
    finally:
        _restore(core, kubectl, node)


def test_a_volume_pinned_to_a_lost_node_needs_a_fresh_volume(sandbox, apps, core, namespace,
                                                             kubeconfig, kubectl, capsys):
    _set(apps, core, namespace, replicas=1, storage_class="local")
    old_claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
    node = core.read_namespaced_pod("web-0", namespace).spec.node_name
    try:
        _stop(core, kubectl, node)
        kubectl("taint", "node", node, "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute",
                namespaced=False)
        wait_for(core.list_namespaced_pod, lambda pods: any(
            "volume node affinity conflict" in (c.get("message") or "")
            for c in ((pods.get("web-0") or {}).get("status") or {}).get("conditions") or []),
            timeout=60, namespace=namespace)
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes")
        assert code == EXIT_REFUSED
        assert "needs --fresh-volume" in err
        assert "THE DATA OF data-web-0 IS NOT ON THE NEW VOLUME" in out
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes",
                                 "--fresh-volume", "--timeout", "60s")
        assert code == 0, err
        assert "set PV %s persistentVolumeReclaimPolicy=Retain" % old_claim.spec.volume_name \
            in out
        assert "web-0 is Ready again" in out
        new_claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
        assert new_claim.metadata.uid != old_claim.metadata.uid
        old_pv = json.loads(kubectl("get", "pv", old_claim.spec.volume_name, "-o", "json",
                                    namespaced=False).stdout)
        assert old_pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    finally:
        _restore(core, kubectl, node)


def test_a_volume_pinned_to_a_deleted_node_gets_a_fresh_volume(sandbox, apps, core, namespace,
                                                               kubeconfig, kubectl, capsys):
    """The node is gone (deleted): pod GC removes its pod, the replacement cannot be
    scheduled (volume node affinity conflict), --fresh-volume brings the ordinal back on a
    new claim; the old PV is kept (Retain)."""
    _set(apps, core, namespace, replicas=1, storage_class="local")
    old_claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
    node = core.read_namespaced_pod("web-0", namespace).spec.node_name
    try:
        sandbox.stop_kubelet(node)
        assert kubectl("delete", "node", node, namespaced=False).returncode == 0
        wait_for(core.list_namespaced_pod, lambda pods: any(
            "3 node(s) had volume node affinity conflict" in (c.get("message") or "") or
            "2 node(s) had volume node affinity conflict" in (c.get("message") or "")
            for c in ((pods.get("web-0") or {}).get("status") or {}).get("conditions") or []),
            timeout=60, namespace=namespace)
        code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "0", "--yes",
                                 "--fresh-volume", "--timeout", "60s")
        assert code == 0, err
        assert "usable: none" in out
        new_claim = core.read_namespaced_persistent_volume_claim("data-web-0", namespace)
        assert new_claim.metadata.uid != old_claim.metadata.uid
        assert core.read_namespaced_pod("web-0", namespace).spec.node_name != node
        old_pv = json.loads(kubectl("get", "pv", old_claim.spec.volume_name, "-o", "json",
                                    namespaced=False).stdout)
        assert old_pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    finally:
        if not kubectl("get", "node", node, namespaced=False).returncode == 0:
            sandbox.add_node(node)
        sandbox.start_kubelet(node)


def _trap(apps, core, namespace):
    """The forced-rollback trap on web-1 (a bad image reached it, the template was put back:
    the controller never replaces it by itself); returns the stuck pod."""
    good = create_settled(apps, core, namespace, replicas=2)["spec"]["template"]["spec"][
        "containers"][0]["image"]

    def image(name):
        apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
            "containers": [{"name": "app", "image": name}]}}}})
    image("registry.invalid/nope:1")
    wait_for(core.list_namespaced_pod, lambda pods: any(
        (cs.get("state") or {}).get("waiting", {}).get("reason") in ("ErrImagePull",
                                                                     "ImagePullBackOff")
        for cs in ((pods.get("web-1") or {}).get("status") or {}).get("containerStatuses")
        or []), timeout=60, namespace=namespace)
    image(good)
    wait_for(apps.list_namespaced_stateful_set, lambda items: (items["web"].get("status") or {})
             .get("observedGeneration") == items["web"]["metadata"]["generation"], timeout=30,
             namespace=namespace)
    return core.read_namespaced_pod("web-1", namespace)


def test_the_forced_rollback_trap_is_repaired_by_deleting_the_pod(apps, core, namespace,
                                                                  kubeconfig, capsys):
    """OrderedReady: a bad image reaches web-1, the template is put back, and web-1 (at the
    bad revision, never Ready) is never replaced by the controller: repair deletes it."""
    stuck = _trap(apps, core, namespace)
    good = apps.read_namespaced_stateful_set("web", namespace).spec.template.spec.containers[
        0].image
    code, out, err = _repair(capsys, kubeconfig, namespace, "--ordinal", "1", "--yes",
                             "--timeout", "60s")
    assert code == 0, err
    assert "the controller will not replace it by itself" in out
    assert "delete pod web-1 (uid %s)" % stuck.metadata.uid in out
    assert "web-1 is Ready again" in out
    assert core.read_namespaced_pod("web-1", namespace).spec.containers[0].image == good


def _repair_with_fault(sandbox, capsys, kubeconfig, namespace, **fault):
    """`repair web --ordinal 1 --yes` while the first DELETE of pod web-1 meets `fault`."""
    rule = sandbox.faults.add(method="DELETE", path_regex=r"/namespaces/%s/pods/web-1$"
                              % namespace, **fault)
    try:
        return _repair(capsys, kubeconfig, namespace, "--ordinal", "1", "--yes", "--timeout",
                       "60s")
    finally:
        sandbox.faults.remove(rule)


def test_a_500_on_the_remedy_says_what_was_done_and_how_to_continue(
        sandbox, apps, core, namespace, kubeconfig, capsys):
    from kubectl_sts.errors import EXIT_ERROR
    stuck = _trap(apps, core, namespace)
    code, out, err = _repair_with_fault(sandbox, capsys, kubeconfig, namespace, status=500)
    assert code == EXIT_ERROR, err
    assert err.strip().splitlines()[-1].endswith(
        "; delete pod web-1 (uid %s): not done; done: nothing; continue with: kubectl sts "
        "repair web --ordinal 1" % stuck.metadata.uid), err
    assert core.read_namespaced_pod("web-1", namespace).metadata.uid == stuck.metadata.uid


def test_a_remedy_whose_answer_is_lost_is_read_again_and_the_repair_goes_on(
        sandbox, apps, core, namespace, kubeconfig, capsys):
    stuck = _trap(apps, core, namespace)
    code, out, err = _repair_with_fault(sandbox, capsys, kubeconfig, namespace, reset=True)
    assert code == 0, err
    assert "delete pod web-1 (uid %s): the answer was lost (" % stuck.metadata.uid in err
    assert "but a fresh read shows it was applied" in err
    assert "web-1 is Ready again" in out
