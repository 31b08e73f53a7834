"""ControllerRevision data, hashing and naming, as the StatefulSet controller computes them."""

import json

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def fnv32(data):
    """FNV-1 32-bit (Go's hash/fnv New32), not FNV-1a."""
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def safe_encode(text):
    return "".join(_ALPHABET[ord(ch) % len(_ALPHABET)] for ch in text)


def revision_data(template):
    """The raw `data` of a revision: a strategic merge patch that replaces spec.template,
    encoded with map keys sorted. Returned as the exact string that is hashed and compared."""
    patch = {"spec": {"template": dict(template, **{"$patch": "replace"})}}
    return go_json(patch)


def go_json(value):
    """JSON as Go's encoding/json writes a map: sorted keys, no spaces, UTF-8 kept, and
    <, >, &, U+2028, U+2029 escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def revision_hash(raw, collision_count=None):
    data = raw.encode("utf-8")
    if collision_count is not None:
        data += str(collision_count).encode("ascii")
    return safe_encode(str(fnv32(data)))


def revision_name(sts_name, hash_):
    return "%s-%s" % (sts_name[:223], hash_)


def template_from_data(data):
    """The pod template a revision's data restores (without the directive)."""
    template = dict(data["spec"]["template"])
    template.pop("$patch", None)
    return template
