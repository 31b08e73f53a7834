"""The `kubectl-sts` command line: kubectl's global flags, then lazily loaded subcommands.

Only click is imported at start-up; each subcommand's module (and the kubernetes client)
is imported when that subcommand runs, so `--help` and `--version` stay fast."""

import importlib
import os
import sys

import click

from . import __version__
from .errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, StsError

# name -> (module, attribute, one-line help shown by --help without importing the module)
COMMANDS = {
    "demo": ("kubectl_sts.commands.demo", "demo",
             "Start the sandbox cluster, create a StatefulSet and show it with `status`."),
    "status": ("kubectl_sts.commands.status", "status",
               "Show every ordinal of a StatefulSet: pod, readiness, revision, volumes, DNS."),
    "pvc": ("kubectl_sts.commands.pvc", "pvc",
            "List the PVCs of every ordinal; --prune deletes orphaned ones."),
    "scale": ("kubectl_sts.commands.scale", "scale",
              "Scale safely: which pods go, which PVCs are kept or deleted, then wait."),
    "rollout": ("kubectl_sts.commands.rollout", "rollout",
                "Staged partition rollouts: stage, step through the ordinals, undo safely."),
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
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="kubectl-sts",
                      message="%(prog)s %(version)s")
@click.option("--kubeconfig", metavar="FILE", help="Path to the kubeconfig file.")
@click.option("--context", metavar="NAME", help="The kubeconfig context to use.")
@click.option("-n", "--namespace", metavar="NS",
              help="Namespace (default: the context's, else `default`).")
@click.option("--cluster", metavar="NAME", help="The kubeconfig cluster to use.")
@click.option("--user", metavar="NAME", help="The kubeconfig user to use.")
@click.option("-s", "--server", metavar="URL", help="The address of the API server.")
@click.option("--token", metavar="TOKEN", help="Bearer token for authentication.")
@click.option("--as", "as_user", metavar="USER", help="Username to impersonate.")
@click.option("--as-group", "as_groups", metavar="GROUP", multiple=True,
              help="Group to impersonate (repeatable).")
@click.option("--certificate-authority", metavar="FILE", help="CA certificate file.")
@click.option("--client-certificate", metavar="FILE", help="Client certificate file.")
@click.option("--client-key", metavar="FILE", help="Client key file.")
@click.option("--insecure-skip-tls-verify", is_flag=True, default=None,
              help="Do not verify the server's certificate (insecure).")
@click.option("--request-timeout", metavar="DURATION",
              help="Timeout of a single request, e.g. 30s (default: none).")
@click.pass_context
def cli(ctx, **options):
    """StatefulSet operations: status, staged rollouts and safe scale-down."""
    from .kube import ConnectionOptions
    if options.get("request_timeout"):
        from .durations import parse_duration
        try:
            parse_duration(options["request_timeout"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--request-timeout")
    ctx.obj = ConnectionOptions(**options)


def main(argv=None):
    try:
        rv = cli.main(args=argv, prog_name=prog_name(), standalone_mode=False)
    except StsError as exc:
        click.echo(exc.message, err=True)
        return exc.code
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.UsageError as exc:
        # one line, as for every other error; `--help` shows the usage
        click.echo("error: %s" % exc.format_message(), err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo("error: %s" % exc.format_message(), err=True)
        return exc.exit_code or EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    return rv if isinstance(rv, int) else 0


def run():
    sys.exit(main())


if __name__ == "__main__":
    run()
