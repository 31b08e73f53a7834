"""The `kubectl-sts` executable's entry point: answers `--version` and the top-level help
(`kubectl sts`, `--help`, `-h`, `help`) without importing click (most of the start-up time),
then hands everything else to cli.main.

The top-level help is rendered by click once and kept in kubectl's cache directory
($KUBECACHEDIR, else ~/.kube/cache), keyed by everything it depends on: the version, the
modules it is made from (HELP_SOURCES), the program name and the terminal width. Any doubt (no
cache, unreadable, not trusted, a control character in it) and click renders it."""

import os
import sys

from .. import __version__

# annotations are strings, never evaluated: this path imports neither typing nor __future__
# (`help` alone is the help command's answer: the same text, app.py's help_command)
HELP_ARGS: "tuple[list[str], ...]" = ([], ["--help"], ["-h"], ["help"])

# The modules the top-level help is made from, next to this one: the group, its help and the
# command table (app.py), the global flags (flags.py). The kept help's key moves with each.
HELP_SOURCES = ("app.py", "flags.py")


def main(argv: "list[str] | None" = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write("kubectl-sts %s\n" % __version__)
        return 0
    if args in HELP_ARGS:
        return _help()
    from .app import main as cli_main
    return cli_main(args)


def run() -> None:
    sys.exit(main())


def help_cache_path(prog: str, width: int) -> "str | None":
    """Where the top-level help for this program name and width is kept; None when a module
    it is made from cannot be read (then it is not kept)."""
    from ..client.cache import cache_dir
    here = os.path.dirname(os.path.abspath(__file__))
    stamps = []
    for source in HELP_SOURCES:
        try:
            stat = os.stat(os.path.join(here, source))
        except OSError:
            return None
        stamps.append("%d-%d" % (stat.st_mtime_ns, stat.st_size))
    # prog is "kubectl sts" or an executable's base name (no separator)
    name = "%s-%s-%d-%s.txt" % (__version__, "-".join(stamps), width, prog.replace(" ", "_"))
    return os.path.join(cache_dir(None), "kubectl-sts", "help", name)


def _help() -> int:
    from .program import prog_name, terminal_width     # not for --version
    path = help_cache_path(prog_name(), terminal_width())
    if path:
        text = _kept_help(path)
        if text:
            sys.stdout.write(text)
            return 0
    from . import app as cli
    from ..client.cache import store_text
    from ..k8s.privatefiles import printable
    with cli.cli.make_context(prog_name(), [], resilient_parsing=True) as ctx:
        text = printable(ctx.get_help() + "\n")
    sys.stdout.write(text)
    if path:
        store_text(path, text)
    return 0


def _kept_help(path: str) -> "str | None":
    """The kept help at `path`, only from a trusted entry (a regular file of this user that
    nobody else may write: the cache folder may be shared) holding no terminal control
    character (click's help has none: such an entry was planted). None: render it anew."""
    from ..k8s.privatefiles import printable, read_trusted
    data = read_trusted(path)
    try:
        text = None if data is None else data.decode("utf-8")
    except ValueError:
        return None
    return text if text and printable(text) == text else None
