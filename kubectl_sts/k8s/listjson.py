"""Decode a Kubernetes list (`{"kind": "PodList", ..., "items": [...]}`) one item at a time,
passing each item through `project` as soon as it is decoded, so a list of 10 000 pods never
exists in memory as 10 000 full objects: only the projections (the fields a command reads)
are kept. Every value is decoded by the standard JSON decoder; this only walks the top-level
object and the items array between them."""

import json
import re
from typing import Any, Callable, Dict, List, Tuple

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _expect(text: str, at: int, char: str) -> int:
    at = _skip(text, at)
    if text[at:at + 1] != char:
        raise ValueError("expected %r at %d" % (char, at))
    return at + 1


def parse_list(text: str, project: Callable[[Any], Any]) -> Dict[str, Any]:
    """The list object with `items` replaced by [project(item) for each item]. Raises
    ValueError for text that is not one JSON object."""
    out: Dict[str, Any] = {}
    at = _expect(text, 0, "{")
    at = _skip(text, at)
    if text[at:at + 1] == "}":
        at += 1
    else:
        while True:
            key, at = _DECODER.raw_decode(text, _skip(text, at))
            if not isinstance(key, str):
                raise ValueError("expected a key at %d" % at)
            at = _skip(text, _expect(text, at, ":"))
            if key == "items" and text[at:at + 1] == "[":
                out[key], at = _items(text, at + 1, project)
            else:
                out[key], at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at:at + 1] == ",":
                at += 1
                continue
            at = _expect(text, at, "}")
            break
    if _skip(text, at) != len(text):
        raise ValueError("extra data at %d" % at)
    return out


def _items(text: str, at: int, project: Callable[[Any], Any]) -> Tuple[List[Any], int]:
    items: List[Any] = []
    at = _skip(text, at)
    if text[at:at + 1] == "]":
        return items, at + 1
    while True:
        item, at = _DECODER.raw_decode(text, _skip(text, at))
        items.append(project(item))
        at = _skip(text, at)
        if text[at:at + 1] == ",":
            at += 1
            continue
        return items, _expect(text, at, "]")
