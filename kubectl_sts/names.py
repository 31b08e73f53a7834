"""Client-side checks of names the user types, before they reach a request path.

A StatefulSet name and a namespace are both RFC 1123 DNS labels (at most 63 characters of
[a-z0-9-], starting and ending with an alphanumeric). Anything else can only be a typo -- or a
path: `web/scale` or `web?x=1` would otherwise address another URL than the one meant. The
messages follow the API server's wording; the exit code is 2 (bad arguments)."""

import re

from .errors import UsageError

DNS1123_LABEL_MAX = 63
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z", re.ASCII)


def dns_label_problem(value):
    """Why `value` is not a DNS label (one phrase), or None when it is one."""
    if not value:
        return "must not be empty"
    if len(value) > DNS1123_LABEL_MAX:
        return "must be no more than %d characters (it has %d)" % (DNS1123_LABEL_MAX,
                                                                   len(value))
    if not _DNS1123_LABEL.match(value):
        return ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                "or '-', and must start and end with an alphanumeric character")
    return None


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
