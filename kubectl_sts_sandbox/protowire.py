"""The protobuf wire format, as much as the sandbox reads: varints and the fields of a message
(https://protobuf.dev/programming-guides/encoding/). What the fields mean is protobuf.py's and
protoschema.py's business."""

from typing import Any, Iterator, Tuple


class DecodeError(ValueError):
    """The body is not a protobuf message this decoder can read exactly."""


def read_varint(data: bytes, pos: int) -> Tuple[int, int]:
    """The varint at `pos` of `data` and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("unexpected EOF")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("proto: integer overflow")


def iter_fields(data: bytes) -> Iterator[Tuple[int, int, Any]]:
    """Yield (field number, wire type, value) of a message: the value is an int for varints
    and fixed widths (wire types 0, 1, 5), bytes for length-delimited fields (wire type 2)."""
    pos, end = 0, len(data)
    value: Any
    while pos < end:
        key, pos = read_varint(data, pos)
        num, wire = key >> 3, key & 7
        if num == 0:
            raise DecodeError("proto: illegal tag 0")
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            length, pos = read_varint(data, pos)
            if pos + length > end:
                raise DecodeError("unexpected EOF")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            if pos + 8 > end:
                raise DecodeError("unexpected EOF")
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            if pos + 4 > end:
                raise DecodeError("unexpected EOF")
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise DecodeError("proto: illegal wireType %d" % wire)
        yield num, wire, value


def signed(n: int) -> int:
    """A varint read as Go's int64 (two's complement)."""
    return n - (1 << 64) if n >= 1 << 63 else n


def utf8_text(raw: bytes) -> str:
    """A string field's text."""
    return raw.decode("utf-8", "replace")          # Go's JSON encoder writes U+FFFD too

