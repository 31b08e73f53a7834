"""kubectl's flags and arguments as click declarations: -o with every printer a command
supports, TYPE/NAME arguments, the list-view flags (-l, --sort-by, --show-labels),
--no-headers for every command that prints a table, and flag values checked with kubectl's
words (pflag's `invalid argument`)."""

import re
import threading
from typing import Any, Callable, List, Optional, Sequence, TypeVar

import click

from ..errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
Param = Optional[click.Parameter]
Ctx = Optional[click.Context]


INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1
_DECIMAL = re.compile(r"[+-]?[0-9]+")


class Integer(click.ParamType):
    """An integer flag value, an int32 as the API takes counts (replicas, partition,
    ordinals); a bad one is pflag's `invalid argument ... strconv.ParseInt` (spf13/pflag
    int32.go int32Value.Set: strconv.ParseInt(s, 0, 32), whose range error is `value out of
    range`), never an int of a thousand digits."""
    name = "integer"

    def __init__(self, min: Optional[int] = None) -> None:
        self.min = min

    def convert(self, value: Any, param: Param, ctx: Ctx) -> int:
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not _DECIMAL.fullmatch(text):
                self.fail('invalid argument "%s" for "%s" flag: strconv.ParseInt: parsing "%s": '
                          'invalid syntax' % (value, _flag(param), value), param, ctx)
            digits = text.lstrip("+-").lstrip("0")
            number = int(text, 10) if len(digits) <= 10 else INT32_MAX + 1
        if not INT32_MIN <= number <= INT32_MAX:
            self.fail('invalid argument "%s" for "%s" flag: strconv.ParseInt: parsing "%s": '
                      'value out of range' % (value, _flag(param), value), param, ctx)
        if self.min is not None and number < self.min:
            self.fail('invalid argument "%s" for "%s" flag: must be at least %d'
                      % (value, _flag(param), self.min), param, ctx)
        return number


class Number(click.ParamType):
    name = "float"

    def convert(self, value: Any, param: Param, ctx: Ctx) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            self.fail('invalid argument "%s" for "%s" flag: strconv.ParseFloat: parsing "%s": '
                      'invalid syntax' % (value, _flag(param), value), param, ctx)


class Duration(click.ParamType):
    """A duration flag value (`30s`, `5m`, `1h30m`, `250ms`, bare seconds), in seconds, within
    Go's time.Duration (k8s/durations.py). The few nanoseconds of Go's range beyond what
    Python's waits take (threading.TIMEOUT_MAX, 292 years) are cut to it."""
    name = "duration"

    def convert(self, value: Any, param: Param, ctx: Ctx) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        from ..k8s.durations import parse_duration
        try:
            return min(parse_duration(value), threading.TIMEOUT_MAX)
        except ValueError:
            # pflag's wording around Go's time.ParseDuration error
            self.fail('invalid argument "%s" for "%s" flag: time: invalid duration "%s"'
                      % (value, _flag(param), value), param, ctx)


class OneOf(click.Choice):
    """A choice flag; a bad value names the allowed ones as kubectl does."""

    def convert(self, value: Any, param: Param, ctx: Ctx) -> Any:
        if value in self.choices:
            return value
        if _flag(param) == "--dry-run":
            self.fail('Invalid dry-run value (%s). Must be "none", "server", or "client".'
                      % value, param, ctx)
        self.fail('invalid argument "%s" for "%s" flag: must be one of: %s'
                  % (value, _flag(param), ", ".join(self.choices)), param, ctx)


def _flag(param: Param) -> str:
    """The flag a value was given to, as pflag names it: the long name, else the short one."""
    opts: List[str] = getattr(param, "opts", None) or []
    longs = [o for o in opts if o.startswith("--")]
    return (longs or opts or [str(getattr(param, "name", ""))])[0]


def dry_run_option(help: str) -> Callable[[F], F]:
    return click.option("--dry-run", type=OneOf(["none", "client", "server"]), is_flag=False,
                        flag_value="client", default="none", help=help)


_TEMPLATED = ("jsonpath", "jsonpath-file", "jsonpath-as-json", "custom-columns",
              "custom-columns-file")


def output_option(formats: Sequence[str] = ("wide", "json", "yaml")) -> Callable[[F], F]:
    """-o/--output: `formats` plus the template printers they imply (jsonpath=, jsonpath-file=,
    custom-columns=, ...). The command receives an output.Output, checked before any request."""
    from ..printers.formats import allowed

    def check(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Any:
        from ..printers.formats import parse_output
        return parse_output(value, formats)
    setattr(check, "choices", allowed(formats))  # kubectl completes the names, without "="
    shown = "|".join(f + ("=..." if f in _TEMPLATED else "") for f in allowed(formats))
    return click.option("-o", "--output", "output", metavar="FORMAT", callback=check,
                        help="Output format: %s." % shown)


class StatefulSetRef(click.ParamType):
    """NAME or TYPE/NAME (sts/web, statefulset/web, statefulsets.apps/web)."""
    name = "name"

    def convert(self, value: Any, param: Param, ctx: Ctx) -> str:
        from ..core.names import statefulset_ref
        return statefulset_ref(value)


def name_argument(required: bool = True) -> Callable[[F], F]:
    return click.argument("name", type=StatefulSetRef(), required=required,
                          metavar="NAME" if required else "[NAME]")


def no_headers_option(function: F) -> F:
    """--no-headers, on every command that prints a table: no table it prints has a header
    row (printers/table.py honours it, for the whole command). As kubectl's: it changes the
    default and `-o wide` tables and custom columns, never a document."""
    def apply(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if not ctx.resilient_parsing:
            from ..printers.table import show_headers
            ctx.call_on_close(show_headers(not value))
        return value
    return click.option("--no-headers", is_flag=True, expose_value=False, callback=apply,
                        help="Print the tables without their header row.")(function)


def list_options(function: F) -> F:
    """The list-view flags kubectl users type: -l, --sort-by, --no-headers, --show-labels."""
    def check_selector(ctx: click.Context, param: click.Parameter,
                       value: Optional[str]) -> Optional[str]:
        if value:
            from ..k8s.selectorparser import parse_label_selector
            from ..k8s.selectors import SelectorError
            try:
                parse_label_selector(value)
            except SelectorError as exc:
                raise UsageError("error: %s" % exc)
        return value

    def check_sort(ctx: click.Context, param: click.Parameter,
                   value: Optional[str]) -> Optional[str]:
        from ..printers.formats import sort_key_template
        sort_key_template(value)
        return value
    for option in reversed([
            click.option("-l", "--selector", metavar="SELECTOR", callback=check_selector,
                         help="Only StatefulSets with these labels (e.g. -l app=web,tier!=db)."),
            click.option("--sort-by", metavar="JSONPATH", callback=check_sort,
                         help="Sort the rows by this field of the list items "
                         "(e.g. --sort-by=.age or '{.ready}')."),
            no_headers_option,
            click.option("--show-labels", is_flag=True, help="Show the labels as a last "
                         "column.")]):
        function = option(function)
    return function


def lock_options(force: bool) -> Callable[[F], F]:
    """`--wait-lock DURATION` (and `--force` when the command has none of its own): what a
    writing command does when another kubectl-sts holds the set's lock (commands/locking.py)."""
    def decorate(function: F) -> F:
        function = click.option(
            "--wait-lock", "wait_lock", type=Duration(), default=None, metavar="DURATION",
            help="When another kubectl-sts operation holds the set's lock, wait up to this "
                 "long for it instead of refusing (exit 6).")(function)
        if force:
            function = click.option(
                "--force", is_flag=True, help="Take over the set's lock from another "
                "kubectl-sts operation (its Lease) instead of refusing.")(function)
        return function
    return decorate
