"""StorageClass and claim facts of the neutral layer (kubectl_sts/k8s/storage.py), used by the
plugin and the sandbox alike."""

from functools import partial

import pytest

from kubectl_sts.k8s.storage import class_of, default_class

from builders import storage_class


sc = partial(storage_class, default=True)


@pytest.mark.parametrize("classes, expected", [
    ([], None),
    ([sc("a", created="2026-01-01T00:00:00Z", default=False)], None),
    ([sc("old", created="2026-01-01T00:00:00Z"), sc("new", created="2026-02-01T00:00:00Z")], "new"),
    ([sc("b", created="2026-01-01T00:00:00Z"), sc("a", created="2026-01-01T00:00:00Z")], "a"),   # name first
    ([sc("beta", created="2026-01-01T00:00:00Z", beta=True)], "beta"),
])
def test_the_default_class_is_the_newest_then_the_first_name(classes, expected):
    found = default_class(classes)
    assert (found["metadata"]["name"] if found else None) == expected


@pytest.mark.parametrize("claim, expected", [
    ({"metadata": {}, "spec": {"storageClassName": "fast"}}, "fast"),
    ({"metadata": {"annotations": {"volume.beta.kubernetes.io/storage-class": "old"}},
      "spec": {"storageClassName": "fast"}}, "old"),
    ({"metadata": {}, "spec": {}}, ""),
    ({"metadata": {}, "spec": {"storageClassName": ""}}, ""),
])
def test_class_of_a_claim(claim, expected):
    assert class_of(claim) == expected
