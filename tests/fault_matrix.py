"""The fault matrix's harness (issue 27): run the plugin as a process against the sandbox with
one fault on one write (or a SIGKILL while that write is held back), follow the advice it
printed, and read back what the cluster holds. Used by tests/test_fault_matrix.py."""

import os
import re
import signal
import subprocess
import sys
import time
from typing import List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LEASE = "kubectl-sts.web"
HOLD = 2.0          # seconds a write is held back so that a SIGKILL lands while it is pending
ADVICE = re.compile(r"(?:continue|finish)[a-z ]* with: (kubectl sts [^\n(]*?)\s*(?:\(backup: ([^)]+)\)"
                    r"|\(waits|$)", re.M)


def plugin(kubeconfig, namespace, argv):
    return [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace] \
        + list(argv)


def run(kubeconfig, namespace, argv, timeout=120):
    """Run `kubectl sts ARGV` as a process; returns (exit code, stdout, stderr)."""
    done = subprocess.run(plugin(kubeconfig, namespace, argv), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=ROOT),
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def until(predicate, timeout=60, what="a condition"):
    """Poll the sandbox's own records (its fault log, request log) until predicate() holds:
    they are in-process lists with no watch to follow."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for %s" % what
        time.sleep(0.05)


def served(sandbox, rule):
    """The request log entries answered under `rule` (a held-back request, once served)."""
    return [e for e in list(sandbox.request_log) if e.get("fault") and
            rule.name in e["fault"].split(",")]


def killed_while_held(sandbox, kubeconfig, namespace, argv, method, path_regex, nth=1):
    """Start `kubectl sts ARGV`, hold back the requests matching (method, path_regex) for
    HOLD seconds each, SIGKILL the plugin while it waits for the answer to the `nth`, then wait until the held
    request has been served (as a real API server goes on with a request whose client died).
    Returns the killed process's exit code and pid."""
    rule = sandbox.faults.add(latency=HOLD, method=method, path_regex=path_regex, times=nth)
    proc = subprocess.Popen(plugin(kubeconfig, namespace, argv), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        until(lambda: rule.fired >= nth or proc.poll() is not None, timeout=90,
              what="the plugin to reach %s %s" % (method, path_regex))
        assert rule.fired >= nth, "the plugin ended (exit %s) before %s %s" % (
            proc.returncode, method, path_regex)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=30)
        until(lambda: len(served(sandbox, rule)) >= nth, timeout=30,
              what="the held request to be served")
        return code, proc.pid
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sandbox.faults.remove(rule)


def advice(out, err):
    """The command the plugin's output says continues the work, as an argv (without
    `kubectl sts`), or None when it says nothing of the kind."""
    found = list(ADVICE.finditer(out + "\n" + err))
    if found:
        command, backup = found[-1].group(1), found[-1].group(2)
        argv = command.split()[2:]
        if backup:
            argv += ["--backup", backup.strip()]
        return argv
    if "run the same command again" in err:
        return []           # the caller's own command
    return None


def follow(kubeconfig, namespace, argv, code, out, err, killed, take=("--force",)):
    """What a user does next: a killed run is run again (the same command); a failed one is
    continued with the command its output gives. The lock a killed run leaves is refused with
    advice (--wait-lock DURATION or --force); that advice is followed too with `take`
    (--force: the holder is dead).
    Returns the list of (argv, exit code, stdout, stderr) run after the first."""
    steps: List[Tuple[List[str], int, str, str]] = []
    if code == 0 and not killed:
        return steps
    nxt = list(argv) if killed else advice(out, err)
    assert nxt is not None, "no advice printed (exit %d):\n%s\n%s" % (code, out, err)
    if not nxt:
        nxt = list(argv)
    for _ in range(4):
        if "--yes" not in nxt:
            nxt.append("--yes")
        code, out, err = run(kubeconfig, namespace, nxt)
        steps.append((nxt, code, out, err))
        if code == 0:
            return steps
        if "being changed by another kubectl-sts" in err and take[0] not in nxt:
            assert "wait for it with --wait-lock DURATION, or take it over with --force" in \
                err, err
            nxt = nxt + list(take)
            continue
        after = advice(out, err)
        assert after is not None, "no advice printed (exit %d):\n%s\n%s" % (code, out, err)
        nxt = after or nxt
    raise AssertionError("the advice did not finish the work: %r" % (steps,))
