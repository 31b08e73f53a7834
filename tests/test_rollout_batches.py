"""Batches (issue 29): whether the server honours StatefulSet maxUnavailable, the plan and
the step gate in batches where it does, and `--step --batch N` where it does not.

The session sandbox plays 1.37 (MaxUnavailableStatefulSet on); a sandbox of this module's own
plays 1.36 (off: the API server drops the field, the controller replaces one pod at a time)."""

import pytest

from kubectl_sts.core.rollout.batches import (batch_refusal, batch_size, batch_victims, release_default,
                                              describe_line, pdb_refusal, probe_body,
                                              stored_uses_field, verdict)

import builders
from helpers import create_settled, own_sandbox, wait_for

NEW = "nginx:1.28"


def _state(**kw):
    base = {"name": "web", "namespace": "ns", "replicas": 4, "start": 0,
            "strategy": "RollingUpdate", "partition": 4, "effectivePartition": 4,
            "maxUnavailable": 2, "podManagementPolicy": "Parallel", "updateRevision": "web-b"}
    base.update(kw)
    return base


# -- the core, table driven -------------------------------------------------------------------

VERDICTS = [
    # name, state, stored, probe, honoured, words in why
    ("kept by the dry run", _state(), True, {"kept": True}, True, "MaxUnavailableStatefulSet on"),
    ("dropped by the dry run", _state(), True, {"kept": False}, False, "drops it"),
    ("not defaulted on read", _state(maxUnavailable=None), False, None, False, "did not default"),
    ("stored, dry run forbidden", _state(), True, {"error": "forbidden"}, None, "forbidden"),
    ("OnDelete", _state(strategy="OnDelete"), False, None, None, "does not apply"),
    ("stored, not asked, release on", _state(), True, None, True, "v1.37.0 turns"),
    ("stored, not asked, release off", _state(), True, None, None, "not asked"),
]
DEFAULTS = {"release on": True, "release off": False}


@pytest.mark.parametrize("version,default", [("v1.32.0", False), ("v1.35.0", True),
                                             ("v1.35.3", True), ("v1.35.4", False),
                                             ("v1.36.2", False), ("v1.37.0", True),
                                             ("v1.38.1-gke.1", True), ("", None)])
def test_release_default(version, default):
    assert release_default(version) is default


@pytest.mark.parametrize("name,state,stored,probe,honoured,why", VERDICTS,
                         ids=[v[0] for v in VERDICTS])
def test_verdict(name, state, stored, probe, honoured, why):
    default = next((d for k, d in DEFAULTS.items() if name.endswith(k)), None)
    result = verdict(state, stored, probe, default, "v1.37.0")
    assert result["honoured"] is honoured and why in result["why"]
    if honoured:
        assert "controller-manager's gate is not observable" in result["why"]


SIZES = [
    ("honoured 2", _state(maxUnavailable=2), True, 2),
    ("honoured 50% of 4", _state(maxUnavailable="50%"), True, 2),
    ("honoured 10% rounds down, at least 1", _state(maxUnavailable="10%"), True, 1),
    ("not honoured", _state(maxUnavailable=2), False, 1),
    ("unknown", _state(maxUnavailable=3), None, 1),
]


@pytest.mark.parametrize("name,state,honoured,size", SIZES, ids=[s[0] for s in SIZES])
def test_batch_size(name, state, honoured, size):
    assert batch_size(state, honoured) == size


REFUSALS = [
    ("Parallel, not honoured", _state(), False, None),
    ("Parallel, unknown", _state(), None, None),
    ("OrderedReady", _state(podManagementPolicy="OrderedReady"), False, "OrderedReady"),
    ("honoured", _state(), True, "honours maxUnavailable"),
    ("OnDelete", _state(strategy="OnDelete"), False, "RollingUpdate sets"),
]


@pytest.mark.parametrize("name,state,honoured,words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_batch_refusal(name, state, honoured, words):
    refusal = batch_refusal(state, honoured, 2)
    assert (refusal is None) if words is None else (words in (refusal or ""))


def _pod(ordinal, revision="web-a", terminating=False):
    pod = builders.pod(ordinal, revision, labels={"app": "web"}, uid="u%d" % ordinal)
    if terminating:
        pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return pod


VICTIMS = [
    ("two old pods", [_pod(o) for o in range(4)], 2, ["web-3", "web-2"]),
    ("one already updated", [_pod(0), _pod(1), _pod(2), _pod(3, "web-b")], 2, ["web-2"]),
    ("one terminating", [_pod(0), _pod(1), _pod(2, terminating=True), _pod(3)], 2, ["web-3"]),
    ("one missing", [_pod(0), _pod(1), _pod(3)], 1, ["web-3", "web-1"]),
]


@pytest.mark.parametrize("name,pods,partition,names", VICTIMS, ids=[v[0] for v in VICTIMS])
def test_batch_victims(name, pods, partition, names):
    assert [p["metadata"]["name"] for p in batch_victims(_state(), pods, partition)] == names


PDBS = [
    ("none", [], None),
    ("allows 2", [builders.pdb(allowed=2)], None),
    ("allows 1", [builders.pdb(allowed=1)], "allows 1 disruption(s) now; --batch would delete 2"),
    ("another app", [builders.pdb(labels={"app": "db"}, allowed=0)], None),
]


@pytest.mark.parametrize("name,pdbs,words", PDBS, ids=[p[0] for p in PDBS])
def test_pdb_refusal(name, pdbs, words):
    refusal = pdb_refusal(pdbs, [_pod(3), _pod(2)])
    assert (refusal is None) if words is None else (words in (refusal or ""))


def test_probe_body_leaves_the_field_out_and_describe_line():
    sts = builders.statefulset(max_unavailable=2, current="web-a")
    body = probe_body(sts)
    assert stored_uses_field(sts) and not stored_uses_field(body) and "status" not in body
    assert describe_line(_state(), {"honoured": False, "why": "x"}) == "2 (not honoured: x)"


# -- on the sandbox ---------------------------------------------------------------------------

def _pods(core, ns):
    return {p.metadata.name: p for p in core.list_namespaced_pod(ns).items}


def _at(pod, revision):
    return (pod.metadata.labels or {}).get("controller-revision-hash") == revision and \
        pod.metadata.deletion_timestamp is None and any(
            c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def _staged_plan(run, apps, core, ns):
    """A settled Parallel set of 4 with maxUnavailable 2, a change staged: the plan's output."""
    create_settled(apps, core, ns, replicas=4, max_unavailable=2, pod_management="Parallel")
    assert run("rollout", "web", "--image", "app=" + NEW)[0] == 0
    code, out, err = run("rollout", "web")
    assert code == 0, err
    return out


def _first_batch(run, apps, core, ns, *flags):
    """Step a 4-replica set from partition 4: web-3 and web-2 together, the partition written
    2, and the gate waited for the whole batch (both Ready at the update revision when the
    command ended, web-1 and web-0 untouched). Returns (stdout, the update revision)."""
    code, out, err = run("rollout", "web", *flags)
    assert code == 0, err
    assert "partition 4 -> 2: updating web-3, web-2" in out
    sts = apps.read_namespaced_stateful_set("web", ns).to_dict()
    assert sts["spec"]["update_strategy"]["rolling_update"]["partition"] == 2
    update = sts["status"]["update_revision"]
    pods = _pods(core, ns)
    assert _at(pods["web-3"], update) and _at(pods["web-2"], update)
    assert not _at(pods["web-1"], update) and not _at(pods["web-0"], update)
    return out, update


def test_honoured_max_unavailable_steps_two_ordinals_and_waits_for_both(cli, apps, core,
                                                                        namespace):
    out = _staged_plan(cli, apps, core, namespace)
    assert "maxUnavailable:   2 (honoured: the set carries it and v1.37.0 turns " \
        "MaxUnavailableStatefulSet on by default" in out
    assert "Steps (batches of 2 ordinals" in out
    assert "partition 2: updates web-3, web-2" in out and \
        "partition 0: updates web-1, web-0" in out
    out, update = _first_batch(cli, apps, core, namespace, "--step")
    code, out, err = cli("rollout", "web", "--step")
    assert code == 0, err
    assert "partition 2 -> 0: updating web-1, web-0" in out
    pods = _pods(core, namespace)
    assert all(_at(pods["web-%d" % o], update) for o in range(4))


def _batch_refused(run, apps, ns, exit_code, words, partition):
    """Stage a change, then `--step --batch 2`: refused with `exit_code` and `words` on
    stderr, the partition left at `partition` (nothing written)."""
    assert run("rollout", "web", "--image", "app=" + NEW)[0] == 0
    code, out, err = run("rollout", "web", "--step", "--batch", "2")
    assert code == exit_code and words in err, (code, err)
    assert len(err.strip().splitlines()) == 1
    sts = apps.read_namespaced_stateful_set("web", ns).to_dict()
    assert sts["spec"]["update_strategy"]["rolling_update"]["partition"] == partition


def test_batch_refused_where_the_server_honours_max_unavailable(cli, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3, pod_management="Parallel")
    _batch_refused(cli, apps, namespace, 2, "error: the server honours maxUnavailable: set "
                   "spec.updateStrategy.rollingUpdate.maxUnavailable to 2", 3)


@pytest.fixture(scope="module")
def old_cluster():
    """A 1.36 sandbox (MaxUnavailableStatefulSet off): (kubeconfig, apps, core)."""
    from kubernetes import client
    with own_sandbox(kubernetes_version="1.36") as (sb, api):
        yield sb.kubeconfig, client.AppsV1Api(api), client.CoreV1Api(api), \
            client.PolicyV1Api(api)


@pytest.fixture
def old(old_cluster, capsys):
    """(run, apps, core, policy, namespace) on the 1.36 sandbox, in a fresh namespace."""
    import uuid
    from kubernetes import client
    from kubectl_sts.cli.app import main
    kubeconfig, apps, core, policy = old_cluster
    ns = "b-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))

    def run(*args):
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "-n", ns] + list(args))
        out, err = capsys.readouterr()
        return code, out, err
    yield run, apps, core, policy, ns
    core.delete_namespace(ns)


def test_not_honoured_plan_says_so_and_batch_deletes_two_pods_together(old):
    run, apps, core, _, ns = old
    out = _staged_plan(run, apps, core, ns)
    assert "maxUnavailable:   <unset> (not honoured: the API server did not default it " \
        "(MaxUnavailableStatefulSet off)" in out
    assert "Steps (one ordinal each):" in out
    out, _ = _first_batch(run, apps, core, ns, "--step", "--batch", "2")
    assert "deleted web-3, web-2 together (--batch 2)" in out


def test_batch_refused_under_ordered_ready(old):
    run, apps, core, _, ns = old
    create_settled(apps, core, ns, replicas=3)
    _batch_refused(run, apps, ns, 2, "error: --batch deletes pods together, which "
                   "podManagementPolicy OrderedReady forbids", 3)


def test_batch_refused_by_a_pdb(old):
    run, apps, core, policy, ns = old
    create_settled(apps, core, ns, replicas=4, pod_management="Parallel")
    policy.create_namespaced_pod_disruption_budget(ns, builders.pdb(max_unavailable=1))
    wait_for(policy.list_namespaced_pod_disruption_budget,
             lambda items: ((items.get("web") or {}).get("status") or {}).get(
                 "disruptionsAllowed") == 1, namespace=ns)
    _batch_refused(run, apps, ns, 11, "PodDisruptionBudget web allows 1 disruption(s) now; "
                   "--batch would delete 2 of its pods (web-3, web-2) together; the partition "
                   "stays at 4", 4)
    assert all(p.metadata.deletion_timestamp is None for p in _pods(core, ns).values())


STATUS = [
    ("1.37, field set", builders.statefulset(max_unavailable=2), {"gitVersion": "v1.37.0"},
     " (honoured)"),
    ("1.36, field absent", builders.statefulset(partition=0), {"gitVersion": "v1.36.0"},
     " (not honoured: MaxUnavailableStatefulSet off, one pod at a time)"),
    ("1.36, field set", builders.statefulset(max_unavailable=2), {"gitVersion": "v1.36.0"},
     " (honoured: unknown, MaxUnavailableStatefulSet off by default in this release)"),
    ("OnDelete", builders.statefulset(strategy="OnDelete"), {"gitVersion": "v1.37.0"}, ""),
]


@pytest.mark.parametrize("name,sts,version,words", STATUS, ids=[s[0] for s in STATUS])
def test_status_words(name, sts, version, words):
    from kubectl_sts.core.rollout.batches import status_honours, status_words
    assert status_words(status_honours(sts, version)) == words


def test_status_says_honoured(cli, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2, max_unavailable=2)
    code, out, err = cli("status", "web")
    assert code == 0, err
    assert "Update strategy: RollingUpdate, partition 0, maxUnavailable 2 (honoured)" in \
        out.splitlines()


def test_the_dry_run_update_tells_where_the_release_default_does_not(capsys):
    """1.36 with MaxUnavailableStatefulSet turned on: status (which only reads) cannot tell;
    `--step` asks the API server with a dry-run update and steps two ordinals at once."""
    from kubernetes import client
    from kubectl_sts.cli.app import main
    with own_sandbox(kubernetes_version="1.36",
                     feature_gates={"MaxUnavailableStatefulSet": True}) as (sb, api):
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)

        def run(*args):
            capsys.readouterr()
            code = main(["--kubeconfig", sb.kubeconfig, "-n", "default"] + list(args))
            out, err = capsys.readouterr()
            return code, out, err
        create_settled(apps, core, "default", replicas=3, max_unavailable=2,
                       pod_management="Parallel")
        code, out, _ = run("status", "web")
        assert "maxUnavailable 2 (honoured: unknown, MaxUnavailableStatefulSet off by " \
            "default in this release)" in out
        assert run("rollout", "web", "--image", "app=" + NEW)[0] == 0
        code, out, err = run("rollout", "web", "--step")
        assert code == 0, err
        assert "partition 3 -> 1: updating web-2, web-1" in out
        sts = apps.read_namespaced_stateful_set("web", "default").to_dict()
        assert sts["spec"]["update_strategy"]["rolling_update"]["partition"] == 1


@pytest.mark.parametrize("version,line", [
    ("1.35", "partition 3 -> 1: updating web-2, web-1"),      # v1.35.0: the gate on
    ("1.36", "partition 3 -> 2: updating web-2"),             # off (#137904)
    ("1.37", "partition 3 -> 1: updating web-2, web-1"),      # on again (#139466)
])
def test_a_step_follows_the_release_played(version, line, capsys):
    """`maxUnavailable: 2` as each release's API server and controller treat it: a step is
    the batch the controller will replace together, or one ordinal where the field is
    dropped (1.36: strategy.go dropStatefulSetDisabledFields)."""
    from kubernetes import client
    from kubectl_sts.cli.app import main
    with own_sandbox(kubernetes_version=version) as (sb, api):
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        create_settled(apps, core, "default", replicas=3, max_unavailable=2,
                       pod_management="Parallel")
        args = ["--kubeconfig", sb.kubeconfig, "-n", "default", "rollout", "web"]
        assert main(args + ["--image", "app=" + NEW]) == 0
        capsys.readouterr()
        assert main(args + ["--step"]) == 0
        assert line in capsys.readouterr().out.splitlines()
