"""Files an attacker can steer (issue 27): every private file the plugin and the sandbox write
(the sandbox's kubeconfig, resize's backup, the cache's entries) is a new 0600 file in 0700
folders, never written through a symlink planted at its temporary or its final path; the
kept top-level help is printed only from a trusted entry and with no control character."""

import json
import os
import stat
import subprocess
import sys

import pytest

from kubectl_sts.cli.app import main
from kubectl_sts.client import cache
from kubectl_sts.errors import EXIT_ERROR
from kubectl_sts_sandbox import write_kubeconfig

from helpers import create_settled

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VICTIM_TEXT = "the user's own file\n"


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _victim(tmp_path):
    """A file of the user's elsewhere, that planted links point to."""
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    victim.chmod(0o644)
    return victim


def _assert_private(tmp_path, victim, final, created):
    assert victim.read_text() == VICTIM_TEXT and _mode(str(victim)) == 0o644
    assert not os.path.islink(final) and os.path.isfile(final)
    assert _mode(final) == 0o600
    for folder in created:
        assert _mode(str(folder)) == 0o700, folder
    leftovers = [n for n in os.listdir(os.path.dirname(final))
                 if n not in (os.path.basename(final), os.path.basename(final) + ".tmp")]
    assert leftovers == []


WRITERS = {
    "sandbox kubeconfig": lambda path: write_kubeconfig(path, "https://127.0.0.1:1"),
    "cache entry": lambda path: cache.store(path, {"pods": "app=web"}),
    "cache text": lambda path: cache.store_text(path, "text\n"),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_planted_symlink_is_never_written_through(tmp_path, writer):
    final = str(tmp_path / "a" / "b" / "file")
    victim = _victim(tmp_path)
    WRITERS[writer](final)                      # new folders a/ and a/b/: 0700
    assert _mode(str(tmp_path / "a")) == 0o700 and _mode(str(tmp_path / "a" / "b")) == 0o700
    os.unlink(final)
    os.symlink(str(victim), final + ".tmp")     # the planted links
    os.symlink(str(victim), final)
    WRITERS[writer](final)
    _assert_private(tmp_path, victim, final, [tmp_path / "a", tmp_path / "a" / "b"])
    if writer == "cache entry":
        assert cache.load(final) == {"pods": "app=web"}


def test_a_planted_cache_entry_is_not_trusted(tmp_path):
    path = str(tmp_path / "entry.json")
    cache.store(path, {"pods": "app=web"})
    os.chmod(path, 0o666)                       # writable by others: anyone's content
    assert cache.load(path) is None
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"pods": "app=evil"}))
    os.unlink(path)
    os.symlink(str(other), path)
    assert cache.load(path) is None


def _failed_resize(sandbox, capsys, kubeconfig, namespace, size, backup):
    """`resize web` whose creates of the set fail: its backup is kept for --resume."""
    rule = sandbox.faults.add(status=500, method="POST", times=2,
                              path_regex=r"/namespaces/%s/statefulsets$" % namespace)
    try:
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "-n", namespace, "resize", "web", "--size",
                     size, "--yes", "--backup", backup])
        err = capsys.readouterr().err
    finally:
        sandbox.faults.remove(rule)
    assert code == EXIT_ERROR and "--resume (backup: %s)" % backup in err


def test_resize_backup_is_private_and_no_planted_symlink_is_followed(
        sandbox, apps, core, namespace, kubeconfig, capsys, tmp_path):
    create_settled(apps, core, namespace, replicas=2)
    final = str(tmp_path / "state" / "deep" / "web.json")
    victim = _victim(tmp_path)
    os.makedirs(str(tmp_path / "state"))
    os.chmod(str(tmp_path / "state"), 0o700)
    # the backup's folder does not exist yet: resize creates it; links planted in a folder
    # the user already has are the case below
    _failed_resize(sandbox, capsys, kubeconfig, namespace, "2Gi", final)
    assert _mode(final) == 0o600 and _mode(os.path.dirname(final)) == 0o700
    # again, with links planted at web.json.tmp and web.json: the backup is written, the
    # file they point to is not
    create_settled(apps, core, namespace, with_service=False, replicas=2)
    os.unlink(final)
    os.symlink(str(victim), final + ".tmp")
    os.symlink(str(victim), final)
    _failed_resize(sandbox, capsys, kubeconfig, namespace, "3Gi", final)
    _assert_private(tmp_path, victim, final, [os.path.dirname(final)])
    with open(final, encoding="utf-8") as f:
        assert json.load(f)["kind"] == "ResizeBackup"


# -- the kept top-level help ---------------------------------------------------------------

def _help(cache_dir):
    return subprocess.run([sys.executable, "-m", "kubectl_sts", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, PYTHONPATH=ROOT, KUBECACHEDIR=str(cache_dir),
                                   COLUMNS="100"))


def _kept(cache_dir):
    folder = cache_dir / "kubectl-sts" / "help"
    entries = list(folder.iterdir())
    assert len(entries) == 1
    return entries[0]


PLANTED = "\x1b]0;owned\x07\x1b[2J\x1b[31mUsage: rm -rf ~\x9b0m\x08\n"


@pytest.mark.parametrize("how", ["escape sequences", "group writable", "symlink"])
def test_a_planted_help_entry_is_not_printed(tmp_path, how):
    genuine = _help(tmp_path / "clean").stdout
    assert genuine.startswith("Usage: ") and "\x1b" not in genuine
    first = _help(tmp_path)
    assert first.stdout == genuine
    entry = _kept(tmp_path)
    assert _mode(str(entry)) == 0o600
    assert _mode(str(tmp_path / "kubectl-sts")) == 0o700
    assert _mode(str(tmp_path / "kubectl-sts" / "help")) == 0o700
    elsewhere = tmp_path / "planted.txt"
    if how == "escape sequences":       # the user's own entry, but not click's text
        entry.write_text(PLANTED)
    elif how == "group writable":
        entry.write_text("Usage: planted\n")
        entry.chmod(0o664)
    else:
        elsewhere.write_text("Usage: planted\n")
        entry.unlink()
        os.symlink(str(elsewhere), str(entry))
    result = _help(tmp_path)
    assert result.returncode == 0 and result.stdout == genuine
    assert "\x1b" not in result.stdout and "planted" not in result.stdout
    # rendered anew and kept again, as a private file (a planted link replaced, not followed)
    assert not entry.is_symlink() and entry.read_text() == genuine
    assert _mode(str(entry)) == 0o600
    if how == "symlink":
        assert elsewhere.read_text() == "Usage: planted\n"
