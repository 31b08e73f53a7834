"""`kubectl sts status` end to end: the command against a cluster (the sandbox by default, a
real cluster with KUBECTL_STS_TEST_KUBECONFIG). Only the request-count and fault-injection
tests need the sandbox itself."""

import json
import os
import queue
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

import pytest

import yaml

from builders import statefulset
from helpers import create, create_settled, max_unavailable_by_default, settle, wait_for
from kubectl_sts.cli.app import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEPARATOR = "--- partition "
FAILING_PULL = ("ErrImagePull", "ImagePullBackOff")


# -- helpers -----------------------------------------------------------------------------------

def run_status(capsys, kubeconfig, namespace, *args):
    """`kubectl-sts status ARGS` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "status"] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def patch_template(apps, namespace, name, annotation="2", **spec):
    """A template change (a new revision) without pulling a new image."""
    body = {"spec": dict({"template": {"metadata": {"annotations": {
        "kubectl-sts.test/rev": annotation}}}}, **spec)}
    apps.patch_namespaced_stateful_set(name, namespace, body)


def table_rows(text):
    """{pod name: cells} of the ordinal table, and the list of table lines."""
    import re
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("ORDINAL ", "POD ")))
    table = []
    for line in lines[start:]:
        if not line.strip():
            break
        table.append(line)
    headers = re.split(r"\s{3,}", table[0].strip())
    rows = {}
    for line in table[1:]:
        if line.startswith(SEPARATOR):
            continue
        cells = re.split(r"\s{3,}", line.strip())
        rows[cells[headers.index("POD")]] = dict(zip(headers, cells))
    return rows, table


def waiting_reason(pod):
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            return waiting["reason"]
    return None


def restarts(pod):
    return sum(cs.get("restartCount", 0)
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


# -- the table as a user reads it ---------------------------------------------------------------

def test_healthy_set(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2)
    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "StatefulSet %s/web" % namespace
    assert lines[1] == "Replicas:        2 desired | 2 ready | 2 available | 2 updated | 2 current"
    assert lines[2].startswith("Revision:        web-") and lines[2].endswith("(up to date)")
    assert lines[3] == "Update strategy: RollingUpdate, partition 0" + (
        ", maxUnavailable 1 (honoured)" if max_unavailable_by_default(apps.api_client) else "")
    assert lines[4] == "Pod management:  OrderedReady   minReadySeconds: 0   ordinals start: 0"
    assert lines[5] == "Service:         web (headless)"
    assert lines[6] == "PVC retention:   whenDeleted=Retain, whenScaled=Retain"
    rows, table = table_rows(out)
    assert len(table) == 3 and SEPARATOR not in out
    assert list(rows) == ["web-0", "web-1"]
    for ordinal in (0, 1):
        row = rows["web-%d" % ordinal]
        assert row["STATUS"] == "Running 1/1"
        assert row["REVISION"] == "current"
        assert row["RESTARTS"] == "0"
        assert row["PVC"] == "data-web-%d (Bound, 1Gi)" % ordinal
        assert row["DNS"] == "web-%d.web.%s.svc.cluster.local" % (ordinal, namespace)
    assert "STUCK" not in out and "Orphaned" not in out and "MISSING" not in out
    # the namespace appears once per row (in the DNS name): at "default" the table fits 120
    assert max(len(line) for line in table) - len(namespace) + len("default") <= 120
    code, out, err = run_status(capsys, kubeconfig, namespace, "web", "-o", "wide")
    rows, _ = table_rows(out)
    for ordinal in (0, 1):
        row = rows["web-%d" % ordinal]
        assert row["ORDINAL"] == str(ordinal) and row["NODE"] != "-"
        assert row["PVC"].startswith("data-web-%d (Bound, 1Gi, " % ordinal)

    code, out, err = run_status(capsys, kubeconfig, namespace, "web", "--check")
    assert code == 0 and out.startswith("StatefulSet %s/web" % namespace)

    code, out, _ = run_status(capsys, kubeconfig, namespace, "web", "--cluster-domain",
                              "corp.example")
    assert table_rows(out)[0]["web-1"]["DNS"] == "web-1.web.%s.svc.corp.example" % namespace

    code, out, _ = run_status(capsys, kubeconfig, namespace, "web", "-o", "wide")
    rows, _ = table_rows(out)
    assert rows["web-0"]["CONTAINERS"] == "app:ready"
    assert rows["web-0"]["IMAGES"] == "nginx:1.27"
    assert rows["web-0"]["IP"] != "-"


def test_rollout_with_a_partition(capsys, kubeconfig, apps, core, namespace):
    before = create_settled(apps, core, namespace, replicas=3, partition=2)
    old_revision = before["status"]["currentRevision"]
    patch_template(apps, namespace, "web")

    def web2_updated(items):
        st = items["web"].get("status") or {}
        return st.get("observedGeneration", 0) >= items["web"]["metadata"]["generation"] and \
            st.get("updatedReplicas") == 1 and st.get("readyReplicas") == 3
    sts = wait_for(apps.list_namespaced_stateful_set, web2_updated, namespace=namespace)["web"]
    new_revision = sts["status"]["updateRevision"]
    assert new_revision != old_revision

    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert ("Revisions:       current %s, update %s (rollout in progress: 1 of 3 updated)"
            % (old_revision, new_revision)) in out.splitlines()
    assert "Update strategy: RollingUpdate, partition 2" + (
        ", maxUnavailable 1 (honoured)" if max_unavailable_by_default(apps.api_client) else "") \
        in out.splitlines()
    rows, table = table_rows(out)
    assert [line.split()[0] for line in table[1:]] == ["web-0", "web-1", "---", "web-2"]
    assert table[3] == ("--- partition 2: ordinals above this line stay at the current "
                        "revision, ordinals below it update ---")
    assert [rows["web-%d" % o]["REVISION"] for o in range(3)] == ["current", "current",
                                                                  "updated"]
    assert all(rows["web-%d" % o]["STATUS"] == "Running 1/1" for o in range(3))

    code, out, err = run_status(capsys, kubeconfig, namespace, "web", "-o", "json")
    assert code == 0, err
    view = json.loads(out)
    assert view["apiVersion"] == "kubectl-sts/v1" and view["kind"] == "StatefulSetStatus"
    assert (view["namespace"], view["name"]) == (namespace, "web")
    assert view["revisions"] == {"current": old_revision, "update": new_revision,
                                 "rolloutInProgress": True}
    assert view["updateStrategy"]["type"] == "RollingUpdate"
    assert view["updateStrategy"]["partition"] == 2
    assert view["replicas"]["desired"] == 3 and view["replicas"]["updated"] == 1
    assert [o["revisionState"] for o in view["ordinals"]] == ["current", "current", "updated"]
    assert [o["revision"] for o in view["ordinals"]] == [old_revision, old_revision,
                                                         new_revision]
    assert [o["belowPartition"] for o in view["ordinals"]] == [True, True, False]
    assert all(o["isReady"] for o in view["ordinals"])
    assert view["ordinals"][2]["containers"][0]["name"] == "app"
    assert view["stuck"] is None and view["healthy"] is False

    code, out, _ = run_status(capsys, kubeconfig, namespace, "web", "--check")
    assert code == 8 and "--- partition 2" in out


def test_stuck_rollout(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=3)
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "registry.invalid/x:1"}]}}}})

    def web2_fails(items):
        pod = items.get("web-2")
        return pod is not None and waiting_reason(pod) in FAILING_PULL and \
            pod["spec"]["containers"][0]["image"] == "registry.invalid/x:1"
    wait_for(core.list_namespaced_pod, web2_fails, namespace=namespace)

    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    stuck_lines = [line for line in out.splitlines() if line.startswith("ROLLOUT STUCK")]
    assert len(stuck_lines) == 1
    assert stuck_lines[0].startswith("ROLLOUT STUCK at web-2: web-2 runs the update revision")
    rows, _ = table_rows(out)
    assert rows["web-2"]["STATUS"] in [s + " FAILING" for s in FAILING_PULL]
    assert rows["web-2"]["REVISION"] == "updated"
    assert rows["web-0"]["REVISION"] == rows["web-1"]["REVISION"] == "current"

    code, out, _ = run_status(capsys, kubeconfig, namespace, "web", "-o", "json", "--check")
    assert code == 8
    view = json.loads(out)
    assert view["stuck"]["pod"] == "web-2" and view["stuck"]["kind"] == "rollout"
    assert view["stuck"]["atUpdateRevision"] is True
    assert view["healthy"] is False


def test_start_ordinal(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2, start=5)
    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert "ordinals start: 5" in out
    rows, table = table_rows(out)
    assert list(rows) == ["web-5", "web-6"]
    assert [line.split()[0] for line in table[1:]] == ["web-5", "web-6"]
    _, wide = table_rows(run_status(capsys, kubeconfig, namespace, "web", "-o", "wide")[1])
    assert [line.split()[0] for line in wide[1:]] == ["5", "6"]
    assert rows["web-5"]["PVC"].startswith("data-web-5 (Bound")
    assert rows["web-6"]["DNS"] == "web-6.web.%s.svc.cluster.local" % namespace
    assert rows["web-6"]["STATUS"] == "Running 1/1"


def test_scaled_down_set_lists_orphaned_pvcs(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=5, pod_management="Parallel")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"replicas": 3}})
    settle(apps, namespace, "web", 3)
    wait_for(core.list_namespaced_pod, lambda pods: sorted(pods) == ["web-0", "web-1", "web-2"],
             namespace=namespace)

    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    rows, _ = table_rows(out)
    assert list(rows) == ["web-0", "web-1", "web-2"]
    lines = out.splitlines()
    i = lines.index("Orphaned PVCs (ordinals outside 0..2, kept by the retention policy or "
                    "earlier scale-downs):")
    assert lines[i + 1].split() == ["PVC", "ORDINAL", "STATUS", "CAPACITY", "STORAGECLASS",
                                    "AGE"]
    assert [line.split()[:3] for line in lines[i + 2:i + 4]] == [
        ["data-web-3", "3", "Bound"], ["data-web-4", "4", "Bound"]]
    assert "Pods leaving" not in out

    view = json.loads(run_status(capsys, kubeconfig, namespace, "web", "-o", "json")[1])
    assert [(p["name"], p["ordinal"]) for p in view["orphanedPVCs"]] == [
        ("data-web-3", 3), ("data-web-4", 4)]


def test_two_claim_templates(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2, claims=("data", "logs"))
    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    rows, table = table_rows(out)
    assert table[0].split() == ["POD", "STATUS", "REVISION", "RESTARTS", "AGE",
                                "PVC", "DATA", "PVC", "LOGS", "DNS"]
    for ordinal in (0, 1):
        row = rows["web-%d" % ordinal]
        assert row["PVC DATA"].startswith("data-web-%d (Bound, 1Gi" % ordinal)
        assert row["PVC LOGS"].startswith("logs-web-%d (Bound, 1Gi" % ordinal)
    view = json.loads(run_status(capsys, kubeconfig, namespace, "web", "-o", "json")[1])
    assert [[(p["template"], p["name"], p["exists"]) for p in o["pvcs"]]
            for o in view["ordinals"]] == [
        [("data", "data-web-0", True), ("logs", "logs-web-0", True)],
        [("data", "data-web-1", True), ("logs", "logs-web-1", True)]]
    assert view["ordinals"][0]["pvcs"][0]["volume"]


def test_missing_headless_service(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, with_service=False, replicas=1)
    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert ("Service:         web (MISSING: the headless Service does not exist, so the DNS "
            "names below do not resolve)") in out.splitlines()
    view = json.loads(run_status(capsys, kubeconfig, namespace, "web", "-o", "json")[1])
    assert view["service"] == {"name": "web", "exists": False, "headless": False}


def test_on_delete(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2, strategy="OnDelete")
    patch_template(apps, namespace, "web")

    def new_revision(items):
        st = items["web"].get("status") or {}
        return st.get("observedGeneration", 0) >= items["web"]["metadata"]["generation"] and \
            st.get("updateRevision") and st.get("updateRevision") != st.get("currentRevision")
    sts = wait_for(apps.list_namespaced_stateful_set, new_revision, namespace=namespace)["web"]

    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert "Update strategy: OnDelete (pods update only when deleted)" in out.splitlines()
    assert "(rollout in progress: 0 of 2 updated)" in out
    assert SEPARATOR not in out and "STUCK" not in out
    rows, _ = table_rows(out)
    assert [rows[p]["REVISION"] for p in ("web-0", "web-1")] == ["current", "current"]
    view = json.loads(run_status(capsys, kubeconfig, namespace, "web", "-o", "json")[1])
    assert view["updateStrategy"] == {"type": "OnDelete", "partition": None,
                                      "maxUnavailable": None}
    assert view["revisions"]["update"] == sts["status"]["updateRevision"]
    assert view["healthy"] is False


def test_parallel_crash_loop_is_not_called_stuck(capsys, kubeconfig, apps, core, namespace):
    sts = statefulset(replicas=2, pod_management="Parallel", containers=[
        {"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", "exit 1"]}])
    create(apps, core, namespace, sts)
    wait_for(core.list_namespaced_pod,
             lambda pods: len(pods) == 2 and all(restarts(p) >= 1 for p in pods.values()),
             namespace=namespace)

    code, out, err = run_status(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert "Pod management:  Parallel   minReadySeconds: 0   ordinals start: 0" in out
    assert "STUCK" not in out and "BLOCKED" not in out
    rows, _ = table_rows(out)
    assert list(rows) == ["web-0", "web-1"]
    for row in rows.values():
        assert not row["STATUS"].endswith("1/1")
        assert int(row["RESTARTS"]) >= 1
    view = json.loads(run_status(capsys, kubeconfig, namespace, "web", "-o", "json")[1])
    assert view["podManagementPolicy"] == "Parallel"
    assert view["stuck"] is None
    assert not any(o["isReady"] for o in view["ordinals"])
    assert run_status(capsys, kubeconfig, namespace, "web", "--check")[0] == 8


def test_yaml_output_parses(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=1)
    code, out, err = run_status(capsys, kubeconfig, namespace, "web", "-o", "yaml")
    assert code == 0, err
    view = yaml.safe_load(out)
    assert view["kind"] == "StatefulSetStatus" and view["name"] == "web"
    assert view["ordinals"][0]["pod"] == "web-0"
    assert view["ordinals"][0]["dns"] == "web-0.web.%s.svc.cluster.local" % namespace
    assert view["ordinals"][0]["pvcs"][0]["name"] == "data-web-0"
    assert view["healthy"] is True and view["stuck"] is None
    assert view["service"] == {"name": "web", "exists": True, "headless": True}


def test_not_found(capsys, kubeconfig, namespace):
    code, out, err = run_status(capsys, kubeconfig, namespace, "nope")
    assert code == 3
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert 'statefulsets.apps "nope" not found' in err
    code, _, err = run_status(capsys, kubeconfig, namespace, "nope", "--check")
    assert code == 3 and len(err.strip().splitlines()) == 1


def test_list_mode(capsys, kubeconfig, apps, core, namespace):
    create(apps, core, namespace, statefulset(name="web", replicas=2))
    create(apps, core, namespace, statefulset(name="db", replicas=1, strategy="OnDelete"))
    settle(apps, namespace, "web", 2)
    settle(apps, namespace, "db", 1)

    code, out, err = run_status(capsys, kubeconfig, namespace)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "UPDATED", "REVISION", "PARTITION",
                                "STRATEGY", "PVC", "POLICY", "(DELETED/SCALED)", "AGE"]
    by_name = {line.split()[0]: line.split()[:-1] for line in lines[1:]}
    assert by_name == {
        "db": ["db", "1/1", "1/1", "up", "to", "date", "-", "OnDelete", "Retain/Retain"],
        "web": ["web", "2/2", "2/2", "up", "to", "date", "0", "RollingUpdate", "Retain/Retain"]}
    assert all(re.match(r"^[0-9]+[smhd]", line.split()[-1]) for line in lines[1:])

    code, out, err = run_status(capsys, kubeconfig, namespace, "-A")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"]
    ours = sorted(line.split()[:3] for line in lines[1:] if line.split()[0] == namespace)
    assert ours == [[namespace, "db", "1/1"], [namespace, "web", "2/2"]]

    code, out, _ = run_status(capsys, kubeconfig, namespace, "-o", "json")
    listing = json.loads(out)
    assert listing["kind"] == "StatefulSetList"
    assert sorted(i["name"] for i in listing["items"]) == ["db", "web"]


def test_list_mode_in_an_empty_namespace(capsys, kubeconfig, namespace):
    code, out, err = run_status(capsys, kubeconfig, namespace)
    assert code == 0 and out == ""
    assert err.strip() == "No StatefulSets found in %s namespace." % namespace


# -- processes ---------------------------------------------------------------------------------

def _line_reader(stream):
    lines: "queue.Queue[Optional[str]]" = queue.Queue()

    def pump():
        for line in iter(stream.readline, ""):
            lines.put(line)
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(lines, predicate, timeout=30):
    """Read lines until predicate(line); returns everything read (fails at EOF/timeout)."""
    seen: List[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError("timed out; read so far:\n" + "".join(seen))
        if line is None:
            raise AssertionError("output ended; read so far:\n" + "".join(seen))
        seen.append(line)
        if predicate(line):
            return seen


def _watch_marks(line):
    line = line.rstrip("\n")
    return {line} | ({"web-1 running"} if line.startswith("web-1 ") and "Running 1/1" in line
                     else set())


def test_watch_redraws_and_stops_on_sigint(kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=1, pod_management="Parallel")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
         "status", "web", "--watch"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1"))
    try:
        lines = _line_reader(proc.stdout)
        first = _read_until(lines, lambda ln: ln.startswith("Replicas:"))
        assert first[0].rstrip("\n") == "StatefulSet %s/web" % namespace
        _read_until(lines, lambda ln: ln.startswith("web-0 "))     # the first view, whole
        apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"replicas": 2}})
        # in a pipe, as kubectl get -w: one line per change, never the whole view again
        # (the pod's line and the set's counts come from two watches: either may be first)
        wanted = {"statefulset/web: 2 desired | 2 ready | 2 available | 2 updated | 2 current",
                  "web-1 running"}
        later = []
        while wanted:
            later += _read_until(lines, lambda ln: bool(wanted & _watch_marks(ln)))
            wanted -= _watch_marks(later[-1])
        assert not any(ln.startswith(("StatefulSet ", "Replicas:", "POD ")) for ln in later)
        assert all(ln.startswith(("web-1 ", "statefulset/web: ")) for ln in later), later
        # nothing a user would see changes now (ages do not count): nothing is printed
        with pytest.raises(AssertionError, match="timed out"):
            _read_until(lines, lambda ln: True, timeout=2.5)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _run_plugin(tmp_path, kubectl_bin, args, env=None):
    """`kubectl ARGS` with a `kubectl-sts` wrapper (running this checkout) first on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    plugin = bindir / "kubectl-sts"
    plugin.write_text('#!/bin/sh\nexec "%s" -m kubectl_sts "$@"\n' % sys.executable)
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    full_env = dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""),
                    PYTHONPATH=ROOT)
    full_env.update(env or {})
    return subprocess.run([kubectl_bin] + list(args), capture_output=True, text=True,
                          env=full_env, timeout=60)


def test_runs_as_a_kubectl_plugin(tmp_path, kubectl_bin, kubeconfig, apps, core, namespace):
    # kubectl refuses flags before a plugin's name ("flags cannot be placed before plugin
    # name"), so kubectl's global flags go after `sts`
    create_settled(apps, core, namespace, replicas=1)
    result = _run_plugin(tmp_path, kubectl_bin, ["sts", "--kubeconfig", kubeconfig,
                                                 "-n", namespace, "status", "web"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "StatefulSet %s/web" % namespace
    rows, _ = table_rows(result.stdout)
    assert rows["web-0"]["STATUS"] == "Running 1/1"
    assert rows["web-0"]["DNS"] == "web-0.web.%s.svc.cluster.local" % namespace


# -- sandbox only --------------------------------------------------------------------------------

def _status_requests(sandbox, since, namespace):
    return [r for r in sandbox.request_log[since:]
            if r["user_agent"].startswith("kubectl-sts/") and
            "/namespaces/%s/" % namespace in r["path"]]


def test_request_count_does_not_grow_with_replicas(capsys, sandbox, kubeconfig, apps, core,
                                                   namespace):
    create(apps, core, namespace, statefulset(name="small", replicas=3,
                                              pod_management="Parallel"))
    create(apps, core, namespace, statefulset(name="big", replicas=30,
                                              pod_management="Parallel"))
    settle(apps, namespace, "small", 3)
    settle(apps, namespace, "big", 30)
    counts = {}
    for name, replicas in (("small", 3), ("big", 30)):
        before = len(sandbox.request_log)
        code, out, err = run_status(capsys, kubeconfig, namespace, name)
        assert code == 0, err
        assert len(table_rows(out)[0]) == replicas
        requests = _status_requests(sandbox, before, namespace)
        assert all(r["method"] == "GET" for r in requests)
        counts[name] = len(requests)
        # the diagnosis reads the nodes of the pods, a GET each, and the server's version
        nodes = {p.spec.node_name for p in core.list_namespaced_pod(
            namespace, label_selector="app=%s" % name).items}
        cluster = [r["path"] for r in sandbox.request_log[before:]
                   if r["user_agent"].startswith("kubectl-sts/") and
                   "/namespaces/" not in r["path"]]
        assert sorted(cluster) == sorted(["/version"] + ["/api/v1/nodes/%s" % n
                                                         for n in nodes]), cluster
    assert counts == {"small": 7, "big": 7}       # with the set's lock (a Lease)


def test_forbidden_events_are_noted_not_fatal(capsys, sandbox, kubeconfig, apps, core,
                                              namespace):
    create_settled(apps, core, namespace, replicas=1)
    message = ('events is forbidden: User "tester" cannot list resource "events" in API group '
               '"" in the namespace "%s"' % namespace)

    def forbid_events(handler, *_):
        if handler.command == "GET" and handler.url.path.rstrip("/").endswith("/events") and \
                "/namespaces/%s/" % namespace in handler.url.path:
            handler._send_json(403, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                     "status": "Failure", "message": message,
                                     "reason": "Forbidden",
                                     "details": {"kind": "events"}, "code": 403})
            return True
        return False

    sandbox.server.fault_hook = forbid_events
    try:
        code, out, err = run_status(capsys, kubeconfig, namespace, "web")
        json_code, json_out, _ = run_status(capsys, kubeconfig, namespace, "web", "-o", "json")
    finally:
        sandbox.server.fault_hook = None
    assert code == 0, err
    assert "Traceback" not in err
    not_shown = [line for line in out.splitlines() if line.startswith("Not shown:")]
    assert len(not_shown) == 1
    assert not_shown[0].startswith("Not shown: events (forbidden")
    assert message in not_shown[0]
    assert table_rows(out)[0]["web-0"]["STATUS"] == "Running 1/1"
    assert json_code == 0
    view = json.loads(json_out)
    assert len(view["unreadable"]) == 1 and view["unreadable"][0].startswith("events (forbidden")
    assert view["warnings"] == []


def test_plugin_takes_global_flags_after_the_subcommand(tmp_path, kubectl_bin, kubeconfig,
                                                        apps, core, namespace):
    create_settled(apps, core, namespace, replicas=1)
    result = _run_plugin(tmp_path, kubectl_bin, ["sts", "status", "web", "-n", namespace],
                         env={"KUBECONFIG": kubeconfig})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "StatefulSet %s/web" % namespace


def _without_ages(text):
    return re.sub(r"\b\d+[smhd]\b", "AGE", text)


def _status_rounds(sandbox, capsys, argv, namespace, delay):
    """Run status with every namespaced GET delayed by `delay`; return (exit code, stdout,
    {resource: [when each of its requests was answered]})."""
    rule = sandbox.faults.add(latency=delay, path_regex=r"/namespaces/%s/|^/api/v1/nodes/"
                              % namespace, method="GET", watch=False, times=None)
    try:
        before = len(sandbox.request_log)
        capsys.readouterr()
        code = main(argv)
    finally:
        sandbox.faults.remove(rule)
    out, err = capsys.readouterr()
    assert code == 0, err
    answered: Dict[str, List[Any]] = {}
    for e in sandbox.request_log[before:]:
        if namespace in e["path"]:
            parts = e["path"].split("/")
            kind = parts[parts.index("namespaces") + 2]
            answered.setdefault(kind, []).append(e["wall"])
        elif e["path"].startswith("/api/v1/nodes/"):
            answered.setdefault("nodes", []).append(e["wall"])
    return code, out, answered


def test_independent_reads_are_in_flight_together(sandbox, kubeconfig, apps, core, namespace,
                                                  capsys, tmp_path):
    """status reads the set and the events together, then pods, claims and the Service
    together (they need the set's selector and Service name); it caches those in kubectl's
    cache directory, so the next run sends all five at once. With every request delayed,
    requests in flight together are answered together; sequential ones a delay apart."""
    create_settled(apps, core, namespace, replicas=2)
    delay = 0.4
    argv = ["--kubeconfig", kubeconfig, "-n", namespace, "--cache-dir", str(tmp_path),
            "status", "web"]
    _, out, answered = _status_rounds(sandbox, capsys, argv, namespace, delay)
    assert "web-1   Running 1/1" in out
    nodes = answered.pop("nodes")
    assert sorted(answered) == ["events", "leases", "persistentvolumeclaims",
                                "poddisruptionbudgets", "pods", "services", "statefulsets"], \
        answered
    assert all(len(times) == 1 for times in answered.values()), answered
    first = answered["statefulsets"] + answered["events"] + answered["poddisruptionbudgets"] + \
        answered["leases"]
    second = answered["pods"] + answered["persistentvolumeclaims"] + answered["services"]
    assert max(first) - min(first) < delay / 2
    assert max(second) - min(second) < delay / 2
    assert min(second) - max(first) >= delay * 0.9      # the second round needs the first
    assert min(nodes) - max(second) >= delay * 0.9      # the nodes of the pods, a third round
    # the next run: one round trip, the same seven requests and the nodes guessed from the last
    # run, the same view
    _, again, answered = _status_rounds(sandbox, capsys, argv, namespace, delay)
    assert _without_ages(again) == _without_ages(out)
    assert len(answered["nodes"]) == len(nodes), answered
    every = [t for times in answered.values() for t in times]
    assert len(every) == 7 + len(nodes) and max(every) - min(every) < delay / 2


def test_a_wrong_cached_guess_is_read_again(sandbox, kubeconfig, apps, core, namespace,
                                            capsys, tmp_path):
    """The cache is a guess checked against the set the server returns: a set recreated
    under the same name with another selector and Service is shown right, at the cost of
    reading its pods, claims and Service a second time."""
    argv = ["--kubeconfig", kubeconfig, "-n", namespace, "--cache-dir", str(tmp_path),
            "status", "web"]
    create_settled(apps, core, namespace, replicas=1)
    assert main(argv) == 0
    apps.delete_namespaced_stateful_set("web", namespace, propagation_policy="Foreground")
    wait_for(core.list_namespaced_pod, lambda pods: not pods, timeout=60, namespace=namespace,
             label_selector="app=web")
    create(apps, core, namespace, statefulset(replicas=2, pod_labels={"app": "db"}, service="db"))
    settle(apps, namespace, "web", 2)
    _, out, answered = _status_rounds(sandbox, capsys, argv, namespace, 0.2)
    assert "web-1.db.%s.svc.cluster.local" % namespace in out
    assert "web-0   Running 1/1" in out and "web-1   Running 1/1" in out
    assert len(answered["pods"]) == 2 and len(answered["services"]) == 2, answered
    assert len(answered["statefulsets"]) == 1, answered
    # the cache now holds the new guess: one round again (one GET per node of the pods)
    _, _, answered = _status_rounds(sandbox, capsys, argv, namespace, 0.2)
    nodes = answered.pop("nodes")
    assert all(len(times) == 1 for times in answered.values()), answered
    every = [t for times in answered.values() for t in times] + nodes
    assert max(every) - min(every) < 0.1, answered


def test_an_unreadable_cache_is_no_cache(kubeconfig, apps, core, namespace, capsys, tmp_path):
    create_settled(apps, core, namespace, replicas=1)
    argv = ["--kubeconfig", kubeconfig, "-n", namespace, "--cache-dir", str(tmp_path),
            "status", "web"]
    assert main(argv) == 0
    entries = [e for e in tmp_path.rglob("web.json") if "statefulsets" in str(e)]
    assert len(entries) == 1 and namespace in str(entries[0])
    entries[0].write_text("{not json")
    code, out, err = run_status(capsys, kubeconfig, namespace, "--cache-dir", str(tmp_path),
                                "web")
    assert code == 0 and "web-0   Running 1/1" in out, err
    assert "{not json" not in entries[0].read_text()        # rewritten with the right guess
    # a cache directory that cannot be written changes nothing a user sees
    blocked = tmp_path / "file"
    blocked.write_text("")
    code, again, err = run_status(capsys, kubeconfig, namespace, "--cache-dir", str(blocked),
                                  "web")
    assert code == 0 and err == "" and _without_ages(again) == _without_ages(out)
