"""Batches: ask the API server whether it honours maxUnavailable (a dry-run update, read
back: core/rollout/batches.py says what it means), and `--step --batch N`: delete the N pods
at or above the new partition together, after a PodDisruptionBudget check."""

from typing import Any, Dict, List, Optional

import click

from ...errors import Conflict, NotFound, Refused, StsError
from ..shell import sts_path
from .session import Rollout

Obj = Dict[str, Any]


def observe(run: Rollout, sts: Obj, ask: bool = True) -> Obj:
    """The core's verdict on the set as read: where the set carries maxUnavailable and `ask`
    (a run allowed to update the set: checked before), a server-side dry-run PUT without it
    tells whether the API server defaults it back (its gate on) or not (off). Nothing is
    persisted (dryRun=All); a refusal (403, 409) leaves the verdict to what the set shows
    and the release's default (/version)."""
    from ...core.rollout.batches import (probe_body, release_default, stored_uses_field,
                                         verdict)
    from ...core.rollout import rollout_state
    state = rollout_state(sts)
    stored = stored_uses_field(sts)
    probe: Optional[Obj] = None
    version = ""
    if state["strategy"] == "RollingUpdate" and stored:
        try:
            version = str((run.conn.get("/version") or {}).get("gitVersion") or "")
        except StsError:
            version = ""
    if state["strategy"] == "RollingUpdate" and stored and ask:
        try:
            answer = run.conn.request("PUT", sts_path(run.ns, run.name), {"dryRun": "All"},
                                      body=probe_body(sts))
            probe = {"kept": stored_uses_field(answer)}
        except StsError as exc:
            probe = {"error": exc.message}
    return verdict(state, stored, probe, release_default(version) if version else None,
                   version)


def delete_batch(run: Rollout, sts: Obj, pods: List[Obj], new_partition: int) -> List[Obj]:
    """Delete together the pods at or above `new_partition` not yet updated (each with its
    uid as precondition; one already gone or replaced is skipped); the pods deleted."""
    from ...core.rollout import rollout_state
    from ...core.rollout.batches import batch_victims
    victims = batch_victims(rollout_state(sts), pods, new_partition)
    if run.dry_run == "client":
        if victims:
            click.echo("dry-run (client): would delete %s together (--batch %d)" % (
                ", ".join(p["metadata"]["name"] for p in victims), len(victims)))
        return victims
    deleted = []
    for pod in victims:
        try:
            run.delete_pod(pod)
        except (NotFound, Conflict):
            continue                      # the controller was first: it is being replaced
        deleted.append(pod)
    if victims:
        # the batch as one: a pod the controller got to first is being replaced all the same
        click.echo("%sdeleted %s together (--batch %d)" % (
            "dry-run (server): " if run.dry_run == "server" else "",
            ", ".join(p["metadata"]["name"] for p in victims), len(victims)))
    if run.dry_run == "none":
        for pod in deleted:
            run.wait_gone(pod)
    return deleted


def check_budgets(run: Rollout, sts: Obj, pods: List[Obj], new_partition: int) -> None:
    """Refused (exit 11) when a PodDisruptionBudget would not allow the batch's deletions
    (a DELETE bypasses the eviction API that enforces budgets: this tool checks instead)."""
    from ...client.paths import path
    from ...core.rollout import rollout_state
    from ...core.rollout.batches import batch_victims, pdb_refusal
    victims = batch_victims(rollout_state(sts), pods, new_partition)
    if not victims:
        return
    pdbs = run.conn.get(path("poddisruptionbudgets", run.ns))["items"]
    refusal = pdb_refusal(pdbs, victims)
    if refusal:
        raise Refused("error: %s; the partition stays at %d" % (
            refusal, rollout_state(sts)["effectivePartition"]))
