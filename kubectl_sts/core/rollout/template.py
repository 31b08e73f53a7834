"""Changes to the pod template: images, environment variables, a strategic merge patch; the
template a ControllerRevision stores; a readable diff of two templates."""

import copy
import difflib
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ...k8s.images import image_problem

Obj = Dict[str, Any]

def env_name_problem(name: str) -> Optional[str]:
    """Why `name` cannot be an environment variable name (Kubernetes 1.32: printable ASCII
    other than '='), or None."""
    if not name:
        return "must not be empty"
    if any(not " " <= c <= "~" or c == "=" for c in name):
        return "must consist only of printable ASCII characters other than '='"
    return None


def _shown(value: str) -> str:
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")


def change_template(template: Obj, images: Optional[Dict[str, str]] = None,
                    env: Optional[Iterable[Tuple[str, str]]] = None,
                    container: Optional[str] = None, patch: Optional[Obj] = None) -> Obj:
    """A new pod template: `images` maps container name -> image; `env` is a list of
    (name, value) set on every container (or only `container`); `patch` is a strategic
    merge patch of the template (the shape of `spec.template` of a StatefulSet)."""
    from ...k8s.strategicpatch import strategic_merge_patch
    new = copy.deepcopy(template)
    containers = (new.get("spec") or {}).get("containers") or []
    names = [c.get("name") for c in containers]
    for cname, image in (images or {}).items():
        if cname not in names:
            raise ValueError('unable to find container named "%s" (containers: %s)'
                             % (_shown(cname), ", ".join(names)))
        problem = image_problem(image)
        if problem:
            raise ValueError('invalid image "%s" for container "%s": %s'
                             % (_shown(image), cname, problem))
        containers[names.index(cname)]["image"] = image
    if container is not None and container not in names:
        raise ValueError('unable to find container named "%s" (containers: %s)'
                         % (_shown(container), ", ".join(names)))
    for key, value in env or []:
        problem = env_name_problem(key)
        if problem:
            raise ValueError('invalid environment variable name "%s": %s' % (_shown(key),
                                                                            problem))
        for c in containers:
            if container is not None and c.get("name") != container:
                continue
            entries = c.setdefault("env", [])
            for entry in entries:
                if entry.get("name") == key:
                    entry.pop("valueFrom", None)
                    entry["value"] = value
                    break
            else:
                entries.append({"name": key, "value": value})
    if patch:
        wrapped = strategic_merge_patch({"spec": {"template": new}},
                                        {"spec": {"template": patch}}, "StatefulSet")
        new = wrapped["spec"]["template"]
    return new


def revision_template(revision: Obj) -> Obj:
    """The pod template a ControllerRevision stores."""
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def template_diff(old: Obj, new: Obj, old_label: str = "current",
                  new_label: str = "update") -> List[str]:
    """A readable unified diff of two pod templates (YAML)."""
    import yaml
    # allow_unicode: an env value "välue" reads as itself, not as "v\\xE4lue"
    a = yaml.safe_dump(old, sort_keys=True, default_flow_style=False,
                       allow_unicode=True).splitlines()
    b = yaml.safe_dump(new, sort_keys=True, default_flow_style=False,
                       allow_unicode=True).splitlines()
    return list(difflib.unified_diff(a, b, old_label, new_label, lineterm="", n=2))
