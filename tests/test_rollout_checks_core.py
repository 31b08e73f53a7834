"""core/rollout/checks.py: the checks from the flags, the environment, the plan lines, the
verdict from an attempt and the clock, the output's tail and the annotation (issue 29)."""

import json

import pytest

from kubectl_sts.core.rollout import checks
from kubectl_sts.core.rollout.state import STATE_ANNOTATION


@pytest.mark.parametrize("spec,expected", [
    ("8080/healthz", {"container": None, "port": 8080, "path": "/healthz"}),
    ("app:8080/ready", {"container": "app", "port": 8080, "path": "/ready"}),
    ("9000", {"container": None, "port": 9000, "path": "/"}),
    ("db:3306/a/b?x=1", {"container": "db", "port": 3306, "path": "/a/b?x=1"}),
])
def test_parse_http(spec, expected):
    assert checks.parse_http(spec) == expected


@pytest.mark.parametrize("spec", ["", "app:", "http/x", "0/x", "70000/x", "app:x/y"])
def test_parse_http_refuses(spec):
    with pytest.raises(ValueError, match="CONTAINER:]PORT/PATH"):
        checks.parse_http(spec)


def test_checks_from_flags_in_order():
    assert checks.checks_from_flags(["a"], ["b"], ["80/x"], "db") == [
        {"kind": "local", "command": "a"},
        {"kind": "exec", "command": "b", "container": "db"},
        {"kind": "http", "container": None, "port": 80, "path": "/x"}]


@pytest.mark.parametrize("check,text", [
    ({"kind": "local", "command": "true"}, "check 'true'"),
    ({"kind": "exec", "command": "x", "container": None}, "check-exec 'x' in each updated pod"),
    ({"kind": "exec", "command": "x", "container": "db"},
     "check-exec 'x' in each updated pod (container db)"),
    ({"kind": "http", "port": 80, "path": "/h"}, "check-http GET :80/h on each updated pod"),
])
def test_describe(check, text):
    assert checks.describe(check) == text


def test_plan_lines():
    assert checks.plan_lines([], 120) == []
    assert checks.plan_lines([{"kind": "local", "command": "t"}], 120) == [
        "after each step, once its pods are Ready and settled, until every check passes "
        "(retried every 2s, at most 2m):", "  check 't'"]


@pytest.mark.parametrize("kubeconfig,context,expect_kc", [
    ("/k", "ctx", "/k"), (None, None, "/base")])
def test_environment(kubeconfig, context, expect_kc):
    env = checks.environment({"PATH": "/bin", "KUBECONFIG": "/base"}, "ns", "web", [2, 1],
                             "web-abc", 1, kubeconfig, context)
    assert env == {"PATH": "/bin", "KUBECONFIG": expect_kc, "STS_NAMESPACE": "ns",
                   "STS_NAME": "web", "STS_ORDINALS": "2,1", "STS_PODS": "web-2,web-1",
                   "STS_REVISION": "web-abc", "STS_PARTITION": "1", "STS_CONTEXT": context or ""}


@pytest.mark.parametrize("passed,started,now,timeout,expected", [
    (True, 0, 500, 10, "passed"),
    (False, 0, 5, 10, "retry"),
    (False, 0, 10, 10, "failed"),
    (False, 100, 103, 3, "failed"),
])
def test_verdict(passed, started, now, timeout, expected):
    assert checks.verdict(passed, started, now, timeout) == expected


@pytest.mark.parametrize("started,now,timeout,expected", [
    (0, 0, 120, 2.0), (0, 119, 120, 1.0), (0, 130, 120, 0.0)])
def test_next_wait(started, now, timeout, expected):
    assert checks.next_wait(started, now, timeout) == expected


@pytest.mark.parametrize("text,lines,expected", [
    ("", 10, []), ("a\n\nb\n", 10, ["a", "b"]),
    ("\n".join(str(i) for i in range(20)), 10, [str(i) for i in range(10, 20)]),
])
def test_tail(text, lines, expected):
    assert checks.tail(text, lines) == expected
    assert checks.last_line(text) == (expected[-1] if expected else "(no output)")


def test_failure():
    got = checks.failure("web", [2], {"kind": "local", "command": "x"}, "a\nlag 5\n", None, 3)
    assert got == {"pod": "web-2", "ordinal": 2, "reason": "failed its check 'x' for 3s",
                   "message": "last output of the check:\n    a\n    lag 5", "check": True}
    assert checks.failure("web", [1], {"kind": "http", "port": 80, "path": "/"}, "", "web-1",
                          120)["message"] == "the check printed nothing"


def _sts(annotation):
    return {"metadata": {"name": "web", "annotations": {} if annotation is None else
                         {STATE_ANNOTATION: annotation}}}


@pytest.mark.parametrize("annotation,recorded,expected", [
    (json.dumps({"target": 0, "updateRevision": "r2"}),
     checks.record([{"kind": "local", "command": "t"}], 30),
     {"target": 0, "updateRevision": "r2", "checks": [{"kind": "local", "command": "t"}],
      "checkTimeout": 30}),
    (json.dumps({"target": 0}), None, {"target": 0}),
    (None, checks.record([{"kind": "local", "command": "t"}], 30), None),
    ("not json", checks.record([{"kind": "local", "command": "t"}], 30), "not json"),
])
def test_with_checks(annotation, recorded, expected):
    out = checks.with_checks(_sts(annotation), STATE_ANNOTATION, recorded)
    raw = out["metadata"]["annotations"].get(STATE_ANNOTATION)
    assert (json.loads(raw) if raw and raw.startswith("{") else raw) == expected


@pytest.mark.parametrize("saved,revision,expected", [
    (None, "r2", None),
    ({"updateRevision": "r1", "checks": [{"kind": "local", "command": "t"}]}, "r2", None),
    ({"updateRevision": "r2", "checks": [{"kind": "local", "command": "t"}]}, "r2",
     {"checks": [{"kind": "local", "command": "t"}], "checkTimeout": 120.0}),
    ({"updateRevision": "r2", "checks": [{"kind": "rm"}], "checkTimeout": 5}, "r2", None),
    ({"updateRevision": "r2", "checks": [{"kind": "exec", "command": "t"}],
      "checkTimeout": 5}, "r2", {"checks": [{"kind": "exec", "command": "t"}],
                                 "checkTimeout": 5.0}),
    ({"updateRevision": "r2", "checks": []}, "r2", None),
])
def test_recorded_checks(saved, revision, expected):
    assert checks.recorded_checks(saved, revision) == expected
