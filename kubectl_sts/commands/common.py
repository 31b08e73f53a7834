"""What every command shares: the connection from the global flags, output flags, paths."""

import click


def connect(ctx):
    """The Connection for the global flags (kubeconfig is read here, not at start-up). The
    namespace, from a flag or the kubeconfig, must be a DNS label (never a path)."""
    from ..kube import Connection
    from ..names import check_namespace
    conn = Connection(ctx.find_root().obj)
    check_namespace(conn.namespace)
    return conn


def output_option(choices=("wide", "json", "yaml")):
    return click.option("-o", "--output", type=click.Choice(choices), default=None,
                        help="Output format: %s." % "|".join(choices))


def sts_path(namespace, name=None):
    from ..paths import path
    return path("statefulsets", namespace, name)


def get_statefulset(conn, namespace, name, **request):
    """GET one StatefulSet; a 404 names the namespace too (exit 3)."""
    from ..errors import NotFound
    try:
        return conn.request("GET", sts_path(namespace, name), **request)
    except NotFound as exc:
        raise NotFound('Error from server (NotFound): statefulsets.apps "%s" not found in '
                       'namespace "%s"' % (name, namespace), status=404,
                       reason="NotFound") from exc


def core_path(namespace, plural, name=None):
    from ..paths import path
    return path(plural, namespace, name)


def dump(data, fmt):
    """-o json / -o yaml of plain data."""
    if fmt == "json":
        import json
        return json.dumps(data, indent=2)
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")
