"""`kubectl sts doctor [NAME]`: every configuration hazard of one StatefulSet, or of every set
in the namespace (-A: in every namespace), and what the one diagnosis (core/diagnosis.py) says
of its ordinals, from one list per resource kind (StatefulSets, pods, PVCs, PVs,
StorageClasses, Services, PodDisruptionBudgets, EndpointSlices, Nodes, Warning events) and the
server's version, all in flight at once."""

from typing import TYPE_CHECKING, Any, Callable, List, NamedTuple, Optional, Tuple, TypeVar

import click

from ..errors import Forbidden, HazardsFound, NotFound, UsageError
from .shell import connect, core_path, get_statefulset, sts_path
from .options import name_argument, output_option

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output

T = TypeVar("T")


class DoctorOptions(NamedTuple):
    name: Optional[str]
    all_namespaces: bool
    output: "Output"


@click.command()
@name_argument(required=False)
@click.option("-A", "--all-namespaces", is_flag=True, help="Every StatefulSet of every "
              "namespace.")
@output_option(("json", "yaml"))
@click.pass_context
def doctor(ctx: click.Context, **flags: Any) -> int:
    """Find the hazards in StatefulSets' configuration that bite later.

    Each finding has a severity (error, warning, info), the evidence and the fix: no headless
    Service or one that misses the pods, pods without a DNS record (EndpointSlices), a
    retention policy that deletes PVs reclaimed with
    Delete, a stale partition, a PodDisruptionBudget that blocks every drain, a StorageClass
    that cannot expand, maxUnavailable dropped by the server, terminationGracePeriodSeconds 0,
    PVCs whose size or class drifted from the template, orphaned PVCs, the forced-rollback
    trap, and who else owns the fields kubectl sts writes (replicas, partition, template,
    claim templates; from managedFields and GitOps labels): a warning when that owner puts
    them back at its next sync, with how to pause it. Reads only. Exit 13 when any finding
    is an error.

    \b
    Examples:
      # One set
      kubectl sts doctor web

    \b
      # Every set of the namespace, as JSON
      kubectl sts doctor -o json"""
    options = validate(DoctorOptions(**flags))
    return run(connect(ctx), options)


def validate(options: DoctorOptions) -> DoctorOptions:
    if options.name and options.all_namespaces:
        raise UsageError("error: a resource cannot be retrieved by name across all namespaces")
    return options


def run(conn: "Connection", options: DoctorOptions) -> int:
    import time
    from ..core.diagnosis import Facts, diagnose
    from ..core.doctor import findings
    from .shell import server_minor
    from ..client.connection import concurrently
    from ..client.paths import path
    name, all_namespaces, output = options.name, options.all_namespaces, options.output
    ns = None if all_namespaces else conn.namespace
    notes: List[str] = []

    def optional(what: str, fn: Callable[[], T]) -> Callable[[], Optional[T]]:
        def read() -> Optional[T]:
            try:
                return fn()
            except Forbidden:
                notes.append("%s not read (forbidden)" % what)
                return None
        return read
    sets, pods, claims, pvs, classes, services, pdbs, slices, nodes, events, version, \
        snapshots_served = concurrently(
        (lambda: [get_statefulset(conn, ns, name)]) if name else
        (lambda: conn.get(sts_path(ns))["items"]),
        lambda: conn.get(core_path(ns, "pods"))["items"],
        lambda: conn.get(core_path(ns, "persistentvolumeclaims"))["items"],
        optional("PersistentVolumes", lambda: conn.get(path("persistentvolumes"))["items"]),
        optional("StorageClasses", lambda: conn.get(path("storageclasses"))["items"]),
        lambda: conn.get(core_path(ns, "services"))["items"],
        optional("PodDisruptionBudgets",
                 lambda: conn.get(path("poddisruptionbudgets", ns))["items"]),
        optional("EndpointSlices", lambda: conn.get(path("endpointslices", ns))["items"]),
        optional("Nodes", lambda: conn.get(path("nodes"))["items"]),
        optional("Events", lambda: conn.get(core_path(ns, "events"),
                                            fieldSelector="type=Warning")["items"]),
        optional("the server version", lambda: conn.get("/version")),
        lambda: _snapshots_served(conn))
    snapshot_classes, snapshots_known = _snapshot_classes(
        conn, snapshots_served, any((s.get("spec") or {}).get("volumeClaimTemplates")
                                    for s in sets), optional)
    pv_by_name = {p["metadata"]["name"]: p for p in pvs} if pvs is not None else None
    node_by_name = {n["metadata"]["name"]: n for n in nodes} if nodes is not None else None
    report = []
    for sts in sorted(sets, key=lambda s: (s["metadata"].get("namespace") or "",
                                           s["metadata"]["name"])):
        here = sts["metadata"].get("namespace")

        def local(items: List[Any]) -> List[Any]:
            return [i for i in items if i["metadata"].get("namespace") == here]
        diagnosis = diagnose(Facts(sts=sts, pods=local(pods), claims=local(claims),
                                   pvs=pv_by_name, nodes=node_by_name,
                                   events=local(events or []),
                                   pdbs=None if pdbs is None else local(pdbs), now=time.time(),
                                   server_minor=server_minor(version)))
        report += findings(sts, local(pods), local(claims), pv_by_name, classes or [],
                           {s["metadata"]["name"]: s for s in local(services)},
                           local(pdbs or []), None if slices is None else local(slices),
                           diagnosis, snapshot_classes, snapshots_known)
    errors = sum(1 for f in report if f["severity"] == "error")
    if not output.table:
        from ..printers.formats import print_document
        click.echo(print_document({"apiVersion": "kubectl-sts/v1", "kind": "DoctorReport",
                                   "statefulSets": len(sets), "errors": errors,
                                   "notes": notes, "findings": report}, output,
                                  lambda _: "statefulset.apps/%s" % (name or "")))
    else:
        for f in report:
            where = "%s/%s" % (f["namespace"], f["statefulSet"]) if all_namespaces else \
                f["statefulSet"]
            click.echo("%-8s %s  %s: %s; fix: %s" % (f["severity"], where, f["check"],
                                                     f["evidence"], f["fix"]))
        for note in notes:
            click.echo("Note: %s" % note)
        if not sets:
            click.echo("No StatefulSets found in %s." % ("any namespace" if all_namespaces
                                                        else "%s namespace" % ns), err=True)
        elif not report:
            click.echo("no hazards found in %d StatefulSet(s)" % len(sets))
    if errors:
        raise HazardsFound("error: %d error(s) found" % errors)
    return 0


def _snapshots_served(conn: "Connection") -> bool:
    """Whether the server serves the snapshot kinds (discovery: a non-resource read)."""
    from ..client.paths import SNAPSHOT_DISCOVERY_PATH
    from ..core.snapshots import not_served
    try:
        return not_served(conn.get(SNAPSHOT_DISCOVERY_PATH)) is None
    except NotFound:
        return False


def _snapshot_classes(conn: "Connection", served: bool, claimed: bool,
                      optional: Callable[[str, Callable[[], Any]], Callable[[], Any]]
                      ) -> Tuple[Optional[List[Any]], bool]:
    """The VolumeSnapshotClasses (one list, only when served and some set has claims), and
    whether the snapshot findings can be judged."""
    from ..client.paths import path
    if not claimed:
        return None, False
    if not served:
        return None, True
    found = optional("VolumeSnapshotClasses",
                     lambda: conn.get(path("volumesnapshotclasses"))["items"])()
    return found, found is not None
