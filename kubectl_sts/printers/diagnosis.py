"""The text of the one diagnosis (core/diagnosis.py), as every view prints it: the set's
verdict (ROLLOUT STUCK, BLOCKED) and one block per ordinal that is failing, blocked, down or
stuck, with the command that can fix it."""

from typing import Any, Dict, List, Optional

Obj = Dict[str, Any]


def verdict_line(verdict: Obj) -> str:
    """The line of the set's verdict (core.rollout.stuck.rollout_verdict)."""
    from ..core.rollout.stuck import verdict_text
    return verdict_text(verdict)


def problem_lines(problems: List[Obj], verdict: Optional[Obj] = None) -> List[str]:
    """`Problems:` and a line per ordinal (pod, verdict, cause), each with `next: COMMAND`
    when a remedy can work; the pod the set's verdict names is left out (its line says it).
    `problems`: rows with pod, verdict, cause and next."""
    shown = [p for p in problems if verdict is None or p["pod"] != verdict["pod"]]
    if not shown:
        return []
    lines = ["Problems:"]
    for p in shown:
        lines.append("  %s %s: %s" % (p["pod"], p["verdict"], p["cause"]))
        if p.get("next"):
            lines.append("    next: %s" % p["next"])
    return lines
