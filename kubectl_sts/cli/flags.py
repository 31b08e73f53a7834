"""kubectl's flags on the command line: the global flags (accepted before the subcommand and
after it), pflag's argument forms rewritten to click's (kubectl_args), and click's usage errors
in kubectl's words (usage_words). The top-level help shows the global flags: cli/start.py's
cache key covers this module."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import click

from ..errors import UsageError
from ..k8s.gostrings import parse_bool

# kubectl's global flags: (declarations, keyword arguments). They are accepted before the
# subcommand and after it (`kubectl sts status web -n prod`), as kubectl users expect.
GLOBAL_FLAGS: List[Tuple[Tuple[str, ...], Dict[str, Any]]] = [
    (("--kubeconfig",), dict(metavar="FILE", help="Path to the kubeconfig file.")),
    (("--context",), dict(metavar="NAME", help="The kubeconfig context to use.")),
    (("-n", "--namespace"), dict(metavar="NS", help="Namespace (default: the context's, else "
                                                    "`default`).")),
    (("--cluster",), dict(metavar="NAME", help="The kubeconfig cluster to use.")),
    (("--user",), dict(metavar="NAME", help="The kubeconfig user to use.")),
    (("-s", "--server"), dict(metavar="URL", help="The address of the API server.")),
    (("--token",), dict(metavar="TOKEN", help="Bearer token for authentication.")),
    (("--as", "as_user"), dict(metavar="USER", help="Username to impersonate.")),
    (("--as-group", "as_groups"), dict(metavar="GROUP", multiple=True,
                                       help="Group to impersonate (repeatable).")),
    (("--certificate-authority",), dict(metavar="FILE", help="CA certificate file.")),
    (("--client-certificate",), dict(metavar="FILE", help="Client certificate file.")),
    (("--client-key",), dict(metavar="FILE", help="Client key file.")),
    (("--insecure-skip-tls-verify",), dict(is_flag=True, default=None,
                                           help="Do not verify the server's certificate "
                                                "(insecure).")),
    (("--request-timeout",), dict(metavar="DURATION", help="Timeout of a single request, "
                                                           "e.g. 30s (default: none).")),
    (("--cache-dir",), dict(metavar="DIR", help="kubectl's cache directory (default: "
                                                "$KUBECACHEDIR, else ~/.kube/cache).")),
]


def _store_global(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A global flag given after the subcommand overrides the same flag given before it."""
    if value is None or value == () or ctx.resilient_parsing:
        return value
    options = ctx.find_root().obj
    if options is not None:
        setattr(options, param.name or "", tuple(value) if param.multiple else value)
    if param.name == "request_timeout":
        check_timeout(value)
    return value


def check_timeout(value: str) -> None:
    """--request-timeout must be a duration (pflag's check, before any request)."""
    from ..k8s.durations import parse_duration
    try:
        parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--request-timeout")


def add_global_flags(command: click.Command) -> click.Command:
    """Give a subcommand kubectl's global flags (those it does not define itself)."""
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for decls, kwargs in GLOBAL_FLAGS:
        if any(d.startswith("-") and d in taken for d in decls):
            continue
        command.params.append(click.Option(list(decls), expose_value=False, hidden=True,
                                           callback=_store_global, **kwargs))
    return command


def group_flags(function: Callable[..., Any]) -> Callable[..., Any]:
    """Declare kubectl's global flags on the group (where the help lists them)."""
    for decls, kwargs in reversed(GLOBAL_FLAGS):
        function = click.option(*decls, **kwargs)(function)
    return function


# -- kubectl's (pflag's) command-line forms -------------------------------------------------



def command_params(group: click.Group, args: Sequence[str]) -> List[click.Parameter]:
    """The group's parameters and those of the subcommand the arguments name (imported: it is
    about to run anyway); only the first word that is a command counts."""
    params = list(group.params)
    ctx = click.Context(group)
    for word in args:
        if word == "--":
            break
        command = group.get_command(ctx, word)      # None: not a command's name
        if command is not None:
            params += command.params
            break
    return params


def kubectl_args(args: List[str], params: Sequence[click.Parameter]) -> List[str]:
    """Arguments in pflag's forms rewritten to click's: `-o=json` / `-n=ns` (a short flag with
    "="), and `--flag=true|false` / `-A=false` for boolean flags. Others pass unchanged."""
    booleans: Dict[str, Tuple[str, Optional[str]]] = {}
    values: Set[str] = set()
    optional: Dict[str, click.Option] = {}
    for param in params:
        if not isinstance(param, click.Option):
            continue
        if getattr(param, "_flag_needs_value", False):
            optional.update(dict.fromkeys(param.opts, param))
        if param.is_flag and getattr(param, "is_bool_flag", False):
            for opt in param.opts:
                booleans[opt] = (opt, param.secondary_opts[0] if param.secondary_opts else None)
            for opt in param.secondary_opts:
                booleans[opt] = (opt, param.opts[0])
        else:
            values.update(param.opts)
    out: List[str] = []
    for i, word in enumerate(args):
        if word == "--":
            return out + args[i:]
        flag, eq, value = word.partition("=")
        if not eq or not flag.startswith("-") or flag == "-":
            out.append(word)
        elif flag in booleans:
            yes, no = booleans[flag]
            parsed = parse_bool(value)
            if parsed is None:
                raise UsageError('error: invalid argument "%s" for "%s" flag: strconv.ParseBool: '
                                 'parsing "%s": invalid syntax' % (value, flag, value))
            if parsed:
                out.append(yes)
            elif no:
                out.append(no)
        elif len(flag) == 2 and flag in values:
            out += [flag, value]
        elif flag in optional and value.startswith("-"):
            # click would read `--step=-1` as `--step` then a flag `-1`: judge the value here
            param = optional[flag]
            try:
                param.type.convert(value, param, None)
            except click.BadParameter as exc:
                raise UsageError("error: " + exc.message) from None
            raise UsageError('error: invalid argument "%s" for "%s" flag' % (value, flag))
        else:
            out.append(word)
    return out


def usage_words(exc: click.UsageError) -> str:
    """A click usage error in kubectl's words (cobra's and pflag's)."""
    if isinstance(exc, click.NoSuchOption):
        name = exc.option_name
        if name.startswith("--"):
            return "unknown flag: %s" % name
        return "unknown shorthand flag: '%s' in %s" % (name[1:2], name)
    if isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        name = exc.option_name
        return "flag needs an argument: %s" % (name if name.startswith("--") else
                                                "'%s' in %s" % (name[1:2], name))
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        if isinstance(exc.param, click.Argument):
            return "required resource not specified" if exc.param.name == "name" else \
                "required argument %s not specified" % exc.param.human_readable_name
        return 'required flag(s) "%s" not set' % exc.param.opts[-1].lstrip("-")
    if isinstance(exc, click.BadParameter):
        if exc.message.startswith(("invalid argument", "Invalid dry-run")):
            return exc.message
        hint = exc.param.opts[-1] if isinstance(exc.param, click.Option) else \
            (exc.param_hint or (exc.param.human_readable_name if exc.param else "value"))
        return 'invalid argument for "%s": %s' % (hint, exc.message)
    text = exc.format_message()
    if text.startswith("Got unexpected extra argument") and exc.ctx is not None:
        taken = sum(1 for p in exc.ctx.command.params if isinstance(p, click.Argument))
        extra = len(text.split("(", 1)[-1].rstrip(")").split())
        return "accepts at most %d arg(s), received %d" % (taken, taken + extra)
    return text
