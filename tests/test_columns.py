"""kubectl's -o custom-columns / custom-columns-file (kubectl_sts.printers.columns), table-driven.

VERIFIED cases were run through the real kubectl v1.32 (`kubectl get controllerrevision x -o
custom-columns=SPEC` against the project's sandbox, on the object OBJ below).
"""

import pytest

from kubectl_sts.printers.columns import parse_file, parse_spec, rows
from kubectl_sts.printers.jsonpath_parser import JSONPathError

OBJ = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1,
       "metadata": {"name": "x", "namespace": "default", "labels": {"b": "1", "a": "x"}},
       "data": {"l": [1, 2.5, None, "a\rb"], "m": {"k": [1, 2], "n": None}, "e": []}}

# VERIFIED against kubectl v1.32: one column each, (spec, cell printed)
CELLS = [
    ("NAME:metadata.name", "x"),
    ("L:.metadata.labels", "map[a:x b:1]"),
    ("X:{.x}", "<none>"),
    ("N:.data.l[*]", "1,2.5,<nil>,a\\rb"),
    ("M:data.m", "map[k:[1 2] n:<nil>]"),
    ("E:.data.e", "[]"),
    ("EM:.data.e[*]", "<none>"),
    ("R:revision", "1"),
    ("A:", "<none>"),
]


@pytest.mark.parametrize("spec, expected", CELLS)
def test_cells(spec, expected):
    assert rows(parse_spec(spec), [OBJ]) == [[expected]]


def test_spec_several_columns():
    # VERIFIED: the header line and the row of all the CELLS columns at once
    spec = ",".join(s for s, _ in CELLS)
    columns = parse_spec(spec)
    assert [h for h, _ in columns] == ["NAME", "L", "X", "N", "M", "E", "EM", "R", "A"]
    assert rows(columns, [OBJ]) == [[c for _, c in CELLS]]


@pytest.mark.parametrize("spec, templates", [
    ("NAME:metadata.name", [("NAME", "{.metadata.name}")]),
    ("A:.a,B:{b.c},C:{.c[0]}", [("A", "{.a}"), ("B", "{.b.c}"), ("C", "{.c[0]}")]),
    ("T:a:b", [("T", "{.a:b}")]),
])
def test_parse_spec(spec, templates):
    assert parse_spec(spec) == templates


@pytest.mark.parametrize("spec, message", [
    # VERIFIED against kubectl v1.32
    ("A", "unexpected custom-columns spec: A, expected <header>:<json-path-expr>"),
    ("A:{.a}{.b}", "unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                   "'{name1.name2}' or '{.name1.name2}'"),
    # from upstream customcolumn.go
    ("", "custom-columns format specified but no custom columns given"),
    ("A:a,B", "unexpected custom-columns spec: B, expected <header>:<json-path-expr>"),
    ("A:.a[", "unterminated array"),
])
def test_parse_spec_errors(spec, message):
    with pytest.raises(JSONPathError) as info:
        parse_spec(spec)
    assert message in str(info.value)


def test_filter_error_reaches_the_caller():
    # VERIFIED: custom-columns=A:.data.l[?(@==1)] fails: 2.5 is a float, 1 an int
    with pytest.raises(JSONPathError, match="incompatible types for comparison"):
        rows(parse_spec("A:.data.l[?(@==1)]"), [OBJ])


def test_parse_file():
    text = "NAME   REV  LABELS\n{metadata.name}  .revision   metadata.labels.a\n"
    columns = parse_file(text)
    assert columns == [("NAME", "{.metadata.name}"), ("REV", "{.revision}"),
                       ("LABELS", "{.metadata.labels.a}")]
    assert rows(columns, [OBJ, {"metadata": {"name": "y"}}]) == [["x", "1", "x"], ["y", "<none>", "<none>"]]


@pytest.mark.parametrize("text, message", [
    ("", "invalid template, missing header line. Expected format is one line of space separated "
         "headers, one line of space separated column specs."),
    ("NAME\n", "invalid template, missing spec line."),
    ("NAME REV\n.metadata.name\n", "number of headers (2) and field specifications (1) don't match"),
])
def test_parse_file_errors(text, message):
    with pytest.raises(JSONPathError) as info:
        parse_file(text)
    assert message in str(info.value)


def test_rows_of_many_items():
    items = [{"metadata": {"name": n}, "spec": {"c": [{"image": "i%d" % k} for k in range(m)]}}
             for n, m in (("a", 2), ("b", 0), ("c", 1))]
    columns = parse_spec("NAME:.metadata.name,IMAGES:.spec.c[*].image")
    assert rows(columns, items) == [["a", "i0,i1"], ["b", "<none>"], ["c", "i0"]]
