"""Soak (issue 8): a 50-replica StatefulSet driven through 100 rollout invocations — steps,
`--to`, `--all` and undos — with faults injected at random (seeded), then the invariants:

- no PVC was ever deleted;
- no pod below the partition was ever deleted (the rollout never restarts what it must keep);
- within each invocation the partition never went below what that invocation asked for;
- every invocation ended with a documented exit code and a consistent, explainable state.

Sandbox only (it injects faults and watches the store). Marked slow; CI runs it (the README's
test command runs every test). The figures are printed at the end (`pytest -s` shows them)."""

import json
import random
from typing import Any, Dict

import pytest

from builders import statefulset
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_CONFLICT, EXIT_ROLLOUT_FAILED, EXIT_TIMEOUT, EXIT_UNREACHABLE

pytestmark = pytest.mark.slow

SEED = 20261123
REPLICAS = 50
INVOCATIONS = 100
# what an invocation may end with under injected faults: success, or a documented failure
# that leaves the set consistent (a conflict it refused to overwrite, a gave-up wait)
ALLOWED_EXITS = {0, EXIT_CONFLICT, EXIT_TIMEOUT, EXIT_UNREACHABLE, EXIT_ROLLOUT_FAILED}


@pytest.fixture
def soak_sandbox():
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    with Sandbox(config=Config(start_seconds=0.0, ready_seconds=0.0,
                               terminate_seconds=0.0)) as sb:
        yield sb


def _partition(sts):
    return ((sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get(
        "partition", 0)


def test_soak_rollouts_and_undos_under_random_faults(soak_sandbox, capsys):
    import os
    if os.environ.get("KUBECTL_STS_TEST_KUBECONFIG"):
        pytest.skip("injects faults into the sandbox")
    from kubectl_sts_sandbox.resources import BY_KIND
    sb = soak_sandbox
    sts_rt, pod_rt, pvc_rt = BY_KIND["StatefulSet"], BY_KIND["Pod"], BY_KIND["PersistentVolumeClaim"]
    rng = random.Random(SEED)
    sb.apply([statefulset("db", REPLICAS, pod_management="Parallel", image="db:1", grace=None)])

    # what the store sees, in order: the invariants are checked on these events
    violations = []
    state: Dict[str, Any] = {"partition": None, "floor": None, "deleted_pvcs": 0, "replaced": set()}

    def listener(rt, etype, obj):
        if rt is sts_rt and obj["metadata"]["name"] == "db":
            state["partition"] = _partition(obj)
            if state["floor"] is not None and state["partition"] < state["floor"]:
                violations.append("partition %d below the asked %d" % (state["partition"],
                                                                       state["floor"]))
        elif rt is pvc_rt and etype == "DELETED":
            state["deleted_pvcs"] += 1
            violations.append("PVC %s deleted" % obj["metadata"]["name"])
        elif rt is pod_rt and obj["metadata"]["name"].startswith("db-") and \
                obj["metadata"].get("deletionTimestamp") and etype == "MODIFIED" and \
                state["partition"] is not None:
            ordinal = int(obj["metadata"]["name"].rsplit("-", 1)[1])
            state["replaced"].add(obj["metadata"]["uid"])
            if ordinal < state["partition"]:
                violations.append("pod %s deleted below partition %d" % (
                    obj["metadata"]["name"], state["partition"]))
    sb.store.listeners.append(listener)

    def ready():
        sts = sb.store.peek(sts_rt, "default", "db")
        return (sts.get("status") or {}).get("readyReplicas", 0) == REPLICAS

    import time
    deadline = time.monotonic() + 60
    while not ready():
        assert time.monotonic() < deadline, "the soak set never became ready"
        time.sleep(0.05)

    # faults, seeded: 5xx/429 on reads, resets on reads, latency, short watches, 410s
    sb.faults.add(status=503, retry_after=0, method="GET", watch=False, probability=0.03,
                  seed=SEED, name="503")
    sb.faults.add(status=429, retry_after=0, method="GET", watch=False, probability=0.02,
                  seed=SEED + 1, name="429")
    sb.faults.add(reset=True, method="GET", watch=False, probability=0.02, seed=SEED + 2,
                  name="reset")
    sb.faults.add(latency=0.01, probability=0.05, seed=SEED + 3, name="latency")
    sb.faults.add(watch_close_after=3, probability=0.1, seed=SEED + 4, name="watch-close")
    sb.faults.add(watch_gone=True, probability=0.03, seed=SEED + 5, name="watch-410")

    kubeconfig = sb.kubeconfig
    exits, image = [], 1
    steps = undos = conflicts = 0
    for i in range(INVOCATIONS):
        sts = sb.store.peek(sts_rt, "default", "db")
        partition = min(_partition(sts), REPLICAS)
        st = sts.get("status") or {}
        pending = st.get("currentRevision") != st.get("updateRevision") or partition > 0
        roll = rng.random()
        if not pending or partition == 0:
            image += 1
            args, floor = ["--image", "app=db:%d" % image], partition
        elif roll < 0.12:
            args, floor = ["--undo", "--yes"], 0
            undos += 1
        elif roll < 0.25:
            floor = rng.randint(0, partition - 1)
            args = ["--to", str(floor)]
            steps += partition - floor
        elif roll < 0.3:
            args, floor = ["--all"], 0
            steps += partition
        else:
            n = rng.randint(1, 4)
            floor = max(0, partition - n)
            args = ["--step", str(n)]
            steps += partition - floor
        if rng.random() < 0.1:
            sb.faults.conflict_next_write("statefulsets", "default", "db")
            conflicts += 1
        state["floor"] = floor if "--undo" not in args else None
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "rollout", "db", "--timeout", "30s"] + args)
        out, err = capsys.readouterr()
        state["floor"] = None
        exits.append(code)
        assert code in ALLOWED_EXITS, (i, args, code, err)
        assert "Traceback" not in err
        # consistent and explainable: the plan reads, the partition is in range, the
        # annotation (if any) parses
        fresh = sb.store.peek(sts_rt, "default", "db")
        assert 0 <= _partition(fresh) <= REPLICAS
        note = (fresh["metadata"].get("annotations") or {}).get("kubectl-sts.io/rollout")
        if note:
            json.loads(note)
        if code != 0:
            assert main(["--kubeconfig", kubeconfig, "rollout", "db"]) == 0

    sb.faults.clear(record=False)
    injected = len(sb.faults.injected)
    assert main(["--kubeconfig", kubeconfig, "rollout", "db", "--all", "--timeout", "60s"]) == 0
    pvcs, _ = sb.store.list(pvc_rt, "default")
    print("\nsoak: %d invocations, %d ordinal updates asked, %d undos, %d injected 409s, "
          "%d faults injected in all, %d pods replaced, %d non-zero exits %s, %d PVCs deleted, "
          "%d violations"
          % (INVOCATIONS, steps, undos, conflicts, injected, len(state["replaced"]),
             sum(1 for c in exits if c), sorted(set(exits)), state["deleted_pvcs"],
             len(violations)))
    assert violations == []
    assert len(pvcs) == REPLICAS
    assert injected > 50                    # the faults really fired
    assert len(state["replaced"]) > 200     # the deletion invariant was really exercised
