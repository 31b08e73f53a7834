"""The order of ordinals (issue 29): `--order` and `--leader-last`/`--leader-exec` on OnDelete
sets (`rollout --step/--all`) and on `restart`; refused under RollingUpdate, where the
controller fixes the order. The decisions (core/rollout/order.py) table-driven; the runs
on the sandbox, the order read from the sandbox's request log."""

import json
import shlex

import pytest

from builders import statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.core.rollout import STATE_ANNOTATION
from kubectl_sts.core.rollout.order import (OrderError, arranged, describe_leader,
                                            leader_answer, leader_ordinal, leader_spec,
                                            next_ordinal, order_problem, parse_order,
                                            plan_lines, reconcile_leader, recorded, with_order)
from kubectl_sts.errors import EXIT_ERROR, EXIT_ROLLOUT_FAILED, EXIT_USAGE

NEW = "nginx:1.28"


# -- the decisions --------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("2,0,1", [2, 0, 1]), ("0", [0]), (" 1, 0 ", [1, 0]), ("+3,2", [3, 2]),
])
def test_parse_order(text, expected):
    assert parse_order(text) == expected


@pytest.mark.parametrize("text,message", [
    ("2,a,1", 'invalid argument "2,a,1" for "--order" flag: strconv.Atoi: parsing "a": '
              'invalid syntax'),
    ("", 'invalid argument "" for "--order" flag: strconv.Atoi: parsing "": invalid syntax'),
    ("2,,1", 'invalid argument "2,,1" for "--order" flag: strconv.Atoi: parsing "": '
             'invalid syntax'),
    ("1.5", 'invalid argument "1.5" for "--order" flag: strconv.Atoi: parsing "1.5": '
            'invalid syntax'),
    ("2,-1", 'invalid argument "2,-1" for "--order" flag: ordinal -1 is negative'),
    ("2,0,2", 'invalid argument "2,0,2" for "--order" flag: ordinal 2 is named twice'),
    ("99999999999", 'invalid argument "99999999999" for "--order" flag: strconv.Atoi: '
                    'parsing "99999999999": value out of range'),
])
def test_parse_order_refuses_in_pflags_words(text, message):
    with pytest.raises(OrderError) as err:
        parse_order(text)
    assert str(err.value) == message


@pytest.mark.parametrize("order,outdated,problem", [
    ([2, 0, 1], [0, 1, 2], None),
    ([2, 0, 1], [0], None),                      # updated ones may be named: skipped
    ([2, 0, 5], [0, 1, 2], "--order 2,0,5: ordinal 5 is outside the range of web (0..2)"),
    ([2, 0], [0, 1, 2], "--order 2,0 does not name web-1, which needs to update (name every "
                        "ordinal to update, each once)"),
])
def test_order_problem(order, outdated, problem):
    assert order_problem(order, [0, 1, 2], outdated, "web") == problem


@pytest.mark.parametrize("order,leader,outdated,expected_arranged,expected_next", [
    (None, None, [0, 1, 2], [2, 1, 0], 2),
    ([0, 2, 1], None, [0, 1, 2], [0, 2, 1], 0),
    ([0, 2, 1], None, [1, 2], [0, 2, 1], 2),
    (None, 2, [0, 1, 2], [1, 0, 2], 1),
    ([2, 0, 1], 0, [0, 1], [2, 1, 0], 1),
    (None, 1, [1], [2, 0, 1], 1),
    (None, 1, [], [2, 0, 1], None),
])
def test_arranged_and_next(order, leader, outdated, expected_arranged, expected_next):
    assert arranged(order, [0, 1, 2], leader) == expected_arranged
    assert next_ordinal(order, [0, 1, 2], leader, outdated) == expected_next


@pytest.mark.parametrize("output,expected", [
    ("web-1\n", 1), ("pod/web-2", 2), ("connecting...\nweb-0\n\n", 0),
    ("", "the leader command printed nothing (it must print the leader's pod name, such as "
         "web-0)"),
    ("db-1", 'the leader command printed "db-1", which is not a pod of web (web-0, web-1, '
             'web-2)'),
    ("web-7", 'the leader command printed "web-7", which is not a pod of web (web-0, web-1, '
              'web-2)'),
])
def test_leader_ordinal(output, expected):
    pods = ["web-0", "web-1", "web-2"]
    if isinstance(expected, int):
        assert leader_ordinal(output, "web", pods) == expected
    else:
        with pytest.raises(OrderError) as err:
            leader_ordinal(output, "web", pods)
        assert str(err.value) == expected


@pytest.mark.parametrize("code,output,expected", [
    (0, "web-1\n", 1),
    (3, "connecting\nno primary\n", "the leader command `who` failed (exit 3): no primary"),
    (1, "", "the leader command `who` failed (exit 1): no output"),
    (0, "db-0", 'the leader command printed "db-0", which is not a pod of web (web-0, web-1) '
                '(leader command `who`)'),
])
def test_leader_answer(code, output, expected):
    if isinstance(expected, int):
        assert leader_answer(code, output, "web", ["web-0", "web-1"], {"local": "who"}) == 1
    else:
        with pytest.raises(OrderError) as err:
            leader_answer(code, output, "web", ["web-0", "web-1"], {"local": "who"})
        assert str(err.value) == expected


@pytest.mark.parametrize("args,spec,described", [
    ((None, None, None, None), None, None),
    (("who", None, None, None), {"local": "who"}, "who"),
    ((None, "who", None, "db"), {"exec": "who", "pod": None, "container": "db"},
     "who (in pod the lowest-ordinal Ready pod)"),
    ((None, "who", "web-2", None), {"exec": "who", "pod": "web-2", "container": None},
     "who (in pod web-2)"),
])
def test_leader_spec(args, spec, described):
    assert leader_spec(*args) == spec
    assert describe_leader(spec) == described


@pytest.mark.parametrize("was,now,outdated,expected", [
    (None, 1, [0, 1], (1, None)),
    (1, 1, [0, 1], (1, None)),
    (1, 0, [0, 1], (0, "the leader moved: web-0 (was web-1) goes last among those left")),
    (1, 2, [0, 1], (2, "the leader moved: web-2 (was web-1) is already updated")),
])
def test_reconcile_leader(was, now, outdated, expected):
    assert reconcile_leader(was, now, outdated, "web") == expected


@pytest.mark.parametrize("now,finished,expected", [
    (2, [2], "the leader moved: web-2 (was web-1) is already restarted"),
    (3, [2], "the leader moved: web-3 (was web-1) is not among those to restart"),
])
def test_reconcile_leader_in_a_restart(now, finished, expected):
    assert reconcile_leader(1, now, [0, 1], "web", "restarted", finished) == (now, expected)


def _state(strategy, saved=None):
    return {"name": "web", "strategy": strategy, "saved": saved, "updateRevision": "r2"}


@pytest.mark.parametrize("strategy,order,leader,expected", [
    ("RollingUpdate", None, None, ["Order: the controller's (RollingUpdate): highest ordinal "
                                   "first, down to the partition; --order and --leader-last "
                                   "need OnDelete"]),
    ("OnDelete", None, None, ["Order: web-2, web-1, web-0 (highest ordinal first)"]),
    ("OnDelete", [0, 2, 1], "get-leader", [
        "Order: web-0, web-2, web-1 (recorded: --order 0,2,1)",
        "Leader last: the pod that `get-leader` names goes last"]),
])
def test_plan_lines(strategy, order, leader, expected):
    assert plan_lines(_state(strategy), [0, 1, 2], [0, 1, 2], order, leader) == expected


def test_the_order_is_recorded_for_the_update_revision():
    sts = {"metadata": {"name": "web"}, "status": {"updateRevision": "r2"}}
    new = with_order(sts, [2, 0, 1], {"local": "x"}, 1)
    saved = json.loads(new["metadata"]["annotations"][STATE_ANNOTATION])
    assert recorded(saved, "r2") == {"order": [2, 0, 1], "leader": {"local": "x"},
                                     "leaderOrdinal": 1}
    assert recorded(saved, "r3") == {}
    assert "annotations" not in sts["metadata"]


# -- on the sandbox ---------------------------------------------------------------------------

@pytest.fixture
def sts(cli):
    """`kubectl sts ARGS...` in-process (conftest's cli): (exit code, stdout, stderr)."""
    return cli


def ondelete_set(apps, namespace, replicas=3, strategy="OnDelete", change=True):
    apps.create_namespaced_stateful_set(namespace, statefulset(
        replicas=replicas, claims=(), strategy=strategy))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas),
             namespace=namespace, timeout=60)
    if change:
        apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
            "containers": [{"name": "app", "image": NEW}]}}}})

        def observed(items):
            st = items["web"].get("status") or {}
            return st.get("observedGeneration", 0) >= items["web"]["metadata"]["generation"] \
                and st.get("updateRevision") != st.get("currentRevision")
        wait_for(apps.list_namespaced_stateful_set, observed, namespace=namespace)


def deleted(sandbox, namespace, since, verb="DELETE"):
    """The pods this run deleted (or evicted), in the order the API server saw them."""
    prefix = "/api/v1/namespaces/%s/pods/" % namespace
    out = []
    for e in sandbox.request_log[since:]:
        if e["path"].startswith(prefix) and e["code"] < 300 and (
                (verb == "DELETE" and e["method"] == "DELETE") or
                (verb == "POST" and e["method"] == "POST" and e["path"].endswith("/eviction"))):
            out.append(e["path"][len(prefix):].split("/")[0])
    return out


def annotation(apps, namespace):
    sts = json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                       _preload_content=False).data)
    return json.loads(sts["metadata"]["annotations"][STATE_ANNOTATION])


def leader_script(tmp_path, *answers):
    """A leader command that prints answers[i] on its i-th run (the last one after), and
    counts its runs in a file."""
    runs = tmp_path / "runs"
    script = tmp_path / "leader.sh"
    lines = ['n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s' % (runs, runs),
             'echo "ns=$STS_NAMESPACE name=$STS_NAME kc=${KUBECONFIG:+set}" >> %s.env' % runs]
    for i, answer in enumerate(answers[:-1], 1):
        lines.append('if [ $n -eq %d ]; then echo %s; exit 0; fi' % (i, answer))
    # a warning on stderr (as kubectl prints) after the answer: the name is read from stdout
    lines.append("echo %s; echo 'Warning: a deprecated flag' >&2" % answers[-1])
    script.write_text("\n".join(lines) + "\n")
    return "sh %s" % script, runs


def test_order_deletes_in_that_order_and_is_recorded(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace)
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--order", "0,2,1", "--timeout", "60s")
    assert code == 0, (out, err)
    assert deleted(sandbox, namespace, since) == ["web-0", "web-2", "web-1"]
    assert "deleting outdated pods one at a time in this order: web-0, web-2, web-1" in out
    assert "deleted pod web-0 (revision" in out and "1 of 3 in order" in out
    assert annotation(apps, namespace)["order"] == [0, 2, 1]
    assert "rollout of web complete" in out


def test_a_resumed_step_follows_the_recorded_order(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace)
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--step", "--order", "1,0,2", "--timeout", "60s")
    assert code == 0, (out, err)
    code, out, err = sts("rollout", "web")                  # the plan
    assert "Order: web-0, web-2 (recorded: --order 1,0,2)" in out, out
    code, out, err = sts("rollout", "web", "--step", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "following the order recorded on web by an earlier run: --order 1,0,2" in out
    assert deleted(sandbox, namespace, since) == ["web-1", "web-0"]


def test_leader_last_updates_the_leader_last_and_asks_again(apps, namespace, sandbox, sts,
                                                           tmp_path):
    ondelete_set(apps, namespace)
    command, runs = leader_script(tmp_path, "web-1")
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--leader-last", command, "--timeout",
                         "60s")
    assert code == 0, (out, err)
    assert deleted(sandbox, namespace, since) == ["web-2", "web-0", "web-1"]
    assert "(leader last: web-1)" in out and "3 of 3 in order, the leader" in out
    assert runs.read_text().strip() == "2"          # once before any write, once before web-1
    env = (tmp_path / "runs.env").read_text().splitlines()[0]
    assert env == "ns=%s name=web kc=set" % namespace


def test_a_leader_that_moved_goes_last_among_those_left(apps, namespace, sandbox, sts,
                                                        tmp_path):
    ondelete_set(apps, namespace)
    command, runs = leader_script(tmp_path, "web-1", "web-0")
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--step", "--leader-last", command, "--timeout",
                         "60s")
    assert code == 0, (out, err)
    # resumed: the recorded command says web-0 now
    code, out, err = sts("rollout", "web", "--all", "--timeout", "60s")
    assert code == 0, (out, err)
    assert "the leader moved: web-0 (was web-1) goes last among those left" in out
    assert deleted(sandbox, namespace, since) == ["web-2", "web-1", "web-0"]


def test_a_failing_leader_command_stops_before_any_write(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace)
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--leader-last", "echo no; exit 3")
    assert code == EXIT_ERROR
    assert err.strip() == "error: the leader command `echo no; exit 3` failed (exit 3): no"
    code, out, err = sts("rollout", "web", "--all", "--leader-last", "echo db-0")
    assert code == EXIT_ERROR and 'printed "db-0", which is not a pod of web' in err
    assert [e["method"] for e in sandbox.request_log[since:] if e["method"] != "GET"] == []


def test_a_leader_command_failing_mid_rollout_exits_9(apps, namespace, sandbox, sts,
                                                      tmp_path):
    ondelete_set(apps, namespace, replicas=2)
    command, _ = leader_script(tmp_path, "web-0", "oops")
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--leader-last", command, "--timeout",
                         "60s")
    assert code == EXIT_ROLLOUT_FAILED, (out, err)
    assert 'printed "oops"' in err and "stopped before deleting web-0 (updated: web-1)" in err
    assert deleted(sandbox, namespace, since) == ["web-1"]


def test_leader_exec_runs_in_the_lowest_ready_pod(apps, namespace, sandbox, sts):
    """--leader-exec asks a pod through pods/exec (the sandbox runs the mapped command on this
    host, with the container's environment): web-0, the lowest Ready ordinal, is asked; the
    leader it names, web-2, goes last."""
    sandbox.cluster.config.pod_access.add({
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
        "metadata": {"name": "leader-" + namespace},
        "spec": {"selector": {"matchNamespaces": [namespace]},
                 "execs": [{"containers": ["app"], "local": {
                     "envs": [{"name": "PRIMARY", "value": "web-2"}]}}]}})
    ondelete_set(apps, namespace)
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--leader-exec",
                         'echo "asked $HOSTNAME" >&2; echo "$PRIMARY"', "--container", "app",
                         "--timeout", "60s")
    assert code == 0, (out, err)
    assert deleted(sandbox, namespace, since) == ["web-1", "web-0", "web-2"]
    execs = [e["path"] for e in sandbox.request_log[since:] if e["path"].endswith("/exec")]
    assert execs and all(p.endswith("/pods/web-0/exec") for p in execs[:1]), execs


def test_rolling_update_refuses_and_names_the_ondelete_route(apps, namespace, sandbox, sts,
                                                            kubectl):
    ondelete_set(apps, namespace, strategy="RollingUpdate", change=False)
    # a partition set (as a staged rollout leaves it): OnDelete must drop rollingUpdate
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"updateStrategy": {
        "rollingUpdate": {"partition": 3}}}})
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--step", "--order", "2,0,1")
    assert code == EXIT_USAGE
    assert err.strip().startswith("error: web uses RollingUpdate: the controller updates the "
                                  "highest ordinal first, down to the partition, so --order "
                                  "cannot apply; to choose the order, switch it to OnDelete "
                                  "(rollingUpdate removed: OnDelete allows none): "
                                  "kubectl patch sts web -p")
    assert "kubectl sts rollout web --step --order ..." in err
    assert [e for e in sandbox.request_log[since:] if e["method"] != "GET"] == []
    refusal = err
    code, out, err = sts("rollout", "web")
    assert "Order: the controller's (RollingUpdate): highest ordinal first" in out
    # the route it names works, through the real kubectl
    route = refusal.split("allows none): ", 1)[1].split(" then: ", 1)[0]
    patched = kubectl(*shlex.split(route)[1:])
    assert patched.returncode == 0, patched.stderr
    assert apps.read_namespaced_stateful_set("web", namespace).spec.update_strategy.type == \
        "OnDelete"


@pytest.mark.parametrize("args,message", [
    (["rollout", "--step", "--order", "2,x"], 'invalid argument "2,x" for "--order" flag'),
    (["rollout", "--step", "--order", "1,1"], "ordinal 1 is named twice"),
    (["rollout", "--order", "1,0"], "--order only applies to --step and --all"),
    (["rollout", "--step", "--leader-last", "a", "--leader-exec", "b"],
     "choose one of --leader-last, --leader-exec"),
    (["rollout", "--step", "--leader-pod", "web-0"],
     "--leader-pod only applies to --leader-exec"),
    (["restart", "--order", "2,x"], 'invalid argument "2,x" for "--order" flag: strconv.Atoi: '
                                    'parsing "x": invalid syntax (or desc, asc)'),
    (["restart", "--order", "1,1,0"], "ordinal 1 is named twice"),
    (["restart", "--order", "1,0", "--ordinals", "1"],
     "--order 1,0 and --ordinals cannot be used together"),
    (["restart", "--leader-last", "a", "--leader-exec", "b"],
     "choose one of --leader-last, --leader-exec"),
    (["restart", "--container", "app"], "--container only applies to --leader-exec"),
])
def test_bad_order_flags_are_usage_errors_before_any_request(sts, args, message, sandbox):
    since = len(sandbox.request_log)
    code, out, err = sts(args[0], "web", *args[1:])
    assert code == EXIT_USAGE and message in err, err
    assert sandbox.request_log[since:] == []


def test_an_order_out_of_range_is_refused_after_reading(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace)
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--order", "2,0,3")
    assert code == EXIT_USAGE
    assert "error: --order 2,0,3: ordinal 3 is outside the range of web (0..2)" in err
    assert deleted(sandbox, namespace, since) == []


# -- restart ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("desc", "desc"), ("asc", "asc"), ("2,0,1", [2, 0, 1]),
])
def test_restart_parse_order(text, expected):
    from kubectl_sts.core.restart import parse_order
    assert parse_order(text) == expected


def test_restart_plan_in_an_order_of_ordinals():
    from builders import pod
    from kubectl_sts.core.restart import PlanError, leader_last, plan
    sts_obj = statefulset(replicas=3, claims=())
    pods = [pod(i) for i in range(3)]
    rows = plan(sts_obj, pods, [], order=[1, 2, 0])["pods"]
    assert [r["pod"] for r in rows] == ["web-1", "web-2", "web-0"]
    assert [r["pod"] for r in leader_last(rows, 2)] == ["web-1", "web-0", "web-2"]
    with pytest.raises(PlanError) as err:
        plan(sts_obj, pods, [], order=[1, 2])
    assert str(err.value) == "--order 1,2 does not name web-0, which needs to restart (name " \
                             "every ordinal to restart, each once)"


def test_restart_follows_order(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace, strategy="RollingUpdate", change=False)
    since = len(sandbox.request_log)
    code, out, err = sts("restart", "web", "--order", "1,0,2", "--yes")
    assert code == 0, (out, err)
    assert "Order: web-1, web-0, web-2" in out
    assert deleted(sandbox, namespace, since, verb="POST") == ["web-1", "web-0", "web-2"]


def test_restart_leader_last_asks_again(apps, namespace, sandbox, sts,
                                                           tmp_path):
    ondelete_set(apps, namespace, strategy="RollingUpdate", change=False)
    command, runs = leader_script(tmp_path, "web-2", "web-1")
    since = len(sandbox.request_log)
    code, out, err = sts("restart", "web", "--leader-last", command, "--yes")
    assert code == 0, (out, err)
    assert "Order: web-1, web-0, web-2 (leader last: web-2" in out
    # asked again before web-2's turn: the leader moved to web-1, restarted already
    assert "the leader moved: web-1 (was web-2) is already restarted" in out
    assert deleted(sandbox, namespace, since, verb="POST") == ["web-1", "web-0", "web-2"]
    assert runs.read_text().strip() == "2"


def test_restart_order_out_of_range(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace, strategy="RollingUpdate", change=False)
    since = len(sandbox.request_log)
    code, out, err = sts("restart", "web", "--order", "2,1,0,3", "--yes")
    assert code == EXIT_USAGE
    assert "error: --order 2,1,0,3: ordinal 3 is outside the range of web (0..2)" in err
    assert deleted(sandbox, namespace, since, verb="POST") == []


def test_restart_leader_that_moved_to_one_left_goes_last(apps, namespace, sandbox, sts,
                                                        tmp_path):
    """--ordinals 2,1 with the leader web-2: web-1 first; at web-2's turn the leader is
    web-0, which this run does not restart: web-2 goes on, and the output says so."""
    ondelete_set(apps, namespace, strategy="RollingUpdate", change=False)
    command, runs = leader_script(tmp_path, "web-2", "web-0")
    since = len(sandbox.request_log)
    code, out, err = sts("restart", "web", "--ordinals", "2,1", "--leader-last", command,
                         "--yes")
    assert code == 0, (out, err)
    assert "the leader moved: web-0 (was web-2) is not among those to restart" in out
    assert deleted(sandbox, namespace, since, verb="POST") == ["web-1", "web-2"]


def test_dry_runs_show_the_order(apps, namespace, sandbox, sts):
    ondelete_set(apps, namespace)
    code, out, err = sts("rollout", "web")
    assert "Order: web-2, web-1, web-0 (highest ordinal first)" in out
    since = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--order", "1,2,0", "--dry-run=client")
    assert code == 0, (out, err)
    assert "in this order: web-1, web-2, web-0" in out
    assert "dry-run (client): would record the order on web" in out
    assert "dry-run (client): would delete pod web-1" in out
    assert [e for e in sandbox.request_log[since:] if e["method"] != "GET"] == []
    code, out, err = sts("rollout", "web", "--step", "--order", "1,2,0", "--dry-run=server")
    assert code == 0, (out, err)
    assert "dry-run (server): record the order on web accepted" in out
    assert "dry-run (server): delete of pod web-1 accepted" in out
    assert STATE_ANNOTATION not in (json.loads(apps.read_namespaced_stateful_set(
        "web", namespace, _preload_content=False).data)["metadata"].get("annotations") or {})
