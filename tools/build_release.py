#!/usr/bin/env python3
"""Build the release archive that krew installs, reproducibly.

    python3 tools/build_release.py [--out dist] [--cache DIR] [--write-manifest]

Produces, under --out (default `dist/`, gitignored):
- `kubectl-sts`: one self-contained executable, a Python zip application
  (`#!/usr/bin/env python3`) carrying kubectl_sts, kubectl_sts_sandbox and their pure-Python
  dependencies at the versions pinned below; it needs only python3 >= 3.9.
- `kubectl-sts.tar.gz`: that executable, LICENSE and README.md, the archive a krew
  manifest points at.
With --write-manifest it also writes krew-manifest.yaml (version and sha256 included).

Reproducible: the dependencies are fixed wheels checked against their sha256; every zip and
tar entry has the same timestamp (SOURCE_DATE_EPOCH, default 1980-01-01), fixed
permissions and owner, sorted order; the gzip header carries no name and mtime 0; no .pyc
is written. Two builds of the same tree give the same bytes.

The wheels are fetched once with pip (`pip download`) into the cache directory.
"""

import argparse
import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "kubectl-sts"
ARCHIVE = NAME + ".tar.gz"
MIN_PYTHON = "3.9"
RELEASE_URL = "https://github.com/kubectl-sts/kubectl-sts/releases/download/v{version}/" + ARCHIVE
PACKAGES = ("kubectl_sts", "kubectl_sts_sandbox")   # what the zipapp carries of ours
ZIP_EPOCH = 315532800   # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold

# The zipapp's dependencies: pure Python, supporting Python 3.9, pinned with the sha256 of
# the wheel. kubernetes 35.0.0 is the last release supporting Python 3.9 that is pure
# Python throughout (36 needs 3.10; 37 pulls in pydantic and aiohttp, compiled); google-auth
# is an optional extra from 35 on and is left out (GKE's old auth-provider; exec plugins
# work without it). The rest is the transitive closure of kubernetes, click and tabulate.
PINS = [
    # (distribution, version, sha256 of the wheel)
    ("kubernetes", "35.0.0", "39e2b33b46e5834ef6c3985ebfe2047ab39135d41de51ce7641a7ca5b372a13d"),
    ("click", "8.1.8", "63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2"),
    ("tabulate", "0.9.0", "024ca478df22e9340661486f85298cff5f6dcdba14f3813e8830015b9ed1948f"),
    ("urllib3", "2.6.3", "bf272323e553dfb2e87d9bfd225ca7b0f467b919d7bbd355436d3fd37cb0acd4"),
    ("requests", "2.32.5", "2462f94637a34fd532264295e186976db0f5d453d1cdd31473c85a6a161affb6"),
    ("requests-oauthlib", "2.0.0",
     "7dd8a5c40426b779b0868c404bdef9768deccf22749cde15852df527e6269b36"),
    ("oauthlib", "3.3.1", "88119c938d2b8fb88561af5f6ee0eec8cc8d552b7bb1f712743136eb7523b7a1"),
    ("certifi", "2026.10.18",
     "73191c47aaa79da394e8fee2dbc2ec827432cab56311122c9e47abf79e390f62"),
    ("charset-normalizer", "3.5.2",
     "b6b751274acb69d77b3323d6b7dbaa3c7fdfc1eb829b7eb61d262f32e1af9685"),
    ("idna", "3.20", "ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c"),
    ("six", "1.17.0", "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"),
    ("python-dateutil", "2.9.0.post0",
     "a8b2bc7bffae282281c8140a97d3aa9c14da0b136dfe83f850eea9a5f7470427"),
    ("websocket-client", "1.9.0",
     "af248a825037ef591efbf6ed20cc5faa03d3b47b9e5a2230a529eeee1c1fc3ef"),
    ("durationpy", "0.11", "a739fe2b8972c250ff72f8e2c488d18cf25f7b852f49ee76048775d5171df30c"),
]
# PyYAML publishes no pure wheel: the build takes one fixed platform wheel and keeps only
# its Python files; without the C extension `yaml` falls back to its pure-Python parser.
PYYAML = ("pyyaml", "6.0.3", "0150219816b6a1fa26fb4699fb7daa9caf09eb1999f3b70fb6e786805e80375a",
          ["--implementation", "cp", "--abi", "cp39", "--platform", "manylinux2014_x86_64"])
BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".exe")

MAIN = '''\
"""kubectl-sts as one zip application (built by tools/build_release.py).

Python caches no bytecode for what it imports from a zip, so every start would compile the
plugin and click anew. The first run unpacks the archive once into a directory named after
this build (under $XDG_CACHE_HOME or ~/.cache, kubectl-sts/zipapp/), compiles it all and
seals it: .complete holds the build and, per top-level package, a digest of its files'
names, modes, sizes and times. Later runs use it only if it and the folders above it that
the bootstrap made are this user's, writable by nobody else and no symlink, and it holds the
build's packages and no other; each package's files are checked against the seal before
its first import (the start path checks only what it imports). Anything else, or a folder
that cannot be written, and it runs from the zip."""
import os
import sys

if sys.version_info < (3, 9):
    sys.exit("kubectl-sts needs python3 >= 3.9 (this is %d.%d)" % sys.version_info[:2])

BUILD = "{build}"


def _private(path):
    """A folder (not a symlink) of this user's that nobody else may write."""
    import stat
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & 0o022)


def _top(name):
    """The import name a top-level entry serves: six.py -> six, yaml -> yaml."""
    return name.split(".")[0]


def _digest(root, top):
    """A digest of the top-level entries serving `top` and every file under them: paths,
    modes, sizes, modification times; None if one is neither a file nor a folder."""
    import hashlib
    import stat
    digest = hashlib.sha256()
    pending = sorted((name for name in os.listdir(root)
                      if _top(name) == top and name != ".complete"), reverse=True)
    while pending:
        name = pending.pop()
        info = os.lstat(os.path.join(root, name))
        if stat.S_ISDIR(info.st_mode):
            digest.update(repr((name, "dir")).encode())
            pending.extend(sorted((os.path.join(name, child) for child in
                                   os.listdir(os.path.join(root, name))), reverse=True))
        elif stat.S_ISREG(info.st_mode):
            digest.update(repr((name, info.st_mode, info.st_size,
                                info.st_mtime_ns)).encode())
        else:
            return None
    return digest.hexdigest()


def _seal(root):
    """What .complete holds: the build (a digest of the archive's entries, from the archive
    running now), then each top-level package and the digest of its files."""
    lines = [BUILD]
    for top in sorted({_top(name) for name in os.listdir(root) if name != ".complete"}):
        digest = _digest(root, top)
        if digest is None:
            return None
        lines.append("%s %s" % (top, digest))
    return "\\n".join(lines) + "\\n"


def _read_seal(folders, target):
    """{package: digest} from a sealed copy of this build, or None: it or a folder above it
    is someone else's, writable by others, a symlink; or it is another build's, or holds a
    top-level entry the seal does not name."""
    if not all(_private(folder) for folder in folders + (target,)):
        return None
    try:
        fd = os.open(os.path.join(target, ".complete"),
                     os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd) as f:
            lines = f.read().splitlines()
        names = {_top(name) for name in os.listdir(target) if name != ".complete"}
        packages = dict(line.split(" ", 1) for line in lines[1:])
    except (OSError, ValueError):
        return None
    if not lines or lines[0] != BUILD:
        return None
    return packages if set(packages) == names else None


class _Verified:
    """Before the first import of a top-level package from the unpacked copy, its files are
    compared with the seal; on a difference every later import comes from the zip."""

    def __init__(self, archive, target, packages):
        self.archive, self.target, self.pending = archive, target, packages

    def find_spec(self, name, path=None, target=None):
        expected = self.pending.pop(name.partition(".")[0], None)
        if (expected is not None and self.target in sys.path
                and _digest(self.target, name.partition(".")[0]) != expected):
            sys.path[sys.path.index(self.target)] = self.archive
            self.pending = {}
        return None


def _unpacked(archive):
    """The sealed copy of this build and its packages' digests, unpacked if need be; None:
    run from the zip."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folders = (os.path.join(cache, "kubectl-sts"), os.path.join(cache, "kubectl-sts", "zipapp"))
    target = os.path.join(folders[1], BUILD)
    if os.path.lexists(target):
        return target, _read_seal(folders, target)
    import shutil
    import tempfile
    import zipfile
    try:
        os.makedirs(cache, exist_ok=True)
        for folder in folders:          # private: 0700, whatever the umask lets through
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                pass
        if not all(_private(folder) for folder in folders):
            return target, None
        staging = tempfile.mkdtemp(dir=folders[1], prefix=".unpack-")      # 0700
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(staging)
            import compileall       # all of it, even under PYTHONDONTWRITEBYTECODE: no
            compileall.compile_dir(staging, quiet=2)    # bytecode is written later
            seal = _seal(staging)
            if seal is None:
                return target, None
            fd = os.open(os.path.join(staging, ".complete"),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
            with os.fdopen(fd, "w") as f:
                f.write(seal)
            os.rename(staging, target)          # atomic; another run may have won the race
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except (OSError, zipfile.BadZipFile):
        pass
    return target, _read_seal(folders, target)


_archive = os.path.dirname(os.path.abspath(__file__))
if os.path.isfile(_archive) and sys.path and os.path.abspath(sys.path[0]) == _archive:
    _target, _packages = _unpacked(_archive)
    if _packages is not None:
        sys.path[0] = _target
        sys.dont_write_bytecode = True      # the sealed copy stays as sealed
        sys.meta_path.insert(0, _Verified(_archive, _target, _packages))

if os.path.basename(sys.argv[0]) == "kubectl_complete-sts":
    # kubectl's plugin completion: the same file linked as kubectl_complete-sts
    from kubectl_sts.cli.app import complete_main
    sys.exit(complete_main())

from kubectl_sts.cli.start import run

run()
'''


def log(message):
    print("build: " + message, file=sys.stderr, flush=True)


def normalize(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached(cache, name, version):
    for entry in sorted(os.listdir(cache)):
        parts = entry.split("-")
        if entry.endswith(".whl") and len(parts) >= 5 and normalize(parts[0]) == \
                normalize(name) and parts[1] == version:
            return os.path.join(cache, entry)
    return None


def fetch_wheels(cache):
    """The pinned wheels, downloaded with pip into `cache` if not there yet, sha256-checked."""
    os.makedirs(cache, exist_ok=True)
    pure_missing = [p for p in PINS if _cached(cache, p[0], p[1]) is None]
    base = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--python-version", MIN_PYTHON, "--dest", cache,
            "--disable-pip-version-check"]
    if pure_missing:
        log("downloading %d wheels with pip" % len(pure_missing))
        subprocess.run(base + ["--implementation", "py", "--abi", "none", "--platform", "any"]
                       + ["%s==%s" % (n, v) for n, v, _ in pure_missing], check=True)
    if _cached(cache, PYYAML[0], PYYAML[1]) is None:
        subprocess.run(base + PYYAML[3] + ["%s==%s" % (PYYAML[0], PYYAML[1])], check=True)
    wheels = []
    for name, version, digest in PINS + [PYYAML[:3]]:
        path = _cached(cache, name, version)
        if path is None:
            raise SystemExit("build: pip did not fetch %s==%s" % (name, version))
        actual = sha256_file(path)
        if actual != digest:
            raise SystemExit("build: %s has sha256 %s, pinned %s" % (path, actual, digest))
        wheels.append((name, path))
    return wheels


def wheel_files(name, path):
    """(archive name, bytes) of what a wheel installs into site-packages, without compiled
    code, scripts, caches or RECORD (which the pruning would make wrong)."""
    out = []
    with zipfile.ZipFile(path) as whl:
        for info in whl.infolist():
            arcname = info.filename
            if arcname.endswith("/"):
                continue
            parts = arcname.split("/")
            if parts[0].endswith(".data"):
                if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                    arcname = "/".join(parts[2:])
                else:
                    continue            # scripts, headers, data: not importable code
            if arcname.endswith((".pyc", "/RECORD", "/INSTALLER", "/REQUESTED")) or \
                    "__pycache__/" in arcname:
                continue
            if name == "pyyaml" and (arcname.startswith("_yaml/") or
                                     arcname.endswith(BINARY_SUFFIXES)):
                continue
            out.append((arcname, whl.read(info)))
    return out


def project_files():
    """The project's own packages' files (no caches)."""
    out = []
    for package in PACKAGES:
        for folder, dirs, files in os.walk(os.path.join(ROOT, package)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for fname in sorted(files):
                if fname.endswith((".pyc", ".pyo")):
                    continue
                full = os.path.join(folder, fname)
                arcname = os.path.relpath(full, ROOT).replace(os.sep, "/")
                with open(full, "rb") as f:
                    out.append((arcname, f.read()))
    return out


def source_date_epoch():
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return max(int(value), ZIP_EPOCH) if value else ZIP_EPOCH


def build_id(entries):
    """Names the unpacked copy of a build: a digest of every entry but __main__.py, and of
    the bootstrap's code (a new bootstrap never takes an older one's unpacked copy)."""
    digest = hashlib.sha256(MAIN.encode())
    for name, data in sorted(entries):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return "%s-%s" % (version(), digest.hexdigest()[:16])


def build_zipapp(entries, epoch):
    """The zip application's bytes: a shebang line, then a deterministic zip."""
    names = [name for name, _ in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit("build: two wheels install %s" % ", ".join(duplicates[:5]))
    binaries = [n for n in names if n.endswith(BINARY_SUFFIXES)]
    if binaries:
        raise SystemExit("build: compiled code would not run from the zip: %s"
                         % ", ".join(binaries))
    date_time = time.gmtime(epoch)[:6]
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100644 << 16)
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def build_tar_gz(members, epoch):
    """A gzipped tar of (name, bytes, mode), entries sorted, owner root, fixed mtime."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = epoch
            info.mode = mode
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def version():
    text = open(os.path.join(ROOT, "kubectl_sts", "__init__.py")).read()
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if found is None:
        sys.exit("build: no __version__ in kubectl_sts/__init__.py")
    return found.group(1)


def render_manifest(sha256, ver):
    """krew-manifest.yaml for this release: linux and darwin, amd64 and arm64."""
    platforms = []
    for os_name in ("linux", "darwin"):
        for arch in ("amd64", "arm64"):
            platforms.append(
                "  - selector:\n"
                "      matchLabels:\n"
                "        os: %s\n"
                "        arch: %s\n"
                "    uri: %s\n"
                "    sha256: \"%s\"\n"
                "    files:\n"
                "    - from: kubectl-sts\n"
                "      to: .\n"
                "    - from: LICENSE\n"
                "      to: .\n"
                "    - from: README.md\n"
                "      to: .\n"
                "    bin: kubectl-sts\n" % (os_name, arch, RELEASE_URL.format(version=ver),
                                            sha256))
    return (
        "# Written by `python3 tools/build_release.py --write-manifest`; do not edit the\n"
        "# version or sha256 by hand (tests/test_distribution.py checks them).\n"
        "apiVersion: krew.googlecontainertools.github.com/v1alpha2\n"
        "kind: Plugin\n"
        "metadata:\n"
        "  name: sts\n"
        "spec:\n"
        "  version: v%s\n"
        "  homepage: https://github.com/kubectl-sts/kubectl-sts\n"
        "  shortDescription: StatefulSet status, staged rollouts, safe scale\n"
        "  description: |\n"
        "    Shows every ordinal of a StatefulSet with its pod, revision, volumes and\n"
        "    stable DNS name; rolls new versions out one partition step at a time;\n"
        "    scales down with a report of which volumes are kept; grows the volumes\n"
        "    without a restart; restarts pods through the Eviction API; waits for a\n"
        "    rollout in CI and fails fast; repairs a stuck ordinal; and flags the\n"
        "    configuration hazards.\n"
        "  caveats: |\n"
        "    Requires python3 >= %s on PATH (the plugin is a Python zip application).\n"
        "    Shell completion of `kubectl sts`: see the README, section Completion.\n"
        "  platforms:\n" % (ver, MIN_PYTHON)) + "".join(platforms)


def build(out_dir, cache, write_manifest=False):
    """Build everything; returns {"zipapp", "archive", "sha256", "version", "seconds"}."""
    started = time.monotonic()
    epoch = source_date_epoch()
    entries = []
    for name, path in fetch_wheels(cache):
        entries.extend(wheel_files(name, path))
    entries.extend(project_files())
    entries.append(("__main__.py", MAIN.replace("{build}", build_id(entries)).encode()))
    zipapp = build_zipapp(entries, epoch)
    with open(os.path.join(ROOT, "LICENSE"), "rb") as f:
        licence = f.read()
    with open(os.path.join(ROOT, "README.md"), "rb") as f:
        readme = f.read()
    archive = build_tar_gz([(NAME, zipapp, 0o755), ("LICENSE", licence, 0o644),
                            ("README.md", readme, 0o644)], epoch)
    os.makedirs(out_dir, exist_ok=True)
    zipapp_path = os.path.join(out_dir, NAME)
    archive_path = os.path.join(out_dir, ARCHIVE)
    for path, data, mode in ((zipapp_path, zipapp, 0o755), (archive_path, archive, 0o644)):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    sha256 = hashlib.sha256(archive).hexdigest()
    ver = version()
    if write_manifest:
        with open(os.path.join(ROOT, "krew-manifest.yaml"), "w") as f:
            f.write(render_manifest(sha256, ver))
    return {"zipapp": zipapp_path, "archive": archive_path, "sha256": sha256, "version": ver,
            "size": len(archive), "seconds": time.monotonic() - started}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"),
                        help="output folder (default: dist/)")
    parser.add_argument("--cache", default=os.path.join(ROOT, "build", "wheels"),
                        help="where downloaded wheels are kept (default: build/wheels/)")
    parser.add_argument("--write-manifest", action="store_true",
                        help="write krew-manifest.yaml with this build's version and sha256")
    args = parser.parse_args(argv)
    result = build(args.out, args.cache, args.write_manifest)
    log("%s (%d bytes) in %.1fs" % (result["archive"], result["size"], result["seconds"]))
    print("%s  %s" % (result["sha256"], os.path.basename(result["archive"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
