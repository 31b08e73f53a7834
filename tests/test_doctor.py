"""The `doctor` core (kubectl_sts/core/doctor.py), table-driven over plain objects: no server."""

import json

import pytest

from kubectl_sts.core.doctor import findings


def sts(**spec_overrides):
    spec = {"replicas": 2, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "resources": {"requests": {"storage": "1Gi"}}}}]}
    meta = spec_overrides.pop("metadata", {})
    spec.update(spec_overrides)
    return {"metadata": dict({"name": "web", "namespace": "default"}, **meta), "spec": spec,
            "status": {"currentRevision": "web-1", "updateRevision": "web-1"}}


def pod(o):
    return {"metadata": {"name": "web-%d" % o, "uid": "u%d" % o, "labels": {
        "app": "web", "controller-revision-hash": "web-1"}},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}


def claim(o, size="1Gi", sc="standard"):
    return {"metadata": {"name": "data-web-%d" % o}, "spec": {
        "storageClassName": sc, "volumeName": "pv-%d" % o,
        "resources": {"requests": {"storage": size}}},
        "status": {"phase": "Bound", "capacity": {"storage": size}}}


SERVICE = {"web": {"metadata": {"name": "web"}, "spec": {"clusterIP": "None",
                                                          "selector": {"app": "web"}}}}
CLASSES = [{"metadata": {"name": "standard", "annotations": {
    "storageclass.kubernetes.io/is-default-class": "true"}}, "allowVolumeExpansion": True},
    {"metadata": {"name": "fixed"}}]
PVS = {"pv-%d" % o: {"spec": {"persistentVolumeReclaimPolicy": "Delete"}} for o in range(3)}
PODS = [pod(0), pod(1)]
CLAIMS = [claim(0), claim(1)]


def checks(the_sts, pods=PODS, claims=CLAIMS, services=SERVICE, pdbs=(), pvs=PVS):
    return [(f["severity"], f["check"]) for f in findings(the_sts, list(pods), list(claims),
                                                          pvs, CLASSES, services, list(pdbs))]


def test_clean():
    assert checks(sts()) == []


@pytest.mark.parametrize("case, the_sts, kwargs, expected", [
    ("no-service", sts(), {"services": {}}, [("error", "no-service")]),
    ("empty-service-name", sts(serviceName=""), {}, [("warning", "no-service")]),
    ("not-headless", sts(), {"services": {"web": {"metadata": {"name": "web"}, "spec": {
        "clusterIP": "10.0.0.1", "selector": {"app": "web"}}}}},
     [("warning", "service-not-headless")]),
    ("misses", sts(), {"services": {"web": {"metadata": {"name": "web"}, "spec": {
        "clusterIP": "None", "selector": {"app": "x"}}}}}, [("error", "service-misses-pods")]),
    ("retention", sts(persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"}), {},
     [("warning", "retention-deletes-data")]),
    ("retention-retained-pvs", sts(persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Delete"}), {"pvs": {}}, []),
    ("partition", sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {
        "partition": 1}}), {}, [("warning", "stale-partition")]),
    ("grace", sts(template={"metadata": {"labels": {"app": "web"}}, "spec": {
        "terminationGracePeriodSeconds": 0, "containers": []}}), {},
     [("warning", "zero-grace-period")]),
    ("fixed-class", sts(), {"claims": [claim(0, sc="fixed"), claim(1, sc="fixed")]},
     [("info", "class-cannot-expand")]),
    ("no-class", sts(), {"claims": [claim(0, sc=""), claim(1)]},
     [("info", "class-cannot-expand")]),
    ("drift", sts(), {"claims": [claim(0, "2Gi"), claim(1)]}, [("info", "claim-drift")]),
    ("orphans", sts(), {"claims": CLAIMS + [claim(2)]}, [("info", "orphaned-pvcs")]),
    ("dropped", sts(metadata={"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"spec": {
            "updateStrategy": {"rollingUpdate": {"maxUnavailable": 2}}}})}}), {},
     [("warning", "max-unavailable-dropped")]),
    ("budget", sts(), {"pdbs": [{"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}}, "maxUnavailable": 0},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2,
                   "expectedPods": 2}}]}, [("warning", "pdb-blocks-drain")]),
])
def test_each_check(case, the_sts, kwargs, expected):
    assert checks(the_sts, **kwargs) == expected, case


def test_errors_come_first():
    the_sts = sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    assert checks(the_sts, services={}) == [("error", "no-service"),
                                            ("warning", "stale-partition")]


def _slice(*hostnames, ready=True):
    return {"metadata": {"name": "web-abc", "labels": {"kubernetes.io/service-name": "web"}},
            "endpoints": [{"addresses": ["10.0.0.%d" % i], "hostname": h,
                           "conditions": {"ready": ready}} for i, h in enumerate(hostnames)]}


@pytest.mark.parametrize("pods, slices, expected", [
    (PODS, [_slice("web-0", "web-1")], []),
    (PODS, None, []),                                   # EndpointSlices not readable
    (PODS, [_slice("web-0")], [("warning", "no-dns-record")]),
    ([pod(0), dict(pod(1), status={"phase": "Running", "conditions": [
        {"type": "Ready", "status": "False"}]})], [_slice("web-0")],
     [("info", "not-ready-not-in-dns")]),
])
def test_dns_records_from_endpointslices(pods, slices, expected):
    found = [(f["severity"], f["check"]) for f in findings(
        sts(), pods, CLAIMS, PVS, CLASSES, SERVICE, [], slices)]
    assert found == expected
