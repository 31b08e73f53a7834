"""Whether another writer moved what a rollout left: the partition, or the template (hence the
update revision), and who, from `metadata.managedFields`.

`left_of(sts)` is the set as the rollout left it: its partition, template and update revision,
with what this tool recorded on its annotation (core/rollout/state.py: the partition it wrote
for the update revision it drove) where that still speaks for the set. `drift(left, now)` is
what moved since, by someone other than this tool: one change per field, with its one-line
message, the writer and the fix. The step's gate (commands/rollout/gate.py), `rollout
--status` and `wait` all say what this says.

Who moved a field: the API server's field manager gives a changed field to the manager that
changed it and takes it from every other (sigs.k8s.io/structured-merge-diff merge/update.go
Updater.update: the fields a write modifies leave the other managers' sets, even with force
for an Update), and stamps the time of a manager's entry when its write took fields
(k8s.io/apiserver .../fieldmanager/internal/managedfieldsupdater.go
managedFieldsUpdater.Update). So a partition this tool no longer owns was written by another
manager, and among the others owning the path, the one with the latest `time` wrote it last.
Without managedFields (a server that keeps none), the annotation decides: this tool writes the
partition and its record in one write, so a partition its record does not match was written
by someone else."""

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.fieldsv1 import Path, format_path
from .fieldowners import FIELDS, MANAGER, other_writers, owners
from .rollout.state import STATE_ANNOTATION, saved_target

Obj = Dict[str, Any]

PARTITION: Path = FIELDS["partition"]
TEMPLATE: Path = FIELDS["template"]


def observed(sts: Obj) -> bool:
    return ((sts.get("status") or {}).get("observedGeneration") or 0) >= \
        (sts.get("metadata") or {}).get("generation", 1)


def update_revision(sts: Obj) -> Optional[str]:
    """The update revision of the set's template: None until the controller observed it."""
    return ((sts.get("status") or {}).get("updateRevision") or None) if observed(sts) else None


def _record(sts: Obj) -> Optional[Obj]:
    """This tool's record (the annotation) with the partition it wrote, or None."""
    saved = saved_target(sts)
    if not saved:
        return None
    partition = saved.get("partition")
    if isinstance(partition, bool) or not isinstance(partition, int):
        partition = None
    return {"partition": partition, "updateRevision": saved.get("updateRevision") or None}


def left_of(sts: Obj, recorded: bool = True) -> Obj:
    """The set as the rollout left it: `sts` as seen (a step's own write, or the set when a
    wait began) and, with `recorded`, what this tool's annotation says it wrote:
    - for the update revision the set shows, the partition it wrote (when the set shows
      another, someone moved it since);
    - for another update revision, when the rollout of that revision had begun and was not
      finished (the partition it wrote between 0 and the replica count, exclusive): that
      revision (someone replaced the template it was rolling out). A partition held at the
      replica count (`--hold`, an undo's first write) waits for a template: a new one is no
      drift."""
    left = {"partition": facts.partition(sts), "template": facts.spec(sts).get("template"),
            "revision": update_revision(sts), "recordedRevision": None}
    record = _record(sts) if recorded else None
    revision = left["revision"]
    if record is None or left["partition"] is None or record["partition"] is None or \
            revision is None or not record["updateRevision"]:
        return left
    if record["updateRevision"] == revision:
        return dict(left, partition=record["partition"])
    if 0 < record["partition"] < facts.replicas(sts):
        return dict(left, recordedRevision=record["updateRevision"])
    return left


def _time(entry: Mapping[str, Any]) -> str:
    return str(entry.get("time") or "")


def writers(sts: Obj, path: Path) -> Tuple[Optional[bool], Optional[Obj]]:
    """(whether this tool wrote the field last, the latest other writer's managedFields entry)
    from the entries owning `path` or below (kubectl-client-side-apply's only for what its
    last-applied-configuration names: core/fieldowners.py owned_paths); (None, None) when no
    entry owns it."""
    owning = [dict(entry) for entry, _ in owners(sts, path)]
    if not owning:
        return None, None
    mine = [e for e in owning if e.get("manager") == MANAGER]
    others = [e for e in owning if e.get("manager") != MANAGER]
    latest = None
    for entry in others:                        # the latest time; the list order breaks ties
        if latest is None or _time(entry) >= _time(latest):
            latest = entry
    if not mine:
        return False, latest
    if latest is None:
        return True, None
    return max(_time(e) for e in mine) > _time(latest), latest


def writer_text(entry: Optional[Obj], sts: Obj) -> str:
    """`kustomize-controller (Apply) at 2026-12-07T15:01:02Z`."""
    if entry is None:
        if not (sts.get("metadata") or {}).get("managedFields"):
            return "another writer (the set has no managedFields to name it)"
        return "another writer (managedFields name none)"
    what = entry.get("operation") or "?"
    if entry.get("subresource"):
        what += ", subresource %s" % entry["subresource"]
    return "%s (%s)%s" % (entry.get("manager") or "(no manager)", what,
                          " at %s" % entry["time"] if entry.get("time") else "")


def fix_text(sts: Obj, path: Path, entry: Optional[Obj]) -> str:
    """What to do: what that writer does next and how to pause it (core/fieldowners.py, the
    one classification of managers), then the plan."""
    plan = "then see the plan: kubectl sts rollout %s" % sts["metadata"]["name"]
    manager = (entry or {}).get("manager")
    known = [w for w in other_writers(sts, [path]) if manager and w.manager == manager]
    if known:
        w = known[0]
        return "%s %s; pause it: %s; %s" % (w.who, w.next_sync, w.pause[0], plan) \
            if w.pause else "%s %s; %s" % (w.who, w.next_sync, plan)
    return "see the plan: kubectl sts rollout %s" % sts["metadata"]["name"]  # a one-off


def drift(left: Obj, now: Obj) -> List[Obj]:
    """What another writer moved since `left` (left_of): a change per field, each {field,
    from, to, path, writer (a managedFields entry or None), message, fix, blocks (a rollout
    followed cannot complete as it was driven: the partition went back while pods wait for
    the update revision, or the template was replaced since `left` was seen)}. A template
    replaced before that, since this tool's record, does not block: a follower goes on with
    the new rollout and says it (someone may have meant to replace it: the fix says how to
    forget the record)."""
    out: List[Obj] = []
    name = now["metadata"]["name"]
    record = _record(now)
    partition = facts.partition(now)
    if left["partition"] is not None and partition is not None and \
            partition != left["partition"]:
        ours, entry = writers(now, PARTITION)
        if ours is None:                        # no managedFields: the record decides
            ours = record is not None and record["partition"] == partition
        if not ours:
            up = partition > left["partition"]
            st = now.get("status") or {}
            message = "the partition %s from %d to %d: written by %s" % (
                "went back" if up else "was lowered", left["partition"], partition,
                writer_text(entry, now))
            out.append(_change("partition", left["partition"], partition, PARTITION, entry,
                               message, fix_text(now, PARTITION, entry),
                               up and st.get("updateRevision") != st.get("currentRevision")))
    revision = update_revision(now)
    if facts.spec(now).get("template") != left["template"]:
        since, blocks = left["revision"], True  # replaced while followed
    elif left["recordedRevision"] and revision and revision != left["recordedRevision"]:
        since, blocks = left["recordedRevision"], False    # replaced before: said only
    else:
        return out
    ours, entry = writers(now, TEMPLATE)
    if ours is None:                            # no managedFields: the record decides
        ours = blocks and record is not None and record["updateRevision"] == revision
    if ours:
        return out
    revisions = " (update revision %s -> %s)" % (since, revision) \
        if since and revision and since != revision else ""
    message = "the template changed%s%s: written by %s" % (
        "" if blocks else " since kubectl-sts's rollout", revisions, writer_text(entry, now))
    fix = fix_text(now, TEMPLATE, entry)
    if not blocks:
        fix += "; to keep the new template, forget the rollout: kubectl annotate statefulset " \
            "%s %s-" % (name, STATE_ANNOTATION)
    out.append(_change("template", since, revision, TEMPLATE, entry, message, fix, blocks))
    return out


def _change(what: str, before: Any, after: Any, path: Path, entry: Optional[Obj], message: str,
            fix: str, blocks: bool) -> Obj:
    return {"field": what, "from": before, "to": after, "path": format_path(path),
            "writer": {k: entry.get(k) for k in ("manager", "operation", "subresource", "time")}
            if entry else None, "message": message, "fix": fix, "blocks": blocks}


def line(changes: List[Obj]) -> str:
    """The one line every view prints: what moved, then what to do (each fix once)."""
    fixes: List[str] = []
    for change in changes:
        if change["fix"] not in fixes:
            fixes.append(change["fix"])
    return "; ".join([c["message"] for c in changes] + fixes)
