"""The `kubectl-sts` command line: kubectl's global flags, then lazily loaded subcommands.

Only click is imported at start-up; each subcommand's module (and the kubernetes client)
is imported when that subcommand runs. The executable starts in start.py, which answers
`--version` and the top-level help without importing this module."""

import importlib
import os
import signal
import sys
import threading

import click

from .. import __version__
from .. import errors
from ..errors import (EXIT_ERROR, EXIT_USAGE, StsError, Terminated, UsageError, interrupt_code,
                      redact)
from .program import prog_name

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
    (errors.DeletePending, errors.EXIT_DELETE_PENDING),
    (errors.HazardsFound, errors.EXIT_HAZARDS),
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
    "wait": ("kubectl_sts.commands.wait", "wait",
             "Wait until a StatefulSet's rollout is done; fail fast when it cannot be (for CI)."),
    "status": ("kubectl_sts.commands.status", "status",
               "Show every ordinal of a StatefulSet: pod, readiness, revision, volumes, DNS name."),
    "doctor": ("kubectl_sts.commands.doctor", "doctor",
               "Find the hazards in StatefulSets' configuration that bite later."),
    "pvc": ("kubectl_sts.commands.pvc", "pvc",
            "List the PVCs of every ordinal (in range, orphaned, unbound); --prune deletes "
            "orphans."),
    "scale": ("kubectl_sts.commands.scale", "scale",
              "Scale safely: which pods go, which PVCs are kept or deleted, then wait."),
    "repair": ("kubectl_sts.commands.repair", "repair",
               "Diagnose one stuck ordinal and apply the remedy."),
    "resize": ("kubectl_sts.commands.resize", "resize",
               "Grow a StatefulSet's volumes without restarting a pod."),
    "restart": ("kubectl_sts.commands.restart", "restart",
                "Restart a StatefulSet's pods one at a time, through the Eviction API."),
    "rollout": ("kubectl_sts.commands.rollout", "rollout",
                "Staged partition rollouts: stage a change, step through the ordinals, undo "
                "safely."),
    "sandbox": ("kubectl_sts.commands.sandbox", "sandbox",
                "Run the local sandbox API server (for tests and trying things out)."),
}


class LazyGroup(click.Group):
    def resolve_command(self, ctx, args):
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            raise UsageError('error: unknown command "%s" for "%s"' % (args[0], ctx.command_path))
        return super().resolve_command(ctx, args)

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
    (("--cache-dir",), dict(metavar="DIR", help="kubectl's cache directory (default: "
                                                "$KUBECACHEDIR, else ~/.kube/cache).")),
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
    from ..k8s.durations import parse_duration
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


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="kubectl-sts",
                      message="%(prog)s %(version)s")
@_group_flags
@click.pass_context
def cli(ctx, **options):
    """StatefulSet operations: status, staged rollouts and safe scale-down."""
    from ..client.kubeconfig import ConnectionOptions
    if options.get("request_timeout"):
        _check_timeout(options["request_timeout"])
    ctx.obj = ConnectionOptions(**options)
    if ctx.invoked_subcommand is None:      # `kubectl sts` alone: its help, as kubectl does
        click.echo(ctx.get_help())


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
        args = list(sys.argv[1:] if argv is None else argv)
        rv = cli.main(args=kubectl_args(args, _params(args)), prog_name=prog_name(),
                      standalone_mode=False)
    except StsError as exc:
        if exc.message:
            _say(exc.message)
        return exit_code(exc)
    except click.exceptions.Abort as exc:
        # click turns KeyboardInterrupt (and our Terminated) into Abort
        _say("interrupted")
        return interrupt_code(exc.__cause__ or exc.__context__)
    except click.UsageError as exc:
        # one line in kubectl's words, as for every other error; `--help` shows the usage
        _say("error: %s" % usage_words(exc))
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


# -- kubectl's (pflag's) command-line forms -------------------------------------------------

GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}      # strconv.ParseBool
GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _params(args):
    """The group's parameters and those of the subcommand the arguments name (imported: it is
    about to run anyway); only the first word that is a command counts."""
    params = list(cli.params)
    for word in args:
        if word == "--":
            break
        if word in COMMANDS:
            command = cli.get_command(None, word)
            params += command.params
            break
    return params


def kubectl_args(args, params):
    """Arguments in pflag's forms rewritten to click's: `-o=json` / `-n=ns` (a short flag with
    "="), and `--flag=true|false` / `-A=false` for boolean flags. Others pass unchanged."""
    booleans, values, optional = {}, set(), {}
    for param in params:
        if not isinstance(param, click.Option):
            continue
        if getattr(param, "_flag_needs_value", False):
            optional.update(dict.fromkeys(param.opts, param))
        if param.is_flag and getattr(param, "is_bool_flag", False):
            for opt in param.opts:
                booleans[opt] = (opt, (param.secondary_opts or [None])[0])
            for opt in param.secondary_opts:
                booleans[opt] = (opt, param.opts[0])
        else:
            values.update(param.opts)
    out = []
    for i, word in enumerate(args):
        if word == "--":
            return out + args[i:]
        flag, eq, value = word.partition("=")
        if not eq or not flag.startswith("-") or flag == "-":
            out.append(word)
        elif flag in booleans:
            yes, no = booleans[flag]
            if value not in GO_TRUE | GO_FALSE:
                raise UsageError('error: invalid argument "%s" for "%s" flag: strconv.ParseBool: '
                                 'parsing "%s": invalid syntax' % (value, flag, value))
            if value in GO_TRUE:
                out.append(yes)
            elif no:
                out.append(no)
        elif len(flag) == 2 and flag in values:
            out += [flag, value]
        elif flag in optional and value.startswith("-"):
            # click would read `--step=-1` as `--step` then a flag `-1`: judge the value here
            param = optional[flag]
            try:
                param.type.convert(value, param, None)
            except click.BadParameter as exc:
                raise UsageError("error: " + exc.message) from None
            raise UsageError('error: invalid argument "%s" for "%s" flag' % (value, flag))
        else:
            out.append(word)
    return out


def usage_words(exc):
    """A click usage error in kubectl's words (cobra's and pflag's)."""
    if isinstance(exc, click.NoSuchOption):
        name = exc.option_name
        if name.startswith("--"):
            return "unknown flag: %s" % name
        return "unknown shorthand flag: '%s' in %s" % (name[1:2], name)
    if isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        name = exc.option_name
        return "flag needs an argument: %s" % (name if name.startswith("--") else
                                                "'%s' in %s" % (name[1:2], name))
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        if isinstance(exc.param, click.Argument):
            return "required resource not specified" if exc.param.name == "name" else \
                "required argument %s not specified" % exc.param.human_readable_name
        return 'required flag(s) "%s" not set' % exc.param.opts[-1].lstrip("-")
    if isinstance(exc, click.BadParameter):
        if exc.message.startswith(("invalid argument", "Invalid dry-run")):
            return exc.message
        hint = exc.param.opts[-1] if isinstance(exc.param, click.Option) else \
            (exc.param_hint or (exc.param.human_readable_name if exc.param else "value"))
        return 'invalid argument for "%s": %s' % (hint, exc.message)
    text = exc.format_message()
    if text.startswith("Got unexpected extra argument") and exc.ctx is not None:
        taken = sum(1 for p in exc.ctx.command.params if isinstance(p, click.Argument))
        extra = len(text.split("(", 1)[-1].rstrip(")").split())
        return "accepts at most %d arg(s), received %d" % (taken, taken + extra)
    return text




def complete_main(argv=None):
    """`kubectl_complete-sts`: kubectl's plugin completion protocol (see commands/completion)."""
    from ..commands.completion import main as complete
    return complete(cli, argv)


if __name__ == "__main__":
    sys.exit(main())
