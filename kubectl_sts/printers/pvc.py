"""The text of `pvc`: the claims of a StatefulSet (core.pvc.list_claims) as a table."""

from typing import Any, Dict, List

from .table import Row, table

Obj = Dict[str, Any]


def render_claims(entries: List[Obj], wide: bool = False) -> str:
    """The claims table; -o wide adds the claim template and the bound volume."""
    rows: List[Row] = []
    for e in entries:
        place = "in range" if e["inRange"] else "ORPHANED"
        if not e["bound"]:
            place += ", unbound"
        rows.append([e["name"], e["ordinal"], place, e["phase"], e["capacity"],
                     e["storageClass"], e["reclaimPolicy"] or "-", e["mountedBy"] or "-",
                     e["age"]] + ([e["template"], e["volume"] or "-"] if wide else []))
    return table(["PVC", "ORDINAL", "PLACE", "STATUS", "CAPACITY", "STORAGECLASS",
                  "RECLAIM", "MOUNTED BY", "AGE"] + (["TEMPLATE", "VOLUME"] if wide else []),
                 rows)
