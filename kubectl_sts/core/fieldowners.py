"""Who else writes the fields of a StatefulSet that the plugin changes, read from its
`metadata.managedFields` (and, for a tool that left no entry there, from the labels and
annotations it marks objects with): what each one does at its next sync and how to pause it,
and whether a write must be refused because the owner will put the field back.

The managers, by the name they write with (the API server records `fieldManager`, or when a
client sends none the part of its User-Agent before the first "/": apiserver
pkg/endpoints/handlers/create.go managerOrUserAgent / prefixFromUserAgent):

- `kustomize-controller`: Flux's kustomize-controller applies with server-side apply as
  ssa.Owner{Field: ControllerName} (fluxcd/kustomize-controller main.go
  `controllerName = "kustomize-controller"`, internal/controller/kustomization_controller.go
  ssa.NewResourceManager) and corrects drift at every reconcile (`spec.interval`). Paused by
  `kustomize.toolkit.fluxcd.io/reconcile: disabled` on the object, by `flux suspend
  kustomization`, or for chosen paths by the Kustomization's `spec.ignore`; an object
  annotated `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent` or `Ignore` is not applied
  again (docs/spec/v1/kustomizations.md "Suspending and resuming", "Ignore Rules",
  "Controlling the apply behavior of resources").
- `helm-controller`: Flux's helm-controller (fluxcd/helm-controller main.go
  `kube.ManagedFieldsManager = controllerName`, "helm-controller"): Helm's upgrade puts the
  chart's fields back, and with `spec.driftDetection.mode: enabled` every reconcile corrects
  drift (docs/spec/v2/helmreleases.md "Drift detection"); `flux suspend helmrelease` pauses it.
- `argocd-controller`: Argo CD's server-side apply syncs (argo-cd common/common.go
  `ArgoCDSSAManager = "argocd-controller"`, controller/sync.go
  sync.WithServerSideApplyManager); its client-side apply sends no field manager, so the API
  server names it from the controller's User-Agent, `argocd-application-controller`
  (common.DefaultApplicationControllerName; argoproj/argo-cd issues 16813, 20815). Any sync
  applies git's manifest again; automated sync with `selfHeal` does so as soon as the live
  object drifts (which this module cannot see: the Application is elsewhere, so Argo CD
  counts as reverting). Paused by turning automated sync (`spec.syncPolicy.automated.enabled:
  false`, docs/user-guide/auto_sync.md) or selfHeal off, or by `ignoreDifferences` on the
  paths with the sync option `RespectIgnoreDifferences=true` (docs/user-guide/diffing.md,
  sync-options.md).
- `helm`: the Helm CLI (helm pkg/kube/client.go getManagedFieldsManager: ManagedFieldsManager
  or the binary's base name, "helm"; Helm 3 patches, Helm 4 applies server-side under the same
  name: pkg/action/install.go `ServerSideApply: true`, upgrade.go "auto"): a person's next
  `helm upgrade` puts the chart's values back. Warned about.
- `kubectl-client-side-apply` (kubectl pkg/cmd/apply FieldManagerClientSideApply), with the
  `kubectl.kubernetes.io/last-applied-configuration` annotation: a person's next
  `kubectl apply` puts the manifest's values back. Warned about, for the fields the
  annotation names only: the API server gives the creator the fields defaulting filled in too
  (the request is defaulted when it is decoded, before the field manager runs), but the next
  client-side apply patches only what its three-way merge of the annotation, the manifest and
  the live object names (kubectl pkg/cmd/apply/patcher.go Patcher.patchSimple,
  strategicpatch.CreateThreeWayMergePatch), so a defaulted partition it owns is not put back
  (`applied_owned`). Without the annotation, every field it owns counts.
- `kubectl`: `kubectl apply --server-side` (kubectl pkg/cmd/apply: the default field manager of
  server-side apply). Its next apply conflicts with kubectl-sts, or with --force-conflicts
  puts the values back. Warned about.
- `kube-controller-manager` through the `scale` subresource owning `.spec.replicas`: a
  HorizontalPodAutoscaler (pkg/controller/podautoscaler UpdateScale), which sets its replica
  count at its next sync.
- The other `kubectl-<verb>` managers (kubectl-create, -edit, -patch, -scale, ...) are one-off
  writes by a person, `before-first-apply` is the API server's placeholder and the default
  User-Agents of HTTP libraries (OpenAPI-Generator, Go-http-client, ...) name a script, not a
  writer: not reported. Any other manager is reported by its name, as a warning.
"""

import json
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..k8s import fieldsv1
from ..k8s.fieldsv1 import Path, field
from .names import FIELD_MANAGER as MANAGER     # the plugin's own writes

FIELDS: Dict[str, Path] = {
    "replicas": (field("spec"), field("replicas")),
    "partition": (field("spec"), field("updateStrategy"), field("rollingUpdate"),
                  field("partition")),
    "template": (field("spec"), field("template")),
    "updateStrategy": (field("spec"), field("updateStrategy")),
    "claims": (field("spec"), field("volumeClaimTemplates")),
}

# the JSON Pointers of the fields, for Flux's spec.ignore and Argo CD's ignoreDifferences
POINTERS: Dict[str, str] = {
    "replicas": "/spec/replicas",
    "partition": "/spec/updateStrategy/rollingUpdate/partition",
    "template": "/spec/template",
    "updateStrategy": "/spec/updateStrategy",
    "claims": "/spec/volumeClaimTemplates",
}

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
FLUX_RECONCILE = "kustomize.toolkit.fluxcd.io/reconcile"
FLUX_SSA = "kustomize.toolkit.fluxcd.io/ssa"
FLUX_KS_NAME = "kustomize.toolkit.fluxcd.io/name"
FLUX_KS_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
FLUX_HR_NAME = "helm.toolkit.fluxcd.io/name"
FLUX_HR_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
ARGO_INSTANCE = "argocd.argoproj.io/instance"
HELM_RELEASE = "meta.helm.sh/release-name"
HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
MANAGED_BY = "app.kubernetes.io/managed-by"

# one-off writers: not reported (kubectl's per-verb managers, the API server's placeholder)
_ONE_OFF_PREFIX = "kubectl-"
_NOT_ONE_OFF = ("kubectl-client-side-apply",)
_PLACEHOLDERS = ("before-first-apply",)
# the default User-Agents of HTTP client libraries (the generated kubernetes clients'
# "OpenAPI-Generator/...", Go's net/http, requests, curl): a script's writes that name no
# writer to warn about
_LIBRARIES = ("OpenAPI-Generator", "Go-http-client", "python-requests", "curl")


class Writer(NamedTuple):
    manager: str            # the managedFields entry's manager ("" for a marker)
    operation: str          # "Apply" | "Update" ("" for a marker)
    subresource: str        # "" for the main resource
    time: Optional[str]
    paths: Tuple[str, ...]  # fieldsv1.format_path of the fields the command writes that it owns
    who: str                # "Flux (kustomize-controller)", "Helm", ...
    reverts: bool           # a controller that puts the field back at its next sync
    next_sync: str          # what it will do at its next sync, in one clause
    pause: Tuple[str, ...]  # how to pause it: commands / annotations / settings, each a line


def _meta(sts: Mapping[str, Any]) -> Tuple[str, str, Dict[str, str], Dict[str, str]]:
    meta = sts.get("metadata") or {}
    return (str(meta.get("name") or ""), str(meta.get("namespace") or "default"),
            dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}))


def _names(paths: Iterable[Path]) -> List[str]:
    """The FIELDS names of these paths, for the JSON Pointers of the advice."""
    out = []
    for p in paths:
        for name, prefix in FIELDS.items():
            if prefix == p and name not in out:
                out.append(name)
    return out or ["template"]


def _pointers(names: Sequence[str]) -> str:
    return ", ".join(POINTERS[n] for n in names)


def _argo_app(labels: Mapping[str, str], annotations: Mapping[str, str],
              fallback: bool) -> str:
    tracking = annotations.get(ARGO_TRACKING, "")
    if tracking:
        return tracking.split(":")[0]
    return labels.get(ARGO_INSTANCE) or \
        (labels.get("app.kubernetes.io/instance", "") if fallback else "") or "APP"


def _kind(manager: str, operation: str, subresource: str, sts: Mapping[str, Any],
          names: Sequence[str]) -> Tuple[str, bool, str, Tuple[str, ...]]:
    """(who, reverts, next_sync, pause) of one manager."""
    name, ns, labels, annotations = _meta(sts)
    pointers = _pointers(names)
    if manager == "kustomize-controller":
        ks = labels.get(FLUX_KS_NAME, "NAME")
        ks_ns = labels.get(FLUX_KS_NAMESPACE, "flux-system")
        disabled = annotations.get(FLUX_RECONCILE, labels.get(FLUX_RECONCILE, "")) \
            .lower() == "disabled"
        ssa = annotations.get(FLUX_SSA, "").lower()
        if disabled:
            return ("Flux (kustomize-controller)", False,
                    "leaves it alone while %s: disabled is on the set" % FLUX_RECONCILE,
                    ("remove the annotation %s (or set it to enabled) to resume"
                     % FLUX_RECONCILE,))
        if ssa in ("ifnotpresent", "ignore"):
            return ("Flux (kustomize-controller)", False,
                    "does not apply the set again (%s: %s)" % (FLUX_SSA, annotations[FLUX_SSA]),
                    ())
        return ("Flux (kustomize-controller)", True,
                "applies the set from its source again at its next reconcile (the "
                "Kustomization's spec.interval) and puts it back",
                ("kubectl annotate statefulset %s -n %s %s=disabled (remove it to resume)"
                 % (name, ns, FLUX_RECONCILE),
                 "flux suspend kustomization %s -n %s (flux resume kustomization to resume)"
                 % (ks, ks_ns),
                 "or in the Kustomization's spec.ignore: paths [%s], target kind StatefulSet "
                 "name %s" % (pointers, name)))
    if manager == "helm-controller":
        hr = labels.get(FLUX_HR_NAME, "NAME")
        hr_ns = labels.get(FLUX_HR_NAMESPACE, "flux-system")
        return ("Flux (helm-controller)", True,
                "puts it back at the HelmRelease's next upgrade, and at its next reconcile "
                "when its spec.driftDetection.mode is enabled",
                ("flux suspend helmrelease %s -n %s (flux resume helmrelease to resume)"
                 % (hr, hr_ns),
                 "or in the HelmRelease's spec.driftDetection.ignore: paths [%s], target kind "
                 "StatefulSet name %s, and the chart's values" % (pointers, name)))
    if manager in ("argocd-controller", "argocd-application-controller"):
        app = _argo_app(labels, annotations, fallback=True)
        how = "server-side apply" if manager == "argocd-controller" else "client-side apply"
        return ("Argo CD (%s, %s)" % (manager, how), True,
                "applies the manifest from git again at its next sync, at once when its "
                "automated sync has selfHeal",
                ("argocd app set %s --sync-policy none (or in the Application "
                 "spec.syncPolicy.automated.enabled: false, or selfHeal: false)" % app,
                 "or in Application %s: spec.ignoreDifferences [{group: apps, kind: "
                 "StatefulSet, name: %s, jsonPointers: [%s]}] with syncOptions "
                 "[RespectIgnoreDifferences=true]" % (app, name, pointers)))
    if manager == "helm":
        release = annotations.get(HELM_RELEASE, "RELEASE")
        return ("Helm", False,
                "puts the chart's values back at the next helm upgrade of release %s"
                % release,
                ("change the chart's values of release %s too" % release,))
    if manager == "kubectl-client-side-apply":
        return ("kubectl apply (client-side)", False,
                "puts the manifest's values back at the next kubectl apply of it",
                ("change the manifest too (%s records it)" % LAST_APPLIED,))
    if manager == "kubectl":
        return ("kubectl apply (server-side)", False,
                "conflicts with %s at the next kubectl apply --server-side of its manifest, "
                "and with --force-conflicts puts the manifest's values back" % MANAGER,
                ("change the manifest too",))
    if manager == "kube-controller-manager" and subresource == "scale":
        return ("a HorizontalPodAutoscaler (kube-controller-manager, scale)", True,
                "sets the replicas it computes at its next sync (every 15 s)",
                ("kubectl get hpa -n %s: the one whose scaleTargetRef is StatefulSet %s; "
                 "set its minReplicas and maxReplicas, or delete it" % (ns, name),))
    tail = " (%s)" % subresource if subresource else ""
    if operation == "Apply":
        return (manager + tail, False,
                "conflicts with %s at its next server-side apply of these fields, or forced "
                "puts them back" % MANAGER, ("find what applies as field manager %s" % manager,))
    return (manager + tail, False, "may write them again (kubectl-sts does not know it)",
            ("find what writes as field manager %s" % manager,))


def _reported(manager: str, operation: str, subresource: str) -> bool:
    if manager in (MANAGER,) + _PLACEHOLDERS + _LIBRARIES or subresource == "status":
        return False
    if manager.startswith(_ONE_OFF_PREFIX) and manager not in _NOT_ONE_OFF:
        return False
    return True


def applied_document(sts: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    """The set's last-applied-configuration (what kubectl's last client-side apply sent) as a
    JSON object; None without one, or when it is not a JSON object."""
    text = _meta(sts)[3].get(LAST_APPLIED)
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        return None
    return doc if isinstance(doc, Mapping) else None


def _key_matches(item: Any, keys: Any) -> bool:
    """An item of a map-type list in the manifest is the one `keys` (k: element) names when
    every key field it has equals the key's; a key field it leaves out was defaulted by the
    server (a port's protocol) and matches."""
    return isinstance(item, Mapping) and all(item[k] == v for k, v in keys if k in item)


def applied_owned(doc: Any, path: Path) -> bool:
    """Whether `path` is present in the last-applied configuration `doc`: each field name of
    its chain exists there, an item of a map-type list (k:) is matched by its key fields, a set
    item (v:) by its value, an atomic list's item (i:) by its index."""
    node = doc
    for kind, v in path:
        if kind == "f":
            if not isinstance(node, Mapping) or v not in node:
                return False
            node = node[v]
        elif kind == "k":
            found = [i for i in node if _key_matches(i, v)] if isinstance(node, list) else []
            if not found:
                return False
            node = found[0]
        elif kind == "v":
            return isinstance(node, list) and any(
                fieldsv1.value(i) == ("v", v) for i in node)
        else:
            if not isinstance(node, list) or not 0 <= v < len(node):
                return False
            node = node[v]
    return True


def owned_paths(sts: Mapping[str, Any], entry: Mapping[str, Any], prefix: Path) -> List[Path]:
    """The paths at or below `prefix` the managedFields `entry` owns that its manager writes
    again: for kubectl-client-side-apply with a last-applied-configuration, only those the
    annotation names (module docstring); for any other, all."""
    found = fieldsv1.owners_of([entry], prefix)
    paths = found[0][1] if found else []
    if paths and entry.get("manager") == "kubectl-client-side-apply":
        doc = applied_document(sts)
        if doc is not None:
            paths = [p for p in paths if applied_owned(doc, p)]
    return paths


def owners(sts: Mapping[str, Any], prefix: Path) -> List[Tuple[Mapping[str, Any], List[Path]]]:
    """fieldsv1.owners_of over the set's managedFields, with `owned_paths`' reading of
    client-side apply's entry."""
    out = []
    for entry in (sts.get("metadata") or {}).get("managedFields") or ():
        paths = owned_paths(sts, entry, prefix)
        if paths:
            out.append((entry, paths))
    return out


def markers(sts: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(tool, who) of the tools whose labels or annotations the set carries (they re-apply its
    source manifest): tool is the manager the tool writes with."""
    _, _, labels, annotations = _meta(sts)
    found = []
    if labels.get(MANAGED_BY) == "Helm" or HELM_RELEASE in annotations:
        found.append(("helm", "Helm (release %s)" % annotations.get(HELM_RELEASE, "?")))
    if ARGO_TRACKING in annotations or ARGO_INSTANCE in labels:
        found.append(("argocd-controller", "Argo CD (application %s)"
                      % _argo_app(labels, annotations, fallback=False)))
    for key, tool in ((FLUX_KS_NAME, "kustomize-controller"),
                      (FLUX_HR_NAME, "helm-controller")):
        if key in labels:
            found.append((tool, "Flux (%s %s)" % (key.split(".")[0], labels[key])))
    return found


_SAME_TOOL = {"argocd-controller": ("argocd-controller", "argocd-application-controller"),
              "helm": ("helm", "helm-controller")}


def other_writers(sts: Mapping[str, Any], paths: Iterable[Path]) -> List[Writer]:
    """The managers other than kubectl-sts that own any of `paths` (FIELDS values) or a field
    under one, one Writer per managedFields entry in the list's order; then, for each tool whose
    labels or annotations mark the set but that has no managedFields entry at all (an object
    written before managedFields, or with them stripped), a Writer without a manager that only
    warns (nothing shows it owns these fields). Owners of status only, the plugin itself and
    one-off kubectl writes are left out."""
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return []
    names = _names(wanted)
    entries = list((sts.get("metadata") or {}).get("managedFields") or [])
    out: List[Writer] = []
    for entry in entries:
        manager = str(entry.get("manager") or "")
        operation = str(entry.get("operation") or "")
        subresource = str(entry.get("subresource") or "")
        if not _reported(manager, operation, subresource):
            continue
        owned = [p for p in wanted if owned_paths(sts, entry, p)]
        if not owned:
            continue
        who, reverts, next_sync, pause = _kind(manager, operation, subresource, sts,
                                               _names(owned))
        out.append(Writer(manager, operation, subresource, entry.get("time"),
                          tuple(fieldsv1.format_path(p) for p in owned), who, reverts,
                          next_sync, pause))
    present = {str(e.get("manager") or "") for e in entries}
    for tool, who in markers(sts):
        if any(m in present for m in _SAME_TOOL.get(tool, (tool,))):
            continue
        _, _, next_sync, pause = _kind(tool, "", "", sts, names)
        out.append(Writer("", "", "", None, tuple(fieldsv1.format_path(p) for p in wanted),
                          who, False, next_sync, pause))
    return out


def warning_lines(writers: Sequence[Writer]) -> List[str]:
    """What the user reads of each writer: who owns what, its next sync, how to pause it."""
    lines = []
    for w in writers:
        owns = "owns %s" % ", ".join(w.paths) if w.manager else "manages the set (%s)" % \
            ", ".join(w.paths)
        lines.append("%s %s: it %s" % (w.who, owns, w.next_sync))
        lead = "to pause it" if w.reverts else "to keep the change"
        lines.extend("  %s: %s" % (lead, p) if i == 0 else "  %s" % p
                     for i, p in enumerate(w.pause))
    return lines


def refusal(writers: Sequence[Writer]) -> Optional[str]:
    """Why the write is refused when a writer reverts it: one line, then the advice lines (who,
    its next sync, how to pause it); None when nothing blocks."""
    blocking = [w for w in writers if w.reverts]
    if not blocking:
        return None
    fields = list(dict.fromkeys(p for w in blocking for p in w.paths))
    head = ("%s owned by %s, which puts %s back: pause it first, or --force to write anyway"
            % (", ".join(fields) + (" is" if len(fields) == 1 else " are"),
               " and ".join(dict.fromkeys(w.who for w in blocking)),
               "it" if len(fields) == 1 else "them"))
    return "\n".join([head] + warning_lines(blocking))


def _dig(obj: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(k)
    return obj


def written_paths(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[Path]:
    """The FIELDS a write of `new` over `old` changes (the update strategy apart from the
    partition counts as "updateStrategy")."""
    out = []
    for name in ("replicas", "partition", "template", "claims"):
        keys = [pe[1] for pe in FIELDS[name]]
        if _dig(old, *keys) != _dig(new, *keys):
            out.append(FIELDS[name])

    def strategy(sts: Mapping[str, Any]) -> Any:
        s = dict(_dig(sts, "spec", "updateStrategy") or {})
        rolling = dict(s.get("rollingUpdate") or {})
        rolling.pop("partition", None)
        s["rollingUpdate"] = rolling
        return s
    if strategy(old) != strategy(new):
        out.append(FIELDS["updateStrategy"])
    return out


def ownership(sts: Mapping[str, Any], paths: Iterable[Path],
              force: bool) -> Tuple[List[str], Optional[str]]:
    """What a writing command says before it writes `paths` of `sts`: (warning lines for
    stderr, the Refused message or None). Refused (one line, then who, its next sync and how to
    pause it) when an owner puts the fields back and there is no --force; with --force the
    same as warnings, and a line that says the write goes ahead."""
    writers = other_writers(sts, paths)
    blocked = refusal(writers)
    if blocked and not force:
        head, _, advice = blocked.partition("\n")
        return [], "error: refused: %s; nothing was changed\n%s" % (head, advice)
    lines = ["Warning: %s" % line if not line.startswith(" ") else line
             for line in warning_lines(writers)]
    if blocked:
        lines.append("Warning: --force: writing anyway; %s"
                     % blocked.split("\n")[0].split(", which ")[0] +
                     " and will be put back at its next sync")
    return lines, None


# the metadata the API server sets, nobody's field (apimachinery managedfields/internal
# stripmeta.go), and what a recreate never compares
_SERVER_SET = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
               "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


def changed_paths(before: Any, after: Any, prefix: Path = ()) -> List[Path]:
    """The fields `after` differs from `before` in, maps compared key by key, lists whole (the
    recreate changes only volumeClaimTemplates, an atomic list: apps/v1 StatefulSetSpec
    `+listType=atomic`, and annotations); apiVersion, kind, status and the server-set metadata
    left out."""
    if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
        return [prefix] if before != after and prefix else []
    out: List[Path] = []
    for k in sorted(set(before) | set(after)):
        if (not prefix and k in ("apiVersion", "kind", "status")) or \
                (prefix == (field("metadata"),) and k in _SERVER_SET):
            continue
        if k not in before or k not in after:
            out.append(prefix + (field(k),))
        else:
            out.extend(changed_paths(before[k], after[k], prefix + (field(k),)))
    return out


def kept_owners(before: Mapping[str, Any], created: Mapping[str, Any],
                now: str) -> Optional[List[Dict[str, Any]]]:
    """The managedFields to put back on a set created again around its pods (resize,
    restore): the API server gave the create's manager (kubectl-sts) every field
    (apimachinery managedfields/internal fieldmanager.go FieldManager.Update over an empty
    live object), so Flux's, Argo CD's or kubectl's entries are gone. Back: `before`'s
    entries, less the fields the recreate changed, which join kubectl-sts's Update entry, as
    an Update changing them would have done (structured-merge-diff merge/update.go
    Updater.update). None when `before` had no managedFields (nothing to put back)."""
    entries = list((before.get("metadata") or {}).get("managedFields") or [])
    if not entries:
        return None
    changed = set(changed_paths(before, created))
    out: List[Dict[str, Any]] = []
    mine: Optional[Dict[str, Any]] = None
    for entry in entries:
        try:
            paths = fieldsv1.decode(entry.get("fieldsV1"))
        except (ValueError, TypeError):
            continue
        kept = {p for p in paths if not any(p[:len(c)] == c for c in changed)}
        ours = entry.get("manager") == MANAGER and entry.get("operation") == "Update" and \
            not entry.get("subresource")
        if ours:
            mine = dict(entry)
            mine["fieldsV1"] = fieldsv1.encode(kept | changed)
            if changed:
                mine["time"] = now
            out.append(mine)
        elif kept:
            out.append(entry if kept == paths else dict(entry, fieldsV1=fieldsv1.encode(kept)))
    if mine is None and changed:
        out.append({"manager": MANAGER, "operation": "Update", "apiVersion": "apps/v1",
                    "time": now, "fieldsType": "FieldsV1",
                    "fieldsV1": fieldsv1.encode(changed)})
    return out
