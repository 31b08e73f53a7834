"""kubectl's JSONPath template dialect (kubectl_sts.printers.jsonpath), table-driven.

VERIFIED cases were run through the real kubectl v1.32 (`kubectl create -f OBJ --dry-run=client -o
jsonpath=TEMPLATE`, OBJ being a ControllerRevision whose `.data` holds the test data, so any JSON
fits; kubectl needs an API server for discovery only, the project's sandbox served it) and the
expected column is what kubectl printed. `allow` is kubectl's --allow-missing-template-keys.
"""

import pytest

from kubectl_sts.printers.jsonpath import go_json, go_print, render
from kubectl_sts.printers.jsonpath_parser import JSONPathError, parse, relaxed

# the input of the kubectl JSONPath docs page (kubernetes.io/docs/reference/kubectl/jsonpath/)
DOC = {
    "kind": "List",
    "items": [
        {"kind": "None",
         "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
         "status": {"capacity": {"cpu": "4"},
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
        {"kind": "None",
         "metadata": {"name": "127.0.0.2"},
         "status": {"capacity": {"cpu": "8"},
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                  {"type": "another", "address": "127.0.0.3"}]}},
    ],
    "users": [
        {"name": "myself", "user": {}},
        {"name": "e2e", "user": {"username": "admin", "password": "secret"}},
    ],
}

D = {"m": {"z": 1, "a": 2, "k": 3}, "l": [1, 2.5, "s", True, None, {"b": 1, "a": [1]}], "n": 3,
     "f": 2.5, "s": "<a&b>", "e": [], "nul": None, "t": True, "w.x": "dot",
     "pods": [{"name": "a", "ready": True, "n": 1, "ports": [80, 81]},
              {"name": "b", "ready": False, "n": 2, "ports": []},
              {"name": "c", "n": 3, "ports": [90]}]}


def cr(data):
    """The object kubectl printed from: a ControllerRevision holding DATA."""
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1,
            "metadata": {"name": "x", "namespace": "default"}, "data": data}


# VERIFIED against kubectl v1.32: (template, data under .data, allow missing keys, printed output)
VERIFIED = [
    ('kind is {.data.kind}', DOC, True, 'kind is List'),
    ("{.data['kind']}", DOC, True, 'List'),
    ('{.data..name}', DOC, True, '127.0.0.1 127.0.0.2 myself e2e'),
    ('{.data.items[*].metadata.name}', DOC, True, '127.0.0.1 127.0.0.2'),
    ('{.data.users[0].name}', DOC, True, 'myself'),
    ("{.data.items[*]['metadata.name', 'status.capacity']}", DOC, True, '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
    ('{.data.users[?(@.name=="e2e")].user.password}', DOC, True, 'secret'),
    ('{range .data.items[*]}[{.metadata.name}, {.status.capacity}] {end}', DOC, True, '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
    ('{.data.items[0].metadata.labels.kubernetes\\.io/hostname}', DOC, True, '127.0.0.1'),
    ('{.data.items[-1:].metadata.name}', DOC, True, '127.0.0.2'),
    ('{range .data.items[*]}{.metadata.name}{"\\t"}{.status.capacity.cpu}{"\\n"}{end}', DOC, True, '127.0.0.1\t4\n127.0.0.2\t8\n'),
    ('{range .data.items[*]}{.metadata.name}:{range .status.addresses[*]}{.address},{end}{"\\n"}{end}after', DOC, True, '127.0.0.1:127.0.0.1,\n127.0.0.2:127.0.0.2,127.0.0.3,\nafter'),
    ("{.data.items[*].status.addresses[?(@.type=='another')].address}", DOC, True, '127.0.0.3'),
    ('{.data}', D, True, '{"e":[],"f":2.5,"l":[1,2.5,"s",true,null,{"a":[1],"b":1}],"m":{"a":2,"k":3,"z":1},"n":3,"nul":null,"pods":[{"n":1,"name":"a","ports":[80,81],"ready":true},{"n":2,"name":"b","ports":[],"ready":false},{"n":3,"name":"c","ports":[90]}],"s":"\\u003ca\\u0026b\\u003e","t":true,"w.x":"dot"}'),
    ('{.data.l}', D, True, '[1,2.5,"s",true,null,{"a":[1],"b":1}]'),
    ('{.data.l[*]}', D, True, '1 2.5 s true null {"a":[1],"b":1}'),
    ('{.data.l[1:3]}', D, True, '2.5 s'),
    ('{.data.l[::2]}', D, True, '1 s null'),
    ('{.data.l[-2]}', D, True, 'null'),
    ('{.data.l[0,2]}', D, True, '1 s'),
    ('{.data.e[*]}', D, True, ''),
    ('{.data.nul}', D, True, 'null'),
    ('{.data.nul.x}', D, True, ''),
    ('{.data.t} {.data.n} {.data.f}', D, True, 'true 3 2.5'),
    ('{.data.s}', D, True, '<a&b>'),
    ('{.data.w\\.x}', D, True, 'dot'),
    ("{.data['w.x']}", D, True, ''),
    ("{.data['m.a']}", D, True, '2'),
    ('{.data.pods[?(@.ready)].name}', D, True, 'a b'),
    ('{.data.pods[?(@.ready==true)].name}', D, True, 'a'),
    ('{.data.pods[?(@.n>1)].name}', D, True, 'b c'),
    ('{.data.pods[?(@.n>=2)].name}', D, True, 'b c'),
    ('{.data.pods[?(@.n<2)].name}', D, True, 'a'),
    ('{.data.pods[?(@.n<=2)].name}', D, True, 'a b'),
    ('{.data.pods[?(@.n!=2)].name}', D, True, 'a c'),
    ("{.data.pods[?(@.name>'a')].name}", D, True, 'b c'),
    ('{.data.pods[*].ports[*]}', D, True, '80 81'),
    ('{.data.pods[*].ports}', D, True, '[80,81] [] [90]'),
    ('{.data.missing}', D, True, ''),
    ('{.data.pods[*].ready}', D, False, 'true false'),
    ('{.data.s.*}', D, True, '60 97 38 98 62'),
    # kubectl printed '[1] 2' once and '2 [1]' once (map order); sorted-key order gives:
    ('{...a}', D, True, '[1] 2'),
    ('{"\\n"}{"\\t"}{\'x\'}', D, True, '\n\tx'),
    ('{.data.n} {1} {true} {2.5}', D, True, '3 1 true 2.5'),
    ('plain text, no braces', D, True, 'plain text, no braces'),
    ('{range .data.l[0:2]}<{@}>{end}', D, True, '<1><2.5>'),
    ('{.data.n}{range .data.pods[*]}{.name}{end}{.data.f}', D, True, '3abc2.5'),
    ('{.data.pods[?(@.name=="a")].ports[0]}', D, True, '80'),
    ('{.data.l[?(@.a)]}', D, True, '{"a":[1],"b":1}'),
]


@pytest.mark.parametrize("template, data, allow, expected", VERIFIED)
def test_verified_output(template, data, allow, expected):
    assert render(template, cr(data), allow_missing_keys=allow) == expected


# VERIFIED against kubectl v1.32: (template, data, allow missing keys, error text); the exec errors
# are the reason inside `error executing jsonpath "T": Error executing template: REASON. Printing...`
VERIFIED_ERRORS = [
    ('{.data.l[10]}', D, True, 'array index out of bounds: index 10, length 6'),
    ('{.data.l[-10]}', D, True, 'array index out of bounds: index -4, length 6'),
    ('{.data.l[1:10]}', D, True, 'array index out of bounds: index 9, length 6'),
    ('{.data.l[3:1]}', D, True, 'starting index 3 is greater than ending index 1'),
    ('{.data.l[::0]}', D, True, 'step must be > 0'),
    ('{.data.l[::-1]}', D, True, 'step must be > 0'),
    ('{.data.e[0]}', D, True, 'array index out of bounds: index 0, length 0'),
    ('{.data.pods[?(@.n>1.5)].name}', D, True, 'incompatible types for comparison'),
    ('{.data.pods[?(@.ready>true)].name}', D, True, 'invalid type for comparison'),
    ('{.data.missing}', D, False, 'missing is not found'),
    ('{.data.pods[?(@.ready==true)].name}', D, False, 'ready is not found'),
    ('{.data.m[0]}', D, True, 'map[string]interface {} is not array or slice'),
    ('{.data.m[?(@.a)]}', D, True, 'map[a:2 k:3 z:1] is not array or slice and cannot be filtered'),
    ('{.data.s[*]}', D, True, 'string is not array or slice'),
    ('{.a[}', D, True, 'error parsing jsonpath {.a[}, unterminated array'),
    ('{.a', D, True, 'error parsing jsonpath {.a, unclosed action'),
    ('{.a[?(@.x)}', D, True, 'error parsing jsonpath {.a[?(@.x)}, unclosed array expect ]'),
    ('{.a[x]}', D, True, 'error parsing jsonpath {.a[x]}, invalid array index x'),
    ('{.a,.b}', D, True, "error parsing jsonpath {.a,.b}, unrecognized character in action: U+002C ','"),
    ('{end}', D, True, 'not in range, nothing to end'),
    ('{foo}', D, True, 'unrecognized identifier foo'),
    ('{"unterminated}', D, True, 'error parsing jsonpath {"unterminated}, unterminated quoted string'),
    ('{.a[1:x]}', D, True, 'error parsing jsonpath {.a[1:x]}, invalid array index 1:x'),
    ('{.a\t}', D, True, 'error parsing jsonpath {.a\t}, unrecognized character in action: U+0009'),
    ('{1.2.3}', D, True, 'error parsing jsonpath {1.2.3}, cannot parse number 1.2.3'),
    ('{"\\q"}', D, True, 'error parsing jsonpath {"\\q"}, unquote string "\\q" error invalid syntax'),
    ('{range .data.e[*]}{.x}{end}', D, False, 'x is not found'),
    ('{.data.pods[?(@.x==1)].name}', D, False, 'x is not found'),
    ('{.data.pods[?(@.nul==1)].name}', {"pods": [{"nul": None}]}, True, 'invalid type for comparison'),
]


@pytest.mark.parametrize("template, data, allow, message", VERIFIED_ERRORS)
def test_verified_errors(template, data, allow, message):
    with pytest.raises(JSONPathError) as info:
        render(template, cr(data), allow_missing_keys=allow)
    assert message in str(info.value)


def test_exec_error_wording():
    # VERIFIED: kubectl printed `error: ` and then exactly this first line
    with pytest.raises(JSONPathError) as info:
        render("{.foo}", {}, allow_missing_keys=False)
    assert str(info.value) == ('error executing jsonpath "{.foo}": Error executing template: foo is not '
                               'found. Printing more information for debugging the template:')
    assert info.value.reason == "foo is not found"


# The docs page's own examples, on its own input (not wrapped). kubectl walks maps in random
# order; this module walks them in sorted key order, which gives the order the page shows.
DOCS_PAGE = [
    ("kind is {.kind}", "kind is List"),
    ("{.kind}", "List"),
    ("{['kind']}", "List"),
    ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
    ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
    ("{.users[0].name}", "myself"),
    ("{.items[*]['metadata.name', 'status.capacity']}", '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
    ('{.users[?(@.name=="e2e")].user.password}', "secret"),
    ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
     '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
    ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"),
    ("{.items[-1:].metadata.name}", "127.0.0.2"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{.status.capacity.cpu}{"\\n"}{end}',
     "127.0.0.1\t4\n127.0.0.2\t8\n"),
    ("{$.kind}", "List"),
    ("{.users[*].user.username}", "admin"),
]


@pytest.mark.parametrize("template, expected", DOCS_PAGE)
def test_docs_page(template, expected):
    assert render(template, DOC) == expected


def test_at_is_the_whole_object_as_json():
    assert render("{@}", {"b": [1, {"y": None}], "a": "x"}) == '{"a":"x","b":[1,{"y":null}]}'


def test_map_wildcard_sorted():
    # kubectl's order is random here (Go map iteration); the values are the same
    assert render("{.m.*}", D) == "2 3 1"


@pytest.mark.parametrize("value, printed, as_json", [
    # VERIFIED against kubectl v1.32 (`{.data[*]}` and `{.data}` of a list of these numbers)
    (1234567.5, "1.2345675e+06", "1234567.5"),
    (123456.0, "123456", "123456"),
    (999999.9, "999999.9", "999999.9"),
    (0.0001, "0.0001", "0.0001"),
    (0.00001234, "1.234e-05", "0.00001234"),
    (1e100, "1e+100", "1e+100"),
    (1e-7, "1e-07", "1e-7"),
    (1e20, "1e+20", "100000000000000000000"),
    (1e21, "1e+21", "1e+21"),
    (1000000, "1000000", "1000000"),
    (-2.5, "-2.5", "-2.5"),
])
def test_numbers(value, printed, as_json):
    assert go_print(value) == printed
    assert go_json(value) == as_json


def test_json_escapes_html_like_go():
    # VERIFIED: {.data} printed "\u003ca\u0026b\u003e" for "<a&b>", {.data.s} printed it raw
    assert go_json({"s": "<a&b>"}) == '{"s":"\\u003ca\\u0026b\\u003e"}'
    assert render("{.s}", {"s": "<a&b>"}) == "<a&b>"


def test_parse_once_execute_many():
    t = parse("{.a}")
    assert [render("{.a}", {"a": i}) for i in (1, 2)] == ["1", "2"]
    assert t.source == "{.a}"


@pytest.mark.parametrize("expr, expected", [
    ("metadata.name", "{.metadata.name}"),
    (".metadata.name", "{.metadata.name}"),
    ("{metadata.name}", "{.metadata.name}"),
    ("{.metadata.name}", "{.metadata.name}"),
    ("", ""),
    (".spec.containers[*].image", "{.spec.containers[*].image}"),
])
def test_relaxed(expr, expected):
    assert relaxed(expr) == expected


@pytest.mark.parametrize("expr", ["{.a}{.b}", "{.a", "a}", "{}"])
def test_relaxed_rejects(expr):
    # VERIFIED (custom-columns=A:{.a}{.b}) for the wording
    with pytest.raises(JSONPathError, match="unexpected path string, expected a 'name1.name2' or "
                                            "'.name1.name2' or '{name1.name2}' or '{.name1.name2}'"):
        relaxed(expr)
