"""kubectl's cache directory and the plugin's entries in it (kubectl_sts/client/cache.py)."""

import os

import pytest

from kubectl_sts.client import cache


@pytest.mark.parametrize("server, expected", [
    ("https://127.0.0.1:6443", "127.0.0.1_6443"),
    ("http://localhost:8080", "localhost_8080"),
    ("https://my-cluster.example.com", "my_cluster.example.com"),     # as kubectl's discovery
    ("https://[::1]:6443/prefix", "___1__6443_prefix"),
    ("", "_"),
])
def test_one_directory_per_server_named_as_kubectl_names_them(server, expected):
    assert cache.server_directory(server) == expected


def test_the_directory_is_kubectls(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "env"))
    assert cache.cache_dir("/flag") == "/flag"
    assert cache.cache_dir(None) == str(tmp_path / "env")
    monkeypatch.delenv("KUBECACHEDIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir(None) == os.path.join(str(tmp_path), ".kube", "cache")


def test_entries_round_trip_and_a_bad_one_is_absent(tmp_path):
    path = cache.entry_path(str(tmp_path), "https://h:1", "statefulsets", "prod-1", "web")
    assert path == os.path.join(str(tmp_path), "kubectl-sts", "h_1", "statefulsets", "prod-1",
                                "web.json")
    assert cache.load(path) is None
    cache.store(path, {"pods": "app=web"})
    assert cache.load(path) == {"pods": "app=web"}
    assert os.listdir(os.path.dirname(path)) == ["web.json"]      # no temporary file left
    with open(path, "w") as f:
        f.write("{")
    assert cache.load(path) is None
    cache.store(os.path.join(path, "below-a-file.json"), {})      # cannot be written: ignored
