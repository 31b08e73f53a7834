"""What every command shares: the connection from the global flags, paths, and the progress
line of a wait."""



def connect(ctx):
    """The Connection for the global flags (kubeconfig is read here, not at start-up). The
    namespace, from a flag or the kubeconfig, must be a DNS label (never a path)."""
    from ..client.connection import Connection
    from ..core.names import check_namespace
    conn = Connection(ctx.find_root().obj)
    check_namespace(conn.namespace)
    return conn


def sts_path(namespace, name=None):
    from ..client.paths import path
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
    from ..client.paths import path
    return path(plural, namespace, name)


def delete_options(uid=None, resource_version=None, grace=None, propagation=None):
    """A v1 DeleteOptions body: preconditions on what was read (the uid, the resourceVersion),
    the grace period, the propagation policy; only what is given."""
    body = {"kind": "DeleteOptions", "apiVersion": "v1"}
    preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version))
                     if v is not None}
    if preconditions:
        body["preconditions"] = preconditions
    if grace is not None:
        body["gracePeriodSeconds"] = grace
    if propagation is not None:
        body["propagationPolicy"] = propagation
    return body


class Progress:
    """The progress line of a wait (the one wait primitive's `progress`): rewritten in place on
    a terminal, a line per change in a pipe. `err`: on stderr, so stdout carries only the
    result."""

    def __init__(self, err=False):
        import sys
        self.err = err
        self.tty = (sys.stderr if err else sys.stdout).isatty()
        self.shown = None

    def __call__(self, line):
        """Show `line`; None clears it (on a terminal) when the wait is over."""
        import click
        if line == self.shown:
            return
        if self.tty:
            click.echo("\r\x1b[K" + (line or "")[:200], nl=False, err=self.err, color=True)
        elif line is not None:
            click.echo(line, err=self.err)
        self.shown = line
