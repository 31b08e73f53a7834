"""The `kubectl-sts` executable's entry point: answers `--version` and the top-level help
without importing click (most of the start-up time), then hands everything else to cli.main.

The top-level help is rendered by click once and kept in kubectl's cache directory
($KUBECACHEDIR, else ~/.kube/cache), keyed by everything it depends on: the version, the
command-line module (cli/app.py: the commands, the global flags), the program name and the
terminal width. Any doubt (no cache, unreadable) and click renders it."""

import os
import sys

from .. import __version__
from .program import prog_name, terminal_width

HELP_ARGS = ([], ["--help"], ["-h"])


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write("kubectl-sts %s\n" % __version__)
        return 0
    if args in HELP_ARGS:
        return _help()
    from .app import main as cli_main
    return cli_main(args)


def run():
    sys.exit(main())


def help_cache_path(prog, width):
    from ..client.cache import cache_dir
    cli_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.py")
    try:
        stat = os.stat(cli_file)
    except OSError:
        return None
    # prog is "kubectl sts" or an executable's base name (no separator)
    name = "%s-%d-%d-%d-%s.txt" % (__version__, stat.st_mtime_ns, stat.st_size, width,
                                   prog.replace(" ", "_"))
    return os.path.join(cache_dir(None), "kubectl-sts", "help", name)


def _help():
    path = help_cache_path(prog_name(), terminal_width())
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, ValueError):
            text = None
        if text:
            sys.stdout.write(text)
            return 0
    from . import app as cli
    from ..client.cache import store_text
    with cli.cli.make_context(prog_name(), [], resilient_parsing=True) as ctx:
        text = ctx.get_help() + "\n"
    sys.stdout.write(text)
    if path:
        store_text(path, text)
    return 0
