"""The text of `status`: the view of one StatefulSet (core.status.build_view) laid out, the
list view's table, and what `status --watch` prints in a pipe when a new view arrives (as
`kubectl get -w` does, only what changed: one line per ordinal that changed, the replica counts
when they change, and a stuck diagnosis when it appears or changes)."""

from typing import Any, Dict, List, Optional

from ..core.status import ordinal_cells, ordinal_headers
from ..core.status_watch import changed, without_ages
from .diagnosis import problem_lines, verdict_line
from .formats import label_text
from .table import Row, table

View = Dict[str, Any]
MAX_WARNINGS = 3          # warning lines in the text view (-o wide and -o json show all)


def summary_line(view: View) -> str:
    """The replica counts in one line (also what `status -w` prints in a pipe when they change)."""
    r = view["replicas"]
    return ("%d desired | %d ready | %d available | %d updated | %d current"
            % (r["desired"], r["ready"], r["available"], r["updated"], r["atCurrentRevision"]))


def render_view(view: View, wide: bool = False) -> str:
    from ..core.rollout.batches import status_words
    """The text view of one StatefulSet: its settings, the ordinal table, then what needs a
    look (a stuck rollout, leaving pods, orphaned claims, warnings, what was not readable).
    Under --no-headers its tables have no header row (printers/table.py)."""
    lines: List[str] = []
    r, rev, strat = view["replicas"], view["revisions"], view["updateStrategy"]
    lines.append("StatefulSet %s/%s" % (view["namespace"], view["name"]))
    lines.append("Replicas:        %s" % summary_line(view))
    if rev["rolloutInProgress"]:
        lines.append("Revisions:       current %s, update %s (rollout in progress: %d of %d "
                     "updated)" % (rev["current"], rev["update"], r["updated"], r["desired"]))
    else:
        behind = [row["pod"] for row in view["ordinals"]
                  if row["exists"] and row["revision"] != rev["update"]]
        lines.append("Revision:        %s (%s)" % (rev["update"] or "<none>", "up to date"
                                                  if not behind else "%s not at it yet"
                                                  % ", ".join(behind)))
    strategy = strat["type"]
    if strat["type"] == "RollingUpdate":
        strategy += ", partition %d" % (strat["partition"] or 0)
        if strat["maxUnavailable"] is not None:
            strategy += ", maxUnavailable %s" % strat["maxUnavailable"] + status_words(
                view.get("maxUnavailableHonoured"))
    else:
        strategy += " (pods update only when deleted)"
    lines.append("Update strategy: %s" % strategy)
    lines.append("Pod management:  %s   minReadySeconds: %d   ordinals start: %d"
                 % (view["podManagementPolicy"], view["minReadySeconds"], view["ordinalsStart"]))
    svc = view["service"]
    if svc is None:
        lines.append("Service:         <none> (no serviceName: pods have no stable DNS names)")
    elif not svc["exists"]:
        lines.append("Service:         %s (MISSING: the headless Service does not exist, so the "
                     "DNS names below do not resolve)" % svc["name"])
    else:
        lines.append("Service:         %s%s" % (svc["name"], " (headless)" if svc["headless"]
                                                else " (NOT headless: clusterIP is set)"))
    pol = view["pvcRetentionPolicy"]
    lines.append("PVC retention:   whenDeleted=%s, whenScaled=%s"
                 % (pol["whenDeleted"], pol["whenScaled"]))
    if view.get("lock"):
        from ..core.lock import held_text
        lines.append("Operation:       %s" % held_text(view["name"], view["lock"]))
    if not view["observed"]:
        lines.append("Generation:      %d (observed %d: the controller has not caught up yet)"
                     % (view["generation"], view["observedGeneration"]))
    lines.append("")

    headers = ordinal_headers(view, wide)
    separator_at = None
    if strat["type"] == "RollingUpdate" and 0 < (strat["partition"] or 0) < r["desired"]:
        separator_at = view["ordinalsStart"] + strat["partition"]
    rows: List[Row] = []
    for row in view["ordinals"]:
        if row["ordinal"] == separator_at:
            rows.append("--- partition %d: ordinals above this line stay at the current "
                        "revision, ordinals below it update ---" % strat["partition"])
        rows.append(ordinal_cells(row, wide))
    if rows:
        lines.append(table(headers, rows))
    else:
        lines.append("No ordinals: the StatefulSet is scaled to 0.")

    if view["stuck"]:
        lines.append("")
        lines.append(verdict_line(view["stuck"]))
    problems = problem_lines(view.get("problems") or [], view["stuck"])
    if problems:
        lines.append("")
        lines.extend(problems)
    if view["leavingPods"]:
        lines.append("")
        lines.append("Pods leaving:")
        for p in view["leavingPods"]:
            lines.append("  %s (%s, %s)" % (p["pod"], p["status"], p["reason"]))
    if view["orphanedPVCs"]:
        lines.append("")
        lines.append("Orphaned PVCs (ordinals outside %d..%d, kept by the retention policy or "
                     "earlier scale-downs):" % (view["ordinalsStart"],
                                                view["ordinalsStart"] + r["desired"] - 1))
        orphans = table(["PVC", "ORDINAL", "STATUS", "CAPACITY", "STORAGECLASS", "AGE"],
                        [[p["name"], p["ordinal"], p["status"], p["capacity"], p["storageClass"],
                          p["age"]] for p in view["orphanedPVCs"]])
        lines.extend("  " + line for line in orphans.splitlines())
    if view["warnings"]:
        shown = view["warnings"] if wide else view["warnings"][:MAX_WARNINGS]
        lines.append("")
        lines.append("Recent warnings:")
        events = table(["LAST SEEN", "OBJECT", "REASON", "COUNT", "MESSAGE"],
                       [[w["age"] or "-", w["object"], w["reason"], w["count"], w["message"]]
                        for w in shown])
        lines.extend("  " + line for line in events.splitlines())
        if len(shown) < len(view["warnings"]):
            lines.append("  (%d older: -o wide shows them)" % (len(view["warnings"]) - len(shown)))
    for what in view["unreadable"]:
        lines.append("")
        lines.append("Not shown: %s" % what)
    return "\n".join(lines)




def render_list(rows: List[View], all_namespaces: bool = False, show_labels: bool = False,
                no_headers: bool = False) -> Optional[str]:
    """The list view's table (rows from core.status.list_row), or None when there are none."""
    if not rows:
        return None
    headers = (["NAMESPACE"] if all_namespaces else []) + [
        "NAME", "READY", "UPDATED", "REVISION", "PARTITION", "STRATEGY",
        "PVC POLICY (DELETED/SCALED)", "AGE"] + (["LABELS"] if show_labels else [])
    keys = (["namespace"] if all_namespaces else []) + [
        "name", "ready", "updated", "revision", "partition", "strategy", "pvcPolicy", "age"]
    return table(headers, [[row[k] for k in keys] + ([label_text(row["labels"])]
                                                     if show_labels else []) for row in rows],
                 header=False if no_headers else None)


def stream_lines(previous: Optional[View], view: View, wide: bool = False) -> List[str]:
    """The lines a pipe gets for `view` after `previous` (None: the first, the whole view)."""
    if previous is None:
        return render_view(view, wide).split("\n")
    if not changed(previous, view):
        return []
    lines: List[str] = []
    name = "statefulset/%s" % view["name"]
    if summary_line(previous) != summary_line(view):
        lines.append("%s: %s" % (name, summary_line(view)))
    before = {row["ordinal"]: without_ages(row) for row in previous["ordinals"]}
    rows = [ordinal_cells(row, wide) for row in view["ordinals"]
            if before.get(row["ordinal"]) != without_ages(row)]
    now = {row["ordinal"] for row in view["ordinals"]}
    if rows:
        # the rows as wide as under the header the first view printed
        lines.extend(table(ordinal_headers(view, wide), rows, header=True).split("\n")[1:])
    for ordinal in sorted(set(before) - now):
        lines.append("%s: ordinal %d is gone (scaled down)" % (name, ordinal))
    stuck = view.get("stuck")
    if stuck and stuck != previous.get("stuck"):
        lines.append(verdict_line(stuck))
    # what could no longer be read (a watch failing: the API server gone), as a terminal shows it
    lines.extend("Not shown: %s" % what for what in view.get("unreadable") or []
                 if what not in (previous.get("unreadable") or []))
    return lines
