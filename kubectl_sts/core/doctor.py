"""`doctor`: the hazards of a StatefulSet's configuration that bite later, each a finding with
a severity (error, warning, info), the evidence and the fix. Pure functions over the API objects
of one namespace (the caller lists each kind once)."""

import json
from typing import Any, Dict, List, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.quantity import canonical_quantity, quantity_value
from .labels import selector_matches
from .pvc import claims_of

Obj = Dict[str, Any]
SEVERITIES = ("error", "warning", "info")


def _finding(sts: Obj, severity: str, check: str, evidence: str, fix: str) -> Obj:
    return {"namespace": sts["metadata"].get("namespace"), "statefulSet": sts["metadata"]["name"],
            "severity": severity, "check": check, "evidence": evidence, "fix": fix}


def _owned_claims(sts: Obj, claims: List[Obj]) -> List[Obj]:
    """The set's claims (pvc.claims_of), each with its `_template` and `_ordinal`."""
    return [dict(claim, _template=template, _ordinal=ordinal)
            for (template, ordinal), claim in claims_of(sts, claims).items()]


def _template_spec(sts: Obj, template: str) -> Obj:
    for t in facts.spec(sts).get("volumeClaimTemplates") or []:
        if (t.get("metadata") or {}).get("name") == template:
            return t.get("spec") or {}
    return {}


def check_service(sts: Obj, pods: List[Obj], services: Dict[str, Obj]) -> List[Obj]:
    service_name = facts.spec(sts).get("serviceName") or ""
    name = sts["metadata"]["name"]
    if not service_name:
        return [_finding(sts, "warning", "no-service", "spec.serviceName is empty: the pods "
                         "get no stable DNS names", "set serviceName to a headless Service "
                         "that selects the pods (it is immutable: the set must be created "
                         "again)")]
    service = services.get(service_name)
    if service is None:
        return [_finding(sts, "error", "no-service", "Service %s (spec.serviceName) does not "
                         "exist: %s-0.%s does not resolve" % (service_name, name, service_name),
                         "create a headless Service %s (clusterIP: None) selecting %s"
                         % (service_name, _labels(sts)))]
    out = []
    spec = service.get("spec") or {}
    if spec.get("clusterIP") != "None":
        out.append(_finding(sts, "warning", "service-not-headless", "Service %s has clusterIP "
                            "%s: per-pod DNS records need a headless Service" % (
                                service_name, spec.get("clusterIP") or "(unset)"),
                            "use a headless Service (clusterIP: None; clusterIP is immutable, "
                            "so create it under a new name and create the set again with "
                            "that serviceName)"))
    selector = spec.get("selector") or {}
    missed = [p["metadata"]["name"] for p in pods
              if not selector or not selector_matches({"matchLabels": selector},
                                                      p["metadata"].get("labels"))]
    if missed:
        out.append(_finding(sts, "error", "service-misses-pods", "Service %s's selector %s does "
                            "not select %s: they have no DNS record" % (
                                service_name, _fmt_labels(selector) or "(none)",
                                ", ".join(sorted(missed)[:5])),
                            "make the Service selector match the pod labels %s" % _labels(sts)))
    return out


def check_dns(sts: Obj, pods: List[Obj], services: Dict[str, Obj],
              slices: Optional[List[Obj]]) -> List[Obj]:
    """Every pod's DNS name resolves only if its EndpointSlice lists it, ready, with its
    hostname (a headless Service publishes only ready endpoints unless
    publishNotReadyAddresses)."""
    from .pods import is_ready
    service_name = facts.spec(sts).get("serviceName") or ""
    service = services.get(service_name)
    if slices is None or service is None or (service.get("spec") or {}).get("clusterIP") != \
            "None":
        return []
    published = {e.get("hostname") for sl in slices
                 if (sl["metadata"].get("labels") or {}).get("kubernetes.io/service-name") ==
                 service_name for e in sl.get("endpoints") or []
                 if (e.get("conditions") or {}).get("ready") is not False}
    missing_ready: List[str] = []
    missing_unready: List[str] = []
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp") or pod["metadata"]["name"] in published:
            continue
        (missing_ready if is_ready(pod) else missing_unready).append(pod["metadata"]["name"])
    out = []
    if missing_ready:
        out.append(_finding(sts, "warning", "no-dns-record", "Ready pod(s) %s have no record in "
                            "Service %s's EndpointSlices: their DNS names do not resolve" % (
                                ", ".join(sorted(missing_ready)[:5]), service_name),
                            "check that the pods' spec.subdomain is %s and the Service selects "
                            "them" % service_name))
    if missing_unready and not (service.get("spec") or {}).get("publishNotReadyAddresses"):
        out.append(_finding(sts, "info", "not-ready-not-in-dns", "%s not Ready, so not in DNS: "
                            "Service %s does not publish not-ready addresses" % (
                                ", ".join(sorted(missing_unready)[:5]), service_name),
                            "set publishNotReadyAddresses: true on Service %s if peers must "
                            "find each other before they are Ready (clustered databases)"
                            % service_name))
    return out


def check_retention(sts: Obj, claims: List[Obj], pvs: Optional[Dict[str, Obj]]) -> List[Obj]:
    policy = facts.retention(sts)
    deleting = [k for k in ("whenDeleted", "whenScaled") if policy.get(k) == "Delete"]
    if not deleting:
        return []
    doomed = [c["metadata"]["name"] for c in claims
              if pvs is not None and ((pvs.get((c.get("spec") or {}).get("volumeName") or "")
                                       or {}).get("spec") or {}).get(
                  "persistentVolumeReclaimPolicy") == "Delete"]
    if pvs is not None and not doomed:
        return []
    what = " and ".join("%s: Delete" % k for k in deleting)
    return [_finding(sts, "warning", "retention-deletes-data", "%s with PVs whose reclaimPolicy "
                     "is Delete%s: %s the data is gone for good" % (
                         what, " (%s)" % ", ".join(doomed[:3]) if doomed else " (PVs not read)",
                         "deleting the set" if "whenDeleted" in deleting else "scaling down"),
                     "set the PVs' persistentVolumeReclaimPolicy to Retain, or the retention "
                     "policy to Retain, unless losing the data is intended")]


def check_partition(sts: Obj, pods: List[Obj]) -> List[Obj]:
    """A partition left above 0 with nothing pending: every pod runs the update revision (a
    pod left at another one, stuck after an undo, is pending: check_incidents names it)."""
    from ..k8s.statefulset import pod_revision
    partition = facts.partition(sts) or 0
    status = sts.get("status") or {}
    if facts.strategy_type(sts) != "RollingUpdate" or partition <= 0:
        return []
    if status.get("currentRevision") and status.get("currentRevision") == \
            status.get("updateRevision") and all(
                pod_revision(p) == status["updateRevision"] for p in pods):
        return [_finding(sts, "warning", "stale-partition", "partition is %d with nothing "
                         "pending: the next template change skips ordinals below %d silently"
                         % (partition, facts.start(sts) + partition),
                         "kubectl sts rollout %s --all (or set the partition to 0) before the "
                         "next change" % sts["metadata"]["name"])]
    return []


def check_budgets(sts: Obj, pods: List[Obj], pdbs: List[Obj]) -> List[Obj]:
    from .restart import budgets, never_allows
    out = []
    seen = set()
    for pod in pods:
        for pdb in budgets(pdbs, pod):
            name = pdb["metadata"]["name"]
            if name in seen:
                continue
            seen.add(name)
            if never_allows(pdb):
                out.append(_finding(sts, "warning", "pdb-blocks-drain", "PodDisruptionBudget "
                                    "%s allows no disruption even with every pod healthy: "
                                    "every drain and eviction of these pods waits forever" % name,
                                    "allow at least one disruption (maxUnavailable: 1, or "
                                    "minAvailable below the replica count)"))
    return out


def check_expansion(sts: Obj, claims: List[Obj], classes: List[Obj]) -> List[Obj]:
    from ..k8s.storage import class_of
    by_name = {c["metadata"]["name"]: c for c in classes}
    fixed = sorted({class_of(c) or "(no class)" for c in claims
                    if (by_name.get(class_of(c)) or {}).get("allowVolumeExpansion") is not True})
    if not fixed:
        return []
    return [_finding(sts, "info", "class-cannot-expand", "StorageClass %s of its PVCs does not "
                     "allow volume expansion: the volumes can never grow in place"
                     % ", ".join(fixed), "use a class with allowVolumeExpansion: true for new "
                     "claims, or plan a migration before the disks fill up")]


def check_max_unavailable(sts: Obj) -> List[Obj]:
    applied = ((sts["metadata"].get("annotations") or {})
               .get("kubectl.kubernetes.io/last-applied-configuration"))
    if not applied or facts.max_unavailable(sts) is not None:
        return []
    try:
        wanted = (((json.loads(applied).get("spec") or {}).get("updateStrategy") or {})
                  .get("rollingUpdate") or {}).get("maxUnavailable")
    except (ValueError, AttributeError):
        return []
    if wanted is None:
        return []
    return [_finding(sts, "warning", "max-unavailable-dropped", "the applied manifest sets "
                     "maxUnavailable: %s, but the server dropped it (the "
                     "MaxUnavailableStatefulSet feature gate is off): pods update one at a time"
                     % wanted, "enable the feature gate, or remove maxUnavailable from the "
                     "manifest so it says what the cluster does")]


def check_grace(sts: Obj) -> List[Obj]:
    spec = (facts.spec(sts).get("template") or {}).get("spec") or {}
    if spec.get("terminationGracePeriodSeconds") == 0:
        return [_finding(sts, "warning", "zero-grace-period", "terminationGracePeriodSeconds is "
                         "0: pods are killed without a chance to flush or leave their cluster, "
                         "and a force delete can run two pods of one ordinal at once",
                         "give the pods time to stop (the default is 30s)")]
    return []


def check_claim_drift(sts: Obj, claims: List[Obj]) -> List[Obj]:
    out = []
    for claim in claims:
        spec = _template_spec(sts, claim["_template"])
        want = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        have = ((claim.get("spec") or {}).get("resources") or {}).get("requests", {}).get(
            "storage")
        notes = []
        if want and have and quantity_value(want) != quantity_value(have):
            notes.append("requests %s, the template %s" % (canonical_quantity(have),
                                                           canonical_quantity(want)))
        if spec.get("storageClassName") and (claim.get("spec") or {}).get(
                "storageClassName") not in (None, spec["storageClassName"]):
            notes.append("class %s, the template %s" % (claim["spec"]["storageClassName"],
                                                        spec["storageClassName"]))
        if notes:
            out.append(_finding(sts, "info", "claim-drift", "PVC %s %s" % (
                claim["metadata"]["name"], "; ".join(notes)),
                "kubectl sts resize %s --size SIZE makes claims and template agree"
                % sts["metadata"]["name"] if "requests" in notes[0] else
                "new ordinals get the template's class; move the data if that matters"))
    return out


def check_orphans(sts: Obj, claims: List[Obj]) -> List[Obj]:
    in_range = facts.ordinals(sts)
    orphans = [c for c in claims if c["_ordinal"] not in in_range]
    if not orphans:
        return []
    total = sum(quantity_value(((c.get("status") or {}).get("capacity") or {}).get("storage") or
                               "0") or 0 for c in orphans)
    return [_finding(sts, "info", "orphaned-pvcs", "%d PVC(s) outside the ordinal range (%s) "
                     "keep %s of storage" % (len(orphans), ", ".join(
                         c["metadata"]["name"] for c in orphans[:5]),
                         canonical_quantity(str(total)) if total else "their"),
                     "kubectl sts pvc %s --prune deletes them (after a look at what they hold); "
                     "a scale-up reuses them" % sts["metadata"]["name"])]


def check_field_owners(sts: Obj) -> List[Obj]:
    """Who else writes the fields this tool changes (replicas, partition, template, claim
    templates), from managedFields and the GitOps marks (core/fieldowners.py, the one
    classification): a warning for a controller that puts them back at its next sync (a
    rollout, scale or resize is refused without --force), info for the others; the fix is how
    to pause it."""
    from .fieldowners import FIELDS, other_writers
    out = []
    for w in other_writers(sts, [FIELDS[k] for k in ("replicas", "partition", "template",
                                                     "claims")]):
        if w.manager:
            owns = "owns %s (field manager %s, %s%s%s)" % (
                ", ".join(w.paths), w.manager, w.operation or "?",
                " of subresource %s" % w.subresource if w.subresource else "",
                " at %s" % w.time if w.time else "")
        else:
            owns = "manages the set (its labels and annotations say so; no managedFields entry)"
        pause = "; ".join(w.pause) or "nothing to pause"
        out.append(_finding(sts, "warning" if w.reverts else "info", "field-owner",
                            "%s %s: it %s" % (w.who, owns, w.next_sync),
                            "pause it before kubectl sts changes these fields (rollout, "
                            "scale and resize refuse without --force): %s" % pause
                            if w.reverts else pause))
    return out


def check_incidents(sts: Obj, diagnosis: Optional[Obj]) -> List[Obj]:
    """The one diagnosis's verdicts (core.diagnosis), as findings: the set's (a stuck
    rollout) and each ordinal's that is failing, blocked, down or stuck, with the remedy
    that can work."""
    from .diagnosis import remedy_line
    from .rollout.stuck import set_verdict, verdict_text
    if diagnosis is None:
        return []
    name = sts["metadata"]["name"]
    verdict = set_verdict(sts, diagnosis)
    out = []
    if verdict is not None:
        out.append(_finding(sts, "error", "stuck", verdict_text(verdict), "see the message; "
                            "kubectl sts status %s shows every ordinal" % name))
    for row in diagnosis["problems"]:
        if row["verdict"] == "progressing" or verdict is not None and \
                row["pod"] == verdict["pod"]:
            continue
        fix = remedy_line(row) or next((r["text"] for r in row["remedies"] if r["works"]),
                                       "see kubectl sts repair %s --ordinal %d --dry-run"
                                       % (name, row["ordinal"]))
        out.append(_finding(sts, "warning" if row["verdict"] == "blocked" else "error",
                            "ordinal-%s" % row["verdict"], "%s %s: %s" % (
                                row["pod"], row["verdict"], row["cause"]), fix))
    return out


def findings(sts: Obj, pods: List[Obj], claims: List[Obj], pvs: Optional[Dict[str, Obj]],
             classes: List[Obj], services: Dict[str, Obj], pdbs: List[Obj],
             slices: Optional[List[Obj]] = None,
             diagnosis: Optional[Obj] = None,
             snapshot_classes: Optional[List[Obj]] = None,
             snapshots_known: bool = False) -> List[Obj]:
    """Every finding for one set. `pods`, `claims`: the namespace's (filtered here);
    `pvs`: by name (None when not readable); `services`: the namespace's, by name;
    `slices`: the namespace's EndpointSlices (None when not readable); `diagnosis`: the one
    diagnosis of the set (core.diagnosis; None: no incident findings); `snapshot_classes`:
    the VolumeSnapshotClasses (None: the snapshot kinds are not served), judged only when
    `snapshots_known` (read)."""
    selector = facts.spec(sts).get("selector") or {}
    mine = [p for p in pods if selector_matches(selector, p["metadata"].get("labels"))
            and facts.pod_ordinal(sts["metadata"]["name"], p["metadata"]["name"]) is not None]
    owned = _owned_claims(sts, claims)
    out = (check_incidents(sts, diagnosis) + check_service(sts, mine, services) +
           check_dns(sts, mine, services, slices) +
           check_retention(sts, owned, pvs) + check_partition(sts, mine) +
           check_budgets(sts, mine, pdbs) + check_max_unavailable(sts) + check_grace(sts) +
           check_expansion(sts, owned, classes) + check_claim_drift(sts, owned) +
           check_orphans(sts, owned) + check_field_owners(sts))
    if snapshots_known:
        out += [_finding(sts, *f) for f in snapshot_hazards(owned, pvs, snapshot_classes)]
    return sorted(out, key=lambda f: SEVERITIES.index(f["severity"]))


def snapshot_hazards(claims: List[Obj], pvs: Optional[Dict[str, Obj]],
                     snapshot_classes: Optional[List[Obj]]) -> List[Tuple[str, str, str, str]]:
    """doctor's findings (severity, check, evidence, fix) on whether a set's claims can be
    snapshotted (what a snapshot needs: core/snapshots.py). Only claims bound to CSI volumes
    (their PV's spec.csi.driver) are judged: other volumes can never have a CSI snapshot
    (core/snapshots.py not_csi) and clusters without CSI hear nothing of it.
    `snapshot_classes` None when the server does not serve the snapshot kinds (info), else the
    classes (warning: a driver with no default class; its claims named)."""
    csi: Dict[str, List[str]] = {}
    for claim in claims:
        pv = (pvs or {}).get((claim.get("spec") or {}).get("volumeName") or "")
        driver = (((pv or {}).get("spec") or {}).get("csi") or {}).get("driver")
        if driver and (claim.get("status") or {}).get("phase") == "Bound":
            csi.setdefault(str(driver), []).append(claim["metadata"]["name"])
    if not csi:
        return []
    if snapshot_classes is None:
        from .snapshots import INSTALL, SNAPSHOT_GROUP, SNAPSHOT_VERSION
        return [("info", "snapshots-not-served", "the server does not serve %s/%s: the PVCs "
                 "on CSI driver %s cannot be snapshotted before an upgrade (kubectl sts "
                 "snapshot, rollout --snapshot)" % (SNAPSHOT_GROUP, SNAPSHOT_VERSION,
                                                    ", ".join(sorted(csi))), INSTALL)]
    from .snapshots import DEFAULT_CLASS_ANNOTATION, pick_class
    out = []
    for driver, names in sorted(csi.items()):
        if pick_class(driver, snapshot_classes, None, names[0])[1] is None:
            continue
        names = sorted(names)
        defaults = sum(1 for c in snapshot_classes if c.get("driver") == driver and (
            c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true")
        out.append(("warning", "no-snapshot-class", "%s for CSI driver %s: PVC %s cannot be "
                    "snapshotted without --class" % (
                        "%d default VolumeSnapshotClasses" % defaults if defaults else
                        "no default VolumeSnapshotClass", driver,
                        ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")),
                    "annotate exactly one VolumeSnapshotClass with driver: %s %s: \"true\" "
                    "(create one if none exists)" % (driver, DEFAULT_CLASS_ANNOTATION)))
    return out


def _labels(sts: Obj) -> str:
    return _fmt_labels((facts.spec(sts).get("selector") or {}).get("matchLabels") or {})


def _fmt_labels(labels: Obj) -> str:
    return ",".join("%s=%s" % kv for kv in sorted(labels.items()))
