"""The import rules, checked from the source (issue 13):
- the sandbox imports nothing of the plugin but the neutral layer kubectl_sts.k8s;
- kubectl_sts.k8s imports nothing of the plugin or the sandbox;
- the plugin imports the sandbox only in `demo` and `sandbox`;
- no import cycles between the plugin's modules (imports inside functions included)."""

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kubectl_sts")


def modules():
    out = {}
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                if rel.endswith(".__init__"):
                    rel = rel[:-len(".__init__")]
                out[rel] = path
    return out


MODULES = modules()


def imports_of(module):
    """Every kubectl_sts module `module` imports, anywhere in its source."""
    path = MODULES[module]
    tree = ast.parse(open(path, encoding="utf-8").read())
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
            if name.startswith("kubectl_sts"):
                while name and name not in MODULES:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
    return found


def test_the_rules_see_imports():
    assert "kubectl_sts.k8s.selectors" in imports_of("kubectl_sts.sandbox.server")
    assert "kubectl_sts.sandbox" in imports_of("kubectl_sts.commands.demo")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("kubectl_sts.sandbox")))
def test_the_sandbox_imports_only_the_neutral_layer(module):
    outside = {m for m in imports_of(module)
               if not m.startswith(("kubectl_sts.sandbox", "kubectl_sts.k8s"))}
    assert outside == set()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("kubectl_sts.k8s")))
def test_the_neutral_layer_imports_only_itself(module):
    assert {m for m in imports_of(module) if not m.startswith("kubectl_sts.k8s")} == set()


SANDBOX_USERS = {"kubectl_sts.commands.demo", "kubectl_sts.commands.sandbox"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if not m.startswith(("kubectl_sts.sandbox",
                                                               "kubectl_sts.k8s"))))
def test_the_plugin_imports_the_sandbox_only_in_demo_and_sandbox(module):
    uses = {m for m in imports_of(module) if m.startswith("kubectl_sts.sandbox")}
    if module not in SANDBOX_USERS:
        assert uses == set()


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
