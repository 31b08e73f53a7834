"""A kubeconfig's inline *-data fields (kubectl_sts/client/kubeconfig.py): decoded as Go
decodes base64 (line breaks ignored), and a bad one refused in one line that names the field
it is, with exit 7, before any request. Over plain http kubectl reads no credentials, so a bad
client-key-data there is no error."""

import base64
import os
import subprocess
import sys

import pytest
import yaml

from kubectl_sts.client.kubeconfig import b64_text, data_file
from kubectl_sts.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
GOOD = base64.b64encode(PEM.encode()).decode()


@pytest.mark.parametrize("text", [GOOD, GOOD[:20] + "\n" + GOOD[20:], GOOD[:8] + "\r\n" + GOOD[8:]])
def test_base64_data_decodes_with_line_breaks_ignored(text):
    assert b64_text(text) == PEM


@pytest.mark.parametrize("field", ["certificate-authority-data", "client-certificate-data",
                                   "client-key-data"])
@pytest.mark.parametrize("text", ["!!!notb64", "YWJj=x", base64.b64encode(b"\xff\xfe").decode()])
def test_bad_data_is_refused_naming_its_field(field, text):
    with pytest.raises(ConfigError) as exc:
        b64_text(text, field)
    assert str(exc.value) == "error: invalid kubeconfig: %s is not base64 PEM" % field
    with pytest.raises(ConfigError, match=field):
        data_file(text, field)


def test_data_file_holds_the_decoded_pem():
    path = data_file(GOOD, "client-certificate-data")
    assert path is not None
    with open(path) as f:
        assert f.read() == PEM


def kubeconfig(tmp_path, server, **user):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server,
                                               "certificate-authority-data": GOOD}}],
        "users": [{"name": "u", "user": dict(user)}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c"}))
    return str(path)


def status(path):
    return subprocess.run([sys.executable, "-m", "kubectl_sts", "--kubeconfig", path,
                           "--request-timeout", "2s", "status", "web"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("field", ["client-key-data", "client-certificate-data"])
def test_a_bad_client_credential_fails_in_one_line_naming_it(tmp_path, field):
    other = {"client-key-data": GOOD, "client-certificate-data": GOOD}
    other[field] = "!!!notb64"
    result = status(kubeconfig(tmp_path, "https://127.0.0.1:1", **other))
    assert result.returncode == 7, result.stderr
    assert result.stderr == "error: invalid kubeconfig: %s is not base64 PEM\n" % field


def test_over_plain_http_the_client_key_is_not_read(tmp_path):
    result = status(kubeconfig(tmp_path, "http://127.0.0.1:1", **{"client-key-data": "!!!"}))
    assert result.returncode == 5, result.stderr          # cannot reach the cluster, not exit 7
    assert "base64" not in result.stderr
