"""`resize` and the manifest a user applies with the real kubectl: resize updates kubectl's
last-applied-configuration (only the claim template's storage request) and says what the
manifest must say now; `kubectl apply -f` of the manifest with the new size then succeeds,
and one with the old size is refused by the API server (volumeClaimTemplates are
immutable)."""

import json
import os

import pytest

from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import main

pytestmark = pytest.mark.kubectl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _manifest(tmp_path, size):
    """examples/web.yaml with its claim template at `size`."""
    with open(os.path.join(ROOT, "examples", "web.yaml"), encoding="utf-8") as f:
        text = f.read()
    assert text.count("storage: 1Gi") == 1
    path = tmp_path / ("web-%s.yaml" % size)
    path.write_text(text.replace("storage: 1Gi", "storage: %s" % size))
    return str(path)


def _applied(kubectl):
    out = kubectl("get", "sts", "web", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["metadata"]["annotations"][LAST_APPLIED]


def test_after_resize_the_new_manifest_applies_and_the_old_one_is_refused(
        apps, namespace, kubeconfig, kubectl, capsys, tmp_path):
    old, new = _manifest(tmp_path, "1Gi"), _manifest(tmp_path, "2Gi")
    out = kubectl("apply", "-f", old)
    assert out.returncode == 0, out.stderr
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 3), timeout=60,
             namespace=namespace)
    before = json.loads(_applied(kubectl))

    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "resize", "web", "--size",
                 "2Gi", "--yes", "--backup", str(tmp_path / "web.json")])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "template data: 1Gi -> 2Gi\n" \
        "kubectl.kubernetes.io/last-applied-configuration: volumeClaimTemplates data storage " \
        "1Gi -> 2Gi (only that field)\n" \
        "in your manifest, set volumeClaimTemplates data spec.resources.requests.storage to " \
        "2Gi: `kubectl apply -f` of a manifest that still says 1Gi is refused (updates to " \
        "statefulset spec for fields other than ... are forbidden)\n" in stdout

    # the annotation: the same document but for that one request, as kubectl writes it
    text = _applied(kubectl)
    after = json.loads(text)
    before["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"][
        "storage"] = "2Gi"
    assert after == before
    assert text.endswith("}\n") and ", " not in text and ": " not in text
    shown = kubectl("apply", "view-last-applied", "sts/web", "-o", "json")
    assert json.loads(shown.stdout)["spec"]["volumeClaimTemplates"][0]["spec"][
        "resources"]["requests"] == {"storage": "2Gi"}

    # the manifest with the new size applies; the old one is refused, as resize said
    out = kubectl("apply", "-f", new)
    assert out.returncode == 0, out.stderr
    assert "statefulset.apps/web" in out.stdout
    out = kubectl("apply", "-f", old)
    assert out.returncode == 1
    assert "updates to statefulset spec for fields other than 'replicas', 'ordinals', " \
        "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and " \
        "'minReadySeconds' are forbidden" in out.stderr
    sts = apps.read_namespaced_stateful_set("web", namespace)
    assert sts.spec.volume_claim_templates[0].spec.resources.requests == {"storage": "2Gi"}


def test_a_set_never_applied_gets_no_annotation(apps, core, namespace, kubeconfig, kubectl,
                                                capsys, tmp_path):
    from helpers import create_settled
    create_settled(apps, core, namespace, replicas=1)
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "resize", "web", "--size",
                 "2Gi", "--yes", "--backup", str(tmp_path / "web.json")])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "last-applied-configuration" not in stdout
    assert "in your manifest, set volumeClaimTemplates data spec.resources.requests.storage " \
        "to 2Gi" in stdout
    meta = apps.read_namespaced_stateful_set("web", namespace).metadata
    assert LAST_APPLIED not in (meta.annotations or {})
