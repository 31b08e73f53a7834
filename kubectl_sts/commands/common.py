"""What every command shares: the connection from the global flags, output flags, paths."""

import click


def connect(ctx):
    """The Connection for the global flags (kubeconfig is read here, not at start-up)."""
    from ..kube import Connection
    return Connection(ctx.find_root().obj)


def output_option(choices=("wide", "json", "yaml")):
    return click.option("-o", "--output", type=click.Choice(choices), default=None,
                        help="Output format: %s." % "|".join(choices))


def sts_path(namespace, name=None):
    base = "/apis/apps/v1/namespaces/%s/statefulsets" % namespace
    return base if name is None else "%s/%s" % (base, name)


def core_path(namespace, plural, name=None):
    base = "/api/v1/namespaces/%s/%s" % (namespace, plural)
    return base if name is None else "%s/%s" % (base, name)


def dump(data, fmt):
    """-o json / -o yaml of plain data."""
    if fmt == "json":
        import json
        return json.dumps(data, indent=2)
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")
