"""A set created again around its pods (resize, restore: deleted with propagationPolicy Orphan,
then POSTed) keeps its field owners: the API server gives a create's manager every field, so
the plugin puts the deleted set's managedFields back (commands/recreate.py restore_owners) and
later writes of fields another controller owns are still refused. On the sandbox, through the
real kubectl and the plugin's CLI."""

import pytest
import yaml

import builders
from helpers import settle
from kubectl_sts.errors import EXIT_REFUSED


def _flux_apply(apps, core, kubectl, namespace, replicas, **kwargs):
    """web with 1Gi claims, applied server-side by "kustomize-controller" (as Flux does),
    settled."""
    sts = builders.statefulset(replicas=replicas, labels={
        "app": "web", "kustomize.toolkit.fluxcd.io/name": "apps",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}, **kwargs)
    core.create_namespaced_service(namespace, builders.service("web", selector={"app": "web"}))
    done = kubectl("apply", "-f", "-", "--server-side", "--field-manager",
                   "kustomize-controller", input=yaml.safe_dump(sts))
    assert done.returncode == 0, done.stderr
    return settle(apps, namespace, "web", replicas)


@pytest.fixture
def flux_set(apps, core, kubectl, namespace):
    """web, 2 replicas, its claims on the default class, applied as Flux does."""
    return _flux_apply(apps, core, kubectl, namespace, 2)


def _entries(apps, namespace):
    live = apps.read_namespaced_stateful_set("web", namespace)
    return {(m.manager, m.operation): m.fields_v1 for m in live.metadata.managed_fields}


def test_resize_keeps_the_owners_of_the_set(apps, namespace, cli, flux_set, tmp_path):
    before = _entries(apps, namespace)
    assert ("kustomize-controller", "Apply") in before
    code, out, err = cli("resize", "web", "--size", "2Gi", "--force", "--yes",
                         "--backup", str(tmp_path / "web.json"))
    assert code == 0, (out, err)
    assert "statefulset.apps/web created" in out
    after = _entries(apps, namespace)
    # Flux's entry is back, with the template it applied; the claim template it applied at
    # 1Gi is now kubectl-sts's (resize changed it), as an update changing it would make it
    assert ("kustomize-controller", "Apply") in after, (err, after)
    flux = after[("kustomize-controller", "Apply")]
    assert "f:template" in flux["f:spec"] and "f:volumeClaimTemplates" not in flux["f:spec"]
    assert "f:volumeClaimTemplates" in after[("kubectl-sts", "Update")]["f:spec"]
    # and the plugin still refuses to write the fields Flux puts back
    code, out, err = cli("rollout", "web", "--image", "app=nginx:1.28")
    assert code == EXIT_REFUSED, (out, err)
    assert err.startswith("error: refused: .spec.template is owned by Flux "
                          "(kustomize-controller)"), err


def test_restore_keeps_the_owners_of_the_set(apps, core, kubectl, namespace, cli, tmp_path,
                                             api_client):
    from kubernetes import client

    from test_restore_command import GROUP, PLURAL, SET, VERSION, ready, take
    from helpers import wait_for
    live = _flux_apply(apps, core, kubectl, namespace, 1, storage_class="csi-hostpath")
    custom = client.CustomObjectsApi(api_client)
    take(custom, namespace, 0, revision=live["status"]["updateRevision"])
    wait_for(custom.list_namespaced_custom_object, ready(["%s-data-0" % SET]), group=GROUP,
             version=VERSION, namespace=namespace, plural=PLURAL)
    before = _entries(apps, namespace)
    code, out, err = cli("restore", "web", "--from", SET, "--ordinal", "0", "--yes",
                         "--backup-file", str(tmp_path / "web.json"))
    assert code == 0, (out, err)
    assert "statefulset.apps/web created again" in out
    after = _entries(apps, namespace)
    # nothing of the set changed: Flux's entry is back as it was
    assert after[("kustomize-controller", "Apply")] == \
        before[("kustomize-controller", "Apply")], (err, after)
    code, out, err = cli("rollout", "web", "--image", "app=nginx:1.28")
    assert code == EXIT_REFUSED, (out, err)
