"""How the executable was started: the name its usage lines show and the terminal width its
help is formatted for. Standard library only (read before anything else is imported)."""

import os
import sys


def prog_name() -> str:
    """`kubectl sts` when started as a kubectl plugin, else the executable's name."""
    base = os.path.basename(sys.argv[0] or "kubectl-sts")
    if base.startswith("kubectl-") or os.environ.get("KUBECTL_PATH") or os.environ.get(
            "KUBECTL_PLUGINS_CALLER"):
        return "kubectl sts"
    return "kubectl-sts" if base in ("", "__main__.py", "-c") else base


def terminal_width() -> int:
    """The columns click formats help for (what shutil.get_terminal_size reports)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__           # None without a console (pythonw, a daemon)
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
