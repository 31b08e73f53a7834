"""Plain-text tables in kubectl's style: upper-case headers, columns three spaces apart."""


def table(headers, rows):
    """Format rows (lists of cells) under headers, like kubectl's tabwriter output. A row that
    is a plain string is printed as it is, spanning the table (e.g. a separator line)."""
    cells = [[str(h) for h in headers]] + [
        r if isinstance(r, str) else ["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells if not isinstance(r, str))
              for i in range(len(headers))]
    lines = []
    for r in cells:
        if isinstance(r, str):
            lines.append(r)
            continue
        line = "   ".join(c.ljust(w) for c, w in zip(r, widths))
        lines.append(line.rstrip())
    return "\n".join(lines)
