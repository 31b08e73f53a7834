"""Trimming a published OpenAPI v3 document (kubernetes/kubernetes api/openapi-spec/v3, one per
group/version) to the resources the sandbox serves: their paths and the schemas those paths
reach through `$ref`, whole (descriptions, defaults, x-kubernetes-* extensions kept).

Pure functions over plain dicts, used by tools/refresh_openapi.py to cut the committed copies
and by openapi.py to leave out what an older release does not serve."""

from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

SCHEMA_REF = "#/components/schemas/"

# (plural, subresource or None) -> whether the path is kept
Keep = Callable[[str, Optional[str]], bool]


def gv_prefix(group: str, version: str) -> str:
    """The path prefix of a group/version: `/api/v1`, `/apis/apps/v1`."""
    return "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)


def file_name(group: str, version: str) -> str:
    """The upstream file of a group/version: `api__v1_openapi.json`,
    `apis__apps__v1_openapi.json` (hack/update-openapi-spec.sh names them after the path)."""
    return gv_prefix(group, version)[1:].replace("/", "__") + "_openapi.json"


def path_resource(path: str, group: str, version: str) -> Optional[Tuple[str, Optional[str]]]:
    """The (plural, subresource) a path of the group/version's document serves; ("", None) for
    the group/version's root (its resource list); None for the deprecated /watch/ paths and
    for any path outside the group/version."""
    prefix = gv_prefix(group, version)
    if path.rstrip("/") == prefix:
        return ("", None)
    if not path.startswith(prefix + "/"):
        return None
    parts = [p for p in path[len(prefix) + 1:].split("/") if p]
    if not parts or parts[0] == "watch":
        return None
    if len(parts) >= 3 and parts[0] == "namespaces" and parts[1] == "{namespace}":
        parts = parts[2:]
    if len(parts) >= 3 and parts[1] == "{name}":
        return (parts[0], parts[2])
    return (parts[0], None)


def refs(node: Any) -> Set[str]:
    """The schema names a node refers to (`$ref: #/components/schemas/NAME`), at any depth."""
    found: Set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
                found.add(ref[len(SCHEMA_REF):])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def closure(schemas: Dict[str, Any], roots: Iterable[str]) -> Set[str]:
    """The schemas reachable from ROOTS through `$ref` (roots included); a name the document
    does not define is left out (upstream's documents define every name they use)."""
    seen: Set[str] = set()
    todo: List[str] = sorted(set(roots))
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(refs(schemas[name]) - seen)
    return seen


def trim(doc: Dict[str, Any], group: str, version: str, keep: Keep) -> Dict[str, Any]:
    """The document with only the paths KEEP accepts (and the group/version's root) and the
    schemas they reach; everything else of the document (openapi, info, securitySchemes) is
    copied as it is. Keys stay in the order of the input."""
    paths: Dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        resource = path_resource(path, group, version)
        if resource is None:
            continue
        if resource == ("", None) or keep(*resource):
            paths[path] = item
    components = dict(doc.get("components", {}))
    schemas = components.get("schemas", {})
    wanted = closure(schemas, refs(paths))
    components["schemas"] = {name: s for name, s in schemas.items() if name in wanted}
    out = {key: value for key, value in doc.items() if key not in ("paths", "components")}
    out["paths"] = paths
    out["components"] = components
    return {key: out[key] for key in sorted(out)}


# {schema name: first minor} and {schema name + "/" + property: first minor}: what the
# published documents of older releases lack (tools/refresh_openapi.py writes them)
Since = Dict[str, int]


def first_minors(docs: Dict[int, Dict[str, Any]]) -> Since:
    """Of the newest of DOCS (minor -> the same group/version's document of that release),
    each schema and property older releases lack, with the first minor from which every
    later one has it."""
    minors = sorted(docs)

    def names(doc: Dict[str, Any]) -> Set[str]:
        out = set()
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            out.add(name)
            out.update("%s/%s" % (name, prop) for prop in schema.get("properties", {}))
        return out

    present = {minor: names(docs[minor]) for minor in minors}
    since: Since = {}
    for name in sorted(present[minors[-1]]):
        first = minors[-1]
        for minor in reversed(minors[:-1]):
            if name not in present[minor]:
                break
            first = minor
        if first != minors[0]:
            since[name] = first
    return since


def as_of(doc: Dict[str, Any], since: Since, minor: int) -> Dict[str, Any]:
    """The document without the properties release 1.<minor> does not publish yet (SINCE's
    `Schema/property` keys; dropped from `required` too); the input is left as it is. The
    schemas then unreachable go when the document is trimmed again."""
    by_schema: Dict[str, Set[str]] = {}
    for key, first in since.items():
        name, _, prop = key.partition("/")
        if prop and first > minor:
            by_schema.setdefault(name, set()).add(prop)
    schemas = dict(doc.get("components", {}).get("schemas", {}))
    for name, props in by_schema.items():
        schema = schemas.get(name)
        if not isinstance(schema, dict) or not props & set(schema.get("properties", {})):
            continue
        schema = dict(schema)
        schema["properties"] = {p: v for p, v in schema["properties"].items() if p not in props}
        if "required" in schema:
            schema["required"] = [p for p in schema["required"] if p not in props]
        schemas[name] = schema
    out = dict(doc)
    out["components"] = dict(doc.get("components", {}), schemas=schemas)
    return out
