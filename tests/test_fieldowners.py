"""Who else writes the fields the plugin changes (kubectl_sts/core/fieldowners.py), table-driven
over plain StatefulSets carrying managedFields: no server."""

from typing import Any, Dict

import pytest

from kubectl_sts.core.fieldowners import (FIELDS, markers, other_writers, ownership, refusal,
                                          warning_lines, written_paths)

REPLICAS: Dict[str, Any] = {"f:spec": {"f:replicas": {}}}
PARTITION: Dict[str, Any] = {"f:spec": {"f:updateStrategy": {"f:rollingUpdate": {"f:partition": {}}}}}
IMAGE: Dict[str, Any] = {"f:spec": {"f:template": {"f:spec": {"f:containers": {
    'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}}}}}}
STATUS: Dict[str, Any] = {"f:status": {"f:replicas": {}, "f:readyReplicas": {}}}
EVERYTHING = {"f:spec": {"f:replicas": {}, "f:template": IMAGE["f:spec"]["f:template"],
                         "f:updateStrategy": {"f:type": {},
                                              "f:rollingUpdate": {"f:partition": {}}}}}


def entry(manager, fields, operation="Apply", subresource=None, time="2026-12-07T10:00:00Z"):
    out = {"manager": manager, "operation": operation, "apiVersion": "apps/v1",
           "fieldsType": "FieldsV1", "fieldsV1": fields, "time": time}
    if subresource:
        out["subresource"] = subresource
    return out


def sts(*entries, labels=None, annotations=None):
    meta = {"name": "web", "namespace": "shop", "labels": labels or {"app": "web"},
            "annotations": annotations or {}}
    if entries:
        meta["managedFields"] = list(entries)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": {}}


P, T, R = FIELDS["partition"], FIELDS["template"], FIELDS["replicas"]


@pytest.mark.parametrize("case, the_set, paths, expected", [
    # (manager, who, reverts, paths)
    ("flux kustomize", sts(entry("kustomize-controller", EVERYTHING)), [P],
     [("kustomize-controller", "Flux (kustomize-controller)", True,
       (".spec.updateStrategy.rollingUpdate.partition",))]),
    ("flux helm", sts(entry("helm-controller", EVERYTHING, "Update")), [R],
     [("helm-controller", "Flux (helm-controller)", True, (".spec.replicas",))]),
    ("argo ssa", sts(entry("argocd-controller", EVERYTHING)), [T],
     [("argocd-controller", "Argo CD (argocd-controller, server-side apply)", True,
       (".spec.template",))]),
    ("argo csa", sts(entry("argocd-application-controller", EVERYTHING, "Update")), [T],
     [("argocd-application-controller",
       "Argo CD (argocd-application-controller, client-side apply)", True,
       (".spec.template",))]),
    ("helm", sts(entry("helm", EVERYTHING, "Update")), [R],
     [("helm", "Helm", False, (".spec.replicas",))]),
    ("kubectl csa", sts(entry("kubectl-client-side-apply", EVERYTHING, "Update")), [R],
     [("kubectl-client-side-apply", "kubectl apply (client-side)", False,
       (".spec.replicas",))]),
    ("kubectl ssa", sts(entry("kubectl", EVERYTHING)), [R],
     [("kubectl", "kubectl apply (server-side)", False, (".spec.replicas",))]),
    ("hpa", sts(entry("kube-controller-manager", REPLICAS, "Update", "scale")), [R],
     [("kube-controller-manager", "a HorizontalPodAutoscaler (kube-controller-manager, scale)",
       True, (".spec.replicas",))]),
    ("unknown", sts(entry("my-operator", REPLICAS, "Update")), [R],
     [("my-operator", "my-operator", False, (".spec.replicas",))]),
    ("unknown applier", sts(entry("pulumi", REPLICAS)), [R],
     [("pulumi", "pulumi", False, (".spec.replicas",))]),
    # a field under the path counts: the image is under the template
    ("under", sts(entry("kustomize-controller", IMAGE)), [T],
     [("kustomize-controller", "Flux (kustomize-controller)", True, (".spec.template",))]),
    # shared ownership: both are named, in the list's order
    ("shared", sts(entry("kubectl", REPLICAS), entry("kustomize-controller", REPLICAS)), [R],
     [("kubectl", "kubectl apply (server-side)", False, (".spec.replicas",)),
      ("kustomize-controller", "Flux (kustomize-controller)", True, (".spec.replicas",))]),
    # only the paths the command writes: Flux owns the replicas, not the partition
    ("elsewhere", sts(entry("kustomize-controller", REPLICAS)), [P], []),
    ("only status", sts(entry("kube-controller-manager", STATUS, "Update", "status")),
     [R, P, T], []),
    ("itself", sts(entry("kubectl-sts", EVERYTHING, "Update")), [R, P, T], []),
    ("one-off kubectl", sts(entry("kubectl-edit", EVERYTHING, "Update"),
                            entry("kubectl-create", EVERYTHING, "Update"),
                            entry("before-first-apply", EVERYTHING, "Update"),
                            entry("OpenAPI-Generator", EVERYTHING, "Update")), [R, P, T], []),
    ("nobody", sts(), [R, P, T], []),
    # Flux told to leave the set alone does not revert
    ("flux disabled", sts(entry("kustomize-controller", REPLICAS),
                          annotations={"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}),
     [R], [("kustomize-controller", "Flux (kustomize-controller)", False,
            (".spec.replicas",))]),
    ("flux ssa ignore", sts(entry("kustomize-controller", REPLICAS),
                            annotations={"kustomize.toolkit.fluxcd.io/ssa": "Ignore"}),
     [R], [("kustomize-controller", "Flux (kustomize-controller)", False,
            (".spec.replicas",))]),
    # markers without managedFields: named, warned about, never refused
    ("marker flux", sts(labels={"kustomize.toolkit.fluxcd.io/name": "apps"}), [P],
     [("", "Flux (kustomize apps)", False, (".spec.updateStrategy.rollingUpdate.partition",))]),
    ("marker argo", sts(annotations={
        "argocd.argoproj.io/tracking-id": "shop:apps/StatefulSet:shop/web"}), [R],
     [("", "Argo CD (application shop)", False, (".spec.replicas",))]),
    ("marker helm", sts(labels={"app.kubernetes.io/managed-by": "Helm"},
                        annotations={"meta.helm.sh/release-name": "db"}), [R],
     [("", "Helm (release db)", False, (".spec.replicas",))]),
    # the tool's own entry speaks for it: the marker adds nothing
    ("marker and entry", sts(entry("kustomize-controller", REPLICAS),
                             labels={"kustomize.toolkit.fluxcd.io/name": "apps"}), [P], []),
])
def test_other_writers(case, the_set, paths, expected):
    found = other_writers(the_set, paths)
    assert [(w.manager, w.who, w.reverts, w.paths) for w in found] == expected


def test_a_writer_keeps_its_entry():
    [w] = other_writers(sts(entry("kube-controller-manager", REPLICAS, "Update", "scale",
                                  time="2026-12-07T09:00:00Z")), [R])
    assert (w.operation, w.subresource, w.time) == ("Update", "scale", "2026-12-07T09:00:00Z")


def test_flux_advice_names_the_kustomization_and_the_pointers():
    the_set = sts(entry("kustomize-controller", EVERYTHING),
                  labels={"kustomize.toolkit.fluxcd.io/name": "apps",
                          "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
    [w] = other_writers(the_set, [P, R])
    assert w.paths == (".spec.updateStrategy.rollingUpdate.partition", ".spec.replicas")
    assert w.pause == (
        "kubectl annotate statefulset web -n shop kustomize.toolkit.fluxcd.io/reconcile="
        "disabled (remove it to resume)",
        "flux suspend kustomization apps -n flux-system (flux resume kustomization to resume)",
        "or in the Kustomization's spec.ignore: paths [/spec/updateStrategy/rollingUpdate/"
        "partition, /spec/replicas], target kind StatefulSet name web")


def test_argo_advice_names_the_application():
    the_set = sts(entry("argocd-controller", PARTITION), annotations={
        "argocd.argoproj.io/tracking-id": "shop:apps/StatefulSet:shop/web"})
    [w] = other_writers(the_set, [P])
    assert w.pause[0].startswith("argocd app set shop --sync-policy none")
    assert "jsonPointers: [/spec/updateStrategy/rollingUpdate/partition]" in w.pause[1]
    assert "RespectIgnoreDifferences=true" in w.pause[1]


def test_refusal_when_a_writer_reverts():
    writers = other_writers(sts(entry("kustomize-controller", PARTITION)), [P])
    text = refusal(writers)
    assert text is not None
    lines = text.split("\n")
    assert lines[0] == (".spec.updateStrategy.rollingUpdate.partition is owned by Flux "
                        "(kustomize-controller), which puts it back: pause it first, or "
                        "--force to write anyway")
    assert lines[1].startswith("Flux (kustomize-controller) owns "
                               ".spec.updateStrategy.rollingUpdate.partition: it applies the "
                               "set from its source again at its next reconcile")
    assert lines[2].startswith("  to pause it: kubectl annotate statefulset web")
    assert lines[1:] == warning_lines(writers)


@pytest.mark.parametrize("the_set", [
    sts(entry("kubectl-client-side-apply", EVERYTHING, "Update"),
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"}),
    sts(entry("helm", EVERYTHING, "Update")),
    sts(labels={"kustomize.toolkit.fluxcd.io/name": "apps"}),
    sts(),
])
def test_no_refusal_when_nothing_reverts(the_set):
    assert refusal(other_writers(the_set, [P, T, R])) is None


def test_client_side_apply_warns_of_the_next_apply():
    writers = other_writers(sts(entry("kubectl-client-side-apply", EVERYTHING, "Update")), [T])
    assert warning_lines(writers)[0] == (
        "kubectl apply (client-side) owns .spec.template: it puts the manifest's values back "
        "at the next kubectl apply of it")


def test_markers_name_the_tools():
    the_set = sts(labels={"app.kubernetes.io/managed-by": "Helm",
                          "helm.toolkit.fluxcd.io/name": "db"},
                  annotations={"meta.helm.sh/release-name": "db"})
    assert [who for _, who in markers(the_set)] == ["Helm (release db)", "Flux (helm db)"]


def _set(replicas=2, partition=2, image="nginx:1.27", strategy="RollingUpdate", size="1Gi"):
    return {"spec": {"replicas": replicas,
                     "updateStrategy": {"type": strategy,
                                        "rollingUpdate": {"partition": partition}},
                     "template": {"spec": {"containers": [{"name": "app", "image": image}]}},
                     "volumeClaimTemplates": [{"spec": {"resources": {"requests": {
                         "storage": size}}}}]}}


@pytest.mark.parametrize("new, expected", [
    (_set(), []),
    (_set(partition=1), [P]),
    (_set(image="nginx:1.28", partition=2), [T]),
    (_set(image="nginx:1.28", partition=3), [P, T]),
    (_set(replicas=3), [R]),
    (_set(strategy="OnDelete"), [FIELDS["updateStrategy"]]),
    (_set(size="2Gi"), [FIELDS["claims"]]),
])
def test_written_paths(new, expected):
    assert written_paths(_set(), new) == expected


def test_ownership_refuses_without_force_and_warns_with_it():
    the_set = sts(entry("kustomize-controller", PARTITION))
    lines, refused = ownership(the_set, [P], force=False)
    assert lines == [] and refused is not None
    head, *advice = refused.split("\n")
    assert head == ("error: refused: .spec.updateStrategy.rollingUpdate.partition is owned by "
                    "Flux (kustomize-controller), which puts it back: pause it first, or "
                    "--force to write anyway; nothing was changed")
    assert advice == warning_lines(other_writers(the_set, [P]))
    lines, refused = ownership(the_set, [P], force=True)
    assert refused is None
    assert lines[0].startswith("Warning: Flux (kustomize-controller) owns ")
    assert lines[1].startswith("  to pause it: ")
    assert lines[-1] == ("Warning: --force: writing anyway; .spec.updateStrategy.rollingUpdate."
                         "partition is owned by Flux (kustomize-controller) and will be put "
                         "back at its next sync")


def test_ownership_of_what_nobody_else_owns_says_nothing():
    assert ownership(sts(entry("kubectl-sts", EVERYTHING, "Update")), [P, T], False) == ([], None)
    assert ownership(sts(entry("kustomize-controller", EVERYTHING),
                         labels={"kustomize.toolkit.fluxcd.io/name": "apps"}), [], False) == \
        ([], None)


# kubectl's client-side apply puts back only what its last-applied-configuration names
# (kubectl pkg/cmd/apply/patcher.go: the three-way merge of that annotation, the manifest and
# the live object), though the API server gave it the defaulted fields too
_PORTS: Dict[str, Any] = {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {},
                                                      "f:protocol": {}}}
CSA_EVERYTHING = {"f:spec": {
    "f:replicas": {},
    "f:template": {"f:spec": {"f:containers": {'k:{"name":"app"}': {
        ".": {}, "f:image": {}, "f:name": {}, "f:ports": _PORTS}}}},
    "f:updateStrategy": {"f:type": {}, "f:rollingUpdate": {"f:partition": {}}}}}
MANIFEST: Dict[str, Any] = {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}}
PORT: Dict[str, Any] = {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"app"}': {
    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:protocol": {}}}}}}}}}


def _csa(manifest, fields=CSA_EVERYTHING):
    import json
    annotations = {} if manifest is None else {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(manifest)}
    return sts(entry("kubectl-client-side-apply", fields, "Update"), annotations=annotations)


def _without(doc, *keys):
    import copy
    out = copy.deepcopy(doc)
    node = out
    for k in keys[:-1]:
        node = node[k]
    del node[keys[-1]]
    return out


@pytest.mark.parametrize("case, the_set, paths, expected", [
    # the partition was defaulted at the create: not in the manifest, not put back
    ("defaulted partition", _csa(MANIFEST), [P, T],
     ["kubectl apply (client-side) owns .spec.template: it puts the manifest's values back "
      "at the next kubectl apply of it"]),
    ("only the partition", _csa(MANIFEST), [P], []),
    ("replicas named", _csa(MANIFEST), [R], [
        "kubectl apply (client-side) owns .spec.replicas: it puts the manifest's values back "
        "at the next kubectl apply of it"]),
    ("replicas left out", _csa(_without(MANIFEST, "spec", "replicas")), [R], []),
    # a partition the manifest names is put back
    ("partition named", _csa(dict(MANIFEST, spec=dict(MANIFEST["spec"], updateStrategy={
        "rollingUpdate": {"partition": 0}}))), [P],
     ["kubectl apply (client-side) owns .spec.updateStrategy.rollingUpdate.partition: it "
      "puts the manifest's values back at the next kubectl apply of it"]),
    # a keyed item is matched by its key fields; a key field the manifest leaves out (the
    # port's defaulted protocol) matches; the defaulted field itself is not named
    ("defaulted field of a keyed item", _csa(MANIFEST, {"f:spec": {"f:template": {"f:spec": {
        "f:containers": {'k:{"name":"app"}': {"f:ports": {
            'k:{"containerPort":80,"protocol":"TCP"}': {"f:protocol": {}}}}}}}}}), [T], []),
    ("keyed item, defaulted key", _csa(MANIFEST, PORT), [T],
     ["kubectl apply (client-side) owns .spec.template: it puts the manifest's values back "
      "at the next kubectl apply of it"]),
    ("keyed item absent", _csa(dict(MANIFEST, spec=dict(MANIFEST["spec"], template={
        "spec": {"containers": [{"name": "other", "image": "x"}]}})), PORT), [T], []),
    # no annotation (or not JSON): every field it owns counts, as before
    ("no annotation", _csa(None), [P],
     ["kubectl apply (client-side) owns .spec.updateStrategy.rollingUpdate.partition: it "
      "puts the manifest's values back at the next kubectl apply of it"]),
    ("not json", sts(entry("kubectl-client-side-apply", CSA_EVERYTHING, "Update"),
                     annotations={"kubectl.kubernetes.io/last-applied-configuration": "{"}),
     [P], ["kubectl apply (client-side) owns .spec.updateStrategy.rollingUpdate.partition: "
           "it puts the manifest's values back at the next kubectl apply of it"]),
    # other managers own every field they hold, named or not
    ("flux unaffected", sts(entry("kustomize-controller", CSA_EVERYTHING),
                            annotations={"kubectl.kubernetes.io/last-applied-configuration":
                                         "{}"}), [P],
     ["Flux (kustomize-controller) owns .spec.updateStrategy.rollingUpdate.partition: it "
      "applies the set from its source again at its next reconcile (the Kustomization's "
      "spec.interval) and puts it back"]),
])
def test_client_side_apply_owns_what_it_applied(case, the_set, paths, expected):
    lines = [line for line in warning_lines(other_writers(the_set, paths))
             if not line.startswith(" ")]
    assert lines == expected, case


# -- the owners put back on a set created again (resize, restore) ----------------------------
CLAIMS: Dict[str, Any] = {"f:spec": {"f:volumeClaimTemplates": {}}}
FLUX_APPLY = {"f:spec": {"f:replicas": {}, "f:template": IMAGE["f:spec"]["f:template"],
                         "f:volumeClaimTemplates": {}}}
NOW = "2026-12-07T16:00:00Z"


def _recreated(entries, size="1Gi", annotations=None):
    """(the set deleted, with `entries`; the set created again by kubectl-sts at `size`)."""
    def one(size, managed):
        out = {"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "web", "uid": "u", "resourceVersion": "1",
                            "annotations": dict(annotations or {}), "managedFields": managed},
               "spec": {"replicas": 2, "template": {"spec": {"containers": [
                   {"name": "app", "image": "nginx:1.27"}]}},
                        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                            "resources": {"requests": {"storage": size}}}}]},
               "status": {"replicas": 2}}
        return out
    before = one("1Gi", entries)
    created = one(size, [entry("kubectl-sts", EVERYTHING, "Update", time=NOW)])
    created["metadata"].update(uid="v", resourceVersion="9")
    return before, created


@pytest.mark.parametrize("case, entries, size, expected", [
    # nothing changed (restore): the old entries as they were
    ("restore", [entry("kustomize-controller", FLUX_APPLY)], "1Gi",
     [entry("kustomize-controller", FLUX_APPLY)]),
    # resize: the claim template leaves Flux's entry and is kubectl-sts's, at the time
    ("resize", [entry("kustomize-controller", FLUX_APPLY)], "2Gi",
     [entry("kustomize-controller", {"f:spec": {"f:replicas": {},
                                                "f:template": IMAGE["f:spec"]["f:template"]}}),
      entry("kubectl-sts", CLAIMS, "Update", time=NOW)]),
    # kubectl-sts's own entry gains what changed
    ("own entry", [entry("kustomize-controller", IMAGE), entry("kubectl-sts", PARTITION,
                                                               "Update")], "2Gi",
     [entry("kustomize-controller", IMAGE),
      entry("kubectl-sts", {"f:spec": {"f:volumeClaimTemplates": {}, "f:updateStrategy": {
          "f:rollingUpdate": {"f:partition": {}}}}}, "Update", time=NOW)]),
    # an entry left with nothing goes
    ("emptied", [entry("kubectl-client-side-apply", CLAIMS, "Update")], "2Gi",
     [entry("kubectl-sts", CLAIMS, "Update", time=NOW)]),
    # a set without managedFields: nothing to put back
    ("none", [], "2Gi", None),
])
def test_kept_owners(case, entries, size, expected):
    from kubectl_sts.core.fieldowners import kept_owners
    before, created = _recreated(entries, size)
    assert kept_owners(before, created, NOW) == expected, case


def test_changed_paths_of_a_recreate():
    from kubectl_sts.core.fieldowners import changed_paths
    from kubectl_sts.k8s.fieldsv1 import field
    before, created = _recreated([], "2Gi", annotations={"a": "1"})
    created["metadata"]["annotations"] = {"a": "2", "b": "3"}
    assert changed_paths(before, created) == [
        (field("metadata"), field("annotations"), field("a")),
        (field("metadata"), field("annotations"), field("b")),
        (field("spec"), field("volumeClaimTemplates"))]
