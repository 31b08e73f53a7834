"""Server-side Table output (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``).

``kubectl get`` asks the API server for ``meta.k8s.io/v1`` Tables and prints
the columns the server chose.  :func:`to_table` builds those Tables for the
simulated API server, with the column definitions (tables_columns.py) and cell
values (tables_rows.py) of the real kube-apiserver printers
(``pkg/printers/internalversion/printers.go``, v1.32) for the resources the
sandbox serves, and the generic "Name / Created At" table
(``rest.NewDefaultTableConvertor``) for anything else.

Like the real server, the Table always carries every column, including the
``priority: 1`` ones that ``kubectl get`` only shows with ``-o wide``; the
client drops those itself.

Everything here is pure: objects are JSON-compatible dicts and are never
mutated; ages are computed against the ``now`` passed in.
"""

from __future__ import annotations

import copy
import datetime
import functools
from typing import Any, Dict, List, Mapping, Sequence

from kubectl_sts.k8s.humanreadable import as_dict
from . import crds
from .tables_columns import COLUMNS, DEFAULT_COLUMNS
from .tables_rows import ROW_PRINTERS, default_row

__all__ = ["to_table", "column_definitions", "INCLUDE_OBJECT_VALUES"]

INCLUDE_OBJECT_VALUES = ("None", "Metadata", "Object")


def column_definitions(resource: str) -> List[Dict[str, Any]]:
    """The Table ``columnDefinitions`` the real server uses for ``resource``."""
    if resource in crds.by_plural():        # a CRD's additionalPrinterColumns (crds.py)
        return crds.table_columns(resource)
    return copy.deepcopy(COLUMNS.get(resource, DEFAULT_COLUMNS))


def _crd_row(resource: str, obj: Dict[str, Any], now: datetime.datetime) -> Any:
    return crds.table_row(resource, obj, now), None


def _row_object(obj: Dict[str, Any], include_object: str) -> Dict[str, Any]:
    if include_object == "Object":
        return copy.deepcopy(obj)
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": copy.deepcopy(as_dict(obj.get("metadata"))),
    }


def to_table(resource: str, objects: Sequence[Mapping[str, Any]], now: datetime.datetime,
             include_object: str = "Metadata") -> Dict[str, Any]:
    """Build the ``meta.k8s.io/v1`` Table the real API server returns.

    ``resource`` is the plural resource name (``statefulsets``, ``pods``,
    ``persistentvolumeclaims``, ``persistentvolumes``, ``services``,
    ``events``, ``controllerrevisions``, ``namespaces``,
    ``poddisruptionbudgets``; anything else gets the default Name / Created At
    columns).  ``objects`` are the API objects, one row each, in order.
    ``now`` is the server clock (a timezone-aware datetime) used for ages.
    ``include_object`` is ``"Metadata"`` (rows carry a PartialObjectMetadata),
    ``"Object"`` (the full object) or ``"None"`` (no object).
    """
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise ValueError(
            "includeObject must be one of %s, got %r" % (", ".join(INCLUDE_OBJECT_VALUES),
                                                         include_object)
        )
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    printer = ROW_PRINTERS.get(resource, default_row)
    if resource in crds.by_plural():
        printer = functools.partial(_crd_row, resource)
    rows = []
    for item in objects:
        obj = as_dict(item)
        cells, conditions = printer(obj, now)
        row: Dict[str, Any] = {"cells": cells}
        if conditions:
            row["conditions"] = conditions
        if include_object != "None":
            row["object"] = _row_object(obj, include_object)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": column_definitions(resource),
        "rows": rows,
    }
