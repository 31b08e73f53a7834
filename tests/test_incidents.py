"""Incident day (issue 26): an incident made on the cluster through the real kubectl (or the
plugin's own rollout), then every view a user reads (status, status -o wide, the rollout plan,
rollout --status, wait, repair --dry-run, doctor) must name the same pod and the same cause, and
the way back (repair, undo) must do and say what it does. Scenarios: a dead node under a zonal
volume, a dead node under a node-local volume, a bad image mid-rollout, a PodDisruptionBudget
that blocks a drain, the OrderedReady forced-rollback trap, the same trap with maxUnavailable 2.

Each test collects every view that does not tell the truth and fails once, listing them with
what they printed (Findings); KUBECTL_STS_INCIDENTS_DUMP=FILE appends every view's output to
FILE as JSON lines. The stopped kubelet is sandbox only (the `sandbox` fixture). The bad image is
`IMAGE:no-such-tag`, a tag no registry has: on a real cluster the pull fails (ErrImagePull, then
ImagePullBackOff); the session sandbox is told the same for the test's duration
(Config.missing_images, kubectl_sts_sandbox/containers.py)."""

import contextlib
import json
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from builders import statefulset
from helpers import (create, max_unavailable_by_default, node_ready_is, pod_ready, ready_status,
                     settle, sts_settled, wait_for, watch_items)
from kubectl_sts.errors import EXIT_REFUSED, EXIT_ROLLOUT_FAILED

# -- the views, and what the scenarios share --------------------------------------------------

Shown = Tuple[int, str, str]                 # (exit code, stdout, stderr)
Run = Callable[..., Shown]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STOP = "sandbox.kubectl-sts.io/kubelet=stopped"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")
MISSING = "*:no-such-tag"
# set KUBECTL_STS_INCIDENTS_DUMP=FILE to append every view's output (JSON lines) to FILE
DUMP = os.environ.get("KUBECTL_STS_INCIDENTS_DUMP")


def views(run: Run, name: str, ordinal: int) -> Dict[str, Shown]:
    """Every view of the set `name` a user reads in an incident, read only: {view: shown}."""
    return {
        "status": run("status", name),
        "status -o wide": run("status", name, "-o", "wide"),
        "rollout": run("rollout", name),
        "rollout --status": run("rollout", name, "--status", "--timeout", "3s"),
        "wait": run("wait", name, "--timeout", "3s"),
        "repair --dry-run": run("repair", name, "--ordinal", str(ordinal), "--dry-run"),
        "doctor": run("doctor", name),
    }


def shown_text(shown: Shown, lines: int = 30) -> str:
    """What a command printed, trimmed for a failure message."""
    code, out, err = shown
    text = ["    exit %d" % code]
    for stream, body in (("stdout", out), ("stderr", err)):
        rows = [r[:200] for r in body.rstrip().splitlines()]
        if len(rows) > lines:
            rows = rows[:lines] + ["... (%d more lines)" % (len(rows) - lines)]
        text += ["    %s: %s" % (stream, "(empty)" if not rows else "")]
        text += ["      | " + r for r in rows]
    return "\n".join(text)


class Findings:
    """Every way the views fail to tell the truth in one scenario, asserted at the end (so one
    run reports them all)."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.failures: List[str] = []

    def check(self, ok: Any, what: str, shown: Optional[Shown] = None) -> None:
        if not ok:
            self.failures.append(what + ("\n" + shown_text(shown) if shown else ""))

    def tokens(self, seen: Dict[str, Shown], tokens: Sequence[str]) -> None:
        """Each view names every token (in stdout or stderr, in any case: `ROLLOUT STUCK`
        says `stuck`)."""
        for view, shown in seen.items():
            text = (shown[1] + shown[2]).lower()
            missing = [t for t in tokens if t.lower() not in text]
            self.check(not missing, "`kubectl sts %s` does not say %s" % (
                view, ", ".join(repr(t) for t in missing)), shown)

    def dump(self, label: str, seen: Dict[str, Shown]) -> None:
        if DUMP:
            with open(DUMP, "a", encoding="utf-8") as f:
                for view, (code, out, err) in seen.items():
                    f.write(json.dumps({"scenario": self.scenario, "step": label,
                                        "view": view, "code": code, "stdout": out,
                                        "stderr": err}) + "\n")

    def verify(self) -> None:
        assert not self.failures, "%s: %d finding(s)\n\n%s" % (
            self.scenario, len(self.failures), "\n\n".join(self.failures))


def mysql(kubectl: Callable[..., Any], apps: Any, namespace: str, replicas: int = 3,
          storage_class: Optional[str] = None) -> None:
    """examples/mysql.yaml as its header says (the secret first), scaled to `replicas` and
    settled; `storage_class` on its claim template."""
    import yaml
    with open(os.path.join(ROOT, "examples", "mysql.yaml"), encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        if doc["kind"] == "StatefulSet":
            doc["spec"]["replicas"] = replicas
            if storage_class:
                doc["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = \
                    storage_class
    done = kubectl("create", "secret", "generic", "mysql-secrets",
                   "--from-literal=root-password=CHANGE-ME")
    assert done.returncode == 0, done.stderr
    done = kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    assert done.returncode == 0, done.stderr
    wait_for(apps.list_namespaced_stateful_set, sts_settled("mysql", replicas), timeout=60,
             namespace=namespace)


def pods(core: Any, namespace: str) -> Dict[str, Any]:
    body = json.loads(core.list_namespaced_pod(namespace, _preload_content=False).data)
    return {p["metadata"]["name"]: p for p in body["items"]}


def node_of(core: Any, namespace: str, pod: str) -> str:
    return str(core.read_namespaced_pod(pod, namespace).spec.node_name)


def taints(kubectl: Callable[..., Any], node: str) -> List[Dict[str, Any]]:
    doc = json.loads(kubectl("get", "node", node, "-o", "json", namespaced=False).stdout)
    return list(doc["spec"].get("taints") or [])


def stop_kubelet(core: Any, kubectl: Callable[..., Any], node: str) -> None:
    """The node's kubelet stops (sandbox only): its Ready goes Unknown."""
    assert kubectl("annotate", "node", node, STOP, namespaced=False).returncode == 0
    wait_for(core.list_node, node_ready_is(node, "Unknown"), timeout=30)


def restore_node(core: Any, kubectl: Callable[..., Any], node: str) -> None:
    """The kubelet back, no out-of-service taint, uncordoned: the node as the session found it."""
    kubectl("annotate", "node", node, "sandbox.kubectl-sts.io/kubelet-", namespaced=False)
    kubectl("taint", "node", node, OUT_OF_SERVICE + "-", namespaced=False)
    kubectl("uncordon", node, namespaced=False)
    wait_for(core.list_node, lambda nodes: not nodes[node]["spec"].get("taints") and
             not nodes[node]["spec"].get("unschedulable"), timeout=30)


def pull_failing(pod: Optional[Dict[str, Any]]) -> bool:
    """The pod's container waits on an image it cannot pull."""
    for cs in ((pod or {}).get("status") or {}).get("containerStatuses") or []:
        if ((cs.get("state") or {}).get("waiting") or {}).get("reason") in PULL_FAILURES:
            return True
    return False


def revision(pod: Dict[str, Any]) -> str:
    return str(pod["metadata"].get("labels", {}).get("controller-revision-hash"))


def all_ready_at(name: str, replicas: int, rev: str) -> Callable[[Dict[str, Any]], bool]:
    """A wait_for predicate over pods: name-0..replicas-1 Ready, at revision `rev`."""
    def check(items: Dict[str, Any]) -> bool:
        return all(p is not None and pod_ready(p) and revision(p) == rev and
                   not p["metadata"].get("deletionTimestamp")
                   for p in (items.get("%s-%d" % (name, i)) for i in range(replicas)))
    return check


# -- scenarios ---------------------------------------------------------------------------------

@pytest.fixture
def missing_tag(_session_sandbox):
    """Images tagged `no-such-tag` fail to pull, as they do on a real cluster."""
    if _session_sandbox is None:
        yield
        return
    config = _session_sandbox.cluster.config
    before = config.missing_images
    config.missing_images = tuple(before) + (MISSING,)
    try:
        yield
    finally:
        config.missing_images = before


@pytest.fixture
def sts(cli, missing_tag):
    """`kubectl sts ARGS...` in-process (conftest's cli), with `*:no-such-tag` missing."""
    return cli


def _sts(apps, namespace, name):
    return json.loads(apps.read_namespaced_stateful_set(name, namespace,
                                                        _preload_content=False).data)


def _stage_and_fail(sts, name, image, ordinal, steps=1):
    """Stage `image` (CONTAINER=IMAGE) with the plugin and step: the step's health gate fails
    (exit 9) on NAME-ORDINAL."""
    code, out, err = sts("rollout", name, "--image", image)
    assert code == 0, out + err
    code, out, err = sts("rollout", name, "--step", str(steps), "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, out + err
    assert "%s-%d" % (name, ordinal) in out + err, out + err


def _last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _pdbs(core):
    from kubernetes import client
    return client.PolicyV1Api(core.api_client).list_namespaced_pod_disruption_budget


@contextlib.contextmanager
def _dead_node_under(core, kubectl, namespace, pod):
    """POD's node stops (its kubelet stops posting status): the node goes Ready=Unknown, the
    node lifecycle controller marks its pods not Ready (pkg/controller/util/node/
    controller_utils.go MarkPodsNotReady, from node_lifecycle_controller.go). Yields the
    node's name; the node is restored on the way out."""
    node = node_of(core, namespace, pod)
    try:
        stop_kubelet(core, kubectl, node)
        wait_for(core.list_namespaced_pod, lambda pods: ready_status(pods[pod]) ==
                 "False", timeout=30, namespace=namespace)
        yield node
    finally:
        restore_node(core, kubectl, node)


def test_a_dead_node_under_a_zonal_volume(sandbox, apps, core, namespace, kubectl, sts):
    """Scenario 1: the default class's volume is zonal (docs/sandbox.md: sandbox-node-1 and -2
    share zone-a); the node of the ordinal in zone-a is down. Every view names the pod and its
    node; the volume can follow the pod to the other node of its zone, so repair (past
    --min-down) taints the node out-of-service and the ordinal comes back there."""
    mysql(kubectl, apps, namespace)
    ordinal = next(o for o in range(3) if node_of(core, namespace, "mysql-%d" % o) in
                   ("sandbox-node-1", "sandbox-node-2"))
    pod = "mysql-%d" % ordinal
    found = Findings("dead node, zonal volume")
    with _dead_node_under(core, kubectl, namespace, pod) as node:
        seen = views(sts, "mysql", ordinal)
        found.tokens(seen, [pod, "node %s is not Ready" % node])
        for view, shown in seen.items():
            found.check("pinned" not in shown[1] + shown[2], "`kubectl sts %s` calls a zonal "
                        "volume with another node in its zone pinned" % view, shown)
        healed = sts("repair", "mysql", "--ordinal", str(ordinal), "--yes", "--min-down",
                     "0s", "--timeout", "60s")
        found.check(healed[0] == 0 and "%s is Ready again" % pod in healed[1],
                    "repair --min-down 0s does not bring %s back" % pod, healed)
        found.check(node_of(core, namespace, pod) != node,
                    "%s came back on the dead node" % pod, healed)
    found.dump("views", dict(seen, **{"repair --yes --min-down 0s": healed}))
    found.verify()


def test_a_dead_node_under_a_node_local_volume(sandbox, apps, core, namespace, kubectl, sts):
    """Scenario 2: mysql-2's volume is of the `local` class (the sandbox's node-local class:
    kubectl_sts_sandbox/storage.py, the PV's node affinity is kubernetes.io/hostname), its node
    is down. Every view names the node and the pinning; repair refuses before any write (an
    out-of-service taint would only leave the pod Pending on `volume node affinity conflict`:
    the volume cannot follow it), naming --fresh-volume and the data lost with it."""
    mysql(kubectl, apps, namespace, storage_class="local")
    found = Findings("dead node, node-local volume")
    with _dead_node_under(core, kubectl, namespace, "mysql-2") as node:
        seen = views(sts, "mysql", 2)
        found.tokens(seen, ["mysql-2", "node %s is not Ready" % node, "pinned to %s" % node])
        # --timeout bounds today's behaviour (taint, then wait for a pod that cannot come)
        shown = sts("repair", "mysql", "--ordinal", "2", "--yes", "--min-down", "0s",
                    "--timeout", "5s")
        applied = [t for t in taints(kubectl, node) if t["key"] == OUT_OF_SERVICE]
    found.dump("views", dict(seen, **{"repair --yes --min-down 0s": shown}))
    code, out, err = shown
    found.check(code == EXIT_REFUSED, "`repair mysql --ordinal 2 --yes --min-down 0s` exits "
                "%d, not %d (refused)" % (code, EXIT_REFUSED), shown)
    found.check(not applied, "repair wrote to node %s before refusing: %s" % (node, applied))
    found.check("--fresh-volume" in out + err, "repair's refusal does not name --fresh-volume",
                shown)
    found.check([line for line in (out + err).splitlines() if "lost" in line.lower() and
                 "data" in line.lower()],
                "repair's refusal does not say the data is lost with a fresh volume", shown)
    found.verify()


def test_a_bad_image_mid_rollout(apps, core, namespace, kubectl, sts):
    """Scenario 3: mysql-2 cannot pull mysql:no-such-tag after one step. Every view names
    mysql-2 and the image pull; the plan and status name the undo; --status fails fast as
    `wait` does; an undo (after --all, or plain) ends `rolled back`, never `complete`."""
    mysql(kubectl, apps, namespace)
    good = _sts(apps, namespace, "mysql")["status"]["updateRevision"]
    found = Findings("bad image mid-rollout")
    _stage_and_fail(sts, "mysql", "mysql=mysql:no-such-tag", 2)
    seen = views(sts, "mysql", 2)
    found.dump("views", seen)
    found.tokens(seen, ["mysql-2", "ImagePull"])
    found.tokens({v: seen[v] for v in ("status", "rollout")}, ["kubectl sts rollout mysql --undo"])

    # fails fast on what `wait` fails fast on (exit 9), long before its --timeout (exit 10)
    shown = sts("rollout", "mysql", "--status", "--timeout", "60s")
    found.dump("--status 60s", {"rollout --status --timeout 60s": shown})
    found.check(shown[0] == EXIT_ROLLOUT_FAILED, "`rollout mysql --status --timeout 60s` exits "
                "%d, not %d" % (shown[0], EXIT_ROLLOUT_FAILED), shown)

    shown = sts("rollout", "mysql", "--all", "--on-failure=undo", "--yes", "--timeout", "60s")
    found.dump("--all --on-failure=undo", {"rollout --all --on-failure=undo --yes": shown})
    found.check(shown[0] == EXIT_ROLLOUT_FAILED, "`rollout mysql --all --on-failure=undo` exits "
                "%d, not %d" % (shown[0], EXIT_ROLLOUT_FAILED), shown)
    found.check("complete" not in shown[1], "`rollout mysql --all --on-failure=undo` failed "
                "and says `complete`", shown)
    found.check("rolled back" in shown[1], "`rollout mysql --all --on-failure=undo` does not "
                "say `rolled back`", shown)
    wait_for(core.list_namespaced_pod, all_ready_at("mysql", 3, good), timeout=60,
             namespace=namespace)

    _stage_and_fail(sts, "mysql", "mysql=mysql:no-such-tag", 2)
    shown = sts("rollout", "mysql", "--undo", "--yes", "--timeout", "60s")
    found.dump("--undo", {"rollout --undo --yes": shown})
    found.check(shown[0] == 0 and "rolled back" in _last_line(shown[1]), "`rollout mysql --undo "
                "--yes` does not end with a line saying `rolled back`", shown)
    wait_for(core.list_namespaced_pod, all_ready_at("mysql", 3, good), timeout=60,
             namespace=namespace)
    found.verify()


def test_a_pdb_that_blocks_a_drain(apps, core, namespace, kubectl, sts):
    """Scenario 4: a PodDisruptionBudget of minAvailable 3 over 3 replicas allows no
    disruption; `kubectl drain` of mysql-1's node cordons it, is refused every eviction (429,
    pkg/registry/core/pod/storage/eviction.go) and gives up at its --timeout. Every view names
    mysql-1, the budget and the cordon."""
    mysql(kubectl, apps, namespace)
    node = node_of(core, namespace, "mysql-1")
    done = kubectl("create", "pdb", "mysql-pdb", "--selector", "app=mysql", "--min-available",
                   "3")
    assert done.returncode == 0, done.stderr
    wait_for(_pdbs(core), lambda items: (
        (items.get("mysql-pdb") or {}).get("status") or {}).get("expectedPods") == 3,
        timeout=30, namespace=namespace)
    found = Findings("PDB blocks a drain")
    try:
        drained = kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data",
                          "--timeout", "5s", namespaced=False)
        assert drained.returncode != 0, drained.stdout + drained.stderr
        assert "disruption budget" in drained.stderr, drained.stderr
        seen = views(sts, "mysql", 1)
        found.dump("views", seen)
        found.tokens(seen, ["mysql-1", "mysql-pdb", "cordoned"])
    finally:
        restore_node(core, kubectl, node)
    found.verify()


def test_the_forced_rollback_trap(apps, core, namespace, kubectl, sts):
    """Scenario 5: OrderedReady, `kubectl set image` to a missing tag reaches web-2, then
    `kubectl rollout undo` puts the template back; web-2 stays at a revision that is no longer
    the update revision and the controller never replaces it (the StatefulSet docs, "Forced
    rollback"; pkg/controller/statefulset/stateful_set_control.go updateStatefulSet stops at a
    pod that is not Running and Ready under OrderedReady). Every view names web-2 stuck; repair
    brings it back at the restored revision."""
    create(apps, core, namespace, statefulset(replicas=3))
    good = settle(apps, namespace, "web", 3)["status"]["updateRevision"]
    done = kubectl("set", "image", "sts/web", "app=nginx:no-such-tag")
    assert done.returncode == 0, done.stderr
    wait_for(core.list_namespaced_pod, lambda items: pull_failing(items.get("web-2")) and
             revision(items["web-2"]) != good, timeout=60, namespace=namespace)
    done = kubectl("rollout", "undo", "sts/web")
    assert done.returncode == 0, done.stderr
    wait_for(apps.list_namespaced_stateful_set, lambda items: (
        items["web"].get("status") or {}).get("observedGeneration") ==
        items["web"]["metadata"]["generation"] and
        items["web"]["status"].get("updateRevision") == good, timeout=30, namespace=namespace)
    assert revision(pods(core, namespace)["web-2"]) != good

    found = Findings("forced-rollback trap")
    seen = views(sts, "web", 2)
    found.dump("views", seen)
    found.tokens(seen, ["web-2", "stuck"])

    shown = sts("repair", "web", "--ordinal", "2", "--yes", "--timeout", "60s")
    found.dump("repair --yes", {"repair --yes": shown})
    found.check(shown[0] == 0, "`repair web --ordinal 2 --yes` exits %d" % shown[0], shown)
    web2 = pods(core, namespace).get("web-2")
    found.check(web2 is not None and all_ready_at("web", 3, good)(pods(core, namespace)),
                "after repair, web-2 is not Ready at the restored revision %s: %s" % (
                    good, web2 and (revision(web2), web2.get("status", {}).get("phase"))))
    found.verify()


def test_the_forced_rollback_trap_with_max_unavailable_2(api_client, apps, core, namespace, sts):
    """Scenario 6: OrderedReady with maxUnavailable 2 (MaxUnavailableStatefulSet, on by
    default in the release the sandbox plays); `--step 2` has the controller delete web-5 and
    web-4 at once (stateful_set_control.go, updateStatefulSet with maxUnavailable), and make
    them again in order: web-4 first, which cannot pull, so web-5 is never made (OrderedReady:
    processReplica stops at the first replica not Running and Ready). Every view names the pod
    the controller waits on and the verdict; `--undo --yes` finishes, deleting only pods that
    fail (never one that is merely starting)."""
    if not max_unavailable_by_default(api_client):
        pytest.skip("the cluster drops rollingUpdate.maxUnavailable (gate off)")
    create(apps, core, namespace, statefulset(replicas=6, max_unavailable=2, claims=()))
    good = settle(apps, namespace, "web", 6)["status"]["updateRevision"]
    _stage_and_fail(sts, "web", "app=nginx:no-such-tag", 4, steps=2)
    now = pods(core, namespace)
    blocking = sorted(name for name in ("web-4", "web-5") if pull_failing(now.get(name)))
    assert blocking and blocking[0] == "web-4", {n: (revision(p), p["status"].get("phase"))
                                                 for n, p in now.items()}

    found = Findings("forced-rollback trap, maxUnavailable 2")
    seen = views(sts, "web", 4)
    found.dump("views", seen)
    found.tokens(seen, ["stuck"] + blocking)

    # the undo, with every pod deletion it causes recorded from the watch
    listed = json.loads(core.list_namespaced_pod(namespace, _preload_content=False).data)
    failing = {p["metadata"]["uid"] for p in listed["items"] if pull_failing(p)}
    shown = sts("rollout", "web", "--undo", "--yes", "--timeout", "60s")
    found.dump("--undo", {"rollout --undo --yes": shown})
    found.check(shown[0] == 0, "`rollout web --undo --yes` exits %d" % shown[0], shown)
    found.check("rolled back" in _last_line(shown[1]), "`rollout web --undo --yes` does not "
                "end with a line saying `rolled back`", shown)
    if shown[0] == 0:
        wait_for(core.list_namespaced_pod, all_ready_at("web", 6, good), timeout=30,
                 namespace=namespace)
    found.check(all_ready_at("web", 6, good)(pods(core, namespace)), "after the undo, not "
                "every ordinal is Ready at %s: %s" % (good, {n: (revision(p), p["status"].get(
                    "phase")) for n, p in pods(core, namespace).items()}))
    deleted = {}
    for kind, pod, _ in watch_items(core.list_namespaced_pod, 1,
                                    resource_version=listed["metadata"]["resourceVersion"],
                                    namespace=namespace):
        uid = pod["metadata"]["uid"]
        if pull_failing(pod):
            failing.add(uid)
        if (kind == "DELETED" or pod["metadata"].get("deletionTimestamp")) and \
                uid not in deleted:
            deleted[uid] = "%s (%s)" % (pod["metadata"]["name"], pod["status"].get("phase"))
    found.check(any(what.startswith("web-4 ") for what in deleted.values()),
                "the undo never deleted web-4, the pod the controller waits on: deleted %s"
                % sorted(deleted.values()))
    wrongly = sorted(what for uid, what in deleted.items() if uid not in failing)
    found.check(not wrongly, "the undo deleted pods that were not failing: %s" % wrongly)
    found.verify()
