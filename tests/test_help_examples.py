"""The Examples of every command's --help run against examples/web.yaml (applied with the
real kubectl), as a user copying them would: each exits as the example says."""

import os
import re
import shlex

import pytest

from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import COMMANDS, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# examples that need a terminal, follow forever, or start servers are not run here
SKIP = ("--watch", "completion", "demo", "sandbox", "source <(")
# what each example is meant to end with (default 0)
EXPECTED = {"kubectl sts scale web --replicas 1 --min-replicas 2 --yes": 11,
            "kubectl sts status -A": 0,
            # refused before any write: web.yaml has no snapshot set of that name
            "kubectl sts restore web --from web-20260101-120000 --ordinal 1 --dry-run": 11,
            "kubectl sts restore web --from web-20260101-120000 --ordinal 1 --yes": 11,
            # web.yaml's claims are on local-path, no CSI driver: refused before any write
            "kubectl sts snapshot web --wait": 11, "kubectl sts snapshot web --group": 11,
            "kubectl sts snapshot web --delete web-20260101-120000 --yes": 3}


def examples():
    import importlib
    out = []
    for name in sorted(COMMANDS):
        module, attr, _ = COMMANDS[name]
        text = getattr(importlib.import_module(module), attr).help
        for line in text.split("Examples:", 1)[1].splitlines():
            line = line.strip()
            if line.startswith("kubectl sts ") and not any(s in line for s in SKIP):
                out.append(line)
    return out


@pytest.fixture
def web(kubectl, apps, namespace):
    done = kubectl("apply", "-f", os.path.join(ROOT, "examples", "web.yaml"))
    assert done.returncode == 0, done.stderr
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 3), namespace=namespace,
             timeout=60)


def test_every_example_runs_on_examples_web_yaml(web, kubeconfig, namespace, capsys):
    ran = []
    for example in examples():
        # the settle time is the example's to choose; the test does not wait it out
        args = [("1s" if a == "30s" else a) for a in shlex.split(example)[2:]]
        if args[:1] == ["rollout"] and any(a in args for a in ("--step", "--all", "--undo")):
            args += ["--timeout", "60s"]
        if args[:1] in (["scale"], ["rollout"]) and "--yes" not in args and \
                "--dry-run" not in args:
            args += ["--yes"]           # the answer a user gives at the terminal
        code = main(["--kubeconfig", kubeconfig, "-n", namespace] + args)
        out, err = capsys.readouterr()
        assert code == EXPECTED.get(example, 0), (example, out, err)
        assert "Traceback" not in err and not re.search(r"internal error", err), example
        ran.append(example)
    assert len(ran) >= 10, ran


@pytest.mark.parametrize("name", sorted(COMMANDS) + [None])
def test_help_prints_no_control_characters(name, capsys):
    """click takes `\\b` as "do not rewrap" only at the head of a paragraph: one in the middle
    of an example block was printed as a backspace (^H) by click 8.2 and later."""
    capsys.readouterr()
    assert main(([name] if name else []) + ["--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out
    assert not [c for c in out if ord(c) < 32 and c not in "\n\t"], repr(out)
