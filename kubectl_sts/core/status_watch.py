"""`status --watch`: what to print when a new view arrives, pure. Nothing is printed unless
something a user would see changed; ages alone do not count. In a pipe, as `kubectl get -w`
does, only what changed is printed: one line per ordinal that changed, the replica counts when
they change, and a stuck diagnosis when it appears or changes."""

from typing import Any, Dict, List, Optional

from .status import ordinal_cells, ordinal_headers, render_view, summary_line

View = Dict[str, Any]


def without_ages(doc: Any) -> Any:
    """The document without its ages (they change every second by themselves)."""
    if isinstance(doc, dict):
        return {k: without_ages(v) for k, v in doc.items() if k != "age"}
    if isinstance(doc, list):
        return [without_ages(v) for v in doc]
    return doc


def changed(previous: Optional[View], view: View) -> bool:
    return previous is None or without_ages(previous) != without_ages(view)


def stream_lines(previous: Optional[View], view: View, wide: bool = False) -> List[str]:
    """The lines a pipe gets for `view` after `previous` (None: the first, the whole view)."""
    if previous is None:
        return render_view(view, wide).split("\n")
    if not changed(previous, view):
        return []
    from ..printers.table import table
    lines = []
    name = "statefulset/%s" % view["name"]
    if summary_line(previous) != summary_line(view):
        lines.append("%s: %s" % (name, summary_line(view)))
    before = {row["ordinal"]: without_ages(row) for row in previous["ordinals"]}
    rows = [ordinal_cells(row, view["revisions"], wide) for row in view["ordinals"]
            if before.get(row["ordinal"]) != without_ages(row)]
    now = {row["ordinal"] for row in view["ordinals"]}
    if rows:
        lines.extend(table(ordinal_headers(view, wide), rows).split("\n")[1:])
    for ordinal in sorted(set(before) - now):
        lines.append("%s: ordinal %d is gone (scaled down)" % (name, ordinal))
    stuck = view.get("stuck")
    if stuck and stuck != previous.get("stuck"):
        heading = "ROLLOUT STUCK" if stuck["kind"] == "rollout" else "BLOCKED"
        lines.append("%s at %s: %s" % (heading, stuck["pod"], stuck["message"]))
    return lines
