"""One plugin operation at a time per StatefulSet (issue 27, item 4): the set's Lease
(coordination.k8s.io/v1), held by the writing commands. The core (core/lock.py) table-driven;
the commands on the sandbox, with another run's lease made through the real kubectl."""

import datetime
import json
import os
import subprocess
import sys

import pytest

import builders
from helpers import create_settled, wait_for
from kubectl_sts.core.lock import acquired, holder_of, lease_name, micro_time
from kubectl_sts.errors import EXIT_CONFLICT

NOW = 1_800_000_000.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lease(holder="someone", renewed_ago=1.0, duration=30, operation="rollout web --all"):
    return {"metadata": {"name": "kubectl-sts.web", "namespace": "ns", "resourceVersion": "7",
                         "annotations": {"kubectl-sts.io/operation": operation}},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                     "acquireTime": micro_time(NOW - 60), "renewTime":
                     micro_time(NOW - renewed_ago), "leaseTransitions": 2}}


@pytest.mark.parametrize("case, the_lease, held", [
    ("no lease", None, False),
    ("held, renewed a second ago", lease(), True),
    ("released (no holder)", lease(holder=""), False),
    ("expired: not renewed within its duration (the holder died)", lease(renewed_ago=31),
     False),
    ("a short lease, still valid", lease(duration=5, renewed_ago=4), True),
])
def test_holder_of(case, the_lease, held):
    state = holder_of(the_lease, NOW)
    assert (state is not None) == held, case
    if state is not None:
        assert state["holder"] == "someone" and state["operation"] == "rollout web --all"


def test_the_lease_belongs_to_the_set_and_counts_transitions():
    sts = builders.statefulset(namespace="ns", uid="u-sts")
    body = acquired(sts, None, "me", "scale web --replicas 2", NOW)
    assert body["metadata"]["name"] == "kubectl-sts.web"
    assert body["metadata"]["ownerReferences"][0]["uid"] == "u-sts"   # the GC deletes it
    assert body["spec"]["holderIdentity"] == "me" and body["spec"]["leaseTransitions"] == 0
    taken = acquired(sts, lease(renewed_ago=40), "me", "scale web --replicas 2", NOW)
    assert taken["metadata"]["resourceVersion"] == "7"       # a PUT that loses a race: 409
    assert taken["spec"]["leaseTransitions"] == 3


def test_a_long_set_name_gives_a_valid_lease_name():
    name = lease_name("a" * 253)
    assert len(name) <= 253 and name.startswith("kubectl-sts.aaa")
    assert lease_name("a" * 253) != lease_name("a" * 252 + "b")


# -- on the sandbox -------------------------------------------------------------------------------

def _plant(kubectl, namespace, duration=30, holder="kubectl-sts@other-host/4242",
           operation="rollout web --all"):
    """Another run's lease, as that run would have written it."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    manifest = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": "kubectl-sts.web",
                             "annotations": {"kubectl-sts.io/operation": operation}},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                         "acquireTime": now, "renewTime": now}}
    done = kubectl("apply", "-f", "-", input=json.dumps(manifest))
    assert done.returncode == 0, done.stderr


def _lease(kubectl, namespace):
    got = kubectl("get", "lease", "kubectl-sts.web", "-o", "json")
    return json.loads(got.stdout) if got.returncode == 0 else None


def test_a_second_writing_command_refuses_naming_the_holder(apps, core, namespace, kubectl,
                                                             cli):
    create_settled(apps, core, namespace, replicas=2, pod_management="Parallel")
    _plant(kubectl, namespace)
    code, out, err = cli("scale", "web", "--replicas", "1", "--yes")
    assert code == EXIT_CONFLICT, (out, err)
    assert "statefulset web is being changed by another kubectl-sts: rollout web --all " \
        "(kubectl-sts@other-host/4242)" in err
    assert "--wait-lock" in err and "--force" in err
    assert apps.read_namespaced_stateful_set("web", namespace).spec.replicas == 2
    # read-only commands show it; a dry run takes no lock
    code, out, err = cli("status", "web")
    assert code == 0 and "Operation:       rollout web --all (kubectl-sts@other-host/4242)" in out
    code, out, err = cli("scale", "web", "--replicas", "1", "--dry-run")
    assert code == 0, err
    code, out, err = cli("rollout", "web", "--image", "app=nginx:1.28")
    assert code == EXIT_CONFLICT and "rollout web --all" in err
    # --force takes it over; the run releases it at the end
    code, out, err = cli("scale", "web", "--replicas", "1", "--yes", "--force")
    assert code == 0, err
    assert apps.read_namespaced_stateful_set("web", namespace).spec.replicas == 1
    assert _lease(kubectl, namespace) is None


def test_wait_lock_waits_for_a_lease_that_expires(apps, core, namespace, kubectl, cli):
    create_settled(apps, core, namespace, replicas=1)
    _plant(kubectl, namespace, duration=2)          # its holder died: nobody renews it
    code, out, err = cli("rollout", "web", "--image", "app=nginx:1.28", "--wait-lock", "30s")
    assert code == 0, (out, err)
    assert "staged" in out
    assert _lease(kubectl, namespace) is None       # released at the end


def test_each_writing_run_holds_the_lease_while_it_runs(sandbox, apps, core, namespace,
                                                        kubectl, kubeconfig, cli):
    create_settled(apps, core, namespace, replicas=2)
    code, out, err = cli("rollout", "web", "--image", "app=nginx:1.28")
    assert code == 0, err
    env = dict(os.environ, PYTHONPATH=ROOT)
    step = subprocess.Popen([sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig,
                             "-n", namespace, "rollout", "web", "--all", "--settle", "60s",
                             "--timeout", "90s"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        from kubernetes import client
        leases = client.CoordinationV1Api(core.api_client).list_namespaced_lease
        held = wait_for(leases, lambda items: "kubectl-sts.web" in items, timeout=30,
                        namespace=namespace)["kubectl-sts.web"]
        assert held["spec"]["holderIdentity"].endswith("/%d" % step.pid)
        code, out, err = cli("scale", "web", "--replicas", "3", "--yes")
        assert code == EXIT_CONFLICT and "rollout web --all" in err, err
    finally:
        step.kill()
        step.wait()


@pytest.mark.parametrize("argv", [
    ["restart", "web", "--yes"],
    ["repair", "web", "--ordinal", "0", "--yes"],
    ["resize", "web", "--size", "2Gi", "--yes"],
    ["pvc", "web", "--prune", "--yes"],
], ids=["restart", "repair", "resize", "pvc --prune"])
def test_every_writing_command_respects_the_lock(argv, apps, core, namespace, kubectl, cli):
    """Issue 27, item 4: `restart` during `rollout --all` took web-0 and web-2 down together;
    now each writing command refuses while another run holds the set (exit 6)."""
    create_settled(apps, core, namespace, replicas=1)
    _plant(kubectl, namespace)
    code, out, err = cli(*argv)
    assert code == EXIT_CONFLICT, (argv, out, err)
    assert "being changed by another kubectl-sts: rollout web --all" in err


def test_a_command_that_refuses_its_plan_takes_no_lock(sandbox, apps, core, namespace, cli):
    """The lock is written only before the command's first write: a refusal after reading
    (here `--to` above the replica count) writes nothing, not even a lease."""
    create_settled(apps, core, namespace, replicas=1)
    before = len(sandbox.request_log)
    code, out, err = cli("rollout", "web", "--to", "5")
    assert code == 2, err
    writes = [(e["method"], e["path"]) for e in sandbox.request_log[before:]
              if e["method"] != "GET" and namespace in e["path"]]
    assert writes == []
