"""Unit tests for kubectl_sts_sandbox.revisions: ControllerRevision data, hash and name, as the
StatefulSet controller computes them (statefulset-semantics.md section 2)."""

import json

import pytest

from kubectl_sts_sandbox.revisions import (fnv32, revision_data, revision_hash, revision_name,
                                           safe_encode, template_from_data)

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                     "terminationGracePeriodSeconds": 1}}


# -- FNV-32 (FNV-1, Go's hash/fnv New32) -------------------------------------------------------

@pytest.mark.parametrize("data,expected", [
    (b"", 0x811C9DC5),          # the offset basis
    (b"a", 0x050C5D7E),
    (b"foobar", 0x31F0B262),
])
def test_fnv32_is_fnv1_known_values(data, expected):
    assert fnv32(data) == expected


@pytest.mark.parametrize("data,fnv1a", [(b"a", 0xE40C292C), (b"foobar", 0xBF9CF968)])
def test_fnv32_is_not_fnv1a(data, fnv1a):
    assert fnv32(data) != fnv1a


def test_fnv32_multiplies_before_xor():
    # one byte: (basis * prime) ^ byte, truncated to 32 bits
    assert fnv32(b"\x00") == (0x811C9DC5 * 0x01000193) & 0xFFFFFFFF
    assert fnv32(b"\x01") == ((0x811C9DC5 * 0x01000193) & 0xFFFFFFFF) ^ 1


def test_fnv32_accepts_bytearray_and_stays_32_bit():
    value = fnv32(bytearray(b"x" * 1000))
    assert 0 <= value <= 0xFFFFFFFF


# -- SafeEncodeString ---------------------------------------------------------------------------

def test_safe_encode_digits():
    # byte % 27 indexes "bcdfghjklmnpqrstvwxz2456789": '0' (48) -> 21 -> '4', '6' (54) -> 0 -> 'b'
    assert safe_encode("0123456789") == "456789bcdf"


def test_safe_encode_uses_only_the_alphabet_and_keeps_length():
    text = "".join(chr(c) for c in range(32, 127))
    out = safe_encode(text)
    assert len(out) == len(text)
    assert set(out) <= set(ALPHABET)
    # no vowels and no characters that could spell words or look alike (0/o, 1/l, 3/e)
    assert not set(out) & set("aeiouy013")


def test_safe_encode_of_a_decimal_hash():
    assert safe_encode(str(4294967295)) == "86f8fbc6f9"


# -- hash and name ------------------------------------------------------------------------------

def test_revision_hash_is_safe_encoded_decimal_fnv_of_raw_plus_collision_count():
    raw = revision_data(TEMPLATE)
    assert revision_hash(raw, 0) == safe_encode(str(fnv32(raw.encode() + b"0")))
    assert revision_hash(raw, 7) == safe_encode(str(fnv32(raw.encode() + b"7")))
    assert revision_hash(raw) == safe_encode(str(fnv32(raw.encode())))
    assert revision_hash(raw, 0) != revision_hash(raw, 1)


def test_revision_hash_is_short_and_deterministic():
    raw = revision_data(TEMPLATE)
    h = revision_hash(raw, 0)
    assert h == revision_hash(revision_data(json.loads(json.dumps(TEMPLATE))), 0)
    assert 1 <= len(h) <= 10 and set(h) <= set(ALPHABET)


def test_revision_hash_changes_with_the_template():
    other = json.loads(json.dumps(TEMPLATE))
    other["spec"]["containers"][0]["image"] = "nginx:1.28"
    assert revision_hash(revision_data(TEMPLATE), 0) != revision_hash(revision_data(other), 0)


def test_revision_name():
    assert revision_name("web", "7b5d8c9f4d") == "web-7b5d8c9f4d"


def test_revision_name_truncates_the_prefix_at_223():
    long = "a" * 300
    name = revision_name(long, "bcdf")
    assert name == "a" * 223 + "-bcdf"
    assert revision_name("b" * 223, "x") == "b" * 223 + "-x"
    assert revision_name("b" * 224, "x") == "b" * 223 + "-x"


# -- data ----------------------------------------------------------------------------------------

def test_revision_data_shape():
    raw = revision_data(TEMPLATE)
    data = json.loads(raw)
    assert list(data) == ["spec"]
    assert list(data["spec"]) == ["template"]
    template = data["spec"]["template"]
    assert template["$patch"] == "replace"
    assert template["metadata"] == TEMPLATE["metadata"]
    assert template["spec"] == TEMPLATE["spec"]


def test_revision_data_is_compact_with_sorted_keys():
    raw = revision_data({"spec": {"b": 1, "a": {"z": 1, "y": 2}}, "metadata": {}})
    assert raw == '{"spec":{"template":{"$patch":"replace","metadata":{},' \
                  '"spec":{"a":{"y":2,"z":1},"b":1}}}}'
    # key order in the input does not matter
    assert raw == revision_data({"metadata": {}, "spec": {"a": {"y": 2, "z": 1}, "b": 1}})


def test_revision_data_does_not_modify_the_template():
    template = json.loads(json.dumps(TEMPLATE))
    revision_data(template)
    assert template == TEMPLATE


def test_template_from_data_round_trips():
    data = json.loads(revision_data(TEMPLATE))
    assert template_from_data(data) == TEMPLATE
    assert "$patch" in data["spec"]["template"]      # the data itself is left alone
