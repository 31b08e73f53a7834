import copy
from typing import Any, List, cast

import pytest

from kubectl_sts.k8s.selectorparser import parse_label_selector
from kubectl_sts.k8s.selectors import (DOES_NOT_EXIST, DOUBLE_EQUALS, EQUALS, EXISTS, GREATER_THAN,
                                       IN, LESS_THAN, NOT_EQUALS, NOT_IN, Requirement, SelectorError,
                                       format_label_selector, format_labels, format_requirements,
                                       matches_labels, selector_from_label_selector,
                                       selector_from_set, validate_label_key, validate_label_value)
from kubectl_sts_sandbox.fieldselectors import (FieldRequirement, escape_field_value, field_value,
                                                matches_fields, parse_field_selector)

NAME_REGEX_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation "
    "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_REGEX_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
SUBDOMAIN_REGEX_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
BINARY_OPS = "in, notin, =, ==, !=, gt, lt"


def R(key, op, *values):
    return Requirement(key, op, tuple(values))


def parse_error(text):
    with pytest.raises(SelectorError) as info:
        parse_label_selector(text)
    return str(info.value)


# ---------------------------------------------------------------------------
# parse_label_selector: valid input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("a=b", [R("a", EQUALS, "b")]),
        ("a==b", [R("a", DOUBLE_EQUALS, "b")]),
        ("a!=b", [R("a", NOT_EQUALS, "b")]),
        ("a in (x,y)", [R("a", IN, "x", "y")]),
        ("a in (y,x,y)", [R("a", IN, "x", "y")]),
        ("a notin (x)", [R("a", NOT_IN, "x")]),
        ("a", [R("a", EXISTS)]),
        ("!a", [R("a", DOES_NOT_EXIST)]),
        ("a>1", [R("a", GREATER_THAN, "1")]),
        ("a<10", [R("a", LESS_THAN, "10")]),
        ("a=", [R("a", EQUALS, "")]),
        ("a!=", [R("a", NOT_EQUALS, "")]),
        ("a in ()", [R("a", IN, "")]),
        ("a in (,)", [R("a", IN, "")]),
        ("a in (x,)", [R("a", IN, "", "x")]),
        ("a in (,x)", [R("a", IN, "", "x")]),
        ("a in (x,,y)", [R("a", IN, "", "x", "y")]),
        ("app.kubernetes.io/name=web", [R("app.kubernetes.io/name", EQUALS, "web")]),
        ("x-1.y_2=A-b.c_d", [R("x-1.y_2", EQUALS, "A-b.c_d")]),
        # keywords are plain identifiers where a key or value is expected
        ("in in (in)", [R("in", IN, "in")]),
        ("notin notin (notin,in)", [R("notin", NOT_IN, "in", "notin")]),
        ("in=notin", [R("in", EQUALS, "notin")]),
    ],
)
def test_parse_single_requirement(text, expected):
    assert parse_label_selector(text) == expected


def test_parse_multiple_requirements_sorted_by_key():
    assert parse_label_selector("z=1,a in (b),!m,k") == [
        R("a", IN, "b"),
        R("k", EXISTS),
        R("m", DOES_NOT_EXIST),
        R("z", EQUALS, "1"),
    ]


def test_parse_keeps_duplicate_keys():
    assert parse_label_selector("a=1,a!=2") == [R("a", EQUALS, "1"), R("a", NOT_EQUALS, "2")]


def test_parse_upstream_example():
    assert parse_label_selector("x in (foo,,baz),y,z notin ()") == [
        R("x", IN, "", "baz", "foo"),
        R("y", EXISTS),
        R("z", NOT_IN, ""),
    ]


@pytest.mark.parametrize(
    "text",
    [
        " a = b ",
        "a=b",
        "\ta\t=\tb\t",
        "a =b",
        "a= b",
        "\na\r\n=\nb\n",
    ],
)
def test_parse_whitespace_tolerant(text):
    assert parse_label_selector(text) == [R("a", EQUALS, "b")]


def test_parse_whitespace_around_sets_and_commas():
    assert parse_label_selector("  a  in  ( x , y )  ,  ! b , c  ") == [
        R("a", IN, "x", "y"),
        R("b", DOES_NOT_EXIST),
        R("c", EXISTS),
    ]


@pytest.mark.parametrize("text", ["", None, "   ", "\t\n"])
def test_parse_empty_selectors(text):
    assert parse_label_selector(text) == []


def test_parse_returns_fresh_immutable_requirements():
    reqs = parse_label_selector("a in (x,y)")
    assert isinstance(reqs[0].values, tuple)
    cast(List[Any], reqs).append("junk")       # not a Requirement: any change to the list
    assert parse_label_selector("a in (x,y)") == [R("a", IN, "x", "y")]


def test_parse_label_value_at_max_length():
    value = "v" * 63
    assert parse_label_selector("a=" + value) == [R("a", EQUALS, value)]


def test_parse_label_key_name_at_max_length_with_prefix():
    key = "example.com/" + "k" * 63
    assert parse_label_selector(key) == [R(key, EXISTS)]


# ---------------------------------------------------------------------------
# parse_label_selector: syntax errors (messages as the API server returns them)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,message",
    [
        ("a b", "unable to parse requirement: found 'b', expected: " + BINARY_OPS),
        ("a!", "unable to parse requirement: found '!', expected: " + BINARY_OPS),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a,,b", "found ',', expected: identifier after ','"),
        ("a=b,=c", "found '=', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
        ("!!a", "unable to parse requirement: found '!', expected: identifier"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a in", "unable to parse requirement: found '' expected: '('"),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a in (b,", "unable to parse requirement: found '', expected: ',', or identifier"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("a==!b", "unable to parse requirement: found '!', expected: identifier"),
        ("a in (b))", "found ')', expected: ',' or 'end of string'"),
    ],
)
def test_parse_syntax_errors(text, message):
    assert parse_error(text) == message


def test_parse_error_is_an_exception():
    assert issubclass(SelectorError, Exception)


# ---------------------------------------------------------------------------
# parse_label_selector: validation errors
# ---------------------------------------------------------------------------


def test_invalid_key_characters():
    assert parse_error("a$=b") == (
        'unable to parse requirement: <nil>: Invalid value: "a$": name part ' + NAME_REGEX_MSG
    )


def test_invalid_key_must_end_alphanumeric():
    assert parse_error("a-") == 'unable to parse requirement: <nil>: Invalid value: "a-": name part ' + NAME_REGEX_MSG


def test_key_too_long_reports_length_and_keeps_going():
    key = "k" * 64
    assert parse_error(key + "=v") == (
        'unable to parse requirement: <nil>: Invalid value: "%s": name part must be no more than 63 characters'
        % key
    )


def test_key_too_long_and_bad_characters_are_joined():
    key = "-" + "k" * 63
    assert parse_error(key) == (
        'unable to parse requirement: <nil>: Invalid value: "%s": name part must be no more than 63 '
        "characters; name part %s" % (key, NAME_REGEX_MSG)
    )


def test_key_with_empty_prefix():
    assert parse_error("/a") == 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'


def test_key_with_empty_name_part():
    assert parse_error("example.com/") == (
        'unable to parse requirement: <nil>: Invalid value: "example.com/": name part must be non-empty; '
        "name part " + NAME_REGEX_MSG
    )


def test_key_with_bad_prefix():
    assert parse_error("Example.com/a") == (
        'unable to parse requirement: <nil>: Invalid value: "Example.com/a": prefix part ' + SUBDOMAIN_REGEX_MSG
    )


def test_key_with_too_many_slashes():
    assert parse_error("a/b/c") == (
        'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name '
        + NAME_REGEX_MSG
        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    )


def test_key_with_non_printable_character_is_go_quoted():
    assert parse_error("a\x01").startswith('unable to parse requirement: <nil>: Invalid value: "a\\x01": ')


def test_invalid_value_characters():
    assert parse_error("a=b$") == (
        'unable to parse requirement: values[0][a]: Invalid value: "b$": ' + VALUE_REGEX_MSG
    )


def test_invalid_value_index_in_set():
    assert parse_error("a in (ok,-bad)") == (
        'unable to parse requirement: values[0][a]: Invalid value: "-bad": ' + VALUE_REGEX_MSG
    )


def test_value_too_long():
    value = "v" * 64
    assert parse_error("a=" + value) == (
        'unable to parse requirement: values[0][a]: Invalid value: "%s": must be no more than 63 characters'
        % value
    )


def test_several_invalid_values_are_aggregated():
    assert parse_error("a in (-x,-y)") == (
        'unable to parse requirement: [values[0][a]: Invalid value: "-x": %s, '
        'values[1][a]: Invalid value: "-y": %s]' % (VALUE_REGEX_MSG, VALUE_REGEX_MSG)
    )


def test_gt_requires_an_integer():
    assert parse_error("a>x") == (
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, "
        "the value must be an integer"
    )


def test_lt_with_empty_value():
    msg = parse_error("a<")
    assert msg == (
        "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, "
        "the value must be an integer"
    )


# ---------------------------------------------------------------------------
# matches_labels
# ---------------------------------------------------------------------------

LABELS = {"app": "web", "tier": "db", "n": "5", "empty": ""}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("app=web", True),
        ("app=api", False),
        ("app==web", True),
        ("app!=web", False),
        ("app!=api", True),
        ("missing!=x", True),
        ("missing=x", False),
        ("missing==x", False),
        ("app in (api,web)", True),
        ("app in (api)", False),
        ("missing in (web)", False),
        ("app notin (api)", True),
        ("app notin (web,api)", False),
        ("missing notin (web)", True),
        ("app", True),
        ("missing", False),
        ("!app", False),
        ("!missing", True),
        ("empty", True),
        ("empty=", True),
        ("empty in ()", True),
        ("empty!=", False),
        ("app=", False),
        ("missing=", False),
        ("n>4", True),
        ("n>5", False),
        ("n<6", True),
        ("n<5", False),
        ("n>-1", None),  # invalid label value, rejected by the parser
        ("app>1", False),  # non-integer label value never matches
        ("missing>1", False),
        ("missing<1", False),
        ("app=web,tier=db", True),
        ("app=web,tier=cache", False),
        ("app=web,tier in (db,cache),!missing,n>1", True),
        ("", True),
    ],
)
def test_matches_labels(text, expected):
    if expected is None:
        with pytest.raises(SelectorError):
            parse_label_selector(text)
        return
    assert matches_labels(parse_label_selector(text), LABELS) is expected


def test_matches_labels_with_none_labels():
    assert matches_labels([], None) is True
    assert matches_labels(parse_label_selector("!a"), None) is True
    assert matches_labels(parse_label_selector("a notin (x)"), None) is True
    assert matches_labels(parse_label_selector("a!=x"), None) is True
    assert matches_labels(parse_label_selector("a"), None) is False
    assert matches_labels(parse_label_selector("a=x"), None) is False


def test_matches_labels_accepts_plain_tuples():
    assert matches_labels([("app", "=", ("web",))], LABELS) is True
    assert matches_labels([("app", "in", ["api"])], LABELS) is False


def test_matches_labels_does_not_mutate():
    labels = {"a": "1"}
    before = copy.deepcopy(labels)
    matches_labels(parse_label_selector("a=1,b"), labels)
    assert labels == before


# ---------------------------------------------------------------------------
# selector_from_label_selector
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("obj", [None, {}, {"matchLabels": {}}, {"matchLabels": None, "matchExpressions": []}])
def test_empty_label_selector_matches_everything(obj):
    reqs = selector_from_label_selector(obj)
    assert reqs == []
    assert matches_labels(reqs, {"a": "b"})
    assert matches_labels(reqs, None)


def test_label_selector_match_labels_and_expressions():
    obj = {
        "matchLabels": {"tier": "db", "app": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "zone", "operator": "NotIn", "values": ["z1"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "owner", "operator": "Exists", "values": []},
        ],
    }
    before = copy.deepcopy(obj)
    reqs = selector_from_label_selector(obj)
    assert obj == before
    assert reqs == [
        R("app", EQUALS, "web"),
        R("canary", DOES_NOT_EXIST),
        R("env", IN, "prod", "dev"),
        R("owner", EXISTS),
        R("tier", EQUALS, "db"),
        R("zone", NOT_IN, "z1"),
    ]
    assert matches_labels(reqs, {"app": "web", "tier": "db", "env": "dev", "owner": "me"})
    assert not matches_labels(reqs, {"app": "web", "tier": "db", "env": "dev"})
    assert not matches_labels(reqs, {"app": "web", "tier": "db", "env": "qa", "owner": "me"})
    assert not matches_labels(reqs, {"app": "web", "tier": "db", "env": "dev", "owner": "me", "zone": "z1"})
    assert not matches_labels(reqs, {"app": "web", "tier": "db", "env": "dev", "owner": "me", "canary": ""})


def test_label_selector_invalid_operator():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]})
    assert str(info.value) == '"Equals" is not a valid label selector operator'


def test_label_selector_missing_operator():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchExpressions": [{"key": "a"}]})
    assert str(info.value) == '"" is not a valid label selector operator'


def test_label_selector_in_without_values():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "In"}]})
    assert str(info.value) == (
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
    )


def test_label_selector_exists_with_values():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x", "y"]}]})
    assert str(info.value) == (
        'values: Invalid value: []string{"x", "y"}: values set must be empty for exists and does not exist'
    )


def test_label_selector_invalid_key_and_value():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchLabels": {"a b": "c d"}})
    assert str(info.value) == (
        '[key: Invalid value: "a b": name part %s, values[0][a b]: Invalid value: "c d": %s]'
        % (NAME_REGEX_MSG, VALUE_REGEX_MSG)
    )


def test_label_selector_invalid_expression_value():
    with pytest.raises(SelectorError) as info:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["ok", "no!"]}]})
    assert str(info.value) == 'values[1][a]: Invalid value: "no!": ' + VALUE_REGEX_MSG


def test_selector_from_set():
    assert selector_from_set(None) == []
    assert selector_from_set({"b": "2", "a": "1"}) == [R("a", EQUALS, "1"), R("b", EQUALS, "2")]


# ---------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------


def test_format_label_selector_example():
    assert format_label_selector({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["db"]}]}) == "app=web,tier in (db)"


def test_format_label_selector_all_operators_sorted():
    obj = {
        "matchLabels": {"z": "1"},
        "matchExpressions": [
            {"key": "b", "operator": "NotIn", "values": ["y", "x"]},
            {"key": "c", "operator": "Exists"},
            {"key": "a", "operator": "DoesNotExist"},
            {"key": "d", "operator": "In", "values": ["q", "p", "r"]},
        ],
    }
    assert format_label_selector(obj) == "!a,b notin (x,y),c,d in (p,q,r),z=1"


@pytest.mark.parametrize("obj", [None, {}, {"matchLabels": {}, "matchExpressions": []}])
def test_format_empty_label_selector(obj):
    assert format_label_selector(obj) == ""
    assert format_label_selector(obj, empty="<none>") == "<none>"


def test_format_label_selector_invalid():
    with pytest.raises(SelectorError):
        format_label_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})


def test_format_requirements_round_trip():
    text = "!a,b notin (x,y),c,d in (p,q),e=1,f==2,g!=3,h>4,i<5"
    assert format_requirements(parse_label_selector(text)) == text
    assert format_requirements([]) == ""


def test_format_labels():
    assert format_labels(None) == "<none>"
    assert format_labels({}) == "<none>"
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"


def test_validate_label_key_and_value_helpers():
    assert validate_label_key("app") == []
    assert validate_label_key("example.com/app") == []
    assert validate_label_key("bad key") == ["name part " + NAME_REGEX_MSG]
    assert validate_label_value("") == []
    assert validate_label_value("x" * 63) == []
    assert validate_label_value("x" * 64) == ["must be no more than 63 characters"]


# ---------------------------------------------------------------------------
# parse_field_selector
# ---------------------------------------------------------------------------


def F(field, op, value):
    return FieldRequirement(field, op, value)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("metadata.name=foo", [F("metadata.name", "=", "foo")]),
        ("metadata.name==foo", [F("metadata.name", "==", "foo")]),
        ("status.phase!=Running", [F("status.phase", "!=", "Running")]),
        ("metadata.name=", [F("metadata.name", "=", "")]),
        ("a=b,c=d", [F("a", "=", "b"), F("c", "=", "d")]),
        ("c=d,a=b", [F("a", "=", "b"), F("c", "=", "d")]),
        ("a=b,,c=d,", [F("a", "=", "b"), F("c", "=", "d")]),
        ("a=b\\,c", [F("a", "=", "b,c")]),
        ("a=b\\=c", [F("a", "=", "b=c")]),
        ("a=b\\\\c", [F("a", "=", "b\\c")]),
        ("a=x\\,y,b=z", [F("a", "=", "x,y"), F("b", "=", "z")]),
        ("a==", [F("a", "==", "")]),
        ("a!=\\=b", [F("a", "!=", "=b")]),
        ("a = b", [F("a ", "=", " b")]),
        ("x\\q=1", [F("x\\q", "=", "1")]),
        ("spec.nodeName=node-1,metadata.namespace=default",
         [F("metadata.namespace", "=", "default"), F("spec.nodeName", "=", "node-1")]),
    ],
)
def test_parse_field_selector(text, expected):
    assert parse_field_selector(text) == expected


@pytest.mark.parametrize("text", ["", None, ",", ",,"])
def test_parse_empty_field_selector(text):
    assert parse_field_selector(text) == []


@pytest.mark.parametrize(
    "text,message",
    [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("a==b,c=d,e", "invalid selector: 'a==b,c=d,e'; can't understand 'e'"),
        ("a!==b", "invalid field selector: unescaped character in value: 61"),
        ("a=\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_parse_field_selector_errors(text, message):
    with pytest.raises(SelectorError) as info:
        parse_field_selector(text)
    assert str(info.value) == message


def test_escape_field_value_round_trip():
    raw = "a,b=c\\d"
    escaped = escape_field_value(raw)
    assert escaped == "a\\,b\\=c\\\\d"
    assert parse_field_selector("x=" + escaped) == [F("x", "=", raw)]


# ---------------------------------------------------------------------------
# matches_fields
# ---------------------------------------------------------------------------

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web-0", "namespace": "default"},
    "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.1"},
}

EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "web-0.17a", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default", "uid": "u-1"},
    "reason": "Started",
    "type": "Normal",
    "count": 3,
    "source": {"component": "kubelet", "host": "node-1"},
}


@pytest.mark.parametrize(
    "text,obj,expected",
    [
        ("metadata.name=web-0", POD, True),
        ("metadata.name==web-0", POD, True),
        ("metadata.name=web-1", POD, False),
        ("metadata.name!=web-1", POD, True),
        ("metadata.name!=web-0", POD, False),
        ("metadata.namespace=default", POD, True),
        ("status.phase=Running", POD, True),
        ("status.phase!=Running", POD, False),
        ("spec.nodeName=node-1", POD, True),
        ("spec.nodeName=", POD, False),
        ("status.nominatedNodeName=", POD, True),
        ("status.nominatedNodeName!=", POD, False),
        ("spec.hostNetwork=false", POD, True),
        ("metadata.name=web-0,status.phase=Running", POD, True),
        ("metadata.name=web-0,status.phase=Pending", POD, False),
        ("", POD, True),
        ("involvedObject.name=web-0", EVENT, True),
        ("involvedObject.kind=Pod", EVENT, True),
        ("involvedObject.namespace=default", EVENT, True),
        ("involvedObject.uid=u-1", EVENT, True),
        ("involvedObject.uid=u-2", EVENT, False),
        ("involvedObject.fieldPath=", EVENT, True),
        ("reason=Started", EVENT, True),
        ("type=Warning", EVENT, False),
        ("type!=Warning", EVENT, True),
        ("count=3", EVENT, True),
        ("source=kubelet", EVENT, True),
        ("metadata.name.bogus=", POD, True),
    ],
)
def test_matches_fields(text, obj, expected):
    assert matches_fields(parse_field_selector(text), obj) is expected


def test_field_value_conversions():
    obj = {"kind": "Pod", "spec": {"hostNetwork": True, "priority": 5}, "status": {"x": None, "conds": [1]}}
    assert field_value(obj, "spec.hostNetwork") == "true"
    assert field_value(obj, "spec.priority") == "5"
    assert field_value(obj, "status.x") == ""
    assert field_value(obj, "status.conds") == ""
    assert field_value(obj, "spec") == ""
    assert field_value({}, "spec.hostNetwork") == "false"
    assert field_value(None, "metadata.name") == ""


def test_event_source_falls_back_to_reporting_component():
    event = {"kind": "Event", "reportingComponent": "statefulset-controller"}
    assert field_value(event, "source") == "statefulset-controller"


def test_matches_fields_does_not_mutate():
    obj = copy.deepcopy(POD)
    matches_fields(parse_field_selector("metadata.name=web-0,spec.foo.bar=1"), obj)
    assert obj == POD
