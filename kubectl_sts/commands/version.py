"""`kubectl sts version`: the plugin's version, and the server's, as `kubectl version` prints
them (kubernetes/kubectl pkg/cmd/version/version.go, Options.Run): one line each, the plugin's
first; `--client` asks the server nothing; `-o json|yaml` prints both as one document
(MarshalIndent with two spaces, as kubectl version; yaml with sorted keys, as sigs.k8s.io/yaml).

The plugin is not kubectl: its line is `Plugin Version`, never `Client Version`. The server's is
what its /version answers (version.Info: gitVersion, major, minor, platform...). When the
server cannot be read, kubectl prints the client part and then fails with the server's error;
so does this command (the error's exit code: 5 unreachable, 7 kubeconfig, 4 forbidden)."""

import json
import platform
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, NamedTuple, Optional

import click

from .. import __version__
from ..errors import StsError, UsageError
from .shell import connect

if TYPE_CHECKING:
    from ..client.connection import Connection

Doc = Dict[str, Any]


class VersionOptions(NamedTuple):
    client: bool
    output: Optional[str]


def _check_output(ctx: click.Context, param: click.Parameter,
                  value: Optional[str]) -> Optional[str]:
    if value and value not in ("json", "yaml"):
        # kubectl version's Validate, word for word
        raise UsageError("error: --output must be 'yaml' or 'json'")
    return value


setattr(_check_output, "choices", ("json", "yaml"))     # what completion offers after -o


@click.command()
@click.option("--client", is_flag=True, help="Only the plugin's version: ask the server "
              "nothing (no kubeconfig needed).")
@click.option("-o", "--output", metavar="FORMAT", callback=_check_output,
              help="One of 'yaml' or 'json'.")
@click.pass_context
def version(ctx: click.Context, **flags: Any) -> int:
    """Print the plugin's version, and the Kubernetes version of the server.

    The server's version is what its /version answers (as `kubectl version` shows it); when the
    server cannot be read, the plugin's line is printed and the error follows.

    \b
    Examples:
      # The plugin's version and the server's
      kubectl sts version

    \b
      # Only the plugin's, without a cluster
      kubectl sts version --client

    \b
      # Both as a document for a script
      kubectl sts version -o json"""
    options = validate(VersionOptions(**flags))
    return run(None if options.client else lambda: connect(ctx), options)


def validate(options: VersionOptions) -> VersionOptions:
    return options          # -o is checked by its flag; --client combines with everything


def plugin_version() -> Doc:
    """What the plugin says of itself: its version (with kubectl's `v`), the Python that runs
    it and the platform (kubectl's clientVersion has goVersion and platform)."""
    return {"gitVersion": "v" + __version__, "pythonVersion": platform.python_version(),
            "platform": "%s/%s" % (sys.platform, platform.machine().lower() or "unknown")}


def run(server: Optional[Callable[[], "Connection"]], options: VersionOptions) -> int:
    """Print the versions; `server` makes the connection (None: --client). A server that
    cannot be read fails the command after the plugin's part is printed (kubectl's order)."""
    from ..client.paths import VERSION_PATH
    doc: Doc = {"pluginVersion": plugin_version()}
    failure: Optional[StsError] = None
    if server is not None:
        try:
            doc["serverVersion"] = server().get(VERSION_PATH)
        except StsError as exc:
            failure = exc
    click.echo(format_versions(doc, options.output))
    if failure is not None:
        raise failure
    return 0


def format_versions(doc: Doc, output: Optional[str]) -> str:
    if output == "json":
        return json.dumps(doc, indent=2)
    if output == "yaml":
        import yaml
        return yaml.safe_dump(doc, sort_keys=True, default_flow_style=False).rstrip("\n")
    lines = ["Plugin Version: %s" % doc["pluginVersion"]["gitVersion"]]
    server = doc.get("serverVersion")
    if server is not None:
        lines.append("Server Version: %s" % (server.get("gitVersion") or "<unknown>"))
    return "\n".join(lines)
