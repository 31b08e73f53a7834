"""Reading the untyped objects that defaulting and validation get (decoded JSON, before any
schema): a field may be missing, null or of any type, so every read checks the type and
falls back to an empty value; nothing here mutates except ensure_dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:                 # for mypy only: Python 3.9's typing has no TypeGuard
    from typing_extensions import TypeGuard


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (Python's bool is an int, JSON's is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def dict_at(obj: Any, key: str) -> dict:
    """obj[key] if obj is a dict and that is a dict, else an empty dict (never mutates)."""
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, dict):
            return value
    return {}


def list_at(obj: Any, key: str) -> list:
    """obj[key] if obj is a dict and that is a list, else an empty list."""
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return []


def ensure_dict(obj: dict, key: str) -> dict:
    """obj[key], made an empty dict first unless it is one."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = {}
        obj[key] = value
    return value


def resource_name(resource: str) -> str:
    """The plural resource of `statefulsets` or `statefulsets.apps`, lower-cased."""
    return (resource or "").split(".", 1)[0].lower()
