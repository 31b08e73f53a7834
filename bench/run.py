#!/usr/bin/env python3
"""Benchmark kubectl-sts against kubectl itself, on the sandbox (issues 7 and 15).

    python bench/run.py [--sizes 10,1000,10000] [--latencies 0,20,50,100] [--repeat 7]
                        [--only status,startup,rollout,soak] [--soak-minutes 30] [--readme]

Starts one HTTPS sandbox (as a real cluster; kubectl then speaks HTTP/2, the plugin HTTP/1.1
over pooled keep-alive connections), creates StatefulSets of each size (one claim template,
every pod Ready), and measures, each figure `--repeat` times side by side with kubectl in the
same run (median, min, max; ratios of medians):
- status: whole processes, `kubectl sts status NAME` (its selector cache warm, as from the
  second run on; and cold, a fresh cache directory each run) against kubectl's equivalent
  reads (`kubectl get sts NAME` + `kubectl get pods,pvc -l app=NAME`), at every simulated
  network round trip (`Sandbox.latency`, 0/20/50/100 ms), with the requests each made and
  peak RSS;
- start-up of each install form: `--help` / `--version` from a pip install (a fresh venv),
  from the krew zipapp after its first run (and that first run), and through kubectl's plugin
  dispatch, against `kubectl version --client` / `kubectl --help`;
- rollout: `rollout --all` of 20 and 200 replicas at 0 and 50 ms: the delay between the last
  pod of a step becoming Ready and the next partition write, on the sandbox's clock (at 50 ms
  the write itself carries one round trip, reported apart);
- soak: `status --watch` of a 1000-replica set under churn (a pod deleted every 2 s, the set
  scaled by one every minute) for --soak-minutes, RSS sampled every 10 s, next to
  `kubectl get pods -l app=soak -w`.
Prints a summary and writes bench/results/<timestamp>.json; --readme regenerates the
performance table of docs/performance.md from it. Not part of the test suite."""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kubectl_sts_sandbox import Sandbox  # noqa: E402
from kubectl_sts_sandbox.cluster import Config  # noqa: E402
from kubectl_sts_sandbox.resources import BY_KIND  # noqa: E402

STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]
PLUGIN = [sys.executable, "-m", "kubectl_sts"]     # main() replaces it by a pip install's
TIME = "/usr/bin/time"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
TABLE_DOC = os.path.join("docs", "performance.md")   # where --readme writes the table


# -- measuring -----------------------------------------------------------------------------

def run_measured(cmd, env=None):
    """Run a command; return (wall seconds, peak RSS in MB, stdout bytes).

    Peak RSS comes from GNU time run as a launcher: on Linux a child's ru_maxrss keeps the
    high-water mark of the process that forked it (here the harness, which holds the
    sandbox), so the measured command must be forked by something small."""
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


def ratio(a, b):
    return a["median"] / b["median"] if b["median"] else None


def count_requests(sb, since, agent_prefix):
    return sum(1 for r in sb.request_log[since:] if r["user_agent"].startswith(agent_prefix))


def statefulset(name, replicas, policy="Parallel"):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"serviceName": name, "replicas": replicas,
                     "podManagementPolicy": policy,
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                                           "terminationGracePeriodSeconds": 1}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}}]}}


def service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "None", "selector": {"app": name}}}


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s" % what)
        time.sleep(0.05)      # the harness only; nothing measured depends on it


def ready_count(sb, name):
    sts = sb.store.peek(STS, "default", name)
    return ((sts or {}).get("status") or {}).get("readyReplicas", 0)


def create_ready(sb, name, replicas, policy="Parallel", timeout=900):
    sb.apply([service(name), statefulset(name, replicas, policy)])
    wait_until(lambda: ready_count(sb, name) == replicas, timeout, name)


# -- status --------------------------------------------------------------------------------

def bench_status(sb, sizes, latencies, latency_sizes, repeat, env):
    sb.latency = 0
    rows = []
    cache = tempfile.mkdtemp(prefix="kubectl-sts-bench-cache-")
    for size in sizes:                 # the largest set is created last: it costs CPU
        create_ready(sb, "s%d" % size, size)
        for latency in latencies:
            if latency and size not in latency_sizes:
                continue
            sb.latency = latency / 1000.0
            name = "s%d" % size
            warm = dict(env, KUBECACHEDIR=cache)
            plugin = PLUGIN + ["--kubeconfig", sb.kubeconfig, "status", name]
            kubectl_a = ["kubectl", "--kubeconfig", sb.kubeconfig, "get", "sts", name]
            kubectl_b = ["kubectl", "--kubeconfig", sb.kubeconfig, "get", "pods,pvc", "-l",
                         "app=%s" % name]
            # one warm-up of each (the selector cache, kubectl's discovery cache, page cache)
            run_measured(plugin, warm)
            run_measured(kubectl_a, env)
            t: Dict[str, List[float]] = {"warm": [], "cold": [], "kubectl": []}
            mem: Dict[str, List[float]] = {"warm": [], "cold": [], "kubectl": []}
            req: Dict[str, List[int]] = {"warm": [], "cold": [], "kubectl": []}
            for _ in range(repeat):
                for label in ("warm", "cold"):
                    run_env = warm if label == "warm" else dict(
                        env, KUBECACHEDIR=tempfile.mkdtemp(prefix="kubectl-sts-bench-cold-"))
                    mark = len(sb.request_log)
                    wall, peak, _ = run_measured(plugin, run_env)
                    t[label].append(wall)
                    mem[label].append(peak)
                    req[label].append(count_requests(sb, mark, "kubectl-sts/"))
                mark = len(sb.request_log)
                t1, m1, _ = run_measured(kubectl_a, env)
                t2, m2, _ = run_measured(kubectl_b, env)
                t["kubectl"].append(t1 + t2)
                mem["kubectl"].append(max(m1, m2))
                req["kubectl"].append(count_requests(sb, mark, "kubectl/"))
            row = {"replicas": size, "latency_ms": latency}
            for label in t:
                row[label] = {"seconds": summary(t[label]), "peak_mb": summary(mem[label]),
                              "requests": summary(req[label])}
            row["ratio_warm"] = ratio(row["warm"]["seconds"], row["kubectl"]["seconds"])
            row["ratio_cold"] = ratio(row["cold"]["seconds"], row["kubectl"]["seconds"])
            rows.append(row)
            print("status %5d replicas %3d ms: warm %.3f s, cold %.3f s, kubectl %.3f s "
                  "(%.2fx / %.2fx), peak %.0f MB vs %.0f MB" % (
                      size, latency, row["warm"]["seconds"]["median"],
                      row["cold"]["seconds"]["median"], row["kubectl"]["seconds"]["median"],
                      row["ratio_warm"], row["ratio_cold"], row["warm"]["peak_mb"]["max"],
                      row["kubectl"]["peak_mb"]["max"]), flush=True)
    sb.latency = 0
    shutil.rmtree(cache, ignore_errors=True)
    return rows


# -- start-up ------------------------------------------------------------------------------

def _real_python():
    """An interpreter that is not a wrapper script (pyenv shims cost ~150 ms a start)."""
    for candidate in ("/usr/bin/python3", getattr(sys, "_base_executable", None),
                      os.path.realpath(sys.executable)):
        if candidate and os.path.exists(candidate):
            return candidate
    return sys.executable


def install(work):
    """The plugin as users install it: a fresh venv with `pip install .` (the checkout's
    own editable venv starts ~30 ms slower: its import hook), and the krew zipapp."""
    python = _real_python()
    venv = os.path.join(work, "venv")
    subprocess.run([python, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet",
                    "--disable-pip-version-check", ROOT], check=True,
                   stderr=subprocess.DEVNULL)
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build_release
    built = build_release.build(os.path.join(work, "dist"),
                                os.path.join(ROOT, "build", "wheels"))
    return {"python": python, "venv": venv, "zipapp": built["zipapp"]}


def bench_startup(repeat, env, installed, work):
    python, venv = installed["python"], installed["venv"]
    krew_bin = os.path.join(work, "krew-bin")
    pip_bin = os.path.join(work, "pip-bin")
    shebang = os.path.join(work, "python-bin")
    for folder in (krew_bin, pip_bin, shebang):
        os.makedirs(folder)
    shutil.copy(installed["zipapp"], os.path.join(krew_bin, "kubectl-sts"))
    os.symlink(os.path.join(venv, "bin", "kubectl-sts"), os.path.join(pip_bin, "kubectl-sts"))
    os.symlink(python, os.path.join(shebang, "python3"))      # the zipapp's `env python3`
    base = dict(env, XDG_CACHE_HOME=os.path.join(work, "xdg"),
                KUBECACHEDIR=os.path.join(work, "kube-cache"))
    base.pop("PYTHONPATH", None)
    path = base.get("PATH", "")

    def with_path(folder):
        return dict(base, PATH=os.pathsep.join([folder, shebang, path]))

    out = {}
    first = run_measured([os.path.join(krew_bin, "kubectl-sts"), "--version"],
                         with_path(krew_bin))[0]
    out["krew first run (unpack + compile)"] = {"median": first, "min": first, "max": first,
                                                "n": 1}
    forms = [("pip", [os.path.join(venv, "bin", "kubectl-sts")], with_path(pip_bin)),
             ("krew", [os.path.join(krew_bin, "kubectl-sts")], with_path(krew_bin)),
             ("kubectl dispatch (krew)", ["kubectl", "sts"], with_path(krew_bin)),
             ("kubectl dispatch (pip)", ["kubectl", "sts"], with_path(pip_bin))]
    for label, cmd, run_env in forms:
        for flag in ("--help", "--version"):
            run_measured(cmd + [flag], run_env)        # the help cache, the page cache
            out["%s %s" % (label, flag)] = summary(
                [run_measured(cmd + [flag], run_env)[0] for _ in range(repeat)])
    for label, cmd in (("kubectl version --client", ["kubectl", "version", "--client"]),
                       ("kubectl --help", ["kubectl", "--help"])):
        run_measured(cmd, base)
        out[label] = summary([run_measured(cmd, base)[0] for _ in range(repeat)])
    return out


# -- rollout -------------------------------------------------------------------------------

def bench_rollout(sb, env, replicas, latency):
    """Delay between the last pod of a step becoming Ready and the next partition write."""
    name = "roll%d-%d" % (replicas, latency)
    create_ready(sb, name, replicas, policy="OrderedReady")
    ready_at: Dict[str, float] = {}   # pod name -> when it became Ready at the update revision
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
        sb.latency = latency / 1000.0
        sb.store.listeners.append(listener)
        ready_at.clear()
        started = time.monotonic()
        subprocess.run(PLUGIN + ["--kubeconfig", sb.kubeconfig, "rollout", name, "--all",
                                 "--timeout", "10m"],
                       check=True, capture_output=True, env=env, timeout=3600)
        seconds = time.monotonic() - started
    finally:
        sb.latency = 0
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
    out = {"replicas": replicas, "latency_ms": latency, "steps": len(writes),
           "seconds": seconds, "delay_ms": summary(delays) if delays else None}
    if delays and latency:
        out["delay_minus_rtt_ms"] = summary([d - latency for d in delays])
    print("rollout %d replicas at %d ms: %d steps in %.1f s, delay median %.1f ms" % (
        replicas, latency, len(writes), seconds,
        out["delay_ms"]["median"] if delays else float("nan")), flush=True)
    return out


# -- soak ----------------------------------------------------------------------------------

def _rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def bench_soak(sb, env, minutes, replicas=1000):
    from kubectl_sts.client.connection import Connection
    from kubectl_sts.client.kubeconfig import ConnectionOptions
    name = "soak"
    create_ready(sb, name, replicas)
    conn = Connection(ConnectionOptions(kubeconfig=sb.kubeconfig))
    logs = tempfile.mkdtemp(prefix="kubectl-sts-bench-soak-")
    plugin_out = open(os.path.join(logs, "plugin.out"), "w")
    kubectl_out = open(os.path.join(logs, "kubectl.out"), "w")
    plugin = subprocess.Popen(PLUGIN + ["--kubeconfig", sb.kubeconfig, "status", name,
                                        "--watch"], stdout=plugin_out,
                              stderr=subprocess.STDOUT, env=env)
    kubectl = subprocess.Popen(["kubectl", "--kubeconfig", sb.kubeconfig, "get", "pods", "-l",
                                "app=" + name, "-w"], stdout=kubectl_out,
                               stderr=subprocess.STDOUT, env=env)
    stop = threading.Event()
    churn = {"deleted": 0, "scaled": 0}

    def churner():
        rng = random.Random(1)
        size = replicas
        last_scale = time.monotonic()
        while not stop.wait(2.0):
            ordinal = rng.randrange(size)
            try:
                conn.request("DELETE", "/api/v1/namespaces/default/pods/%s-%d" % (name, ordinal))
                churn["deleted"] += 1
            except Exception:
                pass
            if time.monotonic() - last_scale >= 60:
                size = replicas + 1 if size == replicas else replicas
                conn.request("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/%s/scale"
                             % name, body={"spec": {"replicas": size}},
                             content_type="application/merge-patch+json")
                churn["scaled"] += 1
                last_scale = time.monotonic()
    thread = threading.Thread(target=churner, daemon=True)
    thread.start()
    samples = []            # (seconds since start, plugin MB, kubectl MB)
    started = time.monotonic()
    try:
        while time.monotonic() - started < minutes * 60:
            time.sleep(10)
            samples.append((time.monotonic() - started, _rss_mb(plugin.pid),
                            _rss_mb(kubectl.pid)))
            if plugin.poll() is not None or kubectl.poll() is not None:
                break
    finally:
        stop.set()
        thread.join(timeout=10)
        alive = plugin.poll() is None
        for proc in (plugin, kubectl):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        plugin_out.close()
        kubectl_out.close()
    lines = sum(1 for _ in open(os.path.join(logs, "plugin.out")))
    shutil.rmtree(logs, ignore_errors=True)

    def window(index, first):
        n = max(1, len(samples) // 6)        # the first and the last sixth (5 of 30 minutes)
        part = samples[:n] if first else samples[-n:]
        return max(s[index] for s in part if s[index] is not None)
    out = {"minutes": (samples[-1][0] / 60.0) if samples else 0, "replicas": replicas,
           "plugin_alive_at_end": alive, "churn": churn, "plugin_lines": lines,
           "samples": samples}
    if samples:
        out["plugin_mb"] = {"first": window(1, True), "last": window(1, False),
                            "max": max(s[1] for s in samples if s[1] is not None)}
        out["kubectl_mb"] = {"first": window(2, True), "last": window(2, False),
                             "max": max(s[2] for s in samples if s[2] is not None)}
    print("soak %.1f min: plugin %s MB, kubectl %s MB, churn %s" % (
        out["minutes"], out.get("plugin_mb"), out.get("kubectl_mb"), churn), flush=True)
    return out


# -- the machine ---------------------------------------------------------------------------

def cpu_times():
    """(steal, total) jiffies of all CPUs from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_share(before, after):
    """The share of CPU time the hypervisor gave to other guests meanwhile (a loaded host
    slows every process; the side-by-side ratios stay comparable, absolute times do not)."""
    if not before or not after or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / float(after[1] - before[1])


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       "")
    except OSError:
        pass
    kubectl = subprocess.run(["kubectl", "version", "--client", "-o", "json"],
                             capture_output=True, text=True).stdout
    try:
        kubectl = json.loads(kubectl)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        kubectl = "unknown"
    return {"cores": os.cpu_count(), "cpu": cpu, "system": platform.platform(),
            "python": sys.version.split()[0], "kubectl": kubectl}


# -- main ----------------------------------------------------------------------------------

def _ints(text):
    return [int(x) for x in text.split(",") if x]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--latencies", default="0,20,50,100", help="milliseconds")
    parser.add_argument("--latency-sizes", default="10,1000",
                        help="sizes also measured at latencies above 0")
    parser.add_argument("--rollout-sizes", default="20,200")
    parser.add_argument("--rollout-latencies", default="0,50")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="status,startup,rollout",
                        help="sections: status, startup, rollout, soak")
    parser.add_argument("--soak-minutes", type=float, default=30)
    parser.add_argument("--readme", action="store_true",
                        help="regenerate the performance table in %s from this run" % TABLE_DOC)
    parser.add_argument("--from", dest="from_files", metavar="JSON", nargs="+",
                        help="render (and with --readme write) earlier results, merged (a "
                             "later file's sections win); measure nothing")
    args = parser.parse_args()
    if args.from_files:
        results: Dict[str, Any] = {}
        for name in args.from_files:
            with open(name) as f:
                part = json.load(f)
            steal = dict((results.get("machine") or {}).get("steal") or {})
            steal.update((part.get("machine") or {}).get("steal") or {})
            results.update(part)
            results["machine"] = dict(part["machine"], steal=steal)
        print(render(results))
        if args.readme:
            write_readme(results, ", ".join(os.path.relpath(n, ROOT) for n in args.from_files))
        return
    for tool in ("kubectl", TIME):
        if shutil.which(tool) is None:
            sys.exit("bench: %s is not on PATH (GNU time: Debian package `time`)" % tool)
    sections = set(args.only.split(","))
    home = tempfile.mkdtemp(prefix="kubectl-sts-bench-")
    env = dict(os.environ, HOME=home)       # a private kubectl discovery cache
    for name in ("KUBECACHEDIR", "PYTHONPATH", "XDG_CACHE_HOME"):
        env.pop(name, None)
    work = tempfile.mkdtemp(prefix="kubectl-sts-bench-install-")
    installed = install(work)
    global PLUGIN
    PLUGIN = [os.path.join(installed["venv"], "bin", "kubectl-sts")]
    config = Config(start_seconds=0.0, ready_seconds=0.0, terminate_seconds=0.0)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "machine": machine(), "repeat": args.repeat}
    results["machine"]["plugin_python"] = subprocess.run(
        [installed["python"], "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True).stdout.strip()
    steal = {}
    # each section on a sandbox of its own: a 10 000-pod set left behind would slow the
    # sandbox's controller for the rollout and the soak
    for section in ("status", "startup", "rollout", "soak"):
        if section not in sections:
            continue
        before = cpu_times()
        if section == "startup":
            results["startup"] = bench_startup(args.repeat, env, installed, work)
            print("start-up: %s" % {k: round(v["median"] * 1000) for k, v in
                                    results["startup"].items()}, flush=True)
        else:
            with Sandbox(config=config, tls=True) as sb:
                if section == "status":
                    results["status"] = bench_status(
                        sb, sorted(_ints(args.sizes)), _ints(args.latencies),
                        _ints(args.latency_sizes), args.repeat, env)
                elif section == "rollout":
                    results["rollout"] = [bench_rollout(sb, env, n, lat)
                                          for n in _ints(args.rollout_sizes)
                                          for lat in _ints(args.rollout_latencies)]
                else:
                    results["soak"] = bench_soak(sb, env, args.soak_minutes)
        steal[section] = steal_share(before, cpu_times())
    results["machine"]["steal"] = steal
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    print(render(results))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(ROOT, "bench", "results", "%s-%s.json" % (stamp, "-".join(
        sorted(sections))))
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print("\nwritten: %s" % os.path.relpath(path, ROOT))
    if args.readme:
        write_readme(results, os.path.relpath(path, ROOT))


# -- reports -------------------------------------------------------------------------------

def _s(s):
    return "%.3f (%.3f-%.3f)" % (s["median"], s["min"], s["max"])


def _ms(s):
    return "%.0f (%.0f-%.0f) ms" % (s["median"] * 1000, s["min"] * 1000, s["max"] * 1000)


def render(results):
    lines = []
    if results.get("status"):
        lines.append("status, seconds: median (min-max) of %d" % results["repeat"])
        lines.append("%-8s %-5s %-22s %-22s %-22s %-12s %-9s %-9s" % (
            "replicas", "RTT", "plugin (cached)", "plugin (first run)", "kubectl", "ratio",
            "requests", "peak MB"))
        for r in results["status"]:
            lines.append("%-8d %-5s %-22s %-22s %-22s %-12s %-9s %-9s" % (
                r["replicas"], "%dms" % r["latency_ms"], _s(r["warm"]["seconds"]),
                _s(r["cold"]["seconds"]), _s(r["kubectl"]["seconds"]),
                "%.2f / %.2f" % (r["ratio_warm"], r["ratio_cold"]),
                "%d / %d" % (r["warm"]["requests"]["max"], r["kubectl"]["requests"]["max"]),
                "%.0f / %.0f" % (r["warm"]["peak_mb"]["max"], r["kubectl"]["peak_mb"]["max"])))
    if results.get("startup"):
        lines += ["", "start-up: median (min-max)"]
        for label, s in results["startup"].items():
            if isinstance(s, dict):
                lines.append("  %-34s %s" % (label, _ms(s)))
    for roll in results.get("rollout") or []:
        if roll["delay_ms"]:
            extra = ""
            if roll.get("delay_minus_rtt_ms"):
                extra = " (minus the write's round trip: median %.1f ms)" % (
                    roll["delay_minus_rtt_ms"]["median"])
            lines.append("rollout --all, %d replicas at %d ms RTT: %d steps in %.0f s; step "
                         "delay median %.1f ms, max %.1f ms%s" % (
                             roll["replicas"], roll["latency_ms"], roll["steps"],
                             roll["seconds"], roll["delay_ms"]["median"],
                             roll["delay_ms"]["max"], extra))
    soak = results.get("soak")
    if soak and soak.get("plugin_mb"):
        lines.append("soak: %.0f min of status --watch on %d replicas (%d pods deleted, %d "
                     "scalings): plugin RSS %.0f MB in the first sixth, %.0f MB in the last "
                     "(max %.0f); kubectl get pods -w %.0f -> %.0f MB" % (
                         soak["minutes"], soak["replicas"], soak["churn"]["deleted"],
                         soak["churn"]["scaled"], soak["plugin_mb"]["first"],
                         soak["plugin_mb"]["last"], soak["plugin_mb"]["max"],
                         soak["kubectl_mb"]["first"], soak["kubectl_mb"]["last"]))
    return "\n".join(lines)


def readme_table(results, source):
    m = results["machine"]
    steal = ", ".join("%s %.0f%%" % (k, v * 100) for k, v in (m.get("steal") or {}).items()
                      if v is not None)
    out = ["Measured %s on %d cores (%s), the plugin on Python %s, kubectl %s; from %s.%s" % (
        results["date"][:10], m["cores"], m["cpu"] or "unknown CPU",
        m.get("plugin_python") or m["python"], m["kubectl"],
        ", ".join("`%s`" % name for name in source.split(", ")),
        " CPU time stolen by the hypervisor meanwhile: %s." % steal if steal else ""), ""]
    if results.get("status"):
        out += ["| replicas | RTT | `kubectl sts status` (cached / first run) | kubectl's reads | "
                "ratio (cached / first) | requests | peak RSS (plugin / kubectl) |",
                "|---|---|---|---|---|---|---|"]
        for r in results["status"]:
            out.append("| %d | %d ms | %.3f s / %.3f s | %.3f s | %.2fx / %.2fx | %d / %d | "
                       "%.0f MB / %.0f MB |" % (
                           r["replicas"], r["latency_ms"], r["warm"]["seconds"]["median"],
                           r["cold"]["seconds"]["median"], r["kubectl"]["seconds"]["median"],
                           r["ratio_warm"], r["ratio_cold"], r["warm"]["requests"]["max"],
                           r["kubectl"]["requests"]["max"], r["warm"]["peak_mb"]["max"],
                           r["kubectl"]["peak_mb"]["max"]))
    if results.get("startup"):
        s = results["startup"]
        out += ["", "| start-up (median) | `--help` | `--version` |", "|---|---|---|"]
        for form in ("pip", "krew", "kubectl dispatch (krew)", "kubectl dispatch (pip)"):
            out.append("| %s | %.0f ms | %.0f ms |" % (form, s[form + " --help"]["median"] * 1000,
                                                    s[form + " --version"]["median"] * 1000))
        out.append("| kubectl itself (`--help` / `version --client`) | %.0f ms | %.0f ms |" % (
            s["kubectl --help"]["median"] * 1000, s["kubectl version --client"]["median"] * 1000))
        out.append("| krew's first run (unpack, compile) | %.0f ms | |" % (
            s["krew first run (unpack + compile)"]["median"] * 1000))
    rest = [ln for ln in render({k: v for k, v in results.items()
                                 if k in ("rollout", "soak")}).splitlines() if ln]
    if rest:
        out += [""] + ["- " + ln for ln in rest]
    return "\n".join(out)


def write_readme(results: dict, source: str) -> None:
    """Write the table between the bench:start and bench:end markers of docs/performance.md
    (the flag is still --readme: the table lived in README.md before)."""
    path = os.path.join(ROOT, TABLE_DOC)
    with open(path) as f:
        text = f.read()
    if README_START not in text or README_END not in text:
        sys.exit("bench: %s has no %s ... %s section" % (TABLE_DOC, README_START, README_END))
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    with open(path, "w") as f:
        f.write(before + README_START + "\n" + readme_table(results, source) + "\n" +
                README_END + after)
    print("%s: performance table regenerated" % TABLE_DOC)


if __name__ == "__main__":
    main()
