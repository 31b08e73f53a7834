#!/usr/bin/env python3
"""Benchmark kubectl-sts against kubectl itself, on the sandbox (issue 7).

    python bench/run.py [--sizes 10,100,1000] [--repeat 5]

Starts a sandbox, creates StatefulSets of each size (one claim template, all pods Ready),
then measures, several repetitions each (median, min, max):
- status: wall time and peak RSS of `kubectl-sts status NAME` as a separate process, against
  the real kubectl reading the same objects (`kubectl get sts NAME` + `kubectl get pods,pvc
  -l app=NAME`), the ratio, and the HTTP requests each made (sandbox request log);
- start-up: `kubectl-sts --help` / `--version` against `kubectl version --client`;
- rollout: a 20-replica `rollout --all`: the delay between the last pod of a step becoming
  Ready and the next partition write, both on the sandbox's clock;
- the sandbox itself: serving a list of 1000 pods.
Prints a table and writes bench/results/<timestamp>.json. Not part of the test suite."""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kubectl_sts.sandbox import Sandbox  # noqa: E402
from kubectl_sts.sandbox.cluster import Config  # noqa: E402
from kubectl_sts.sandbox.resources import BY_KIND  # noqa: E402

STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]
PLUGIN = [sys.executable, "-m", "kubectl_sts"]
TIME = "/usr/bin/time"


def run_measured(cmd, env=None):
    """Run a command; return (wall seconds, peak RSS in MB, stdout bytes).

    Peak RSS comes from GNU time run as a launcher: on Linux a child's ru_maxrss keeps the
    high-water mark of the process that forked it (here the harness, which holds the
    sandbox), so the measured command must be forked by something small."""
    if not os.path.exists(TIME):
        raise SystemExit("bench: %s (Debian package `time`) is needed to measure memory" % TIME)
    # output goes to files (never a pipe that could fill up while we wait)
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile() as rss:
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-q", "-o", rss.name, "-f", "%M"] + cmd, stdout=out,
                              stderr=subprocess.PIPE, env=env)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(cmd), proc.stderr.decode()[-500:]))
        peak_kb = int(open(rss.name).read().split()[-1])
        out.seek(0)
        return wall, peak_kb / 1024.0, out.read()


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def count_requests(sb, since, agent_prefix):
    return sum(1 for r in sb.request_log[since:] if r["user_agent"].startswith(agent_prefix))


def statefulset(name, replicas):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"serviceName": name, "replicas": replicas,
                     "podManagementPolicy": "Parallel",
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                                           "terminationGracePeriodSeconds": 1}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}}]}}


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s" % what)
        time.sleep(0.05)      # the harness only; nothing measured depends on it


def ready_count(sb, name):
    sts = sb.store.peek(STS, "default", name)
    return ((sts or {}).get("status") or {}).get("readyReplicas", 0)


def bench_status(sb, sizes, repeat, env):
    rows = []
    for size in sizes:
        name = "s%d" % size
        plugin_t, plugin_m, plugin_req = [], [], []
        kubectl_t, kubectl_m, kubectl_req = [], [], []
        # one warm-up of each (kubectl's discovery cache, the OS page cache)
        run_measured(PLUGIN + ["--kubeconfig", sb.kubeconfig, "status", name], env)
        run_measured(["kubectl", "--kubeconfig", sb.kubeconfig, "get", "sts", name], env)
        for _ in range(repeat):
            mark = len(sb.request_log)
            t, m, _ = run_measured(PLUGIN + ["--kubeconfig", sb.kubeconfig, "status", name], env)
            plugin_t.append(t)
            plugin_m.append(m)
            plugin_req.append(count_requests(sb, mark, "kubectl-sts/"))
            mark = len(sb.request_log)
            t1, m1, _ = run_measured(["kubectl", "--kubeconfig", sb.kubeconfig, "get", "sts",
                                      name], env)
            t2, m2, _ = run_measured(["kubectl", "--kubeconfig", sb.kubeconfig, "get",
                                      "pods,pvc", "-l", "app=%s" % name], env)
            kubectl_t.append(t1 + t2)
            kubectl_m.append(max(m1, m2))
            kubectl_req.append(count_requests(sb, mark, "kubectl/"))
        row = {"replicas": size, "plugin_seconds": summary(plugin_t),
               "plugin_peak_mb": summary(plugin_m), "plugin_requests": summary(plugin_req),
               "kubectl_seconds": summary(kubectl_t), "kubectl_peak_mb": summary(kubectl_m),
               "kubectl_requests": summary(kubectl_req)}
        row["ratio"] = row["plugin_seconds"]["median"] / row["kubectl_seconds"]["median"]
        rows.append(row)
    return rows


def bench_startup(repeat, env):
    out = {}
    for label, cmd in (("plugin --help", PLUGIN + ["--help"]),
                       ("plugin --version", PLUGIN + ["--version"]),
                       ("kubectl version --client", ["kubectl", "version", "--client"])):
        run_measured(cmd, env)
        out[label] = summary([run_measured(cmd, env)[0] for _ in range(repeat)])
    return out


def bench_rollout(sb, env, replicas=20):
    """Delay between the last pod of a step becoming Ready and the next partition write."""
    name = "roll"
    sts = statefulset(name, replicas)
    sts["spec"]["podManagementPolicy"] = "OrderedReady"
    sb.apply([sts])
    wait_until(lambda: ready_count(sb, name) == replicas, 120, "the rollout set")
    ready_at = {}              # pod name -> when it became Ready at the update revision
    partition_at = []          # (when the write was applied, new partition)
    state = {"partition": None}

    def listener(rt, etype, obj):
        now = sb.cluster.clock.now()
        if rt is STS and obj["metadata"]["name"] == name:
            value = obj["spec"]["updateStrategy"].get("rollingUpdate", {}).get("partition")
            if value != state["partition"]:
                state["partition"] = value
                partition_at.append((now, value))
        elif rt is POD and obj["metadata"]["name"].startswith(name + "-"):
            sts = sb.store.peek(STS, "default", name)
            update = ((sts or {}).get("status") or {}).get("updateRevision")
            labels = obj["metadata"].get("labels") or {}
            for cond in (obj.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "Ready" and cond.get("status") == "True" and \
                        labels.get("controller-revision-hash") == update:
                    ready_at.setdefault(obj["metadata"]["name"], now)
    try:
        subprocess.run(PLUGIN + ["--kubeconfig", sb.kubeconfig, "rollout", name, "--image",
                                 "app=nginx:1.28"], check=True, capture_output=True, env=env)
        sb.store.listeners.append(listener)
        ready_at.clear()
        subprocess.run(PLUGIN + ["--kubeconfig", sb.kubeconfig, "rollout", name, "--all"],
                       check=True, capture_output=True, env=env, timeout=600)
    finally:
        if listener in sb.store.listeners:
            sb.store.listeners.remove(listener)
    # the step that set partition p updates ordinal p; the next write should follow as soon as
    # that pod is Ready at the update revision
    writes = [(t, p) for t, p in partition_at if p is not None and p < replicas]
    delays = []
    for (t, p), (t_next, _) in zip(writes, writes[1:]):
        pod = "%s-%d" % (name, p)
        if pod in ready_at:
            delays.append((t_next - ready_at[pod]) * 1000.0)
    return {"replicas": replicas, "steps": len(writes), "delays_ms": delays,
            "delay_ms": summary(delays) if delays else None}


def bench_sandbox_list(sb, repeat):
    import urllib3
    pool = urllib3.PoolManager()
    url = sb.url + "/api/v1/namespaces/default/pods?labelSelector=app%3Ds1000"
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        response = pool.request("GET", url)
        assert response.status == 200 and len(json.loads(response.data)["items"]) == 1000
        times.append(time.perf_counter() - start)
    return summary(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if shutil.which("kubectl") is None:
        sys.exit("bench: kubectl is not on PATH")
    home = tempfile.mkdtemp(prefix="kubectl-sts-bench-")
    env = dict(os.environ, PYTHONPATH=ROOT, HOME=home)   # a private kubectl discovery cache
    config = Config(start_seconds=0.0, ready_seconds=0.0, terminate_seconds=0.0)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "python": sys.version.split()[0], "cores": os.cpu_count()}
    with Sandbox(config=config) as sb:
        t0 = time.perf_counter()
        for size in sizes:
            sb.apply([statefulset("s%d" % size, size)])
        for size in sizes:
            wait_until(lambda: ready_count(sb, "s%d" % size) == size, 600, "s%d" % size)
        results["setup_seconds"] = time.perf_counter() - t0
        results["status"] = bench_status(sb, sizes, args.repeat, env)
        results["startup"] = bench_startup(args.repeat, env)
        results["rollout"] = bench_rollout(sb, env)
        if 1000 in sizes:
            results["sandbox_list_1000_pods_seconds"] = bench_sandbox_list(sb, args.repeat)
    shutil.rmtree(home, ignore_errors=True)
    print(render(results))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(ROOT, "bench", "results", "%s.json" % stamp)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print("\nwritten: %s" % os.path.relpath(path, ROOT))


def render(results):
    lines = ["status (median of %d; min-max)" % results["status"][0]["plugin_seconds"]["n"],
             "%-9s %-24s %-24s %-6s %-10s %-12s" % ("replicas", "kubectl-sts s", "kubectl s",
                                                   "ratio", "requests", "peak MB")]
    for r in results["status"]:
        lines.append("%-9d %-24s %-24s %-6.2f %-10s %-12s" % (
            r["replicas"], _fmt(r["plugin_seconds"]), _fmt(r["kubectl_seconds"]), r["ratio"],
            "%d vs %d" % (r["plugin_requests"]["max"], r["kubectl_requests"]["max"]),
            "%.0f vs %.0f" % (r["plugin_peak_mb"]["max"], r["kubectl_peak_mb"]["max"])))
    lines.append("")
    lines.append("start-up (median; min-max)")
    for label, s in results["startup"].items():
        lines.append("  %-26s %s" % (label, _fmt(s, ms=True)))
    roll = results["rollout"]
    lines.append("")
    if roll["delay_ms"]:
        lines.append("rollout --all of %d replicas: %d partition writes; step delay median "
                     "%.1f ms, max %.1f ms" % (roll["replicas"], roll["steps"],
                                               roll["delay_ms"]["median"],
                                               roll["delay_ms"]["max"]))
    if "sandbox_list_1000_pods_seconds" in results:
        lines.append("sandbox: list of 1000 pods %s"
                     % _fmt(results["sandbox_list_1000_pods_seconds"], ms=True))
    return "\n".join(lines)


def _fmt(s, ms=False):
    k = 1000.0 if ms else 1.0
    unit = " ms" if ms else ""
    return "%.3f (%.3f-%.3f)%s" % (s["median"] * k, s["min"] * k, s["max"] * k, unit) if not ms \
        else "%.0f (%.0f-%.0f)%s" % (s["median"] * k, s["min"] * k, s["max"] * k, unit)


if __name__ == "__main__":
    main()
