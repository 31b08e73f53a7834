"""The plugin writes as `kubectl-sts` (every POST, PUT and PATCH carries fieldManager), and
before writing a set's fields it reads their owners from managedFields: a controller that puts
them back (a set applied with `kubectl apply --server-side --field-manager
kustomize-controller`, as Flux's kustomize-controller does) refuses the write (exit 11, nothing
sent) unless --force; a client-side-applied set only warns. On the sandbox, through the
plugin's CLI and the real kubectl."""

from urllib.parse import parse_qs

from helpers import create_settled

NEW = "nginx:1.28"


def _writes(sandbox, since, namespace):
    """(method, path, query) of the plugin's writes since `since` in the namespace."""
    return [(e["method"], e["path"], parse_qs(e["query"] or ""))
            for e in list(sandbox.request_log)[since:]
            if e["method"] in ("POST", "PUT", "PATCH", "DELETE")
            and e["user_agent"].startswith("kubectl-sts/") and namespace in e["path"]]


def test_every_write_carries_the_field_manager(sandbox, apps, core, namespace, cli):
    """rollout (stage, step), scale and the set's lease: each POST/PUT/PATCH is sent with
    fieldManager=kubectl-sts, so managedFields name the plugin."""
    create_settled(apps, core, namespace, replicas=2)
    since = len(sandbox.request_log)
    for args in (("rollout", "web", "--image", "app=" + NEW),
                 ("rollout", "web", "--step", "--timeout", "60s"),
                 ("scale", "web", "--replicas", "1", "--yes", "--no-wait")):
        code, out, err = cli(*args)
        assert code == 0, (args, out, err)
    writes = [(m, p, q) for m, p, q in _writes(sandbox, since, namespace) if m != "DELETE"]
    sent = {(m, p.split("/namespaces/%s/" % namespace)[1]) for m, p, _ in writes}
    assert {("PUT", "statefulsets/web"), ("PUT", "statefulsets/web/scale"),
            ("POST", "leases")} <= sent, sent
    assert [(m, p) for m, p, q in writes if q.get("fieldManager") != ["kubectl-sts"]] == []
