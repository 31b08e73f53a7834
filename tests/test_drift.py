"""core/drift.py: whether another writer moved the partition or the template a rollout left,
and who (from managedFields), table-driven over plain objects: the set as the rollout left it,
the set now, the line every view prints."""

import pytest

from builders import REV_A, REV_B, statefulset
from kubectl_sts.core.drift import PARTITION, TEMPLATE, drift, left_of, line
from kubectl_sts.core.rollout.state import STATE_ANNOTATION, annotation
from kubectl_sts.k8s.fieldsv1 import encode, field, key

IMAGE = TEMPLATE + (field("spec"), field("containers"), key(name="app"), field("image"))
REPLICAS = (field("spec"), field("replicas"))
T0, T1, T2 = "2026-12-07T14:00:00Z", "2026-12-07T15:00:00Z", "2026-12-07T15:01:02Z"
# what to do, from core/fieldowners.py's classification of the writer
FLUX_FIX = ("Flux (kustomize-controller) applies the set from its source again at its next "
            "reconcile (the Kustomization's spec.interval) and puts it back; pause it: kubectl "
            "annotate statefulset web -n default kustomize.toolkit.fluxcd.io/reconcile=disabled "
            "(remove it to resume); then see the plan: kubectl sts rollout web")
ARGO_FIX = ("Argo CD (argocd-controller, server-side apply) applies the manifest from git again "
            "at its next sync, at once when its automated sync has selfHeal; pause it: argocd "
            "app set APP --sync-policy none (or in the Application "
            "spec.syncPolicy.automated.enabled: false, or selfHeal: false); then see the plan: "
            "kubectl sts rollout web")
PLAN = "see the plan: kubectl sts rollout web"      # a one-off write, or an unnamed writer


def entry(manager, operation, time, *paths, subresource=None):
    out = {"manager": manager, "operation": operation, "apiVersion": "apps/v1", "time": time,
           "fieldsType": "FieldsV1", "fieldsV1": encode(paths)}
    if subresource:
        out["subresource"] = subresource
    return out


FLUX = entry("kustomize-controller", "Apply", T2, REPLICAS, PARTITION, IMAGE)
FLUX_EARLY = entry("kustomize-controller", "Apply", T0, REPLICAS, IMAGE)
OURS = entry("kubectl-sts", "Update", T1, PARTITION)
OURS_IMAGE = entry("kubectl-sts", "Update", T1, PARTITION, IMAGE)
PATCHER = entry("kubectl-patch", "Update", T1, PARTITION)


def sset(partition, image="nginx:1.28", update=REV_B, current=REV_A, generation=5,
         observed=True, record=None, managed=None, replicas=4):
    """The set: `record` (target, revision, partition) is this tool's annotation."""
    annotations = {STATE_ANNOTATION: annotation(record[0], record[1], False, record[2])} \
        if record else None
    return statefulset(replicas=replicas, partition=partition, image=image, current=current,
                       update=update, generation=generation, observed=observed,
                       annotations=annotations, claims=None, counts=True,
                       metadata={"managedFields": managed} if managed is not None else None)


# the gate: the set as this run wrote it (partition 1, record of its write), the set now
WRITTEN = sset(1, record=(0, REV_B, 1), managed=[FLUX_EARLY, OURS])


@pytest.mark.parametrize("name, now, want", [
    ("nothing moved", WRITTEN, []),
    ("the controller observed it (status only)", sset(1, record=(0, REV_B, 1), generation=6,
                                                      managed=[FLUX_EARLY, OURS]), []),
    ("flux applied the partition back: named, with its time and how to pause it",
     sset(3, record=(0, REV_B, 1), generation=6, managed=[FLUX]),
     ["the partition went back from 1 to 3: written by kustomize-controller (Apply) at "
      "2026-12-07T15:01:02Z; " + FLUX_FIX]),
    ("a patch lowered it: the latest other owner, a one-off write",
     sset(0, record=(0, REV_B, 1), generation=6, managed=[FLUX_EARLY, PATCHER]),
     ["the partition was lowered from 1 to 0: written by kubectl-patch (Update) at "
      "2026-12-07T15:00:00Z; " + PLAN]),
    ("this tool still owns the partition it changed: its own write",
     sset(0, record=(0, REV_B, 1), generation=6, managed=[FLUX_EARLY, OURS]), []),
    ("no managedFields, the record matches: this tool's write",
     sset(0, record=(0, REV_B, 0), generation=6), []),
    ("no managedFields, the record does not match: another writer, unnamed",
     sset(3, record=(0, REV_B, 1), generation=6),
     ["the partition went back from 1 to 3: written by another writer (the set has no "
      "managedFields to name it); " + PLAN]),
    ("flux put the old image back: the template",
     sset(1, image="nginx:1.27", update=REV_A, record=(0, REV_B, 1), generation=6,
          managed=[entry("kustomize-controller", "Apply", T2, IMAGE), OURS]),
     ["the template changed (update revision web-7f6c4d8b9 -> web-5d8f7c9b6): written by "
      "kustomize-controller (Apply) at 2026-12-07T15:01:02Z; " + FLUX_FIX]),
    ("the template changed, not observed yet: no revisions to name",
     sset(1, image="nginx:1.27", record=(0, REV_B, 1), generation=6, observed=5,
          managed=[entry("kubectl-edit", "Update", T2, IMAGE), OURS]),
     ["the template changed: written by kubectl-edit (Update) at 2026-12-07T15:01:02Z; " +
      PLAN]),
    ("both, a subresource named",
     sset(4, image="nginx:1.27", update=REV_A, record=(0, REV_B, 1), generation=6,
          managed=[entry("argocd-controller", "Update", T2, PARTITION, IMAGE,
                         subresource="x")]),
     ["the partition went back from 1 to 4: written by argocd-controller (Update, subresource "
      "x) at 2026-12-07T15:01:02Z; " + ARGO_FIX,
      "the template changed (update revision web-7f6c4d8b9 -> web-5d8f7c9b6): written by "
      "argocd-controller (Update, subresource x) at 2026-12-07T15:01:02Z; " + ARGO_FIX]),
    ("this tool wrote the template last (staged in another run)",
     sset(1, image="nginx:1.29", record=(0, REV_B, 1), generation=6,
          managed=[FLUX_EARLY, OURS_IMAGE]), []),
])
def test_drift_against_the_set_as_written(name, now, want):
    changes = drift(left_of(WRITTEN, recorded=False), now)
    assert [line([c]) for c in changes] == want, name


def test_one_line_names_each_move_and_each_fix_once():
    now = sset(4, image="nginx:1.27", update=REV_A, record=(0, REV_B, 1), generation=6,
               managed=[entry("argocd-controller", "Update", T2, PARTITION, IMAGE)])
    assert line(drift(left_of(WRITTEN, recorded=False), now)) == (
        "the partition went back from 1 to 4: written by argocd-controller (Update) at "
        "2026-12-07T15:01:02Z; the template changed (update revision web-7f6c4d8b9 -> "
        "web-5d8f7c9b6): written by argocd-controller (Update) at 2026-12-07T15:01:02Z; " + ARGO_FIX)


def test_a_change_says_whether_a_follower_can_still_complete():
    left = left_of(WRITTEN, recorded=False)
    back = drift(left, sset(3, generation=6, managed=[FLUX]))
    assert [(c["field"], c["from"], c["to"], c["blocks"]) for c in back] == \
        [("partition", 1, 3, True)]
    assert back[0]["writer"] == {"manager": "kustomize-controller", "operation": "Apply",
                                 "subresource": None, "time": T2}
    assert back[0]["path"] == ".spec.updateStrategy.rollingUpdate.partition"
    # lowered: the rollout goes further, nothing undone; raised once every pod is updated
    assert [c["blocks"] for c in drift(left, sset(0, generation=6, managed=[PATCHER]))] == \
        [False]
    assert [c["blocks"] for c in drift(left, sset(3, current=REV_B, generation=6,
                                                  managed=[FLUX]))] == [False]


@pytest.mark.parametrize("name, seen, want", [
    ("the record matches the set: nothing moved",
     sset(1, record=(0, REV_B, 1), managed=[OURS]), []),
    ("the partition moved since this tool wrote 1 for this revision",
     sset(3, record=(0, REV_B, 1), managed=[FLUX]),
     ["the partition went back from 1 to 3: written by kustomize-controller (Apply) at "
      "2026-12-07T15:01:02Z"]),
    ("the template this tool was rolling out (partition 2 of 4) was replaced",
     sset(2, image="nginx:1.27", update=REV_A, current=REV_A, record=(0, REV_B, 2),
          managed=[entry("kustomize-controller", "Apply", T2, IMAGE), OURS]),
     ["the template changed since kubectl-sts's rollout (update revision web-7f6c4d8b9 -> "
      "web-5d8f7c9b6): written by kustomize-controller (Apply) at 2026-12-07T15:01:02Z"]),
    ("--hold then a template applied another way: no drift",
     sset(4, update=REV_B, record=(None, REV_A, 4), managed=[FLUX, OURS]), []),
    ("a finished rollout, then a new template: a new rollout, no drift",
     sset(0, update=REV_B, record=(0, REV_A, 0), managed=[FLUX]), []),
    ("not observed: the record cannot be compared",
     sset(3, record=(0, REV_B, 1), observed=4, managed=[FLUX]), []),
    ("an older record without the partition: nothing to compare",
     sset(3, record=(0, REV_B, None), managed=[FLUX]), []),
    ("OnDelete: no partition",
     statefulset(strategy="OnDelete", current=REV_A, update=REV_B, generation=5,
                 observed=True, claims=None,
                 annotations={STATE_ANNOTATION: annotation(None, REV_B)}), []),
])
def test_drift_against_the_record(name, seen, want):
    """`rollout --status` and `wait` start from the set as they first see it, with what this
    tool recorded: a drift from before they started is said too."""
    assert [c["message"] for c in drift(left_of(seen), seen)] == want, name


def test_the_record_fix_says_how_to_keep_the_new_template():
    seen = sset(2, image="nginx:1.27", update=REV_A, current=REV_A, record=(0, REV_B, 2))
    (change,) = drift(left_of(seen), seen)
    assert change["fix"].endswith("; to keep the new template, forget the rollout: kubectl "
                                  "annotate statefulset web kubectl-sts.io/rollout-")
    assert change["message"].endswith("written by another writer (the set has no "
                                      "managedFields to name it)")


def test_managed_fields_that_do_not_decode_are_no_owner():
    broken = {"manager": "x", "operation": "Apply", "fieldsType": "FieldsV1",
              "fieldsV1": {"bad": {}}}
    now = sset(3, record=(0, REV_B, 1), generation=6, managed=[broken])
    assert [c["message"] for c in drift(left_of(WRITTEN, recorded=False), now)] == \
        ["the partition went back from 1 to 3: written by another writer (managedFields name "
         "none)"]


def test_a_template_replaced_before_the_follower_started_does_not_block_it():
    seen = sset(2, image="nginx:1.27", update=REV_A, current=REV_A, record=(0, REV_B, 2))
    assert [c["blocks"] for c in drift(left_of(seen), seen)] == [False]
    # replaced while it follows: it blocks
    now = sset(2, image="nginx:1.29", update="web-new", current=REV_A, record=(0, REV_B, 2),
               generation=6)
    assert [(c["field"], c["blocks"]) for c in drift(left_of(seen), now)] == \
        [("template", True)]


@pytest.mark.parametrize("applied, want", [
    # kubectl's client-side apply created the set and applied it since (its entry's time is
    # the latest), but its manifest names no partition: the API server gave it the defaulted
    # one, its applies never write it (kubectl apply/patcher.go: the three-way merge of
    # last-applied): Flux, which shares it, is named
    ('{"spec": {"replicas": 4}}',
     "the partition went back from 1 to 3: written by kustomize-controller (Apply) at "
     "2026-12-07T14:00:00Z; " + FLUX_FIX),
    # a manifest that names the partition: client-side apply is the latest writer
    ('{"spec": {"updateStrategy": {"rollingUpdate": {"partition": 3}}}}',
     "the partition went back from 1 to 3: written by kubectl-client-side-apply (Update) at "
     "2026-12-07T15:01:02Z"),
])
def test_client_side_apply_wrote_only_what_it_applied(applied, want):
    csa = entry("kubectl-client-side-apply", "Update", T2, REPLICAS, PARTITION, IMAGE)
    flux = entry("kustomize-controller", "Apply", T0, PARTITION)
    now = sset(3, record=(0, REV_B, 1), generation=6, managed=[flux, csa])
    now["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = applied
    assert line(drift(left_of(WRITTEN), now)).startswith(want)
