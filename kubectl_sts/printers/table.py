"""Plain-text tables in kubectl's style (its tabwriter settings in printers/tablegenerator:
no borders, upper-case headers, columns three spaces apart, left aligned), through tabulate."""

import functools
from typing import Any, List, Sequence, Union

Row = Union[str, Sequence[Any]]


def _format() -> Any:
    """tabulate's TableFormat for kubectl's layout (tabulate is imported here, when a table is
    first printed)."""
    import tabulate as module
    from tabulate import DataRow, TableFormat
    # kubectl pads no header beyond its column and keeps a cell's spaces
    module.MIN_PADDING = 0
    module.PRESERVE_WHITESPACE = True
    row = DataRow("", "   ", "")
    return TableFormat(lineabove=None, linebelowheader=None, linebetweenrows=None,
                       linebelow=None, headerrow=row, datarow=row, padding=0,
                       with_header_hide=None)


@functools.lru_cache(maxsize=None)
def _has_option(name: str) -> bool:
    """tabulate 0.10 takes preserve_whitespace as an argument; 0.9 only as a module global."""
    import inspect
    from tabulate import tabulate
    return name in inspect.signature(tabulate).parameters


def table(headers: Sequence[Any], rows: Sequence[Row]) -> str:
    """Format rows (lists of cells) under headers. A row that is a plain string is printed as it
    is, spanning the table (e.g. a separator line), and takes no part in the column widths."""
    from tabulate import tabulate
    cells = [["" if c is None else str(c) for c in r] for r in rows if not isinstance(r, str)]
    options = {"preserve_whitespace": True} if _has_option("preserve_whitespace") else {}
    text = tabulate(cells, headers=[str(h) for h in headers], tablefmt=_format(),
                    disable_numparse=True, stralign="left", numalign="left", **options)
    lines = [line.rstrip() for line in text.split("\n")]
    if not cells:                       # tabulate prints the headers only
        lines = lines[:1]
    out: List[str] = [lines[0]]
    body = iter(lines[1:])
    for r in rows:
        out.append(r if isinstance(r, str) else next(body))
    return "\n".join(out)
