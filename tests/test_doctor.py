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


# -- who else owns the fields kubectl sts writes (core/fieldowners.py) -------------------------

def _owned_by(manager, operation, *fields, subresource=None):
    from kubectl_sts.core.fieldowners import FIELDS
    from kubectl_sts.k8s.fieldsv1 import encode
    entry = {"manager": manager, "operation": operation, "apiVersion": "apps/v1",
             "time": "2026-12-07T15:01:02Z", "fieldsType": "FieldsV1",
             "fieldsV1": encode([FIELDS[f] for f in fields])}
    if subresource:
        entry["subresource"] = subresource
    return entry


def owned(*entries, labels=None):
    return sts(metadata={"managedFields": list(entries)}, labels=labels)


def owner_findings(the_sts):
    return [(f["severity"], f["evidence"], f["fix"]) for f in findings(
        the_sts, PODS, CLAIMS, PVS, CLASSES, SERVICE, []) if f["check"] == "field-owner"]


@pytest.mark.parametrize("case, the_sts, expected", [
    ("flux applies them: a warning, how to pause it",
     owned(_owned_by("kustomize-controller", "Apply", "replicas", "partition", "template",
                     "claims"), labels={"kustomize.toolkit.fluxcd.io/name": "apps"}),
     [("warning", "Flux (kustomize-controller) owns .spec.replicas, "
       ".spec.updateStrategy.rollingUpdate.partition, .spec.template, "
       ".spec.volumeClaimTemplates (field manager kustomize-controller, Apply at "
       "2026-12-07T15:01:02Z): it applies the set from its source again at its next reconcile "
       "(the Kustomization's spec.interval) and puts it back",
       "pause it before kubectl sts changes these fields (rollout, scale and resize refuse "
       "without --force): kubectl annotate statefulset web -n default "
       "kustomize.toolkit.fluxcd.io/reconcile=disabled (remove it to resume); flux suspend "
       "kustomization apps -n flux-system (flux resume kustomization to resume); or in the "
       "Kustomization's spec.ignore: paths [/spec/replicas, "
       "/spec/updateStrategy/rollingUpdate/partition, /spec/template, "
       "/spec/volumeClaimTemplates], target kind StatefulSet name web")]),
    ("kubectl apply: info",
     owned(_owned_by("kubectl-client-side-apply", "Update", "replicas", "template")),
     [("info", "kubectl apply (client-side) owns .spec.replicas, .spec.template (field manager "
       "kubectl-client-side-apply, Update at 2026-12-07T15:01:02Z): it puts the manifest's "
       "values back at the next kubectl apply of it",
       "change the manifest too (kubectl.kubernetes.io/last-applied-configuration records "
       "it)")]),
    ("an autoscaler through the scale subresource",
     owned(_owned_by("kube-controller-manager", "Update", "replicas", subresource="scale")),
     [("warning", "a HorizontalPodAutoscaler (kube-controller-manager, scale) owns "
       ".spec.replicas (field manager kube-controller-manager, Update of subresource scale at "
       "2026-12-07T15:01:02Z): it sets the replicas it computes at its next sync (every 15 s)",
       "pause it before kubectl sts changes these fields (rollout, scale and resize refuse "
       "without --force): kubectl get hpa -n default: the one whose scaleTargetRef is "
       "StatefulSet web; set its minReplicas and maxReplicas, or delete it")]),
    ("kubectl sts itself and one-off writes: nothing",
     owned(_owned_by("kubectl-sts", "Update", "partition"),
           _owned_by("kubectl-patch", "Update", "replicas")), []),
    ("an owner of other fields only: nothing",
     owned(_owned_by("kustomize-controller", "Apply", "updateStrategy")), []),
])
def test_field_owners(case, the_sts, expected):
    assert owner_findings(the_sts) == expected, case


def test_client_side_apply_owns_only_what_its_manifest_names():
    """The API server gave kubectl-client-side-apply the defaulted partition at the create;
    its next apply patches only what last-applied-configuration names (kubectl
    apply/patcher.go): the partition is not its field."""
    the_sts = sts(metadata={"managedFields": [_owned_by("kubectl-client-side-apply", "Update",
                                                        "replicas", "partition", "template")]},
                  annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                      {"spec": {"template": {"spec": {}}}})})
    assert [e for _, e, _ in owner_findings(the_sts)] == [
        "kubectl apply (client-side) owns .spec.template (field manager "
        "kubectl-client-side-apply, Update at 2026-12-07T15:01:02Z): it puts the manifest's "
        "values back at the next kubectl apply of it"]
