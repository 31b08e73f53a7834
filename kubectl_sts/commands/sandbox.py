"""`kubectl-sts sandbox`: run the local API server until SIGINT/SIGTERM."""

import signal
import threading
from typing import Any, NamedTuple, Tuple

import click

from .options import Duration, Integer


class SandboxOptions(NamedTuple):
    port: int
    kubeconfig_out: str
    manifests: Tuple[str, ...]
    speed: float
    fast: bool
    max_unavailable_gate: bool
    latency: float


@click.command()
@click.option("--port", type=Integer(min=0), default=0, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--kubeconfig", "kubeconfig_out", metavar="FILE", default="./sandbox.kubeconfig",
              show_default=True, help="Where to write the kubeconfig (context "
              "kubectl-sts-sandbox).")
@click.option("-f", "--filename", "manifests", multiple=True, type=click.Path(exists=True,
              dir_okay=False), help="Manifest to apply once the server is up (repeatable).")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Simulated seconds per real second.")
@click.option("--fast", is_flag=True, help="Test timings (pods ready in milliseconds) instead "
              "of lifelike ones (about a second per step).")
@click.option("--max-unavailable-gate", is_flag=True,
              help="Turn on the MaxUnavailableStatefulSet feature gate.")
@click.option("--latency", type=Duration(), default="0s", show_default=True, metavar="DURATION",
              help="Simulated network round trip: every response comes this much later (a new "
              "connection costs one more), as from a remote API server.")
def sandbox(**flags: Any) -> int:
    """Run the local sandbox API server (for tests and trying things out).

    Prints one line with the address and the kubeconfig path once it accepts requests,
    applies the manifests, and serves until interrupted.

    \b
    Examples:
      # Serve with examples/web.yaml applied; kubectl and kubectl sts use the kubeconfig
      kubectl-sts sandbox -f examples/web.yaml --kubeconfig ./sandbox.kubeconfig
    \b
      # Test timings (pods Ready in milliseconds)
      kubectl-sts sandbox --fast
    \b
      # A cloud cluster seen from a laptop: 50 ms per round trip
      kubectl-sts sandbox --latency 50ms"""
    options = validate(SandboxOptions(**flags))
    return run(options)


def validate(options: SandboxOptions) -> SandboxOptions:
    return options          # click checks each flag; no combination is refused


def run(options: SandboxOptions) -> int:
    """Start the server, apply the manifests, serve until SIGINT/SIGTERM."""
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    port = options.port
    config = (Config if options.fast else Config.demo)(
        speed=options.speed, maxunavailable_gate=options.max_unavailable_gate)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sb = Sandbox(port=port, kubeconfig=options.kubeconfig_out, config=config,
                 latency=options.latency)
    try:
        sb.start()
    except OSError as exc:
        from ..errors import StsError
        raise StsError("error: cannot listen on 127.0.0.1:%d: %s" % (port, exc.strerror))
    try:
        click.echo("sandbox: serving %s, kubeconfig %s" % (sb.url, sb.kubeconfig))
        for path in options.manifests:
            for obj in sb.apply_file(path):
                click.echo("%s/%s created" % (obj["kind"].lower(), obj["metadata"]["name"]))
        while not stop.wait(0.5):
            pass
    finally:
        sb.stop()
    return 0
