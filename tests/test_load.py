"""Load: several lifelike sandboxes, each driven by a user's sequence of waiting commands, all
at once (issue 11). The plugin runs as processes, as users run them; each sandbox has the
lifelike timings of `kubectl-sts sandbox` (1 s per pod step, the bookmark period), not the fast
test timings. Every command must
finish well before its --timeout: a wait that lost an event would now end at its deadline
(the fresh read makes it succeed there), so "well before" is what shows nothing was lost.

Bounded: 4 lanes of 6 commands; about 20 s on 2 cores."""

import os
import subprocess
import sys
import threading
import time
from typing import Any, List, Tuple

import pytest

from conftest import REAL_KUBECONFIG, ROOT

pytestmark = pytest.mark.skipif(bool(REAL_KUBECONFIG), reason="starts sandboxes of its own")

LANES = 4
TIMEOUT = 20          # --timeout of every waiting command
WELL_BEFORE = 14      # seconds: each command must be done by then


def lane(index, results):
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    config = Config.demo()         # what `kubectl-sts sandbox` runs: 1 s per pod step
    with Sandbox(config=config) as sb:
        sb.apply_file(os.path.join(ROOT, "examples", "web.yaml"))
        assert sb.kubeconfig is not None
        base = [sys.executable, "-m", "kubectl_sts", "--kubeconfig", sb.kubeconfig]
        wait = ["--timeout", "%ds" % TIMEOUT]
        steps = [
            ("settle", ["scale", "web", "--replicas", "3", "--yes"] + wait),
            ("scale down", ["scale", "web", "--replicas", "1", "--yes"] + wait),
            ("scale up", ["scale", "web", "--replicas", "3", "--yes"] + wait),
            ("stage", ["rollout", "web", "--image", "nginx=nginx:1.28"]),
            ("rollout --step", ["rollout", "web", "--step", "--yes"] + wait),
            ("rollout --all", ["rollout", "web", "--all", "--yes"] + wait),
        ]
        for name, args in steps:
            started = time.monotonic()
            proc = subprocess.run(base + args, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=TIMEOUT + 30)
            results.append((index, name, proc.returncode, time.monotonic() - started,
                            proc.stderr.strip().splitlines()[-1:]))
        sts = sb.store.peek(_sts_type(), "default", "web")
        assert sts is not None
        results.append((index, "final", sts["status"].get("updatedReplicas"),
                        sts["status"].get("readyReplicas"), []))


def _sts_type():
    from kubectl_sts_sandbox.resources import BY_KIND
    return BY_KIND["StatefulSet"]


def test_many_sandboxes_and_commands_at_once_never_wait_past_the_settled_cluster():
    results: List[Tuple[Any, ...]] = []
    threads = [threading.Thread(target=lane, args=(i, results)) for i in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads)
    runs = [r for r in results if r[1] != "final"]
    assert len(runs) == LANES * 6
    failed = [r for r in runs if r[2] != 0]
    assert not failed, failed
    slow = [r for r in runs if r[3] >= WELL_BEFORE]
    assert not slow, slow
    finals = [r for r in results if r[1] == "final"]
    assert [(r[2], r[3]) for r in finals] == [(3, 3)] * LANES
