"""Distribution: the krew release archive (reproducible, installable as krew installs it),
krew-manifest.yaml against krew's rules, and the sdist and wheel that pip installs."""

import copy
import email.parser
import fnmatch
import glob
import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from typing import Any, Dict, Tuple

import pytest
import yaml

from kubectl_sts import __version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_release  # noqa: E402


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    """The bytes of the regular file `name` in `tar` (None from extractfile would be a failure)."""
    f = tar.extractfile(name)
    assert f is not None, name
    return f.read()


def _extract(tar, dest):
    """Unpack with the "data" filter where Python has it (3.12, and 3.9.17+ backports): what
    3.14 does by default, and no DeprecationWarning on 3.12 and 3.13."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
    else:
        tar.extractall(dest)


MANIFEST = os.path.join(ROOT, "krew-manifest.yaml")


def cache_dir(request, name):
    """A folder kept between runs: in pytest's cache, else in the temporary folder."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return str(cache.mkdir(name))
    import tempfile
    folder = os.path.join(tempfile.gettempdir(), name)
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def wheel_cache(request):
    """Downloaded wheels, kept between runs."""
    return cache_dir(request, "kubectl-sts-wheels")


@pytest.fixture(scope="module")
def builds(tmp_path_factory, wheel_cache):
    """The release built twice, into two folders."""
    return [build_release.build(str(tmp_path_factory.mktemp("build%d" % i)), wheel_cache)
            for i in (1, 2)]


@pytest.fixture(scope="module")
def built(builds):
    return builds[0]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def system_python():
    """A python3 without this venv's packages, so the zipapp's own imports are tested."""
    for candidate in ("/usr/bin/python3", os.path.realpath(sys.executable)):
        if os.path.exists(candidate):
            return candidate
    return sys.executable


# -- the archive ----------------------------------------------------------------------------

def test_two_builds_give_the_same_sha256(builds):
    a, b = builds
    assert a["sha256"] == b["sha256"]
    assert read(a["archive"]) == read(b["archive"])
    assert read(a["zipapp"]) == read(b["zipapp"])
    assert hashlib.sha256(read(a["archive"])).hexdigest() == a["sha256"]


def test_archive_holds_the_executable_the_licence_and_the_readme(built):
    data = read(built["archive"])
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"      # gzip, mtime 0
    with tarfile.open(built["archive"], "r:gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["LICENSE", "README.md", "kubectl-sts"]
        for m in members:
            assert m.isreg() and m.uid == 0 and m.gid == 0 and m.mtime == members[0].mtime
        modes = {m.name: m.mode for m in members}
        assert modes == {"LICENSE": 0o644, "README.md": 0o644, "kubectl-sts": 0o755}
        assert _member(tar, "LICENSE") == read(os.path.join(ROOT, "LICENSE"))
        assert _member(tar, "README.md") == read(os.path.join(ROOT, "README.md"))
        assert _member(tar, "kubectl-sts") == read(built["zipapp"])


def test_zipapp_is_self_contained_and_pure(built):
    data = read(built["zipapp"])
    assert data.startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert len({i.date_time for i in infos}) == 1
    assert "__main__.py" in names
    for required in ("kubectl_sts/cli/app.py", "kubectl_sts/commands/completion.py",
                     "kubectl_sts_sandbox/__init__.py",
                     "kubectl_sts_sandbox/openapi_v3/apis__apps__v1_openapi.json",
                     "kubernetes/client/__init__.py", "yaml/__init__.py", "click/__init__.py",
                     "urllib3/__init__.py", "tabulate/__init__.py", "certifi/cacert.pem"):
        assert required in names
    assert not [n for n in names if n.endswith((".pyc", ".so", ".pyd", ".dylib", ".dll"))]
    assert not [n for n in names if "__pycache__" in n or n.startswith("_yaml/")]
    assert not [n for n in names if n.startswith("tests/")]


def test_zipapp_runs_with_system_python_and_imports_from_the_zip(built, tmp_path):
    python = system_python()
    out = subprocess.run([python, built["zipapp"], "--version"], capture_output=True, text=True,
                         timeout=60, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kubectl-sts %s" % __version__
    probe = ("import sys; sys.path.insert(0, sys.argv[1]);"
             "import kubernetes.client, kubernetes.config, yaml, click, urllib3, requests;"
             "import kubectl_sts.cli.app, kubectl_sts.client.connection, kubectl_sts_sandbox;"
             "import kubectl_sts.commands.status, kubectl_sts.commands.completion;"
             "mods = [kubernetes, yaml, click, urllib3, requests, kubectl_sts.cli.app];"
             "assert all(m.__file__.startswith(sys.argv[1] + '/') for m in mods), mods;"
             "print(yaml.__with_libyaml__)")
    out = subprocess.run([python, "-I", "-c", probe, built["zipapp"]], capture_output=True,
                         text=True, timeout=60, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"       # PyYAML's pure-Python parser


def test_zipapp_unpacks_once_and_runs_compiled_from_its_cache(built, tmp_path):
    """The first run unpacks the zip under $XDG_CACHE_HOME/kubectl-sts/zipapp/<build> and
    compiles the start-up path; later runs import that bytecode, even with
    PYTHONDONTWRITEBYTECODE set. No writable cache: it runs from the zip."""
    python = system_python()
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1",
               KUBECACHEDIR=str(tmp_path / "kube"))
    env.pop("PYTHONPATH", None)
    first = subprocess.run([python, built["zipapp"], "--version"], capture_output=True,
                           text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert first.returncode == 0 and first.stdout.strip() == "kubectl-sts %s" % __version__
    builds = list((tmp_path / "cache" / "kubectl-sts" / "zipapp").iterdir())
    assert [b.name.split("-")[0] for b in builds] == [__version__]      # no staging left
    unpacked = builds[0]
    assert (unpacked / ".complete").is_file()
    tag = "cpython-%d%d" % tuple(int(x) for x in subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
        text=True, check=True).stdout.split())
    assert (unpacked / "kubectl_sts" / "cli" / "__pycache__" / ("app.%s.pyc" % tag)).is_file()
    assert (unpacked / "click" / "__pycache__" / ("core.%s.pyc" % tag)).is_file()
    verbose = subprocess.run([python, "-v", built["zipapp"], "status", "--help"],
                             capture_output=True, text=True, env=env, timeout=60,
                             cwd=str(tmp_path))
    assert verbose.returncode == 0 and "Examples:" in verbose.stdout
    assert "code object from '%s/kubectl_sts/cli/__pycache__/app.%s.pyc'" % (unpacked, tag) \
        in verbose.stderr
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    env["XDG_CACHE_HOME"] = str(blocked)
    fallback = subprocess.run([python, built["zipapp"], "status", "--help"], capture_output=True,
                              text=True, env=env, timeout=60, cwd=str(tmp_path))
    assert fallback.returncode == 0 and "Examples:" in fallback.stdout, fallback.stderr


def _unpack_once(built, tmp_path):
    """Run the zipapp once with its cache under tmp_path; the environment and the unpacked
    copy of the build."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"),
               KUBECACHEDIR=str(tmp_path / "kube"))
    env.pop("PYTHONPATH", None)
    first = subprocess.run([system_python(), built["zipapp"], "--version"], capture_output=True,
                           text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert first.returncode == 0, first.stderr
    base = tmp_path / "cache" / "kubectl-sts" / "zipapp"
    (unpacked,) = list(base.iterdir())
    return env, unpacked


PLANTED_START = "import sys\ndef run():\n    print('PLANTED')\n    sys.exit(0)\n"


def _plant_start(folder):
    """A modified start.py in an unpacked copy (its bytecode removed, so it runs)."""
    (folder / "kubectl_sts" / "cli" / "start.py").write_text(PLANTED_START)
    for pyc in (folder / "kubectl_sts" / "cli" / "__pycache__").glob("start.*"):
        pyc.unlink()


def _reseal(built, folder, build):
    """What one who can write the folder would do: seal the modified tree again, with the
    bootstrap's own code."""
    with zipfile.ZipFile(built["zipapp"]) as zf:
        main = zf.read("__main__.py").decode()
    namespace: Dict[str, Any] = {"__name__": "bootstrap"}
    exec(main.split("\n_archive = ")[0], namespace)
    namespace["BUILD"] = build
    seal = namespace["_seal"](str(folder)) if "_seal" in namespace else ""
    (folder / ".complete").write_text(seal)


def _version(built, env, tmp_path):
    out = subprocess.run([system_python(), built["zipapp"], "--version"], capture_output=True,
                         text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_zipapp_cache_is_private_and_sealed(built, tmp_path):
    env, unpacked = _unpack_once(built, tmp_path)
    for folder in (unpacked, unpacked.parent, unpacked.parent.parent):
        assert os.stat(str(folder)).st_mode & 0o777 == 0o700, folder
    assert (unpacked / ".complete").read_text().splitlines()[0] == unpacked.name
    assert _version(built, env, tmp_path) == "kubectl-sts %s\n" % __version__


def test_a_tampered_zipapp_cache_does_not_run(built, tmp_path):
    """A changed start.py in the unpacked copy: the seal no longer matches, it runs from the
    zip."""
    env, unpacked = _unpack_once(built, tmp_path)
    _plant_start(unpacked)
    assert _version(built, env, tmp_path) == "kubectl-sts %s\n" % __version__


@pytest.mark.parametrize("how", ["group writable", "world writable", "symlink", "another build"])
def test_a_planted_zipapp_cache_does_not_run(built, tmp_path, how):
    """A copy others could write, or planted as a symlink, or another build's copy under this
    build's name: not used, even sealed anew."""
    env, unpacked = _unpack_once(built, tmp_path)
    if how == "symlink":
        planted = tmp_path / "planted"
        shutil.copytree(str(unpacked), str(planted))
        shutil.rmtree(str(unpacked))
        os.symlink(str(planted), str(unpacked))
        _plant_start(planted)
        _reseal(built, planted, unpacked.name)
    elif how == "another build":
        _plant_start(unpacked)
        _reseal(built, unpacked, unpacked.name.rsplit("-", 1)[0] + "-0123456789abcdef")
    else:
        _plant_start(unpacked)
        _reseal(built, unpacked, unpacked.name)
        unpacked.chmod(0o770 if how == "group writable" else 0o707)
    assert _version(built, env, tmp_path) == "kubectl-sts %s\n" % __version__
    if how.endswith("writable"):        # the same copy, private again: the user's own, used
        unpacked.chmod(0o700)
        assert _version(built, env, tmp_path) == "PLANTED\n"


def test_zipapp_refuses_an_old_python_clearly():
    assert "sys.version_info < (3, 9)" in build_release.MAIN


# -- the manifest: krew's rules -------------------------------------------------------------

SUPPORTED = {"linux": {"386", "amd64", "arm", "arm64", "ppc64le"},
             "darwin": {"386", "amd64", "arm64"},
             "windows": {"386", "amd64", "arm64"}}
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {"COM%d" % i for i in range(1, 10)} | \
    {"LPT%d" % i for i in range(1, 10)}
LICENCES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt")
SEMVER = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")
FIELDS = {
    "top": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "annotations", "labels"},
    "spec": {"version", "homepage", "shortDescription", "description", "caveats", "platforms"},
    "platform": {"selector", "uri", "sha256", "files", "bin"},
    "selector": {"matchLabels", "matchExpressions"},
    "file": {"from", "to"},
}


def _unknown(where, mapping, allowed):
    if not isinstance(mapping, dict):
        return ["%s: not a mapping" % where]
    return ["%s: unknown field %r" % (where, k) for k in sorted(set(mapping) - allowed)]


def _selected_pairs(selector):
    labels = selector.get("matchLabels") or {}
    pairs = set()
    for os_name, arches in SUPPORTED.items():
        for arch in arches:
            if labels.get("os", os_name) == os_name and labels.get("arch", arch) == arch:
                pairs.add((os_name, arch))
    return pairs


def validate_manifest(doc, filename="sts.yaml", archives=None):
    """krew's validation (rules 1-9 of ../shared/docs/kubectl-plugin.md) as a list of errors.
    `archives` maps uri -> local file for rule 8 (the install of every platform)."""
    errors = _unknown("manifest", doc, FIELDS["top"])
    if not isinstance(doc, dict):
        return errors
    # 1
    if doc.get("apiVersion") != "krew.googlecontainertools.github.com/v1alpha2":
        errors.append("rule 1: apiVersion %r" % doc.get("apiVersion"))
    if doc.get("kind") != "Plugin":
        errors.append("rule 1: kind %r" % doc.get("kind"))
    metadata = doc.get("metadata") or {}
    errors += _unknown("metadata", metadata, FIELDS["metadata"])
    name = metadata.get("name") if isinstance(metadata, dict) else None
    # 2
    if not filename.endswith(".yaml") or filename[:-len(".yaml")] != name:
        errors.append("rule 2: the file for %r must be named %r" % (name, "%s.yaml" % name))
    # 3
    if not isinstance(name, str) or not re.match(r"^[\w-]+$", name):
        errors.append("rule 3: invalid name %r" % name)
    elif name.upper() in RESERVED:
        errors.append("rule 3: reserved name %r" % name)
    spec = doc.get("spec") or {}
    errors += _unknown("spec", spec, FIELDS["spec"])
    if not isinstance(spec, dict):
        return errors
    # 4
    short = spec.get("shortDescription")
    if not isinstance(short, str) or not short.strip() or "\n" in short.strip():
        errors.append("rule 4: shortDescription must be one non-empty line")
    elif len(short) > 50:
        errors.append("rule 4: shortDescription longer than 50 characters")
    # 5
    if not isinstance(spec.get("version"), str) or not SEMVER.match(spec["version"]):
        errors.append("rule 5: version %r is not v-prefixed strict semver"
                      % spec.get("version"))
    # 6, 7, 8
    platforms = spec.get("platforms")
    if not isinstance(platforms, list) or not platforms:
        errors.append("rule 6: no platforms")
        return errors
    seen: Dict[Tuple[str, str], int] = {}
    for n, p in enumerate(platforms):
        where = "platform %d" % n
        errors += _unknown(where, p, FIELDS["platform"])
        if not isinstance(p, dict):
            continue
        if not p.get("uri"):
            errors.append("rule 6: %s: empty uri" % where)
        if not isinstance(p.get("sha256"), str) or not re.match(r"^[a-f0-9]{64}$", p["sha256"]):
            errors.append("rule 6: %s: sha256 %r" % (where, p.get("sha256")))
        if not p.get("bin"):
            errors.append("rule 6: %s: empty bin" % where)
        files = p.get("files")
        if files is not None:
            if not isinstance(files, list) or not files:
                errors.append("rule 6: %s: files is empty" % where)
                files = []
            for f in files:
                errors += _unknown(where + " files", f, FIELDS["file"])
                if not isinstance(f, dict) or not f.get("from") or not f.get("to"):
                    errors.append("rule 6: %s: files entry without from/to" % where)
                    continue
                to = f["to"]
                if os.path.isabs(to) or os.path.normpath(to) != to or to.startswith(".."):
                    errors.append("rule 6: %s: 'to' %r is not a clean relative path"
                                  % (where, to))
        selector = p.get("selector")
        if not isinstance(selector, dict) or not selector:
            errors.append("rule 7: %s: empty selector" % where)
            continue
        errors += _unknown(where + " selector", selector, FIELDS["selector"])
        if selector.get("matchExpressions"):
            errors.append("rule 7: %s: use matchLabels os/arch only" % where)
        labels = selector.get("matchLabels") or {}
        if not labels or set(labels) - {"os", "arch"}:
            errors.append("rule 7: %s: selector keys must be os and arch" % where)
        pairs = _selected_pairs(selector)
        if not pairs:
            errors.append("rule 7: %s: matches no supported os/arch" % where)
        for pair in pairs:
            if pair in seen:
                errors.append("rule 7: %s/%s matched by platforms %d and %d"
                              % (pair + (seen[pair], n)))
            seen[pair] = n
        if archives is not None and p.get("uri") and not any("rule 6: " + where in e
                                                              for e in errors):
            if p["uri"] not in archives:
                errors.append("rule 8: %s: cannot fetch %s" % (where, p["uri"]))
            else:
                try:
                    krew_install(p, archives[p["uri"]], None)
                except InstallError as exc:
                    errors.append("rule 8: %s: %s" % (where, exc))
    return errors


class InstallError(Exception):
    pass


def krew_install(platform_entry, archive, target):
    """Install one platform as krew does: check the sha256, extract (format detected from
    the content), apply `files`, then find `bin` and a licence. Returns the bin's path."""
    import tempfile
    data = read(archive)
    if hashlib.sha256(data).hexdigest() != platform_entry["sha256"]:
        raise InstallError("sha256 mismatch for %s" % archive)
    work = tempfile.mkdtemp(prefix="krew-")
    try:
        staging = os.path.join(work, "download")
        os.makedirs(staging)
        if data[:2] == b"\x1f\x8b":
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for m in tar.getmembers():
                    if m.name.startswith("/") or ".." in m.name.split("/"):
                        raise InstallError("unsafe path %s" % m.name)
                _extract(tar, staging)
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                zf.extractall(staging)
        else:
            raise InstallError("neither a zip nor a gzipped tar")
        install = target or os.path.join(work, "install")
        os.makedirs(install, exist_ok=True)
        rules = platform_entry.get("files") or [{"from": "*", "to": "."}]
        for rule in rules:
            matches = sorted(glob.glob(os.path.join(staging, rule["from"])))
            if not matches:
                raise InstallError("files: %r matches nothing in the archive" % rule["from"])
            dest = os.path.join(install, rule["to"])
            os.makedirs(dest, exist_ok=True)
            for src in matches:
                shutil.move(src, os.path.join(dest, os.path.basename(src)))
        binary = os.path.join(install, platform_entry["bin"])
        if not os.path.isfile(binary):
            raise InstallError("bin %r is not in the installed files" % platform_entry["bin"])
        installed = [os.path.basename(p) for p in glob.glob(os.path.join(install, "**"),
                                                             recursive=True)]
        if not any(fnmatch.fnmatch(f, pattern) for f in installed for pattern in LICENCES):
            raise InstallError("no licence file among the installed files")
        return binary
    finally:
        if target is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(os.path.join(work, "download"), ignore_errors=True)


@pytest.fixture(scope="module")
def manifest():
    with open(MANIFEST) as f:
        return yaml.safe_load(f)


def test_manifest_passes_every_rule(manifest, built):
    archives = {p["uri"]: built["archive"] for p in manifest["spec"]["platforms"]}
    assert validate_manifest(manifest, "sts.yaml", archives) == []


def test_manifest_platforms_and_caveat(manifest):
    pairs = sorted((p["selector"]["matchLabels"]["os"], p["selector"]["matchLabels"]["arch"])
                   for p in manifest["spec"]["platforms"])
    assert pairs == [("darwin", "amd64"), ("darwin", "arm64"), ("linux", "amd64"),
                     ("linux", "arm64")]
    assert "python3 >= 3.9" in manifest["spec"]["caveats"]
    for p in manifest["spec"]["platforms"]:
        assert p["uri"].startswith("https://github.com/") and p["bin"] == "kubectl-sts"


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value


BROKEN = [
    ("rule 1", ("apiVersion",), "krew.googlecontainertools.github.com/v1alpha1"),
    ("rule 1", ("kind",), "Plugins"),
    ("rule 3", ("metadata", "name"), "sts/x"),
    ("rule 3", ("metadata", "name"), "COM1"),
    ("rule 4", ("spec", "shortDescription"), ""),
    ("rule 4", ("spec", "shortDescription"), "two\nlines"),
    ("rule 4", ("spec", "shortDescription"), "x" * 51),
    ("rule 5", ("spec", "version"), "v1.0"),
    ("rule 5", ("spec", "version"), "1.0.0"),
    ("rule 6", ("spec", "platforms"), []),
    ("rule 6", ("spec", "platforms", 0, "uri"), ""),
    ("rule 6", ("spec", "platforms", 0, "sha256"), "A" * 64),
    ("rule 6", ("spec", "platforms", 0, "sha256"), "abc"),
    ("rule 6", ("spec", "platforms", 0, "bin"), ""),
    ("rule 6", ("spec", "platforms", 0, "files"), []),
    ("rule 6", ("spec", "platforms", 0, "files", 0, "to"), "../outside"),
    ("rule 6", ("spec", "platforms", 0, "files", 0, "to"), KeyError),
    ("rule 7", ("spec", "platforms", 0, "selector"), {}),
    ("rule 7", ("spec", "platforms", 0, "selector", "matchLabels", "os"), "plan9"),
    ("rule 7", ("spec", "platforms", 0, "selector", "matchLabels", "distro"), "debian"),
    ("rule 7", ("spec", "platforms", 1, "selector", "matchLabels", "arch"), "amd64"),
    ("rule 8", ("spec", "platforms", 0, "bin"), "kubectl-sts.exe"),
    ("rule 8", ("spec", "platforms", 0, "files"), [{"from": "kubectl-sts", "to": "."}]),
    ("rule 8", ("spec", "platforms", 0, "files", 0, "from"), "nothing-*"),
    ("rule 8", ("spec", "platforms", 0, "sha256"), "0" * 64),
    ("unknown field", ("spec", "homePage"), "https://example.invalid"),
    ("unknown field", ("spec", "platforms", 0, "binary"), "kubectl-sts"),
    ("unknown field", ("metadata", "namespace"), "krew"),
    ("unknown field", ("extra",), 1),
]


@pytest.mark.parametrize("rule, path, value", BROKEN,
                         ids=["%s-%s" % (r, "-".join(map(str, p))) for r, p, _ in BROKEN])
def test_manifest_check_rejects(manifest, built, rule, path, value):
    doc = copy.deepcopy(manifest)
    _set(doc, path, value)
    archives = {p["uri"]: built["archive"] for p in manifest["spec"]["platforms"]}
    errors = validate_manifest(doc, "sts.yaml", archives)
    assert any(rule in e for e in errors), errors


def test_manifest_file_name_rule(manifest):
    assert any("rule 2" in e for e in validate_manifest(manifest, "sts.yml"))
    assert any("rule 2" in e for e in validate_manifest(manifest, "kubectl-sts.yaml"))


def test_manifest_matches_the_build(manifest, built):
    """The build writes version and sha256; they drift when the sources change."""
    fix = "run `python3 tools/build_release.py --write-manifest` and commit krew-manifest.yaml"
    assert manifest["spec"]["version"] == "v" + __version__, fix
    for p in manifest["spec"]["platforms"]:
        assert p["sha256"] == built["sha256"], "krew-manifest.yaml's sha256 drifted: " + fix
        assert "/v%s/" % __version__ in p["uri"], fix
    assert read(MANIFEST).decode() == build_release.render_manifest(built["sha256"],
                                                                    __version__), fix


# -- installing as krew does, then running through the real kubectl ------------------------

def _this_platform(manifest):
    os_name = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64",
            "arm64": "arm64"}.get(platform.machine().lower())
    for p in manifest["spec"]["platforms"]:
        if (os_name, arch) in _selected_pairs(p["selector"]):
            return p
    pytest.skip("no platform entry for %s/%s" % (os_name, arch))


@pytest.mark.kubectl
def test_krew_style_install_runs_through_kubectl(manifest, built, tmp_path, kubectl_bin,
                                                 kubeconfig, namespace, kubectl):
    entry = _this_platform(manifest)
    store = tmp_path / "store" / "sts" / manifest["spec"]["version"]
    binary = krew_install(entry, built["archive"], str(store))
    assert os.access(binary, os.X_OK)
    assert os.path.exists(store / "LICENSE")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(binary, str(bindir / "kubectl-sts"))             # what krew links
    os.symlink("kubectl-sts", str(bindir / "kubectl_complete-sts"))  # the README's step
    tools = tmp_path / "tools"                                  # only python3 and kubectl
    tools.mkdir()
    os.symlink(system_python(), str(tools / "python3"))
    os.symlink(kubectl_bin, str(tools / "kubectl"))
    env = {"PATH": "%s:%s" % (bindir, tools), "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    def kubectl_sts(*args):
        return subprocess.run(["kubectl"] + list(args), capture_output=True, text=True,
                              env=env, timeout=60, cwd=str(tmp_path))

    out = kubectl_sts("sts", "--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kubectl-sts %s" % __version__

    created = kubectl("apply", "-f", "-", input=STATEFULSET)
    assert created.returncode == 0, created.stderr
    out = kubectl_sts("sts", "status", "web", "--kubeconfig", kubeconfig, "-n", namespace)
    assert out.returncode == 0, out.stderr
    assert "StatefulSet %s/web" % namespace in out.stdout
    assert "web-0.web.%s.svc" % namespace in out.stdout
    out = kubectl_sts("sts", "status", "--kubeconfig", kubeconfig, "-n", namespace)
    assert out.returncode == 0, out.stderr
    assert "web" in out.stdout

    # kubectl's plugin completion through the linked kubectl_complete-sts
    out = kubectl_sts("__complete", "sts", "status", "--kubeconfig", kubeconfig, "-n",
                      namespace, "w")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == ["web", ":4"]


STATEFULSET = """
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "registry.k8s.io/pause:3.9"}
"""


# -- pip: sdist and wheel -------------------------------------------------------------------

@pytest.fixture(scope="module")
def build_env(request, tmp_path_factory):
    """setuptools and wheel (pyproject.toml's build requirements) in a folder of their own,
    as `python -m build` would set up, cached between runs."""
    # one per Python: setuptools' vendored packages differ by version (3.9 needs its own)
    folder = cache_dir(request, "kubectl-sts-buildenv-py%d%d" % sys.version_info[:2])
    if not os.path.exists(os.path.join(folder, "setuptools", "build_meta.py")):
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                        "--disable-pip-version-check", "--target", folder,
                        "setuptools>=61", "wheel"], check=True, timeout=300)
    return folder


def _hook(build_env, source, hook, out):
    code = ("import sys, setuptools.build_meta as b; print(b.%s(sys.argv[1]))" % hook)
    result = subprocess.run([sys.executable, "-c", code, out], cwd=source, capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, PYTHONPATH=build_env))
    assert result.returncode == 0, result.stderr[-3000:]
    return os.path.join(out, result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dists(build_env, tmp_path_factory):
    """The sdist, built from a copy of the tree, and the wheel built from that sdist."""
    tmp = tmp_path_factory.mktemp("pip")
    source = str(tmp / "src")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", ".pytest_cache", "*.egg-info", "__pycache__",
        "*.pyc", "*.tar.gz", "*.pyz"))
    out = str(tmp / "out")
    os.makedirs(out)
    sdist = _hook(build_env, source, "build_sdist", out)
    with tarfile.open(sdist) as tar:
        _extract(tar, str(tmp / "unpacked"))
    unpacked = glob.glob(str(tmp / "unpacked" / "*"))[0]
    wheel = _hook(build_env, unpacked, "build_wheel", out)
    return sdist, wheel


def _check_metadata(meta):
    assert meta["Name"] == "kubectl-sts"
    assert meta["Version"] == __version__
    assert meta["Summary"]
    assert meta["License"] == "Apache-2.0" or meta.get("License-Expression") == "Apache-2.0"
    classifiers = meta.get_all("Classifier")
    assert "License :: OSI Approved :: Apache Software License" in classifiers
    for minor in range(9, 14):
        assert "Programming Language :: Python :: 3.%d" % minor in classifiers
    assert meta["Requires-Python"] == ">=3.9"
    assert meta["Description-Content-Type"] == "text/markdown"
    description = meta.get_payload() or meta["Description"]
    assert description.strip().startswith("# kubectl-sts")
    assert "## Install" in description
    requires = " ".join(meta.get_all("Requires-Dist"))
    for dep in ("kubernetes", "click", "pyyaml"):
        assert dep in requires.lower()


def test_sdist_metadata_and_contents(dists):
    sdist, _ = dists
    assert os.path.basename(sdist) in ("kubectl-sts-%s.tar.gz" % __version__,
                                       "kubectl_sts-%s.tar.gz" % __version__)
    with tarfile.open(sdist) as tar:
        names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
        top = tar.getnames()[0].split("/")[0]
        meta = email.parser.Parser().parsestr(
            _member(tar, top + "/PKG-INFO").decode())
    for required in ("LICENSE", "README.md", "setup.cfg", "pyproject.toml",
                     "kubectl_sts/cli/app.py", "kubectl_sts/commands/completion.py",
                     "kubectl_sts_sandbox/__init__.py", "kubectl_sts_sandbox/openapi_v3/PROVENANCE",
                     "kubectl_sts_sandbox/openapi_v3/api__v1_openapi.json"):
        assert required in names
    _check_metadata(meta)


def _tracked(*folders):
    result = subprocess.run(["git", "ls-files", "--"] + list(folders), cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip("not a git checkout: %s" % result.stderr.strip()[:200])
    return [n for n in result.stdout.splitlines() if os.path.exists(os.path.join(ROOT, n))]


def test_sdist_carries_the_tests_examples_and_tools(dists):
    """Every tracked file the tests and the README need is in the sdist."""
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    wanted = _tracked("tests", "examples", "docs", "tools", "bench", "bin") + ["krew-manifest.yaml"]
    assert "tests/conftest.py" in wanted and "examples/web.yaml" in wanted
    assert sorted(set(wanted) - names) == []
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_tests_run_from_the_unpacked_sdist(dists, tmp_path):
    """A few of the suite's files, run from the unpacked sdist with the wheel it builds
    installed: the pure core, the sandbox with an example manifest, and the CLI."""
    sdist, wheel = dists
    with tarfile.open(sdist) as tar:
        _extract(tar, str(tmp_path))
    unpacked = glob.glob(str(tmp_path / "*"))[0]
    target = str(tmp_path / "site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-compile", "--disable-pip-version-check", "--target", target, wheel],
                   check=True, timeout=120)
    env = dict(os.environ, PYTHONPATH=target, PATH=os.path.join(target, "bin") + os.pathsep +
               os.environ.get("PATH", ""))
    env.pop("KUBECTL_STS_TEST_KUBECONFIG", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/test_render.py", "tests/test_output.py",
                             "tests/test_status_view.py", "tests/test_cli.py",
                             "-k", "not zipapp"], cwd=unpacked, capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]


def test_wheel_metadata_entry_points_and_console_scripts(dists, tmp_path):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = [n for n in names if n.endswith(".dist-info/METADATA")][0]
        meta = email.parser.Parser().parsestr(zf.read(info).decode())
        entry_points = zf.read(info.replace("METADATA", "entry_points.txt")).decode()
    _check_metadata(meta)
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names)
    assert not [n for n in names if n.startswith("tests/")]
    assert "kubectl-sts = kubectl_sts.cli.start:main" in entry_points
    assert "kubectl_complete-sts = kubectl_sts.cli.app:complete_main" in entry_points

    # pip installs both executables; they run with this interpreter's dependencies
    target = str(tmp_path / "site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-compile", "--disable-pip-version-check", "--target", target, wheel],
                   check=True, timeout=120)
    env = dict(os.environ, PYTHONPATH=target)
    out = subprocess.run([os.path.join(target, "bin", "kubectl-sts"), "--version"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "kubectl-sts %s" % __version__
    out = subprocess.run([os.path.join(target, "bin", "kubectl_complete-sts"), "sta"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0
    assert out.stdout == "status\n:4\n"
    # the sandbox's OpenAPI documents are package data the installed sandbox finds
    out = subprocess.run([sys.executable, "-c", "from kubectl_sts_sandbox import openapi; "
                          "print(sorted(openapi.document('apps', 'v1')['paths'])[0])"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout == "/apis/apps/v1/\n", out.stderr


# -- CI and README --------------------------------------------------------------------------

def test_ci_workflow_runs_the_suite_and_a_kind_e2e_job():
    with open(os.path.join(ROOT, ".github", "workflows", "ci.yml")) as f:
        workflow = yaml.safe_load(f)
    jobs = workflow["jobs"]
    versions = jobs["test"]["strategy"]["matrix"]["python-version"]
    assert [str(v) for v in versions] == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    e2e = yaml.safe_dump(jobs["e2e"])
    assert "kind" in e2e and "KUBECTL_STS_TEST_KUBECONFIG" in e2e


def test_readme_documents_install_completion_and_release():
    text = read(os.path.join(ROOT, "README.md")).decode()
    for heading in ("## Install", "## Completion", "## Release"):
        assert heading in text
    for snippet in ("kubectl krew install", "pip install kubectl-sts",
                    "tools/build_release.py", "kubectl_complete-sts"):
        assert snippet in text
