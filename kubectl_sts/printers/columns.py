"""kubectl's ``-o custom-columns=SPEC`` and ``-o custom-columns-file=FILE`` (kubectl/pkg/cmd/get/
customcolumn.go), pure: the columns of a spec and the cells of each item, as kubectl prints them.
The table itself is laid out by kubectl_sts.printers.table.table."""

from typing import Any, List, Sequence, Tuple

from .jsonpath import go_print, results
from .jsonpath_parser import JSONPathError, parse, relaxed

__all__ = ["parse_spec", "parse_file", "rows", "cell"]

_FILE_FORMAT = ("Expected format is one line of space separated headers, "
                "one line of space separated column specs.")


def parse_spec(spec: str) -> List[Tuple[str, str]]:
    """`NAME:metadata.name,IMAGE:.spec.image` -> [(header, jsonpath template), ...]."""
    if not spec:
        raise JSONPathError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise JSONPathError("unexpected custom-columns spec: %s, expected <header>:<json-path-expr>"
                                % part)
        columns.append((header, relaxed(path)))
    for _, template in columns:
        parse(template)
    return columns


def parse_file(text: str) -> List[Tuple[str, str]]:
    """A custom-columns file: a line of headers, then a line of paths, both whitespace separated."""
    lines = text.splitlines()
    if not lines:
        raise JSONPathError("invalid template, missing header line. " + _FILE_FORMAT)
    if len(lines) < 2:
        raise JSONPathError("invalid template, missing spec line. " + _FILE_FORMAT)
    headers, specs = lines[0].split(), lines[1].split()
    if len(headers) != len(specs):
        raise JSONPathError("number of headers (%d) and field specifications (%d) don't match"
                            % (len(headers), len(specs)))
    columns = [(h, relaxed(s)) for h, s in zip(headers, specs)]
    for _, template in columns:
        parse(template)
    return columns


def _escape(text: str) -> str:
    return text.replace("\x1b", "^[").replace("\r", "\\r")


def cell(template: str, item: Any) -> str:
    """One cell: every value found, as Go's fmt.Sprint writes it, joined by ","; nothing is <none>."""
    found = results(parse(template), item, allow_missing_keys=True)
    values = [] if found and found[0] else ["<none>"]
    values.extend(_escape(go_print(v)) for group in found for v in group)
    return ",".join(values)


def rows(columns: Sequence[Tuple[str, str]], items: Sequence[Any]) -> List[List[str]]:
    """The cells of each item (an object, or each element of a List's items, as the caller gives)."""
    return [[cell(template, item) for _, template in columns] for item in items]
