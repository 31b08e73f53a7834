"""What `resize` says of each claim after it asked for SIZE (core.resize.expansion, the verdict
of its wait, printers/resize.py), and kubectl's last-applied-configuration it updates: tables
over plain API objects, no server."""

import json
from functools import partial

import pytest

from kubectl_sts.core.resize import (DONE, EXPANDING, FAILED, RESTART, UNMOUNTED,
                                     applied_configuration, expansion, expansion_verdict,
                                     failed_events)
from kubectl_sts.printers.resize import claim_line, final_line, manifest_lines

import builders

OFFLINE = ("failed to expand pvc with Expander.NodeExpand failed to expand the volume : rpc "
           "error: code = FailedPrecondition desc = volume pv-1 is in use")
PENDING = {"type": "FileSystemResizePending", "status": "True",
           "message": "Waiting for user to (re-)start a pod to finish file system resize of "
                      "volume on node."}
claim = partial(builders.claim, "data-web-0", "2Gi", phase="Bound", capacity="1Gi")
web0 = partial(builders.pod, "web-0", claims=["data-web-0"])


def status(resource=None, *conditions, capacity="1Gi"):
    built = {"phase": "Bound", "capacity": {"storage": capacity}}
    if resource:
        built["allocatedResourceStatuses"] = {"storage": resource}
    if conditions:
        built["conditions"] = list(conditions)
    return built


def condition(ctype, message="", state="True"):
    return {"type": ctype, "status": state, "message": message}


RUNNING = [web0(phase="Running")]
ELSEWHERE = [builders.pod("web-1", claims=["data-web-1"], phase="Running")]


@pytest.mark.parametrize("case, claim_status, pods, state, step", [
    ("grown", status(capacity="2Gi"), RUNNING, DONE, ""),
    ("grown, more than asked", status(capacity="3Gi"), [], DONE, ""),
    ("not marked yet", status(), RUNNING, EXPANDING, "requested"),
    ("the volume grows", status("ControllerResizeInProgress", condition("Resizing")), RUNNING,
     EXPANDING, "resizing"),
    # a running pod mounts it: its kubelet grows the file system online: wait for it
    ("node step, mounted", status("NodeResizePending", PENDING), RUNNING, EXPANDING,
     "file-system"),
    ("node step under way", status("NodeResizeInProgress", PENDING), RUNNING, EXPANDING,
     "file-system"),
    # the kubelet retries errors other than FailedPrecondition: still growing
    ("node error, retried", status("NodeResizeInProgress", PENDING,
                                   condition("NodeResizeError", "failed: rpc error: code = "
                                             "Internal desc = resize2fs")),
     RUNNING, EXPANDING, "file-system"),
    # FailedPrecondition: the driver grows it only unmounted; the kubelet does not retry
    ("offline only", status("NodeResizeInProgress", PENDING,
                            condition("NodeResizeError", OFFLINE)), RUNNING, RESTART,
     "file-system"),
    ("offline only, resolved condition", status("NodeResizeInProgress", PENDING,
                                                condition("NodeResizeError", OFFLINE,
                                                          "False")),
     RUNNING, EXPANDING, "file-system"),
    # the message of FileSystemResizePending is the resizer's for every driver: not a sign
    ("no running pod", status("NodeResizePending", PENDING), [], UNMOUNTED, "file-system"),
    ("another claim's pod", status("NodeResizePending", PENDING), ELSEWHERE, UNMOUNTED,
     "file-system"),
    ("its pod is pending", status("NodeResizePending", PENDING), [web0(phase="Pending")],
     UNMOUNTED, "file-system"),
    ("its pod is going", status("NodeResizePending", PENDING),
     [web0(phase="Running", deleting=True)], UNMOUNTED, "file-system"),
    ("resizer gave up", status("ControllerResizeInfeasible"), RUNNING, FAILED, ""),
    ("kubelet gave up", status("NodeResizeInfeasible", condition("NodeResizeError", "nope")),
     RUNNING, FAILED, ""),
])
def test_where_a_claim_stands(case, claim_status, pods, state, step):
    got = expansion(claim(status=claim_status), "2Gi", pods)
    assert (got["state"], got["step"]) == (state, step), case


def test_the_reason_and_the_pods_come_with_the_state():
    offline = expansion(claim(status=status("NodeResizeInProgress", PENDING,
                                            condition("NodeResizeError", OFFLINE))),
                        "2Gi", RUNNING)
    assert offline["message"] == OFFLINE and offline["pods"] == ["web-0"]
    failed = expansion(claim(status=status("NodeResizeInfeasible",
                                           condition("NodeResizeError", "nope")), ), "2Gi")
    assert failed["message"] == "nope"
    assert expansion(claim(status=status("ControllerResizeInfeasible")), "2Gi")["message"] == \
        "ControllerResizeInfeasible"


def _state(state, step="", message=""):
    return {"state": state, "step": step, "message": message, "pods": []}


@pytest.mark.parametrize("states, failures, done, failed, line", [
    ({"a": _state(DONE), "b": _state(RESTART, "file-system"), "c": _state(UNMOUNTED)}, {},
     True, None, "expanding: "),
    ({"a": _state(DONE), "b": _state(EXPANDING, "file-system")}, {}, False, None,
     "expanding: b file-system"),
    ({"a": _state(EXPANDING, "resizing"), "b": _state(EXPANDING, "file-system", "slow")}, {},
     False, None, "expanding: a resizing, b file-system (slow)"),
    ({"a": _state(FAILED, message="OutOfRange"), "b": _state(DONE)}, {}, False,
     "a: OutOfRange", "expanding: "),
    # a failure event counts for a claim that has not grown, not for one that has
    ({"a": _state(EXPANDING, "resizing"), "b": _state(DONE)}, {"a": "in use", "b": "old"},
     False, "a: in use", "expanding: a resizing"),
])
def test_the_wait_is_done_when_no_file_system_is_left_to_grow_online(states, failures, done,
                                                                      failed, line):
    verdict = expansion_verdict(states, failures)
    assert (verdict["done"], verdict["failed"], verdict["line"]) == (done, failed, line)


def _event(name, count, target="data-web-0", reason="VolumeResizeFailed",
           kind="PersistentVolumeClaim"):
    return {"metadata": {"name": name}, "reason": reason, "count": count, "message": name,
            "involvedObject": {"kind": kind, "name": target}}


def test_only_new_failure_events_count():
    events = [_event("old", 1), _event("again", 3), _event("new", 1, "data-web-1"),
              _event("pod", 1, "web-0", kind="Pod"), _event("fine", 1, reason="Resizing")]
    assert failed_events(events, {"old": 1, "again": 2}) == {"data-web-0": "again",
                                                             "data-web-1": "new"}


APPLIED = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"annotations": {}, "name": "web", "namespace": "default"},
           "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "a&b"}}},
                    "volumeClaimTemplates": [
                        {"metadata": {"name": "data"},
                         "spec": {"accessModes": ["ReadWriteOnce"],
                                  "resources": {"requests": {"storage": "1Gi"}}}},
                        {"metadata": {"name": "logs"},
                         "spec": {"resources": {"requests": {"storage": "100Mi"}}}}]}}


def _live(applied):
    text = applied if isinstance(applied, str) else json.dumps(applied)
    return {"metadata": {"name": "web", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": text}}}


def test_the_applied_configuration_changes_in_one_field_only():
    got = applied_configuration(_live(APPLIED), "data", "2048Mi")
    assert got is not None and got["from"] == "1Gi"
    expected = json.loads(json.dumps(APPLIED))
    expected["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"][
        "storage"] = "2Gi"
    assert got["document"] == expected
    logs = applied_configuration(_live(APPLIED), "logs", "1Gi")
    assert logs is not None and logs["from"] == "100Mi"
    assert logs["document"]["spec"]["volumeClaimTemplates"][1]["spec"]["resources"] == \
        {"requests": {"storage": "1Gi"}}


@pytest.mark.parametrize("live", [
    {"metadata": {"name": "web"}},                      # never applied with kubectl
    _live("{not json"), _live("[]"), _live({"spec": {}}),
    _live({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "other"}}]}}),
    _live({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": []}]}}),
])
def test_an_applied_configuration_without_the_template_is_left_alone(live):
    assert applied_configuration(live, "data", "2Gi") is None


ROW = {"name": "data-web-0", "ordinal": 0, "size": "2Gi"}


@pytest.mark.parametrize("state, line", [
    (_state(DONE), "data-web-0: 1Gi -> 2Gi"),
    (dict(_state(RESTART, "file-system", OFFLINE), pods=["web-0"]),
     "data-web-0: the volume has 2Gi, its file system not yet: the driver grows it only "
     "offline (%s); it grows when web-0 starts again: kubectl sts restart web --ordinals 0"
     % OFFLINE),
    (_state(UNMOUNTED, "file-system"),
     "data-web-0: the volume has 2Gi, its file system not yet: no running pod mounts it; the "
     "kubelet grows it when a pod mounts it"),
])
def test_each_claim_line_says_what_makes_its_file_system_grow(state, line):
    assert claim_line(ROW, state, "1Gi", "web") == line


@pytest.mark.parametrize("states, line", [
    ([_state(DONE), _state(DONE)], "resize of web complete"),
    ([_state(DONE), _state(RESTART)], "resize of web: the volumes and the template have 2Gi; "
     "1 file system not yet (1 needs a pod restart, above)"),
    ([_state(RESTART), _state(RESTART), _state(UNMOUNTED)], "resize of web: the volumes and "
     "the template have 2Gi; 3 file systems not yet (2 need a pod restart; 1 grows when a pod "
     "mounts it, above)"),
])
def test_complete_only_when_every_file_system_has_grown(states, line):
    assert final_line("web", "2Gi", states) == line


def test_the_manifest_change_is_named():
    change = {"template": "data", "from": "1Gi", "to": "2Gi"}
    assert manifest_lines(change, "1Gi") == [
        "template data: 1Gi -> 2Gi",
        "kubectl.kubernetes.io/last-applied-configuration: volumeClaimTemplates data storage "
        "1Gi -> 2Gi (only that field)",
        "in your manifest, set volumeClaimTemplates data spec.resources.requests.storage to "
        "2Gi: `kubectl apply -f` of a manifest that still says 1Gi is refused (updates to "
        "statefulset spec for fields other than ... are forbidden)"]
    assert len(manifest_lines(change, None)) == 2
