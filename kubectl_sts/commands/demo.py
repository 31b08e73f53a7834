"""`kubectl-sts demo`: start the sandbox, create a StatefulSet, show it with `status`."""

import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, NamedTuple

import click

from .shell import read_view

if TYPE_CHECKING:
    from ..client.connection import Connection

DEMO_MANIFEST: List[Dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "web", "labels": {"app": "web"}},
     "spec": {"clusterIP": "None", "selector": {"app": "web"},
              "ports": [{"name": "http", "port": 80}]}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
     "spec": {"serviceName": "web", "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                                    "ports": [{"name": "http",
                                                               "containerPort": 80}],
                                                    "volumeMounts": [{"name": "data",
                                                                      "mountPath": "/data"}]}]}},
              "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                        "spec": {"accessModes": ["ReadWriteOnce"],
                                                 "resources": {"requests": {"storage": "1Gi"}}}}]}},
]


class DemoOptions(NamedTuple):
    keep: bool
    step_seconds: float
    tls: bool


@click.command()
@click.option("--keep", is_flag=True, help="Keep the sandbox running afterwards (Ctrl-C stops it).")
@click.option("--step-seconds", type=float, default=0.3, show_default=True,
              help="How long each pod takes to start and to become ready (simulated seconds).")
@click.option("--tls/--no-tls", default=True, show_default=True,
              help="Serve HTTPS with a CA made for this sandbox, as every real cluster does "
              "(plain HTTP when the openssl tool is missing).")
def demo(**flags: Any) -> int:
    """Start the sandbox cluster, create a StatefulSet and show it with `status`.

    \b
    Examples:
      # The whole tour, then the sandbox stops
      kubectl-sts demo

    \b
      # Keep the sandbox running afterwards to try rollout and scale (Ctrl-C stops it)
      kubectl-sts demo --keep"""
    options = validate(DemoOptions(**flags))
    return run(options)


def validate(options: DemoOptions) -> DemoOptions:
    return options          # click checks each flag; no combination is refused


def run(options: DemoOptions) -> int:
    """Start the sandbox, create the manifest, wait, show `status`; with --keep, serve on."""
    from ..client.connection import Connection
    from ..client.kubeconfig import ConnectionOptions
    from ..client.paths import path
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    from ..printers.status import render_view
    keep, step_seconds = options.keep, options.step_seconds
    workdir = tempfile.mkdtemp(prefix="kubectl-sts-demo-")
    kubeconfig = os.path.join(workdir, "kubeconfig")
    config = Config.demo(start_seconds=step_seconds, ready_seconds=step_seconds,
                         terminate_seconds=step_seconds)
    tls = options.tls and shutil.which("openssl") is not None
    if options.tls and not tls:
        click.echo("sandbox: the openssl tool is missing: serving plain HTTP", err=True)
    with Sandbox(kubeconfig=kubeconfig, config=config, tls=tls) as sb:
        click.echo("sandbox: serving %s, kubeconfig %s" % (sb.url, kubeconfig))
        conn = Connection(ConnectionOptions(kubeconfig=kubeconfig))
        for obj in DEMO_MANIFEST:
            conn.request("POST", path("services" if obj["kind"] == "Service"
                                      else "statefulsets", "default"), body=obj)
            click.echo("%s/web created" % obj["kind"].lower())
        click.echo("waiting for 3 ordinals to become Ready (OrderedReady: one at a time)...")
        _wait_ready(conn, "web", 3, timeout=60)
        click.echo("")
        click.echo(render_view(read_view(conn, "default", "web", "cluster.local")))
        click.echo("")
        click.echo(next_steps(kubeconfig, keep))
        if keep:
            stop = threading.Event()
            try:
                while not stop.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


# what to try on the demo's set, each a whole command but for the program and its kubeconfig
TRIES = (("rollout web --image nginx=nginx:1.28", "stage: nothing restarts"),
         ("rollout web --step --yes", "update web-2, health-gated"),
         ("scale web --replicas 2 --yes", "scale down, volumes kept"),
         ("status web", "every ordinal at a glance"))


def next_steps(kubeconfig: str, keep: bool) -> str:
    """What to try next, as whole commands: against this sandbox while it runs (--keep), or
    how to keep it and what to run on it then (FILE: the kubeconfig that run prints)."""
    sts = "kubectl-sts --kubeconfig %s " % (kubeconfig if keep else "FILE")
    tries = ["  %s%-38s # %s" % (sts, command, what) for command, what in TRIES]
    if not keep:
        return "\n".join([
            "The sandbox has stopped. Run `kubectl-sts demo --keep` to keep it running, then",
            "try on it (FILE: the kubeconfig it prints):"] + tries[:3])
    return "\n".join(
        ["The sandbox keeps running (Ctrl-C stops it). In another terminal, try:"] + tries +
        ["  kubectl --kubeconfig %s get sts,pods,pvc" % kubeconfig])


def _wait_ready(conn: "Connection", name: str, replicas: int, timeout: float) -> None:
    """Wait (watches, client/watch.py) until the set reports `replicas` pods Ready."""
    from ..errors import StsError
    from ..client.paths import path
    from ..client.watch import Verdict, Watch, wait
    sts = (path("statefulsets", "default"), {"fieldSelector": "metadata.name=%s" % name})
    with Watch(conn, sts=sts) as watch:
        outcome = wait(watch, lambda snapshot, now: Verdict(
            done=_ready(snapshot["sts"].values(), replicas)), timeout)
    if not outcome.ok:
        raise StsError("error: timed out waiting for the demo StatefulSet to become ready")


def _ready(items: Iterable[Dict[str, Any]], replicas: int) -> bool:
    return any((s.get("status") or {}).get("readyReplicas", 0) >= replicas for s in items)
