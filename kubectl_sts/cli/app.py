"""The `kubectl-sts` command line: the click group with kubectl's global flags (flags.py),
the command table of lazily loaded subcommands, and the one place an error becomes an exit
code.

Only click is imported at start-up; each subcommand's module (and the kubernetes client)
is imported when that subcommand runs. The executable starts in start.py, which answers
`--version` and the top-level help without importing this module (the help it keeps is keyed
on this module and flags.py, what the help is made from)."""

import importlib
import os
import signal
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

import click

from .. import __version__
from .. import errors
from ..errors import (EXIT_ERROR, EXIT_USAGE, StsError, Terminated, UsageError, interrupt_code,
                      redact)
from .flags import add_global_flags, check_timeout, command_params, group_flags, kubectl_args, \
    usage_words
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


def exit_code(exc: BaseException) -> int:
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
    "restore": ("kubectl_sts.commands.restore", "restore",
                "Restore a StatefulSet's volumes from a snapshot set, one ordinal at a time."),
    "restart": ("kubectl_sts.commands.restart", "restart",
                "Restart a StatefulSet's pods one at a time, through the Eviction API."),
    "snapshot": ("kubectl_sts.commands.snapshot", "snapshot",
                 "Snapshot a StatefulSet's volumes as one set: a VolumeSnapshot per PVC of every "
                 "ordinal."),
    "rollout": ("kubectl_sts.commands.rollout", "rollout",
                "Staged partition rollouts: stage a change, step through the ordinals, undo "
                "safely."),
    "sandbox": ("kubectl_sts.commands.sandbox", "sandbox",
                "Run the local sandbox API server (for tests and trying things out)."),
    "version": ("kubectl_sts.commands.version", "version",
                "Print the plugin's version, and the Kubernetes version of the server."),
    "help": ("kubectl_sts.cli.app", "help_command", "Help about any command."),
}

# cobra's SuggestFor: words that are no command's name but should suggest it after `unknown
# command` (what kubectl users type for these verbs).
SUGGEST_FOR = {
    "status": ("get", "describe", "list", "ls", "show"),
    "rollout": ("update", "upgrade", "deploy"),
    "version": ("info",),
}


class LazyGroup(click.Group):
    """The subcommands of COMMANDS, each imported when it is named."""

    def resolve_command(self, ctx: click.Context, args: List[str]) -> Any:
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            from .cobra import unknown_command
            # the help command is never suggested (cobra's IsAvailableCommand)
            available = [name for name in self.list_commands(ctx) if name != "help"]
            raise UsageError("error: " + unknown_command(args[0], ctx.command_path, available,
                                                         SUGGEST_FOR))
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        command = getattr(importlib.import_module(module), attr)
        if not getattr(command, "_global_flags", False):
            add_global_flags(command)
            command._global_flags = True        # type: ignore[attr-defined]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="kubectl-sts",
                      message="%(prog)s %(version)s")
@group_flags
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """StatefulSet operations: status, staged rollouts and safe scale-down."""
    from ..client.kubeconfig import ConnectionOptions
    if options.get("request_timeout"):
        check_timeout(options["request_timeout"])
    ctx.obj = ConnectionOptions(**options)
    if ctx.invoked_subcommand is None:      # `kubectl sts` alone: its help, as kubectl does
        click.echo(ctx.get_help())


@click.command("help", context_settings={"ignore_unknown_options": True})
@click.argument("topic", nargs=-1, type=click.UNPROCESSED, metavar="[COMMAND]")
@click.pass_context
def help_command(ctx: click.Context, topic: Tuple[str, ...]) -> int:
    """Help about any command.

    `kubectl sts help COMMAND` prints what `kubectl sts COMMAND --help` prints; alone, the
    help of `kubectl sts` (as cobra's help command: spf13/cobra command.go,
    InitDefaultHelpCmd).

    \b
    Examples:
      # The flags and examples of rollout
      kubectl sts help rollout

    \b
      # Every command
      kubectl sts help"""
    root = ctx.find_root()
    group = root.command
    assert isinstance(group, click.Group)
    command = group.get_command(root, topic[0]) if topic else None
    if not topic:
        click.echo(root.get_help())
    elif command is None:
        # cobra: the topic, then the root's usage, on stderr; the exit code stays 0
        from .cobra import unknown_help_topic
        click.echo(unknown_help_topic(topic), err=True)
        click.echo(root.get_help(), err=True)
    else:
        # what `--help` prints: the help of the command's context under the root's
        with command.make_context(topic[0], [], parent=root, resilient_parsing=True) as sub:
            click.echo(sub.get_help())
    return 0


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM as Ctrl-C: the commands' `except KeyboardInterrupt` leave the StatefulSet
    consistent and say how to continue; the exit code is then 143 instead of 130."""
    _interrupt(Terminated())


def _on_sigint(signum: int, frame: Any) -> None:
    """Ctrl-C: KeyboardInterrupt, as Python's own handler raises it."""
    _interrupt(KeyboardInterrupt())


def _interrupt(exc: KeyboardInterrupt) -> None:
    """Raise `exc` here, and record it for the waits in case this runs inside a finalizer,
    which would drop it (client/threads.py)."""
    from ..client.threads import interrupt
    interrupt(exc)
    raise exc


def _install_handlers() -> Dict[int, Any]:
    """Install the SIGTERM and SIGINT handlers (main thread only; not over a signal started
    ignored, as under nohup, nor over a SIGINT handler other than Python's own); returns what
    to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    restore = {}
    for name, handler in (("SIGTERM", _on_sigterm), ("SIGINT", _on_sigint)):
        try:
            sig = getattr(signal, name)
            previous = signal.getsignal(sig)
            if previous == signal.SIG_IGN or (name == "SIGINT" and
                                              previous is not signal.default_int_handler):
                continue
            signal.signal(sig, handler)
        except (ValueError, OSError, AttributeError):
            continue
        restore[sig] = previous if previous is not None else signal.SIG_DFL
    return restore


def _say(text: str) -> None:
    """Print an error line; no credential ever reaches the terminal (see errors.redact)."""
    click.echo(redact(text), err=True)


def main(argv: Optional[List[str]] = None) -> int:
    previous = _install_handlers()
    try:
        return _main(argv)
    finally:
        from ..client.threads import forget
        forget()
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler)
            except (ValueError, OSError):
                pass


def _main(argv: Optional[List[str]]) -> int:
    try:
        args = list(sys.argv[1:] if argv is None else argv)
        rv = cli.main(args=kubectl_args(args, command_params(cli, args)), prog_name=prog_name(),
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


def complete_main(argv: Optional[List[str]] = None) -> int:
    """`kubectl_complete-sts`: kubectl's plugin completion protocol (see commands/completion)."""
    from ..commands.completion import main as complete
    return complete(cli, argv)


if __name__ == "__main__":
    sys.exit(main())
