"""The `kubectl-sts` command line: kubectl's global flags, then lazily loaded subcommands.

Only click is imported at start-up; each subcommand's module (and the kubernetes client)
is imported when that subcommand runs, so `--help` and `--version` stay fast."""

import importlib
import os
import signal
import sys
import threading

import click

from . import __version__
from . import errors
from .errors import EXIT_ERROR, EXIT_USAGE, StsError, Terminated, interrupt_code, redact

# The one place an error becomes an exit code (README, "Exit codes"); the first match wins.
EXIT_FOR = (
    (errors.UsageError, errors.EXIT_USAGE),
    (errors.ConfigError, errors.EXIT_CONFIG),
    (errors.NotFound, errors.EXIT_NOT_FOUND),
    (errors.Unauthorized, errors.EXIT_FORBIDDEN),
    (errors.Forbidden, errors.EXIT_FORBIDDEN),
    (errors.TransportError, errors.EXIT_UNREACHABLE),
    (errors.Conflict, errors.EXIT_CONFLICT),
    (errors.CheckFailed, errors.EXIT_CHECK_FAILED),
    (errors.PodFailed, errors.EXIT_ROLLOUT_FAILED),
    (errors.WaitTimeout, errors.EXIT_TIMEOUT),
    (errors.Refused, errors.EXIT_REFUSED),
)


def exit_code(exc):
    """The exit code of an error a command raised."""
    for kind, code in EXIT_FOR:
        if isinstance(exc, kind):
            return code
    return EXIT_ERROR

# name -> (module, attribute, one-line help shown by --help without importing the module;
# tests/test_cli.py checks that it is the first line of the command's own help)
COMMANDS = {
    "completion": ("kubectl_sts.commands.completion", "completion",
                   "Print a shell completion script (bash, zsh or fish)."),
    "demo": ("kubectl_sts.commands.demo", "demo",
             "Start the sandbox cluster, create a StatefulSet and show it with `status`."),
    "status": ("kubectl_sts.commands.status", "status",
               "Show every ordinal of a StatefulSet: pod, readiness, revision, volumes, DNS name."),
    "pvc": ("kubectl_sts.commands.pvc", "pvc",
            "List the PVCs of every ordinal (in range, orphaned, unbound); --prune deletes "
            "orphans."),
    "scale": ("kubectl_sts.commands.scale", "scale",
              "Scale safely: which pods go, which PVCs are kept or deleted, then wait."),
    "rollout": ("kubectl_sts.commands.rollout", "rollout",
                "Staged partition rollouts: stage a change, step through the ordinals, undo "
                "safely."),
    "sandbox": ("kubectl_sts.commands.sandbox", "sandbox",
                "Run the local sandbox API server (for tests and trying things out)."),
}


def prog_name():
    """`kubectl sts` when started as a kubectl plugin, else the executable's name."""
    base = os.path.basename(sys.argv[0] or "kubectl-sts")
    if base.startswith("kubectl-") or os.environ.get("KUBECTL_PATH") or os.environ.get(
            "KUBECTL_PLUGINS_CALLER"):
        return "kubectl sts"
    return "kubectl-sts" if base in ("", "__main__.py", "-c") else base


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        command = getattr(importlib.import_module(module), attr)
        if not getattr(command, "_global_flags", False):
            add_global_flags(command)
            command._global_flags = True
        return command

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


# kubectl's global flags: (declarations, keyword arguments). They are accepted before the
# subcommand and after it (`kubectl sts status web -n prod`), as kubectl users expect.
GLOBAL_FLAGS = [
    (("--kubeconfig",), dict(metavar="FILE", help="Path to the kubeconfig file.")),
    (("--context",), dict(metavar="NAME", help="The kubeconfig context to use.")),
    (("-n", "--namespace"), dict(metavar="NS", help="Namespace (default: the context's, else "
                                                    "`default`).")),
    (("--cluster",), dict(metavar="NAME", help="The kubeconfig cluster to use.")),
    (("--user",), dict(metavar="NAME", help="The kubeconfig user to use.")),
    (("-s", "--server"), dict(metavar="URL", help="The address of the API server.")),
    (("--token",), dict(metavar="TOKEN", help="Bearer token for authentication.")),
    (("--as", "as_user"), dict(metavar="USER", help="Username to impersonate.")),
    (("--as-group", "as_groups"), dict(metavar="GROUP", multiple=True,
                                       help="Group to impersonate (repeatable).")),
    (("--certificate-authority",), dict(metavar="FILE", help="CA certificate file.")),
    (("--client-certificate",), dict(metavar="FILE", help="Client certificate file.")),
    (("--client-key",), dict(metavar="FILE", help="Client key file.")),
    (("--insecure-skip-tls-verify",), dict(is_flag=True, default=None,
                                           help="Do not verify the server's certificate "
                                                "(insecure).")),
    (("--request-timeout",), dict(metavar="DURATION", help="Timeout of a single request, "
                                                           "e.g. 30s (default: none).")),
]


def _store_global(ctx, param, value):
    """A global flag given after the subcommand overrides the same flag given before it."""
    if value is None or value == () or ctx.resilient_parsing:
        return value
    options = ctx.find_root().obj
    if options is not None:
        setattr(options, param.name, tuple(value) if param.multiple else value)
    if param.name == "request_timeout":
        _check_timeout(value)
    return value


def _check_timeout(value):
    from .k8s.durations import parse_duration
    try:
        parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--request-timeout")


def add_global_flags(command):
    """Give a subcommand kubectl's global flags (those it does not define itself)."""
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for decls, kwargs in GLOBAL_FLAGS:
        if any(d.startswith("-") and d in taken for d in decls):
            continue
        command.params.append(click.Option(list(decls), expose_value=False, hidden=True,
                                           callback=_store_global, **kwargs))
    return command


def _group_flags(function):
    for decls, kwargs in reversed(GLOBAL_FLAGS):
        function = click.option(*decls, **kwargs)(function)
    return function


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="kubectl-sts",
                      message="%(prog)s %(version)s")
@_group_flags
@click.pass_context
def cli(ctx, **options):
    """StatefulSet operations: status, staged rollouts and safe scale-down."""
    from .kube import ConnectionOptions
    if options.get("request_timeout"):
        _check_timeout(options["request_timeout"])
    ctx.obj = ConnectionOptions(**options)


def _on_sigterm(signum, frame):
    """SIGTERM as Ctrl-C: the commands' `except KeyboardInterrupt` leave the StatefulSet
    consistent and say how to continue; the exit code is then 143 instead of 130."""
    raise Terminated()


def _install_sigterm():
    """Install the SIGTERM handler (main thread only); returns what to restore, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous == signal.SIG_IGN:
            return None                     # started with SIGTERM ignored (nohup & co)
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError, AttributeError):
        return None
    return previous if previous is not None else signal.SIG_DFL


def _say(text):
    """Print an error line; no credential ever reaches the terminal (see errors.redact)."""
    click.echo(redact(text), err=True)


def main(argv=None):
    previous = _install_sigterm()
    try:
        return _main(argv)
    finally:
        if previous is not None:
            try:
                signal.signal(signal.SIGTERM, previous)
            except (ValueError, OSError):
                pass


def _main(argv):
    try:
        rv = cli.main(args=argv, prog_name=prog_name(), standalone_mode=False)
    except StsError as exc:
        if exc.message:
            _say(exc.message)
        return exit_code(exc)
    except click.exceptions.Abort as exc:
        # click turns KeyboardInterrupt (and our Terminated) into Abort
        _say("interrupted")
        return interrupt_code(exc.__cause__ or exc.__context__)
    except click.UsageError as exc:
        # one line, as for every other error; `--help` shows the usage
        _say("error: %s" % exc.format_message())
        return EXIT_USAGE
    except click.ClickException as exc:
        _say("error: %s" % exc.format_message())
        return exc.exit_code or EXIT_ERROR
    except KeyboardInterrupt as exc:
        _say("interrupted")
        return interrupt_code(exc)
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:     # a bug: one line, never a traceback that could carry secrets
        if os.environ.get("KUBECTL_STS_TRACEBACK"):
            import traceback
            _say("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        text = str(exc).strip().splitlines()
        _say("error: internal error: %s%s (set KUBECTL_STS_TRACEBACK=1 for details)"
             % (type(exc).__name__, ": " + text[0] if text else ""))
        return EXIT_ERROR
    return rv if isinstance(rv, int) else 0


def run():
    sys.exit(main())


def complete_main(argv=None):
    """`kubectl_complete-sts`: kubectl's plugin completion protocol (see commands/completion)."""
    from .commands.completion import main as complete
    return complete(cli, argv)


if __name__ == "__main__":
    run()
