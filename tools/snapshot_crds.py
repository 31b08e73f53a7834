#!/usr/bin/env python3
"""Regenerate kubectl_sts_sandbox/openapi_v3/snapshot_crds.json: the CustomResourceDefinitions
kubernetes-csi/external-snapshotter ships (client/config/crd/*.yaml: snapshot.storage.k8s.io
and groupsnapshot.storage.k8s.io), as one JSON list, for the sandbox's snapshot kinds
(kubectl_sts_sandbox/crds.py).

Usage: python3 tools/snapshot_crds.py GIT_DIR [COMMIT]
GIT_DIR is a clone (bare or not) of kubernetes-csi/external-snapshotter; COMMIT defaults to
HEAD. Needs PyYAML (a development dependency only: the sandbox reads the JSON)."""

import json
import os
import subprocess
import sys

import yaml

FILES = ["snapshot.storage.k8s.io_volumesnapshotclasses.yaml",
         "snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
         "snapshot.storage.k8s.io_volumesnapshots.yaml",
         "groupsnapshot.storage.k8s.io_volumegroupsnapshotclasses.yaml",
         "groupsnapshot.storage.k8s.io_volumegroupsnapshotcontents.yaml",
         "groupsnapshot.storage.k8s.io_volumegroupsnapshots.yaml"]
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "kubectl_sts_sandbox", "openapi_v3", "snapshot_crds.json")


def main(argv: list) -> int:
    git_dir, commit = argv[1], argv[2] if len(argv) > 2 else "HEAD"
    sha = subprocess.check_output(["git", "--git-dir", git_dir, "rev-parse", commit],
                                  text=True).strip()
    crds = []
    for name in FILES:
        text = subprocess.check_output(["git", "--git-dir", git_dir, "show",
                                        "%s:client/config/crd/%s" % (sha, name)], text=True)
        crds.append(yaml.safe_load(text))
    document = {"source": "kubernetes-csi/external-snapshotter client/config/crd",
                "commit": sha, "crds": crds}
    with open(OUT, "w") as f:
        json.dump(document, f, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
