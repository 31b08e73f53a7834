"""Client-side checks of names the user types, before they reach a request path.

A StatefulSet name and a namespace are both RFC 1123 DNS labels (at most 63 characters of
[a-z0-9-], starting and ending with an alphanumeric). Anything else can only be a typo -- or a
path: `web/scale` or `web?x=1` would otherwise address another URL than the one meant. The
messages follow the API server's wording; the exit code is 2 (bad arguments)."""

from typing import Optional

from .errors import UsageError
from .k8s.names import is_dns1123_label


def dns_label_problem(value: str) -> Optional[str]:
    """Why `value` is not a DNS label, in the API server's words (k8s/names.py, the one home of
    the format rules), or None when it is one."""
    if not value:
        return "must not be empty"
    problems = is_dns1123_label(value)
    return "; ".join(problems) if problems else None


def _shown(value):
    # repr-like quoting keeps control characters and newlines on one line
    text = value if value.isprintable() else value.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 80 else text[:77] + "..."


def check_name(name, kind="StatefulSet"):
    problem = dns_label_problem(name)
    if problem:
        raise UsageError('error: invalid %s name "%s": %s' % (kind, _shown(name), problem))
    return name


def check_namespace(namespace):
    problem = dns_label_problem(namespace)
    if problem:
        raise UsageError('error: invalid namespace "%s": %s' % (_shown(namespace), problem))
    return namespace
