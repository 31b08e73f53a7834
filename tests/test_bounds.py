"""Unbounded input (issue 27, item 5): every case is a usage error (exit 2, one line, kubectl's
words where kubectl has words for it), never an internal error, and fast. Counts are int32 as
the API takes them (spf13/pflag int32.go: `strconv.ParseInt: parsing "X": value out of
range`), durations within Go's time.Duration (time.ParseDuration: `time: invalid duration`),
quantities as apimachinery's resource.ParseQuantity bounds them, JSONPath templates bounded in
depth and size and parsed in linear time. No server: each is refused before any request."""

import os

import pytest

from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_USAGE
from kubectl_sts.k8s.durations import parse_duration
from kubectl_sts.k8s.quantity import canonical_quantity, quantity_capped, quantity_value
from kubectl_sts.printers import jsonpath_parser
from kubectl_sts.printers.jsonpath import render
from kubectl_sts.printers.jsonpath_parser import JSONPathError, parse

NESTED_RANGES = "{range .items[*]}" * 3000 + "{.name}" + "{end}" * 3000


def _out_of_range(flag, value):
    return ('error: invalid argument "%s" for "%s" flag: strconv.ParseInt: parsing "%s": '
            'value out of range' % (value, flag, value))


def _bad_duration(flag, value):
    return 'error: invalid argument "%s" for "%s" flag: time: invalid duration "%s"' % (
        value, flag, value)


CASES = [
    ("replicas-past-int32", ["scale", "web", "--replicas", "2147483648", "--dry-run"],
     _out_of_range("--replicas", "2147483648")),
    ("replicas-past-int64", ["scale", "web", "--replicas", "99999999999999999999"],
     _out_of_range("--replicas", "99999999999999999999")),
    ("replicas-thousand-digits", ["scale", "web", "--replicas", "9" * 5000],
     _out_of_range("--replicas", "9" * 5000)),
    ("min-replicas", ["scale", "web", "--replicas", "1", "--min-replicas", "2147483648"],
     _out_of_range("--min-replicas", "2147483648")),
    ("pvc-ordinal", ["pvc", "web", "--prune", "--ordinal", "2147483648"],
     _out_of_range("--ordinal", "2147483648")),
    ("repair-ordinal", ["repair", "web", "--ordinal", "99999999999999999999"],
     _out_of_range("--ordinal", "99999999999999999999")),
    ("rollout-to", ["rollout", "web", "--to", "2147483648"], _out_of_range("--to", "2147483648")),
    ("rollout-to-below-int32", ["rollout", "web", "--to", "-2147483649"],
     _out_of_range("--to", "-2147483649")),
    ("rollout-step", ["rollout", "web", "--step=99999999999999999999"],
     _out_of_range("--step", "99999999999999999999")),
    ("wait-timeout", ["wait", "web", "--timeout", "9999999999h"],
     _bad_duration("--timeout", "9999999999h")),
    ("wait-timeout-bare-seconds", ["wait", "web", "--timeout", "9" * 400],
     _bad_duration("--timeout", "9" * 400)),
    ("rollout-pause", ["rollout", "web", "--pause", "2562048h"],
     _bad_duration("--pause", "2562048h")),
    ("scale-timeout", ["scale", "web", "--replicas", "1", "--timeout", "99999999999999999999s"],
     _bad_duration("--timeout", "99999999999999999999s")),
    ("resize-size", ["resize", "web", "--size", "1e999"],
     'error: invalid size "1e999": larger than a quantity holds (at most '
     '9223372036854775807, about 8Ei)'),
    ("resize-size-huge-exponent", ["resize", "web", "--size", "1e99999999999"],
     'error: invalid size "1e99999999999": larger than a quantity holds (at most '
     '9223372036854775807, about 8Ei)'),
    ("resize-size-past-max", ["resize", "web", "--size", "8Ei"],
     'error: invalid size "8Ei": larger than a quantity holds (at most '
     '9223372036854775807, about 8Ei)'),
    ("jsonpath-file-device", ["status", "web", "-o", "jsonpath-file=/dev/zero"],
     "error: error reading template /dev/zero, not a regular file"),
    ("jsonpath-nested-ranges", ["status", "-o", "jsonpath=" + NESTED_RANGES],
     "error: error parsing jsonpath %s, more than 100 nested range actions" % NESTED_RANGES),
]


@pytest.mark.parametrize("argv, line", [pytest.param(a, w, id=c) for c, a, w in CASES])
def test_unbounded_input_is_a_usage_error(capsys, tmp_path, argv, line):
    code = main(["--kubeconfig", str(tmp_path / "none"), "-n", "default"] + argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.splitlines() == [line]
    assert (code, out) == (EXIT_USAGE, "")


def test_a_template_file_is_read_up_to_a_bound(capsys, tmp_path):
    big = tmp_path / "template.txt"
    big.write_text("{.name}" + " " * (1024 * 1024))
    code = main(["--kubeconfig", str(tmp_path / "none"), "status", "-o",
                 "jsonpath-file=%s" % big])
    out, err = capsys.readouterr()
    assert err.splitlines() == ["error: error reading template %s, larger than 1048576 bytes"
                                % big]
    assert code == EXIT_USAGE


@pytest.mark.parametrize("value, seconds", [
    ("30s", 30.0), ("1h30m", 5400.0), ("250ms", 0.25), ("10", 10.0),
    ("2562047h", 2562047 * 3600.0),
    ("2562047h47m16.854775807s", 9223372036.854775807),     # Go's largest Duration
])
def test_durations_within_go_are_taken(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [
    "2562047h47m16.854775808s", "9999999999h", "2562048h", "9" * 5000, "9" * 5000 + "h",
    "1" + "0" * 30 + "ms"])
def test_durations_past_go_are_refused(value):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)


@pytest.mark.parametrize("text, canonical, capped", [
    ("1Gi", "1Gi", False), ("1.5Gi", "1536Mi", False), ("0.5", "500m", False),
    ("9223372036854775807", "9223372036854775807", False),
    ("9223372036854775808", "9223372036854775807", True),     # ParseQuantity's maxAllowed
    ("8Ei", "9223372036854775807", True),
    ("1e999", "9223372036854775807", True),
    ("1e99999999999", "9223372036854775807", True),            # never computes 10^(10^11)
    ("-1e999", "-9223372036854775807", True),
    ("1e-99999999999", "1e-9", False),                         # rounded up to a nano
    ("9" * 5000, "9223372036854775807", True),
    ("0." + "0" * 5000 + "1Gi", "1n", False),
    ("1.0000000001Gi", "1073741824107374183n", False),         # rounded after the suffix
    ("1e4294967296", "1", False),                              # int32(parsed), as upstream
    ("1e99999999999999999999", "1e99999999999999999999", False),   # not an int64: no quantity
])
def test_quantities_are_bounded_as_parse_quantity(text, canonical, capped):
    assert canonical_quantity(text) == canonical
    assert quantity_capped(text) is capped
    if canonical != text:
        assert quantity_value(text) == quantity_value(canonical)


def test_nested_ranges_up_to_the_bound_still_render():
    depth = jsonpath_parser.MAX_RANGE_DEPTH
    template = "{range .a[*]}" * depth + "{.b}" + "{end}" * depth
    data = {"a": [{"a": [], "b": 1}]}
    render(template, data)          # no RecursionError
    with pytest.raises(JSONPathError, match="more than 100 nested range actions"):
        parse("{range .a[*]}" + template + "{end}")


class _CountingStr(str):
    """A template that counts the characters every slice of it copies."""
    copied = 0

    def __getitem__(self, key):
        piece = str.__getitem__(self, key)
        _CountingStr.copied += len(piece)
        return piece


@pytest.mark.parametrize("action", ["{.a}", "{.a} x ", "{range .items[*]}{.name}{end}"])
def test_jsonpath_parsing_copies_each_character_a_bounded_number_of_times(action):
    template = _CountingStr(action * 4000)
    _CountingStr.copied = 0
    parsed = parse(template)
    assert len(parsed.parts) >= 4000
    assert _CountingStr.copied <= 4 * len(template), _CountingStr.copied


def test_half_a_million_actions_parse_and_render():
    template = "{.a}," * 500000
    assert render(template, {"a": 1}) == "1," * 500000


def test_a_pipe_template_is_read(tmp_path):
    from kubectl_sts.printers.formats import parse_output
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:                        # the writer, as a shell's <(echo ...) would be
        with open(fifo, "w") as f:
            f.write("{.name}")
        os._exit(0)
    try:
        assert parse_output("jsonpath-file=" + fifo, ("json", "jsonpath")).kind == "jsonpath"
    finally:
        os.waitpid(pid, 0)
