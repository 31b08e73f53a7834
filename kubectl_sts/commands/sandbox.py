"""`kubectl-sts sandbox`: run the local API server until SIGINT/SIGTERM."""

import signal
import threading

import click

from .options import Duration, Integer


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
def sandbox(port, kubeconfig_out, manifests, speed, fast, max_unavailable_gate, latency):
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
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    config = (Config if fast else Config.demo)(speed=speed,
                                               maxunavailable_gate=max_unavailable_gate)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sb = Sandbox(port=port, kubeconfig=kubeconfig_out, config=config, latency=latency)
    try:
        sb.start()
    except OSError as exc:
        from ..errors import StsError
        raise StsError("error: cannot listen on 127.0.0.1:%d: %s" % (port, exc.strerror))
    try:
        click.echo("sandbox: serving %s, kubeconfig %s" % (sb.url, sb.kubeconfig))
        for path in manifests:
            for obj in sb.apply_file(path):
                click.echo("%s/%s created" % (obj["kind"].lower(), obj["metadata"]["name"]))
        while not stop.wait(0.5):
            pass
    finally:
        sb.stop()
    return 0
