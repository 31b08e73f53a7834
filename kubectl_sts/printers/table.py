"""Plain-text tables in kubectl's style (its tabwriter settings in printers/tablegenerator:
no borders, upper-case headers, columns three spaces apart, left aligned), through tabulate.

Every table of the plugin is laid out here, so `--no-headers` is honoured here, once: the
flag (commands/options.py, no_headers_option) turns the header row off for every table the
command prints (status's ordinal, claim and event tables, the list views, custom columns,
the plans of scale, resize, restart and rollout), as kubectl's --no-headers turns off the
header of its table printers (cli-runtime pkg/printers/tableprinter.go,
HumanReadablePrinter.PrintObj: `if !h.options.NoHeaders`; kubectl pkg/cmd/get/customcolumn.go,
CustomColumnsPrinter.NoHeaders); documents (json, yaml, jsonpath, name) have none."""

import functools
from typing import Any, Callable, List, Optional, Sequence, Union

Row = Union[str, Sequence[Any]]

# Whether tables print their header row: True unless the command was given --no-headers
# (set for the length of one command, see show_headers).
_headers = [True]


def show_headers(shown: bool) -> Callable[[], None]:
    """Print the header row of the tables from now on (False: --no-headers); returns what
    puts the previous setting back (the command's end calls it)."""
    previous = _headers[0]
    _headers[0] = shown

    def restore() -> None:
        _headers[0] = previous
    return restore


def headers_shown() -> bool:
    """Whether tables print their header row now (False under --no-headers)."""
    return _headers[0]


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


def table(headers: Sequence[Any], rows: Sequence[Row], header: Optional[bool] = None) -> str:
    """Format rows (lists of cells) under headers. A row that is a plain string is printed as it
    is, spanning the table (e.g. a separator line), and takes no part in the column widths.
    The header row is printed unless `header` is False, or `header` is None (the default) and
    the command was given --no-headers; then, as kubectl's tabwriter, the columns are as wide
    as their cells only."""
    from tabulate import tabulate
    shown = headers_shown() if header is None else header
    cells = [["" if c is None else str(c) for c in r] for r in rows if not isinstance(r, str)]
    options = {"preserve_whitespace": True} if _has_option("preserve_whitespace") else {}
    text = tabulate(cells, headers=[str(h) for h in headers] if shown else (),
                    tablefmt=_format(), disable_numparse=True, stralign="left",
                    numalign="left", **options) if cells or shown else ""
    lines = [line.rstrip() for line in text.split("\n")] if text else []
    if shown and not cells:             # tabulate prints the headers only
        lines = lines[:1]
    out: List[str] = lines[:1] if shown else []
    body = iter(lines[1:] if shown else lines)
    for r in rows:
        out.append(r if isinstance(r, str) else next(body))
    return "\n".join(out)
