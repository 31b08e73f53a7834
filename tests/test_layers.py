"""The layers are folders, and these are their import rules, checked from the source (imports
inside functions included):
- kubectl_sts/k8s (the neutral layer) imports nothing of the plugin or the sandbox;
- kubectl_sts/errors.py (the error types every layer raises) imports nothing of ours;
- kubectl_sts/core (pure decisions) imports only k8s and errors: no client, no printer, no
  command, no cli;
- kubectl_sts/client (the connection) imports only k8s and errors: no core;
- kubectl_sts/printers (output) imports k8s, errors and core: no client, no command, no cli;
- kubectl_sts/commands (the shells): a verb imports no other verb, only the shared shell
  modules (commands.shell, commands.options, commands.locking) and its own folder;
- kubectl_sts_sandbox imports nothing of the plugin but the neutral layer;
- the plugin imports the sandbox only in `demo` and `sandbox`;
- no import cycles between modules."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("kubectl_sts", "kubectl_sts_sandbox")


def modules():
    out = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    if rel.endswith(".__init__"):
                        rel = rel[:-len(".__init__")]
                    out[rel] = path
    return out


MODULES = modules()


def imports_of(module):
    """Every module of ours that `module` imports, anywhere in its source."""
    path = MODULES[module]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [prefix] + ["%s.%s" % (prefix, alias.name) for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                while name and name not in MODULES:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
    return found


def layer(module):
    """The folder (layer) a module is in: 'k8s', 'core', ..., 'sandbox', or the module's
    own name for the modules at the package's top (errors, __main__)."""
    parts = module.split(".")
    if parts[0] == "kubectl_sts_sandbox":
        return "sandbox"
    return parts[1] if len(parts) > 1 else "package"


# layer -> the layers it may import (itself always)
MAY_IMPORT = {
    "k8s": set(),
    "errors": set(),
    "core": {"k8s", "errors"},
    "client": {"k8s", "errors", "package"},
    "printers": {"k8s", "errors", "core"},
    "sandbox": {"k8s"},
}


def in_layer(name):
    return sorted(m for m in MODULES if layer(m) == name)


def test_the_rules_see_imports():
    assert "kubectl_sts.k8s.selectors" in imports_of("kubectl_sts_sandbox.server")
    assert "kubectl_sts_sandbox" in imports_of("kubectl_sts.commands.demo")
    assert {"core", "client", "printers", "commands", "cli", "k8s", "sandbox"} <= {
        layer(m) for m in MODULES}


@pytest.mark.parametrize("module", [m for name in sorted(MAY_IMPORT) for m in in_layer(name)])
def test_each_layer_imports_only_the_layers_below_it(module):
    allowed = MAY_IMPORT[layer(module)] | {layer(module)}
    outside = {m for m in imports_of(module) if layer(m) not in allowed}
    assert outside == set()


SANDBOX_USERS = {"kubectl_sts.commands.demo", "kubectl_sts.commands.sandbox"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) != "sandbox"))
def test_the_plugin_imports_the_sandbox_only_in_demo_and_sandbox(module):
    uses = {m for m in imports_of(module) if layer(m) == "sandbox"}
    if module not in SANDBOX_USERS:
        assert uses == set()


SHARED_SHELL = {"kubectl_sts.commands", "kubectl_sts.commands.shell", "kubectl_sts.commands.options",
                "kubectl_sts.commands.locking", "kubectl_sts.commands.checks",
                "kubectl_sts.commands.recreate", "kubectl_sts.commands.snapshotset"}


def verb(module):
    """kubectl_sts.commands.rollout.step -> 'rollout'; the shared modules -> None."""
    if module in SHARED_SHELL or not module.startswith("kubectl_sts.commands."):
        return None
    return module.split(".")[2]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if verb(m)))
def test_no_verb_imports_another_verb(module):
    others = {m for m in imports_of(module) if verb(m) and verb(m) != verb(module)}
    assert others == set()


def test_no_import_cycles():
    graph = {m: imports_of(m) for m in MODULES}
    # a package's __init__ importing its own modules is not a cycle worth reporting
    cycles = []
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"
    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_the_module_map_names_every_module_once():
    """docs/development.md's module map has one line for every module (a package's
    __init__.py may go without one: its folder's heading stands for it), and none for a module
    that is gone."""
    import re
    with open(os.path.join(ROOT, "docs", "development.md"), encoding="utf-8") as f:
        text = f.read()
    listed, folder = [], None
    for line in text[text.index("## Module map"):].splitlines():
        heading = re.match(r"^`([\w/]+/)`", line)
        entry = re.match(r"^- `([\w/]+\.py)`:", line)
        if heading:
            folder = heading.group(1)
        elif entry and folder:
            listed.append(folder + entry.group(1))
    present = sorted(os.path.relpath(path, ROOT).replace(os.sep, "/") for path in MODULES.values())
    assert len(listed) == len(set(listed))
    assert set(listed) <= set(present)
    assert [p for p in present if p not in listed and not p.endswith("/__init__.py")] == []
