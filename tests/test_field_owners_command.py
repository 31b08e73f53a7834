"""The plugin writes as `kubectl-sts` (every POST, PUT and PATCH carries fieldManager), and
before writing a set's fields it reads their owners from managedFields: a controller that puts
them back (a set applied with `kubectl apply --server-side --field-manager
kustomize-controller`, as Flux's kustomize-controller does) refuses the write (exit 11, nothing
sent) unless --force; a client-side-applied set only warns. On the sandbox, through the
plugin's CLI and the real kubectl."""

import json
from urllib.parse import parse_qs

import pytest
import yaml

import builders
from helpers import create_settled, settle
from kubectl_sts.errors import EXIT_REFUSED

NEW = "nginx:1.28"
FLUX = ("--server-side", "--field-manager", "kustomize-controller")


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


# -- who else owns the fields: needs server-side apply and managedFields in the sandbox -----

def _apply(kubectl, manifest, *flags):
    done = kubectl("apply", "-f", "-", *flags, input=yaml.safe_dump(manifest))
    assert done.returncode == 0, done.stderr
    return done


def _set_writes(sandbox, since, namespace):
    return [(m, p) for m, p, _ in _writes(sandbox, since, namespace)
            if "/statefulsets" in p]


@pytest.fixture
def flux_set(sandbox, apps, core, kubectl, namespace):
    """web, 2 replicas, applied server-side by "kustomize-controller" (as Flux does, with its
    Kustomization's labels), settled."""
    sts = builders.statefulset(replicas=2, labels={
        "app": "web", "kustomize.toolkit.fluxcd.io/name": "apps",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
    core.create_namespaced_service(namespace, builders.service("web", selector={"app": "web"}))
    _apply(kubectl, sts, *FLUX)
    live = settle(apps, namespace, "web", 2)
    if not live["metadata"].get("managedFields"):
        pytest.skip("the sandbox records no managedFields yet")
    return sts


def test_a_rollout_on_a_flux_set_is_refused_and_writes_nothing(sandbox, apps, namespace, cli,
                                                               flux_set):
    since = len(sandbox.request_log)
    code, out, err = cli("rollout", "web", "--image", "app=" + NEW)
    assert code == EXIT_REFUSED, (out, err)
    lines = err.strip().split("\n")
    assert lines[0] == ("error: refused: .spec.template is owned by Flux (kustomize-controller), "
                        "which puts it back: pause it first, or --force to write anyway; "
                        "nothing was changed")
    assert lines[1].startswith("Flux (kustomize-controller) owns .spec.template: it applies "
                               "the set from its source again at its next reconcile")
    assert lines[2] == ("  to pause it: kubectl annotate statefulset web -n %s "
                        "kustomize.toolkit.fluxcd.io/reconcile=disabled (remove it to resume)"
                        % namespace)
    assert "flux suspend kustomization apps -n flux-system" in err
    # nothing written: no set write, no lease
    assert _writes(sandbox, since, namespace) == []
    assert apps.read_namespaced_stateful_set("web", namespace).spec.template.spec \
        .containers[0].image == flux_set["spec"]["template"]["spec"]["containers"][0]["image"]
    # the dry runs say the same and write nothing
    for dry in ("--dry-run=client", "--dry-run=server"):
        code, out, err2 = cli("rollout", "web", "--image", "app=" + NEW, dry)
        assert (code, err2.split("\n")[0]) == (EXIT_REFUSED, lines[0]), (dry, out, err2)
    assert _writes(sandbox, since, namespace) == []


def test_a_step_on_a_flux_set_is_refused_then_forced(sandbox, apps, namespace, cli, kubectl,
                                                     flux_set):
    # the template changed and held by the applier itself (partition 2): Flux owns both
    staged = json.loads(json.dumps(flux_set))
    staged["spec"]["template"]["spec"]["containers"][0]["image"] = NEW
    staged["spec"]["updateStrategy"] = {"type": "RollingUpdate",
                                        "rollingUpdate": {"partition": 2}}
    _apply(kubectl, staged, *FLUX)
    since = len(sandbox.request_log)
    code, out, err = cli("rollout", "web", "--step", "--timeout", "60s")
    assert code == EXIT_REFUSED, (out, err)
    assert err.startswith("error: refused: .spec.updateStrategy.rollingUpdate.partition is "
                          "owned by Flux (kustomize-controller)")
    assert _set_writes(sandbox, since, namespace) == []
    code, out, err = cli("rollout", "web", "--step", "--timeout", "60s", "--force")
    assert code == 0, (out, err)
    assert "Warning: Flux (kustomize-controller) owns " \
        ".spec.updateStrategy.rollingUpdate.partition" in err
    assert "Warning: --force: writing anyway" in err
    live = apps.read_namespaced_stateful_set("web", namespace)
    assert live.spec.update_strategy.rolling_update.partition == 1
    managers = {m.manager for m in live.metadata.managed_fields}
    assert "kubectl-sts" in managers


def test_scale_on_a_flux_set_is_refused_then_forced(sandbox, apps, namespace, cli, flux_set):
    since = len(sandbox.request_log)
    code, out, err = cli("scale", "web", "--replicas", "3", "--yes")
    assert code == EXIT_REFUSED, (out, err)
    assert err.startswith("error: refused: .spec.replicas is owned by Flux "
                          "(kustomize-controller)")
    for dry in ("--dry-run=client", "--dry-run=server"):
        code, out, err2 = cli("scale", "web", "--replicas", "3", dry)
        assert (code, err2.split("\n")[0]) == (EXIT_REFUSED, err.split("\n")[0]), (dry, err2)
    assert _set_writes(sandbox, since, namespace) == []
    code, out, err = cli("scale", "web", "--replicas", "3", "--yes", "--no-wait", "--force")
    assert code == 0, (out, err)
    assert apps.read_namespaced_stateful_set("web", namespace).spec.replicas == 3


def test_a_client_side_applied_set_only_warns(sandbox, apps, core, kubectl, namespace, cli):
    core.create_namespaced_service(namespace, builders.service("web", selector={"app": "web"}))
    _apply(kubectl, builders.statefulset(replicas=1))
    live = settle(apps, namespace, "web", 1)
    if not live["metadata"].get("managedFields"):
        pytest.skip("the sandbox records no managedFields yet")
    code, out, err = cli("scale", "web", "--replicas", "2", "--yes", "--no-wait")
    assert code == 0, (out, err)
    assert "Warning: kubectl apply (client-side) owns .spec.replicas: it puts the manifest's " \
        "values back at the next kubectl apply of it\n  to keep the change: change the manifest " \
        "too" in err
    assert apps.read_namespaced_stateful_set("web", namespace).spec.replicas == 2


def test_an_undo_on_a_flux_set_is_refused_then_forced(sandbox, apps, namespace, cli, flux_set):
    """A forced stage takes only the image from Flux: it still owns the rest of the template,
    so restoring the template (--undo) is refused too, and goes through with --force."""
    code, out, err = cli("rollout", "web", "--image", "app=" + NEW, "--force")
    assert code == 0, (out, err)
    since = len(sandbox.request_log)
    code, out, err = cli("rollout", "web", "--undo", "--yes")
    assert code == EXIT_REFUSED, (out, err)
    assert "error: refused: .spec.template is owned by Flux (kustomize-controller)" in err
    assert _set_writes(sandbox, since, namespace) == []
    code, out, err = cli("rollout", "web", "--undo", "--yes", "--force")
    assert code == 0, (out, err)
    assert apps.read_namespaced_stateful_set("web", namespace).spec.template.spec \
        .containers[0].image == "nginx:1.27"
