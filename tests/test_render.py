"""kubectl's table format (no borders, three-space gaps, left aligned, no trailing spaces),
produced through tabulate."""

import pytest

from kubectl_sts.printers.table import table


@pytest.mark.parametrize("name,headers,rows,expected", [
    ("headers only", ["NAME", "READY"], [], "NAME   READY"),
    ("the widest cell sets the column", ["A", "BB"], [["long value", "x"]],
     "A            BB\nlong value   x"),
    ("numbers stay left aligned and as written", ["N", "M"], [[10, "1.50"], [2, "003"]],
     "N    M\n10   1.50\n2    003"),
    ("None is an empty cell; no trailing spaces", ["A", "B"], [["x", None], ["yy", "z"]],
     "A    B\nx\nyy   z"),
    ("a string row spans the table and sets no width", ["A", "B"],
     [["x", "y"], "--- partition 1 ---", ["x", "y"]],
     "A   B\nx   y\n--- partition 1 ---\nx   y"),
    ("cells keep their spaces", ["A", "B"], [["  a", "b"]], "A     B\n  a   b"),
    ("unicode counts as characters", ["NAME", "X"], [["välue", "1"]],
     "NAME    X\nvälue   1"),
])
def test_table(name, headers, rows, expected):
    assert table(headers, rows) == expected, name
