"""Client-side checks of names the user types, before they reach a request path.

A StatefulSet name and a namespace are both RFC 1123 DNS labels (at most 63 characters of
[a-z0-9-], starting and ending with an alphanumeric). Anything else can only be a typo -- or a
path: `web/scale` or `web?x=1` would otherwise address another URL than the one meant. The
messages follow the API server's wording; the exit code is 2 (bad arguments).

Also the name the plugin writes under, here because every command's connection reads it
(commands/shell.py connect) and this module is loaded then anyway."""

from typing import Optional

from ..errors import UsageError
from ..k8s.names import is_dns1123_label

# the field manager of every write (managedFields show it; core/fieldowners.py reads it back)
FIELD_MANAGER = "kubectl-sts"


def dns_label_problem(value: str) -> Optional[str]:
    """Why `value` is not a DNS label, in the API server's words (k8s/names.py, the one home of
    the format rules), or None when it is one."""
    if not value:
        return "must not be empty"
    problems = is_dns1123_label(value)
    return "; ".join(problems) if problems else None


def _shown(value: str) -> str:
    # repr-like quoting keeps control characters and newlines on one line
    text = value if value.isprintable() else value.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 80 else text[:77] + "..."


def check_name(name: str, kind: str = "StatefulSet") -> str:
    """`name` when it is a DNS label, else UsageError in the API server's words."""
    problem = dns_label_problem(name)
    if problem:
        raise UsageError('error: invalid %s name "%s": %s' % (kind, _shown(name), problem))
    return name


def check_namespace(namespace: str) -> str:
    problem = dns_label_problem(namespace)
    if problem:
        raise UsageError('error: invalid namespace "%s": %s' % (_shown(namespace), problem))
    return namespace


# what kubectl accepts before "/" for a StatefulSet: its kind, plural and short name, with or
# without the group (kubectl's RESTMapper over the discovery of apps/v1)
STATEFULSET_TYPES = {"sts", "statefulset", "statefulsets", "statefulset.apps",
                     "statefulsets.apps", "statefulset.v1.apps", "statefulsets.v1.apps"}


def statefulset_ref(arg: str) -> str:
    """NAME or TYPE/NAME (sts/web, statefulset/web, statefulsets.apps/web) -> the name, checked;
    another type is refused in kubectl's words."""
    kind, slash, name = arg.rpartition("/")
    if slash and kind.lower() not in STATEFULSET_TYPES:
        if "/" in kind or not kind:
            raise UsageError('error: arguments in resource/name form may not have more than '
                             'one slash')
        raise UsageError('error: "%s" is not a StatefulSet: kubectl sts works on '
                         'statefulsets.apps only' % _shown(arg))
    return check_name(name if slash else arg)
