"""kubectl's output flags over the plugin's documents, pure: which printer `-o` names, and what
it prints for one document or a list (`-o json|yaml|name|jsonpath=|custom-columns=`,
`--no-headers`, `--sort-by`, `--show-labels`). Tables are laid out by table.table; the
documents are the `kubectl-sts/v1` ones (README, "Output documents")."""

import json
import os
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..errors import StsError, UsageError
from . import columns as custom
from .jsonpath import execute, results
from .jsonpath_parser import JSONPathError, Template, parse, relaxed

Doc = Dict[str, Any]

# every format kubectl get knows, in the order its "allowed formats" message lists them
KUBECTL_FORMATS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file",
                   "json", "jsonpath", "jsonpath-as-json", "jsonpath-file", "name", "template",
                   "templatefile", "wide", "yaml")
# the formats that take an argument after "=", and which of them read a file
_TEMPLATES = {"jsonpath": "jsonpath", "jsonpath-file": "jsonpath", "jsonpath-as-json": "jsonpath",
              "custom-columns": "custom-columns", "custom-columns-file": "custom-columns",
              "go-template": "go-template", "go-template-file": "go-template",
              "template": "go-template", "templatefile": "go-template"}
_FILES = {"jsonpath-file", "custom-columns-file", "go-template-file", "templatefile"}


class OutputError(UsageError):
    """A bad -o value or template, in kubectl's words (exit 2, before any request)."""

    def __init__(self, message: str) -> None:
        super().__init__("error: " + message)


class TemplateFailed(StsError):
    """A template that parsed but failed on the document (kubectl: exit 1)."""


class Output(NamedTuple):
    """What to print: `kind` is table|wide|json|yaml|name|jsonpath|jsonpath-as-json|
    custom-columns; `template` for jsonpath; `columns` for custom-columns."""
    kind: str = "table"
    template: Optional[Template] = None
    columns: Tuple[Tuple[str, str], ...] = ()

    @property
    def table(self) -> bool:
        return self.kind in ("table", "wide")

    @property
    def document(self) -> bool:
        """Prints a document (json, yaml, jsonpath), not a table or names."""
        return self.kind in ("json", "yaml", "jsonpath", "jsonpath-as-json")


def allowed(formats: Sequence[str]) -> List[str]:
    """The -o values a command accepts, as kubectl lists them (templates included)."""
    names = set(formats)
    if "jsonpath" in names:
        names |= {"jsonpath-file", "jsonpath-as-json"}
    if "custom-columns" in names:
        names.add("custom-columns-file")
    return [f for f in KUBECTL_FORMATS if f in names]


MAX_TEMPLATE_BYTES = 1024 * 1024


def read_template(path: str) -> str:
    """A -file template (-o jsonpath-file=, custom-columns-file=): at most MAX_TEMPLATE_BYTES
    read, whatever the file (kubectl's os.ReadFile reads all of /dev/zero, for ever); a
    device refused, a pipe (`<(...)`) read like a file. OutputError in kubectl's words."""
    import stat
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            raise OutputError("error reading template %s, not a regular file" % path)
        data = f.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise OutputError("error reading template %s, larger than %d bytes"
                          % (path, MAX_TEMPLATE_BYTES))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputError("error reading template %s, not UTF-8 text" % path) from None


def parse_output(value: Optional[str], formats: Sequence[str],
                 read: Callable[[str], str] = read_template) -> Output:
    """The printer for an -o value; `formats` are those the command supports, `read` reads a
    -file template. Raises OutputError before any request is made."""
    if not value:
        return Output()
    kind, sep, arg = value.partition("=")
    ok = allowed(formats)
    if kind not in ok or (sep and kind not in _TEMPLATES) or (not sep and kind in _TEMPLATES and
                                                             kind in _FILES):
        if kind in _TEMPLATES and _TEMPLATES[kind] == "go-template":
            raise OutputError('output format "%s" is not supported by kubectl sts (Go templates '
                              'need Go); use -o jsonpath=... over the same document' % kind)
        raise OutputError('unable to match a printer suitable for the output format "%s", '
                          'allowed formats are: %s' % (value, ",".join(ok)))
    if kind in _FILES:
        try:
            arg = read(arg)
        except OSError as exc:
            raise OutputError("error reading template %s, %s" % (arg, exc.strerror or exc))
    family = _TEMPLATES.get(kind)
    try:
        if family == "jsonpath":
            if not arg:
                raise OutputError("template format specified but no template given")
            return Output("jsonpath-as-json" if kind == "jsonpath-as-json" else "jsonpath",
                          template=parse(arg))
        if family == "custom-columns":
            spec = custom.parse_file(arg) if kind in _FILES else custom.parse_spec(arg)
            return Output("custom-columns", columns=tuple(spec))
    except JSONPathError as exc:
        raise OutputError(str(exc))
    return Output(kind)


def dump(data: Any, fmt: str) -> str:
    """-o json (kubectl's four-space indent) / -o yaml of plain data."""
    if fmt == "json":
        return json.dumps(data, indent=4)
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")


def print_document(doc: Any, out: Output, name: Callable[[Doc], str],
                   no_headers: bool = False) -> str:
    """One document (or a list document: its `items` are the rows and the names) in a
    non-table format. `name` gives an item's `-o name` (e.g. statefulset.apps/web). Custom
    columns have a header row unless --no-headers was given (printers/table.py) or
    `no_headers`."""
    items = doc.get("items") if isinstance(doc, dict) and "items" in doc else None
    if out.kind in ("json", "yaml"):
        return dump(doc, out.kind)
    if out.kind == "name":
        return "\n".join(name(item) for item in (items if items is not None else [doc]))
    if out.kind == "custom-columns":
        from .table import table
        rows = custom.rows(out.columns, items if items is not None else [doc])
        return table([h for h, _ in out.columns], rows, header=False if no_headers else None)
    if out.kind == "jsonpath-as-json":
        assert out.template is not None
        found = [v for group in _results(out.template, doc) for v in group]
        return json.dumps(found, indent=4)
    assert out.template is not None
    try:
        return execute(out.template, doc)
    except JSONPathError as exc:
        raise TemplateFailed("error: %s" % exc)


def _results(template: Template, doc: Any) -> List[List[Any]]:
    try:
        return results(template, doc)
    except JSONPathError as exc:
        raise TemplateFailed("error: %s" % exc)


# -- list views: --sort-by, --show-labels --------------------------------------------------

def sort_key_template(expr: Optional[str]) -> Optional[Template]:
    """The --sort-by expression (kubectl's relaxed form: `.a.b`, `{.a.b}`, `a.b`), parsed."""
    if not expr:
        return None
    try:
        return parse(relaxed(expr))
    except JSONPathError as exc:
        raise OutputError(str(exc))


def sort_items(items: Sequence[Doc], template: Optional[Template],
               expr: str = "") -> List[Doc]:
    """Items ordered by the value at `template`, as kubectl's --sort-by orders them: numbers
    by value, anything else by its text; items without the field first. A path that is found
    in no item is kubectl's error."""
    if template is None:
        return list(items)
    keyed = []
    for item in items:
        found = [v for group in _results(template, item) for v in group]
        keyed.append((found[0] if found else None, item))
    if items and all(key is None for key, _ in keyed):
        raise TemplateFailed("error: couldn't find any field with path \"%s\" in the list of objects"
                          % template.source)

    def order(pair: Tuple[Any, Doc]) -> Tuple[int, Any]:
        key = pair[0]
        if key is None:
            return (0, "")
        if isinstance(key, bool):
            return (1, int(key))
        if isinstance(key, (int, float)):
            return (2, key)
        return (3, natural(key if isinstance(key, str) else json.dumps(key, sort_keys=True)))
    return [item for _, item in sorted(keyed, key=order)]


def natural(text: str) -> Tuple[Any, ...]:
    """kubectl orders strings naturally: web-2 before web-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"([0-9]+)", text) if part)


def label_text(labels: Optional[Dict[str, str]]) -> str:
    """The LABELS cell of --show-labels: k=v pairs sorted by key, or <none>."""
    if not labels:
        return "<none>"
    return ",".join("%s=%s" % (k, labels[k]) for k in sorted(labels))
