#!/usr/bin/env python3
"""Start-up of two checkouts of kubectl-sts, interleaved run by run (A, B, A, B, ...), so a
busy machine slows both alike: `--help` (served from the help cache after the first run) and
`--version`, each in two forms: `python -m kubectl_sts` from the checkout, and a console
script as pip writes it (it imports `re` itself, then the entry point).

    python bench/startup_ab.py BEFORE_CHECKOUT AFTER_CHECKOUT [--runs 300]

Both run with this Python and its packages; bytecode is written (and warmed) in both
checkouts first, as an installed copy has it. Prints the median and minimum of each. The
entry point's module is found in each checkout (kubectl_sts/cli/start.py or, before issue 24,
kubectl_sts/start.py). Not part of the test suite."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Tuple

ARGS = ("--help", "--version")


def entry_module(checkout: str) -> str:
    for module in ("kubectl_sts.cli.start", "kubectl_sts.start"):
        if os.path.isfile(os.path.join(checkout, *module.split(".")) + ".py"):
            return module
    sys.exit("startup_ab: no kubectl_sts entry point in %s" % checkout)


def console_script(checkout: str, folder: str, label: str) -> str:
    """A script shaped like pip's console_scripts wrapper, for this checkout."""
    path = os.path.join(folder, "kubectl-sts-" + label)
    with open(path, "w") as f:
        f.write("#!%s\nimport re\nimport sys\nsys.path.insert(0, %r)\nfrom %s import main\n"
                "if __name__ == '__main__':\n"
                "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                "    sys.exit(main())\n" % (sys.executable, checkout, entry_module(checkout)))
    os.chmod(path, 0o755)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kubectl-sts-startup-ab-")
    env = dict(os.environ, KUBECACHEDIR=os.path.join(work, "cache"), COLUMNS="80")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands: Dict[Tuple[str, str], Tuple[List[str], str]] = {}
    for label, checkout in (("before", os.path.abspath(args.before)),
                            ("after", os.path.abspath(args.after))):
        commands[(label, "python -m")] = ([sys.executable, "-m", "kubectl_sts"], checkout)
        commands[(label, "console script")] = ([console_script(checkout, work, label)], work)
    times: Dict[Tuple[str, str, str], List[float]] = {}
    for _ in range(2):                      # bytecode and the help cache, in every form
        for (label, form), (cmd, cwd) in commands.items():
            for arg in ARGS:
                subprocess.run(cmd + [arg], cwd=cwd, env=env, capture_output=True, check=True)
    for _ in range(args.runs):
        for (label, form), (cmd, cwd) in commands.items():
            for arg in ARGS:
                start = time.perf_counter()
                subprocess.run(cmd + [arg], cwd=cwd, env=env, capture_output=True, check=True)
                times.setdefault((form, arg, label), []).append(time.perf_counter() - start)
    for (form, arg, label), values in sorted(times.items()):
        print("%-15s %-10s %-7s median %5.1f ms  min %5.1f ms  (n=%d)" % (
            form, arg, label, statistics.median(values) * 1000, min(values) * 1000,
            len(values)))


if __name__ == "__main__":
    main()
