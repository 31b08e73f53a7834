#!/usr/bin/env python3
"""Regenerate the sandbox's OpenAPI v3 documents (kubectl_sts_sandbox/openapi_v3/).

    python3 tools/refresh_openapi.py --git-dir KUBERNETES.git [--rev REF] [--repository NAME]
                                     [--path 'api/openapi-spec/v3/{file}']
                                     [--older 1.32='v1.32.0:api/openapi-spec/v3/{file}' ...]
    python3 tools/refresh_openapi.py --source KUBERNETES-CHECKOUT [--path ...]

Reads kube-apiserver's published documents, kubernetes/kubernetes `api/openapi-spec/v3/` (one
file per group/version, written by hack/update-openapi-spec.sh), from a checkout or a git
directory (a mirror: nothing is checked out), keeps of each group/version the sandbox serves
(kubectl_sts_sandbox/resources.py: RESOURCE_TYPES, GROUPS) only the paths of the resources it
serves (their served subresources and the group/version's root; no deprecated /watch/ paths)
and the schemas those paths reach through `$ref`, whole (openapitrim.trim), and writes them as
minified JSON (keys in upstream's order), with PROVENANCE. The same input gives the same
bytes. --path is where a document sits in the source, `{file}` its upstream file name and
`{gv}` its path (`apis/apps/v1`): e.g. 'pkg/openapiclient/builtins/1.35/{gv}.json' for the
byte-for-byte copies kubernetes-sigs/kubectl-validate vendors.

--older RELEASE=[REV:]PATH (repeatable) names the same documents of older releases the sandbox
plays; the schemas and properties they lack are written to since.json with the first release
that has them (openapitrim.first_minors), so the sandbox leaves them out when it plays an older
release (openapitrim.as_of).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kubectl_sts_sandbox import openapitrim  # noqa: E402
from kubectl_sts_sandbox.resources import GROUPS, RESOURCE_TYPES, SNAPSHOT_GROUPS  # noqa: E402

OUT = os.path.join(ROOT, "kubectl_sts_sandbox", "openapi_v3")
DEFAULT_PATH = "api/openapi-spec/v3/{file}"


def group_versions() -> List[Tuple[str, str]]:
    """The group/versions the sandbox serves (at any release it plays), core first; the CRDs'
    groups are not kube-apiserver's (their documents come from the CRDs: crdopenapi.py)."""
    return [("", "v1")] + [gv for gv in GROUPS
                           if any((rt.group, rt.version) == gv for rt in RESOURCE_TYPES)
                           and gv[0] not in SNAPSHOT_GROUPS]


def keep_served(group: str, version: str) -> openapitrim.Keep:
    """Whether a (plural, subresource) of the group/version is one the sandbox serves."""
    subs = {rt.plural: set(rt.subresources) for rt in RESOURCE_TYPES
            if (rt.group, rt.version) == (group, version)}
    return lambda plural, sub: plural in subs and (sub is None or sub in subs[plural])


def encode(doc: Dict[str, Any]) -> bytes:
    """Minified JSON, keys in the document's order, UTF-8 (deterministic)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def trimmed(source: bytes, group: str, version: str) -> bytes:
    """The committed form of one upstream document."""
    doc = json.loads(source.decode("utf-8"))
    return encode(openapitrim.trim(doc, group, version, keep_served(group, version)))


def source_path(template: str, group: str, version: str) -> str:
    gv = openapitrim.gv_prefix(group, version)[1:]
    return template.format(file=openapitrim.file_name(group, version), gv=gv)


def git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir] + list(args), check=True,
                          capture_output=True).stdout


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--git-dir", help="a kubernetes git directory (a mirror)")
    where.add_argument("--source", help="a kubernetes checkout")
    parser.add_argument("--rev", default="HEAD", help="the commit to read (--git-dir)")
    parser.add_argument("--path", default=DEFAULT_PATH, help="where a document sits")
    parser.add_argument("--repository", default="kubernetes/kubernetes",
                        help="the repository named in PROVENANCE")
    parser.add_argument("--release", default="", help="the release named in PROVENANCE")
    parser.add_argument("--minor", type=int, default=0,
                        help="the minor release of the documents (needed with --older)")
    parser.add_argument("--older", action="append", default=[], metavar="1.MINOR=[REV:]PATH",
                        help="the same documents of an older release")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)

    if args.git_dir:
        commit = git(args.git_dir, "rev-parse", args.rev + "^{commit}").decode().strip()
        date = git(args.git_dir, "show", "-s", "--format=%cI", commit).decode().strip()

        def read(path: str) -> bytes:
            rev, _, inner = path.rpartition(":")
            return git(args.git_dir, "show", "%s:%s" % (rev or commit, inner))
    else:
        commit, date = "(working tree)", ""

        def read(path: str) -> bytes:
            with open(os.path.join(args.source, path), "rb") as f:
                return f.read()
    older = []
    for item in args.older:
        release, _, template = item.partition("=")
        older.append((int(release.split(".")[1]), template))
    if older and not args.minor > max(minor for minor, _ in older):
        parser.error("--older needs --minor, newer than every --older release")

    os.makedirs(args.out, exist_ok=True)
    lines = []
    since = {}
    for group, version in group_versions():
        path = source_path(args.path, group, version)
        source = read(path)
        data = trimmed(source, group, version)
        name = openapitrim.file_name(group, version)
        with open(os.path.join(args.out, name), "wb") as out:
            out.write(data)
        if older:
            docs = {minor: json.loads(trimmed(read(source_path(template, group, version)),
                                              group, version))
                    for minor, template in older}
            docs[args.minor] = json.loads(data)
            since[name] = openapitrim.first_minors(docs)
        lines.append("  %s  %d bytes  sha256 %s\n    from %s  %d bytes  sha256 %s\n" % (
            name, len(data), hashlib.sha256(data).hexdigest(), path, len(source),
            hashlib.sha256(source).hexdigest()))
    since_path = os.path.join(args.out, "since.json")
    if older:
        with open(since_path, "w") as text:
            json.dump(since, text, sort_keys=True, separators=(",", ":"))
    elif os.path.exists(since_path):
        os.remove(since_path)
    older_text = "".join("older: 1.%d %s\n" % item for item in older)
    with open(os.path.join(args.out, "PROVENANCE"), "w") as text:
        text.write(
            "The OpenAPI v3 documents kube-apiserver publishes (kubernetes/kubernetes\n"
            "api/openapi-spec/v3, written by hack/update-openapi-spec.sh), trimmed for the\n"
            "sandbox by tools/refresh_openapi.py; do not edit by hand.\n\n"
            "repository: %s\ncommit: %s\ncommit date: %s\nrelease: %s\n"
            "path: %s\n%s\n"
            "trimmed: of each group/version the sandbox serves (resources.py), the paths of\n"
            "the resources it serves (with their served subresources and the group/version's\n"
            "root; no deprecated /watch/ paths) and the schemas those paths reach through\n"
            "$ref, whole (descriptions, defaults, x-kubernetes-* extensions); minified JSON,\n"
            "keys in upstream's order.\n"
            "since.json: of each document, the schemas and properties the older releases'\n"
            "documents (older:) lack, with the first minor release that has them; the sandbox\n"
            "leaves them out when it plays an older release.\n\nfiles:\n%s"
            % (args.repository, commit, date, args.release or "-", args.path, older_text,
               "".join(lines)))
    for line in lines:
        sys.stdout.write(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
