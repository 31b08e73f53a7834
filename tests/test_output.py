"""kubectl's conventions as pure functions, table-driven, no server: the -o printers
(output.py), TYPE/NAME arguments (names.statefulset_ref), pflag's argument forms and
kubectl's usage wordings (flags.kubectl_args, flags.usage_words), and what `status --watch`
prints on a change (status_watch)."""

import json
from typing import Any, Dict

import click
import pytest
import yaml

from kubectl_sts.cli import app as cli
from kubectl_sts.cli import flags
from kubectl_sts.errors import StsError, UsageError
from kubectl_sts.printers.formats import (Output, OutputError, TemplateFailed, label_text,
                                          parse_output, print_document, sort_items,
                                          sort_key_template)

FORMATS = ("wide", "json", "yaml", "name", "jsonpath", "custom-columns")
LIST: Dict[str, Any] = {"apiVersion": "kubectl-sts/v1", "kind": "StatefulSetList", "items": [
    {"name": "web-10", "ready": "1/3", "replicas": 3, "labels": {"app": "web", "tier": "fe"}},
    {"name": "db", "ready": "2/2", "replicas": 2, "labels": {}},
    {"name": "web-2", "ready": "0/1", "replicas": 1}]}


def name(item):
    return "statefulset.apps/%s" % item["name"]


# -- -o: which printer -------------------------------------------------------------------------

@pytest.mark.parametrize("value, kind", [
    (None, "table"), ("", "table"), ("wide", "wide"), ("json", "json"), ("yaml", "yaml"),
    ("name", "name"), ("jsonpath={.name}", "jsonpath"), ("jsonpath-as-json={.name}",
                                                        "jsonpath-as-json"),
    ("custom-columns=NAME:.name", "custom-columns"),
])
def test_parse_output_picks_the_printer(value, kind):
    assert parse_output(value, FORMATS).kind == kind


@pytest.mark.parametrize("value, formats, message", [
    ("foo", FORMATS, 'error: unable to match a printer suitable for the output format "foo", '
     "allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,"
     "jsonpath-file,name,wide,yaml"),
    ("wide", ("json", "yaml"), 'error: unable to match a printer suitable for the output format '
     '"wide", allowed formats are: json,yaml'),
    ("json=x", FORMATS, 'unable to match a printer suitable for the output format "json=x"'),
    ("jsonpath", FORMATS, "error: template format specified but no template given"),
    ("jsonpath=", FORMATS, "error: template format specified but no template given"),
    ("jsonpath={.a[}", FORMATS, "error: error parsing jsonpath {.a[}, unterminated array"),
    ("custom-columns=", FORMATS,
     "error: custom-columns format specified but no custom columns given"),
    ("custom-columns=NAME", FORMATS,
     "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
    ("go-template={{.name}}", FORMATS, 'output format "go-template" is not supported'),
    ("custom-columns=A:.a", ("json",), "allowed formats are: json"),
])
def test_parse_output_refuses_in_kubectls_words(value, formats, message):
    with pytest.raises(OutputError) as info:
        parse_output(value, formats)
    assert isinstance(info.value, UsageError)          # exit 2, before any request
    assert message in info.value.message


def test_template_files_are_read_through_the_given_reader():
    files = {"t.txt": "{.name}", "c.txt": "NAME READY\n.name .ready\n"}
    assert parse_output("jsonpath-file=t.txt", FORMATS, files.__getitem__).kind == "jsonpath"
    out = parse_output("custom-columns-file=c.txt", FORMATS, files.__getitem__)
    assert out.columns == (("NAME", "{.name}"), ("READY", "{.ready}"))

    def missing(path):
        raise FileNotFoundError(2, "No such file or directory")
    with pytest.raises(OutputError, match="error reading template x, No such file or directory"):
        parse_output("jsonpath-file=x", FORMATS, missing)


# -- what each printer prints -------------------------------------------------------------

@pytest.mark.parametrize("value, doc, expected", [
    ("name", {"name": "web"}, "statefulset.apps/web"),
    ("name", LIST, "statefulset.apps/web-10\nstatefulset.apps/db\nstatefulset.apps/web-2"),
    ("jsonpath={.name}", {"name": "web"}, "web"),
    ("jsonpath={.items[*].name}", LIST, "web-10 db web-2"),
    ("jsonpath={range .items[*]}{.name}={.replicas}{\"\\n\"}{end}", LIST,
     "web-10=3\ndb=2\nweb-2=1\n"),
    ("jsonpath={.items[?(@.replicas>1)].name}", LIST, "web-10 db"),
    ("jsonpath={.missing}", {"name": "web"}, ""),
    ("custom-columns=NAME:.name,APP:.labels.app", LIST,
     "NAME     APP\nweb-10   web\ndb       <none>\nweb-2    <none>"),
    ("custom-columns=NAME:.name,READY:ready", {"name": "web", "ready": "3/3"},
     "NAME   READY\nweb    3/3"),
    ("jsonpath-as-json={.items[*].replicas}", LIST, "[\n    3,\n    2,\n    1\n]"),
])
def test_printers(value, doc, expected):
    assert print_document(doc, parse_output(value, FORMATS), name) == expected


def test_json_is_indented_as_kubectl_and_yaml_keeps_the_order():
    doc = {"b": 1, "a": [1]}
    assert print_document(doc, Output("json"), name) == '{\n    "b": 1,\n    "a": [\n        1\n    ]\n}'
    assert print_document(doc, Output("yaml"), name) == "b: 1\na:\n- 1"
    assert json.loads(print_document(LIST, Output("json"), name)) == LIST
    assert yaml.safe_load(print_document(LIST, Output("yaml"), name)) == LIST


def test_custom_columns_without_headers():
    out = parse_output("custom-columns=NAME:.name", FORMATS)
    assert print_document(LIST, out, name, no_headers=True) == "web-10\ndb\nweb-2"


def test_a_template_failing_on_the_document_is_exit_1_not_a_usage_error():
    out = parse_output("jsonpath={.name[0]}", FORMATS)
    with pytest.raises(TemplateFailed) as info:
        print_document({"name": {"a": 1}}, out, name)
    assert not isinstance(info.value, UsageError) and isinstance(info.value, StsError)
    assert info.value.message.startswith("error: error executing jsonpath")


# -- --sort-by, --show-labels ---------------------------------------------------------------

@pytest.mark.parametrize("expr, order", [
    (None, ["web-10", "db", "web-2"]),
    (".name", ["db", "web-2", "web-10"]),              # natural order, as kubectl sorts
    ("{.name}", ["db", "web-2", "web-10"]),
    ("name", ["db", "web-2", "web-10"]),
    (".replicas", ["web-2", "db", "web-10"]),          # numbers by value
    (".labels.app", ["db", "web-2", "web-10"]),        # without the field: first
])
def test_sort_items(expr, order):
    items = sort_items(LIST["items"], sort_key_template(expr))
    assert [i["name"] for i in items] == order


def test_sort_by_a_field_no_item_has_is_kubectls_error():
    with pytest.raises(TemplateFailed, match=r'couldn\'t find any field with path "\{\.nope\}"'):
        sort_items(LIST["items"], sort_key_template(".nope"))
    assert sort_items([], sort_key_template(".nope")) == []


def test_sort_by_refuses_a_bad_expression_before_any_request():
    with pytest.raises(OutputError, match="unexpected path string"):
        sort_key_template("{.a}{.b}")


@pytest.mark.parametrize("labels, text", [
    (None, "<none>"), ({}, "<none>"), ({"b": "2", "a": "1"}, "a=1,b=2"),
])
def test_label_text(labels, text):
    assert label_text(labels) == text


# -- TYPE/NAME --------------------------------------------------------------------------------

@pytest.mark.parametrize("arg", ["web", "sts/web", "statefulset/web", "statefulsets/web",
                                 "statefulset.apps/web", "statefulsets.apps/web",
                                 "StatefulSet/web", "statefulsets.v1.apps/web"])
def test_statefulset_ref_accepts_kubectls_spellings(arg):
    from kubectl_sts.core.names import statefulset_ref
    assert statefulset_ref(arg) == "web"


@pytest.mark.parametrize("arg, message", [
    ("deploy/web", '"deploy/web" is not a StatefulSet'),
    ("pods/web-0", '"pods/web-0" is not a StatefulSet'),
    ("sts/web/scale", "may not have more than one slash"),
    ("/web", "may not have more than one slash"),
    ("sts/Web", 'invalid StatefulSet name "Web"'),
    ("sts/", "invalid StatefulSet name"),
])
def test_statefulset_ref_refuses(arg, message):
    from kubectl_sts.core.names import statefulset_ref
    with pytest.raises(UsageError, match=message):
        statefulset_ref(arg)


# -- pflag's forms -----------------------------------------------------------------------------

PARAMS = [click.Option(["-o", "--output"]), click.Option(["-n", "--namespace"]),
          click.Option(["-A", "--all-namespaces"], is_flag=True),
          click.Option(["--wait/--no-wait"], default=True),
          click.Option(["--dry-run"], is_flag=False, flag_value="client", default="none")]


@pytest.mark.parametrize("args, expected", [
    (["-o=json"], ["-o", "json"]),
    (["-ojson"], ["-ojson"]),
    (["-n=prod", "status"], ["-n", "prod", "status"]),
    (["--output=json"], ["--output=json"]),
    (["-A=true"], ["-A"]), (["-A=false"], []), (["--all-namespaces=1"], ["--all-namespaces"]),
    (["--wait=false"], ["--no-wait"]), (["--no-wait=false"], ["--wait"]),
    (["--dry-run=server"], ["--dry-run=server"]),
    (["--image=app=nginx"], ["--image=app=nginx"]),
    (["--", "-o=json"], ["--", "-o=json"]),
    (["-x=1"], ["-x=1"]),                               # unknown: click says so
])
def test_kubectl_args(args, expected):
    assert flags.kubectl_args(args, PARAMS) == expected


def test_a_bad_boolean_is_pflags_error():
    with pytest.raises(UsageError, match=r'invalid argument "maybe" for "-A" flag: '
                                         r'strconv.ParseBool: parsing "maybe": invalid syntax'):
        flags.kubectl_args(["-A=maybe"], PARAMS)


@pytest.mark.parametrize("args, message", [
    (["status", "--bogus"], "unknown flag: --bogus"),
    (["status", "-x"], "unknown shorthand flag: 'x' in -x"),
    (["status", "web", "-o"], "flag needs an argument: 'o' in -o"),
    (["status", "web", "--output"], "flag needs an argument: --output"),
    (["status", "web", "db"], "accepts at most 1 arg(s), received 2"),
    (["scale", "web"], 'required flag(s) "replicas" not set'),
    (["scale", "--replicas", "2"], "required resource not specified"),
    (["scale", "web", "--replicas", "two"],
     'invalid argument "two" for "--replicas" flag: strconv.ParseInt: parsing "two": invalid syntax'),
    (["scale", "web", "--replicas", "-1"], 'invalid argument "-1" for "--replicas" flag: must be at least 0'),
    (["rollout", "web", "--on-failure", "retry"],
     'invalid argument "retry" for "--on-failure" flag: must be one of: stop, undo'),
    (["pvc", "web", "--dry-run=maybe"],
     'Invalid dry-run value (maybe). Must be "none", "server", or "client".'),
])
def test_usage_errors_in_kubectls_words(args, message):
    with pytest.raises(click.UsageError) as info:
        cli.cli.main(args=flags.kubectl_args(args, flags.command_params(cli.cli, args)),
                     prog_name="kubectl sts", standalone_mode=False)
    assert flags.usage_words(info.value) == message


def test_an_unknown_command_is_cobras_error():
    with pytest.raises(UsageError, match='unknown command "restartx" for "kubectl sts"'):
        cli.cli.main(args=["restartx"], prog_name="kubectl sts", standalone_mode=False)


def test_the_progress_line_is_rewritten_on_a_terminal_and_one_line_per_change_in_a_pipe(
        capsys):
    from kubectl_sts.commands.shell import Progress
    pipe = Progress(err=True)
    pipe.tty = False
    for line in ("waiting: web-2 not Ready", "waiting: web-2 not Ready", "waiting: web-1",
                 None):
        pipe(line)
    assert capsys.readouterr().err == "waiting: web-2 not Ready\nwaiting: web-1\n"
    term = Progress()
    term.tty = True
    for line in ("a", "a", "b" * 300, None, None):
        term(line)
    assert capsys.readouterr().out == "\r\x1b[Ka\r\x1b[K" + "b" * 200 + "\r\x1b[K"
