"""metadata.managedFields: the API server's field manager, for Update operations (every write
that is not an apply) and, with applier.py, for Apply.

Upstream (k8s.io/apimachinery/pkg/util/managedfields/internal):
- fieldmanager.go `FieldManager.Update`: the managedFields a request carries are the base when
  they decode and are not empty (`[]` keeps the live ones; `[{}]` decodes to one empty entry,
  dropped at once: it resets them), a subresource write always starts from the live ones;
- managedfields.go `DecodeManagedFields`/`BuildManagerIdentifier` (an entry's identity is its
  manager, operation, subresource and, for Update, apiVersion), `sortEncodedManagedFields`
  (Apply before Update, then time, manager, apiVersion, subresource);
- managedfieldsupdater.go: the fields an Update changed join its manager's entry, and the entry
  gets the time only when it took any;
- structuredmerge.go + sigs.k8s.io/structured-merge-diff merge/update.go `Updater.Update`:
  what changed (added or modified) is taken from every other manager, what was removed leaves
  every entry, empty entries go;
- stripmeta.go: apiVersion, kind and the server-set metadata are nobody's; the registries'
  reset fields (`GetResetFields`: the status of a resource with a status subresource, the spec
  through /status) are not owned through that endpoint;
- capmanagers.go: more than 10 Update entries fold the oldest into `ancient-changes`;
- skipnonapplied.go: an object without managedFields gets none from an Update (only a create
  starts them).

The manager of a request: k8s.io/apiserver/pkg/endpoints/handlers/rest.go
`managerOrUserAgent`/`prefixFromUserAgent` (`?fieldManager=`, else the User-Agent up to its
first `/`, printable characters, at most 128). The sandbox's own writers use their real
components' names (`manager_for`)."""

import datetime
import functools
import json
from typing import Any, Dict, List, Optional

from kubectl_sts.k8s import fieldsv1
from kubectl_sts.k8s.fieldsv1 import Path
from . import fieldschema, fieldsets
from .resources import ResourceType

Obj = Dict[str, Any]
# identity -> [entry without fieldsV1, set of paths]
Managers = Dict[str, List[Any]]

MAX_UPDATE_MANAGERS = 10
_STRIPPED_META = ("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                  "generation", "managedFields", "resourceVersion", "deletionTimestamp",
                  "deletionGracePeriodSeconds")
# Resources whose main endpoint resets status (registries' GetResetFields)
STATUS_RESET = {"pods", "persistentvolumeclaims", "persistentvolumes", "services",
                "statefulsets", "namespaces", "poddisruptionbudgets", "nodes"}


def manager_from_request(field_manager: Optional[str], user_agent: str) -> str:
    """rest.go managerOrUserAgent."""
    if field_manager:
        return field_manager
    prefix = (user_agent or "").split("/", 1)[0]
    return "".join(c for c in prefix if c.isprintable())[:128]


def identity(entry: Obj) -> str:
    """BuildManagerIdentifier: the JSON of the entry without its fields and time (and, for an
    applier, its apiVersion)."""
    operation = entry.get("operation") or ""
    return _identity(entry.get("manager") or "", operation,
                     "" if operation == "Apply" else (entry.get("apiVersion") or ""),
                     entry.get("subresource") or "")


@functools.lru_cache(maxsize=4096)
def _identity(manager: str, operation: str, version: str, subresource: str) -> str:
    # metav1.ManagedFieldsEntry's JSON, its fields in the struct's order (conflict messages
    # list managers sorted by this text)
    out = {"manager": manager, "operation": operation}
    if version:
        out["apiVersion"] = version
    if subresource:
        out["subresource"] = subresource
    return json.dumps(out, separators=(",", ":"))


def type_of(rt: ResourceType) -> fieldschema.TypeNode:
    return fieldschema.type_of(rt.group, rt.version, rt.kind)


def api_version(rt: ResourceType) -> str:
    return "%s/%s" % (rt.group, rt.version) if rt.group else rt.version


# -- decoding; a stored list (Entries, never modified) keeps its decoded form ---------------
def decode(managed_fields: Any) -> Optional[Managers]:
    """The managers of a managedFields list; None when it does not decode (or is not a list)."""
    if not isinstance(managed_fields, list):
        return None
    known = getattr(managed_fields, "decoded", None)
    if known is not None:
        return {k: list(v) for k, v in known.items()}
    out: Managers = {}
    try:
        for entry in managed_fields:
            if not isinstance(entry, dict):
                return None
            meta = {k: v for k, v in entry.items() if k not in ("fieldsV1", "fieldsType")}
            if meta.get("time"):
                meta["time"] = _rfc3339(meta["time"])
            ident = identity(entry)
            paths = frozenset(fieldsv1.decode(entry.get("fieldsV1") or {}))
            if ident in out:
                return None         # a duplicate manager: upstream refuses to decode
            out[ident] = [meta, paths, entry, entry.get("fieldsV1"), paths]
    except (ValueError, TypeError, AttributeError):
        return None
    return out


def _rfc3339(text: Any) -> Any:
    """A time as the API server writes it (metav1.Time: RFC 3339 in UTC, seconds)."""
    if not isinstance(text, str) or text.endswith("Z"):
        return text
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def remember(managed_fields: Any, managers: Managers) -> None:
    """Keep the decoded form of a stored managedFields list with it."""
    if isinstance(managed_fields, Entries):
        managed_fields.decoded = {k: list(v) for k, v in managers.items()}


class Entries(list):
    """A stored managedFields list: never modified in place (a write stores a new one), so a
    deep copy of an object shares it (deepcopy of the many small FieldsV1 maps would double
    the cost of copying an object); changing it in place is refused."""

    decoded: Optional[Managers] = None

    def __deepcopy__(self, memo: Any) -> "Entries":
        return self

    def __copy__(self) -> "Entries":
        return self

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a stored managedFields list is never modified in place")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


def encode(managers: Managers) -> List[Obj]:
    """The sorted managedFields list (sortEncodedManagedFields); an unchanged entry keeps its
    dict."""
    entries = []
    for ident, value in managers.items():
        meta, paths = value[0], value[1]
        old = value[2] if len(value) > 2 else None
        if old is not None and old.get("time") == meta.get("time"):
            entries.append(old)
            continue
        encoded = value[3] if len(value) > 3 and value[4] == paths else None
        entry: Obj = {"manager": meta.get("manager", ""), "operation": meta.get("operation")}
        for k in ("apiVersion", "time"):
            if meta.get(k):
                entry[k] = meta[k]
        entry["fieldsType"] = "FieldsV1"
        # the same set as before (an Update within what its manager had): the same FieldsV1
        # (stored objects are never mutated, so it can be shared)
        entry["fieldsV1"] = encoded if encoded is not None else fieldsv1.encode(paths)
        if meta.get("subresource"):
            entry["subresource"] = meta["subresource"]
        value[2:] = [entry, entry["fieldsV1"], paths]
        entries.append(entry)
    entries.sort(key=lambda e: (e.get("operation") or "", e.get("time") or "",
                                e.get("manager") or "", e.get("apiVersion") or "",
                                e.get("subresource") or ""))
    return Entries(entries)


# -- what a write owns -----------------------------------------------------------------------
def _strip(paths: Any, rt: ResourceType, subresource: Optional[str]) -> frozenset:
    reset = "spec" if subresource == "status" else (
        "status" if rt.plural in STATUS_RESET else None)
    out = []
    for p in paths:
        head = p[0]
        if head in (("f", "apiVersion"), ("f", "kind")):
            continue
        if head == ("f", "metadata") and (len(p) == 1 or p[1] in [("f", f) for f in
                                                                   _STRIPPED_META]):
            continue
        if reset is not None and head == ("f", reset):
            continue
        out.append(p)
    return frozenset(out)


def changes(rt: ResourceType, old: Optional[Obj], new: Obj, subresource: Optional[str]
            ) -> fieldsets.Comparison:
    """What a write changed (old None: a create, compared with the kind's empty object)."""
    t = type_of(rt)
    lhs: Obj = {} if old is None else old
    cmp = fieldsets.Comparison()
    for k in set(lhs) | set(new):
        if k in ("apiVersion", "kind"):
            continue
        ct = t.child(k)
        if k == "metadata":
            lm = {a: b for a, b in (lhs.get(k) or {}).items() if a not in _STRIPPED_META}
            nm = {a: b for a, b in (new.get(k) or {}).items() if a not in _STRIPPED_META}
            if lm == nm:
                continue
            sub = fieldsets.compare(lm, nm, ct)
            for attr in ("added", "modified", "removed"):
                getattr(cmp, attr).update((("f", "metadata"),) + p
                                          for p in getattr(sub, attr))
            continue
        fieldsets._compare(lhs.get(k, fieldsets.MISSING), new.get(k, fieldsets.MISSING), ct,
                           (("f", k),), k in t.zero or k in ("spec", "status"), cmp)
    return cmp


def update(rt: ResourceType, old: Optional[Obj], new: Obj, manager: str,
           subresource: Optional[str], now: str, seen: Optional[Obj] = None) -> None:
    """Set new's metadata.managedFields for an Update (a create when `old` is None) by
    `manager`; `seen`: the object as the field manager saw it, before mutating admission
    (default: `new`)."""
    meta = new.setdefault("metadata", {})
    live_mf = (old or {}).get("metadata", {}).get("managedFields")
    sent = meta.get("managedFields")
    managers: Optional[Managers] = None
    if not subresource and sent is not None and sent is not live_mf and sent != live_mf:
        managers = decode(sent)
        if managers is not None and not managers:
            managers = None
    if managers is None:
        if old is not None and not live_mf:
            meta.pop("managedFields", None)     # skipnonapplied: no tracking until an apply
            return
        managers = decode(live_mf) if live_mf else {}
        if managers is None:
            managers = {}
    _validate(rt, new, managers)
    cmp = changes(rt, old, new if seen is None else seen, subresource)
    changed = _strip(cmp.changed(), rt, subresource)
    removed = _strip(cmp.removed, rt, subresource)
    apply_update(managers, changed, removed, manager, "Update", api_version(rt),
                 subresource, now)
    _cap(managers)
    if managers:
        meta["managedFields"] = encode(managers)
        remember(meta["managedFields"], managers)
    else:
        meta.pop("managedFields", None)


def _validate(rt: ResourceType, obj: Obj, managers: Managers) -> None:
    """ValidateManagedFields, for the entries a request brings."""
    causes = []
    for i, value in enumerate(managers.values()):
        meta = value[0]
        if not value[1] and not meta.get("manager") and not meta.get("operation"):
            continue        # `{}`: dropped at once (the reset)
        if meta.get("operation") not in ("Apply", "Update"):
            causes.append({"reason": "FieldValueInvalid",
                           "field": "metadata.managedFields[%d].operation" % i,
                           "message": "Invalid value: %s: must be `Apply` or `Update`"
                                      % json.dumps(meta.get("operation") or "")})
        if len(meta.get("manager") or "") > 128:
            causes.append({"reason": "FieldValueTooLong",
                           "field": "metadata.managedFields[%d].manager" % i,
                           "message": "Too long: may not be more than 128 bytes"})
    if causes:
        from . import errors
        from .validation import invalid_status
        raise errors.invalid(invalid_status(rt.kind, rt.group,
                                            obj["metadata"].get("name", ""), causes))


def apply_update(managers: Managers, changed: frozenset, removed: frozenset, manager: str,
                 operation: str, version: str, subresource: Optional[str], now: str) -> None:
    """Updater.update + Update: `changed` leaves every other entry and joins the manager's,
    `removed` leaves all."""
    ident = identity({"manager": manager, "operation": operation, "apiVersion": version,
                      "subresource": subresource})
    taken = changed | removed
    if taken:
        for key in list(managers):
            if key == ident:
                continue
            value = managers[key]
            if value[1] & taken:
                managers[key] = [value[0], value[1] - taken]
    for key in [k for k, v in managers.items() if not v[1] and k != ident]:
        del managers[key]
    if changed:
        previous = managers.get(ident)
        paths = (previous[1] - removed) | changed if previous else changed
        meta = {"manager": manager, "operation": operation, "apiVersion": version,
                "time": now}
        if subresource:
            meta["subresource"] = subresource
        previous_encoding = previous[3:5] if previous and len(previous) > 4 else []
        managers[ident] = [meta, frozenset(paths), None] + previous_encoding
    elif ident in managers and removed & managers[ident][1]:
        value = managers[ident]
        managers[ident] = [value[0], value[1] - removed]
    if ident in managers and not managers[ident][1]:
        del managers[ident]


def _cap(managers: Managers) -> None:
    """capmanagers.go capUpdateManagers."""
    updaters = [k for k, v in managers.items() if v[0].get("operation") != "Apply"]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda k: ((managers[k][0].get("time") or ""), k))
    first: Dict[str, str] = {}
    length = len(updaters)
    for key in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        meta, paths = managers[key][0], managers[key][1]
        version = meta.get("apiVersion") or ""
        bucket = identity({"manager": "ancient-changes", "operation": "Update",
                           "apiVersion": version})
        if version in first:
            if bucket not in managers:
                managers[bucket] = [dict(managers[first[version]][0], manager="ancient-changes"),
                                    managers.pop(first[version])[1]]
                managers[bucket][0].pop("subresource", None)
            managers[bucket] = [dict(managers[bucket][0], time=meta.get("time")),
                                managers[bucket][1] | paths]
            del managers[key]
            length -= 1
        else:
            first[version] = key


def owned(managers: Managers, ident: str) -> frozenset:
    value = managers.get(ident)
    return value[1] if value else frozenset()


def all_paths(managers: Managers) -> frozenset:
    out: frozenset = frozenset()
    for value in managers.values():
        out = out | value[1]
    return out


def format_manager(meta: Obj) -> str:
    """conflict.go printManager."""
    text = json.dumps(meta.get("manager", ""))
    if meta.get("subresource"):
        text += " with subresource %s" % json.dumps(meta["subresource"])
    if meta.get("operation") == "Update":
        text += " using %s" % meta.get("apiVersion", "")
    return text


def paths_text(paths: List[Path]) -> List[str]:
    return [fieldsv1.format_path(p) for p in paths]


# -- the sandbox's own writers ---------------------------------------------------------------
_EVENT_SOURCES = {"kubelet": "kubelet", "default-scheduler": "kube-scheduler"}


def manager_for(rt: ResourceType, obj: Obj, subresource: Optional[str], internal: bool) -> str:
    """The manager a real cluster shows for a write the sandbox's own components make (their
    clients' User-Agent prefixes): the kubelet writes pod and node status, nodes and their
    leases; the scheduler's binding is not tracked (pods/binding bypasses the field manager);
    events are their reporter's; everything else here is kube-controller-manager's."""
    plural = rt.plural
    if plural == "events":
        source = ((obj.get("source") or {}).get("component") or
                  obj.get("reportingComponent") or "")
        return _EVENT_SOURCES.get(source, "kube-controller-manager")
    if plural in ("nodes", "leases"):
        return "kubelet"
    if plural == "pods" and subresource == "status":
        return "kubelet"
    if plural in ("clusterroles", "clusterrolebindings", "roles", "rolebindings",
                  "priorityclasses"):
        return "kube-apiserver"         # the bootstrap policy and system priority classes
    if plural in _SNAPSHOT_CONTENTS and subresource == "status":
        return "csi-snapshotter"        # the CSI driver's sidecar (sidecar-controller)
    if plural in _SNAPSHOT_CONTROLLER:
        return "snapshot-controller"    # external-snapshotter's common controller
    if plural in _INSTALLED:
        return "kubectl-create"         # installed as external-snapshotter's README says
    return "kube-controller-manager"


# external-snapshotter's writers, by their binaries' User-Agent prefixes (its deploy/ manifests
# install them with `kubectl create -f`): the common controller makes contents and writes
# snapshots' status; the CSI sidecar writes contents' status
_SNAPSHOT_CONTENTS = frozenset(("volumesnapshotcontents", "volumegroupsnapshotcontents"))
_SNAPSHOT_CONTROLLER = frozenset(("volumesnapshots", "volumegroupsnapshots")) | _SNAPSHOT_CONTENTS
_INSTALLED = frozenset(("customresourcedefinitions", "volumesnapshotclasses",
                        "volumegroupsnapshotclasses"))
