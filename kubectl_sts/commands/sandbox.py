"""`kubectl-sts sandbox`: run the local API server until SIGINT/SIGTERM."""

import signal
import threading
from typing import Any, Dict, NamedTuple, Optional, Tuple

import click

from kubectl_sts_sandbox import versions
from .options import Duration, Integer, OneOf


class SandboxOptions(NamedTuple):
    port: int
    kubeconfig_out: str
    manifests: Tuple[str, ...]
    speed: float
    fast: bool
    max_unavailable_gate: bool
    latency: float
    kubernetes_version: str
    feature_gates: Tuple[Dict[str, bool], ...]
    missing_images: Tuple[str, ...]
    tls: bool
    configs: Tuple[str, ...]
    no_snapshots: bool


class FeatureGatesValue(click.ParamType):
    """kube-apiserver's --feature-gates value, `Name=bool,...` (featuregate.Set's parsing and
    words, inside pflag's `invalid argument`); the names are checked against the release once
    every flag is read."""
    name = "mapStringBool"

    def convert(self, value: Any, param: Optional[click.Parameter],
                ctx: Optional[click.Context]) -> Dict[str, bool]:
        if isinstance(value, dict):
            return value
        try:
            return versions.parse_feature_gates(str(value))
        except versions.FeatureGateError as exc:
            self.fail('invalid argument "%s" for "--feature-gates" flag: %s' % (value, exc),
                      param, ctx)


IMAGE_RULE = """\
Images: nothing is pulled and every image "pulls", except those a real registry would not
have: a host under the reserved .invalid domain (registry.invalid/app:1), a name containing
no-such-image, and references matching a --missing-images glob (tested against the reference
as written and as containerd normalizes it, e.g. docker.io/library/mysql:doesnotexist). Their
pods show ErrImagePull, then ImagePullBackOff, with the kubelet's events (Pulling, Failed,
BackOff)."""


def _gates_help() -> str:
    return ("Feature gates, as kube-apiserver takes them (NAME=true|false,...; repeatable). "
            "The gates the sandbox models, with their defaults: " +
            "; ".join(versions.describe_gates().splitlines()) +
            ". AllAlpha and AllBeta set every alpha or beta gate not named.")


@click.command(epilog=IMAGE_RULE)
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
@click.option("--kubernetes-version", type=OneOf(list(versions.SUPPORTED)),
              default=versions.DEFAULT, show_default=True, metavar="VERSION",
              help="The release to play (%s): /version, discovery and the feature gates' "
              "defaults follow it." % "|".join(versions.SUPPORTED))
@click.option("--feature-gates", type=FeatureGatesValue(), multiple=True,
              metavar="NAME=BOOL,...", help=_gates_help())
@click.option("--missing-images", multiple=True, metavar="PATTERN",
              help="Images that fail to pull as missing from their registry: a glob on the "
              "image reference, e.g. '*:doesnotexist' or 'mysql:8.5*' (repeatable).")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a CA made for this sandbox; the "
              "kubeconfig carries the CA (certificate-authority-data). Needs openssl.")
@click.option("--config", "configs", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="What pods answer beyond their status, in the kwok simulator's shape "
              "(repeatable): Logs/ClusterLogs map a container's log to a local file, "
              "Exec/ClusterExec let `kubectl exec` run a command on this host for a pod "
              "(kwok.x-k8s.io/v1alpha1).")
@click.option("--no-snapshots", is_flag=True,
              help="A cluster without volume snapshots: no snapshot.storage.k8s.io CRDs, no "
              "snapshot controller (by default the sandbox serves them, with the csi-hostpath "
              "class, as external-snapshotter installs them).")
@click.option("--max-unavailable-gate", is_flag=True, hidden=True,
              help="Deprecated: --feature-gates MaxUnavailableStatefulSet=true.")
@click.option("--latency", type=Duration(), default="0s", show_default=True, metavar="DURATION",
              help="Simulated network round trip: every response comes this much later (a new "
              "connection costs one more), as from a remote API server.")
def sandbox(**flags: Any) -> int:
    """Run the local sandbox API server (for tests and trying things out).

    Prints one line with the address and the kubeconfig path once it accepts requests,
    applies the manifests, and serves until interrupted. It plays Kubernetes 1.37 unless
    --kubernetes-version says otherwise.

    \b
    Examples:
      # Serve with examples/web.yaml applied; kubectl and kubectl sts use the kubeconfig
      kubectl-sts sandbox -f examples/web.yaml --kubeconfig ./sandbox.kubeconfig

    \b
      # Test timings (pods Ready in milliseconds)
      kubectl-sts sandbox --fast

    \b
      # A 1.34 cluster with MaxUnavailableStatefulSet on, over HTTPS
      kubectl-sts sandbox --kubernetes-version 1.34 --feature-gates \
MaxUnavailableStatefulSet=true --tls

    \b
      # Rehearse a bad rollout: this tag does not exist
      kubectl-sts sandbox --missing-images 'mysql:doesnotexist'

    \b
      # A cloud cluster seen from a laptop: 50 ms per round trip
      kubectl-sts sandbox --latency 50ms

    \b
      # kubectl logs and exec answer as mapped in access.yaml (Logs, Exec)
      kubectl-sts sandbox --config access.yaml

    \b
      # A cluster without the volume snapshot CRDs
      kubectl-sts sandbox --no-snapshots"""
    options = validate(SandboxOptions(**flags))
    return run(options)


def validate(options: SandboxOptions) -> SandboxOptions:
    """The deprecated --max-unavailable-gate becomes its feature gate (pflag prints
    `Flag --NAME has been deprecated, MESSAGE` on stderr for a deprecated flag, as kubectl
    does); the gates are checked against the release (kube-apiserver's words)."""
    gates = feature_gates(options)
    if options.max_unavailable_gate:
        click.echo("Flag --max-unavailable-gate has been deprecated, use --feature-gates "
                   "MaxUnavailableStatefulSet=true instead", err=True)
    try:
        versions.FeatureGates(options.kubernetes_version, gates)
    except versions.FeatureGateError as exc:
        from ..errors import UsageError
        given = ",".join("%s=%s" % (k, "true" if v else "false") for k, v in gates.items())
        raise UsageError('error: invalid argument "%s" for "--feature-gates" flag: %s'
                         % (given, exc))
    return options


def feature_gates(options: SandboxOptions) -> Dict[str, bool]:
    """Every --feature-gates value merged in order, then the deprecated flag's gate."""
    gates: Dict[str, bool] = {}
    for value in options.feature_gates:
        gates.update(value)
    if options.max_unavailable_gate:
        gates.setdefault("MaxUnavailableStatefulSet", True)
    return gates


def run(options: SandboxOptions) -> int:
    """Start the server, apply the manifests, serve until SIGINT/SIGTERM."""
    from kubectl_sts_sandbox import Sandbox, TLSUnavailable
    from kubectl_sts_sandbox.cluster import Config
    from kubectl_sts_sandbox.podaccess import PodAccessError, read_files
    from ..errors import StsError, UsageError
    port = options.port
    try:
        access = read_files(options.configs)
    except PodAccessError as exc:
        raise UsageError("error: --config %s" % exc)
    config = (Config if options.fast else Config.demo)(
        speed=options.speed, kubernetes_version=options.kubernetes_version,
        feature_gates=feature_gates(options), missing_images=options.missing_images,
        pod_access=access, snapshots=not options.no_snapshots)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sb = Sandbox(port=port, kubeconfig=options.kubeconfig_out, config=config,
                 latency=options.latency, tls=options.tls)
    try:
        sb.start()
    except OSError as exc:
        sb.stop()
        raise StsError("error: cannot listen on 127.0.0.1:%d: %s" % (port, exc.strerror))
    except TLSUnavailable as exc:
        sb.stop()
        raise StsError("error: %s" % exc)
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
