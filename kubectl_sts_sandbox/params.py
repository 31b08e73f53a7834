"""Query parameters as kube-apiserver decodes them."""

from typing import Mapping, Optional


def query_bool(query: Mapping[str, str], key: str) -> bool:
    """A boolean query parameter (watch, allowWatchBookmarks, sendInitialEvents, ...):
    absent is false; present, it is false only for "0" or "false" in any case, and true for
    anything else, the empty string included (apimachinery pkg/runtime/conversion.go,
    Convert_Slice_string_To_bool). So the official Python client's `watch=True` is a watch."""
    value: Optional[str] = query.get(key)
    if value is None:
        return False
    return not (value == "0" or value.lower() == "false")
