"""A scale to a million replicas (issue 27, item 5): the plan says what happens in a few hundred
lines and counts the rest; memory follows what is printed, not the replica count. -o json
lists at most PLAN_LIMIT (500) entries per list and counts the rest in `omitted`."""

import json

from builders import pod, statefulset
from kubectl_sts.cli.app import main
from kubectl_sts.core.scale import plan_scale, scale_progress
from kubectl_sts.printers.scale import render_plan
from test_scale_command import create_settled, raw_sts


def _run(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_million_replicas_dry_run_is_summarised(capsys, kubeconfig, apps, core, namespace):
    create_settled(apps, core, namespace, replicas=2)
    before = raw_sts(apps, namespace)["metadata"]["resourceVersion"]
    code, out, err = _run(capsys, kubeconfig, namespace, "scale", "web", "--replicas",
                          "1000000", "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) < 300, len(lines)
    assert lines[0] == "StatefulSet %s/web: 2 -> 1000000 replicas" % namespace
    assert lines[1].startswith("Pods created, in this order: web-2, web-3, ")
    assert lines[1].endswith(", ... and 999978 more")
    assert "... and 999798 more PVCs not shown" in lines
    assert raw_sts(apps, namespace)["metadata"]["resourceVersion"] == before

    code, out, err = _run(capsys, kubeconfig, namespace, "scale", "web", "--replicas",
                          "2147483647", "--dry-run", "-o", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert (len(plan["podsComing"]), len(plan["claims"])) == (500, 500)
    assert plan["omitted"] == {"podsLeaving": 0, "podsComing": 2147483645 - 500,
                               "claims": 2147483645 - 500}


def _ready_pods(count):
    return [pod(i, ready=True, phase="Running") for i in range(count)]


def test_a_big_scale_down_lists_and_names_a_bounded_number():
    sts = statefulset("web", replicas=3000, namespace="default")
    sts["metadata"]["resourceVersion"] = "7"
    pods = _ready_pods(3000)
    del pods[5]                                  # web-5 missing: an unready remaining pod
    plan = plan_scale(sts, pods, [], {}, [], 2000, None)
    assert len(plan["podsLeaving"]) == 500 and plan["omitted"]["podsLeaving"] == 500
    assert plan["podsLeaving"][0]["pod"] == "web-2999"
    text = render_plan(plan).splitlines()
    assert text[1].endswith(", ... and 980 more")
    assert len(text) < 50

    progress = scale_progress(plan, pods)
    parts = progress["line"][len("waiting: "):].split("; ")
    assert parts[:2] == ["web-2999 leaving", "web-2998 leaving"]
    assert len(parts) == 21 and parts[-1] == "981 more pods"
    assert not progress["done"]


def test_progress_of_a_parallel_scale_up_names_twenty_pods():
    sts = statefulset("web", replicas=3, namespace="default")
    sts["spec"]["podManagementPolicy"] = "Parallel"
    sts["metadata"]["resourceVersion"] = "7"
    plan = plan_scale(sts, _ready_pods(3), [], {}, [], 1000000, None)
    progress = scale_progress(plan, _ready_pods(3))
    parts = progress["line"][len("waiting: "):].split("; ")
    assert parts[0] == "web-3 not created yet" and parts[-1] == "999977 more pods"
    assert len(parts) == 21
