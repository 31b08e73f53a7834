"""Server-side apply: a PATCH with `application/apply-patch+yaml` (which creates the object
when there is none), as kube-apiserver 1.35-1.37 serves it.

Upstream followed:
- k8s.io/apiserver/pkg/endpoints/handlers/patch.go `applyPatcher.applyPatchToCurrentObject`
  and `createNewObject` (apply creates; 201 then), and pkg/apis/meta/v1/validation
  `ValidatePatchOptions` (`fieldManager: Required value: is required for apply patch`, `force:
  Forbidden: may not be specified for non-apply patch`);
- k8s.io/apimachinery/pkg/util/managedfields/internal: structuredmerge.go `Apply` (the applied
  configuration's apiVersion must be the resource's: `Incorrect version specified in apply
  patch...`; `metadata.managedFields must be nil`), versioncheck.go, stripmeta.go (the set is
  stripped after the merge), lastappliedmanager.go (`kubectl`'s conflicts on fields of the
  client-side apply annotation are forced: the upgrade from client-side apply),
  lastappliedupdater.go (`kubectl` keeps that annotation in step), managedfieldsupdater.go
  (the applier's time moves when the object changed), conflict.go `NewConflictError` (409,
  `Apply failed with N conflict(s): ...`, one FieldManagerConflict cause per field);
- sigs.k8s.io/structured-merge-diff merge/update.go `Updater.Apply` and `prune`: the applied
  configuration merged into the live object; the fields this applier applied before and no
  longer applies are removed unless another manager owns them; then `update`: what the apply
  changes that another manager owns is a conflict, unless forced, when it moves to the
  applier; equal values are shared."""

import json
from typing import Any, Dict, List, Optional, Tuple

from . import errors, fieldsets, managedfields
from .errors import ApiError
from .managedfields import Managers
from .resources import ResourceType
from .store import APPLIED, Store

Obj = Dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def is_apply(content_type: str) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("application/apply-patch+yaml", "application/apply-patch+cbor")


def check_options(query: Dict[str, str], is_apply: bool) -> None:
    """ValidatePatchOptions."""
    causes = []
    if not is_apply and "force" in query:
        causes.append({"reason": "FieldValueForbidden", "field": "force",
                       "message": "Forbidden: may not be specified for non-apply patch"})
    if is_apply and not query.get("fieldManager"):
        causes.append({"reason": "FieldValueRequired", "field": "fieldManager",
                       "message": "Required value: is required for apply patch"})
    if causes:
        from .validation import invalid_status
        raise errors.invalid(invalid_status("PatchOptions", "meta.k8s.io", "", causes))


def _bad_request(message: str) -> ApiError:
    return errors.bad_request(message)


def _version_check(rt: ResourceType, config: Obj) -> None:
    expected = managedfields.api_version(rt)
    if config.get("apiVersion") != expected:
        raise _bad_request("Incorrect version specified in apply patch. Specified patch "
                           "version: %s, expected: %s" % (config.get("apiVersion") or "",
                                                           expected))
    if config.get("kind") != rt.kind:
        raise ApiError(errors.status(500, "InternalError", "failed to create typed patch "
                                     "object: kind %s does not match %s"
                                     % (config.get("kind") or "", rt.kind)))


def apply(store: Store, rt: ResourceType, ns: Optional[str], name: str,
          subresource: Optional[str], config: Any, manager: str, force: bool,
          dry_run: bool) -> Tuple[Obj, bool]:
    """Apply `config` as `manager`: (the object, whether it was created)."""
    if not isinstance(config, dict):
        raise _bad_request("error decoding YAML: the applied configuration is not an object")
    _version_check(rt, config)
    meta = config.get("metadata")
    if not isinstance(meta, dict):
        meta = config["metadata"] = {}
    if meta.get("managedFields") is not None:
        raise _bad_request("metadata.managedFields must be nil")
    if meta.get("name") not in (None, name):
        raise _bad_request("the name of the object (%s) does not match the name on the URL "
                           "(%s)" % (meta.get("name"), name))
    meta["name"] = name
    if rt.namespaced:
        if meta.get("namespace") not in (None, "", ns):
            raise _bad_request("the namespace of the provided object does not match the "
                               "namespace sent on the request")
        meta["namespace"] = ns
    t = managedfields.type_of(rt)
    with store.cond:
        live = store.peek(rt, ns, name)
        if live is None and subresource:
            raise errors.not_found(rt, name)
        try:
            new, managers = merge(rt, live, config, manager, force, subresource,
                                  store.clock.stamp(), t)
        except fieldsets.ApplyError as exc:
            raise ApiError(errors.status(500, "InternalError", "failed to create typed patch "
                                         "object (%s, Kind=%s) %s/%s: %s" % (
                                             managedfields.api_version(rt), rt.kind, ns or "",
                                             name, exc)))
        new["metadata"]["managedFields"] = managedfields.encode(managers) if managers else []
        if live is None:
            created = store.create(rt, new, namespace=ns, dry_run=dry_run, manager=APPLIED)
            return created, True
        return store.update(rt, new, subresource=subresource, dry_run=dry_run,
                            manager=APPLIED), False


def apply_scale(store: Store, rt: ResourceType, ns: Optional[str], name: str, config: Any,
                manager: str, force: bool, dry_run: bool) -> Obj:
    """An apply of the scale subresource: a Scale (autoscaling/v1) whose spec.replicas is
    applied to the set's, recorded on the set as `manager`'s Apply through /scale
    (apiserver fieldmanager/scalehandler.go maps the Scale's spec.replicas to the parent's)."""
    from .endpoints import scale_of
    if rt.kind != "StatefulSet":
        raise errors.method_not_allowed()
    if not isinstance(config, dict):
        raise _bad_request("error decoding YAML: the applied configuration is not an object")
    if config.get("apiVersion") != "autoscaling/v1":
        raise _bad_request("Incorrect version specified in apply patch. Specified patch "
                           "version: %s, expected: autoscaling/v1"
                           % (config.get("apiVersion") or ""))
    parent: Obj = {"apiVersion": managedfields.api_version(rt), "kind": rt.kind,
                   "metadata": {"name": name}}
    replicas = (config.get("spec") or {}).get("replicas")
    if replicas is not None:
        parent["spec"] = {"replicas": replicas}
    with store.cond:
        live = store.peek(rt, ns, name)
        if live is None:
            raise errors.not_found(rt, name)
        new, managers = merge(rt, live, parent, manager, force, "scale", store.clock.stamp(),
                              managedfields.type_of(rt))
        new["metadata"]["managedFields"] = managedfields.encode(managers) if managers else []
        return scale_of(store.update(rt, new, subresource="scale", dry_run=dry_run,
                                     manager=APPLIED))


def merge(rt: ResourceType, live: Optional[Obj], config: Obj, manager: str, force: bool,
          subresource: Optional[str], now: str, t: Any) -> Tuple[Obj, Managers]:
    """Updater.Apply over plain objects: the new object and its managers (raises the 409 of
    a conflict)."""
    base: Obj = json.loads(json.dumps(live)) if live is not None else {}
    managers = managedfields.decode((base.get("metadata") or {}).get("managedFields")) or {}
    version = managedfields.api_version(rt)
    ident = managedfields.identity({"manager": manager, "operation": "Apply",
                                    "subresource": subresource})
    last = managers.get(ident)
    last_set = last[1] if last else frozenset()
    merged = fieldsets.merge(base, config, t)
    applied = frozenset(_ignore(fieldsets.to_set(config, t, strict=True), rt, subresource))
    entry = {"manager": manager, "operation": "Apply", "apiVersion": version}
    if subresource:
        entry["subresource"] = subresource
    if last:
        entry["time"] = last[0].get("time")
    managers[ident] = [entry, applied]
    if last_set:
        everyone = fieldsets.with_named_fields(managedfields.all_paths(managers), t)
        stale = fieldsets.with_named_fields(last_set, t) - everyone
        merged = fieldsets.remove(merged, set(stale), t)
    cmp = managedfields.changes(rt, live, merged, subresource)
    changed = managedfields._strip(cmp.changed(), rt, subresource)
    removed = managedfields._strip(cmp.removed, rt, subresource)
    conflicts = _conflicts(managers, ident, changed)
    if conflicts and not force:
        if manager == "kubectl" and _allowed_by_last_applied(live, conflicts, t):
            force = True
        else:
            raise conflict_error(conflicts)
    for key in list(managers):
        if key == ident:
            continue
        value = managers[key]
        if value[1] & (changed | removed):
            managers[key] = [value[0], value[1] - changed - removed]
        if not managers[key][1]:
            del managers[key]
    stripped = managedfields._strip(applied, rt, subresource)
    if changed or removed or not last:
        entry["time"] = now
    if stripped:
        managers[ident] = [entry, stripped]
    else:
        del managers[ident]
    if manager == "kubectl" and LAST_APPLIED in ((base.get("metadata") or {})
                                                  .get("annotations") or {}):
        annotations = merged.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[LAST_APPLIED] = _last_applied(config)
    merged.setdefault("metadata", {})
    return merged, managers


def _ignore(paths: Any, rt: ResourceType, subresource: Optional[str]) -> List[Any]:
    """The registry's reset fields are not applied through this endpoint."""
    reset = "spec" if subresource == "status" else (
        "status" if rt.plural in managedfields.STATUS_RESET else None)
    return [p for p in paths if not (reset and p and p[0] == ("f", reset))]


def _conflicts(managers: Managers, ident: str, changed: Any) -> List[Tuple[Obj, Any]]:
    out = []
    for key, value in managers.items():
        if key == ident:
            continue
        taken = value[1] & changed
        if taken:
            out.append((value[0], taken))
    return out


def _allowed_by_last_applied(live: Optional[Obj], conflicts: List[Tuple[Obj, Any]],
                             t: Any) -> bool:
    """lastappliedmanager.go allowedConflictsFromLastApplied."""
    text = (((live or {}).get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return False
    try:
        allowed = fieldsets.to_set(json.loads(text), t)
    except (ValueError, fieldsets.ApplyError):
        return False
    return all(paths <= allowed for _, paths in conflicts)


def _last_applied(config: Obj) -> str:
    """lastappliedupdater.go buildLastApplied: the configuration without the annotation."""
    clean = json.loads(json.dumps(config))
    annotations = (clean.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            del clean["metadata"]["annotations"]
    return json.dumps(clean, separators=(",", ":"), sort_keys=True) + "\n"


def conflict_error(conflicts: List[Tuple[Obj, Any]]) -> ApiError:
    """conflict.go NewConflictError / getConflictMessage."""
    from kubectl_sts.k8s.fieldsv1 import format_path
    rows = sorted((managedfields.identity(meta), managedfields.format_manager(meta),
                   format_path(p)) for meta, paths in conflicts for p in paths)
    causes = [{"reason": "FieldManagerConflict", "message": "conflict with %s" % who,
               "field": field} for _, who, field in rows]
    if len(rows) == 1:
        message = "Apply failed with 1 conflict: conflict with %s: %s" % (rows[0][1],
                                                                         rows[0][2])
    else:
        lines: List[str] = []
        seen = None
        for ident, who, field in rows:
            if ident != seen:
                lines.append("conflicts with %s:" % who)
                seen = ident
            lines.append("- %s" % field)
        message = "Apply failed with %d conflicts: %s" % (len(rows), "\n".join(lines))
    return ApiError(errors.status(409, "Conflict", message, {"causes": causes}))
