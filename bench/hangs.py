#!/usr/bin/env python3
"""Hang rate of the plugin's waits on lifelike sandboxes, many at a time (issue 11).

    python bench/hangs.py [--lanes 8] [--rounds 2] [--code DIR] [--json FILE]

Each lane is a user: its own `kubectl-sts sandbox` process with the demo's lifelike timings
(about a second per pod step), examples/web.yaml applied, then a sequence of waiting commands
run as processes, as a user types them: scale down and up, stage + `rollout --step`, `--to`,
`--all`, stage + `--step` + `--undo`, and `status --watch` following a `kubectl scale`. All
lanes run at the same time on this machine. A run "hangs" when it exits with the timeout code
(10), or lasts until its 40 s --timeout (where the plugin's fresh read may still make it
succeed), or, for `status --watch`, when the view has not shown the settled set within 40 s.
The table gives min/median/max seconds per command: a settled cluster shows as a tight range.

`--code DIR` runs the plugin and the sandbox of another checkout (e.g. a worktree of an older
commit), for a before/after comparison. Not part of the test suite."""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = "40s"
DEADLINE = 38.0       # a run this long waited until its --timeout


def plugin(code):
    return [sys.executable, "-m", "kubectl_sts"]


def env_for(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = code
    return env


class Lane:
    def __init__(self, code, index, results):
        self.code, self.index, self.results = code, index, results
        self.dir = tempfile.mkdtemp(prefix="hangs-%d-" % index)
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.sandbox = None

    def run(self, name, args, timeout=90, expect_timeout_code=10):
        cmd = plugin(self.code) + ["--kubeconfig", self.kubeconfig] + args
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env=env_for(self.code), cwd=self.dir, stdin=subprocess.DEVNULL)
            rc: "int | str" = proc.returncode
            err = proc.stderr.strip().splitlines()[-1:] or [""]
        except subprocess.TimeoutExpired:
            rc, err = "killed", ["killed after %ds" % timeout]
        took = time.monotonic() - start
        self.results.append({"lane": self.index, "command": name, "rc": rc, "seconds": took,
                             # a wait that ended at its deadline hung, even if the fresh
                             # read there made it succeed
                             "hang": rc in (expect_timeout_code, "killed") or took >= DEADLINE,
                             "error": err[0] if rc else ""})
        return rc

    def kubectl(self, *args):
        return subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig] + list(args),
                              capture_output=True, text=True, timeout=120)

    def start(self):
        self.sandbox = subprocess.Popen(
            plugin(self.code) + ["sandbox", "--kubeconfig", self.kubeconfig, "-f",
                                 os.path.join(ROOT, "examples", "web.yaml")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env_for(self.code),
            cwd=self.dir)
        output = self.sandbox.stdout
        assert output is not None
        for line in output:
            if "statefulset/web created" in line:
                break
        threading.Thread(target=lambda: [None for _ in output], daemon=True).start()
        ready = self.kubectl("rollout", "status", "sts/web", "--timeout=60s")
        if ready.returncode != 0:
            self.results.append({"lane": self.index, "command": "setup", "rc": ready.returncode,
                                 "seconds": 0, "hang": True, "error": ready.stderr.strip()})

    def status_watch(self, replicas):
        """`status -w` in a pipe while kubectl scales: done when a view's Replicas line shows
        `replicas` desired, ready, available, updated and current."""
        cmd = plugin(self.code) + ["--kubeconfig", self.kubeconfig, "status", "web", "-w"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=env_for(self.code), cwd=self.dir)
        start = time.monotonic()
        self.kubectl("scale", "sts/web", "--replicas=%d" % replicas)
        seen = threading.Event()
        n = replicas
        wanted = re.compile(r"^Replicas:\s+%d desired \| %d ready \| %d available \| %d updated "
                            r"\| %d current" % (n, n, n, n, n))

        def read():
            assert proc.stdout is not None
            for line in proc.stdout:
                if wanted.search(line):
                    seen.set()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        ok = seen.wait(40)
        took = time.monotonic() - start
        proc.terminate()
        proc.wait()
        self.results.append({"lane": self.index, "command": "status -w", "rc": 0 if ok else 10,
                             "seconds": took, "hang": not ok, "error": ""})

    def scenario(self, round_):
        t = ["--timeout", TIMEOUT]
        self.run("scale down", ["scale", "web", "--replicas", "1", "--yes"] + t)
        self.run("scale up", ["scale", "web", "--replicas", "3", "--yes"] + t)
        self.run("stage", ["rollout", "web", "--image", "nginx=nginx:1.%d" % (28 + 2 * round_)])
        self.run("rollout --step", ["rollout", "web", "--step", "--yes"] + t)
        self.run("rollout --to", ["rollout", "web", "--to", "1", "--yes"] + t)
        self.run("rollout --all", ["rollout", "web", "--all", "--yes"] + t)
        self.run("stage", ["rollout", "web", "--image", "nginx=nginx:1.%d" % (29 + 2 * round_)])
        self.run("rollout --step", ["rollout", "web", "--step", "--yes"] + t)
        self.run("rollout --undo", ["rollout", "web", "--undo", "--yes"] + t)
        self.status_watch(2)
        self.status_watch(3)

    def stop(self):
        if self.sandbox is not None:
            self.sandbox.terminate()
            self.sandbox.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--code", default=ROOT, help="checkout whose plugin and sandbox to run")
    parser.add_argument("--json", help="write every run here")
    args = parser.parse_args()
    results: list = []
    lanes = [Lane(os.path.abspath(args.code), i, results) for i in range(args.lanes)]

    def drive(lane):
        try:
            lane.start()
            for round_ in range(args.rounds):
                lane.scenario(round_)
        finally:
            lane.stop()
    threads = [threading.Thread(target=drive, args=(lane,)) for lane in lanes]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    by_command: dict = {}
    for r in results:
        by_command.setdefault(r["command"], []).append(r)
    print("%d lanes x %d rounds, %.0f s, code %s" % (args.lanes, args.rounds, wall, args.code))
    print("%-16s %5s %6s %7s %7s %7s  %s" % ("command", "runs", "hangs", "min s", "median",
                                              "max s", "other failures"))
    total_runs = total_hangs = 0
    for command, rs in by_command.items():
        secs = [r["seconds"] for r in rs]
        hangs = sum(1 for r in rs if r["hang"])
        others = sorted({"%s: %s" % (r["rc"], r["error"]) for r in rs if r["rc"] not in (0,)
                         and not r["hang"]})
        total_runs += len(rs)
        total_hangs += hangs
        print("%-16s %5d %6d %7.1f %7.1f %7.1f  %s" % (command, len(rs), hangs, min(secs),
                                                      statistics.median(secs), max(secs),
                                                      "; ".join(others)[:200]))
    print("total: %d runs, %d hangs" % (total_runs, total_hangs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"lanes": args.lanes, "rounds": args.rounds, "code": args.code,
                       "wall": wall, "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
