"""`status --watch`: whether a new view is worth printing, pure. Nothing is printed unless
something a user would see changed; ages alone do not count. (What a pipe gets for a change:
printers.status.stream_lines.)"""

from typing import Any, Dict, Optional

View = Dict[str, Any]


def without_ages(doc: Any) -> Any:
    """The document without its ages (they change every second by themselves)."""
    if isinstance(doc, dict):
        return {k: without_ages(v) for k, v in doc.items() if k != "age"}
    if isinstance(doc, list):
        return [without_ages(v) for v in doc]
    return doc


def changed(previous: Optional[View], view: View) -> bool:
    return previous is None or without_ages(previous) != without_ages(view)
