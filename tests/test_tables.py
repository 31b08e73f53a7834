import copy
import datetime
from functools import partial
from typing import Any, Dict

import pytest

from kubectl_sts.k8s.humanreadable import (access_modes_string, human_duration, parse_timestamp,
                                           pod_status_reason)
from kubectl_sts.k8s.quantity import canonical_quantity
from kubectl_sts_sandbox.tables import column_definitions, to_table

from builders import claim, pod, service

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 1, 10, 12, 0, 0, tzinfo=UTC)


def ts(seconds_ago):
    """An RFC3339 timestamp ``seconds_ago`` before NOW."""
    return (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers(resource):
    return [(c["name"], c["priority"]) for c in column_definitions(resource)]


def cells(resource, obj):
    return to_table(resource, [obj], NOW)["rows"][0]["cells"]


# ---------------------------------------------------------------------------
# human_duration
# ---------------------------------------------------------------------------

MIN = 60
HOUR = 3600
DAY = 24 * HOUR
YEAR = 365 * DAY


@pytest.mark.parametrize(
    "seconds,expected",
    [
        (-100, "<invalid>"),
        (-2, "<invalid>"),
        (-1.9, "0s"),
        (-1, "0s"),
        (-0.5, "0s"),
        (0, "0s"),
        (0.9, "0s"),
        (1, "1s"),
        (45, "45s"),
        (59, "59s"),
        (60, "60s"),
        (119, "119s"),
        (119.99, "119s"),
        (120, "2m"),
        (121, "2m1s"),
        (150, "2m30s"),
        (9 * MIN + 59, "9m59s"),
        (10 * MIN, "10m"),
        (10 * MIN + 59, "10m"),
        (3 * HOUR - 1, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + 5 * MIN, "3h5m"),
        (3 * HOUR + 5 * MIN + 59, "3h5m"),
        (8 * HOUR - 1, "7h59m"),
        (8 * HOUR, "8h"),
        (8 * HOUR + 59 * MIN, "8h"),
        (48 * HOUR - 1, "47h"),
        (48 * HOUR, "2d"),
        (2 * DAY + 3 * HOUR, "2d3h"),
        (8 * DAY - 1, "7d23h"),
        (8 * DAY, "8d"),
        (12 * DAY + 5 * HOUR, "12d"),
        (2 * YEAR - 1, "729d"),
        (2 * YEAR, "2y"),
        (3 * YEAR + 45 * DAY, "3y45d"),
        (8 * YEAR - 1, "7y364d"),
        (8 * YEAR, "8y"),
        (20 * YEAR + 100 * DAY, "20y"),
    ],
)
def test_human_duration(seconds, expected):
    assert human_duration(seconds) == expected


def test_human_duration_accepts_timedelta():
    assert human_duration(datetime.timedelta(minutes=2, seconds=30)) == "2m30s"
    assert human_duration(datetime.timedelta(seconds=-5)) == "<invalid>"


# ---------------------------------------------------------------------------
# parse_timestamp / canonical_quantity / access modes
# ---------------------------------------------------------------------------


def test_parse_timestamp():
    assert parse_timestamp("2024-01-01T00:00:00Z") == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2024-01-01T02:00:00+02:00") == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2024-01-01T00:00:00.123456789Z") == datetime.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert parse_timestamp(None) is None
    assert parse_timestamp("") is None
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp("2024-13-01T00:00:00Z") is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("500Mi", "500Mi"),
        ("1Ki", "1Ki"),
        ("1.5Ki", "1536"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("2048", "2048"),
        ("0.5", "500m"),
        ("100m", "100m"),
        ("1000k", "1M"),
        ("10G", "10G"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("1E", "1E"),
        ("0", "0"),
        ("0Gi", "0"),
        ("-1Gi", "-1Gi"),
        (None, "0"),
        ("", "0"),
        (10, "10"),
        ("not-a-quantity", "not-a-quantity"),
    ],
)
def test_canonical_quantity(value, expected):
    assert canonical_quantity(value) == expected


def test_access_modes_string_fixed_order_and_dedup():
    assert access_modes_string(["ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce"]) == "RWO,ROX,RWX,RWOP"
    assert access_modes_string(["ReadWriteOnce", "ReadWriteOnce"]) == "RWO"
    assert access_modes_string([]) == ""
    assert access_modes_string(None) == ""


# ---------------------------------------------------------------------------
# Table envelope
# ---------------------------------------------------------------------------

STS: Dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "web", "namespace": "default", "uid": "u1", "creationTimestamp": ts(3 * HOUR + 5 * MIN)},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "nginx", "image": "nginx:1.25"},
                    {"name": "sidecar", "image": "busybox:1.36"},
                ]
            }
        },
    },
    "status": {"replicas": 3, "readyReplicas": 2},
}


def test_table_envelope_with_metadata_objects():
    table = to_table("statefulsets", [STS], NOW)
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {}
    assert len(table["rows"]) == 1
    row = table["rows"][0]
    assert set(row) == {"cells", "object"}
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": STS["metadata"],
    }
    assert row["object"]["metadata"] is not STS["metadata"]


def test_table_include_object_full_and_none():
    full = to_table("statefulsets", [STS], NOW, include_object="Object")["rows"][0]
    assert full["object"] == STS
    assert full["object"] is not STS
    none = to_table("statefulsets", [STS], NOW, include_object="None")["rows"][0]
    assert "object" not in none


def test_table_rejects_unknown_include_object():
    with pytest.raises(ValueError):
        to_table("pods", [], NOW, include_object="Everything")


def test_table_empty_list_still_has_columns():
    table = to_table("pods", [], NOW)
    assert table["rows"] == []
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "Ready", "Status"]


def test_table_does_not_mutate_inputs():
    objects = [copy.deepcopy(STS), copy.deepcopy(STS)]
    before = copy.deepcopy(objects)
    table = to_table("statefulsets", objects, NOW, include_object="Object")
    table["rows"][0]["object"]["metadata"]["name"] = "changed"
    table["columnDefinitions"][0]["name"] = "changed"
    assert objects == before
    assert column_definitions("statefulsets")[0]["name"] == "Name"


def test_rows_follow_input_order():
    a = copy.deepcopy(STS)
    b = copy.deepcopy(STS)
    b["metadata"]["name"] = "db"
    table = to_table("statefulsets", [a, b], NOW)
    assert [r["cells"][0] for r in table["rows"]] == ["web", "db"]


@pytest.mark.parametrize(
    "resource",
    [
        "statefulsets",
        "pods",
        "persistentvolumeclaims",
        "persistentvolumes",
        "services",
        "events",
        "controllerrevisions",
        "namespaces",
        "poddisruptionbudgets",
        "configmaps",
    ],
)
def test_column_definition_shape(resource):
    cols = column_definitions(resource)
    for col in cols:
        assert set(col) == {"name", "type", "format", "description", "priority"}
        assert col["priority"] in (0, 1)
        assert col["description"]
    names = [c for c in cols if c["name"] == "Name"]
    assert len(names) == 1 and names[0]["format"] == "name"


def test_age_column_description_is_creation_timestamp_doc():
    age = [c for c in column_definitions("pods") if c["name"] == "Age"][0]
    assert age["type"] == "string"
    assert age["description"].startswith("CreationTimestamp is a timestamp representing the server time")
    assert "in UTC.\n\nPopulated by the system." in age["description"]


# ---------------------------------------------------------------------------
# StatefulSets
# ---------------------------------------------------------------------------


def test_statefulset_columns():
    assert headers("statefulsets") == [("Name", 0), ("Ready", 0), ("Age", 0), ("Containers", 1), ("Images", 1)]


def test_statefulset_cells():
    assert cells("statefulsets", STS) == ["web", "2/3", "3h5m", "nginx,sidecar", "nginx:1.25,busybox:1.36"]


def test_statefulset_defaults():
    sts: Dict[str, Any] = {"metadata": {"name": "bare"}, "spec": {}, "status": {}}
    assert cells("statefulsets", sts) == ["bare", "0/1", "<unknown>", "", ""]
    sts["spec"]["replicas"] = 0
    assert cells("statefulsets", sts)[1] == "0/0"


# ---------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------


make_pod = partial(pod, "web-0", namespace="default", created=ts(10 * MIN), image="app:1",
                   phase="Running")


def running(name="app", ready=True, restarts=0, last_finished=None):
    st = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ts(60)}}}
    if last_finished is not None:
        st["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last_finished}}
    return st


def waiting(reason, name="app", restarts=0, last_finished=None):
    st = {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}
    if last_finished is not None:
        st["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last_finished}}
    return st


def terminated(name="app", exit_code=0, reason=None, signal=None, restarts=0):
    term = {"exitCode": exit_code, "finishedAt": ts(30)}
    if reason is not None:
        term["reason"] = reason
    if signal is not None:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"terminated": term}}


READY_COND = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]
TWO_INITS = [{"name": "init-a", "image": "busybox"}, {"name": "init-b", "image": "busybox"}]


def test_pod_columns():
    assert headers("pods") == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    types = {c["name"]: c["type"] for c in column_definitions("pods")}
    assert types["Restarts"] == "string"


def test_pod_running_full_row():
    pod = make_pod(statuses=[running()], status={"conditions": READY_COND, "podIPs": [{"ip": "10.1.0.5"}]},
                   spec={"nodeName": "node-1"})
    assert cells("pods", pod) == ["web-0", "1/1", "Running", "0", "10m", "10.1.0.5", "node-1", "<none>", "<none>"]


def test_pod_pending_unscheduled():
    pod = make_pod(phase="Pending")
    assert cells("pods", pod) == ["web-0", "0/1", "Pending", "0", "10m", "<none>", "<none>", "<none>", "<none>"]


def test_pod_container_creating():
    pod = make_pod(phase="Pending", statuses=[waiting("ContainerCreating")])
    assert cells("pods", pod)[1:4] == ["0/1", "ContainerCreating", "0"]


def test_pod_crash_loop_backoff_with_recent_restart():
    pod = make_pod(statuses=[waiting("CrashLoopBackOff", restarts=5, last_finished=ts(90))])
    assert cells("pods", pod)[1:4] == ["0/1", "CrashLoopBackOff", "5 (90s ago)"]


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"])
def test_pod_image_and_config_errors(reason):
    pod = make_pod(phase="Pending", statuses=[waiting(reason)])
    assert pod_status_reason(pod) == reason


def test_pod_restarts_without_last_termination_time():
    pod = make_pod(statuses=[running(restarts=3)])
    assert cells("pods", pod)[3] == "3"


def test_pod_restarts_use_latest_termination_across_containers():
    pod = make_pod(
        containers=[{"name": "a"}, {"name": "b"}],
        statuses=[running("a", restarts=1, last_finished=ts(2 * HOUR)), running("b", restarts=2, last_finished=ts(150))],
    )
    assert cells("pods", pod)[1:4] == ["2/2", "Running", "3 (2m30s ago)"]


def test_pod_terminating():
    pod = make_pod(statuses=[running()], status={"conditions": READY_COND})
    pod["metadata"]["deletionTimestamp"] = ts(0)
    assert cells("pods", pod)[1:3] == ["1/1", "Terminating"]


def test_pod_terminating_not_shown_for_terminal_phase():
    pod = make_pod(phase="Succeeded", statuses=[terminated(reason="Completed")])
    pod["metadata"]["deletionTimestamp"] = ts(0)
    assert pod_status_reason(pod) == "Completed"


def test_pod_node_lost_while_deleting_is_unknown():
    pod = make_pod(statuses=[running()], status={"reason": "NodeLost"})
    pod["metadata"]["deletionTimestamp"] = ts(0)
    assert pod_status_reason(pod) == "Unknown"


def test_pod_completed_row_has_completed_condition():
    pod = make_pod(phase="Succeeded", statuses=[terminated(reason="Completed")])
    row = to_table("pods", [pod], NOW)["rows"][0]
    assert row["cells"][1:3] == ["0/1", "Completed"]
    assert row["conditions"] == [
        {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
    ]


def test_pod_failed_row_has_failed_condition():
    pod = make_pod(phase="Failed", statuses=[terminated(exit_code=1, reason="Error")])
    row = to_table("pods", [pod], NOW)["rows"][0]
    assert row["cells"][2] == "Error"
    assert row["conditions"] == [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]


def test_running_pod_row_has_no_conditions():
    row = to_table("pods", [make_pod(statuses=[running()])], NOW)["rows"][0]
    assert "conditions" not in row


def test_pod_terminated_without_reason():
    assert pod_status_reason(make_pod(phase="Failed", statuses=[terminated(exit_code=137)])) == "ExitCode:137"
    assert pod_status_reason(make_pod(phase="Failed", statuses=[terminated(exit_code=137, signal=9)])) == "Signal:9"


def test_pod_completed_with_running_container_is_running_or_not_ready():
    statuses = [running("a"), terminated("b", reason="Completed")]
    containers = [{"name": "a"}, {"name": "b"}]
    ready_pod = make_pod(containers=containers, statuses=statuses, status={"conditions": READY_COND})
    assert cells("pods", ready_pod)[1:3] == ["1/2", "Running"]
    not_ready = make_pod(containers=containers, statuses=statuses, status={"conditions": [{"type": "Ready", "status": "False"}]})
    assert cells("pods", not_ready)[1:3] == ["1/2", "NotReady"]


def test_pod_first_container_state_wins():
    containers = [{"name": "a"}, {"name": "b"}]
    pod = make_pod(containers=containers, statuses=[waiting("CrashLoopBackOff", "a"), waiting("ImagePullBackOff", "b")])
    assert pod_status_reason(pod) == "CrashLoopBackOff"


def test_pod_running_but_not_ready_container():
    pod = make_pod(statuses=[running(ready=False)])
    assert cells("pods", pod)[1:3] == ["0/1", "Running"]


def test_pod_status_reason_overrides_phase():
    pod = make_pod(phase="Failed", status={"reason": "Evicted"})
    assert pod_status_reason(pod) == "Evicted"


def test_pod_scheduling_gated():
    pod = make_pod(phase="Pending", status={"conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]})
    assert pod_status_reason(pod) == "SchedulingGated"


def test_pod_init_waiting_to_start():
    pod = make_pod(
        phase="Pending",
        init_containers=TWO_INITS,
        init_statuses=[waiting("PodInitializing", "init-a"), waiting("PodInitializing", "init-b")],
        statuses=[waiting("PodInitializing")],
    )
    assert cells("pods", pod)[1:4] == ["0/1", "Init:0/2", "0"]


def test_pod_init_second_of_two_running():
    pod = make_pod(
        phase="Pending",
        init_containers=TWO_INITS,
        init_statuses=[terminated("init-a", reason="Completed"), running("init-b", ready=False)],
        statuses=[waiting("PodInitializing")],
    )
    assert pod_status_reason(pod) == "Init:1/2"


def test_pod_init_crash_loop_counts_init_restarts():
    pod = make_pod(
        phase="Pending",
        init_containers=TWO_INITS,
        init_statuses=[waiting("CrashLoopBackOff", "init-a", restarts=4, last_finished=ts(40))],
        statuses=[waiting("PodInitializing")],
    )
    assert cells("pods", pod)[1:4] == ["0/1", "Init:CrashLoopBackOff", "4 (40s ago)"]


def test_pod_init_terminated_with_error():
    base: dict = dict(phase="Pending", init_containers=TWO_INITS, statuses=[waiting("PodInitializing")])
    assert pod_status_reason(make_pod(init_statuses=[terminated("init-a", exit_code=1, reason="Error")], **base)) == "Init:Error"
    assert pod_status_reason(make_pod(init_statuses=[terminated("init-a", exit_code=2)], **base)) == "Init:ExitCode:2"
    assert pod_status_reason(make_pod(init_statuses=[terminated("init-a", exit_code=2, signal=15)], **base)) == "Init:Signal:15"


def test_pod_init_done_then_pod_initializing():
    pod = make_pod(
        phase="Pending",
        init_containers=TWO_INITS,
        init_statuses=[terminated("init-a", reason="Completed", restarts=2), terminated("init-b", reason="Completed")],
        statuses=[waiting("PodInitializing")],
    )
    # once initialization is over only the app containers' restarts count
    assert cells("pods", pod)[1:4] == ["0/1", "PodInitializing", "0"]


def test_pod_restartable_init_sidecar_counts():
    init = [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]
    pod = make_pod(
        init_containers=init,
        init_statuses=[dict(running("proxy", restarts=1, last_finished=ts(300)), started=True)],
        statuses=[running()],
        status={"conditions": READY_COND},
    )
    assert cells("pods", pod)[1:4] == ["2/2", "Running", "1 (5m ago)"]


def test_pod_restartable_init_not_started_blocks_init():
    init = [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]
    pod = make_pod(
        phase="Pending",
        init_containers=init,
        init_statuses=[dict(running("proxy", ready=False), started=False)],
        statuses=[waiting("PodInitializing")],
    )
    assert cells("pods", pod)[1:3] == ["0/2", "Init:0/1"]


def test_pod_wide_columns_and_readiness_gates():
    pod = make_pod(
        statuses=[running()],
        spec={"nodeName": "node-2", "readinessGates": [{"conditionType": "example.com/a"}, {"conditionType": "example.com/b"}]},
        status={"conditions": READY_COND + [
            {"type": "example.com/a", "status": "True"},
            {"type": "example.com/b", "status": "False"},
        ], "podIP": "10.9.9.9", "nominatedNodeName": "node-3"},
    )
    assert cells("pods", pod)[5:] == ["10.9.9.9", "node-2", "node-3", "1/2"]


def test_pod_age_unknown_without_creation_timestamp():
    pod = make_pod()
    del pod["metadata"]["creationTimestamp"]
    assert cells("pods", pod)[4] == "<unknown>"


def test_pod_age_in_future_is_invalid():
    pod = make_pod()
    pod["metadata"]["creationTimestamp"] = ts(-60)
    assert cells("pods", pod)[4] == "<invalid>"


# ---------------------------------------------------------------------------
# PersistentVolumeClaims / PersistentVolumes
# ---------------------------------------------------------------------------


def test_pvc_columns():
    assert headers("persistentvolumeclaims") == [
        ("Name", 0),
        ("Status", 0),
        ("Volume", 0),
        ("Capacity", 0),
        ("Access Modes", 0),
        ("StorageClass", 0),
        ("VolumeAttributesClass", 0),
        ("Age", 0),
        ("VolumeMode", 1),
    ]


pvc = partial(claim, "data-web-0", namespace="default", created=ts(2 * DAY + 3 * HOUR),
              storage_class="standard", volume_mode="Filesystem", phase="Pending")


def test_pvc_bound():
    claim = pvc(
        spec={"volumeName": "pvc-123"},
        status={"phase": "Bound", "capacity": {"storage": "1024Mi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"]},
    )
    assert cells("persistentvolumeclaims", claim) == [
        "data-web-0", "Bound", "pvc-123", "1Gi", "RWO,RWX", "standard", "<unset>", "2d3h", "Filesystem",
    ]


def test_pvc_pending_shows_no_capacity_or_modes():
    assert cells("persistentvolumeclaims", pvc()) == [
        "data-web-0", "Pending", "", "", "", "standard", "<unset>", "2d3h", "Filesystem",
    ]


def test_pvc_terminating_annotation_class_and_vac():
    claim = pvc(spec={"volumeAttributesClassName": "gold", "volumeName": "pv-1"}, status={"phase": "Bound"})
    del claim["spec"]["volumeMode"]
    claim["metadata"]["deletionTimestamp"] = ts(0)
    claim["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "legacy"}
    row = cells("persistentvolumeclaims", claim)
    assert row[1] == "Terminating"
    assert row[3] == "0"  # bound without a reported capacity
    assert row[5] == "legacy"
    assert row[6] == "gold"
    assert row[8] == "<unset>"


def test_pvc_without_storage_class():
    claim = pvc()
    del claim["spec"]["storageClassName"]
    assert cells("persistentvolumeclaims", claim)[5] == ""


def test_pv_columns_and_cells():
    assert headers("persistentvolumes") == [
        ("Name", 0), ("Capacity", 0), ("Access Modes", 0), ("Reclaim Policy", 0), ("Status", 0), ("Claim", 0),
        ("StorageClass", 0), ("VolumeAttributesClass", 0), ("Reason", 0), ("Age", 0), ("VolumeMode", 1),
    ]
    pv = {
        "metadata": {"name": "pvc-123", "creationTimestamp": ts(12 * DAY)},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce", "ReadWriteOncePod"],
            "persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {"namespace": "default", "name": "data-web-0"},
            "storageClassName": "standard",
            "volumeMode": "Block",
        },
        "status": {"phase": "Bound"},
    }
    assert cells("persistentvolumes", pv) == [
        "pvc-123", "10Gi", "RWO,RWOP", "Delete", "Bound", "default/data-web-0", "standard", "<unset>", "", "12d", "Block",
    ]
    released = copy.deepcopy(pv)
    del released["spec"]["claimRef"]
    released["status"] = {"phase": "Failed", "reason": "RecyclerFailed"}
    released["metadata"]["deletionTimestamp"] = ts(0)
    row = cells("persistentvolumes", released)
    assert row[4:6] == ["Terminating", ""]
    assert row[8] == "RecyclerFailed"


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------


svc = partial(service, "web", created=ts(45), cluster_ip=None, selector=None, ports=None,
              status={})


def test_service_columns():
    assert headers("services") == [
        ("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0), ("Selector", 1),
    ]


def test_headless_cluster_ip_service():
    s = svc(spec={"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "selector": {"app": "web", "a": "b"}})
    assert cells("services", s) == ["web", "ClusterIP", "None", "<none>", "80/TCP", "45s", "a=b,app=web"]


def test_node_port_service_with_external_ips():
    s = svc(spec={"type": "NodePort", "clusterIP": "10.96.0.10", "externalIPs": ["1.2.3.4", "5.6.7.8"],
                  "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]})
    assert cells("services", s) == ["web", "NodePort", "10.96.0.10", "1.2.3.4,5.6.7.8", "80:30080/TCP,53/UDP", "45s", "<none>"]


def test_load_balancer_service():
    pending = svc(spec={"type": "LoadBalancer", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 443, "nodePort": 31000}]})
    assert cells("services", pending)[2:5] == ["10.0.0.1", "<pending>", "443:31000/TCP"]
    ready = svc(
        spec={"type": "LoadBalancer", "clusterIPs": ["10.0.0.1"], "externalIPs": ["9.9.9.9"]},
        status={"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}, {"ip": "3.3.3.3"}]}},
    )
    assert cells("services", ready)[3:5] == ["3.3.3.3,lb.example.com,9.9.9.9", "<none>"]


def test_external_name_service():
    s = svc(spec={"type": "ExternalName", "externalName": "db.example.com"})
    assert cells("services", s)[1:5] == ["ExternalName", "<none>", "db.example.com", "<none>"]


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


def test_event_columns():
    assert headers("events") == [
        ("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1), ("Source", 1),
        ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1),
    ]


def test_event_cells():
    event = {
        "metadata": {"name": "web-0.17a2", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{nginx}"},
        "reason": "Pulled",
        "message": "  Successfully pulled image\n",
        "type": "Normal",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ts(3 * DAY),
        "lastTimestamp": ts(2 * MIN),
        "count": 6,
    }
    assert cells("events", event) == [
        "2m", "Normal", "Pulled", "pod/web-0", "spec.containers{nginx}", "kubelet, node-1",
        "Successfully pulled image", "3d", 6, "web-0.17a2",
    ]


def test_event_new_api_style():
    event = {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "StatefulSet", "name": "web"},
        "reason": "SuccessfulCreate",
        "type": "Normal",
        "eventTime": "2024-01-10T11:59:00.000000Z",
        "reportingComponent": "statefulset-controller",
    }
    assert cells("events", event) == [
        "60s", "Normal", "SuccessfulCreate", "statefulset/web", "", "statefulset-controller", "", "60s", 1, "web.1",
    ]
    event["series"] = {"count": 4, "lastObservedTime": "2024-01-10T11:59:50.000000Z"}
    event["reportingInstance"] = "cm-1"
    row = cells("events", event)
    assert row[0] == "10s"
    assert row[5] == "statefulset-controller, cm-1"
    assert row[8] == 4


def test_event_without_any_time_or_object_name():
    event = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Node"}}
    row = cells("events", event)
    assert row[0] == "<unknown>"
    assert row[3] == "node"
    assert row[7] == "<unknown>"


# ---------------------------------------------------------------------------
# ControllerRevisions, Namespaces, PodDisruptionBudgets, default
# ---------------------------------------------------------------------------


def test_controller_revision():
    assert headers("controllerrevisions") == [("Name", 0), ("Controller", 0), ("Revision", 0), ("Age", 0)]
    rev = {
        "metadata": {
            "name": "web-6b9c7f7d5c",
            "creationTimestamp": ts(8 * HOUR),
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Pod", "name": "other"},
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True},
            ],
        },
        "revision": 2,
    }
    assert cells("controllerrevisions", rev) == ["web-6b9c7f7d5c", "statefulset.apps/web", 2, "8h"]


def test_controller_revision_without_controller_and_core_group():
    orphan = {"metadata": {"name": "r1"}, "revision": 1}
    assert cells("controllerrevisions", orphan)[1] == "<none>"
    core = {"metadata": {"name": "r2", "ownerReferences": [
        {"apiVersion": "v1", "kind": "ReplicationController", "name": "rc", "controller": True}]}, "revision": 3}
    assert cells("controllerrevisions", core)[1:3] == ["replicationcontroller/rc", 3]


def test_namespace():
    assert headers("namespaces") == [("Name", 0), ("Status", 0), ("Age", 0)]
    ns = {"metadata": {"name": "default", "creationTimestamp": ts(3 * YEAR + 45 * DAY)}, "status": {"phase": "Active"}}
    assert cells("namespaces", ns) == ["default", "Active", "3y45d"]


def test_pod_disruption_budget():
    assert headers("poddisruptionbudgets") == [
        ("Name", 0), ("Min Available", 0), ("Max Unavailable", 0), ("Allowed Disruptions", 0), ("Age", 0),
    ]
    types = {c["name"]: c["type"] for c in column_definitions("poddisruptionbudgets")}
    assert types["Allowed Disruptions"] == "integer"
    pdb = {"metadata": {"name": "web", "creationTimestamp": ts(30)}, "spec": {"minAvailable": 2},
           "status": {"disruptionsAllowed": 1}}
    assert cells("poddisruptionbudgets", pdb) == ["web", "2", "N/A", 1, "30s"]
    pct = {"metadata": {"name": "web"}, "spec": {"maxUnavailable": "50%"}, "status": {}}
    assert cells("poddisruptionbudgets", pct) == ["web", "N/A", "50%", 0, "<unknown>"]


def test_default_table_for_other_resources():
    assert [(c["name"], c["type"], c["format"]) for c in column_definitions("widgets")] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]
    cm = {"metadata": {"name": "cfg", "creationTimestamp": "2024-01-01T02:00:00+02:00"}}
    assert cells("widgets", cm) == ["cfg", "2024-01-01T00:00:00Z"]
    assert cells("widgets", {"metadata": {"name": "w"}}) == ["w", "0001-01-01T00:00:00Z"]


def test_naive_now_is_treated_as_utc():
    naive = NOW.replace(tzinfo=None)
    assert to_table("statefulsets", [STS], naive)["rows"][0]["cells"][2] == "3h5m"
