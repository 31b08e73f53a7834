"""The `doctor` core (kubectl_sts/core/doctor.py), table-driven over plain objects: no server."""

import json
from functools import partial

import pytest

from kubectl_sts.core.doctor import findings

from builders import claim, pod, service, statefulset, storage_class, volume


# the set as served, its ready pods and bound claims
sts = partial(statefulset, replicas=2, namespace="default", strategy="RollingUpdate",
              image="nginx", grace=None, access_modes=None, current="web-1")
ready_pod = partial(pod, revision="web-1", labels={"app": "web"}, uid="u{ordinal}", ready=True)
bound_claim = partial(claim, access_modes=None, storage_class="standard", volume=True,
                      phase="Bound")

SERVICE = {"web": service(ports=None)}
CLASSES = [storage_class("standard", default=True, expand=True), storage_class("fixed")]
PVS = {"pv-data-web-%d" % o: volume("pv-data-web-%d" % o) for o in range(3)}
PODS = [ready_pod(0), ready_pod(1)]
CLAIMS = [bound_claim("data-web-0"), bound_claim("data-web-1")]


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
    ("fixed-class", sts(), {"claims": [bound_claim("data-web-0", storage_class="fixed"),
                                       bound_claim("data-web-1", storage_class="fixed")]},
     [("info", "class-cannot-expand")]),
    ("no-class", sts(), {"claims": [bound_claim("data-web-0", storage_class=""),
                                    bound_claim("data-web-1")]},
     [("info", "class-cannot-expand")]),
    ("drift", sts(), {"claims": [bound_claim("data-web-0", "2Gi"), bound_claim("data-web-1")]},
     [("info", "claim-drift")]),
    ("orphans", sts(), {"claims": CLAIMS + [bound_claim("data-web-2")]}, [("info", "orphaned-pvcs")]),
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
    ([ready_pod(0), dict(ready_pod(1), status={"phase": "Running", "conditions": [
        {"type": "Ready", "status": "False"}]})], [_slice("web-0")],
     [("info", "not-ready-not-in-dns")]),
])
def test_dns_records_from_endpointslices(pods, slices, expected):
    found = [(f["severity"], f["check"]) for f in findings(
        sts(), pods, CLAIMS, PVS, CLASSES, SERVICE, [], slices)]
    assert found == expected
