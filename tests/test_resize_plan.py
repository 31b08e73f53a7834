"""The `resize` core (kubectl_sts/core/resize.py), table-driven over plain API objects: no server."""

import copy
from functools import partial

import pytest

from kubectl_sts.core.resize import (PlanError, PlanRefused, adoption_problems, managers, plan,
                                     recreated)

import builders


CREATED = "2026-01-01T00:00:00Z"
DATABASE = [{"kind": "Database", "name": "db", "controller": True}]     # an owner
sts = partial(builders.statefulset, replicas=2, namespace="default", uid="u-1",
              resource_version="7", generation=3, created=CREATED, labels={"app": "web"},
              metadata={"managedFields": [{"manager": "kubectl"}]}, image="nginx", grace=None,
              current="web-1")
claim = partial(builders.claim, uid="c-{name}", resource_version="1", access_modes=None,
                storage_class="standard", phase="Bound")
sc = partial(builders.storage_class, created=CREATED, provisioner="rancher.io/local-path",
             expand=True)
CLASSES = [sc("standard", default=True), sc("fixed", expand=False)]
TWO = [claim("data-web-0"), claim("data-web-1")]


@pytest.mark.parametrize("case, the_set, claims, size, refusal", [
    ("fine", sts(), TWO, "2Gi", None),
    ("missing", sts(), TWO[:1], "2Gi", "PVC data-web-1 of ordinal 1 does not exist"),
    ("pending", sts(), [TWO[0], claim("data-web-1", phase="Pending")], "2Gi",
     "PVC data-web-1 is Pending, not Bound"),
    ("fixed-class", sts(), [claim("data-web-0", storage_class="fixed"), TWO[1]], "2Gi",
     "StorageClass fixed of PVC data-web-0 does not allow volume expansion "
     "(allowVolumeExpansion is not true)"),
    ("unknown-class", sts(), [claim("data-web-0", storage_class="gold"), TWO[1]], "2Gi",
     "PVC data-web-0: StorageClass gold does not exist"),
    # admission refuses a claim without a class, whatever the default class is
    ("no-class", sts(), [claim("data-web-0", storage_class=None), TWO[1]], "2Gi",
     "PVC data-web-0 has no StorageClass: the API server expands only claims of a class that "
     "allows it"),
    ("owned", sts(owners=DATABASE), TWO, "2Gi",
     "StatefulSet web is controlled by Database db, which would undo the change "
     "(--force to go ahead)"),
    ("mid-rollout", sts(update="web-2"), TWO, "2Gi", "a rollout is in progress (current "
     "revision web-1, update revision web-2): recreating the set now would restart the "
     "ordinals below the partition; finish or undo it first"),
    ("start-ordinal", sts(start=5), [claim("data-web-5"), claim("data-web-6")], "2Gi", None),
])
def test_refusals(case, the_set, claims, size, refusal):
    result = plan(the_set, claims, CLASSES, size)
    assert result["refusals"] == ([refusal] if refusal else []), case


def test_force_overrides_only_the_owner():
    result = plan(sts(owners=DATABASE), TWO, CLASSES, "2Gi", force=True)
    assert result["refusals"] == []


def test_the_plan_names_every_claim_and_the_template_change():
    result = plan(sts(), [claim("data-web-0", "2Gi"), TWO[1]], CLASSES, "2048Mi")
    assert [(r["name"], r["capacity"], r["storageClass"], r["size"], r["action"])
            for r in result["claims"]] == [("data-web-0", "2Gi", "standard", "2Gi", "done"),
                                          ("data-web-1", "1Gi", "standard", "2Gi", "expand")]
    assert result["templateChange"] == {"template": "data", "from": "1Gi", "to": "2Gi"}
    assert result["nothingToDo"] is False


def test_a_claim_asked_for_already_is_waited_for_not_written_again():
    """A rerun while an expansion is under way (request at SIZE, capacity not yet): patching
    it again would only race the resizer's status writes (409)."""
    result = plan(sts(), [claim("data-web-0", "2Gi", capacity="1Gi"), TWO[1]], CLASSES, "2Gi")
    assert [(r["name"], r["request"], r["action"]) for r in result["claims"]] == [
        ("data-web-0", "2Gi", "growing"), ("data-web-1", "1Gi", "expand")]
    assert result["refusals"] == [] and result["nothingToDo"] is False


def test_rerun_after_success_has_nothing_to_do():
    grown = [claim("data-web-0", "2Gi"), claim("data-web-1", "2Gi")]
    result = plan(sts(claim_size="2Gi"), grown, CLASSES, "2Gi")
    assert result["nothingToDo"] is True and result["templateChange"] is None


def test_orphans_only_when_asked():
    claims = TWO + [claim("data-web-4"), claim("other-web-9")]
    assert [r["name"] for r in plan(sts(), claims, CLASSES, "2Gi")["claims"]] == \
        ["data-web-0", "data-web-1"]
    rows = plan(sts(), claims, CLASSES, "2Gi", include_orphans=True)["claims"]
    assert [(r["name"], r["inRange"]) for r in rows] == [
        ("data-web-0", True), ("data-web-1", True), ("data-web-4", False)]


@pytest.mark.parametrize("the_set, template, message", [
    (sts(claims=("data", "logs")), None,
     "StatefulSet web has 2 claim templates (data, logs): choose one with --claim"),
    (sts(), "logs", 'StatefulSet web has no claim template "logs" (templates: data)'),
    (sts(claims=()), None, "StatefulSet web has no volumeClaimTemplates: nothing to resize"),
])
def test_template_choice(the_set, template, message):
    with pytest.raises(PlanError, match="^%s$" % message.replace("(", r"\(").replace(")", r"\)")):
        plan(the_set, TWO, CLASSES, "2Gi", template)


@pytest.mark.parametrize("size", ["", "0", "-1Gi", "big", "2GB"])
def test_a_size_must_be_a_positive_quantity(size):
    with pytest.raises(PlanError, match="invalid size"):
        plan(sts(), TWO, CLASSES, size)


@pytest.mark.parametrize("labels, annotations, expected", [
    ({"app.kubernetes.io/managed-by": "Helm"}, {"meta.helm.sh/release-name": "db"},
     ["Helm (release db)"]),
    ({}, {"argocd.argoproj.io/tracking-id": "shop:apps/StatefulSet:default/web"},
     ["Argo CD (application shop)"]),
    ({"kustomize.toolkit.fluxcd.io/name": "apps"}, {}, ["Flux (kustomize apps)"]),
    ({"app": "web"}, {}, []),
])
def test_managers_are_named_and_warned_about(labels, annotations, expected):
    the_set = sts(labels=labels or {"app": "web"}, annotations=annotations)
    assert managers(the_set) == expected
    warnings = plan(the_set, TWO, CLASSES, "2Gi")["warnings"]
    assert len(warnings) == len(expected)
    for warning, who in zip(warnings, expected):
        assert warning.startswith(who + " manages web: change the source too "
                                  "(volumeClaimTemplates[data] storage: 1Gi -> 2Gi)")


@pytest.mark.parametrize("claims, size", [
    ([claim("data-web-0", "5Gi"), TWO[1]], "2Gi"),
    # a shrink refuses even where the plan has other refusals (a missing claim, a fixed class)
    ([claim("data-web-0", storage_class="fixed")], "512Mi"),
])
def test_a_shrink_is_refused_before_any_plan(claims, size):
    """No plan document (no row with ACTION expand) for what can never be done."""
    with pytest.raises(PlanRefused) as refused:
        plan(sts(), claims, CLASSES, size)
    capacity = claims[0]["status"]["capacity"]["storage"]
    assert str(refused.value) == "%s is smaller than the capacity of PVC data-web-0 (%s): " \
        "volumes cannot shrink" % (size, capacity)


def test_every_claim_that_would_shrink_is_named():
    with pytest.raises(PlanRefused, match=r"^512Mi is smaller than the capacity of PVC "
                       r"data-web-0 \(1Gi\), data-web-1 \(1Gi\): volumes cannot shrink$"):
        plan(sts(), TWO, CLASSES, "512Mi")


def test_recreated_is_the_live_set_without_server_fields_and_with_the_new_size():
    live = sts()
    body = recreated(live, "data", "2048Mi")
    assert "status" not in body
    assert set(body["metadata"]) == {"name", "namespace", "labels"}
    assert body["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"] == \
        {"storage": "2Gi"}
    expected = copy.deepcopy(live["spec"])
    expected["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert body["spec"] == expected
    assert live["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"][
        "storage"] == "1Gi"                  # the live object is left alone
    # without a size: the set as it was (the fallback when the new one cannot be created)
    odd = sts(claim_size="1024Mi")
    assert recreated(odd, "data", None)["spec"] == odd["spec"]


adopted = partial(builders.pod, owners=[{"kind": "StatefulSet", "uid": "new", "controller": True}])


@pytest.mark.parametrize("pods, current, problems", [
    ([adopted("web-0", uid="p0"), adopted("web-1", uid="p1")], "web-1", []),
    ([adopted("web-0", uid="p0"), builders.pod("web-1", uid="p1")], "web-1",
     ["pod web-1 is not adopted yet"]),
    ([adopted("web-0", uid="p0"), adopted("web-1", uid="p9")], "web-1",
     ["pod web-1 was replaced"]),
    ([adopted("web-0", uid="p0")], "web-1", ["pod web-1 is gone"]),
    ([adopted("web-0", uid="p0"), adopted("web-1", uid="p1")], None,
     ["current revision is not set yet, not web-1"]),
])
def test_adoption(pods, current, problems):
    new = {"metadata": {"uid": "new"}, "status": {"currentRevision": current}}
    assert adoption_problems(new, {"web-0": "p0", "web-1": "p1"}, pods, "web-1") == problems


def test_a_controller_owning_the_claim_templates_refuses_the_resize():
    """managedFields say Flux's kustomize-controller applies the claim templates: its next
    reconcile would fail on (or, forced, recreate) the template, so the plan is refused unless
    --force, and the warning says how to pause it."""
    owned = {"manager": "kustomize-controller", "operation": "Apply", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:volumeClaimTemplates": {}}}}
    the_set = sts(metadata={"managedFields": [owned]})
    refused = plan(the_set, TWO, CLASSES, "2Gi")
    assert refused["refusals"] == [
        ".spec.volumeClaimTemplates is owned by Flux (kustomize-controller), which puts it "
        "back: pause it first, or --force to write anyway"]
    assert refused["warnings"][0].startswith(
        "Flux (kustomize-controller) manages web: change the source too")
    assert "to pause it: kubectl annotate statefulset web" in refused["warnings"][0]
    assert plan(the_set, TWO, CLASSES, "2Gi", force=True)["refusals"] == []
